"""Queries on places: dongs, tracts, point-in-polygon placement, and their map layers."""
from dataclasses import dataclass

from geoalchemy2 import functions as gf
from sqlalchemy import and_, case, func, literal, select
from sqlalchemy.orm import Session

from app.addresses.normalise import name_key
from app.config import get_settings
from app.errors import NotFound
from app.households.models import Household
from app.layers.geojson import feature_collection
from app.policy.principal import Principal
from app.policy.scope import dong_scope
from app.risk.levels import COLORS, EMPTY_TRACT_COLOR
from app.tracts.models import District, Dong, Tract


@dataclass(frozen=True)
class Placement:
    dong_id: int
    tract_id: int | None


def point_wkt(lon: float, lat: float) -> str:
    return f"SRID=4326;POINT({lon!r} {lat!r})"


def locate(session: Session, lon: float, lat: float) -> Placement | None:
    """The deployment dong and tract that contain a point, or None outside the deployment."""
    point = func.ST_GeomFromEWKT(point_wkt(lon, lat))
    row = session.execute(
        select(Dong.id, Tract.id)
        .join(District, District.id == Dong.district_id)
        .outerjoin(Tract, and_(Tract.dong_id == Dong.id, gf.ST_Covers(Tract.geom, point)))
        .where(District.code.in_(get_settings().deployment_district_codes), gf.ST_Covers(Dong.geom, point))
        .order_by(Dong.id, Tract.id)
        .limit(1)
    ).first()
    return Placement(row[0], row[1]) if row else None


def district_name_keys(session: Session) -> frozenset[str]:
    """The deployment's 시군구 names as an address's 시군구 is compared (`name_key`: 서대문구 → 서대문구)."""
    names = session.execute(select(District.name).where(
        District.code.in_(get_settings().deployment_district_codes))).scalars()
    return frozenset(name_key(n) for n in names)


def list_dongs(session: Session) -> list[dict]:
    rows = session.execute(
        select(Dong.id, Dong.code, Dong.name, District.code.label("district_code"))
        .join(District, District.id == Dong.district_id)
        .where(District.code.in_(get_settings().deployment_district_codes))
        .order_by(Dong.code)
    ).mappings()
    return [dict(r) for r in rows]


def visible_tracts(principal: Principal):
    """Tracts the caller may see: the whole district, their dongs, or a 통장's own tract."""
    if principal.role == "tongjang":
        return Tract.id.in_(principal.tract_ids) if principal.tract_ids else literal(False)
    return dong_scope(principal, Tract.dong_id)


def ensure_dong_visible(session: Session, principal: Principal, dong_id: int) -> None:
    """404 unless the dong exists in the deployment and lies in the caller's area."""
    found = session.execute(
        select(Dong.id).join(District, District.id == Dong.district_id)
        .where(Dong.id == dong_id, District.code.in_(get_settings().deployment_district_codes),
               dong_scope(principal, Dong.id))
    ).scalar()
    if found is None:
        raise NotFound()


def ensure_tract_visible(session: Session, principal: Principal, tract_id: int) -> None:
    """404 unless the tract lies in the caller's area."""
    found = session.execute(
        select(Tract.id).join(Dong, Dong.id == Tract.dong_id).join(District, District.id == Dong.district_id)
        .where(Tract.id == tract_id, District.code.in_(get_settings().deployment_district_codes),
               visible_tracts(principal))
    ).scalar()
    if found is None:
        raise NotFound()


def _tract_counts():
    """Active households per tract and risk level, as a subquery."""
    def n(level: str):
        return func.count().filter(Household.risk_level == level).label(level)

    return (
        select(Household.tract_id, n("high"), n("medium"), n("low"), n("unvisited"))
        .where(Household.status == "active", Household.tract_id.is_not(None))
        .group_by(Household.tract_id)
        .subquery()
    )


def list_tracts(session: Session, principal: Principal, dong_id: int | None) -> list[dict]:
    if dong_id is not None and principal.role != "tongjang":
        ensure_dong_visible(session, principal, dong_id)
    counts = _tract_counts()
    total = (func.coalesce(counts.c.high, 0) + func.coalesce(counts.c.medium, 0)
             + func.coalesce(counts.c.low, 0) + func.coalesce(counts.c.unvisited, 0))
    query = (select(Tract.id, Tract.dong_id, Tract.name, Tract.number, total.label("household_count"))
             .outerjoin(counts, counts.c.tract_id == Tract.id)
             .where(visible_tracts(principal)).order_by(Tract.dong_id, Tract.number))
    if dong_id is not None:
        query = query.where(Tract.dong_id == dong_id)
    return [dict(r) for r in session.execute(query).mappings()]


def dongs_layer(session: Session) -> str:
    """Dong outlines of the deployment as GeoJSON text (not personal data: everyone may see them)."""
    query = (select(Dong.id, Dong.code, Dong.name, Dong.geom)
             .join(District, District.id == Dong.district_id)
             .where(District.code.in_(get_settings().deployment_district_codes)).subquery())
    return feature_collection(session, query, query.c.geom,
                              {"id": query.c.id, "code": query.c.code, "name": query.c.name}, precision=6)


def _worst_level(c):
    """Most urgent level present in a tract (high > medium > unvisited > low), NULL when empty."""
    return case(
        (func.coalesce(c.high, 0) > 0, "high"),
        (func.coalesce(c.medium, 0) > 0, "medium"),
        (func.coalesce(c.unvisited, 0) > 0, "unvisited"),
        (func.coalesce(c.low, 0) > 0, "low"),
        else_=None,
    )


def color_case(level_expr, empty_color: str | None = None):
    """SQL CASE that turns a risk level into DOMAIN.md's hex colour."""
    return case(*[(level_expr == lvl, hexcode) for lvl, hexcode in COLORS.items()], else_=empty_color)


def tracts_layer(session: Session, principal: Principal, dong_id: int | None) -> str:
    """Tract polygons with per-level counts and the colour of their most urgent household."""
    if dong_id is not None and principal.role != "tongjang":
        ensure_dong_visible(session, principal, dong_id)
    counts = _tract_counts()
    worst = _worst_level(counts.c)
    show_counts = principal.role != "tongjang"  # a 통장 sees the outline, not the households
    query = (select(Tract.id, Tract.dong_id, Tract.name, Tract.number, Tract.geom,
                    func.coalesce(counts.c.high, 0).label("high"), func.coalesce(counts.c.medium, 0).label("medium"),
                    func.coalesce(counts.c.low, 0).label("low"),
                    func.coalesce(counts.c.unvisited, 0).label("unvisited"),
                    worst.label("risk_level"))
             .outerjoin(counts, counts.c.tract_id == Tract.id)
             .where(visible_tracts(principal)))
    if dong_id is not None:
        query = query.where(Tract.dong_id == dong_id)
    q = query.subquery()
    props = {"id": q.c.id, "dong_id": q.c.dong_id, "name": q.c.name, "number": q.c.number}
    if show_counts:
        props |= {
            "counts": func.json_build_object("high", q.c.high, "medium", q.c.medium, "low", q.c.low,
                                             "unvisited", q.c.unvisited),
            "household_count": q.c.high + q.c.medium + q.c.low + q.c.unvisited,
            "risk_level": q.c.risk_level,
            "color": color_case(q.c.risk_level, EMPTY_TRACT_COLOR),
        }
    return feature_collection(session, q, q.c.geom, props, precision=6, order_by=[q.c.dong_id, q.c.number])
