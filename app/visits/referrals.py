"""The referral inbox: service links sent to one facility, for the partner agency (and staff checking on it)."""
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.access import service as access
from app.errors import InvalidInput, NotFound
from app.facilities.models import Facility
from app.households.models import Household
from app.policy.masking import mask_name
from app.policy.principal import Principal
from app.policy.scope import household_scope
from app.risk.levels import COLORS
from app.tracts.models import Dong
from app.visits.models import ServiceLink

OPEN_STATUSES = ("requested", "in_progress")


def list_(session: Session, principal: Principal, facility_id: int | None, statuses: tuple[str, ...],
          limit: int, offset: int, resource: str) -> dict:
    """Referrals to a facility, oldest open first; a partner sees its own agency's only, masked and cut to the dong."""
    if principal.role == "partner":
        if facility_id is not None and facility_id != principal.facility_id:
            raise NotFound()
        facility_id = principal.facility_id
    elif facility_id is None:
        raise InvalidInput("facility_id: 어느 기관의 의뢰 목록인지 지정하세요.")
    if facility_id is None or session.get(Facility, facility_id) is None:
        raise NotFound()
    conds = [ServiceLink.facility_id == facility_id, household_scope(principal), Household.status == "active"]
    if statuses:
        conds.append(ServiceLink.status.in_(statuses))
    base = (select(ServiceLink, Household, Dong.name.label("dong_name"))
            .join(Household, Household.id == ServiceLink.household_id)
            .join(Dong, Dong.id == Household.dong_id).where(*conds))
    total = session.execute(select(func.count()).select_from(base.subquery())).scalar_one()
    rows = session.execute(base.order_by(ServiceLink.created_at, ServiceLink.id).limit(limit).offset(offset)).all()
    items = [{
        "id": link.id, "household_id": h.id, "type": link.type, "need": link.need, "status": link.status,
        "note": link.note, "created_at": link.created_at, "updated_at": link.updated_at, "version": link.version,
        "household": {"id": h.id, "head_name": mask_name(h.head_name), "dong_name": dong_name,
                      "members": h.members, "risk_level": h.risk_level, "color": COLORS[h.risk_level],
                      "needs": list(h.open_needs or [])},
    } for link, h, dong_name in rows]
    access.record(session, principal, "list", resource, sorted({i["household_id"] for i in items}))
    return {"items": items, "total": total, "facility_id": facility_id}
