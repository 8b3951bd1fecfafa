"""District statistics (the 2015 table's figures), counted in PostGIS inside the caller's area."""
from datetime import date, datetime, time, timedelta

from sqlalchemy import func, select, true
from sqlalchemy.orm import Session

from app.config import get_settings
from app.errors import Forbidden, InvalidInput
from app.facilities.models import Facility
from app.households.models import Household
from app.policy.principal import Principal
from app.policy.scope import household_scope
from app.tracts import service as places
from app.visits.models import ServiceLink, Visit, VisitNeed, VisitVisitor

# Outside this span a date is a typo, and 9999-12-31 + 1 day would overflow Python's date.
FIRST_DAY = date(2000, 1, 1)
LAST_DAY = date(2100, 12, 31)


def check_period(date_from: date | None, date_to: date | None) -> None:
    """Refuse a period outside 2000..2100 or with from after to (InvalidInput)."""
    for name, day in (("from", date_from), ("to", date_to)):
        if day is not None and not FIRST_DAY <= day <= LAST_DAY:
            raise InvalidInput(f"{name} 날짜는 {FIRST_DAY.year}년부터 {LAST_DAY.year}년 사이여야 합니다.")
    if date_from and date_to and date_from > date_to:
        raise InvalidInput("from이 to보다 늦습니다.")


def in_days(column, date_from: date | None, date_to: date | None) -> list:
    """Conditions keeping a timestamp inside [from, to] as local calendar days."""
    tz = get_settings().tz
    conds = []
    if date_from is not None:
        conds.append(column >= datetime.combine(date_from, time.min, tz))
    if date_to is not None:
        conds.append(column < datetime.combine(date_to + timedelta(days=1), time.min, tz))
    return conds


def _facility_area(principal: Principal, dong_id: int | None):
    if dong_id is not None:
        return Facility.dong_id == dong_id
    if principal.sees_whole_district:
        return true()  # the deployment's facility list is the district's
    return Facility.dong_id.in_(principal.dong_ids)


def stats(session: Session, principal: Principal, dong_id: int | None, date_from: date | None,
          date_to: date | None) -> dict:
    """Caseload now (households, levels, overdue) and work done in the period (visits, needs, links).

    The caseload counts active households; the work counts every household of the area, closed ones too,
    because their visits were made.
    """
    if not principal.is_staff:
        raise Forbidden("통계는 담당 공무원만 볼 수 있습니다.")
    check_period(date_from, date_to)
    if dong_id is not None:
        places.ensure_dong_visible(session, principal, dong_id)
    today = get_settings().today()
    area = [household_scope(principal)] + ([Household.dong_id == dong_id] if dong_id is not None else [])
    active = [*area, Household.status == "active"]
    in_area = select(Household.id).where(*area)
    visits = [Visit.household_id.in_(in_area), *in_days(Visit.visited_at, date_from, date_to)]

    def level(name: str):
        return func.count().filter(Household.risk_level == name)

    caseload = session.execute(
        select(func.count(), level("high"), level("medium"), level("low"), level("unvisited"),
               func.count().filter(Household.next_visit_due < today)).where(*active)
    ).one()
    work = session.execute(select(
        select(func.count()).select_from(Visit).where(*visits).scalar_subquery(),
        select(func.count(func.distinct(Visit.household_id))).where(*visits).scalar_subquery(),
        select(func.count()).select_from(VisitVisitor).join(Visit, Visit.id == VisitVisitor.visit_id)
        .where(*visits).scalar_subquery(),
        select(func.count(func.distinct(VisitNeed.visit_id))).join(Visit, Visit.id == VisitNeed.visit_id)
        .where(*visits).scalar_subquery(),
        select(func.count()).select_from(ServiceLink)
        .where(ServiceLink.household_id.in_(in_area), *in_days(ServiceLink.created_at, date_from, date_to))
        .scalar_subquery(),
        select(func.count()).select_from(Facility).where(_facility_area(principal, dong_id)).scalar_subquery(),
    )).one()
    total, high, medium, low, unvisited, overdue = caseload
    visits_total, visited, participations, needs_surveys, service_links, facilities = work
    return {
        "households_total": total, "households_visited": visited, "visits_total": visits_total,
        "risk": {"high": high, "medium": medium, "low": low, "unvisited": unvisited},
        "visitor_participations": participations, "needs_surveys": needs_surveys,
        "service_links": service_links, "facilities": facilities, "overdue": overdue,
        "dong_id": dong_id, "period_from": date_from, "period_to": date_to, "as_of": today,
    }
