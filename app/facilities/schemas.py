"""Facility payloads: directory entries, staff edits, referral confirmation and the import report."""
from datetime import date
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, Field, model_validator

from app.validation import (
    LocatedInput,
    Note,
    Phone,
    StrictInput,
    clean_text,
    not_blank,
)
from app.vocab import FACILITY_CATEGORIES, NEEDS


def _category(value: str) -> str:
    if value not in FACILITY_CATEGORIES:
        raise ValueError(f"알 수 없는 기관 분류입니다: {value}")
    return value


def _needs(values: list[str]) -> list[str]:
    unknown = [v for v in values if v not in NEEDS]
    if unknown:
        raise ValueError(f"알 수 없는 욕구 코드입니다: {', '.join(unknown)}")
    return list(dict.fromkeys(values))


FacilityName = Annotated[str, Field(max_length=120), AfterValidator(clean_text), AfterValidator(not_blank)]
FacilityCode = Annotated[str, Field(max_length=40), AfterValidator(clean_text), AfterValidator(not_blank)]
Category = Annotated[str, Field(max_length=40), AfterValidator(_category)]
NeedList = Annotated[list[Annotated[str, Field(max_length=30)]], Field(max_length=20), AfterValidator(_needs)]
FacilityAddress = Annotated[str, Field(max_length=250), AfterValidator(clean_text)]
Hours = Annotated[str, Field(max_length=120), AfterValidator(clean_text)]
LocationQuality = Literal["exact", "approximate"]


class FacilityCreate(LocatedInput):
    code: FacilityCode | None = None
    name: FacilityName
    category: Category
    address: FacilityAddress | None = None
    phone: Phone | None = None
    hours: Hours | None = None
    description: Note | None = None
    needs_served: NeedList | None = None
    accepting_referrals: bool = True
    location_quality: LocationQuality = "exact"

    @model_validator(mode="after")
    def _needs_location(self):
        if not self.has_location():
            raise ValueError("위치(lon/lat 또는 x/y/crs)가 필요합니다")
        return self


class FacilityUpdate(LocatedInput):
    name: FacilityName | None = None
    category: Category | None = None
    address: FacilityAddress | None = None
    phone: Phone | None = None
    hours: Hours | None = None
    description: Note | None = None
    needs_served: NeedList | None = None
    accepting_referrals: bool | None = None
    location_quality: LocationQuality | None = None
    version: int | None = Field(default=None, ge=1)


class ReferralConfirm(StrictInput):
    accepting_referrals: bool
    version: int | None = Field(default=None, ge=1)


class FacilityRead(BaseModel):
    id: int
    code: str
    name: str
    category: str
    category_label: str
    address: str | None
    lon: float
    lat: float
    phone: str | None
    hours: str | None
    description: str | None
    needs_served: list[str]
    needs_served_labels: list[str]
    accepting_referrals: bool
    referrals_confirmed_on: date | None
    location_quality: str
    source: str
    is_synthetic: bool
    dong_id: int | None
    distance_m: float | None
    version: int


class ShelterRead(FacilityRead):
    capacity: int | None  # 이용가능인원
    open_from: date | None  # 운영시작일
    open_to: date | None  # 운영종료일
    night_open: bool | None  # 야간개방
    holiday_open: bool | None  # 휴일개방


class NearestShelter(BaseModel):
    household_id: int
    on: date  # the day asked about (default: today)
    category: Literal["heat_shelter", "cold_shelter"] | None  # the season's shelters; None outside both
    category_label: str | None
    shelter: ShelterRead | None  # the nearest of them open that day, `distance_m` geodesic (WGS84 spheroid)
    line: str | None  # 가장 가까운 무더위쉼터 350 m


class FacilityList(BaseModel):
    items: list[FacilityRead]
    total: int


class ImportProblem(BaseModel):
    row: int | None  # row number as a spreadsheet shows it (the header is row 1); None for the whole file
    field: str | None
    message: str
    code: str | None = None


class ImportReport(BaseModel):
    ok: bool
    dry_run: bool
    file: str
    source: str
    rows: int
    created: int
    updated: int
    unchanged: int
    errors: list[ImportProblem]
    ignored_columns: list[str]
    detail: str
