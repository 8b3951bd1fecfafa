"""Heat and cold shelters (무더위쉼터·한파쉼터): reading the public lists' cells, which are open on a day, the
season a day belongs to, and the shelter nearest a household.

A shelter is a facility of category `heat_shelter` or `cold_shelter` with a row in shelter_details (operating
period, capacity, night and holiday opening). The season of a day comes from the shelters' own periods: a day
inside any heat shelter's period is a 무더위쉼터 day, else a day inside any cold shelter's period is a 한파쉼터
day, else neither.
"""
import re
from datetime import date

from sqlalchemy import and_, exists, select
from sqlalchemy.orm import Session, aliased

from app.facilities.models import Facility, ShelterDetails
from app.vocab import FACILITY_CATEGORIES, SHELTER_CATEGORIES

# The public lists' headers for each shelter field, best first (data.go.kr 행정안전부 무더위쉼터/한파쉼터, the
# 지방행정 표준데이터 and 서울 열린데이터광장 exports name them a little differently).
SHELTER_HEADERS: dict[str, tuple[str, ...]] = {
    "capacity": ("이용가능인원", "이용가능인원수", "동시이용가능인원수", "수용인원"),
    "open_from": ("운영시작일", "운영시작일자"),
    "open_to": ("운영종료일", "운영종료일자"),
    "night_open": ("야간개방여부", "야간개방", "점검사항야간개방여부"),
    "holiday_open": ("휴일개방여부", "휴일개방", "주말휴일개방여부", "점검사항주말휴일개방여부"),
}
SHELTER_LABELS = {"capacity": "이용가능인원", "open_from": "운영시작일", "open_to": "운영종료일",
                  "night_open": "야간개방여부", "holiday_open": "휴일개방여부"}
CODE_PREFIX = {"heat_shelter": "HEAT", "cold_shelter": "COLD"}
YES = frozenset({"Y", "YES", "O", "1", "TRUE", "예", "개방", "가능", "유"})
NO = frozenset({"N", "NO", "X", "0", "FALSE", "아니오", "아니요", "미개방", "불가", "불가능", "무"})
_DATE = re.compile(r"^(\d{4})[-./]?\s*(\d{1,2})[-./]?\s*(\d{1,2})\.?$")
_COUNT = re.compile(r"^(\d[\d,]*)\s*(명)?$")
MAX_CAPACITY = 100_000


def is_shelter(category: str | None) -> bool:
    """Whether a category code is a heat or cold shelter."""
    return category in SHELTER_CATEGORIES


def parse_date(text: str) -> date:
    """2026-05-20, 20260520, 2026.5.20, 2026/05/20 → a date; ValueError (Korean) otherwise."""
    value = text.strip()
    m = _DATE.match(value)
    if not m:
        raise ValueError(f"날짜가 아닙니다: {value} (예: 2026-05-20)")
    try:
        return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        raise ValueError(f"없는 날짜입니다: {value}") from None


def parse_yes_no(text: str) -> bool | None:
    """Y/N (and 예/아니오, O/X, 개방/미개방) → True/False; empty → None (unknown); ValueError otherwise."""
    value = text.strip().upper()
    if not value:
        return None
    if value in YES:
        return True
    if value in NO:
        return False
    raise ValueError(f"Y 또는 N이어야 합니다: {text.strip()}")


def parse_capacity(text: str) -> int | None:
    """`120`, `1,200`, `30명` → people; empty → None; ValueError otherwise."""
    value = text.strip()
    if not value:
        return None
    m = _COUNT.match(value)
    if not m:
        raise ValueError(f"사람 수(0 이상의 정수)가 아닙니다: {value}")
    count = int(m.group(1).replace(",", ""))
    if count > MAX_CAPACITY:
        raise ValueError(f"너무 큰 인원입니다: {value} (최대 {MAX_CAPACITY:,}명)")
    return count


def read_row(cells: dict[str, str]) -> tuple[dict | None, list[tuple[str, str]]]:
    """The shelter columns of one row (operating period required, capacity, night and holiday opening) and the
    problems found, as (field, Korean message) pairs; the values are None when there is any problem."""
    values: dict = {}
    problems: list[tuple[str, str]] = []
    for key, parse in (("open_from", parse_date), ("open_to", parse_date), ("capacity", parse_capacity),
                       ("night_open", parse_yes_no), ("holiday_open", parse_yes_no)):
        text = cells.get(key, "").strip()
        label = SHELTER_LABELS[key]
        if not text and key in ("open_from", "open_to"):
            problems.append((key, f"{label}이(가) 비어 있습니다."))
            continue
        try:
            values[key] = parse(text)
        except ValueError as exc:
            problems.append((key, f"{label}: {exc}"))
    if not problems and values["open_from"] > values["open_to"]:
        problems.append(("open_to", f"운영종료일({values['open_to']})이 운영시작일({values['open_from']})보다 "
                                    "앞섭니다."))
    return (None if problems else values), problems


def open_on_condition(on: date):
    """SQL: a facility is shown on `on`: not a shelter, or a shelter whose operating period holds that day."""
    period = aliased(ShelterDetails)  # the query may join shelter_details itself for the shelters' fields
    open_then = exists().where(period.facility_id == Facility.id, period.open_from <= on, period.open_to >= on)
    return ~Facility.category.in_(SHELTER_CATEGORIES) | open_then


def season(session: Session, on: date) -> str | None:
    """The shelter category in season on a day: `heat_shelter`, else `cold_shelter`, else None."""
    for category in SHELTER_CATEGORIES:  # heat first: a day in both periods is a hot day's question first
        found = session.execute(select(exists().where(and_(
            ShelterDetails.facility_id == Facility.id, Facility.category == category,
            ShelterDetails.open_from <= on, ShelterDetails.open_to >= on)))).scalar()
        if found:
            return category
    return None


def details_read(row: ShelterDetails | None) -> dict:
    """The shelter fields of a facility's API shape (all None for a facility that is not a shelter)."""
    if row is None:
        return {"capacity": None, "open_from": None, "open_to": None, "night_open": None, "holiday_open": None}
    return {"capacity": row.capacity, "open_from": row.open_from, "open_to": row.open_to,
            "night_open": row.night_open, "holiday_open": row.holiday_open}


def line(category: str, distance_m: float) -> str:
    """The household panel's line: 가장 가까운 무더위쉼터 350 m."""
    metres = round(distance_m)
    shown = f"{metres:,} m" if metres < 1000 else f"{distance_m / 1000:.1f} km"
    return f"가장 가까운 {FACILITY_CATEGORIES[category]} {shown}"
