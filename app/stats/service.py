"""District statistics (the 2015 table's figures), counted in PostGIS inside the caller's area."""
from datetime import date, datetime, time, timedelta

from sqlalchemy import exists, func, select, true
from sqlalchemy.orm import Session

from app.config import get_settings
from app.errors import Forbidden, InvalidInput
from app.facilities.models import Facility
from app.facilities.service import referrals_unconfirmed
from app.households.models import Household
from app.policy.principal import Principal
from app.policy.scope import household_scope
from app.reports.models import Report
from app.reports.service import report_scope, waiting_condition
from app.tracts import service as places
from app.tracts.models import Dong
from app.visits.models import ServiceLink, Visit, VisitNeed, VisitVisitor
from app.vocab import NEEDS, OPEN_REPORT_STATUSES, SHELTER_CATEGORIES

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
          date_to: date | None, interval: str = "month") -> dict:
    """Caseload now (households, levels, overdue) and work done in the period (visits, needs, links).

    The caseload counts active households; the work counts every household of the area, closed ones too,
    because their visits were made.
    """
    check_period(date_from, date_to)
    _check_caller(session, principal, dong_id)
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
        # Welfare facilities: heat and cold shelters are an overlay, not facilities a need is referred to.
        select(func.count()).select_from(Facility).where(_facility_area(principal, dong_id),
                                                         Facility.category.not_in(SHELTER_CATEGORIES))
        .scalar_subquery(),
    )).one()
    total, high, medium, low, unvisited, overdue = caseload
    visits_total, visited, participations, needs_surveys, service_links, facilities = work
    breakdowns = Breakdowns(session, principal, area, visits, date_from, date_to, today)
    return {**breakdowns.all(dong_id, interval), "quality": _quality(session, principal, dong_id),
        "households_total": total, "households_visited": visited, "visits_total": visits_total,
        "risk": {"high": high, "medium": medium, "low": low, "unvisited": unvisited},
        "visitor_participations": participations, "needs_surveys": needs_surveys,
        "service_links": service_links, "facilities": facilities, "overdue": overdue,
        "dong_id": dong_id, "period_from": date_from, "period_to": date_to, "as_of": today,
    }


def _check_caller(session: Session, principal: Principal, dong_id: int | None) -> None:
    """Staff only, and a dong inside their area (404 otherwise)."""
    if not principal.is_staff:
        raise Forbidden("통계는 담당 공무원만 볼 수 있습니다.")
    if dong_id is not None:
        places.ensure_dong_visible(session, principal, dong_id)


def quality(session: Session, principal: Principal, dong_id: int | None) -> dict:
    """What needs checking now in the caller's area (not the period's): points placed only approximately,
    households past their visit cycle, reports untriaged too long or with no place, facilities whose referral
    capacity is unconfirmed. Each count is what the filtered list it opens shows."""
    _check_caller(session, principal, dong_id)
    return _quality(session, principal, dong_id)


def _quality(session: Session, principal: Principal, dong_id: int | None) -> dict:
    settings = get_settings()
    today = settings.today()
    active = [household_scope(principal), Household.status == "active"]
    if dong_id is not None:
        active.append(Household.dong_id == dong_id)
    reports = [report_scope(principal), Report.status.in_(OPEN_REPORT_STATUSES)]
    if dong_id is not None:
        reports.append(Report.dong_id == dong_id)
    approximate, late = session.execute(select(
        func.count().filter(Household.placement == "approximate"),
        func.count().filter(Household.next_visit_due < today)).where(*active)).one()
    waiting, unplaced = session.execute(select(
        func.count().filter(waiting_condition(today)), func.count().filter(Report.dong_id.is_(None)))
        .where(*reports)).one()
    facilities = session.execute(select(func.count()).select_from(Facility).where(
        _facility_area(principal, dong_id), referrals_unconfirmed(today))).scalar_one()
    return {"households_approximate": approximate, "overdue": late,
            "reports_waiting": waiting, "reports_unplaced": unplaced,
            "facilities_unconfirmed": facilities, "report_waiting_days": settings.report_waiting_days,
            "referral_confirm_days": settings.referral_confirm_days, "as_of": today}


class Breakdowns:
    """The figures the statistics screen draws: per dong, per week or month, per need and service, and the
    intake of blind-spot reports. Each adds up to the totals above (same area, same period)."""

    def __init__(self, session: Session, principal: Principal, area: list, visits: list, date_from: date | None,
                 date_to: date | None, today: date):
        self.session, self.principal, self.area, self.visits = session, principal, area, visits
        self.date_from, self.date_to, self.today = date_from, date_to, today

    def all(self, dong_id: int | None, interval: str) -> dict:
        return {"by_dong": self.by_dong(dong_id), "visits_series": self.visits_series(interval),
                "series_interval": interval, "needs_top": self.needs(), "service_links_by": self.service_links(),
                "intake": self.intake(dong_id)}

    def by_dong(self, dong_id: int | None) -> list[dict]:
        """Caseload and work per dong of the area, in dong code order (dongs without households too)."""
        h = Household
        dongs = select(Dong.id, Dong.name).order_by(Dong.code)
        if dong_id is not None:
            dongs = dongs.where(Dong.id == dong_id)
        elif not self.principal.sees_whole_district:
            dongs = dongs.where(Dong.id.in_(self.principal.dong_ids))
        active = [*self.area, h.status == "active"]

        def level(name: str):
            return func.count().filter(h.risk_level == name)

        caseload = {row[0]: row[1:] for row in self.session.execute(
            select(h.dong_id, func.count(), level("high"), level("medium"), level("low"), level("unvisited"),
                   func.count().filter(h.next_visit_due < self.today)).where(*active).group_by(h.dong_id))}
        work = {row[0]: row[1:] for row in self.session.execute(
            select(h.dong_id, func.count(), func.count(func.distinct(Visit.household_id)))
            .join(Visit, Visit.household_id == h.id).where(*self.area, *self.visits).group_by(h.dong_id))}
        links = dict(self.session.execute(
            select(h.dong_id, func.count()).join(ServiceLink, ServiceLink.household_id == h.id)
            .where(*self.area, *in_days(ServiceLink.created_at, self.date_from, self.date_to))
            .group_by(h.dong_id)).all())
        out = []
        for did, name in self.session.execute(dongs):
            total, high, medium, low, unvisited, overdue = caseload.get(did, (0,) * 6)
            visits_total, visited = work.get(did, (0, 0))
            out.append({"dong_id": did, "dong_name": name, "households_total": total,
                        "households_visited": visited, "visits_total": visits_total,
                        "risk": {"high": high, "medium": medium, "low": low, "unvisited": unvisited},
                        "overdue": overdue, "service_links": links.get(did, 0)})
        return out

    def visits_series(self, interval: str) -> list[dict]:
        """Visits and households visited per local week (from Monday) or month, oldest first."""
        start = func.date_trunc(interval, func.timezone(get_settings().timezone, Visit.visited_at)).label("start")
        rows = self.session.execute(
            select(start, func.count(), func.count(func.distinct(Visit.household_id)))
            .where(*self.visits).group_by(start).order_by(start))
        return [{"start": at.date(), "visits": n, "households": households} for at, n, households in rows]

    def needs(self) -> list[dict]:
        """How many visits of the period recorded each need, most often first."""
        count = func.count().label("n")
        rows = self.session.execute(select(VisitNeed.need, count).join(Visit, Visit.id == VisitNeed.visit_id)
                                    .where(*self.visits).group_by(VisitNeed.need).order_by(count.desc(),
                                                                                            VisitNeed.need))
        return [{"need": need, "label": NEEDS.get(need, need), "count": n} for need, n in rows]

    def service_links(self) -> list[dict]:
        """Service links made in the period by kind and where they stand now."""
        rows = self.session.execute(
            select(ServiceLink.type, ServiceLink.status, func.count())
            .where(ServiceLink.household_id.in_(select(Household.id).where(*self.area)),
                   *in_days(ServiceLink.created_at, self.date_from, self.date_to))
            .group_by(ServiceLink.type, ServiceLink.status).order_by(ServiceLink.type, ServiceLink.status))
        return [{"type": kind, "status": status, "count": n} for kind, status, n in rows]

    def intake(self, dong_id: int | None) -> dict:
        """Blind-spot reports received in the period → placed in a dong → made households → those visited
        since. Reports no one could place count in the district's figure only."""
        if dong_id is not None:
            where = [Report.dong_id == dong_id]
        elif self.principal.sees_whole_district:
            where = []
        else:
            where = [Report.dong_id.in_(self.principal.dong_ids)]
        where += in_days(Report.created_at, self.date_from, self.date_to)
        visited = exists(select(Visit.id).where(Visit.household_id == Report.household_id,
                                                Visit.visited_at >= Report.created_at))
        received, placed, converted, followed = self.session.execute(
            select(func.count(), func.count().filter(Report.dong_id.is_not(None)),
                   func.count().filter(Report.status == "converted"),
                   func.count().filter(Report.status == "converted", visited)).where(*where)).one()
        return {"received": received, "placed": placed, "converted": converted, "visited": followed}
