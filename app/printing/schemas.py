"""What a printout is made of: the options asked for and the prepared sheets (one per tract)."""
from dataclasses import dataclass, field
from datetime import datetime

from shapely.geometry.base import BaseGeometry

from app.risk.levels import LABELS
from app.vocab import NEEDS


@dataclass(frozen=True)
class PrintOptions:
    """The caller's choices: purpose (출력 사유), filters, start point and urgent-first routing."""

    purpose: str
    risk: tuple[str, ...] = ()
    need: tuple[str, ...] = ()
    overdue: bool | None = None
    urgent_first: bool = False
    start: tuple[float, float] | None = None  # lon, lat; None → the 동 주민센터

    def describe(self) -> str:
        """The filters applied, in Korean, as printed on the map page."""
        parts = []
        if self.risk:
            parts.append("위험도 " + "·".join(LABELS[r] for r in self.risk))
        if self.need:
            parts.append("욕구 " + "·".join(NEEDS[n] for n in self.need))
        if self.overdue is True:
            parts.append("방문 기한 경과 가구만")
        elif self.overdue is False:
            parts.append("방문 기한 이내 가구만")
        parts.append("활성 가구" if parts else "활성 가구 전체")
        if self.urgent_first:
            parts.append("고위험·기한 경과 우선 순서")
        return ", ".join(parts)


@dataclass
class Stop:
    """One household on the round: its number on the map and in the list, masked details, position."""

    number: int
    household: dict  # app.households.service.to_read(...) shape, masked
    x: float  # EPSG:5186 metres
    y: float


@dataclass
class Outline:
    """A context shape drawn for orientation (neighbour tract or dong boundary)."""

    name: str
    geom: BaseGeometry  # EPSG:5186
    own_dong: bool


@dataclass
class Sheet:
    """One tract's map and list."""

    tract_id: int
    number: int
    name: str
    dong_name: str
    geom: BaseGeometry  # EPSG:5186
    lonlat_geom: BaseGeometry  # WGS84, for the HTML map
    stops: list[Stop]
    start: tuple[float, float]  # EPSG:5186 metres
    start_lonlat: tuple[float, float]
    start_label: str
    route_m: float
    tracts: list[Outline] = field(default_factory=list)  # other tracts around
    dongs: list[Outline] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        """Households per risk level on this sheet."""
        result = {level: 0 for level in LABELS}
        for s in self.stops:
            result[s.household["risk_level"]] += 1
        return result

    @property
    def overdue_count(self) -> int:
        return sum(1 for s in self.stops if s.household["overdue"])


@dataclass
class PrintJob:
    """Everything a renderer needs, already filtered to the caller's area and masked."""

    title: str  # e.g. "충현동 3통" or "충현동"
    dong_name: str
    sheets: list[Sheet]
    options: PrintOptions
    printed_at: datetime
    printed_by: str

    @property
    def household_ids(self) -> list[int]:
        return [s.household["id"] for sheet in self.sheets for s in sheet.stops]
