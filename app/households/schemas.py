"""Household payloads."""
from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, Field, model_validator

from app.households.rrn import mask_in_text
from app.households.rrn import normalize as _normalize_rrn
from app.validation import (
    Address,
    LocatedInput,
    Name,
    Note,
    OptionalAddress,
    Phone,
    StrictInput,
)
from app.vocab import DISCOVERY_CONTACTS, DISCOVERY_OUTCOMES

# 주민등록번호 in: validated, encrypted at once by the service, never sent back (write-only).
Rrn = Annotated[str, Field(max_length=14, pattern=r"^[0-9]{6}-?[0-9]{7}$", json_schema_extra={"writeOnly": True},
                           description="주민등록번호 (선택, 암호화 저장, 응답에 나오지 않음)"),
                AfterValidator(_normalize_rrn)]


def _purpose(value: str) -> str:
    if len(value) < 2:
        raise ValueError("사유를 2자 이상 적어 주세요")
    return value


Purpose = Annotated[Note, Field(max_length=300), AfterValidator(_purpose)]
FREE_TEXT = ("head_name", "address", "registered_address", "notes")


class _Located(LocatedInput):
    @model_validator(mode="after")
    def _no_rrn_in_free_text(self):
        """A 주민등록번호 typed into a text field is masked before it is stored (use the rrn field)."""
        for name in FREE_TEXT:
            value = getattr(self, name, None)
            if isinstance(value, str):
                masked = mask_in_text(value)
                if masked != value:
                    object.__setattr__(self, name, masked)
        return self



class HouseholdCreate(_Located):
    head_name: Name
    address: Address
    members: int = Field(default=1, ge=1, le=50)
    phone: Phone | None = None
    registered_address: OptionalAddress | None = None
    notes: Note | None = None
    rrn: Rrn | None = None

    @model_validator(mode="after")
    def _needs_location(self):
        if not self.has_location():
            raise ValueError("위치(lon/lat 또는 x/y/crs)가 필요합니다")
        return self


class HouseholdUpdate(_Located):
    head_name: Name | None = None
    address: Address | None = None
    members: int | None = Field(default=None, ge=1, le=50)
    phone: Phone | None = None
    registered_address: OptionalAddress | None = None
    notes: Note | None = None
    rrn: Rrn | None = Field(default=None, description="null을 보내면 저장된 주민등록번호를 지웁니다")
    version: int | None = Field(default=None, ge=1)


class HouseholdClose(StrictInput):
    reason: Literal["death", "moved_out", "merged", "other"]
    version: int | None = Field(default=None, ge=1)
    note: Note | None = None


class UnmaskRequest(StrictInput):
    purpose: Purpose


class RrnLookup(StrictInput):
    rrn: Rrn
    purpose: Purpose | None = None


class RrnLookupResult(StrictInput):
    household_ids: list[int]


class DiscoveryEntry(StrictInput):
    """The household on a 발굴 list: its round, the list's data signals, the 조사 기한 and what was recorded."""

    id: int
    import_id: int
    round: str | None
    signals: list[str]
    due_on: date | None
    contact: str | None
    outcome: str | None
    note: str | None
    recorded_at: datetime | None
    version: int


class DiscoveryRecord(StrictInput):
    import_id: int = Field(ge=1)
    contact: Literal[tuple(DISCOVERY_CONTACTS)] | None = None  # type: ignore[valid-type]
    outcome: Literal[tuple(DISCOVERY_OUTCOMES)] | None = None  # type: ignore[valid-type]
    note: Note | None = None
    version: int = Field(ge=1)


class HouseholdMove(BaseModel):
    """An applied 주민등록 change of the household (a move keeps the dong it left and the dong it joined)."""

    id: int
    change: str | None
    change_label: str | None
    changed_on: date | None
    from_dong_id: int | None
    from_dong_name: str | None
    to_dong_id: int | None
    to_dong_name: str | None
    address: str | None
    previous_address: str | None
    resolved_at: datetime | None


class HouseholdRead(StrictInput):
    id: int
    head_name: str
    address: str
    registered_address: str | None
    lon: float
    lat: float
    dong_id: int
    tract_id: int | None
    members: int
    phone: str | None
    risk_level: str
    color: str
    risk_reason: str | None
    last_visit_at: datetime | None
    next_visit_due: date
    overdue: bool
    placement: str = "manual"
    needs: list[str]
    status: str
    closed_reason: str | None
    version: int
    notes: str | None = None
    dong_name: str | None = None
    tract_name: str | None = None
    masked: bool = True
    has_rrn: bool = False
    discovery: list[DiscoveryEntry] = Field(default_factory=list, description="발굴 명단 차수별 항목 (상세 조회)")
    moves: list[HouseholdMove] | None = Field(None, description="반영한 주민등록 변동 (상세 조회에서만)")


class HouseholdList(StrictInput):
    items: list[HouseholdRead]
    total: int
    total_capped: bool = Field(False, description="검색 결과가 total(1,000)보다 많음: 화면에는 '1,000+'")
