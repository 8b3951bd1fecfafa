"""Exports of the filtered household list and of visits, with Korean headers; each one is recorded
before its first byte is sent."""
from datetime import date

from geoalchemy2 import functions as gf
from sqlalchemy import ARRAY, Integer, Numeric, any_, bindparam, case, cast, func, select
from sqlalchemy.orm import Session

from app.access import service as access
from app.auth.models import User
from app.config import get_settings
from app.errors import Forbidden, InvalidInput
from app.exports.cells import Column, label, labels_of_array, labels_of_rows, masked_name, masked_phone
from app.exports.tabular import Export
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

MAX_ROWS = 300_000  # a city's at-risk households with room to spare; far below Excel's 1,048,576 rows
TOO_MANY = "한 번에 {max}건까지 내보낼 수 있습니다. 조건을 좁혀 주세요."


def _require_export_role(principal: Principal) -> None:
    if not principal.is_staff:
        raise Forbidden("내보내기는 담당 공무원만 할 수 있습니다.")


def _check_size(n: int) -> None:
    if n > MAX_ROWS:
        raise InvalidInput(TOO_MANY.format(max=f"{MAX_ROWS:,}"))


def _any_of(column, ids: list[int]):
    return column == any_(bindparam("ids", ids, type_=ARRAY(Integer)))


def _household_columns(reveal: bool, today: date) -> list[Column]:
    h = Household
    return [
        Column("가구번호", 9, h.id, "number"),
        Column("세대주", 10, h.head_name if reveal else masked_name(h.head_name)),
        Column("주소", 40, h.address),
        Column("주민등록 주소", 40, h.registered_address),
        Column("행정동", 10, Dong.name),
        Column("통", 12, Tract.name),
        Column("가구원 수", 9, h.members, "number"),
        Column("전화번호", 15, h.phone if reveal else masked_phone(h.phone)),
        Column("위험도", 8, label(h.risk_level, LABELS), "label"),
        Column("위험 사유", 50, h.risk_reason),
        Column("최근 방문일시", 17, h.last_visit_at, "datetime"),
        Column("다음 방문 예정일", 14, h.next_visit_due, "date"),
        Column("방문 기한 경과", 12, case((h.next_visit_due < today, "예"), else_="아니오"), "label"),
        Column("미충족 욕구", 30, labels_of_array(h.open_needs, NEEDS), "label"),
        Column("상태", 6, case((h.status == "closed", "종결"), else_="관리중"), "label"),
        Column("종결 사유", 10, label(h.closed_reason, CLOSE_REASONS), "label"),
        Column("경도", 12, func.trim_scale(func.round(cast(gf.ST_X(h.geom), Numeric), 7)), "number"),
        Column("위도", 12, func.trim_scale(func.round(cast(gf.ST_Y(h.geom), Numeric), 7)), "number"),
    ]


def _visit_columns() -> list[Column]:
    v = Visit
    return [
        Column("방문번호", 9, v.id, "number"),
        Column("가구번호", 9, v.household_id, "number"),
        Column("행정동", 10, Dong.name),
        Column("통", 12, Tract.name),
        Column("주소", 40, Household.address),
        Column("방문일시", 17, v.visited_at, "datetime"),
        Column("방법", 6, label(v.contact_type, CONTACT_TYPES), "label"),
        Column("방문주체", 30, labels_of_rows(VisitVisitor.visitor_type, VisitVisitor.visit_id, v.id, VISITOR_TYPES),
               "label"),
        Column("위기 지표", 40, labels_of_rows(VisitIndicator.indicator, VisitIndicator.visit_id, v.id, INDICATORS),
               "label"),
        Column("욕구", 30, labels_of_rows(VisitNeed.need, VisitNeed.visit_id, v.id, NEEDS, in_vocabulary_order=True),
               "label"),
        Column("위험 점수", 9, v.risk_score, "number"),
        Column("방문 후 위험도", 12, label(v.risk_level_after, LABELS), "label"),
        Column("직접 지정", 9, label(v.risk_override, LABELS), "label"),
        Column("직접 지정 사유", 30, v.override_reason),
        Column("메모", 40, v.notes),
        Column("기록자", 10, User.username),
    ]


def households_export(session: Session, principal: Principal, f: households.HouseholdFilter, sort: str,
                      reveal: bool, purpose: str, resource: str) -> Export:
    """The household list under the same filters as the API. The ids are read and recorded first; the file
    then holds exactly those households, read while it is sent."""
    _require_export_role(principal)
    if f.dong_id is not None:
        places.ensure_dong_visible(session, principal, f.dong_id)
    conds = households.filter_conditions(principal, f)
    ids = list(session.scalars(select(Household.id).where(*conds).limit(MAX_ROWS + 1)))
    _check_size(len(ids))
    access.record(session, principal, "export", resource, ids, purpose)
    rows = (select(Household.id).join(Dong, Dong.id == Household.dong_id)
            .outerjoin(Tract, Tract.id == Household.tract_id)
            .where(_any_of(Household.id, ids)).order_by(*households.order_by(sort)))
    return Export("가구 목록", _household_columns(reveal, get_settings().today()), rows)


def visits_export(session: Session, principal: Principal, dong_id: int | None, date_from: date | None,
                  date_to: date | None, purpose: str, resource: str) -> Export:
    """Visits in the caller's area (optionally one dong and a period), oldest first. Their households are
    recorded first; the file holds visits of those households only, read while it is sent."""
    _require_export_role(principal)
    check_period(date_from, date_to)
    if dong_id is not None:
        places.ensure_dong_visible(session, principal, dong_id)
    conds = [household_scope(principal), *in_days(Visit.visited_at, date_from, date_to)]
    if dong_id is not None:
        conds.append(Household.dong_id == dong_id)
    per_household = session.execute(select(Visit.household_id, func.count()).join(Household)
                                    .where(*conds).group_by(Visit.household_id)).all()
    _check_size(sum(n for _, n in per_household))
    ids = [h for h, _ in per_household]
    access.record(session, principal, "export", resource, ids, purpose)
    rows = (select(Visit.id).join(Household, Household.id == Visit.household_id)
            .join(Dong, Dong.id == Household.dong_id).outerjoin(Tract, Tract.id == Household.tract_id)
            .outerjoin(User, User.id == Visit.recorded_by)
            .where(*conds, _any_of(Visit.household_id, ids)).order_by(Visit.visited_at, Visit.id))
    return Export("방문 기록", _visit_columns(), rows)
