"""API shapes of imported lists, the placement queue and their rows."""
from datetime import date, datetime

from pydantic import BaseModel, Field

from app.validation import Lat, Lon, StrictInput


class RowError(BaseModel):
    row: int
    column: str
    message: str


class CellError(BaseModel):
    column: str
    message: str


class FieldInfo(BaseModel):
    name: str
    label: str
    required: bool


class Counts(BaseModel):
    new: int = 0
    matched: int = 0
    unplaced: int = 0
    error: int = 0
    out_of_scope: int = 0


class ImportRead(BaseModel):
    id: int
    kind: str
    status: str
    file_name: str
    source: str
    round: str | None = None
    due_on: date | None = None
    rows_total: int
    counts: Counts
    errors: list[RowError] = []
    mapping: dict[str, str | None]
    headers: list[str]
    fields: list[FieldInfo]
    version: int
    created_at: datetime | None = None
    created_by_name: str | None = None
    committed_at: datetime | None = None
    mapping_saved: bool = False
    applied: dict[str, int] | None = Field(default=None, description="반영 결과: created, updated, queued, ...")


class ImportList(BaseModel):
    total: int
    items: list[ImportRead]


class Suggestion(BaseModel):
    household_id: int
    head_name: str | None
    address: str


class ImportRowRead(BaseModel):
    id: int
    import_id: int
    kind: str
    round: str | None = None
    row: int
    outcome: str
    state: str
    head_name: str | None = None
    address: str | None = None
    address_detail: str | None = None
    birth_year: int | None = None
    dong_id: int | None = None
    dong_name: str | None = None
    household_id: int | None = None
    suggestion: Suggestion | None = None
    placement: str | None = None
    note: str | None = None
    errors: list[CellError] = []
    signals: list[str] = []
    change: str | None = None
    changed_on: date | None = None
    version: int


class ImportRowList(BaseModel):
    total: int
    items: list[ImportRowRead]


class VersionBody(StrictInput):
    version: int = Field(ge=1)


class MappingBody(StrictInput):
    mapping: dict[str, str | None] = Field(description="필드 이름 → 파일의 열 이름 (null: 사용 안 함)")
    version: int = Field(ge=1)


class PlaceBody(StrictInput):
    lon: Lon
    lat: Lat
    version: int = Field(ge=1)


class Placed(BaseModel):
    id: int
    household_id: int
    dong_id: int
    tract_id: int | None
    state: str
    version: int
