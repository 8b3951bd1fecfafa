"""Service links (서비스 연계): what was done about a household's needs, with the history of each status."""
from sqlalchemy import and_, select, true
from sqlalchemy.orm import Session, aliased

from app.access import service as access
from app.auth.models import User
from app.config import get_settings
from app.db import flush_versioned
from app.errors import Conflict, Forbidden, InvalidInput, NotFound
from app.facilities.models import Facility
from app.households import service as households
from app.households.models import Household
from app.policy.principal import Principal
from app.visits.models import ServiceLink, ServiceLinkEvent, Visit
from app.visits.schemas import ServiceLinkCreate, ServiceLinkUpdate

STALE = "다른 사용자가 먼저 이 연계를 수정했습니다. 새로고침 후 다시 시도하세요."
PARTNER_STATUSES = ("in_progress", "delivered", "declined")  # what a partner may report about its referral


def _link_scope(principal: Principal):
    """Links the caller may see: staff all of a visible household's, a partner only those sent to them."""
    if principal.role == "partner":
        return ServiceLink.facility_id == principal.facility_id if principal.facility_id else ServiceLink.id.is_(None)
    return true()


def _require_link_role(principal: Principal) -> None:
    if not (principal.is_staff or (principal.role == "partner" and principal.facility_id)):
        raise Forbidden("서비스 연계를 볼 권한이 없습니다.")


def _meet_need(household: Household, need: str | None, now) -> None:
    """A delivered service answers its need: the need leaves the household's open needs."""
    if need and need in (household.open_needs or []):
        household.open_needs = [n for n in household.open_needs if n != need]
        household.updated_at = now


def _reads(session: Session, principal: Principal, household_id: int, link_id: int | None = None) -> list[dict]:
    creator = aliased(User)
    query = (select(ServiceLink, Facility.name, creator.username)
             .outerjoin(Facility, Facility.id == ServiceLink.facility_id)
             .outerjoin(creator, creator.id == ServiceLink.created_by)
             .where(ServiceLink.household_id == household_id, _link_scope(principal))
             .order_by(ServiceLink.created_at.desc(), ServiceLink.id.desc()))
    if link_id is not None:
        query = query.where(ServiceLink.id == link_id)
    rows = session.execute(query).all()
    ids = [link.id for link, _, _ in rows]
    history: dict[int, list[dict]] = {i: [] for i in ids}
    if ids:
        for event, username in session.execute(
                select(ServiceLinkEvent, User.username).outerjoin(User, User.id == ServiceLinkEvent.changed_by)
                .where(ServiceLinkEvent.service_link_id.in_(ids))
                .order_by(ServiceLinkEvent.changed_at, ServiceLinkEvent.id)):
            history[event.service_link_id].append({"status": event.status, "note": event.note,
                                                   "changed_by": username, "changed_at": event.changed_at})
    return [{
        "id": link.id, "household_id": link.household_id, "visit_id": link.visit_id, "type": link.type,
        "need": link.need, "facility_id": link.facility_id, "facility_name": facility_name, "status": link.status,
        "note": link.note, "created_by": created_by, "created_at": link.created_at, "updated_at": link.updated_at,
        "version": link.version, "history": history[link.id],
    } for link, facility_name, created_by in rows]


def list_(session: Session, principal: Principal, household_id: int, resource: str) -> dict:
    """A household's service links, newest first, each with its status history."""
    _require_link_role(principal)
    households.get_row(session, principal, household_id)
    items = _reads(session, principal, household_id)
    access.record(session, principal, "read", resource, [household_id])
    return {"items": items, "total": len(items)}


def create(session: Session, principal: Principal, household_id: int, data: ServiceLinkCreate,
           resource: str) -> dict:
    """Link a household to a service (optionally a facility and the need it answers); 201."""
    if not principal.is_staff:
        raise Forbidden("서비스 연계는 담당 공무원이 등록합니다.")
    household = households.lock(session, principal, household_id)
    if household.status != "active":
        raise InvalidInput("종결된 가구에는 서비스 연계를 등록할 수 없습니다.")
    if data.facility_id is not None and session.get(Facility, data.facility_id) is None:
        raise InvalidInput("연계 기관(facility_id)을 찾을 수 없습니다.")
    if data.visit_id is not None and session.execute(
            select(Visit.id).where(Visit.id == data.visit_id, Visit.household_id == household_id)
    ).scalar() is None:
        raise InvalidInput("visit_id가 이 가구의 방문 기록이 아닙니다.")
    now = get_settings().now()
    link = ServiceLink(household_id=household_id, visit_id=data.visit_id, type=data.type, need=data.need,
                       facility_id=data.facility_id, status=data.status, note=data.note,
                       created_by=principal.user_id, created_at=now, updated_at=now)
    session.add(link)
    session.flush()
    session.add(ServiceLinkEvent(service_link_id=link.id, status=data.status, note=data.note,
                                 changed_by=principal.user_id, changed_at=now))
    if data.status == "delivered":
        _meet_need(household, data.need, now)
    session.flush()
    access.record(session, principal, "create", resource, [household_id])
    return _reads(session, principal, household_id, link.id)[0]


def update(session: Session, principal: Principal, household_id: int, link_id: int, data: ServiceLinkUpdate,
           version: int | None, resource: str) -> dict:
    """Change a link's status with the version read (stale → 409); every change is kept in its history."""
    _require_link_role(principal)
    household = households.lock(session, principal, household_id)
    link = session.execute(
        select(ServiceLink).where(and_(ServiceLink.id == link_id, ServiceLink.household_id == household_id,
                                       _link_scope(principal))).with_for_update()
    ).scalar_one_or_none()
    if link is None:
        raise NotFound("서비스 연계를 찾을 수 없습니다.")
    wanted = data.version if data.version is not None else version
    if wanted is None:
        raise InvalidInput("version이 필요합니다 (본문의 version 또는 If-Match 헤더).")
    if wanted != link.version:
        raise Conflict(STALE)
    if principal.role == "partner" and data.status not in PARTNER_STATUSES:
        raise Forbidden("협력기관은 진행중·제공 완료·거절만 기록할 수 있습니다.")
    if link.status == "delivered" and data.status != "delivered":
        raise InvalidInput("제공 완료된 연계는 상태를 되돌릴 수 없습니다. 새 연계를 등록하세요.")
    if link.status == data.status and not data.note:
        raise InvalidInput("상태가 그대로입니다. 바꿀 상태나 메모를 보내세요.")
    now = get_settings().now()
    became_delivered = data.status == "delivered" and link.status != "delivered"
    link.status, link.updated_at = data.status, now
    flush_versioned(session, STALE)
    session.add(ServiceLinkEvent(service_link_id=link.id, status=data.status, note=data.note,
                                 changed_by=principal.user_id, changed_at=now))
    if became_delivered:
        _meet_need(household, link.need, now)
    session.flush()
    access.record(session, principal, "update", resource, [household_id])
    return _reads(session, principal, household_id, link.id)[0]

