"""SQL conditions that keep each query inside the caller's area (deny by default)."""
from sqlalchemy import ColumnElement, exists, false, select, true

from app.auth.principal import Principal
from app.households.models import Household
from app.visits.models import ServiceLink


def household_scope(principal: Principal) -> ColumnElement[bool]:
    """Households the caller may see: all, their dongs', or those referred to their agency."""
    if principal.sees_whole_district:
        return true()
    if principal.role == "dong_staff":
        return Household.dong_id.in_(principal.dong_ids) if principal.dong_ids else false()
    if principal.role == "partner" and principal.facility_id is not None:
        return exists(
            select(ServiceLink.id).where(ServiceLink.household_id == Household.id,
                                         ServiceLink.facility_id == principal.facility_id)
        )
    return false()


def dong_scope(principal: Principal, dong_id_column) -> ColumnElement[bool]:
    """Dongs (and rows carrying a dong id) the caller may see as staff."""
    if principal.sees_whole_district:
        return true()
    if principal.role in ("dong_staff", "tongjang") and principal.dong_ids:
        return dong_id_column.in_(principal.dong_ids)
    return false()
