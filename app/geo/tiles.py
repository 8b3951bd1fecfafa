"""Web-Mercator tile addresses (z/x/y, XYZ scheme as Leaflet asks for them) and their edges in lon/lat."""
import math
from dataclasses import dataclass

from app.geo.validate import CoordinateError

MAX_ZOOM = 22


def _integer(name: str, text: str) -> int:
    if not text.isascii() or not text.isdigit() or len(text) > 8:
        raise CoordinateError(f"타일 주소의 {name}는 0 이상의 정수여야 합니다 (받은 값: {text[:20]!r}).")
    return int(text)


@dataclass(frozen=True)
class Tile:
    z: int
    x: int
    y: int

    @classmethod
    def parse(cls, z: str, x: str, y: str) -> "Tile":
        """A tile from the path's text, refusing negative, fractional, out-of-range and too-deep addresses."""
        tile = cls(_integer("z", z), _integer("x", x), _integer("y", y))
        if tile.z > MAX_ZOOM:
            raise CoordinateError(f"확대 수준 z는 0~{MAX_ZOOM}이어야 합니다.")
        side = 1 << tile.z
        if tile.x >= side or tile.y >= side:
            raise CoordinateError(f"확대 수준 {tile.z}에서 x와 y는 0~{side - 1}이어야 합니다.")
        return tile

    def edges(self) -> tuple[float, float, float, float]:
        """(west, south, east, north) in degrees. Neighbours compute a shared edge with the same expression, so
        the half-open test in `app.tiles` puts a point on an edge in exactly one tile."""
        return _lon(self.x, self.z), _lat(self.y + 1, self.z), _lon(self.x + 1, self.z), _lat(self.y, self.z)


def _lon(x: int, z: int) -> float:
    return x / (1 << z) * 360.0 - 180.0


def _lat(y: int, z: int) -> float:
    return math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * y / (1 << z)))))


def tile_of(lon: float, lat: float, z: int) -> Tile:
    """The tile holding a point under the same half-open rule (west and south edges exclusive of the east/south
    neighbour): used by tests and the benchmark to pick tiles."""
    side = 1 << z
    x = min(side - 1, int((lon + 180.0) / 360.0 * side))
    y = min(side - 1, int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * side))
    # Correct the float estimate against the exact edges.
    while x > 0 and lon < _lon(x, z):
        x -= 1
    while x < side - 1 and lon >= _lon(x + 1, z):
        x += 1
    while y > 0 and lat > _lat(y, z):
        y -= 1
    while y < side - 1 and lat <= _lat(y + 1, z):
        y += 1
    return Tile(z, x, y)
