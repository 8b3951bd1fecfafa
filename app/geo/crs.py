"""Coordinate reference systems: Korean plane systems in, WGS84 lon/lat out, metres for distances."""
from functools import lru_cache

from pyproj import Geod, Transformer

WGS84 = "EPSG:4326"
# Korea 2000 / Central Belt 2010 (metres): the metric CRS used for Seoul distances and print layouts.
KOREA_CENTRAL = "EPSG:5186"
KOREA_UNIFIED = "EPSG:5179"
ACCEPTED_INPUT_CRS = (WGS84, KOREA_CENTRAL, KOREA_UNIFIED)


@lru_cache
def transformer(source: str, target: str) -> Transformer:
    """A cached pyproj transformer that always speaks x=lon/easting, y=lat/northing."""
    return Transformer.from_crs(source, target, always_xy=True)


def to_lonlat(x: float, y: float, crs: str) -> tuple[float, float]:
    """Convert a point given in `crs` to WGS84 (lon, lat)."""
    if crs == WGS84:
        return x, y
    lon, lat = transformer(crs, WGS84).transform(x, y)
    return lon, lat


def from_lonlat(lon: float, lat: float, crs: str) -> tuple[float, float]:
    """Convert WGS84 (lon, lat) to `crs` coordinates."""
    if crs == WGS84:
        return lon, lat
    return transformer(WGS84, crs).transform(lon, lat)


def to_metric(lon: float, lat: float) -> tuple[float, float]:
    """WGS84 to Korea Central Belt metres (for layouts and route lengths)."""
    return transformer(WGS84, KOREA_CENTRAL).transform(lon, lat)


_WGS84_ELLIPSOID = Geod(ellps="WGS84")


def geodesic_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Distance in metres between two WGS84 points, on the ellipsoid."""
    return _WGS84_ELLIPSOID.inv(lon1, lat1, lon2, lat2)[2]
