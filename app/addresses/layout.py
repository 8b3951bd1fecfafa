"""The layouts of the juso.go.kr 도로명주소 files the address table is loaded from, and reading one line.

Sources followed (the layout documents themselves sit behind juso.go.kr's download pages; what could be read):

* **위치정보요약DB** (`entrc_<시도>.txt`, monthly full file; daily/monthly change files in the same layout plus one
  field). CP949 text, `|` between fields, no header line, one line per 도로명주소 entrance. The field order below
  is the one written down, with sizes, by three independent public readers of these files (a Java importer's
  comment "1 시군구코드 5 문자 … 17 X좌표 15,6 숫자 18 Y좌표 15,6 숫자 19 이동사유코드 2 문자 31 : 생성, 34 : 변동,
  63 : 삭제", a Python reader's `ENTR_HEADER`, a Node schema `위치정보요약스키마`), and it agrees with juso.go.kr's
  product note ("도로명주소 기준의 출입구 좌표", coordinates in GRS80 UTM-K = EPSG:5179, as in the 내비게이션용DB
  layout published on juso.go.kr):

  1 시군구코드(5) | 2 출입구일련번호(10) | 3 법정동코드(10) | 4 시도명 | 5 시군구명 | 6 읍면동명 | 7 도로명코드(12) |
  8 도로명 | 9 지하여부(1) | 10 건물본번 | 11 건물부번 | 12 건물명 | 13 우편번호(5) | 14 건물용도분류 |
  15 건물군여부(1: 0 단독건물, 1 건물군) | 16 관할행정동(8, reference only) | 17 X좌표 | 18 Y좌표 [| 19 이동사유코드]

* **주소DB 관련지번** (`jibun_rnaddrkor_<시도>.txt`), the 지번 ↔ 도로명주소 relation, same encoding and separator, as
  a public Python reader of the 주소DB lists it (`RELACTED_HEADER`, with sizes and the sample line
  `41500360320703700004400000|4150036026|경기도|이천시|모가면|양평리|0|147|55|415003207037|0|44|0|31`):

  1 도로명주소관리번호(26) | 2 법정동코드(10) | 3 시도명 | 4 시군구명 | 5 법정읍면동명 | 6 법정리명 | 7 산여부(1) |
  8 지번본번(번지) | 9 지번부번(호) | 10 도로명코드(12) | 11 지하여부 | 12 건물본번 | 13 건물부번 | 14 이동사유코드

* 이동사유코드 (change code) is the last field of the change files: 31 신규, 34 변경, 63 폐지 (juso.go.kr calls the
  same codes 생성/변동/삭제 in some documents).

Assumed where the documents could not be seen:

* The 위치정보요약DB line carries no 도로명주소관리번호, so it is derived as juso.go.kr's help centre describes it
  (Tech&Tips "도로명주소관리번호를 구성하는 방법"): 시군구코드(5) + 읍면동코드(3, from the 법정동코드) + 도로명번호(7,
  from the 도로명코드) + 지하여부(1) + 건물본번(5) + 건물부번(5). The 관련지번 file is joined on it.
* A full (monthly) 관련지번 file is taken to have the same 14 fields with the 이동사유코드 empty or 31; a line with
  13 fields (no code at all) is read as a full-file line too.
* An empty 건물부번, 지번부번 or 지하여부 means 0; an empty 시군구명 is allowed (세종특별자치시 has none).
  Coordinates are metres in EPSG:5179 and must lie within the CRS's area of use (Republic of Korea, onshore
  and offshore).
"""
from dataclasses import dataclass

from pyproj import CRS, Transformer

from app.addresses.normalise import lot_key, road_key, sido_key

ENTRANCE_FIELDS = 18  # 위치정보요약DB full file
ENTRANCE_CHANGE_FIELDS = 19  # … change file (이동사유코드 last)
LOT_FIELDS = 14  # 주소DB 관련지번 (이동사유코드 last, may be empty in the full file)
LOT_FIELDS_WITHOUT_CODE = 13
CHANGE_CODES = {"31": "신규", "34": "변경", "63": "폐지"}
DELETE = "63"
ENCODING = "cp949"

_TO_WGS84 = Transformer.from_crs(5179, 4326, always_xy=True)
# EPSG:5179's area of use (122.71–134.28 E, 28.6–40.27 N) in its own metres.
BOUNDS_5179 = Transformer.from_crs(4326, 5179, always_xy=True).transform_bounds(
    *CRS.from_epsg(5179).area_of_use.bounds)


class LineError(ValueError):
    """A line that does not follow the layout; the message is Korean and names the field."""


@dataclass(frozen=True)
class Entrance:
    """One 위치정보요약DB line, read."""

    sigungu_code: str
    entrance_serial: str
    legal_dong_code: str
    sido: str
    sigungu: str
    legal_dong: str
    road_code: str
    road_name: str
    underground: int
    main_no: int
    sub_no: int
    building_name: str | None
    postcode: str | None
    building_use: str | None
    building_group: bool
    admin_dong_code: str | None
    x: float
    y: float
    change: str | None  # 31 | 34 | 63, None in a full file

    @property
    def road_address_id(self) -> str:
        """도로명주소관리번호 (26): 시군구코드 + 읍면동코드 + 도로명번호 + 지하여부 + 건물본번 + 건물부번."""
        return (f"{self.sigungu_code}{self.legal_dong_code[5:8]}{self.road_code[5:12]}{self.underground}"
                f"{self.main_no:05d}{self.sub_no:05d}")

    def keys(self) -> tuple[str | None, str, str]:
        """(sido_key, sigungu_key, road_key) the matcher joins on."""
        return sido_key(self.sido), _sigungu_key(self.sigungu), road_key(self.road_name, self.underground,
                                                                           self.main_no, self.sub_no)


@dataclass(frozen=True)
class Lot:
    """One 관련지번 line, read."""

    road_address_id: str
    legal_dong_code: str
    sido: str
    sigungu: str
    legal_dong: str
    legal_ri: str | None
    mountain: bool
    lot_main: int
    lot_sub: int
    change: str | None

    def keys(self) -> tuple[str | None, str, str]:
        """(sido_key, sigungu_key, lot_key): a lot is named by its 리 where it has one, else its 동."""
        return sido_key(self.sido), _sigungu_key(self.sigungu), lot_key(self.legal_ri or self.legal_dong,
                                                                         int(self.mountain), self.lot_main,
                                                                         self.lot_sub)


def _sigungu_key(name: str) -> str:
    return "".join(name.split())


def kind_of(field_count: int) -> str | None:
    """'entrance' or 'lot' for a line with this many fields; None for any other count."""
    if field_count in (ENTRANCE_FIELDS, ENTRANCE_CHANGE_FIELDS):
        return "entrance"
    if field_count in (LOT_FIELDS, LOT_FIELDS_WITHOUT_CODE):
        return "lot"
    return None


def _digits(value: str, label: str, size: int | None = None, *, exact: bool = True) -> str:
    if not value.isdigit() or (size is not None and (len(value) != size if exact else len(value) > size)):
        what = f"{size}자리 숫자" if exact and size else "숫자"
        raise LineError(f"{label} '{value}'이(가) {what}가 아닙니다")
    return value


def _number(value: str, label: str) -> int:
    value = value.strip()
    if not value:
        return 0
    return int(_digits(value, label, 5, exact=False))


def _flag(value: str, label: str, allowed: str) -> int:
    value = value.strip() or "0"
    if value not in allowed:
        raise LineError(f"{label} '{value}'은(는) {', '.join(allowed)} 중 하나여야 합니다")
    return int(value)


def _change(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip()
    if value and value not in CHANGE_CODES:
        raise LineError(f"이동사유코드 '{value}'을(를) 알 수 없습니다 (31 신규, 34 변경, 63 폐지)")
    return value or None


def _coordinate(value: str, label: str) -> float:
    try:
        number = float(value)
    except ValueError:
        raise LineError(f"{label} '{value}'이(가) 숫자가 아닙니다") from None
    if number != number or number in (float("inf"), float("-inf")):
        raise LineError(f"{label} '{value}'이(가) 숫자가 아닙니다")
    return number


def read_entrance(fields: list[str]) -> Entrance:
    """A 위치정보요약DB line split on `|` → Entrance; LineError names the field that is wrong."""
    f = [v.strip() for v in fields]
    sigungu_code = _digits(f[0], "시군구코드", 5)
    legal_dong_code = _digits(f[2], "법정동코드", 10)
    if not legal_dong_code.startswith(sigungu_code[:2]):
        raise LineError(f"법정동코드 '{legal_dong_code}'이(가) 시군구코드 '{sigungu_code}'와 다른 시도입니다")
    x, y = _coordinate(f[16], "X좌표"), _coordinate(f[17], "Y좌표")
    west, south, east, north = BOUNDS_5179
    if not (west <= x <= east and south <= y <= north):
        raise LineError(f"좌표 (X {f[16]}, Y {f[17]})가 EPSG:5179(UTM-K) 한국 범위 밖입니다")
    for label, value in (("시도명", f[3]), ("도로명", f[7])):  # 세종특별자치시 has no 시군구명
        if not value:
            raise LineError(f"{label}이(가) 비어 있습니다")
    main_no = _number(f[9], "건물본번")
    if main_no == 0:
        raise LineError("건물본번이 비어 있습니다")
    return Entrance(
        sigungu_code=sigungu_code, entrance_serial=_digits(f[1], "출입구일련번호", 10, exact=False),
        legal_dong_code=legal_dong_code, sido=f[3], sigungu=f[4], legal_dong=f[5],
        road_code=_digits(f[6], "도로명코드", 12), road_name=f[7], underground=_flag(f[8], "지하여부", "0123"),
        main_no=main_no, sub_no=_number(f[10], "건물부번"), building_name=f[11] or None, postcode=f[12] or None,
        building_use=f[13] or None, building_group=_flag(f[14], "건물군여부", "01") == 1,
        admin_dong_code=f[15] or None, x=x, y=y, change=_change(f[18] if len(f) > ENTRANCE_FIELDS else None))


def read_lot(fields: list[str]) -> Lot:
    """A 관련지번 line split on `|` → Lot; LineError names the field that is wrong."""
    f = [v.strip() for v in fields]
    road_address_id = _digits(f[0], "도로명주소관리번호", 26)
    legal_dong_code = _digits(f[1], "법정동코드", 10)
    for label, value in (("시도명", f[2]), ("법정읍면동명", f[4])):
        if not value:
            raise LineError(f"{label}이(가) 비어 있습니다")
    lot_main = _number(f[7], "지번본번")
    if lot_main == 0:
        raise LineError("지번본번이 비어 있습니다")
    return Lot(road_address_id=road_address_id, legal_dong_code=legal_dong_code, sido=f[2], sigungu=f[3],
               legal_dong=f[4], legal_ri=f[5] or None, mountain=_flag(f[6], "산여부", "01") == 1,
               lot_main=lot_main, lot_sub=_number(f[8], "지번부번"),
               change=_change(f[13] if len(f) > LOT_FIELDS_WITHOUT_CODE else None))


def to_wgs84(xs: list[float], ys: list[float]) -> tuple[list[float], list[float]]:
    """EPSG:5179 metres → (lons, lats) in EPSG:4326 with pyproj, a batch at a time."""
    lons, lats = _TO_WGS84.transform(xs, ys)
    return list(lons), list(lats)
