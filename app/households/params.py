"""The household filter's query parameters, parsed once for the list, the map layer and the exports."""
from typing import Annotated, Literal

from fastapi import Depends, Query

from app.deps import BBoxDep, OptionalRecordId
from app.errors import InvalidInput
from app.households.service import SORTS, HouseholdFilter, parse_risk
from app.validation import parse_codes
from app.vocab import NEEDS, PLACEMENTS

RiskParam = Annotated[str | None, Query(max_length=60, description="high,medium,low,unvisited")]
NeedParam = Annotated[str | None, Query(max_length=300, description="욕구 코드, 쉼표로 구분")]
PlacementParam = Annotated[str | None, Query(max_length=60, description="위치 결정 방식 (approximate: 위치 대략)")]
RoundParam = Annotated[str | None, Query(max_length=30, description="발굴 차수 (예: 2026-6차)")]
Sort = Literal[SORTS]  # type: ignore[valid-type]

# The parsers are `async def` although they wait for nothing: FastAPI runs a plain `def` dependency in a worker
# thread, and each such hop cost about 0.1 ms of every map read (measured in bench/bench_map_scale.py).


async def area_filter(dong_id: OptionalRecordId = None, tract_id: OptionalRecordId = None, risk: RiskParam = None,
                need: NeedParam = None, overdue: bool | None = None,
                placement: PlacementParam = None, round: RoundParam = None) -> HouseholdFilter:
    """Area, risk, needs, overdue, placement and 발굴 round: what map tiles filter by (active households only)."""
    if round is not None and "\x00" in round:
        raise InvalidInput("round: NUL 문자는 쓸 수 없습니다")
    return HouseholdFilter(dong_id=dong_id, tract_id=tract_id, risk=parse_risk(risk),
                           need=parse_codes(need, NEEDS, "욕구 코드"), overdue=overdue,
                           placement=parse_codes(placement, PLACEMENTS, "위치 결정 방식"),
                           round=(round or "").strip() or None)


async def layer_filter(base: Annotated[HouseholdFilter, Depends(area_filter)], bbox: BBoxDep) -> HouseholdFilter:
    """The tiles' filter plus a bbox: what the GeoJSON layer filters by."""
    base.bbox = bbox
    return base


async def list_filter(base: Annotated[HouseholdFilter, Depends(layer_filter)],
                q: Annotated[str | None, Query(max_length=100, description="주소·성명 검색")] = None,
                status: Literal["active", "closed", "all"] = "active") -> HouseholdFilter:
    """The layer's filter plus free text and status: what the list and the exports filter by."""
    if q is not None and "\x00" in q:
        raise InvalidInput("q: NUL 문자는 쓸 수 없습니다")
    base.q, base.status = (q or "").strip() or None, status
    return base


TileFilter = Annotated[HouseholdFilter, Depends(area_filter)]
LayerFilter = Annotated[HouseholdFilter, Depends(layer_filter)]
ListFilter = Annotated[HouseholdFilter, Depends(list_filter)]
