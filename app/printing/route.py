"""Walking order for a field round: nearest neighbour, then 2-opt, on metric (EPSG:5186) coordinates."""
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from app.geo.crs import to_metric

Point = tuple[float, float]


def path_length(start: Point, points: Sequence[Point], order: Sequence[int]) -> float:
    """Length in metres of the open path start → points[order[0]] → … (no return leg)."""
    if not order:
        return 0.0
    xy = np.asarray([start] + [points[i] for i in order], dtype=float)
    return float(np.hypot(*np.diff(xy, axis=0).T).sum())


def _nearest_neighbour(start: np.ndarray, xy: np.ndarray) -> list[int]:
    left = np.ones(len(xy), dtype=bool)
    here, order = start, []
    for _ in range(len(xy)):
        d = np.hypot(xy[:, 0] - here[0], xy[:, 1] - here[1])
        d[~left] = np.inf
        k = int(np.argmin(d))
        order.append(k)
        left[k] = False
        here = xy[k]
    return order


def _two_opt(start: np.ndarray, xy: np.ndarray, order: list[int], max_passes: int = 50) -> list[int]:
    """Improve an open path with a fixed start by reversing segments while that shortens it."""
    n = len(order)
    if n < 3:
        return order
    route = np.asarray(order)
    for _ in range(max_passes):
        improved = False
        for i in range(n - 1):
            p = np.vstack([start[None, :], xy[route]])  # p[k + 1] is the k-th stop
            a, b = p[i], p[i + 1]  # reversing stops i..j swaps edges (a,b) and (c,d) for (a,c) and (b,d)
            c = p[i + 2:]
            d = np.vstack([p[i + 3:], np.full((1, 2), np.nan)])
            ab = np.hypot(*(b - a))
            ac = np.hypot(c[:, 0] - a[0], c[:, 1] - a[1])
            cd = np.nan_to_num(np.hypot(d[:, 0] - c[:, 0], d[:, 1] - c[:, 1]))
            bd = np.nan_to_num(np.hypot(d[:, 0] - b[0], d[:, 1] - b[1]))
            gain = ab + cd - ac - bd
            k = int(np.argmax(gain))
            if gain[k] > 1e-6:
                j = i + 1 + k
                route[i:j + 1] = route[i:j + 1][::-1].copy()
                improved = True
        if not improved:
            break
    return route.tolist()


def _order_group(start: Point, points: Sequence[Point], members: list[int]) -> list[int]:
    if not members:
        return []
    xy = np.asarray([points[i] for i in members], dtype=float)
    s = np.asarray(start, dtype=float)
    local = _two_opt(s, xy, _nearest_neighbour(s, xy))
    return [members[k] for k in local]


def walking_order(start: Point, points: Sequence[Point], urgent: Sequence[bool] | None = None) -> list[int]:
    """Indices of `points` in walking order from `start`; with `urgent`, those come first."""
    if urgent is None or not any(urgent) or all(urgent):
        return _order_group(start, points, list(range(len(points))))
    first = _order_group(start, points, [i for i, u in enumerate(urgent) if u])
    rest = _order_group(points[first[-1]], points, [i for i, u in enumerate(urgent) if not u])
    return first + rest


def urgent(household: dict) -> bool:
    """Visited first on an urgent-first round: high risk or past its visit due date."""
    return household["risk_level"] == "high" or household["overdue"]


@dataclass(frozen=True)
class RoundPlan:
    """A round's walking order over households (dicts with lon, lat), on metric coordinates."""

    start: Point  # EPSG:5186 metres
    points: list[Point]  # EPSG:5186 metres, in the households' order
    order: list[int]  # indices into the households, in walking order
    route_m: float  # start → last stop, no return leg

    def legs_m(self) -> list[float]:
        """Metres from the previous stop (the start for the first) to each stop, in walking order."""
        path = [self.start] + [self.points[i] for i in self.order]
        return [float(np.hypot(b[0] - a[0], b[1] - a[1])) for a, b in zip(path, path[1:], strict=False)]


def plan_round(start_lonlat: Point, households: Sequence[dict], urgent_first: bool = False) -> RoundPlan:
    """The walking order of a printed or phone round: from the start, urgent households first if asked."""
    start = to_metric(*start_lonlat)
    points = [to_metric(h["lon"], h["lat"]) for h in households]
    flags = [urgent(h) for h in households] if urgent_first else None
    order = walking_order(start, points, flags)
    return RoundPlan(start, points, order, path_length(start, points, order))
