"""Visits and phone check-ins: record one (with the household's new level) and list them."""
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.access import service as access
from app.auth.models import User
from app.config import Settings, get_settings
from app.db import flush_versioned
from app.errors import Conflict, Forbidden, InvalidInput
from app.households import service as households
from app.households.models import Household
from app.households.schemas import HouseholdRead
from app.policy.principal import Principal
from app.risk import rules
from app.risk.levels import COLORS
from app.visits.models import (
    ServiceLink,
    ServiceLinkEvent,
    Visit,
    VisitIndicator,
    VisitNeed,
    VisitVisitor,
)
from app.visits.schemas import VisitCreate, VisitRead
from app.vocab import NEEDS

CLOCK_SKEW_SECONDS = 300  # field phones' clocks drift; a visit a few minutes "ahead" is not in the future
CLOSED = "종결된 가구에는 방문을 기록할 수 없습니다."
STALE_DRAFT = ("이 기록을 작성하는 사이에 다른 사용자가 이 가구에 방문을 기록했거나 가구 정보를 바꿨습니다. "
               "최근 내용을 확인한 뒤 그대로 저장하거나 버리세요.")
KEY_REUSED = ("이 Idempotency-Key로 내용이 다른 방문 기록이 이미 저장되어 있습니다. "
              "기록(초안)마다 새 키를 쓰세요.")


class StaleDraft(Conflict):
    """A draft based on an older household version (409): the answer carries the household as it is now and its
    newest visit, so the person can save anyway (with the current version) or discard. The access record of
    that answer stands; nothing else was written."""

    keeps_writes = True

    def __init__(self, household: dict, latest_visit: dict | None):
        super().__init__(STALE_DRAFT)
        self.household, self.latest_visit = household, latest_visit

    def body(self) -> dict:
        """The household and visit serialised exactly as GET answers them."""
        return super().body() | {
            "household": HouseholdRead.model_validate(self.household).model_dump(mode="json"),
            "latest_visit": None if self.latest_visit is None
            else VisitRead.model_validate(self.latest_visit).model_dump(mode="json")}


def cycle_days(settings: Settings | None = None) -> dict[str, int]:
    """Days between visits per level, from the settings."""
    s = settings or get_settings()
    return {"high": s.visit_cycle_days_high, "medium": s.visit_cycle_days_medium, "low": s.visit_cycle_days_low}


def require_visit_role(principal: Principal) -> None:
    """Visits are the officials' record: partners and 통장 may not read or write them."""
    if not principal.is_staff:
        raise Forbidden("방문 기록은 담당 공무원만 보고 남길 수 있습니다.")


def ordered_needs(needs) -> list[str]:
    """Needs in vocabulary order, without duplicates."""
    present = set(needs)
    return [n for n in NEEDS if n in present]


def _aware(moment: datetime, settings: Settings) -> datetime:
    """A naive time is read in the deployment's zone."""
    return moment.replace(tzinfo=settings.tz) if moment.tzinfo is None else moment


def _check_when(household: Household, visited_at: datetime, settings: Settings) -> None:
    now = settings.now()
    if (visited_at - now).total_seconds() > CLOCK_SKEW_SECONDS:
        raise InvalidInput("방문 일시가 미래입니다. 이미 이루어진 방문·전화만 기록할 수 있습니다.")
    if visited_at.astimezone(settings.tz).date() < household.registered_on:
        raise InvalidInput(f"방문 일시가 가구 등록일({household.registered_on.isoformat()})보다 이릅니다.")


def _level_before(session: Session, household: Household, visited_at: datetime, latest: bool) -> str:
    """The level the household had just before this contact (a back-dated visit looks at its predecessor)."""
    if latest:
        return household.risk_level
    previous = session.execute(
        select(Visit.risk_level_after).where(Visit.household_id == household.id, Visit.visited_at <= visited_at)
        .order_by(Visit.visited_at.desc(), Visit.id.desc()).limit(1)
    ).scalar()
    return previous or "unvisited"


def _still_open(session: Session, household_id: int, needs: list[str], visited_at: datetime) -> list[str]:
    """Needs of this visit that no service delivered after it has met since."""
    if not needs:
        return []
    met_since = set(session.scalars(
        select(ServiceLink.need).join(ServiceLinkEvent, ServiceLinkEvent.service_link_id == ServiceLink.id)
        .where(ServiceLink.household_id == household_id, ServiceLink.need.in_(needs),
               ServiceLinkEvent.status == "delivered", ServiceLinkEvent.changed_at >= visited_at)
    ))
    return [n for n in needs if n not in met_since]


def create(session: Session, principal: Principal, household_id: int, data: VisitCreate, resource: str,
           client_key: str | None = None) -> dict:
    """Record a visit and update the household's level, reason, last visit, next due and open needs at once."""
    return record(session, principal, household_id, data, resource, client_key)[0]


def record(session: Session, principal: Principal, household_id: int, data: VisitCreate, resource: str,
           client_key: str | None = None) -> tuple[dict, bool]:
    """Record a visit (answer, True); a `client_key` this user already recorded returns that visit and the
    household as it is now (answer, False) and writes nothing. A `household_version` that is no longer the
    household's is a StaleDraft (409)."""
    require_visit_role(principal)
    settings = get_settings()
    visited_at = _aware(data.visited_at, settings)
    # The lock first: a second post with the same key waits here and then finds the first one's visit.
    household = households.lock(session, principal, household_id)
    if client_key is not None:
        earlier = _by_key(session, principal, client_key)
        if earlier is not None:
            return _replay(session, principal, earlier, household_id, data, visited_at, resource), False
    if household.status != "active":
        raise InvalidInput(CLOSED)
    if data.household_version is not None and data.household_version != household.version:
        raise _stale(session, principal, household_id, resource)
    _check_when(household, visited_at, settings)
    # Only the latest contact sets the current level; a back-dated one is history.
    latest = household.last_visit_at is None or visited_at >= household.last_visit_at
    before = _level_before(session, household, visited_at, latest)
    try:
        result = rules.after_contact(before, data.indicators, data.contact_type, data.risk_override,
                                     data.override_reason, principal.username)
    except ValueError as exc:
        raise InvalidInput(str(exc)) from None
    now = settings.now()
    visit = Visit(household_id=household.id, visited_at=visited_at, contact_type=data.contact_type,
                  notes=data.notes, risk_score=result.score, risk_level_after=result.level,
                  risk_override=data.risk_override, override_reason=data.override_reason,
                  recorded_by=principal.user_id, created_at=now, client_key=client_key)
    if client_key is None:
        session.add(visit)
        session.flush()
    else:
        try:
            with session.begin_nested():  # the same key on another household at the same moment: one row wins
                session.add(visit)
                session.flush()
        except IntegrityError:
            earlier = _by_key(session, principal, client_key)
            if earlier is None:
                raise
            return _replay(session, principal, earlier, household_id, data, visited_at, resource), False
    session.add_all([VisitVisitor(visit_id=visit.id, visitor_type=t) for t in data.visitor_types])
    session.add_all([VisitIndicator(visit_id=visit.id, indicator=i) for i in data.indicators])
    session.add_all([VisitNeed(visit_id=visit.id, need=n) for n in data.needs])
    new_needs = _still_open(session, household.id, data.needs, visited_at)
    session.flush()

    # One UPDATE of the household (its version goes up by exactly one).
    if latest:
        household.risk_level = result.level
        if not result.kept:
            household.risk_score, household.risk_reason = result.score, result.reason
            household.risk_overridden = result.overridden
        household.last_visit_at = visited_at
    last_day = household.last_visit_at.astimezone(settings.tz).date()
    household.next_visit_due = rules.next_visit_due(household.risk_level, last_day, household.registered_on,
                                                    cycle_days(settings))
    household.open_needs = ordered_needs([*(household.open_needs or []), *new_needs])
    household.updated_at = now
    flush_versioned(session, households.STALE)
    access.record(session, principal, "create", resource, [household.id])
    visit_read = _read(visit, principal.username, data.visitor_types, data.indicators, data.needs)
    row = households.get_row(session, principal, household_id)
    return {"visit": visit_read, "household": households.detail(session, row, principal)}, True


def _by_key(session: Session, principal: Principal, client_key: str) -> Visit | None:
    return session.execute(select(Visit).where(Visit.recorded_by == principal.user_id,
                                               Visit.client_key == client_key)).scalar_one_or_none()


def _replay(session: Session, principal: Principal, visit: Visit, household_id: int, data: VisitCreate,
            visited_at: datetime, resource: str) -> dict:
    """The answer a draft already recorded gets again: its visit and the household now (read, not written)."""
    visitors, indicators, needs = (codes[visit.id] for codes in codes_by_visit(session, [visit.id]))
    same = (visit.household_id == household_id and visit.visited_at == visited_at
            and visit.contact_type == data.contact_type and visit.notes == data.notes
            and visit.risk_override == data.risk_override and visit.override_reason == data.override_reason
            and set(visitors) == set(data.visitor_types) and set(indicators) == set(data.indicators)
            and set(needs) == set(data.needs))
    if not same:
        raise Conflict(KEY_REUSED)
    row = households.get_row(session, principal, household_id)
    access.record(session, principal, "read", resource, [household_id])
    return {"visit": _read(visit, principal.username, visitors, indicators, needs),
            "household": households.detail(session, row, principal)}


def _stale(session: Session, principal: Principal, household_id: int, resource: str) -> StaleDraft:
    """The conflict a stale draft meets, with the household and its last recorded visit (recorded as read)."""
    row = households.get_row(session, principal, household_id)
    newest = session.execute(
        select(Visit, User.username).outerjoin(User, User.id == Visit.recorded_by)
        .where(Visit.household_id == household_id).order_by(Visit.id.desc()).limit(1)
    ).first()
    latest_visit = None
    if newest is not None:
        visit, username = newest
        visitors, indicators, needs = (codes[visit.id] for codes in codes_by_visit(session, [visit.id]))
        latest_visit = _read(visit, username, visitors, indicators, needs)
    access.record(session, principal, "read", resource, [household_id])
    return StaleDraft(households.detail(session, row, principal), latest_visit)


def _read(visit: Visit, recorded_by: str | None, visitors, indicators, needs) -> dict:
    return {
        "id": visit.id,
        "household_id": visit.household_id,
        "visited_at": visit.visited_at,
        "contact_type": visit.contact_type,
        "visitor_types": list(visitors),
        "indicators": list(indicators),
        "needs": ordered_needs(needs),
        "notes": visit.notes,
        "risk_score": visit.risk_score,
        "risk_level_after": visit.risk_level_after,
        "color": COLORS[visit.risk_level_after],
        "risk_override": visit.risk_override,
        "override_reason": visit.override_reason,
        "recorded_by": recorded_by,
        "created_at": visit.created_at,
    }


def codes_by_visit(session: Session, visit_ids: list[int]) -> tuple[dict, dict, dict]:
    """Visitor types, indicators and needs of some visits, keyed by visit id."""
    visitors: dict[int, list[str]] = {i: [] for i in visit_ids}
    indicators: dict[int, list[str]] = {i: [] for i in visit_ids}
    needs: dict[int, list[str]] = {i: [] for i in visit_ids}
    if not visit_ids:
        return visitors, indicators, needs
    for target, model, column in ((visitors, VisitVisitor, VisitVisitor.visitor_type),
                                  (indicators, VisitIndicator, VisitIndicator.indicator),
                                  (needs, VisitNeed, VisitNeed.need)):
        for visit_id, code in session.execute(select(model.visit_id, column).where(model.visit_id.in_(visit_ids))
                                              .order_by(model.visit_id, column)):
            target[visit_id].append(code)
    return visitors, indicators, needs


def list_(session: Session, principal: Principal, household_id: int, limit: int, offset: int,
          resource: str) -> dict:
    """A household's visits, newest first; the read is recorded."""
    require_visit_role(principal)
    households.get_row(session, principal, household_id)
    total = session.execute(select(func.count()).select_from(Visit)
                            .where(Visit.household_id == household_id)).scalar_one()
    rows = session.execute(
        select(Visit, User.username).outerjoin(User, User.id == Visit.recorded_by)
        .where(Visit.household_id == household_id)
        .order_by(Visit.visited_at.desc(), Visit.id.desc()).limit(limit).offset(offset)
    ).all()
    ids = [v.id for v, _ in rows]
    visitors, indicators, needs = codes_by_visit(session, ids)
    items = [_read(v, username, visitors[v.id], indicators[v.id], needs[v.id]) for v, username in rows]
    access.record(session, principal, "read", resource, [household_id])
    return {"items": items, "total": total}
