"""Exports of the filtered household list and of visits, with Korean headers; each one is recorded."""
from datetime import date

from sqlalchemy import ARRAY, String, func, literal, select
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.orm import Session

from app.access import service as access
from app.auth.models import User
from app.config import get_settings
from app.errors import Forbidden, InvalidInput
from app.exports.tabular import Table
from app.households import service as households
from app.households.models import Household
from app.policy.principal import Principal
from app.policy.scope import household_scope
from app.risk.levels import LABELS
from app.stats.service import check_period, in_days
from app.tracts import service as places
from app.tracts.models import Dong, Tract
from app.visits.models import Visit, VisitIndicator, VisitNeed, VisitVisitor
from app.vocab import CLOSE_REASONS, CONTACT_TYPES, INDICATORS, NEEDS, VISITOR_TYPES

MAX_ROWS = 100_000
TOO_MANY = "내보낼 행이 너무 많습니다 ({n}건, 최대 {max}건). 조건을 좁혀 주세요."
HOUSEHOLD_COLUMNS = [  # (Korean header, column width)
    ("가구번호", 9), ("세대주", 10), ("주소", 40), ("주민등록 주소", 40), ("행정동", 10), ("통", 12),
    ("가구원 수", 9), ("전화번호", 15), ("위험도", 8), ("위험 사유", 50), ("최근 방문일시", 17),
    ("다음 방문 예정일", 14), ("방문 기한 경과", 12), ("미충족 욕구", 30), ("상태", 6), ("종결 사유", 10),
    ("경도", 12), ("위도", 12),
]
VISIT_COLUMNS = [
    ("방문번호", 9), ("가구번호", 9), ("행정동", 10), ("통", 12), ("주소", 40), ("방문일시", 17),
    ("방법", 6), ("방문주체", 30), ("위기 지표", 40), ("욕구", 30), ("위험 점수", 9), ("방문 후 위험도", 12),
    ("직접 지정", 9), ("직접 지정 사유", 30), ("메모", 40), ("기록자", 10),
]


def _labels(codes, vocabulary: dict[str, str]) -> str:
    return ", ".join(vocabulary.get(c, c) for c in codes)


def _local(moment, tz):
    return moment.astimezone(tz) if moment is not None else None


def _codes(column):
    """A visit's codes of one kind as a sorted array (a correlated subquery on the visit's primary key)."""
    table = column.class_
    return (select(func.coalesce(func.array_agg(aggregate_order_by(column, column)), literal([], ARRAY(String))))
            .where(table.visit_id == Visit.id).scalar_subquery())


def _require_export_role(principal: Principal) -> None:
    if not principal.is_staff:
        raise Forbidden("내보내기는 담당 공무원만 할 수 있습니다.")


def _table(title: str, columns) -> Table:
    return Table(title=title, headers=[h for h, _ in columns], widths=[w for _, w in columns])


def households_table(session: Session, principal: Principal, f: households.HouseholdFilter, sort: str,
                     reveal: bool, purpose: str, resource: str) -> Table:
    """The household list under the same filters as the API, as a table; the export is recorded."""
    _require_export_role(principal)
    if f.dong_id is not None:
        places.ensure_dong_visible(session, principal, f.dong_id)
    conds = households.filter_conditions(principal, f)
    n = session.execute(select(func.count()).select_from(Household).where(*conds)).scalar_one()
    if n > MAX_ROWS:
        raise InvalidInput(TOO_MANY.format(n=n, max=MAX_ROWS))
    tz = get_settings().tz
    table = _table("가구 목록", HOUSEHOLD_COLUMNS)
    ids = []
    for row in session.execute(households.read_query().where(*conds).order_by(*households.order_by(sort))):
        h = households.to_read(row, principal, reveal=reveal)
        ids.append(h["id"])
        table.rows.append([
            h["id"], h["head_name"], h["address"], h["registered_address"], h["dong_name"], h["tract_name"],
            h["members"], h["phone"], LABELS[h["risk_level"]], h["risk_reason"], _local(h["last_visit_at"], tz),
            h["next_visit_due"], "예" if h["overdue"] else "아니오", _labels(h["needs"], NEEDS),
            "종결" if h["status"] == "closed" else "관리중", CLOSE_REASONS.get(h["closed_reason"] or "", None),
            h["lon"], h["lat"],
        ])
    access.record(session, principal, "export", resource, ids, purpose)
    return table


def visits_table(session: Session, principal: Principal, dong_id: int | None, date_from: date | None,
                 date_to: date | None, purpose: str, resource: str) -> Table:
    """Visits in the caller's area (optionally one dong and a period), oldest first; the export is recorded."""
    _require_export_role(principal)
    check_period(date_from, date_to)
    if dong_id is not None:
        places.ensure_dong_visible(session, principal, dong_id)
    conds = [household_scope(principal), *in_days(Visit.visited_at, date_from, date_to)]
    if dong_id is not None:
        conds.append(Household.dong_id == dong_id)
    base = select(Visit.id).join(Household, Household.id == Visit.household_id).where(*conds)
    n = session.execute(select(func.count()).select_from(base.subquery())).scalar_one()
    if n > MAX_ROWS:
        raise InvalidInput(TOO_MANY.format(n=n, max=MAX_ROWS))
    rows = session.execute(
        select(Visit, Household.address, Dong.name, Tract.name, User.username, _codes(VisitVisitor.visitor_type),
               _codes(VisitIndicator.indicator), _codes(VisitNeed.need))
        .join(Household, Household.id == Visit.household_id).join(Dong, Dong.id == Household.dong_id)
        .outerjoin(Tract, Tract.id == Household.tract_id).outerjoin(User, User.id == Visit.recorded_by)
        .where(*conds).order_by(Visit.visited_at, Visit.id)
    ).all()
    tz = get_settings().tz
    table = _table("방문 기록", VISIT_COLUMNS)
    for v, address, dong_name, tract_name, username, visitors, indicators, needs in rows:
        table.rows.append([
            v.id, v.household_id, dong_name, tract_name, address, _local(v.visited_at, tz),
            CONTACT_TYPES[v.contact_type], _labels(visitors, VISITOR_TYPES), _labels(indicators, INDICATORS),
            _labels([c for c in NEEDS if c in needs], NEEDS), v.risk_score, LABELS[v.risk_level_after],
            LABELS[v.risk_override] if v.risk_override else None, v.override_reason, v.notes, username,
        ])
    access.record(session, principal, "export", resource, sorted({r[0].household_id for r in rows}), purpose)
    return table
