"""Welfare facilities: the district's rows of the Seoul list, placed in their dong, topped up to 461."""
import csv
import hashlib
import random
import re
from dataclasses import dataclass
from datetime import date, timedelta

import shapely
from geoalchemy2.shape import from_shape
from shapely.geometry import Point
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.facilities.categories import default_needs, resolve_category
from app.facilities.models import Facility
from app.tracts.models import District, Dong
from seed.addresses import LEGAL_DONGS_OF, Lots, legal_dong_for
from seed.bulk import insert_rows
from seed.places import DATA, dong_sources

FACILITIES_CSV = "seodaemun_eunpyeong_welfare_facilities_2022.csv"
MOHW_CSV = "seoul_disability_welfare_centres_mohw_2019.csv"
SEOUL_SOURCE = "서울시 사회복지시설 목록 (2022)"
MOHW_SOURCE = "보건복지부 장애인복지관 현황 (2019-12-31)"
SYNTHETIC_SOURCE = "synthetic"
FACILITY_TOTAL = 461  # welfare facilities on 서대문구's 2015 map
FOOD_BANK_NAME = "서대문기초푸드뱅크"

# Legal dongs (법정동) whose 행정동 has another name in 서대문구.
LEGAL_DONG_ALIASES: dict[str, list[str]] = {
    "창천동": ["신촌동"], "대현동": ["신촌동"], "대신동": ["신촌동"], "봉원동": ["신촌동"],
    "충정로2가": ["충현동"], "충정로3가": ["충현동"], "합동": ["충현동"], "미근동": ["충현동"],
    "영천동": ["천연동"], "옥천동": ["천연동"], "현저동": ["천연동"], "냉천동": ["천연동"],
}
# Roads whose 법정동 the list never states but which lie in one dong (for addresses without "(…동)").
ROAD_HINTS: dict[str, str] = {"북아현로": "북아현동", "독립문공원길": "현저동", "독립문로": "천연동"}
_LEGAL_IN_PARENS = re.compile(r"\(\s*([가-힣]+(?:\d+가|\d*동))")
_ROAD_AND_NUMBER = re.compile(r"(?:구|시)\s+([가-힣0-9]+(?:로|길))\s*(\d+)")
_SIDE_STREET_SUFFIX = re.compile(r"\d+[가-힣]?길$")


@dataclass
class FacilityPlan:
    code: str
    name: str
    category: str
    source_type: str | None
    address: str | None
    needs_served: list[str]
    point: Point
    location_quality: str
    source: str
    is_synthetic: bool
    phone: str | None = None
    hours: str | None = None
    description: str | None = None


def category_of(source_type: str) -> str:
    """The category code for the source's type text (the importer's rules)."""
    return resolve_category(source_type) or "other"


def needs_of(category: str, source_type: str | None) -> list[str]:
    return default_needs(category, source_type)


def _stable_int(*parts: str) -> int:
    return int.from_bytes(hashlib.sha256("|".join(parts).encode()).digest()[:8], "big")


def _point_inside(geom, key: str) -> Point:
    """A deterministic point inside `geom`, chosen by `key` (rejection sampling in the bbox)."""
    rng = random.Random(_stable_int("facility-point", key))
    minx, miny, maxx, maxy = geom.bounds
    inner = geom.buffer(-0.0002)  # about 20 m from the edge, so the point is clearly in the dong
    target = inner if not inner.is_empty else geom
    shapely.prepare(target)
    while True:
        x, y = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
        if shapely.contains_xy(target, x, y):
            return Point(x, y)


def _read_csv(name: str) -> list[dict[str, str]]:
    with (DATA / name).open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def _mohw_by_name() -> dict[str, dict[str, str]]:
    return {r["시설명"].strip(): r for r in _read_csv(MOHW_CSV) if r.get("in_seoul_bbox") == "Y"}


def _legal_dong(address: str) -> str | None:
    m = _LEGAL_IN_PARENS.search(address)
    return m.group(1) if m else None


def _admin_dongs_for(legal: str | None, dong_names: list[str]) -> list[str]:
    """행정동 names for a 법정동 name: 홍제동 → 홍제1동, 홍제2동, 홍제3동."""
    if not legal:
        return []
    if legal in LEGAL_DONG_ALIASES:
        return [n for n in LEGAL_DONG_ALIASES[legal] if n in dong_names]
    stem = re.sub(r"\d*동$", "", legal)
    return [n for n in dong_names if re.sub(r"\d*동$", "", n) == stem]


def _road_keys(address: str) -> list[str]:
    """Lookup keys from most to least precise: road with building number, road, main road of a side street."""
    m = _ROAD_AND_NUMBER.search(address)
    if not m:
        return []
    road, number = m.group(1), m.group(2)
    keys = [f"{road} {number}", road]
    main = _SIDE_STREET_SUFFIX.sub("", road)
    if main != road:
        keys.append(main)
    return keys


def _dong_candidates(rows: list[dict[str, str]], dong_names: list[str]) -> dict[str, list[str]]:
    """Admin-dong candidates per facility code, from the address's legal dong or what its road tells."""
    learned: dict[str, set[tuple[str, ...]]] = {}
    for r in rows:
        found = tuple(_admin_dongs_for(_legal_dong(r["시설주소"]), dong_names))
        if found:
            for key in _road_keys(r["시설주소"]):
                learned.setdefault(key, set()).add(found)
    result = {}
    for r in rows:
        address = r["시설주소"]
        candidates = _admin_dongs_for(_legal_dong(address), dong_names)
        for key in _road_keys(address):
            if candidates:
                break
            if len(learned.get(key, ())) == 1:  # only when every row on that road agrees
                candidates = list(next(iter(learned[key])))
            elif key in ROAD_HINTS:
                candidates = _admin_dongs_for(ROAD_HINTS[key], dong_names)
        result[r["시설코드"]] = candidates or dong_names
    return result


def csv_facilities(district_code: str) -> list[FacilityPlan]:
    """The district's facilities from the Seoul list, each with a point and its quality."""
    sources = dong_sources(district_code)
    dong_names = [d.name for d in sources]
    geom_by_name = {d.name: d.geom for d in sources}
    district_name = {"11410": "서대문구", "11380": "은평구"}[district_code]
    rows = [r for r in _read_csv(FACILITIES_CSV)
            if r["시군구코드"].startswith(district_code) and r["address_in_seoul"] == "Y"]
    assert all(r["시군구명"] == district_name for r in rows)
    candidates_by_code = _dong_candidates(rows, dong_names)
    mohw = _mohw_by_name()
    plans = []
    for r in rows:
        name, code, source_type, address = r["시설명"], r["시설코드"], r["시설종류명(시설유형)"], r["시설주소"]
        category = category_of(source_type)
        exact = mohw.get(name)
        phone, description = None, None
        if exact is not None:
            point = Point(float(exact["엑스(X)좌표"]), float(exact["와이(Y)좌표"]))
            quality, phone = "exact", exact["전화번호"] or None
            description = f"좌표 출처: {MOHW_SOURCE}"
        else:
            candidates = candidates_by_code[code]
            dong_name = candidates[_stable_int("facility-dong", code) % len(candidates)]
            point, quality = _point_inside(geom_by_name[dong_name], code), "approximate"
            description = "주소만 있는 자료라 위치는 행정동 안의 대략적인 지점입니다."
        plans.append(FacilityPlan(code=code, name=name, category=category, source_type=source_type,
                                  address=address, needs_served=needs_of(category, source_type), point=point,
                                  location_quality=quality, source=SEOUL_SOURCE, is_synthetic=False, phone=phone,
                                  description=description))
    return plans


def synthetic_facilities(district_code: str, count: int) -> list[FacilityPlan]:
    """Made-up 경로당 and 지역아동센터 spread over the dongs, marked synthetic."""
    sources = dong_sources(district_code)
    district_name = {"11410": "서대문구", "11380": "은평구"}[district_code]
    rng = random.Random(f"happymap-synthetic-facilities-{district_code}")
    child_per_dong = 3
    plans = []
    counters: dict[tuple[str, str], int] = {}
    lots = Lots()
    for i in range(count):
        dong = sources[i % len(sources)]
        round_no = i // len(sources)
        kind = "community_child_centre" if round_no < child_per_dong else "senior_centre"
        k = counters[(dong.code, kind)] = counters.get((dong.code, kind), 0) + 1
        if kind == "senior_centre":
            name, tag, hours = f"{dong.name} {k}경로당", "SC", "매일 10:00-17:00"
        else:
            name, tag, hours = f"{dong.name} 우리{k}지역아동센터", "CC", "평일 13:00-19:00"
        code = f"SYN-{tag}-{dong.code}-{k:02d}"
        # The lot lies in one of the 행정동's real 법정동 (where the demo knows them), never one lot twice.
        legal = legal_dong_for(dong.name, code) if dong.name in LEGAL_DONGS_OF else dong.name
        main, sub = lots.claim(legal, (rng.randint(1, 480), rng.randint(1, 60)))
        plans.append(FacilityPlan(
            code=code, name=name, category=kind, source_type=None,
            address=f"서울특별시 {district_name} {legal} {main}-{sub}",
            needs_served=default_needs(kind), point=_point_inside(dong.geom, code),
            location_quality="approximate", source=SYNTHETIC_SOURCE, is_synthetic=True, hours=hours,
            description="데모용 가상 시설입니다."))
    return plans


def facility_plans(district_code: str, total: int = FACILITY_TOTAL) -> list[FacilityPlan]:
    """The real rows first, then synthetic ones up to `total`."""
    real = csv_facilities(district_code)
    return real + synthetic_facilities(district_code, max(0, total - len(real)))


def load_facilities(session: Session, district_code: str, today: date) -> int:
    """Insert the planned facilities whose code is not in the table yet; returns how many were inserted."""
    district_id = session.scalar(select(District.id).where(District.code == district_code))
    if district_id is None:
        raise RuntimeError(f"구가 먼저 있어야 합니다: {district_code}")
    dongs = session.execute(select(Dong.id, Dong.code).where(Dong.district_id == district_id)).all()
    dong_id_by_code = {code: dong_id for dong_id, code in dongs}
    geoms = [(dong_id_by_code[d.code], d.geom) for d in dong_sources(district_code)]
    for _, g in geoms:
        shapely.prepare(g)
    existing = set(session.scalars(select(Facility.code)))
    rows = []
    for plan in facility_plans(district_code):
        if plan.code in existing:
            continue
        dong_id = next((i for i, g in geoms if g.covers(plan.point)), None)
        rng = random.Random(_stable_int("facility-referrals", plan.code))
        rows.append({
            "code": plan.code, "name": plan.name, "category": plan.category, "source_type": plan.source_type,
            "address": plan.address, "phone": plan.phone, "hours": plan.hours, "description": plan.description,
            "needs_served": plan.needs_served,
            "accepting_referrals": plan.name == FOOD_BANK_NAME or rng.random() < 0.9,
            "referrals_confirmed_on": today - timedelta(days=rng.randint(0, 100)), "dong_id": dong_id,
            "geom": from_shape(plan.point, srid=4326), "location_quality": plan.location_quality,
            "source": plan.source, "is_synthetic": plan.is_synthetic, "version": 1,
        })
    if rows:
        insert_rows(session, Facility, rows)
    return len(rows)
