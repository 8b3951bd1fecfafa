"""The round a phone downloads: a tract, where the walk starts and its households in walking order."""
from datetime import datetime

from pydantic import Field

from app.households.schemas import HouseholdRead
from app.validation import StrictInput


class RoundTract(StrictInput):
    id: int
    name: str
    number: int
    dong_id: int
    dong_name: str
    geometry: dict = Field(description="통 경계 (GeoJSON, WGS84)")


class RoundStart(StrictInput):
    lon: float
    lat: float
    label: str = Field(description="예: '천연동 주민센터', '출발점(지정)'")


class RoundStop(HouseholdRead):
    """A household as the household list shows it to this caller (masked), with its place on the round."""

    order: int = Field(description="방문 순서 1..n")
    distance_m: float = Field(description="앞 가구(첫 가구는 출발점)에서 걸어서 잴 직선 거리, 미터")
    open_needs: list[str] = Field(description="아직 충족되지 않은 욕구 (needs와 같음)")


class RoundRead(StrictInput):
    tract: RoundTract
    start: RoundStart
    route_m: float = Field(description="출발점에서 마지막 가구까지 (돌아오는 길 제외), 미터")
    urgent_first: bool
    offline: bool = Field(description="purpose=offline: 오프라인 받기로 접속기록(export)에 남음")
    generated_at: datetime
    households: list[RoundStop]
