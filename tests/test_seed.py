"""The demo seed: the 2015 table exactly, consistent visits and risk, real places, idempotent runs."""
import os
import subprocess
import sys
from collections import defaultdict
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import create_engine, func, select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from app.auth.models import PermissionEvent, User, UserDong, UserTract
from app.auth.security import verify_password
from app.config import get_settings
from app.db import Base
from app.dev.pgcluster import drop_database
from app.facilities.models import Facility
from app.households.models import Household
from app.models import ServiceLink, ServiceLinkEvent, Visit, VisitIndicator, VisitNeed, VisitVisitor
from app.risk import rules
from app.tracts.models import District, Dong, Tract
from app.vocab import FACILITY_CATEGORIES, NEEDS, SHELTER_CATEGORIES, VISITOR_TYPES
from seed import households
from seed.facilities import facility_plans
from seed.load import counts, run
from seed.places import load_district
from tests.conftest import DEMO_PASSWORD, ROOT, fresh_database

# 서대문구 행복-맵, 2 Dec 2015 (DOMAIN.md).
TABLE_2015 = {
    "households": 10_497, "visited": 5_950, "visits": 13_608,
    "high": 36, "medium": 583, "low": 5_331, "unvisited": 4_547,
    "visitor_participations": 19_024, "needs_surveys": 9_373, "service_links": 4_961, "facilities": 461,
}
SEODAEMUN_DONGS = ["천연동", "북아현동", "충현동", "신촌동", "연희동", "홍제1동", "홍제3동", "홍제2동", "홍은1동",
                   "홍은2동", "남가좌1동", "남가좌2동", "북가좌1동", "북가좌2동"]


def test_counts_reproduce_the_2015_table(session: Session):
    figures = counts(session, "11410")
    assert {k: figures[k] for k in TABLE_2015} == TABLE_2015
    # The same figures counted independently of the seed's helper.
    assert session.scalar(select(func.count()).select_from(Household)) == 10_497
    assert session.scalar(select(func.count(func.distinct(Visit.household_id)))) == 5_950
    assert session.scalar(select(func.count()).select_from(Visit)) == 13_608
    assert session.scalar(select(func.count()).select_from(VisitVisitor)) == 19_024
    assert session.scalar(select(func.count(func.distinct(VisitNeed.visit_id)))) == 9_373
    assert session.scalar(select(func.count()).select_from(ServiceLink)) == 4_961
    # The 461 are welfare facilities; the demo's synthetic heat and cold shelters are facilities of their own
    # categories, counted apart (tests/test_shelters.py).
    assert session.scalar(select(func.count()).select_from(Facility)
                          .where(Facility.category.not_in(SHELTER_CATEGORIES))) == 461
    assert session.scalar(select(func.count()).select_from(Facility)
                          .where(Facility.category.in_(SHELTER_CATEGORIES))) == figures["shelters"] == 70
    assert dict(session.execute(select(Household.risk_level, func.count()).group_by(Household.risk_level)).all()) \
        == {"high": 36, "medium": 583, "low": 5_331, "unvisited": 4_547}
    assert session.scalar(select(func.count()).where(~Household.is_synthetic)) == 0


def test_district_dongs_and_tracts_come_from_the_real_boundaries(session: Session):
    district = session.scalars(select(District).where(District.code == "11410")).one()
    assert district.name == "서대문구"
    dongs = session.scalars(select(Dong).where(Dong.district_id == district.id).order_by(Dong.code)).all()
    assert [d.name for d in dongs] == SEODAEMUN_DONGS
    assert dongs[0].code == "1141052000" and dongs[0].stat_code == "1113052"
    assert session.scalar(select(func.count()).where(Dong.district_id == district.id,
                                                     func.ST_GeometryType(Dong.geom) != "ST_MultiPolygon")) == 0
    assert session.scalar(select(func.count()).where(Dong.district_id == district.id,
                                                     ~func.ST_Covers(Dong.geom, Dong.office_geom))) == 0
    per_dong = dict(session.execute(select(Tract.dong_id, func.count()).group_by(Tract.dong_id)).all())
    for dong in dongs:
        assert 20 <= per_dong[dong.id] <= 25
        names = session.scalars(select(Tract.name).where(Tract.dong_id == dong.id).order_by(Tract.number)).all()
        assert names == [f"{dong.name} {k}통" for k in range(1, per_dong[dong.id] + 1)]
    # Tracts tile their dong: the same planar area, no overlap between neighbours.
    tract_area = select(Tract.dong_id, func.sum(func.ST_Area(Tract.geom)).label("area")) \
        .group_by(Tract.dong_id).subquery()
    gaps = session.execute(select(Dong.name, func.ST_Area(Dong.geom), tract_area.c.area)
                           .join(tract_area, tract_area.c.dong_id == Dong.id)).all()
    assert len(gaps) == 14
    for name, dong_area, tracts_area in gaps:
        assert abs(dong_area - tracts_area) < 1e-9 * dong_area, name
    other = Tract.__table__.alias("other")
    overlaps = session.scalar(select(func.count()).select_from(Tract.__table__.join(
        other, (other.c.dong_id == Tract.dong_id) & (other.c.id > Tract.id)))
        .where(func.ST_Area(func.geography(func.ST_Intersection(Tract.geom, other.c.geom))) > 1.0))
    assert overlaps == 0


def test_every_household_lies_in_its_tract_and_dong(session: Session):
    outside_tract = session.scalar(select(func.count()).select_from(Household)
                                   .join(Tract, Tract.id == Household.tract_id)
                                   .where(~func.ST_Covers(Tract.geom, Household.geom)))
    outside_dong = session.scalar(select(func.count()).select_from(Household)
                                  .join(Dong, Dong.id == Household.dong_id)
                                  .where(~func.ST_Covers(Dong.geom, Household.geom)))
    wrong_dong = session.scalar(select(func.count()).select_from(Household)
                                .join(Tract, Tract.id == Household.tract_id).where(Tract.dong_id != Household.dong_id))
    outside_district = session.scalar(select(func.count()).select_from(Household)
                                      .join(Dong, Dong.id == Household.dong_id)
                                      .join(District, District.id == Dong.district_id)
                                      .where(~func.ST_Covers(District.geom, Household.geom)))
    assert (outside_tract, outside_dong, wrong_dong, outside_district) == (0, 0, 0, 0)
    assert session.scalar(select(func.count()).where(Household.tract_id.is_(None))) == 0


def test_risk_level_follows_the_latest_visit_under_the_rules(session: Session):
    settings = get_settings()
    tz = settings.tz
    cycles = {"high": settings.visit_cycle_days_high, "medium": settings.visit_cycle_days_medium,
              "low": settings.visit_cycle_days_low}
    households = {h.id: h for h in session.scalars(select(Household))}
    latest: dict[int, Visit] = {}
    for v in session.scalars(select(Visit).order_by(Visit.visited_at)):
        latest[v.household_id] = v
    indicators = defaultdict(set)
    for visit_id, code in session.execute(select(VisitIndicator.visit_id, VisitIndicator.indicator)):
        indicators[visit_id].add(code)
    now = settings.now()
    overdue = defaultdict(int)
    for h in households.values():
        if h.risk_level == "unvisited":
            assert h.id not in latest and h.last_visit_at is None
            assert h.next_visit_due == h.registered_on
            continue
        visit = latest[h.id]
        assessment = rules.assess(indicators[visit.id])
        assert assessment.level == h.risk_level == visit.risk_level_after
        assert (h.risk_score, h.risk_reason) == (assessment.score, assessment.reason)
        assert h.last_visit_at == visit.visited_at
        last_day = visit.visited_at.astimezone(tz).date()
        assert h.next_visit_due == rules.next_visit_due(h.risk_level, last_day, h.registered_on, cycles)
        overdue[h.risk_level] += rules.is_overdue(h.next_visit_due, now.date())
    # A realistic demo: some visited households are overdue, most are not.
    visited = 5_950
    assert 0.1 * visited < sum(overdue.values()) < 0.5 * visited
    first_visit = dict(session.execute(select(Visit.household_id, func.min(Visit.visited_at))
                                       .group_by(Visit.household_id)).all())
    for household_id, first in first_visit.items():
        assert first.astimezone(tz).date() >= households[household_id].registered_on
    assert session.scalar(select(func.max(Visit.visited_at))) <= now
    assert session.scalar(select(func.min(Visit.visited_at))) >= now - timedelta(days=401)


def test_visitors_needs_and_service_links_are_consistent(session: Session):
    per_visit = dict(session.execute(select(VisitVisitor.visit_id, func.count()).group_by(VisitVisitor.visit_id)).all())
    assert len(per_visit) == 13_608 and set(per_visit.values()) <= {1, 2}
    assert set(session.scalars(select(VisitVisitor.visitor_type).distinct())) <= set(VISITOR_TYPES)
    assert set(session.scalars(select(VisitNeed.need).distinct())) <= set(NEEDS)
    # Each link answers a need found on its visit, and its history ends in its status.
    found = set(session.execute(select(VisitNeed.visit_id, VisitNeed.need)).all())
    links = session.scalars(select(ServiceLink)).all()
    assert all((link.visit_id, link.need) in found for link in links)
    history = defaultdict(list)
    for e in session.scalars(select(ServiceLinkEvent).order_by(ServiceLinkEvent.changed_at, ServiceLinkEvent.id)):
        history[e.service_link_id].append(e.status)
    assert all(history[link.id] and history[link.id][-1] == link.status for link in links)
    assert all(history[link.id][0] == "requested" for link in links)
    with_facility = [link for link in links if link.facility_id is not None]
    assert 0 < len(with_facility) < len(links)
    # open_needs = needs found on the household's visits, less those met by a delivered link.
    needs_of = defaultdict(set)
    for household_id, need in session.execute(select(Visit.household_id, VisitNeed.need)
                                              .join(VisitNeed, VisitNeed.visit_id == Visit.id)):
        needs_of[household_id].add(need)
    met = defaultdict(set)
    for link in links:
        if link.status == "delivered":
            met[link.household_id].add(link.need)
    for household_id, open_needs in session.execute(select(Household.id, Household.open_needs)):
        assert set(open_needs) == needs_of[household_id] - met[household_id]


def test_facilities_real_rows_placed_in_their_dong_and_topped_up(session: Session):
    facilities = session.scalars(select(Facility).where(Facility.category.not_in(SHELTER_CATEGORIES))).all()
    assert len(facilities) == 461
    assert {f.category for f in facilities} <= set(FACILITY_CATEGORIES)
    real = [f for f in facilities if not f.is_synthetic]
    synthetic = [f for f in facilities if f.is_synthetic]
    assert len(real) == 89  # 서대문구 rows of the Seoul list with an address in Seoul
    assert all(f.source == "synthetic" and f.code.startswith("SYN-") for f in synthetic)
    assert all(f.source != "synthetic" for f in real)
    food_bank = next(f for f in facilities if f.name == "서대문기초푸드뱅크")
    assert food_bank.category == "food_bank" and "food" in food_bank.needs_served and food_bank.code == "F04425"
    exact = {f.name: f for f in facilities if f.location_quality == "exact"}
    assert set(exact) == {"서대문장애인종합복지관", "시립서대문농아인복지관"}
    names = dict(session.execute(select(Dong.id, Dong.name)).all())
    assert names[exact["시립서대문농아인복지관"].dong_id] == "남가좌1동"
    assert names[exact["서대문장애인종합복지관"].dong_id] == "북아현동"
    assert session.scalar(select(func.count()).select_from(Facility).join(Dong, Dong.id == Facility.dong_id)
                          .where(func.ST_Covers(Dong.geom, Facility.geom),
                                 Facility.category.not_in(SHELTER_CATEGORIES))) == 461
    by_code = {f.code: f for f in facilities}
    assert by_code["Z5196"].category == "welfare_centre"  # 서대문종합사회복지관
    assert names[by_code["Z5196"].dong_id] in {"남가좌1동", "남가좌2동"}  # "(남가좌동)" in its address
    assert sum(f.accepting_referrals for f in facilities) > 0.8 * 461
    assert all(f.referrals_confirmed_on is not None for f in facilities)


def test_demo_accounts_for_every_role(session: Session):
    users = {u.username: u for u in session.scalars(select(User))}
    expected = {"admin", "district", "partner01", *(f"dong{k:02d}" for k in range(1, 15)),
                "tongjang01", "tongjang02", "tongjang03"}
    assert expected <= set(users)
    assert users["admin"].role == "admin" and users["district"].role == "district_staff"
    assert verify_password(users["dong01"].password_hash, DEMO_PASSWORD)
    dong_names = dict(session.execute(select(Dong.id, Dong.name)).all())
    scopes = defaultdict(list)
    for user_id, dong_id in session.execute(select(UserDong.user_id, UserDong.dong_id)):
        scopes[user_id].append(dong_names[dong_id])
    for k, name in enumerate(SEODAEMUN_DONGS, start=1):
        user = users[f"dong{k:02d}"]
        assert user.role == "dong_staff" and scopes[user.id] == [name] and user.display_name == f"{name} 담당"
    for username in ("tongjang01", "tongjang02", "tongjang03"):
        user = users[username]
        tract = session.scalars(select(Tract).join(UserTract, UserTract.tract_id == Tract.id)
                                .where(UserTract.user_id == user.id)).one()
        assert user.role == "tongjang" and scopes[user.id] == [dong_names[tract.dong_id]]
    partner = users["partner01"]
    assert partner.role == "partner"
    assert session.get(Facility, partner.facility_id).name == "서대문기초푸드뱅크"
    created = set(session.scalars(select(PermissionEvent.user_id).where(PermissionEvent.action == "create")))
    assert {u.id for name, u in users.items() if name in expected} <= created


def test_second_district_loads_places_only(session: Session):
    assert load_district(session, "11380") is True
    district = session.scalars(select(District).where(District.code == "11380")).one()
    assert district.name == "은평구"
    dongs = session.scalars(select(Dong).where(Dong.district_id == district.id)).all()
    assert len(dongs) == 16
    tracts = dict(session.execute(select(Tract.dong_id, func.count()).join(Dong, Dong.id == Tract.dong_id)
                                  .where(Dong.district_id == district.id).group_by(Tract.dong_id)).all())
    assert len(tracts) == 16 and all(20 <= n <= 25 for n in tracts.values())
    assert session.scalar(select(func.count()).select_from(Household).join(Dong, Dong.id == Household.dong_id)
                          .where(Dong.district_id == district.id)) == 0
    assert load_district(session, "eunpyeong") is False  # already there


def _snapshot(engine) -> dict[str, tuple]:
    """Row count and highest id of every table."""
    with Session(engine) as s:
        result = {}
        for table in Base.metadata.sorted_tables:
            top = func.max(table.c.id) if "id" in table.c else func.count()
            result[table.name] = tuple(s.execute(select(func.count(), top).select_from(table)).one())
        return result


def test_running_again_changes_nothing_and_cli_adds_eunpyeong(pg_server, seeded_template):
    url = fresh_database(pg_server, seeded_template)
    name = make_url(url).database
    engine = create_engine(url)
    try:
        before = _snapshot(engine)
        result = run(engine)
        assert _snapshot(engine) == before
        assert {k: result["counts"][k] for k in TABLE_2015} == TABLE_2015
        env = {**os.environ, "DATABASE_URL": url, "HAPPYMAP_DEMO_PASSWORD": DEMO_PASSWORD}
        done = subprocess.run([sys.executable, "-m", "seed", "--district", "eunpyeong"], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        assert "가구: 10,497" in done.stdout
        with Session(engine) as s:
            eunpyeong = s.scalar(select(District.id).where(District.code == "11380"))
            assert s.scalar(select(func.count()).where(Dong.district_id == eunpyeong)) == 16
            assert s.scalar(select(func.count()).select_from(Household)) == 10_497
        after_cli = _snapshot(engine)
        run(engine, districts=("eunpyeong",))
        assert _snapshot(engine) == after_cli
    finally:
        engine.dispose()
        drop_database(pg_server.admin_url, name)


def test_plan_is_deterministic():
    refs = [households.FacilityRef(p.code, None, p.category, p.needs_served, True)
            for p in facility_plans("11410")]
    cycles = {"high": 30, "medium": 90, "low": 180}
    first = households.plan("11410", "서대문구", date(2026, 3, 1), refs, cycles, ZoneInfo("Asia/Seoul"))
    second = households.plan("11410", "서대문구", date(2026, 3, 1), refs, cycles, ZoneInfo("Asia/Seoul"))
    assert first == second
    assert len(first.households) == 10_497 and len(first.visits) == 13_608 and len(first.links) == 4_961
