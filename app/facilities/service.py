"""Facility queries and writes: the map layer, directory search by word, need and distance, staff edits."""
import math
import uuid
from dataclasses import dataclass
from datetime import date, timedelta

from geoalchemy2 import functions as gf
from sqlalchemy import ARRAY, String, case, cast, func, or_, select, text
from sqlalchemy.dialects.postgresql import array as pg_array
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.config import get_settings
from app.db import flush_versioned
from app.errors import Conflict, Forbidden, InvalidInput, NotFound
from app.facilities import shelters
from app.facilities.categories import default_needs
from app.facilities.models import Facility, ShelterDetails
from app.facilities.schemas import FacilityCreate, FacilityUpdate, ReferralConfirm
from app.geo.validate import BBox, CoordinateError, check_lonlat
from app.households.models import Household
from app.layers.geojson import feature_collection
from app.policy.principal import Principal
from app.policy.scope import household_scope
from app.tracts.models import Dong
from app.validation import lonlat_of, parse_codes, parse_ids, parse_lonlat_text
from app.vocab import FACILITY_CATEGORIES, NEEDS, SHELTER_CATEGORIES

MAX_RADIUS_M = 50_000  # 50 km: beyond any district; a "near" search wider than that is not a near search
STALE = "다른 사용자가 먼저 이 기관 정보를 수정했습니다. 새로고침 후 다시 시도하세요."
NOT_FOUND = "기관을 찾을 수 없습니다."
STAFF_SOURCE = "직원 입력"

# The same expression as the ix_facilities_geog index, so the planner uses it for KNN and ST_DWithin.
GEOG = func.geography(Facility.geom)


@dataclass
class FacilityFilter:
    q: str | None = None
    categories: tuple[str, ...] = ()
    needs: tuple[str, ...] = ()
    accepting: bool | None = None
    near: tuple[float, float] | None = None  # lon, lat
    radius_m: float | None = None
    unconfirmed: bool | None = None  # true: referral capacity not confirmed within settings.referral_confirm_days
    dong_ids: tuple[int, ...] = ()
    open_on: date | None = None  # shelters only when open that day (other facilities are not filtered)


def referrals_unconfirmed(today: date):
    """A facility taking referrals for some need whose capacity no one has confirmed within the limit."""
    limit = today - timedelta(days=get_settings().referral_confirm_days)
    return (func.cardinality(Facility.needs_served) > 0) & or_(Facility.referrals_confirmed_on.is_(None),
                                                               Facility.referrals_confirmed_on < limit)


SWAPPED = "경도와 위도가 뒤바뀐 것 같습니다. 순서는 경도(lon), 위도(lat)입니다."


def check_point(lon: float, lat: float) -> None:
    """check_lonlat, but a pair that is only valid the other way round is called swapped (e.g. 37.5,126.9)."""
    try:
        check_lonlat(lon, lat)
    except CoordinateError as original:
        try:
            check_lonlat(lat, lon)
        except CoordinateError:
            raise original from None
        raise CoordinateError(SWAPPED) from None


def parse_near(text: str | None) -> tuple[float, float] | None:
    """`lon,lat` → (lon, lat) for a distance search."""
    return parse_lonlat_text(text, "near")


def check_radius(radius_m: float | None) -> None:
    """A search radius is a positive number of metres up to MAX_RADIUS_M."""
    if radius_m is None:
        return
    if not math.isfinite(radius_m) or radius_m <= 0:
        raise InvalidInput("radius_m은 0보다 큰 미터 값이어야 합니다.")
    if radius_m > MAX_RADIUS_M:
        raise InvalidInput(f"radius_m은 최대 {MAX_RADIUS_M:,}m까지입니다.")


def build_filter(q: str | None, category: str | None, need: str | None, accepting: bool | None,
                 near: str | None, radius_m: float | None, unconfirmed: bool | None = None,
                 dong_id: str | None = None) -> FacilityFilter:
    """Check and collect the search parameters (Korean 422s for bad ones)."""
    if q is not None and "\x00" in q:
        raise InvalidInput("q: NUL 문자는 쓸 수 없습니다")
    point = parse_near(near)
    check_radius(radius_m)
    if radius_m is not None and point is None:
        raise InvalidInput("radius_m을 쓰려면 near(경도,위도)도 함께 보내세요.")
    return FacilityFilter(q=(q or "").strip() or None,
                          categories=parse_codes(category, FACILITY_CATEGORIES, "기관 분류"),
                          needs=parse_codes(need, NEEDS, "욕구 코드"), accepting=accepting, near=point,
                          radius_m=radius_m, unconfirmed=unconfirmed, dong_ids=parse_ids(dong_id, "dong_id"))


def _point(lon: float, lat: float):
    return func.geography(func.ST_SetSRID(func.ST_MakePoint(lon, lat), 4326))


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _conditions(f: FacilityFilter, with_radius: bool = True) -> list:
    conds = []
    if f.q:
        # Substring match: Korean has no word boundaries the default text search knows, and trigram
        # similarity scores a 2-syllable word inside a longer name as 0; the trigram GIN index serves ILIKE.
        pattern = f"%{_like_escape(f.q)}%"
        # Hangul has no case: plain LIKE gives the same rows several times faster than ILIKE's case folding.
        caseless = f.q.lower() == f.q.upper()
        conds.append(Facility.name.like(pattern, escape="\\") if caseless
                     else Facility.name.ilike(pattern, escape="\\"))
    if f.categories:
        conds.append(Facility.category.in_(f.categories))
    else:  # heat and cold shelters are an overlay of their own, listed only when asked for by category
        conds.append(Facility.category.not_in(SHELTER_CATEGORIES))
    if f.open_on is not None:
        conds.append(shelters.open_on_condition(f.open_on))
    if f.needs:
        conds.append(Facility.needs_served.op("&&")(cast(pg_array(list(f.needs)), ARRAY(String(30)))))
    if f.accepting is not None:
        conds.append(Facility.accepting_referrals.is_(f.accepting))
    if f.unconfirmed is not None:
        stale = referrals_unconfirmed(get_settings().today())
        conds.append(stale if f.unconfirmed else ~stale)
    if f.dong_ids:
        conds.append(Facility.dong_id.in_(f.dong_ids))
    if with_radius and f.near is not None and f.radius_m is not None:
        conds.append(func.ST_DWithin(GEOG, _point(*f.near), f.radius_m))
    return conds


def _text_rank(q: str):
    """0 for the exact name, 1 for a name starting with the words, 2 for any other match."""
    return case((func.lower(Facility.name) == q.lower(), 0),
                (Facility.name.ilike(f"{_like_escape(q)}%", escape="\\"), 1), else_=2)


def to_read(facility: Facility, lon: float, lat: float, distance_m: float | None = None) -> dict:
    """The API shape of a facility, with Korean labels for its codes."""
    needs = list(facility.needs_served or [])
    return {
        "id": facility.id,
        "code": facility.code,
        "name": facility.name,
        "category": facility.category,
        "category_label": FACILITY_CATEGORIES.get(facility.category, facility.category),
        "address": facility.address,
        "lon": round(lon, 7),
        "lat": round(lat, 7),
        "phone": facility.phone,
        "hours": facility.hours,
        "description": facility.description,
        "needs_served": needs,
        "needs_served_labels": [NEEDS.get(n, n) for n in needs],
        "accepting_referrals": facility.accepting_referrals,
        "referrals_confirmed_on": facility.referrals_confirmed_on,
        "location_quality": facility.location_quality,
        "source": facility.source,
        "is_synthetic": facility.is_synthetic,
        "dong_id": facility.dong_id,
        "distance_m": None if distance_m is None else round(distance_m, 1),
        "version": facility.version,
    }


def _total(session: Session, conds: list, limit: int, offset: int, returned: int) -> int:
    """How many rows match; a page that is not full already tells, so the count query is often saved."""
    if 0 < returned < limit or (returned == 0 and offset == 0):
        return offset + returned
    return session.execute(select(func.count()).select_from(Facility).where(*conds)).scalar_one()


def search(session: Session, f: FacilityFilter, limit: int, offset: int) -> dict:
    """A page of facilities: with `near`, nearest first with distances in metres; else best name match first."""
    conds = _conditions(f)
    if f.q:
        # A prepared statement's generic plan cannot see that a 1-2 character pattern has no trigrams and may
        # scan the whole trigram index; plan this transaction's queries for their actual pattern.
        session.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))
    lon_lat = (gf.ST_X(Facility.geom).label("lon"), gf.ST_Y(Facility.geom).label("lat"))
    if f.near is None:
        order = ([_text_rank(f.q), func.length(Facility.name)] if f.q else []) + [Facility.name, Facility.id]
        rows = session.execute(select(Facility, *lon_lat).where(*conds).order_by(*order)
                               .limit(limit).offset(offset)).all()
        items = [to_read(r[0], r.lon, r.lat) for r in rows]
        return {"items": items, "total": _total(session, conds, limit, offset, len(items))}
    point = _point(*f.near)
    distance = func.ST_Distance(GEOG, point)  # on the WGS84 spheroid, metres
    # KNN (`<->`, index-assisted, sphere) finds offset+limit candidates fast; the farthest of them by exact
    # spheroid distance bounds the answer, so re-selecting within that reach and sorting by the exact distance
    # gives the true nearest order even where sphere and spheroid disagree. The radius is left out of the
    # candidates (the nearest within a radius are the nearest overall, cut) so that step stays a KNN scan.
    candidates = (select(distance.label("d")).where(*_conditions(f, with_radius=False))
                  .order_by(GEOG.op("<->")(point)).limit(offset + limit).subquery())
    reach = select(func.max(candidates.c.d)).scalar_subquery() + 0.01
    rows = session.execute(
        select(Facility, *lon_lat, distance.label("distance_m"))
        .where(*conds, func.ST_DWithin(GEOG, point, reach))
        .order_by(distance, Facility.id).limit(limit).offset(offset)
    ).all()
    items = [to_read(r[0], r.lon, r.lat, r.distance_m) for r in rows]
    return {"items": items, "total": _total(session, conds, limit, offset, len(items))}


def _household_point(session: Session, principal: Principal, household_id: int) -> tuple[float, float, list]:
    row = session.execute(
        select(gf.ST_X(Household.geom), gf.ST_Y(Household.geom), Household.open_needs)
        .where(Household.id == household_id, household_scope(principal))
    ).first()
    if row is None:
        raise NotFound("가구를 찾을 수 없습니다.")
    return row[0], row[1], row[2]


def nearest_shelter(session: Session, principal: Principal, household_id: int, on: date | None) -> dict:
    """The shelter of the day's season (무더위쉼터 in summer, 한파쉼터 in winter) open that day and nearest to a
    household of the caller's area, with its geodesic distance; no shelter outside both seasons."""
    lon, lat, _ = _household_point(session, principal, household_id)
    on = on or get_settings().today()
    category = shelters.season(session, on)
    answer = {"household_id": household_id, "on": on, "category": category,
              "category_label": FACILITY_CATEGORIES.get(category) if category else None, "shelter": None,
              "line": None}
    if category is None:
        return answer
    found = search(session, FacilityFilter(categories=(category,), near=(lon, lat), open_on=on), 1, 0)["items"]
    if found:
        item = found[0]
        item.update(shelters.details_read(session.get(ShelterDetails, item["id"])))
        answer["shelter"] = item
        answer["line"] = shelters.line(category, item["distance_m"])
    return answer


def nearby_for_household(session: Session, principal: Principal, household_id: int, f: FacilityFilter,
                         use_open_needs: bool, limit: int, offset: int) -> dict:
    """Facilities nearest to a household in the caller's area (404 outside it); by default for its open needs."""
    lon, lat, open_needs = _household_point(session, principal, household_id)
    f.near = (lon, lat)
    if use_open_needs:
        f.needs = tuple(n for n in (open_needs or []) if n in NEEDS)
    result = search(session, f, limit, offset)
    return {**result, "household_id": household_id, "needs": list(f.needs)}


def _get(session: Session, facility_id: int) -> tuple[Facility, float, float]:
    row = session.execute(select(Facility, gf.ST_X(Facility.geom), gf.ST_Y(Facility.geom))
                          .where(Facility.id == facility_id)).first()
    if row is None:
        raise NotFound(NOT_FOUND)
    return row[0], row[1], row[2]


def get(session: Session, facility_id: int) -> dict:
    """One facility."""
    return to_read(*_get(session, facility_id))


def layer(session: Session, bbox: BBox | None, categories: tuple[str, ...], open_on: date | None = None) -> str:
    """Facility points with id, name and category; without categories the welfare facilities (no shelters);
    shelters carry their capacity, period and night/holiday opening, and with `open_on` only those open then."""
    conds = []
    if bbox is not None:
        conds.append(Facility.geom.intersects(func.ST_MakeEnvelope(bbox.west, bbox.south, bbox.east, bbox.north,
                                                                   4326)))
    conds.append(Facility.category.in_(categories) if categories
                 else Facility.category.not_in(SHELTER_CATEGORIES))
    if open_on is not None:
        conds.append(shelters.open_on_condition(open_on))
    columns = [Facility.id, Facility.name, Facility.category, Facility.geom]
    with_shelters = any(shelters.is_shelter(c) for c in categories)
    if with_shelters:
        columns += [ShelterDetails.capacity, ShelterDetails.open_from, ShelterDetails.open_to,
                    ShelterDetails.night_open, ShelterDetails.holiday_open]
    query = select(*columns).where(*conds)
    if with_shelters:
        query = query.outerjoin(ShelterDetails, ShelterDetails.facility_id == Facility.id)
    src = query.subquery()
    props = {"id": src.c.id, "name": src.c.name, "category": src.c.category}
    if with_shelters:
        props.update({k: src.c[k] for k in ("capacity", "open_from", "open_to", "night_open", "holiday_open")})
    return feature_collection(session, src, src.c.geom, props)


def point_ewkt(lon: float, lat: float) -> str:
    """EWKT of a WGS84 point, as the geometry column takes it."""
    return f"SRID=4326;POINT({lon!r} {lat!r})"


def dong_at(session: Session, lon: float, lat: float) -> int | None:
    """The dong (of any loaded district) that contains the point, if any."""
    point = func.ST_SetSRID(func.ST_MakePoint(lon, lat), 4326)
    return session.execute(select(Dong.id).where(gf.ST_Covers(Dong.geom, point)).order_by(Dong.id).limit(1)
                           ).scalar()


def _refuse_shelter(category: str | None) -> None:
    if shelters.is_shelter(category):
        raise InvalidInput("무더위쉼터·한파쉼터는 운영 기간이 있는 공공데이터 파일 가져오기로 등록합니다.")


def _require_staff(principal: Principal) -> None:
    if not principal.is_staff:
        raise Forbidden("기관 정보는 직원만 등록·수정할 수 있습니다.")


def create(session: Session, principal: Principal, data: FacilityCreate) -> dict:
    """Add a facility (its referral capacity counts as confirmed today)."""
    _require_staff(principal)
    _refuse_shelter(data.category)
    lon, lat = lonlat_of(data)
    code = data.code or f"STAFF-{uuid.uuid4().hex[:12].upper()}"
    if session.execute(select(Facility.id).where(Facility.code == code)).scalar() is not None:
        raise Conflict(f"이미 있는 시설코드입니다: {code}")
    settings = get_settings()
    facility = Facility(
        code=code, name=data.name, category=data.category, address=data.address, phone=data.phone,
        hours=data.hours, description=data.description,
        needs_served=data.needs_served if data.needs_served is not None else default_needs(data.category),
        accepting_referrals=data.accepting_referrals, referrals_confirmed_on=settings.today(),
        dong_id=dong_at(session, lon, lat), geom=point_ewkt(lon, lat), location_quality=data.location_quality,
        source=STAFF_SOURCE, is_synthetic=False,
    )
    session.add(facility)
    try:
        session.flush()
    except IntegrityError:  # another request inserted the same code between the check above and this insert
        raise Conflict(f"이미 있는 시설코드입니다: {code}") from None
    return get(session, facility.id)


def _locked(session: Session, facility_id: int) -> Facility:
    facility = session.execute(select(Facility).where(Facility.id == facility_id).with_for_update()
                               ).scalar_one_or_none()
    if facility is None:
        raise NotFound(NOT_FOUND)
    return facility


def _check_version(facility: Facility, version: int | None) -> None:
    if version is None:
        raise InvalidInput("version이 필요합니다 (본문의 version 또는 If-Match 헤더).")
    if version != facility.version:
        raise Conflict(STALE)


def _saved(session: Session, facility_id: int) -> dict:
    flush_versioned(session, STALE)
    return get(session, facility_id)


def update(session: Session, principal: Principal, facility_id: int, data: FacilityUpdate,
           if_match: int | None) -> dict:
    """Edit a facility if the caller read the current version; else 409 and nothing changes."""
    _require_staff(principal)
    facility = _locked(session, facility_id)
    _check_version(facility, data.version if data.version is not None else if_match)
    fields = data.model_dump(exclude_unset=True, exclude={"lon", "lat", "x", "y", "crs", "version"})
    _refuse_shelter(fields.get("category"))
    if shelters.is_shelter(facility.category) and "category" in fields:
        raise InvalidInput("쉼터의 분류는 바꿀 수 없습니다.")
    for required in ("name", "category", "needs_served", "accepting_referrals", "location_quality"):
        if required in fields and fields[required] is None:
            raise InvalidInput(f"{required}: 비울 수 없습니다")
    settings = get_settings()
    for name, value in fields.items():
        setattr(facility, name, value)
    if "accepting_referrals" in fields:
        facility.referrals_confirmed_on = settings.today()
    if data.has_location():
        lon, lat = lonlat_of(data)
        facility.geom = point_ewkt(lon, lat)
        facility.dong_id = dong_at(session, lon, lat)
    facility.updated_at = settings.now()
    return _saved(session, facility_id)


def confirm_referrals(session: Session, principal: Principal, facility_id: int, data: ReferralConfirm,
                      if_match: int | None) -> dict:
    """Record whether the facility takes referrals now, confirmed today (staff, or the facility's own partner)."""
    if not (principal.is_staff or (principal.role == "partner" and principal.facility_id == facility_id)):
        raise Forbidden("의뢰 가능 여부는 직원이나 해당 기관만 확인할 수 있습니다.")
    facility = _locked(session, facility_id)
    _check_version(facility, data.version if data.version is not None else if_match)
    settings = get_settings()
    facility.accepting_referrals = data.accepting_referrals
    facility.referrals_confirmed_on = settings.today()
    facility.updated_at = settings.now()
    return _saved(session, facility_id)
