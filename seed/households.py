"""Synthetic households with visits, needs and service links that add up to the 2015 table."""
import math
import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from itertools import combinations
from zoneinfo import ZoneInfo

import shapely
from sqlalchemy.orm import Session

from app.households.models import Household
from app.risk import rules
from app.visits.models import (
    ServiceLink,
    ServiceLinkEvent,
    Visit,
    VisitIndicator,
    VisitNeed,
    VisitVisitor,
)
from app.vocab import NEEDS
from seed import addresses
from seed.bulk import insert_returning_ids, insert_rows
from seed.names import fake_lot, fake_mobile, fake_name, household_address
from seed.places import district_outline, dong_sources, tract_shapes

# The 2015 table of 서대문구 행복-맵 (DOMAIN.md); the seed reproduces it exactly.
HOUSEHOLDS = 10_497
LEVEL_COUNTS = {"high": 36, "medium": 583, "low": 5_331, "unvisited": 4_547}
VISITS = 13_608
VISITOR_PARTICIPATIONS = 19_024
NEEDS_SURVEYS = 9_373
SERVICE_LINKS = 4_961
TABLE_2015 = {
    "households": HOUSEHOLDS, "visited": HOUSEHOLDS - LEVEL_COUNTS["unvisited"], "visits": VISITS,
    **LEVEL_COUNTS, "visitor_participations": VISITOR_PARTICIPATIONS, "needs_surveys": NEEDS_SURVEYS,
    "service_links": SERVICE_LINKS,
}
SEED = "happymap-households-2015"

# How common each indicator is among welfare households: makes the drawn sets look plausible.
PREVALENCE = {
    "elderly_alone": 0.30, "serious_illness": 0.15, "disability": 0.15, "isolation": 0.12, "unemployment": 0.12,
    "rent_arrears": 0.10, "insurance_arrears": 0.10, "debt": 0.08, "other": 0.05, "utility_cutoff": 0.04,
    "housing_crisis": 0.04, "child_at_risk": 0.03, "disaster": 0.01,
}
NEEDS_FOR_INDICATOR = {
    "utility_cutoff": ["heating_cooling", "finance", "food"], "rent_arrears": ["rental_housing", "finance"],
    "insurance_arrears": ["finance", "medical"], "unemployment": ["employment", "food"],
    "serious_illness": ["medical", "care"], "disability": ["care", "medical"], "elderly_alone": ["care", "food"],
    "isolation": ["mental_health", "care"], "housing_crisis": ["rental_housing", "house_repair"],
    "debt": ["finance", "legal"], "child_at_risk": ["care", "education"],
    "disaster": ["house_repair", "heating_cooling"], "other": ["other"],
}
GENERAL_NEEDS = {"food": 5, "care": 4, "medical": 3, "heating_cooling": 3, "house_repair": 2, "education": 1,
                 "finance": 1}
SERVICES_FOR_NEED = {
    "food": {"in_kind_support": 4, "referral": 4, "sponsorship": 1},
    "rental_housing": {"benefit_application": 3, "referral": 2, "case_management": 1},
    "employment": {"referral": 4, "benefit_application": 1},
    "house_repair": {"sponsorship": 3, "in_kind_support": 2, "referral": 1},
    "heating_cooling": {"in_kind_support": 3, "sponsorship": 2, "cash_support": 1},
    "medical": {"benefit_application": 3, "referral": 2, "cash_support": 1},
    "care": {"referral": 4, "case_management": 2, "benefit_application": 1},
    "finance": {"case_management": 2, "benefit_application": 2, "cash_support": 2, "referral": 1},
    "education": {"referral": 3, "sponsorship": 1},
    "mental_health": {"referral": 3, "case_management": 2},
    "legal": {"referral": 2, "case_management": 1},
    "other": {"case_management": 2, "cash_support": 1},
}
FACILITY_SERVICES = {"referral", "in_kind_support", "sponsorship"}
# Which kind of place a link goes to first: a food bank for food, a 복지관 before a 경로당.
CATEGORY_PREFERENCE = {
    "food_bank": 8, "welfare_centre": 6, "self_sufficiency_centre": 6, "senior_welfare_centre": 4,
    "disability_welfare_centre": 4, "dementia_centre": 3, "family_centre": 3, "mental_health_centre": 3,
    "public_health_centre": 3, "community_child_centre": 2, "care_centre": 2, "senior_care": 2,
    "disability_service": 1, "other": 1, "senior_centre": 0.3,
}
SINGLE_VISITORS = {"official": 50, "welfare_tongjang": 25, "visiting_nurse": 10, "council_member": 7,
                   "partner_worker": 4, "volunteer": 4}
PAIRED_VISITORS = {("official", "welfare_tongjang"): 55, ("official", "visiting_nurse"): 12,
                   ("official", "welfare_dong_head"): 10, ("welfare_tongjang", "council_member"): 10,
                   ("official", "council_member"): 8, ("welfare_tongjang", "volunteer"): 5}
VISIT_NOTES = {"visit": ["정기 방문 상담", "가정 방문, 생활 실태 확인", "복지통장 동행 방문", "안부 확인 방문"],
               "phone": ["전화 안부 확인", "전화 상담", "전화로 서비스 안내"], "other": ["주민센터 내방 상담"]}
# Days since the latest visit, drawn per level: about 3 in 10 visited households end up overdue.
LATEST_VISIT_DAYS = {"high": 42, "medium": 125, "low": 250}
VISIT_WINDOW_DAYS = 400
MEMBERS_WEIGHTS = {1: 45, 2: 25, 3: 13, 4: 10, 5: 5, 6: 2}


@dataclass
class FacilityRef:
    code: str
    dong_code: str | None
    category: str
    needs_served: list[str]
    accepting_referrals: bool


@dataclass
class HouseholdPlan:
    dong_code: str
    tract_number: int
    lon: float
    lat: float
    head_name: str
    address: str
    registered_address: str
    members: int
    phone: str
    registered_on: date
    risk_level: str
    risk_score: int | None = None
    risk_reason: str | None = None
    last_visit_at: datetime | None = None
    next_visit_due: date | None = None
    open_needs: list[str] = field(default_factory=list)


@dataclass
class VisitPlan:
    household: int  # index into the household plans
    visited_at: datetime
    contact_type: str
    indicators: tuple[str, ...]
    needs: tuple[str, ...] = ()
    visitors: tuple[str, ...] = ()
    risk_level_after: str = "low"
    risk_score: int | None = None
    notes: str | None = None


@dataclass
class LinkPlan:
    household: int
    visit: int  # index into the visit plans
    type: str
    need: str
    facility_code: str | None
    status: str
    created_at: datetime
    events: list[tuple[str, datetime, str]]


@dataclass
class Plan:
    households: list[HouseholdPlan]
    visits: list[VisitPlan]
    links: list[LinkPlan]


def allocate(total: int, weights: list[float]) -> list[int]:
    """Split `total` into integers proportional to `weights` (largest remainder), summing exactly."""
    s = sum(weights)
    raw = [total * w / s for w in weights]
    counts = [math.floor(r) for r in raw]
    by_remainder = sorted(range(len(raw)), key=lambda i: (-(raw[i] - counts[i]), i))
    for i in by_remainder[: total - sum(counts)]:
        counts[i] += 1
    return counts


def pick_exactly(rng: random.Random, weights: list[float], k: int) -> set[int]:
    """Exactly k distinct indices, each more likely the heavier it is (Efraimidis–Spirakis)."""
    keys = sorted(((rng.random() ** (1.0 / w), i) for i, w in enumerate(weights) if w > 0), reverse=True)
    if len(keys) < k:
        raise ValueError(f"{k}개를 고를 후보가 {len(keys)}개뿐입니다.")
    return {i for _, i in keys[:k]}


def _choice(rng: random.Random, weighted: dict):
    return rng.choices(list(weighted), weights=list(weighted.values()))[0]


def indicator_pools() -> dict[str, tuple[list[tuple[str, ...]], list[float]]]:
    """Every indicator set of up to 4 codes, grouped by the level the rules give it, with a plausibility weight."""
    codes = sorted(PREVALENCE)
    pools: dict[str, tuple[list, list]] = {"high": ([], []), "medium": ([], []), "low": ([], [])}
    for size in range(0, 5):
        for combo in combinations(codes, size):
            weight = math.prod(PREVALENCE[c] / (1 - PREVALENCE[c]) for c in combo)
            sets, weights = pools[rules.assess(combo).level]
            sets.append(combo)
            weights.append(weight)
    return pools


def _points_in(rng: random.Random, tract, dong, n: int) -> list[tuple[float, float]]:
    minx, miny, maxx, maxy = tract.bounds
    points = []
    while len(points) < n:
        x, y = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
        if shapely.contains_xy(tract, x, y) and shapely.contains_xy(dong, x, y):
            points.append((x, y))
    return points


def _place_households(rng: random.Random, district_code: str, district_name: str, today: date) -> list[HouseholdPlan]:
    sources = dong_sources(district_code)
    # Hills and campuses make area a poor proxy for people: the square root evens it out.
    per_dong = allocate(HOUSEHOLDS, [math.sqrt(d.geom.area) for d in sources])
    plans = []
    moved_to: dict[int, str] = {}  # household index → dong code of its registered address
    for dong, count in zip(sources, per_dong, strict=False):
        shapely.prepare(dong.geom)
        tracts = tract_shapes(dong.code, district_code)
        per_tract = allocate(count, [t.area * rng.uniform(0.6, 1.4) for t in tracts])
        for number, (tract, n) in enumerate(zip(tracts, per_tract, strict=False), start=1):
            shapely.prepare(tract)
            for lon, lat in _points_in(rng, tract, dong.geom, n):
                # The lots drawn here are no longer used (the address is its building's, below); they are still
                # drawn so that every other value of the seed stays what it was.
                fake_lot(rng)
                # About one in ten lives somewhere other than the registered address (실거주지 ≠ 주민등록지).
                if rng.random() < 0.1:
                    moved_to[len(plans)] = rng.choice(sources).code
                    fake_lot(rng)
                plans.append(HouseholdPlan(
                    dong_code=dong.code, tract_number=number, lon=lon, lat=lat, head_name=fake_name(rng),
                    address="", registered_address="", members=_choice(rng, MEMBERS_WEIGHTS),
                    phone=fake_mobile(rng), registered_on=today - timedelta(days=rng.randint(365, 730)),
                    risk_level="unvisited"))
    _give_addresses(plans, moved_to)
    levels = [level for level, n in LEVEL_COUNTS.items() for _ in range(n)]
    rng.shuffle(levels)
    for plan, level in zip(plans, levels, strict=False):
        plan.risk_level = level
        plan.next_visit_due = plan.registered_on
    return plans


def _give_addresses(plans: list[HouseholdPlan], moved_to: dict[int, str]) -> None:
    """Each household's address is its own synthetic building (at its point, seed/addresses.py); a household
    registered elsewhere is registered at another household's building in the drawn dong."""
    buildings = addresses.household_buildings(plans)
    in_dong: dict[str, list[int]] = {}
    for i, h in enumerate(plans):
        in_dong.setdefault(h.dong_code, []).append(i)
    for i, (h, b) in enumerate(zip(plans, buildings, strict=True)):
        h.address = household_address(b.road_address, b.lot_address(), addresses.stable("household", i))
        h.registered_address = h.address
        if i in moved_to:
            others = [j for j in in_dong[moved_to[i]] if j != i]
            h.registered_address = buildings[others[addresses.stable("registered", i) % len(others)]].road_address


def household_places(district_code: str) -> list[HouseholdPlan]:
    """The households as the seed places them (points, dongs, tracts, addresses), without their visits."""
    name, _ = district_outline(district_code)
    return _place_households(random.Random(SEED), district_code, name, date(2000, 1, 1))


def _at(rng: random.Random, day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time(rng.randint(9, 17), rng.randint(0, 59)), tz)


def _plan_visits(rng: random.Random, households: list[HouseholdPlan], today: date, tz: ZoneInfo,
                 cycle_days: dict[str, int]) -> list[VisitPlan]:
    pools = indicator_pools()

    def draw(level: str) -> tuple[str, ...]:
        if level == "low" and rng.random() < 0.5:
            return ()  # most low-risk visits find nothing
        sets, weights = pools[level]
        return rng.choices(sets, weights=weights)[0]

    visited = [i for i, h in enumerate(households) if h.risk_level != "unvisited"]
    counts = {i: 1 for i in visited}
    extra_weight = {"high": 8, "medium": 4, "low": 1}
    weights = [extra_weight[households[i].risk_level] for i in visited]
    extra = VISITS - len(visited)
    while extra:
        i = rng.choices(visited, weights=weights)[0]
        if counts[i] < 12:
            counts[i] += 1
            extra -= 1
    neighbour = {"high": ["medium"], "medium": ["high", "low"], "low": ["medium"]}
    visits: list[VisitPlan] = []
    for i in visited:
        h = households[i]
        start = max(h.registered_on, today - timedelta(days=VISIT_WINDOW_DAYS))
        latest_day = today - timedelta(days=rng.randint(1, LATEST_VISIT_DAYS[h.risk_level]))
        span = (latest_day - start).days
        days = sorted(start + timedelta(days=rng.randint(0, span - 1)) for _ in range(counts[i] - 1))
        level = "unvisited"
        for k, day in enumerate([*days, latest_day]):
            last = k == counts[i] - 1
            if last:
                indicators = draw(h.risk_level)
                contact = "visit" if not indicators or rng.random() < 0.8 else "phone"
            else:
                indicators = draw(h.risk_level if rng.random() < 0.6 else rng.choice(neighbour[h.risk_level]))
                contact = _choice(rng, {"visit": 75, "phone": 22, "other": 3})
            after = rules.after_contact(level, indicators, contact)
            level = after.level
            visits.append(VisitPlan(household=i, visited_at=_at(rng, day, tz), contact_type=contact,
                                    indicators=tuple(indicators), risk_level_after=after.level,
                                    risk_score=after.score, notes=rng.choice(VISIT_NOTES[contact])))
        final = rules.assess(visits[-1].indicators)
        assert final.level == level == h.risk_level, (final, level, h.risk_level)
        h.risk_score, h.risk_reason = final.score, final.reason
        h.last_visit_at = visits[-1].visited_at
        h.next_visit_due = rules.next_visit_due(h.risk_level, h.last_visit_at.astimezone(tz).date(),
                                                h.registered_on, cycle_days)
    return visits


def _add_visitors(rng: random.Random, households: list[HouseholdPlan], visits: list[VisitPlan]) -> None:
    weight = {"high": 4, "medium": 2, "low": 1}
    in_person = [1.0 * weight[households[v.household].risk_level] if v.contact_type == "visit" else 0
                 for v in visits]
    paired = pick_exactly(rng, in_person, VISITOR_PARTICIPATIONS - len(visits))
    for k, v in enumerate(visits):
        if k in paired:
            v.visitors = _choice(rng, PAIRED_VISITORS)
        elif v.contact_type == "visit":
            v.visitors = (_choice(rng, SINGLE_VISITORS),)
        else:
            v.visitors = ("official",) if rng.random() < 0.8 else ("welfare_tongjang",)


def _add_needs(rng: random.Random, households: list[HouseholdPlan], visits: list[VisitPlan]) -> None:
    weights = [(3.0 if v.indicators else 1.0) * (0.7 if v.contact_type != "visit" else 1.0) for v in visits]
    surveyed = pick_exactly(rng, weights, NEEDS_SURVEYS)
    for k in sorted(surveyed):
        v = visits[k]
        candidates = sorted({n for i in v.indicators for n in NEEDS_FOR_INDICATOR[i]})
        wanted = _choice(rng, {1: 55, 2: 35, 3: 10})
        needs = set(rng.sample(candidates, min(wanted, len(candidates))))
        while len(needs) < wanted:
            needs.add(_choice(rng, GENERAL_NEEDS))
        v.needs = tuple(n for n in NEEDS if n in needs)


def _pick_facility(rng: random.Random, need: str, dong_code: str, facilities: list[FacilityRef]) -> str | None:
    candidates = [f for f in facilities if need in f.needs_served and f.accepting_referrals]
    if not candidates:
        return None
    weights = [CATEGORY_PREFERENCE.get(f.category, 1) * (3 if f.dong_code == dong_code else 1) for f in candidates]
    return rng.choices(candidates, weights=weights)[0].code


def _plan_links(rng: random.Random, households: list[HouseholdPlan], visits: list[VisitPlan],
                facilities: list[FacilityRef], today: date, tz: ZoneInfo) -> list[LinkPlan]:
    first_seen: dict[tuple[int, str], int] = {}
    for k, v in enumerate(visits):
        for need in v.needs:
            first_seen.setdefault((v.household, need), k)
    pairs = sorted(first_seen.items(), key=lambda item: item[1])
    level_weight = {"high": 6, "medium": 3, "low": 1}
    weights = [level_weight[households[h].risk_level] * (1.5 if visits[k].indicators else 1.0)
               for (h, _), k in pairs]
    chosen = pick_exactly(rng, weights, SERVICE_LINKS)
    cap = datetime.combine(today, time(0, 0), tz) - timedelta(minutes=1)  # nothing after yesterday
    links = []
    for n, ((h, need), k) in enumerate(pairs):
        if n not in chosen:
            continue
        visit = visits[k]
        kind = _choice(rng, SERVICES_FOR_NEED[need])
        facility = _pick_facility(rng, need, households[h].dong_code, facilities) if kind in FACILITY_SERVICES \
            else None
        created = min(visit.visited_at + timedelta(days=rng.randint(0, 3), hours=1), cap)
        age = (cap - created).days
        if age > 45:
            status = _choice(rng, {"delivered": 70, "in_progress": 12, "requested": 6, "declined": 12})
        elif age > 14:
            status = _choice(rng, {"delivered": 45, "in_progress": 30, "requested": 15, "declined": 10})
        else:
            status = _choice(rng, {"delivered": 15, "in_progress": 35, "requested": 45, "declined": 5})
        events = [("requested", created, "방문 후 서비스 연계 요청")]
        at = created

        def later(at: datetime) -> datetime:
            return min(at + timedelta(days=rng.randint(1, 10), hours=rng.randint(0, 6)), cap)

        if status == "in_progress" or (status == "delivered" and rng.random() < 0.6):
            at = later(at)
            events.append(("in_progress", at, "기관 접수, 진행 중"))
        if status in ("delivered", "declined"):
            at = later(at)
            events.append((status, at, "서비스 제공 완료" if status == "delivered" else "대상자 거절"))
        links.append(LinkPlan(household=h, visit=k, type=kind, need=need, facility_code=facility, status=status,
                              created_at=created, events=events))
    return links


def plan(district_code: str, district_name: str, today: date, facilities: list[FacilityRef],
         cycle_days: dict[str, int], tz: ZoneInfo) -> Plan:
    """The whole synthetic caseload, in memory and deterministic for the same inputs."""
    rng = random.Random(SEED)
    households = _place_households(rng, district_code, district_name, today)
    visits = _plan_visits(rng, households, today, tz, cycle_days)
    _add_visitors(rng, households, visits)
    _add_needs(rng, households, visits)
    links = _plan_links(rng, households, visits, sorted(facilities, key=lambda f: f.code), today, tz)
    found: dict[int, set[str]] = {}
    for v in visits:
        found.setdefault(v.household, set()).update(v.needs)
    met: dict[int, set[str]] = {}
    for link in links:
        if link.status == "delivered":
            met.setdefault(link.household, set()).add(link.need)
    for i, needs in found.items():
        households[i].open_needs = [n for n in NEEDS if n in needs - met.get(i, set())]
    return Plan(households, visits, links)


def approximate_placement(index: int, h: HouseholdPlan) -> str:
    """About one in twenty households not yet visited were placed from a list by a nearby address only: the
    demo's data-quality count of points to check on the first visit."""
    return "approximate" if h.risk_level == "unvisited" and index % 20 == 7 else "manual"


def insert_plan(session: Session, p: Plan, dong_ids: dict[str, int], tract_ids: dict[tuple[str, int], int],
                facility_ids: dict[str, int], staff_by_dong: dict[str, int], tz: ZoneInfo) -> None:
    """Write the plan with bulk inserts (the caller commits)."""
    household_rows = []
    for i, h in enumerate(p.households):
        created = datetime.combine(h.registered_on, time(9, 0), tz)
        household_rows.append({
            "dong_id": dong_ids[h.dong_code], "tract_id": tract_ids[(h.dong_code, h.tract_number)],
            "head_name": h.head_name, "address": h.address, "registered_address": h.registered_address,
            "members": h.members, "phone": h.phone, "geom": f"SRID=4326;POINT({h.lon!r} {h.lat!r})",
            "risk_level": h.risk_level, "risk_score": h.risk_score, "risk_reason": h.risk_reason,
            "risk_overridden": False, "last_visit_at": h.last_visit_at, "next_visit_due": h.next_visit_due,
            "open_needs": h.open_needs, "status": "active", "is_synthetic": True, "registered_on": h.registered_on,
            "placement": approximate_placement(i, h),
            "created_at": created, "updated_at": h.last_visit_at or created,
            "created_by": staff_by_dong.get(h.dong_code), "version": 1,
        })
    household_ids = insert_returning_ids(session, Household, household_rows)
    visit_rows = [{
        "household_id": household_ids[v.household], "visited_at": v.visited_at, "contact_type": v.contact_type,
        "notes": v.notes, "risk_score": v.risk_score, "risk_level_after": v.risk_level_after,
        "recorded_by": staff_by_dong.get(p.households[v.household].dong_code), "created_at": v.visited_at,
    } for v in p.visits]
    visit_ids = insert_returning_ids(session, Visit, visit_rows)
    insert_rows(session, VisitVisitor, [{"visit_id": visit_ids[k], "visitor_type": t}
                                           for k, v in enumerate(p.visits) for t in v.visitors])
    indicator_rows = [{"visit_id": visit_ids[k], "indicator": i} for k, v in enumerate(p.visits) for i in v.indicators]
    if indicator_rows:
        insert_rows(session, VisitIndicator, indicator_rows)
    insert_rows(session, VisitNeed, [{"visit_id": visit_ids[k], "need": n}
                                        for k, v in enumerate(p.visits) for n in v.needs])
    link_rows = [{
        "household_id": household_ids[link.household], "visit_id": visit_ids[link.visit], "type": link.type,
        "need": link.need, "facility_id": facility_ids.get(link.facility_code) if link.facility_code else None,
        "status": link.status, "note": None,
        "created_by": staff_by_dong.get(p.households[link.household].dong_code),
        "created_at": link.created_at, "updated_at": link.events[-1][1], "version": 1,
    } for link in p.links]
    link_ids = insert_returning_ids(session, ServiceLink, link_rows)
    insert_rows(session, ServiceLinkEvent, [{
        "service_link_id": link_ids[n], "status": status, "note": note, "changed_at": at,
        "changed_by": staff_by_dong.get(p.households[link.household].dong_code),
    } for n, link in enumerate(p.links) for status, at, note in link.events])
