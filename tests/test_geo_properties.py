"""Property tests of the pure geometry helpers: partitions tile a dong exactly, and coordinate checks
recognise every swapped lon/lat pair in Korea."""
import math

import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import Polygon

from app.geo.partition import partition
from app.geo.validate import KOREA_LAT, KOREA_LON, BBox, CoordinateError, check_lonlat

korea_lon = st.floats(KOREA_LON[0], KOREA_LON[1], allow_nan=False)
korea_lat = st.floats(KOREA_LAT[0], KOREA_LAT[1], allow_nan=False)


@st.composite
def dong_like_polygons(draw) -> Polygon:
    """Simple star-shaped polygons of dong size (about 0.5 to 4 km across) somewhere in Seoul."""
    cx = draw(st.floats(126.8, 127.2))
    cy = draw(st.floats(37.45, 37.7))
    k = draw(st.integers(5, 14))
    angles = sorted(draw(st.lists(st.floats(0, 2 * math.pi, exclude_max=True), min_size=k, max_size=k,
                                  unique=True)))
    radii = draw(st.lists(st.floats(0.003, 0.02), min_size=k, max_size=k))
    ring = [(cx + r * math.cos(a), cy + r * math.sin(a)) for a, r in zip(angles, radii, strict=True)]
    polygon = Polygon(ring)
    if not polygon.is_valid or polygon.area < 2e-5:
        polygon = Polygon(ring).convex_hull  # still a dong-sized shape
    return polygon


@settings(max_examples=40, deadline=None)
@given(polygon=dong_like_polygons(), n=st.integers(2, 20))
def test_partition_tiles_the_polygon_exactly(polygon, n):
    parts = partition(polygon, n)
    assert 1 <= len(parts) <= n
    assert all(p.is_valid and not p.is_empty for p in parts)
    union = shapely.union_all(parts)
    assert union.symmetric_difference(polygon).area <= polygon.area * 1e-9  # no gap, nothing outside
    assert math.isclose(sum(p.area for p in parts), polygon.area, rel_tol=1e-9)  # no overlap
    for i, a in enumerate(parts):
        for b in parts[i + 1:]:
            assert a.intersection(b).area <= polygon.area * 1e-12


@settings(max_examples=15, deadline=None)
@given(polygon=dong_like_polygons(), n=st.integers(2, 12))
def test_partition_is_deterministic(polygon, n):
    assert [p.wkb for p in partition(polygon, n)] == [p.wkb for p in partition(polygon, n)]


@given(lon=korea_lon, lat=korea_lat)
def test_every_point_in_korea_passes_and_its_swap_is_named(lon, lat):
    check_lonlat(lon, lat)
    with pytest.raises(CoordinateError, match="뒤바뀐"):
        check_lonlat(lat, lon)


@given(lon=st.floats(-180, 180), lat=st.floats(-90, 90))
def test_points_outside_korea_are_refused_never_called_swapped_unless_they_are(lon, lat):
    in_korea = KOREA_LON[0] <= lon <= KOREA_LON[1] and KOREA_LAT[0] <= lat <= KOREA_LAT[1]
    swapped = KOREA_LON[0] <= lat <= KOREA_LON[1] and KOREA_LAT[0] <= lon <= KOREA_LAT[1]
    if in_korea:
        check_lonlat(lon, lat)
        return
    with pytest.raises(CoordinateError) as refused:
        check_lonlat(lon, lat)
    assert ("뒤바뀐" in str(refused.value)) == swapped


@given(lon=st.floats(allow_nan=True, allow_infinity=True), lat=st.floats(allow_nan=True, allow_infinity=True))
def test_non_finite_or_out_of_range_coordinates_never_pass_silently(lon, lat):
    try:
        check_lonlat(lon, lat)
    except CoordinateError:
        return
    assert KOREA_LON[0] <= lon <= KOREA_LON[1] and KOREA_LAT[0] <= lat <= KOREA_LAT[1]


@given(west=korea_lon, south=korea_lat, width=st.floats(1e-6, 1.999), height=st.floats(1e-6, 1.999))
def test_bbox_parses_what_it_prints_and_refuses_the_inverted_box(west, south, width, height):
    east, north = west + width, south + height
    if east > 180 or north > 90 or east <= west or north <= south:
        return
    box = BBox.parse(f"{west!r},{south!r},{east!r},{north!r}")
    assert (box.west, box.south, box.east, box.north) == (west, south, east, north)
    with pytest.raises(CoordinateError, match="뒤집혔습니다"):
        BBox.parse(f"{east!r},{south!r},{west!r},{north!r}")
