"""The demo seed: 서대문구 with tracts, facilities, demo accounts and the 2015 caseload; idempotent."""
import time
from collections.abc import Callable
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from app.addresses.loader import load_file
from app.addresses.models import AddressEntrance
from app.auth.models import User, UserDong
from app.config import get_settings
from app.facilities.models import Facility
from app.households.models import Household
from app.tracts.models import District, Dong, Tract
from app.visits.models import ServiceLink, Visit, VisitNeed, VisitVisitor
from app.vocab import SHELTER_CATEGORIES
from seed import addresses
from seed import households as hh
from seed.facilities import load_facilities
from seed.places import district_code, district_outline, load_district
from seed.shelters import load_shelters
from seed.users import load_users

DEMO_DISTRICT = "11410"  # 서대문구; 은평구 (11380) is only loaded on request, for tests of a second district

__all__ = ["DEMO_DISTRICT", "counts", "load_addresses", "load_district", "load_households", "run"]


def _stage(engine: Engine, label: str, work: Callable[[Session], object], timings: dict[str, float]):
    """Run one stage in its own transaction and note how long it took."""
    started = time.perf_counter()
    with Session(engine) as session, session.begin():
        result = work(session)
    timings[label] = time.perf_counter() - started
    return result


def load_households(session: Session, code: str, today: date) -> bool:
    """Insert the synthetic caseload unless the district already has households; True when inserted."""
    district_id = session.scalar(select(District.id).where(District.code == code))
    has_any = session.scalar(select(Household.id).join(Dong, Household.dong_id == Dong.id)
                             .where(Dong.district_id == district_id).limit(1))
    if has_any is not None:
        return False
    settings = get_settings()
    dongs = session.execute(select(Dong.id, Dong.code).where(Dong.district_id == district_id)).all()
    dong_ids = {c: i for i, c in dongs}
    dong_code_by_id = {i: c for i, c in dongs}
    tract_ids = {(dong_code_by_id[d], n): i for i, d, n in session.execute(
        select(Tract.id, Tract.dong_id, Tract.number).where(Tract.dong_id.in_(dong_ids.values())))}
    facility_rows = session.execute(select(Facility.id, Facility.code, Facility.dong_id, Facility.category,
                                           Facility.needs_served, Facility.accepting_referrals)
                                    .where(Facility.dong_id.in_(dong_ids.values()),
                                           Facility.category.not_in(SHELTER_CATEGORIES))).all()
    facilities = [hh.FacilityRef(code=r.code, dong_code=dong_code_by_id.get(r.dong_id), category=r.category,
                                 needs_served=list(r.needs_served), accepting_referrals=r.accepting_referrals)
                  for r in facility_rows]
    staff_by_dong = {dong_code_by_id[d]: u for u, d in session.execute(
        select(UserDong.user_id, UserDong.dong_id).join(User, User.id == UserDong.user_id)
        .where(User.role == "dong_staff", UserDong.dong_id.in_(dong_ids.values())).order_by(User.username))}
    cycle_days = {"high": settings.visit_cycle_days_high, "medium": settings.visit_cycle_days_medium,
                  "low": settings.visit_cycle_days_low}
    name, _ = district_outline(code)
    plan = hh.plan(code, name, today, facilities, cycle_days, settings.tz)
    hh.insert_plan(session, plan, dong_ids, tract_ids, {r.code: r.id for r in facility_rows}, staff_by_dong,
                   settings.tz)
    return True


def load_addresses(session: Session) -> int:
    """Load the synthetic 도로명주소 files (seed/data, official layout) like real ones; a second run changes nothing.
    Returns how many rows were inserted or updated."""
    changed = 0
    for path in addresses.paths():
        report = load_file(session, path)
        changed += report["inserted"] + report["updated"]
    return changed


def counts(session: Session, code: str = DEMO_DISTRICT) -> dict[str, int]:
    """The 2015-table figures for one district, straight from the database."""
    district_id = session.scalar(select(District.id).where(District.code == code))
    in_district = select(Household.id).join(Dong, Household.dong_id == Dong.id) \
        .where(Dong.district_id == district_id).scalar_subquery()
    visits_in = select(Visit.id).where(Visit.household_id.in_(in_district)).scalar_subquery()
    by_level = dict(session.execute(select(Household.risk_level, func.count()).where(Household.id.in_(in_district))
                                    .group_by(Household.risk_level)).all())
    return {
        "households": sum(by_level.values()),
        "visited": session.scalar(select(func.count(func.distinct(Visit.household_id)))
                                  .where(Visit.household_id.in_(in_district))),
        "visits": session.scalar(select(func.count()).where(Visit.id.in_(visits_in))),
        **{level: by_level.get(level, 0) for level in ("high", "medium", "low", "unvisited")},
        "visitor_participations": session.scalar(select(func.count()).select_from(VisitVisitor)
                                                 .where(VisitVisitor.visit_id.in_(visits_in))),
        "needs_surveys": session.scalar(select(func.count(func.distinct(VisitNeed.visit_id)))
                                        .where(VisitNeed.visit_id.in_(visits_in))),
        "service_links": session.scalar(select(func.count()).select_from(ServiceLink)
                                         .where(ServiceLink.household_id.in_(in_district))),
        # Welfare facilities (the 2015 map's 461); the heat and cold shelters are counted on their own.
        "facilities": session.scalar(select(func.count()).select_from(Facility)
                                     .where(Facility.category.not_in(SHELTER_CATEGORIES))),
        "shelters": session.scalar(select(func.count()).select_from(Facility)
                                   .where(Facility.category.in_(SHELTER_CATEGORIES))),
        "dongs": session.scalar(select(func.count()).select_from(Dong).where(Dong.district_id == district_id)),
        "tracts": session.scalar(select(func.count()).select_from(Tract).join(Dong, Tract.dong_id == Dong.id)
                                 .where(Dong.district_id == district_id)),
        "users": session.scalar(select(func.count()).select_from(User)),
        "addresses": session.scalar(select(func.count()).select_from(AddressEntrance)),
    }


def run(engine: Engine, today: date | None = None, districts: tuple[str, ...] = ()) -> dict:
    """Seed the demo district (plus any extra `districts`, places only); returns counts and stage timings."""
    today = today or get_settings().today()
    timings: dict[str, float] = {}
    _stage(engine, "districts", lambda s: load_district(s, DEMO_DISTRICT), timings)
    for extra in districts:
        code = district_code(extra)
        if code != DEMO_DISTRICT:
            _stage(engine, f"district {code}", lambda s, c=code: load_district(s, c), timings)
    _stage(engine, "facilities", lambda s: load_facilities(s, DEMO_DISTRICT, today), timings)
    _stage(engine, "shelters", load_shelters, timings)
    _stage(engine, "users", lambda s: load_users(s, DEMO_DISTRICT), timings)
    _stage(engine, "households", lambda s: load_households(s, DEMO_DISTRICT, today), timings)
    _stage(engine, "addresses", load_addresses, timings)
    with Session(engine) as session:
        summary = counts(session)
    return {"counts": summary, "timings": timings, "today": today}
