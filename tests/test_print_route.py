"""Walking order maths (no database): a permutation, never longer than nearest neighbour, urgent first."""
import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from app.printing.route import _nearest_neighbour, path_length, walking_order

coord = st.floats(min_value=-2000, max_value=2000, allow_nan=False, allow_infinity=False)
points = st.lists(st.tuples(coord, coord), min_size=0, max_size=60)


@settings(max_examples=150, deadline=None)
@given(points, st.tuples(coord, coord))
def test_walking_order_is_a_permutation_no_longer_than_nearest_neighbour(pts, start):
    order = walking_order(start, pts)
    assert sorted(order) == list(range(len(pts)))
    if pts:
        nn = _nearest_neighbour(np.asarray(start, dtype=float), np.asarray(pts, dtype=float))
        assert path_length(start, pts, order) <= path_length(start, pts, nn) + 1e-6


@settings(max_examples=100, deadline=None)
@given(points, st.tuples(coord, coord), st.data())
def test_urgent_households_come_first(pts, start, data):
    urgent = data.draw(st.lists(st.booleans(), min_size=len(pts), max_size=len(pts)))
    order = walking_order(start, pts, urgent)
    assert sorted(order) == list(range(len(pts)))
    flags = [urgent[i] for i in order]
    assert flags == sorted(flags, reverse=True)


def test_two_opt_untangles_a_crossing():
    # Points on a circle visited in a scrambled order: the result has no crossing, so it follows the circle.
    n = 24
    pts = [(100 * math.cos(2 * math.pi * k / n), 100 * math.sin(2 * math.pi * k / n)) for k in range(n)]
    order = walking_order(pts[0], pts)
    perimeter_open = 2 * math.pi * 100 * (n - 1) / n
    assert path_length(pts[0], pts, order) <= perimeter_open * 1.01
    scrambled = list(range(0, n, 2)) + list(range(1, n, 2))
    assert path_length(pts[0], pts, order) < path_length(pts[0], pts, scrambled)


def test_path_length_in_metres():
    assert path_length((0, 0), [(3, 4), (3, 0)], [0, 1]) == 9
    assert path_length((0, 0), [], []) == 0
