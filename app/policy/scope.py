"""SQL conditions that keep each query inside the caller's area (deny by default)."""
from sqlalchemy import ColumnElement, exists, false, select, true
from sqlalchemy.orm import Session, aliased

from app.auth.models import UserDong
from app.config import get_settings
from app.households.models import Household
from app.policy.permissions import OTHER, OWN, REFERRED
from app.policy.principal import Principal
from app.reports.models import Report
from app.tracts.models import District, Dong, Tract
from app.visits.models import ServiceLink


def household_scope(principal: Principal) -> ColumnElement[bool]:
    """Households the caller may see: all, their dongs', or those referred to their agency."""
    if principal.sees_whole_district:
        return true()
    if principal.role == "dong_staff":
        return Household.dong_id.in_(principal.dong_ids) if principal.dong_ids else false()
    if principal.role == "partner" and principal.facility_id is not None:
        # Its own ServiceLink, even when the outer query joins service_links too.
        referred = aliased(ServiceLink)
        return exists(
            select(referred.id).where(referred.household_id == Household.id,
                                      referred.facility_id == principal.facility_id)
        )
    return false()


def dong_scope(principal: Principal, dong_id_column) -> ColumnElement[bool]:
    """Dongs (and rows carrying a dong id) the caller may see as staff."""
    if principal.sees_whole_district:
        return true()
    if principal.role in ("dong_staff", "tongjang") and principal.dong_ids:
        return dong_id_column.in_(principal.dong_ids)
    return false()


def record_scopes(session: Session, principal: Principal, kind: str, record_id: int) -> frozenset[str] | None:
    """How a record relates to the caller (own dong, other dong, referred), or None when it does not exist."""
    if kind == "household":
        referred = (exists(select(ServiceLink.id).where(ServiceLink.household_id == Household.id,
                                                        ServiceLink.facility_id == principal.facility_id))
                    if principal.facility_id is not None else false())
        row = session.execute(select(Household.dong_id, referred).where(Household.id == record_id)).first()
        if row is None:
            return None
        return _dong_label(principal, row[0]) | ({REFERRED} if row[1] else set())
    if kind == "dong":
        row = session.execute(
            select(Dong.id).join(District, District.id == Dong.district_id)
            .where(Dong.id == record_id, District.code.in_(get_settings().deployment_district_codes))
        ).first()
        return None if row is None else frozenset(_dong_label(principal, record_id))
    if kind == "tract":
        dong_id = session.execute(
            select(Tract.dong_id).join(Dong, Dong.id == Tract.dong_id).join(District, District.id == Dong.district_id)
            .where(Tract.id == record_id, District.code.in_(get_settings().deployment_district_codes))
        ).scalar()
        if dong_id is None:
            return None
        if principal.role == "tongjang":
            return frozenset({OWN if record_id in principal.tract_ids else OTHER})
        return frozenset(_dong_label(principal, dong_id))
    if kind == "report":
        row = session.execute(select(Report.dong_id, Report.reporter_user_id).where(Report.id == record_id)).first()
        if row is None:
            return None
        if row.reporter_user_id == principal.user_id:
            return frozenset({OWN})
        if principal.role in ("tongjang", "partner"):
            return frozenset({OTHER})  # their scope is the reports they filed, not their dong's
        if row.dong_id is None and row.reporter_user_id is not None and principal.dong_ids:
            # an unplaced report belongs to the dong(s) of the 통장 who filed it
            filed_here = session.execute(select(UserDong.dong_id).where(
                UserDong.user_id == row.reporter_user_id, UserDong.dong_id.in_(principal.dong_ids)).limit(1)).first()
            return frozenset({OWN if filed_here else OTHER})
        return frozenset(_dong_label(principal, row.dong_id))
    return frozenset({OTHER})


def _dong_label(principal: Principal, dong_id: int | None) -> set[str]:
    return {OWN} if dong_id is not None and dong_id in principal.dong_ids else {OTHER}
