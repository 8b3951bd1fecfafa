"""The registry-changes inbox: 주민등록 changes (사망, 전출, 전입, 세대 합가) that an imported file matched to a
household wait here until a person applies or dismisses them; rows no household matched are listed, not lost.

Nothing is applied without a person. What applying does is proposed from the change: a death closes the
household (`death`), a move out of the district closes it (`moved_out`), a move within the district moves it to
its new address (and dong: both dongs keep the move in their record through the row's from/to dong), a 세대 합가
into another address closes it (`merged`), and a 전입 is only marked as seen. Each action holds the change's row
lock, then the household's, and checks the change's version.
"""
from datetime import date, datetime

from geoalchemy2 import functions as gf
from sqlalchemy import false, func, or_, select, true
from sqlalchemy.orm import Session, aliased

from app.access import service as access
from app.addresses.normalise import parse_address
from app.auth.models import User
from app.config import get_settings
from app.db import flush_versioned
from app.errors import Conflict, Forbidden, InvalidInput, NotFound
from app.households import service as households
from app.households.models import Household
from app.imports.models import ImportBatch, ImportRow
from app.imports.planning import same_place
from app.policy.masking import mask_name
from app.policy.principal import Principal
from app.tracts import service as places
from app.tracts.models import Dong
from app.vocab import CLOSE_REASONS, REGISTRY_CHANGES

STATUSES = ("pending", "applied", "dismissed", "unmatched")
STALE = "다른 사용자가 먼저 이 변동을 처리하거나 바꿨습니다. 새로고침 후 다시 확인하세요."
RESOLVED = "이미 처리된 변동입니다."
UNMATCHED = "일치하는 가구가 없는 변동은 반영할 수 없습니다. 확인 후 '반영 안 함'으로 처리하세요."
CLOSED = "가구가 이미 종결되어 이 변동을 반영할 수 없습니다. '반영 안 함'으로 처리하세요."
CLOSES = {"close_death": "death", "close_moved_out": "moved_out", "close_merged": "merged"}

HouseholdDong = aliased(Dong)
FromDong = aliased(Dong)
ToDong = aliased(Dong)


def require_staff(principal: Principal) -> None:
    if not principal.is_staff:
        raise Forbidden("주민등록 변동은 담당 공무원만 볼 수 있습니다.")


def _scope(principal: Principal):
    """A 동 담당 sees changes whose household is in their dong, or whose move starts or ends there."""
    if principal.sees_whole_district:
        return true()
    if not principal.is_staff or not principal.dong_ids:
        return false()
    own = principal.dong_ids
    return or_(Household.dong_id.in_(own), ImportRow.dong_id.in_(own), ImportRow.from_dong_id.in_(own),
               ImportRow.to_dong_id.in_(own))


def _query():
    resolver = aliased(User)
    return (select(ImportRow, Household, HouseholdDong.name.label("household_dong"),
                   FromDong.name.label("from_dong"), ToDong.name.label("to_dong"),
                   resolver.display_name.label("resolved_by_name"))
            .join(ImportBatch, ImportBatch.id == ImportRow.import_id)
            .outerjoin(Household, Household.id == ImportRow.household_id)
            .outerjoin(HouseholdDong, HouseholdDong.id == Household.dong_id)
            .outerjoin(FromDong, FromDong.id == ImportRow.from_dong_id)
            .outerjoin(ToDong, ToDong.id == ImportRow.to_dong_id)
            .outerjoin(resolver, resolver.id == ImportRow.resolved_by)
            .where(ImportBatch.kind == "registry_changes", ImportRow.state.in_(STATUSES)))


def proposal(row: ImportRow, household: Household | None, to_dong_name: str | None,
             inside: frozenset[str]) -> dict:
    """What applying the change would do (computed from the change, so the history reads the same later)."""
    v = row.values or {}

    def propose(action: str, label: str, to_dong: bool = False) -> dict:
        return {"action": action, "label": label, "to_dong_id": row.to_dong_id if to_dong else None,
                "to_dong_name": to_dong_name if to_dong else None}

    if household is None:
        return propose("review", "일치하는 가구가 없습니다. 확인 후 '반영 안 함'으로 처리하세요.")
    if row.change == "death":
        return propose("close_death", "사망: 가구를 종결합니다 (사유 사망).")
    if row.change == "moved_out":
        if row.to_dong_id is not None and row.geom is not None:
            return propose("move", f"관내 이사: 새 주소({to_dong_name})로 가구를 옮깁니다.", to_dong=True)
        parsed = parse_address(v.get("address"))
        if v.get("address") and (parsed is None or not parsed.sigungu or parsed.sigungu in inside):
            return propose("review", "관내 전출이지만 새 주소의 위치를 찾지 못했습니다. 가구 정보에서 주소를 "
                                     "고친 뒤 확인으로 처리하세요.")
        return propose("close_moved_out", "관외 전출: 가구를 종결합니다 (사유 전출).")
    if row.change == "merged":
        if v.get("address") and not same_place(v["address"], household.address):
            return propose("close_merged", "세대 합가: 다른 세대로 합쳐져 가구를 종결합니다 (사유 가구 통합).")
        return propose("review", "세대 합가: 이 가구로 합쳐졌는지 확인하세요 (반영하면 확인한 것으로 기록).")
    return propose("review", "전입: 확인하세요 (반영하면 확인한 것으로 기록합니다).")


def to_read(found, inside: frozenset[str]) -> dict:
    row: ImportRow = found[0]
    household: Household | None = found[1]
    v = row.values or {}
    return {
        "id": row.id, "import_id": row.import_id, "row": row.row_no, "change": row.change,
        "change_label": REGISTRY_CHANGES.get(row.change or "", row.change), "head_name": mask_name(v.get("head_name")),
        "birth_year": int(v["birth_date"][:4]) if v.get("birth_date") else None,
        "address": v.get("address"), "address_detail": v.get("address_detail"),
        "previous_address": v.get("previous_address"), "changed_on": row.changed_on,
        "household": None if household is None else {
            "id": household.id, "head_name": mask_name(household.head_name), "address": household.address,
            "dong_id": household.dong_id, "dong_name": found.household_dong, "status": household.status,
            "closed_reason": household.closed_reason},
        "proposal": proposal(row, household, found.to_dong, inside),
        "from_dong_id": row.from_dong_id, "from_dong_name": found.from_dong,
        "to_dong_id": row.to_dong_id, "to_dong_name": found.to_dong,
        "status": row.state, "note": row.note, "reason": row.reason, "resolved_at": row.resolved_at,
        "resolved_by_name": found.resolved_by_name, "version": row.version,
    }


def list_(session: Session, principal: Principal, status: str, import_id: int | None, limit: int, offset: int,
          resource: str) -> dict:
    """A page of the inbox (pending by default), names masked; the read is recorded."""
    require_staff(principal)
    if status not in STATUSES:
        raise InvalidInput(f"status: {', '.join(STATUSES)} 중 하나여야 합니다.")
    query = _query().where(ImportRow.state == status, _scope(principal))
    if import_id is not None:
        query = query.where(ImportRow.import_id == import_id)
    total = session.execute(select(func.count()).select_from(query.subquery())).scalar_one()
    order = ([ImportRow.resolved_at.desc(), ImportRow.id.desc()] if status in ("applied", "dismissed")
             else [ImportRow.changed_on, ImportRow.id])
    found = session.execute(query.order_by(*order).limit(limit).offset(offset)).all()
    inside = places.district_name_keys(session)
    items = [to_read(f, inside) for f in found]
    access.record(session, principal, "list", resource, [i["household"]["id"] for i in items if i["household"]])
    return {"total": total, "items": items}


def _read_one(session: Session, principal: Principal, change_id: int) -> dict:
    found = session.execute(_query().where(ImportRow.id == change_id, _scope(principal))).first()
    if found is None:
        raise NotFound()
    return to_read(found, places.district_name_keys(session))


def _locked(session: Session, principal: Principal, change_id: int, version: int) -> ImportRow:
    """The change's row, locked until the request commits, if the caller may see it and it is still open."""
    row = session.execute(_query().where(ImportRow.id == change_id, _scope(principal))
                          .with_for_update(of=ImportRow)
                          .execution_options(populate_existing=True)).scalars().first()
    if row is None:
        raise NotFound()
    if row.state in ("applied", "dismissed"):
        raise Conflict(RESOLVED)
    if version != row.version:
        raise Conflict(STALE)
    return row


def _household(session: Session, principal: Principal, row: ImportRow) -> Household:
    """The change's household under its row lock; it must be in the caller's area (a change seen through
    the dong a move goes to is decided by the household's own dong)."""
    dong_id = session.execute(select(Household.dong_id).where(Household.id == row.household_id)).scalar()
    if dong_id is None:
        raise NotFound()
    if not principal.may_see_dong(dong_id):
        raise Forbidden("이 가구의 담당 동에서 처리할 변동입니다.")
    return households.lock(session, principal, row.household_id)


def _resolve(row: ImportRow, principal: Principal, state: str, now: datetime) -> None:
    row.state, row.resolved_by, row.resolved_at = state, principal.user_id, now


def apply(session: Session, principal: Principal, change_id: int, version: int, resource: str) -> dict:
    """A person confirms the change: the household is closed, moved or only marked as seen, as proposed."""
    require_staff(principal)
    row = _locked(session, principal, change_id, version)
    if row.state != "pending" or row.household_id is None:
        raise Conflict(UNMATCHED)
    household = _household(session, principal, row)
    to_dong_name = session.get(Dong, row.to_dong_id).name if row.to_dong_id else None
    action = proposal(row, household, to_dong_name, places.district_name_keys(session))["action"]
    now = get_settings().now()
    if action in CLOSES or action == "move":
        if household.status != "active":
            raise Conflict(CLOSED)
        household.updated_at = now
    if action in CLOSES:
        _close(household, row, CLOSES[action], now)
    elif action == "move":
        _move(session, household, row)
    _resolve(row, principal, "applied", now)
    flush_versioned(session, STALE)
    access.record(session, principal, "update", resource, [household.id],
                  purpose=f"주민등록 변동 반영: {REGISTRY_CHANGES.get(row.change or '', row.change)}")
    return _read_one(session, principal, row.id)  # the move's from-dong keeps it in its author's sight


def _change_text(row: ImportRow) -> str:
    when = row.changed_on.isoformat() if isinstance(row.changed_on, date) else "날짜 없음"
    return f"주민등록 변동 {REGISTRY_CHANGES.get(row.change or '', row.change)} ({when})"


def _close(household: Household, row: ImportRow, reason: str, now: datetime) -> None:
    household.status, household.closed_reason, household.closed_at = "closed", reason, now
    note = f"[종결] {_change_text(row)} 반영: {CLOSE_REASONS[reason]}"
    household.notes = ((household.notes + "\n") if household.notes else "") + note


def _move(session: Session, household: Household, row: ImportRow) -> None:
    """The household takes the change's new address and point; its dong and tract follow the point."""
    lon, lat = session.execute(select(gf.ST_X(ImportRow.geom), gf.ST_Y(ImportRow.geom))
                               .where(ImportRow.id == row.id)).one()
    where = places.locate(session, lon, lat)
    if where is None:
        raise InvalidInput("새 주소의 위치가 관할 구역 밖입니다. 가구 정보에서 직접 고치세요.")
    v = row.values
    address, detail = v["address"], v.get("address_detail")
    full = (f"{address} {detail}" if detail and detail not in address else address)[:200]
    if household.registered_address is not None:
        household.registered_address = full
    row.from_dong_id, row.to_dong_id = household.dong_id, where.dong_id
    household.address, household.geom = full, places.point_wkt(lon, lat)
    household.dong_id, household.tract_id = where.dong_id, where.tract_id
    household.placement = row.placement or "building"


def dismiss(session: Session, principal: Principal, change_id: int, reason: str, version: int,
            resource: str) -> dict:
    """A person decides the change does not apply; the reason is kept with it."""
    require_staff(principal)
    row = _locked(session, principal, change_id, version)
    household_ids = []
    if row.household_id is not None:
        household_ids = [_household(session, principal, row).id]
    row.reason = reason
    _resolve(row, principal, "dismissed", get_settings().now())
    flush_versioned(session, STALE)
    access.record(session, principal, "update", resource, household_ids, purpose="주민등록 변동 반영 안 함")
    return _read_one(session, principal, row.id)
