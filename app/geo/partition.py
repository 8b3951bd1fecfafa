"""Split a polygon into n compact parts that tile it exactly (synthetic 통 for the demo)."""
import math

import numpy as np
import shapely
from shapely.geometry import MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry


def _polygons_of(geom: BaseGeometry) -> list[Polygon]:
    if isinstance(geom, Polygon):
        return [geom] if not geom.is_empty else []
    return [g for part in getattr(geom, "geoms", []) for g in _polygons_of(part)]


def as_multipolygon(geom: BaseGeometry) -> MultiPolygon:
    """Keep only the polygonal parts of a geometry, as one MultiPolygon."""
    return MultiPolygon(_polygons_of(geom))


def _grid_inside(polygon: BaseGeometry, target: int, x_scale: float) -> np.ndarray:
    minx, miny, maxx, maxy = polygon.bounds
    cell = math.sqrt(polygon.area / target)
    xs = np.arange(minx + cell / (2 * x_scale), maxx, cell / x_scale)
    ys = np.arange(miny + cell / 2, maxy, cell)
    grid = np.array([(x, y) for y in ys for x in xs])
    inside = shapely.contains_xy(polygon, grid[:, 0], grid[:, 1])
    return grid[inside]


def partition(polygon: BaseGeometry, n: int, iterations: int = 25) -> list[MultiPolygon]:
    """Tile `polygon` with n Voronoi cells of k-means centres; deterministic for the same input.

    Cells are clipped to the polygon, so the parts cover it exactly and share edges without overlap.
    The order runs north to south in bands, west to east inside a band, like 통 numbers on a map.
    """
    lat = polygon.centroid.y
    x_scale = math.cos(math.radians(lat))  # make degrees roughly square before measuring distances
    points = _grid_inside(polygon, n * 60, x_scale)
    scaled = points * np.array([x_scale, 1.0])
    # Deterministic start: evenly spaced samples along the north-to-south sorted grid.
    order = np.lexsort((scaled[:, 0], -scaled[:, 1]))
    centres = scaled[order[np.linspace(0, len(order) - 1, n).astype(int)]].copy()
    for _ in range(iterations):
        distances = ((scaled[:, None, :] - centres[None, :, :]) ** 2).sum(axis=2)
        nearest = distances.argmin(axis=1)
        for k in range(n):
            members = scaled[nearest == k]
            if len(members):
                centres[k] = members.mean(axis=0)
    seeds = shapely.MultiPoint(centres / np.array([x_scale, 1.0]))
    cells = shapely.voronoi_polygons(seeds, extend_to=polygon.envelope.buffer(0.01))
    parts = []
    for cell in cells.geoms:
        piece = as_multipolygon(cell.intersection(polygon))
        if not piece.is_empty:
            parts.append(piece)
    band_height = (polygon.bounds[3] - polygon.bounds[1]) / max(1, round(math.sqrt(len(parts))))

    def reading_order(part: MultiPolygon) -> tuple[int, float]:
        c = part.representative_point()
        band = int((polygon.bounds[3] - c.y) / band_height) if band_height else 0
        return band, c.x if band % 2 == 0 else -c.x  # snake through the bands

    return sorted(parts, key=reading_order)
