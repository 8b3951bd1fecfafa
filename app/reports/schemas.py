"""Report payloads: intake, triage actions, and the staff and reporter views."""
from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, Field, model_validator

from app.validation import (
    Address,
    Lat,
    Lon,
    Name,
    Note,
    OptionalAddress,
    Phone,
    RefId,
    StrictInput,
    Text,
    not_blank,
)
from app.vocab import INDICATORS

IndicatorCode = Literal[tuple(INDICATORS)]  # type: ignore[valid-type]


def _unique(values: list[str]) -> list[str]:
    return list(dict.fromkeys(values))


Description = Annotated[Note, AfterValidator(not_blank)]
Contact = Annotated[Text, Field(max_length=120)]
Indicators = Annotated[list[IndicatorCode], Field(max_length=len(INDICATORS) * 2), AfterValidator(_unique)]


class ReportCreate(StrictInput):
    """What a 통장, partner or official sends: a description and, if known, a point or an address."""

    description: Description
    lon: Lon | None = None
    lat: Lat | None = None
    address: OptionalAddress | None = None
    indicators: Indicators = []
    reporter_contact: Contact | None = None
    category: IndicatorCode | None = None

    @model_validator(mode="after")
    def _both_coordinates(self):
        if (self.lon is None) != (self.lat is None):
            raise ValueError("lon과 lat을 함께 보내야 합니다")
        return self


class ReportConvert(StrictInput):
    """Details for the household made from a report; the report's point and address are the defaults."""

    head_name: Name | None = None
    address: Address | None = None
    lon: Lon | None = None
    lat: Lat | None = None
    members: int = Field(default=1, ge=1, le=50)
    phone: Phone | None = None
    notes: Note | None = None
    version: int | None = Field(default=None, ge=1)

    @model_validator(mode="after")
    def _both_coordinates(self):
        if (self.lon is None) != (self.lat is None):
            raise ValueError("lon과 lat을 함께 보내야 합니다")
        return self


class ReportDismiss(StrictInput):
    reason: Annotated[Note, Field(min_length=2), AfterValidator(not_blank)]
    version: int | None = Field(default=None, ge=1)


class ReportReview(StrictInput):
    note: Note | None = None
    version: int | None = Field(default=None, ge=1)


class ReportMarkDuplicate(StrictInput):
    household_id: RefId | None = None
    report_id: RefId | None = None
    reason: Note | None = None
    version: int | None = Field(default=None, ge=1)

    @model_validator(mode="after")
    def _exactly_one(self):
        if (self.household_id is None) == (self.report_id is None):
            raise ValueError("household_id와 report_id 중 하나만 보내세요")
        return self


class PossibleDuplicate(BaseModel):
    kind: Literal["household", "report"]
    id: int
    distance_m: float | None
    same_address: bool = False


class ReportCreated(BaseModel):
    id: int
    receipt_no: str
    status: str
    status_label: str
    dong_id: int | None
    tract_id: int | None
    needs_location: bool
    location_source: str
    possible_duplicates: list[PossibleDuplicate]
    photos: int = 0


class PhotoRead(BaseModel):
    id: int
    content_type: str
    size_bytes: int
    url: str


class EventRead(BaseModel):
    status: str
    status_label: str
    reason: str | None = None
    actor: str | None = None
    at: datetime


class ReportRead(BaseModel):
    """The staff view of a report (the triage queue)."""

    id: int
    receipt_no: str
    channel: str
    status: str
    status_label: str
    status_reason: str | None
    description: str
    address: str | None
    lon: float | None
    lat: float | None
    location_source: str | None
    needs_location: bool
    dong_id: int | None
    dong_name: str | None
    tract_id: int | None
    tract_name: str | None
    indicators: list[str]
    category: str | None
    reporter_contact: str | None
    reporter: str | None
    household_id: int | None
    duplicate_of_report_id: int | None
    duplicate_report_ids: list[int] = []
    created_at: datetime
    updated_at: datetime
    version: int
    photos: list[PhotoRead] = []
    history: list[EventRead] = []
    possible_duplicates: list[PossibleDuplicate] = []


class ReporterReportRead(BaseModel):
    """What a reporter (통장, partner) sees of their own report: never household details."""

    id: int
    receipt_no: str
    status: str
    status_label: str
    status_note: str
    description: str
    address: str | None
    lon: float | None
    lat: float | None
    needs_location: bool
    dong_id: int | None
    dong_name: str | None
    indicators: list[str]
    created_at: datetime
    updated_at: datetime
    history: list[EventRead] = []


class ReportList(BaseModel):
    items: list[ReportRead | ReporterReportRead]
    total: int
