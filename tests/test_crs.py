"""CRS conversions: Korean plane systems to WGS84 and back within 0.1 m."""
from hypothesis import given, settings
from hypothesis import strategies as st
from pyproj import Geod

from app.geo.crs import KOREA_CENTRAL, KOREA_UNIFIED, from_lonlat, to_lonlat

GEOD = Geod(ellps="WGS84")
lons = st.floats(min_value=124.5, max_value=131.5)
lats = st.floats(min_value=33.0, max_value=38.6)


@settings(max_examples=200, deadline=None)
@given(lons, lats, st.sampled_from([KOREA_CENTRAL, KOREA_UNIFIED]))
def test_round_trip_is_within_a_tenth_of_a_metre(lon, lat, crs):
    x, y = from_lonlat(lon, lat, crs)
    lon2, lat2 = to_lonlat(x, y, crs)
    _, _, distance_m = GEOD.inv(lon, lat, lon2, lat2)
    assert distance_m < 0.1


def test_known_point_in_central_belt():
    # EPSG:5186 has its origin at 127°E, 38°N with false easting 200,000 m and northing 600,000 m.
    x, y = from_lonlat(127.0, 38.0, KOREA_CENTRAL)
    assert abs(x - 200_000) < 0.01 and abs(y - 600_000) < 0.01
