"""Map tiles (Mapbox Vector Tiles) built in PostGIS: household points, grid clusters below POINT_MIN_ZOOM, tracts.

A household belongs to exactly one tile: west and north edges inclusive, east and south edges exclusive, with
the edges computed once in Python (`app.geo.tiles`), so the features of all tiles at one zoom add up to the
filtered households exactly, at every zoom."""
import hashlib
from dataclasses import dataclass
from functools import lru_cache

from sqlalchemy import Date, Float, Integer, Select, bindparam, case, func, literal, select
from sqlalchemy.orm import Session

from app.access import service as access
from app.config import get_settings
from app.geo.tiles import Tile
from app.households.models import Household
from app.households.service import AreaKey, HouseholdFilter, ensure_area_visible
from app.policy.principal import Principal
from app.risk.levels import COLORS, EMPTY_TRACT_COLOR
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


# The parts of a tile's statement that do not depend on the caller are built once, with the tile's numbers as
# bound parameters: building and cache-keying the expression trees anew cost more CPU than running a small tile.
_TILE = {name: bindparam(name, type_=Float) for name in ("west", "south", "east", "north", "side")}
_TILE |= {name: bindparam(name, type_=Integer) for name in ("tz", "tx", "ty")}
_TODAY = bindparam("today", type_=Date)
_LON, _LAT = func.ST_X(Household.geom), func.ST_Y(Household.geom)
# In this tile and in no other (index-assisted by &&): west and north edges inclusive.
_IN_TILE = (Household.geom.op("&&")(func.ST_MakeEnvelope(_TILE["west"], _TILE["south"], _TILE["east"],
                                                         _TILE["north"], 4326)),
            _LON >= _TILE["west"], _LON < _TILE["east"], _LAT > _TILE["south"], _LAT <= _TILE["north"])
_ENVELOPE = func.ST_TileEnvelope(_TILE["tz"], _TILE["tx"], _TILE["ty"])
_OVERDUE = Household.next_visit_due < _TODAY
_DRAW_ORDER = (Household.urgency.desc(), Household.id)  # the most urgent last: drawn on top

# Points are already chosen by the exact edges: no clipping, which could drop one lying on an edge.
_POINTS = (Household.id, Household.risk_level, _OVERDUE.label("overdue"),
           func.ST_AsMVTGeom(func.ST_Transform(Household.geom, 3857), _ENVELOPE, EXTENT, 0, False).label("geom"))

# Grid cells: the position inside the tile in [0, 1) on the Mercator plane, times CELLS, clamped against float
# error at the edges; per cell the counts per level, the overdue count and the mean position.
_CELL_X = func.least(func.greatest(func.floor(((_LON + 180.0) / 360.0 * _TILE["side"] - _TILE["tx"]) * CELLS), 0),
                     CELLS - 1)
_CELL_Y = func.least(func.greatest(func.floor(
    ((1 - func.asinh(func.tan(func.radians(_LAT))) / func.pi()) / 2 * _TILE["side"] - _TILE["ty"]) * CELLS), 0),
    CELLS - 1)
_CELL_COUNTS = (func.count().label("count"),
                *[func.count().filter(Household.risk_level == lvl).label(lvl) for lvl in COLORS],
                func.count().filter(_OVERDUE).label("overdue"), func.avg(_LON).label("lon"),
                func.avg(_LAT).label("lat"))


def _tile_params(tile: Tile) -> dict:
    west, south, east, north = tile.edges()
    return {"west": west, "south": south, "east": east, "north": north, "side": float(1 << tile.z),
            "tz": tile.z, "tx": tile.x, "ty": tile.y, "today": get_settings().today()}


def households_tile(session: Session, principal: Principal, f: HouseholdFilter, tile: Tile,
                    resource: str) -> TileAnswer:
    """The caller's filtered households in one tile: points from POINT_MIN_ZOOM, grid clusters below it.
    One access record per tile says how many households it showed (not every id on every pan)."""
    ensure_area_visible(session, principal, f)
    query = _tile_query(AreaKey.of(principal, f), tile.z >= POINT_MIN_ZOOM)
    # Core, not the ORM: a tile has no entities.
    body, count = session.connection().execute(query, _tile_params(tile)).one()
    answer = TileAnswer(bytes(body or b""), int(count or 0))
    access.record(session, principal, "list", resource, (), household_count=answer.features)
    return answer


@lru_cache(maxsize=256)
def _tile_query(key: AreaKey, points: bool) -> Select:
    """The tile statement for one caller scope and filter (the tile's numbers are parameters). Kept, because a
    map asks for dozens of tiles with the same filter, and building and keying a statement this size cost more
    CPU than running a small tile (measured: 3.4 ms against 0.9 ms per cell tile)."""
    conds = (*key.conditions(), *_IN_TILE)
    if points:
        rows = select(*_POINTS).where(*conds).order_by(*_DRAW_ORDER).subquery("households")
        return select(func.ST_AsMVT(rows.table_valued(), "households", EXTENT, "geom"), func.count()).select_from(
            rows)
    cells = select(*_CELL_COUNTS).where(*conds).group_by(_CELL_X, _CELL_Y).subquery("cells")
    c = cells.c
    worst = case((c.high > 0, "high"), (c.medium > 0, "medium"), (c.unvisited > 0, "unvisited"), else_="low")
    point = func.ST_Transform(func.ST_SetSRID(func.ST_MakePoint(c.lon, c.lat), 4326), 3857)
    rows = (select(c["count"], c.high, c.medium, c.low, c.unvisited, c.overdue, worst.label("risk_level"),
                   func.ST_AsMVTGeom(point, _ENVELOPE, EXTENT, 0, False).label("geom"))
            .subquery("clusters"))
    return select(func.ST_AsMVT(rows.table_valued(), "clusters", EXTENT, "geom"),
                  func.coalesce(func.sum(rows.c["count"]), 0)).select_from(rows)


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
