"""Map tiles (Mapbox Vector Tiles) built in PostGIS: household points, grid clusters below POINT_MIN_ZOOM, tracts.

A household belongs to exactly one tile: west and north edges inclusive, east and south edges exclusive, with
the edges computed once in Python (`app.geo.tiles`), so the features of all tiles at one zoom add up to the
filtered households exactly, at every zoom."""
import hashlib
from dataclasses import dataclass

from sqlalchemy import case, func, literal, select
from sqlalchemy.orm import Session

from app.access import service as access
from app.config import get_settings
from app.geo.tiles import Tile
from app.households.models import Household
from app.households.service import HouseholdFilter, ensure_area_visible, filter_conditions
from app.policy.principal import Principal
from app.risk.levels import COLORS, EMPTY_TRACT_COLOR, URGENCY
from app.tracts.models import Tract
from app.tracts.service import visible_tracts

EXTENT = 4096  # MVT coordinate units per tile side (the spec's default)
POINT_MIN_ZOOM = 16  # from here one feature per household; below, one per grid cell
CELLS = 4  # grid cells per tile side below POINT_MIN_ZOOM: 64 screen pixels on a 256-pixel tile (45 at the
# fractional zooms Leaflet scales a tile down to), room for a badge with a four-digit count
TRACT_BUFFER = 64  # polygons run on past the edge so outlines do not show tile seams


@dataclass(frozen=True)
class TileAnswer:
    body: bytes
    features: int  # households in the tile (points, or the sum of the cells' counts)

    @property
    def etag(self) -> str:
        return '"' + hashlib.sha256(self.body).hexdigest()[:32] + '"'


def _in_tile(tile: Tile) -> list:
    """Conditions that put a household in this tile and in no other (index-assisted by &&)."""
    west, south, east, north = tile.edges()
    x, y = func.ST_X(Household.geom), func.ST_Y(Household.geom)
    return [Household.geom.op("&&")(func.ST_MakeEnvelope(west, south, east, north, 4326)),
            x >= west, x < east, y > south, y <= north]


_DRAW_ORDER = case(*[(Household.risk_level == lvl, -rank) for lvl, rank in URGENCY.items()], else_=-99)


def households_tile(session: Session, principal: Principal, f: HouseholdFilter, tile: Tile,
                    resource: str) -> TileAnswer:
    """The caller's filtered households in one tile: points from POINT_MIN_ZOOM, grid clusters below it.
    One access record per tile says how many households it showed (not every id on every pan)."""
    ensure_area_visible(session, principal, f)
    conds = filter_conditions(principal, f) + _in_tile(tile)
    overdue = Household.next_visit_due < get_settings().today()
    envelope = func.ST_TileEnvelope(tile.z, tile.x, tile.y)
    if tile.z >= POINT_MIN_ZOOM:
        # Points are already chosen by the exact edges: no clipping, which could drop one lying on an edge.
        geom = func.ST_AsMVTGeom(func.ST_Transform(Household.geom, 3857), envelope, EXTENT, 0, False)
        rows = (select(Household.id, Household.risk_level, overdue.label("overdue"), geom.label("geom"))
                .where(*conds).order_by(_DRAW_ORDER, Household.id).subquery("households"))
        body, count = session.execute(
            select(func.ST_AsMVT(rows.table_valued(), "households", EXTENT, "geom"), func.count())
            .select_from(rows)).one()
    else:
        body, count = _clusters(session, conds, overdue, tile, envelope)
    answer = TileAnswer(bytes(body or b""), int(count or 0))
    access.record(session, principal, "list", resource, (), household_count=answer.features)
    return answer


def _clusters(session: Session, conds: list, overdue, tile: Tile, envelope):
    """Households per grid cell: counts per level, overdue count, worst level, at the cell's mean position."""
    side = 1 << tile.z
    lon, lat = func.ST_X(Household.geom), func.ST_Y(Household.geom)
    # Position inside the tile in [0, 1) on the Mercator plane, times CELLS; clamped against float error at edges.
    fx = ((lon + 180.0) / 360.0 * side - tile.x) * CELLS
    fy = ((1 - func.asinh(func.tan(func.radians(lat))) / func.pi()) / 2 * side - tile.y) * CELLS
    cx = func.least(func.greatest(func.floor(fx), 0), CELLS - 1)
    cy = func.least(func.greatest(func.floor(fy), 0), CELLS - 1)

    def n(level: str):
        return func.count().filter(Household.risk_level == level).label(level)

    cells = (select(func.count().label("count"), n("high"), n("medium"), n("low"), n("unvisited"),
                    func.count().filter(overdue).label("overdue"), func.avg(lon).label("lon"),
                    func.avg(lat).label("lat"))
             .where(*conds).group_by(cx, cy).subquery("cells"))
    worst = case((cells.c.high > 0, "high"), (cells.c.medium > 0, "medium"), (cells.c.unvisited > 0, "unvisited"),
                 else_="low")
    point = func.ST_Transform(func.ST_SetSRID(func.ST_MakePoint(cells.c.lon, cells.c.lat), 4326), 3857)
    rows = (select(cells.c["count", "high", "medium", "low", "unvisited", "overdue"], worst.label("risk_level"),
                   func.ST_AsMVTGeom(point, envelope, EXTENT, 0, False).label("geom"))
            .subquery("clusters"))
    return session.execute(
        select(func.ST_AsMVT(rows.table_valued(), "clusters", EXTENT, "geom"), func.coalesce(func.sum(rows.c.count), 0))
        .select_from(rows)).one()


def tracts_tile(session: Session, principal: Principal, tile: Tile) -> TileAnswer:
    """Tract polygons crossing the tile with counts per level and their colour (a 통장: outline only, own tract)."""
    west, south, east, north = tile.edges()
    envelope = func.ST_TileEnvelope(tile.z, tile.x, tile.y)
    geom = func.ST_AsMVTGeom(func.ST_Transform(Tract.geom, 3857), envelope, EXTENT, TRACT_BUFFER, True)
    query = (select(Tract.id, Tract.dong_id, Tract.name, Tract.number, geom.label("geom"))
             .where(visible_tracts(principal),
                    func.ST_Intersects(Tract.geom, func.ST_MakeEnvelope(west, south, east, north, 4326))))
    if principal.role != "tongjang":  # a 통장 sees the outline, not the households (as in the GeoJSON layer)
        h = (select(*[func.count().filter(Household.risk_level == lvl).label(lvl) for lvl in COLORS])
             .where(Household.tract_id == Tract.id, Household.status == "active").lateral("h"))
        worst = case((h.c.high > 0, "high"), (h.c.medium > 0, "medium"), (h.c.unvisited > 0, "unvisited"),
                     (h.c.low > 0, "low"), else_=None)
        color = case(*[(worst == lvl, hexcode) for lvl, hexcode in COLORS.items()], else_=EMPTY_TRACT_COLOR)
        query = query.join(h, literal(True)).add_columns(
            h.c.high, h.c.medium, h.c.low, h.c.unvisited,
            (h.c.high + h.c.medium + h.c.low + h.c.unvisited).label("household_count"),
            worst.label("risk_level"), color.label("color"))
    rows = query.subquery("tracts")
    body, count = session.execute(
        select(func.ST_AsMVT(rows.table_valued(), "tracts", EXTENT, "geom"), func.count()).select_from(rows)).one()
    return TileAnswer(bytes(body or b""), int(count or 0))
