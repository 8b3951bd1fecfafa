"""Visit and service-link payloads."""
from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, model_validator

from app.households.schemas import HouseholdRead
from app.validation import MAX_ID, Note, RefId, StrictInput
from app.vocab import INDICATORS, NEEDS, SERVICE_TYPES, VISITOR_TYPES

ContactType = Literal["visit", "phone", "other"]
OverrideLevel = Literal["high", "medium", "low"]
ServiceStatus = Literal["requested", "in_progress", "delivered", "declined"]
Code = Annotated[str, Field(max_length=40)]


def _codes(vocabulary: dict[str, str], what: str):
    """Validator: every code known (Korean message naming the unknown ones), duplicates dropped."""

    def check(values: list[str]) -> list[str]:
        unknown = [v for v in values if v not in vocabulary]
        if unknown:
            raise ValueError(f"알 수 없는 {what} 코드: {', '.join(unknown)} (허용: {', '.join(vocabulary)})")
        return list(dict.fromkeys(values))

    return AfterValidator(check)


def _code(vocabulary: dict[str, str], what: str):
    def check(value: str | None) -> str | None:
        if value is not None and value not in vocabulary:
            raise ValueError(f"알 수 없는 {what} 코드: {value} (허용: {', '.join(vocabulary)})")
        return value

    return AfterValidator(check)


class VisitCreate(StrictInput):
    visited_at: datetime
    contact_type: ContactType
    visitor_types: Annotated[list[Code], Field(min_length=1, max_length=len(VISITOR_TYPES)),
                             _codes(VISITOR_TYPES, "방문주체")]
    indicators: Annotated[list[Code], Field(max_length=len(INDICATORS)), _codes(INDICATORS, "위기 지표")] = []
    needs: Annotated[list[Code], Field(max_length=len(NEEDS)), _codes(NEEDS, "욕구")] = []
    notes: Note | None = None
    risk_override: OverrideLevel | None = None
    override_reason: Note | None = None
    household_version: int | None = Field(
        default=None, ge=1, le=MAX_ID,
        description="이 기록의 바탕이 된 가구 version (오프라인 초안). "
                    "그 사이 가구가 바뀌었으면 409와 현재 가구·최근 방문")

    @model_validator(mode="after")
    def _override_has_reason(self):
        if self.risk_override is not None and not self.override_reason:
            raise ValueError("위험도를 직접 지정(risk_override)하려면 사유(override_reason)가 필요합니다")
        if self.risk_override is None and self.override_reason:
            raise ValueError("override_reason은 risk_override와 함께 보내세요")
        return self


class VisitRead(StrictInput):
    id: int
    household_id: int
    visited_at: datetime
    contact_type: str
    visitor_types: list[str]
    indicators: list[str]
    needs: list[str]
    notes: str | None
    risk_score: int | None
    risk_level_after: str
    color: str
    risk_override: str | None
    override_reason: str | None
    recorded_by: str | None
    created_at: datetime


class VisitList(StrictInput):
    items: list[VisitRead]
    total: int


class ServiceLinkCreate(StrictInput):
    type: Annotated[Code, _code(SERVICE_TYPES, "서비스 연계 유형")]
    facility_id: RefId | None = None
    status: ServiceStatus = "requested"
    note: Note | None = None
    need: Annotated[Code | None, _code(NEEDS, "욕구")] = None
    visit_id: RefId | None = None


class ServiceLinkUpdate(StrictInput):
    status: ServiceStatus
    note: Note | None = None
    version: int | None = Field(default=None, ge=1)


class ServiceLinkEventRead(StrictInput):
    status: str
    note: str | None
    changed_by: str | None
    changed_at: datetime


class ServiceLinkRead(StrictInput):
    id: int
    household_id: int
    visit_id: int | None
    type: str
    need: str | None
    facility_id: int | None
    facility_name: str | None
    status: str
    note: str | None
    created_by: str | None
    created_at: datetime
    updated_at: datetime
    version: int
    history: list[ServiceLinkEventRead]


class ServiceLinkList(StrictInput):
    items: list[ServiceLinkRead]
    total: int


class VisitCreated(StrictInput):
    visit: VisitRead
    household: HouseholdRead
