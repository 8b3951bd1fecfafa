"""Checks for coordinates that come from users, with Korean messages."""
import math
from dataclasses import dataclass

from shapely.geometry.base import BaseGeometry

# Where Korean welfare work happens: mainland, Jeju and the islands (generous on purpose).
KOREA_LON = (124.0, 132.0)
KOREA_LAT = (33.0, 39.0)


class CoordinateError(ValueError):
    """A coordinate a person must correct; the message is Korean."""


def check_lonlat(lon: float, lat: float) -> None:
    """Refuse NaN, out-of-range and swapped WGS84 coordinates with a message that says which."""
    if not (math.isfinite(lon) and math.isfinite(lat)):
        raise CoordinateError("좌표에 NaN 또는 무한대 값은 쓸 수 없습니다.")
    in_korea = KOREA_LON[0] <= lon <= KOREA_LON[1] and KOREA_LAT[0] <= lat <= KOREA_LAT[1]
    swapped = KOREA_LON[0] <= lat <= KOREA_LON[1] and KOREA_LAT[0] <= lon <= KOREA_LAT[1]
    if swapped and not in_korea:
        raise CoordinateError("경도와 위도가 뒤바뀐 것 같습니다. 순서는 경도(lon), 위도(lat)입니다.")
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise CoordinateError("경도는 -180~180, 위도는 -90~90 범위여야 합니다.")
    if not in_korea:
        raise CoordinateError("좌표가 대한민국 범위를 벗어났습니다.")


def check_geometry(geom: BaseGeometry) -> None:
    """Refuse empty or invalid shapes (self-intersections and the like)."""
    if geom.is_empty:
        raise CoordinateError("도형이 비어 있습니다.")
    if not geom.is_valid:
        raise CoordinateError("도형이 올바르지 않습니다 (자기 교차 등).")


@dataclass(frozen=True)
class BBox:
    """A lon/lat bounding box: west, south, east, north."""

    west: float
    south: float
    east: float
    north: float

    MAX_SPAN_DEG = 2.0  # wider than any district; larger boxes are refused

    @classmethod
    def parse(cls, text: str) -> "BBox":
        """Parse `west,south,east,north` and check order, range and size."""
        parts = text.split(",")
        if len(parts) != 4:
            raise CoordinateError("bbox는 서,남,동,북 네 개의 숫자여야 합니다.")
        try:
            west, south, east, north = (float(p) for p in parts)
        except ValueError:
            raise CoordinateError("bbox에 숫자가 아닌 값이 있습니다.") from None
        if not all(math.isfinite(v) for v in (west, south, east, north)):
            raise CoordinateError("bbox에 NaN 또는 무한대 값은 쓸 수 없습니다.")
        if not (-180 <= west <= 180 and -180 <= east <= 180 and -90 <= south <= 90 and -90 <= north <= 90):
            raise CoordinateError("bbox 좌표가 범위를 벗어났습니다.")
        if west >= east or south >= north:
            raise CoordinateError("bbox의 순서가 뒤집혔습니다: 서<동, 남<북 이어야 합니다.")
        if east - west > cls.MAX_SPAN_DEG or north - south > cls.MAX_SPAN_DEG:
            raise CoordinateError("bbox가 너무 큽니다 (가로·세로 2도 이하).")
        return cls(west, south, east, north)
