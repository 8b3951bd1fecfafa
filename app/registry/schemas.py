"""API shapes of the registry-changes inbox."""
from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, Field

from app.validation import Note, StrictInput

Action = Literal["close_death", "close_moved_out", "close_merged", "move", "review"]


class Proposal(BaseModel):
    action: Action = Field(description="반영하면 할 일: 가구 종결(사망·전출·합가), 관내 이사, 확인만")
    label: str
    to_dong_id: int | None = None
    to_dong_name: str | None = None


class ChangeHousehold(BaseModel):
    id: int
    head_name: str | None
    address: str
    dong_id: int
    dong_name: str | None
    status: str
    closed_reason: str | None = None


class RegistryChangeRead(BaseModel):
    id: int
    import_id: int
    row: int
    change: str | None
    change_label: str | None = None
    head_name: str | None = None
    birth_year: int | None = None
    address: str | None = None
    address_detail: str | None = None
    previous_address: str | None = None
    changed_on: date | None = None
    household: ChangeHousehold | None = None
    proposal: Proposal
    from_dong_id: int | None = None
    from_dong_name: str | None = None
    to_dong_id: int | None = None
    to_dong_name: str | None = None
    status: str = Field(description="pending | applied | dismissed | unmatched")
    note: str | None = None
    reason: str | None = None
    resolved_at: datetime | None = None
    resolved_by_name: str | None = None
    version: int


class RegistryChangeList(BaseModel):
    total: int
    items: list[RegistryChangeRead]


class ApplyBody(StrictInput):
    version: int = Field(ge=1)


def _reason(value: str) -> str:
    if len(value) < 2:
        raise ValueError("반영하지 않는 이유를 2자 이상 적어 주세요")
    return value


class DismissBody(StrictInput):
    reason: Annotated[Note, Field(max_length=300), AfterValidator(_reason)] = Field(
        description="반영하지 않는 이유 (2~300자)")
    version: int = Field(ge=1)
