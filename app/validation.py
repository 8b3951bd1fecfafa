"""Shared input types: text without NUL characters, trimmed, bounded; finite coordinates."""
import re
import unicodedata
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from app.errors import InvalidInput
from app.geo.crs import WGS84, to_lonlat
from app.geo.validate import CoordinateError, check_lonlat


def _invisible(ch: str) -> bool:
    """Space, control and format characters (bidi overrides, zero-width marks): nothing a reader sees."""
    return ch.isspace() or unicodedata.category(ch) in ("Cc", "Cf")


def clean_text(value: str) -> str:
    """Text trimmed of invisible characters at both ends; NUL (PostgreSQL text cannot hold it) and lone
    UTF-16 surrogates (not encodable as UTF-8) are refused."""
    if "\x00" in value:
        raise ValueError("NUL 문자(\\x00)는 쓸 수 없습니다")
    if _SURROGATE.search(value):
        raise ValueError("깨진 문자(짝이 없는 UTF-16 대리 문자)가 들어 있습니다")
    start, end = 0, len(value)
    while start < end and _invisible(value[start]):
        start += 1
    while end > start and _invisible(value[end - 1]):
        end -= 1
    return value[start:end]


# A 주민등록번호 (6 digits, a dash, 7 digits) typed into free text: never stored as typed.
_RRN_IN_TEXT = re.compile(r"(?<![0-9])([0-9]{6})\s?[-‐–—]?\s?([0-9])[0-9]{6}(?![0-9])")


_SURROGATE = re.compile("[\ud800-\udfff]")


def mask_rrn_in_text(text: str | None) -> str | None:
    """`…900101-1234567…` becomes `…900101-1******…` (the birth date and sex digit stay readable)."""
    if not text:
        return text
    return _RRN_IN_TEXT.sub(lambda m: f"{m.group(1)}-{m.group(2)}******", text)


def not_blank(value: str) -> str:
    """Refuse an empty value (after trimming)."""
    if not value:
        raise ValueError("비어 있을 수 없습니다")
    return value


MAX_ID = 2**31 - 1  # every key of the schema is a 32-bit integer
RefId = Annotated[int, Field(ge=1, le=MAX_ID)]  # a record id inside a request body

Text = Annotated[str, AfterValidator(clean_text)]
Name = Annotated[str, Field(max_length=50), AfterValidator(clean_text), AfterValidator(not_blank)]
Address = Annotated[str, Field(max_length=200), AfterValidator(clean_text), AfterValidator(not_blank)]
OptionalAddress = Annotated[str, Field(max_length=200), AfterValidator(clean_text)]
Note = Annotated[str, Field(max_length=4000), AfterValidator(clean_text), AfterValidator(mask_rrn_in_text)]
Phone = Annotated[str, Field(max_length=20, pattern=r"^[0-9+\- ]{0,20}$"), AfterValidator(clean_text)]
Lon = Annotated[float, Field(ge=-180, le=180, allow_inf_nan=False)]
# Latitude is range-checked by app.geo.validate.check_lonlat, which also recognises a swapped pair.
Lat = Annotated[float, Field(ge=-180, le=180, allow_inf_nan=False)]
PlaneCoord = Annotated[float, Field(ge=-10_000_000, le=10_000_000, allow_inf_nan=False)]


class StrictInput(BaseModel):
    """Base for request bodies: unknown fields are refused."""

    model_config = ConfigDict(extra="forbid", str_max_length=10_000)


PlaneCRS = Literal["EPSG:5186", "EPSG:5179", "EPSG:4326"]


class LocatedInput(StrictInput):
    """A body that places something: WGS84 `lon, lat`, or `x, y` in a Korean plane CRS."""

    lon: Lon | None = None
    lat: Lat | None = None
    x: PlaneCoord | None = None
    y: PlaneCoord | None = None
    crs: PlaneCRS | None = None

    def has_location(self) -> bool:
        return self.lon is not None or self.lat is not None or self.x is not None or self.y is not None

    @model_validator(mode="after")
    def _one_location_form(self):
        lonlat = self.lon is not None or self.lat is not None
        plane = self.x is not None or self.y is not None or self.crs is not None
        if lonlat and plane:
            raise ValueError("위치는 lon/lat 또는 x/y/crs 중 하나로만 보내세요")
        if lonlat and (self.lon is None or self.lat is None):
            raise ValueError("lon과 lat을 함께 보내야 합니다")
        if plane and (self.x is None or self.y is None or self.crs is None):
            raise ValueError("x, y, crs를 함께 보내야 합니다")
        return self


def lonlat_of(payload: LocatedInput) -> tuple[float, float]:
    """WGS84 lon/lat from either lon/lat or x/y/crs, checked for range and swaps (422 in Korean)."""
    if payload.lon is not None:
        lon, lat = payload.lon, payload.lat
    else:
        lon, lat = to_lonlat(payload.x, payload.y, payload.crs or WGS84)
    try:
        check_lonlat(lon, lat)
    except CoordinateError as exc:
        raise InvalidInput(str(exc)) from None
    return lon, lat


def parse_codes(text: str | None, vocabulary: dict[str, str], what: str) -> tuple[str, ...]:
    """`a,b` → ('a', 'b') from a vocabulary (DOMAIN.md codes), refusing unknown codes in Korean."""
    if not text:
        return ()
    codes = tuple(dict.fromkeys(p.strip() for p in text.split(",") if p.strip()))
    unknown = [c for c in codes if c not in vocabulary]
    if unknown:
        raise InvalidInput(f"알 수 없는 {what}: {', '.join(unknown)}")
    return codes


def parse_ids(text: str | None, name: str) -> tuple[int, ...]:
    """`1,2` → (1, 2): positive record ids, refusing anything else in Korean."""
    if not text:
        return ()
    parts = [p.strip() for p in text.split(",") if p.strip()]
    if not all(p.isascii() and p.isdigit() and 0 < int(p) < 2**31 for p in parts):
        raise InvalidInput(f"{name}: 쉼표로 구분한 양의 정수 id여야 합니다 (예: 1,2)")
    return tuple(dict.fromkeys(int(p) for p in parts))


def parse_lonlat_text(text: str | None, name: str) -> tuple[float, float] | None:
    """A `lon,lat` query parameter → (lon, lat), refusing malformed, swapped or out-of-range points."""
    if text is None:
        return None
    parts = text.split(",")
    if len(parts) != 2:
        raise InvalidInput(f"{name}는 '경도,위도' 두 숫자여야 합니다 (예: {name}=126.9368,37.5791).")
    try:
        lon, lat = (float(p) for p in parts)
    except ValueError:
        raise InvalidInput(f"{name}에 숫자가 아닌 값이 있습니다. 형식은 '경도,위도'입니다.") from None
    try:
        check_lonlat(lon, lat)
    except CoordinateError as exc:
        raise InvalidInput(f"{name}: {exc}") from None
    return lon, lat
