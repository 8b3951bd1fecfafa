"""Facility CSV import with a validation report: all rows or none, re-import updates by facility code.

Usage: python -m app.facilities.importer 파일.csv [--dry-run] [--source 출처] [--category 분류코드]

Korean headers as in the public lists (서울시 사회복지시설 목록, 보건복지부 장애인복지관 현황):
시설명 (required), 시설코드, 시설종류명(시설유형) / 분류 / 시설유형, 시설주소 / 시설 주소 / 주소, 전화번호,
운영시간, 지원욕구, 경도·위도 or 엑스(X)좌표·와이(Y)좌표 (WGS84 degrees, or plane metres with 좌표계
EPSG:5186/5179), 위치정확도. `--category` sets the category of every row of a file without 분류. A file
without 시설코드 gets a code from the name and address. A row without coordinates may only update a facility
already in the directory (its location is kept).

Heat and cold shelter lists (행정안전부 무더위쉼터 / 한파쉼터) are imported with `--category heat_shelter` or
`cold_shelter`: 쉼터명 (or 시설명), 도로명주소, 시설구분, 위도·경도, and the shelter columns 이용가능인원,
운영시작일, 운영종료일 (both required), 야간개방여부, 휴일개방여부. Their codes carry the kind (HEAT-…, COLD-…), so
a place that is both kinds of shelter, or also a welfare facility, stays separate rows.
"""
import csv
import hashlib
import io
import math
from dataclasses import dataclass, field
from pathlib import Path

from geoalchemy2 import functions as gf
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.config import get_settings
from app.facilities import shelters
from app.facilities.categories import default_needs, resolve_category, resolve_need
from app.facilities.models import Facility, ShelterDetails
from app.facilities.service import check_point, point_ewkt
from app.geo.crs import KOREA_CENTRAL, KOREA_UNIFIED, WGS84, to_lonlat
from app.geo.validate import CoordinateError
from app.tracts.models import Dong
from app.vocab import FACILITY_CATEGORIES

MAX_ROWS = 100_000
MAX_ERRORS = 500  # a report longer than this helps nobody; the count still tells how bad the file is

# Our field → the headers that may carry it, best first.
HEADERS: dict[str, tuple[str, ...]] = {
    "name": ("시설명", "기관명", "쉼터명", "쉼터명칭"),
    "code": ("시설코드", "기관코드"),
    "category": ("분류", "기관분류"),
    "source_type": ("시설종류명(시설유형)", "시설종류", "시설유형", "시설구분", "시설구분1"),
    "address": ("시설주소", "시설 주소", "주소", "도로명주소", "도로명전체주소", "지번주소"),
    "phone": ("전화번호", "연락처"),
    "hours": ("운영시간",),
    "needs": ("지원욕구", "지원 욕구", "욕구"),
    "lon": ("경도", "엑스(X)좌표", "X좌표", "X"),
    "lat": ("위도", "와이(Y)좌표", "Y좌표", "Y"),
    "crs": ("좌표계",),
    "quality": ("위치정확도",),
    "district": ("시군구명", "시군구"),
}
QUALITY = {"exact": "exact", "approximate": "approximate", "정확": "exact", "대략": "approximate",
           "근사": "approximate"}
PLANE_CRS = {KOREA_CENTRAL, KOREA_UNIFIED}
FIELD_LABEL = {"name": "시설명", "code": "시설코드", "category": "분류", "address": "주소", "phone": "전화번호",
               "hours": "운영시간", "needs": "지원욕구", "lon": "경도", "lat": "위도", "crs": "좌표계",
               "quality": "위치정확도", "location": "좌표", "file": None, "source": "출처",
               **shelters.SHELTER_LABELS}
LIMITS = {"name": 120, "code": 40, "source_type": 120, "address": 250, "phone": 30, "hours": 120}


@dataclass
class RowPlan:
    row: int
    code: str
    values: dict  # columns of Facility to set
    lonlat: tuple[float, float] | None
    quality: str | None
    shelter: dict | None = None  # ShelterDetails columns of a heat or cold shelter


@dataclass
class Report:
    file: str
    source: str
    dry_run: bool
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[dict] = field(default_factory=list)
    error_count: int = 0
    ignored_columns: list[str] = field(default_factory=list)

    def error(self, row: int | None, field_name: str | None, message: str, code: str | None = None) -> None:
        self.error_count += 1
        if len(self.errors) < MAX_ERRORS:
            self.errors.append({"row": row, "field": FIELD_LABEL.get(field_name, field_name), "message": message,
                                "code": code})

    @property
    def ok(self) -> bool:
        return self.error_count == 0

    def as_dict(self) -> dict:
        """The report as the API answers it, with a one-line Korean summary in `detail`."""
        if self.ok:
            verb = "검사만 했습니다 (저장하지 않음)" if self.dry_run else "가져왔습니다"
            detail = (f"{self.rows}행을 {verb}: 새로 {self.created}, 변경 {self.updated}, "
                      f"그대로 {self.unchanged}.")
        else:
            detail = (f"오류가 있는 행이 {self.error_count}건 있어 아무것도 가져오지 않았습니다. "
                      "고친 뒤 파일 전체를 다시 올리세요.")
        return {"ok": self.ok, "dry_run": self.dry_run, "file": self.file, "source": self.source,
                "rows": self.rows, "created": self.created, "updated": self.updated, "unchanged": self.unchanged,
                "errors": self.errors, "error_count": self.error_count, "ignored_columns": self.ignored_columns,
                "detail": detail}


def decode(data: bytes) -> str:
    """UTF-8 (with or without BOM), else CP949 as Korean public data often is."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp949")


def _columns(header: list[str], shelter: bool = False) -> tuple[dict[str, int], list[str]]:
    clean = [h.strip() for h in header]
    found: dict[str, int] = {}
    for key, names in ({**HEADERS, **shelters.SHELTER_HEADERS} if shelter else HEADERS).items():
        for name in names:
            if name in clean:
                found[key] = clean.index(name)
                break
    used = set(found.values())
    return found, [h for i, h in enumerate(clean) if i not in used and h]


def _derived_code(name: str, address: str | None, district: str | None, prefix: str = "CSV") -> str:
    """A stable code for files without 시설코드: the same facility gets the same code on every import."""
    key = "|".join([" ".join(name.split()), " ".join((address or district or "").split())])
    return f"{prefix}-" + hashlib.sha256(key.encode()).hexdigest()[:16].upper()


def _number(text: str) -> float | None:
    try:
        value = float(text.replace(",", ""))
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _plan_row(report: Report, row_no: int, cells: dict[str, str], cols: dict[str, int],
              default_category: str | None, source: str) -> RowPlan | None:
    errors_before = report.error_count
    name = " ".join(cells.get("name", "").split())
    if not name:
        report.error(row_no, "name", f"{row_no}행: 시설명이 비어 있습니다.")
    for key, limit in LIMITS.items():
        if key != "source_type" and len(cells.get(key, "")) > limit:
            report.error(row_no, key, f"{row_no}행: {FIELD_LABEL.get(key, key)}이(가) 너무 깁니다 (최대 {limit}자).")
    code = cells.get("code", "").strip()
    if "code" in cols and not code:
        report.error(row_no, "code", f"{row_no}행: 시설코드가 비어 있습니다.")
    address = cells.get("address", "").strip() or None
    shelter_prefix = shelters.CODE_PREFIX.get(default_category or "")
    if not code and "code" not in cols and name:
        code = _derived_code(name, address, cells.get("district", "").strip() or None, shelter_prefix or "CSV")
    elif code and shelter_prefix:
        code = f"{shelter_prefix}-{code}"
        if len(code) > LIMITS["code"]:
            report.error(row_no, "code", f"{row_no}행: 시설코드가 너무 깁니다 (최대 {LIMITS['code'] - 5}자).")

    # A 분류 column wins; else the caller's category for the whole file; else the source's own type text.
    category_text = cells.get("category", "").strip()
    if not category_text and default_category is None:
        category_text = cells.get("source_type", "").strip()
    category = resolve_category(category_text) if category_text else default_category
    if category is None:
        shown = category_text or "(비어 있음)"
        report.error(row_no, "category", f"{row_no}행: 알 수 없는 분류입니다: {shown}. "
                     f"쓸 수 있는 분류: {', '.join(FACILITY_CATEGORIES.values())}", code or None)
    elif shelter_prefix and category != default_category:
        report.error(row_no, "category", f"{row_no}행: {FACILITY_CATEGORIES[default_category]} 파일에 다른 분류"
                     f"({FACILITY_CATEGORIES[category]})의 행이 있습니다.", code or None)
    elif not shelter_prefix and shelters.is_shelter(category):
        report.error(row_no, "category", f"{row_no}행: {FACILITY_CATEGORIES[category]}는 운영 기간이 있는 쉼터 "
                     f"파일로 가져오세요 (분류 {category}로 파일 전체를 가져오기).", code or None)
    shelter = None
    if shelter_prefix:
        shelter, problems = shelters.read_row(cells)
        for key, problem in problems:
            report.error(row_no, key, f"{row_no}행: {problem}", code or None)

    needs: list[str] | None = None
    if cells.get("needs", "").strip():
        parts = [p for p in cells["needs"].replace(";", ",").replace("/", ",").replace("·", ",").split(",")
                 if p.strip()]
        resolved = [resolve_need(p) for p in parts]
        unknown = [p.strip() for p, r in zip(parts, resolved, strict=False) if r is None]
        if unknown:
            report.error(row_no, "needs", f"{row_no}행: 알 수 없는 욕구입니다: {', '.join(unknown)}", code or None)
        needs = list(dict.fromkeys(r for r in resolved if r))

    lonlat = None
    lon_text, lat_text = cells.get("lon", "").strip(), cells.get("lat", "").strip()
    if lon_text or lat_text:
        x, y = _number(lon_text), _number(lat_text)
        crs = cells.get("crs", "").strip().upper() or WGS84
        if x is None or y is None:
            report.error(row_no, "location", f"{row_no}행: 좌표가 숫자가 아니거나 하나만 있습니다.", code or None)
        elif crs not in PLANE_CRS | {WGS84}:
            report.error(row_no, "crs", f"{row_no}행: 알 수 없는 좌표계입니다: {crs} (EPSG:4326, EPSG:5186, "
                         "EPSG:5179)", code or None)
        else:
            try:
                lon, lat = to_lonlat(x, y, crs) if crs in PLANE_CRS else (x, y)
                check_point(lon, lat)
                lonlat = (lon, lat)
            except (CoordinateError, ValueError) as exc:
                report.error(row_no, "location", f"{row_no}행: {exc}", code or None)
            except Exception:  # pyproj gives inf/raises for points far off the plane's area
                report.error(row_no, "location", f"{row_no}행: 좌표를 변환할 수 없습니다.", code or None)

    quality = None
    if cells.get("quality", "").strip():
        quality = QUALITY.get(cells["quality"].strip().lower())
        if quality is None:
            report.error(row_no, "quality", f"{row_no}행: 위치정확도는 정확 또는 대략이어야 합니다.", code or None)
    if report.error_count > errors_before:
        return None
    values = {"name": name, "category": category, "source": source}
    if "source_type" in cols:
        values["source_type"] = (cells.get("source_type", "").strip() or None)
        if values["source_type"] is not None:
            values["source_type"] = values["source_type"][:LIMITS["source_type"]]
    if "address" in cols:
        values["address"] = address
    if "phone" in cols:
        values["phone"] = cells.get("phone", "").strip() or None
    if "hours" in cols:
        values["hours"] = cells.get("hours", "").strip() or None
    if needs is not None:
        values["needs_served"] = needs
    return RowPlan(row=row_no, code=code, values=values, lonlat=lonlat,
                   quality=quality or ("exact" if lonlat else None), shelter=shelter)


def parse(text: str, report: Report, default_category: str | None) -> list[RowPlan]:
    """Read and check every row; problems go into the report with their row number (header = row 1)."""
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, None)
    if not header:
        report.error(None, "file", "파일이 비어 있습니다.")
        return []
    shelter = shelters.is_shelter(default_category)
    cols, report.ignored_columns = _columns(header, shelter)
    if "name" not in cols:
        report.error(None, "file", "시설명 열이 없습니다. 첫 행은 한글 제목(시설명, 시설코드, 주소 …)이어야 합니다."
                     if not shelter else "쉼터명(시설명) 열이 없습니다. 첫 행은 공공데이터 파일의 한글 제목(쉼터명, "
                     "도로명주소, 위도, 경도, 운영시작일, 운영종료일 …)이어야 합니다.")
        return []
    missing = [shelters.SHELTER_LABELS[k] for k in ("open_from", "open_to") if shelter and k not in cols]
    if missing:
        report.error(None, "file", f"{'·'.join(missing)} 열이 없습니다. 쉼터 파일에는 운영 기간이 있어야 합니다.")
        return []
    plans: list[RowPlan] = []
    seen: dict[str, int] = {}
    for index, raw in enumerate(reader, start=2):
        if not any(c.strip() for c in raw):
            continue  # blank lines at the end of exported sheets
        report.rows += 1
        if report.rows > MAX_ROWS:
            report.error(None, "file", f"한 파일에 {MAX_ROWS:,}행까지 가져올 수 있습니다.")
            break
        if any("\x00" in c for c in raw):
            report.error(index, None, f"{index}행: NUL 문자가 있습니다.")
            continue
        cells = {key: (raw[i] if i < len(raw) else "") for key, i in cols.items()}
        plan = _plan_row(report, index, cells, cols, default_category, report.source)
        if plan is None:
            continue
        if plan.code in seen:
            report.error(index, "code", f"{index}행: 시설코드 {plan.code}이(가) {seen[plan.code]}행과 겹칩니다.",
                         plan.code)
            continue
        seen[plan.code] = index
        plans.append(plan)
    return plans


def _same(facility: Facility, values: dict) -> bool:
    return all(getattr(facility, k) == v for k, v in values.items())


def import_csv(session: Session, data: bytes, file_name: str, source: str | None = None,
               default_category: str | None = None, dry_run: bool = False, synthetic: bool = False) -> dict:
    """Check the whole file, then insert new codes and update changed ones in the caller's transaction;
    on any error, nothing."""
    # PostgreSQL text cannot hold NUL: such a source (or a file name, the default source) is refused up front.
    has_nul = {"source": "\x00" in (source or ""), "file": "\x00" in file_name}
    file_name = file_name.replace("\x00", "")
    source = (source or Path(file_name).name or "CSV").replace("\x00", "")[:120]
    report = Report(file=file_name, source=source, dry_run=dry_run)
    if has_nul["source"]:
        report.error(None, "source", "출처(source)에 NUL 문자는 쓸 수 없습니다.")
    if has_nul["file"]:
        report.error(None, "file", "파일 이름에 NUL 문자는 쓸 수 없습니다. 이름을 바꿔 다시 올리세요.")
    if not report.ok:
        return report.as_dict()
    if default_category is not None and default_category not in FACILITY_CATEGORIES:
        report.error(None, "category", f"알 수 없는 기본 분류입니다: {default_category}")
        return report.as_dict()
    try:
        text = decode(data)
    except UnicodeDecodeError:
        report.error(None, "file", "파일 인코딩을 읽을 수 없습니다 (UTF-8 또는 CP949).")
        return report.as_dict()
    try:
        plans = parse(text, report, default_category)
    except csv.Error as exc:
        report.error(None, "file", f"CSV 형식이 올바르지 않습니다: {exc}")
        return report.as_dict()

    existing: dict[str, tuple[Facility, float, float]] = {}
    details: dict[int, ShelterDetails] = {}
    codes = [p.code for p in plans]
    for start in range(0, len(codes), 5000):
        for f, lon, lat, d in session.execute(
                select(Facility, gf.ST_X(Facility.geom), gf.ST_Y(Facility.geom), ShelterDetails)
                .outerjoin(ShelterDetails, ShelterDetails.facility_id == Facility.id)
                .where(Facility.code.in_(codes[start:start + 5000]))).all():
            existing[f.code] = (f, lon, lat)
            if d is not None:
                details[f.id] = d
    for p in plans:
        if p.lonlat is None and p.code not in existing:
            report.error(p.row, "location", f"{p.row}행: 새 시설({p.code})에는 경도·위도가 필요합니다.", p.code)
    if not report.ok:
        return report.as_dict()

    settings = get_settings()
    now = settings.now()
    placed: list[int] = []
    new_rows: list[Facility] = []
    new_shelters: list[dict | None] = []
    for p in plans:
        values = dict(p.values)
        if p.code in existing:
            facility, lon, lat = existing[p.code]
            moved = p.lonlat is not None and (round(p.lonlat[0], 7), round(p.lonlat[1], 7)) != (
                round(lon, 7), round(lat, 7))
            if p.lonlat is not None and p.quality != facility.location_quality:
                values["location_quality"] = p.quality
            current = details.get(facility.id)
            shelter_changed = p.shelter is not None and (current is None or not _same(current, p.shelter))
            if _same(facility, values) and not moved and not shelter_changed:
                report.unchanged += 1
                continue
            report.updated += 1
            if dry_run:
                continue
            for k, v in values.items():
                setattr(facility, k, v)
            if shelter_changed and current is None:
                session.add(ShelterDetails(facility_id=facility.id, **p.shelter))
            elif shelter_changed:
                for k, v in p.shelter.items():
                    setattr(current, k, v)
            if moved:
                facility.geom = point_ewkt(*p.lonlat)
                placed.append(facility.id)
            facility.updated_at = now
        else:
            report.created += 1
            if dry_run:
                continue
            values.setdefault("needs_served", default_needs(values["category"]))
            new_rows.append(Facility(code=p.code, geom=point_ewkt(*p.lonlat), location_quality=p.quality,
                                     accepting_referrals=not shelters.is_shelter(values["category"]),
                                     referrals_confirmed_on=None, is_synthetic=synthetic, **values))
            new_shelters.append(p.shelter)
    if dry_run:  # nothing above has touched a row
        return report.as_dict()
    session.add_all(new_rows)
    session.flush()
    session.add_all(ShelterDetails(facility_id=f.id, **d) for f, d in zip(new_rows, new_shelters, strict=True)
                    if d is not None)
    session.flush()
    placed.extend(f.id for f in new_rows)
    for start in range(0, len(placed), 5000):
        ids = placed[start:start + 5000]
        containing = (select(Dong.id).where(gf.ST_Covers(Dong.geom, Facility.geom)).order_by(Dong.id).limit(1)
                      .scalar_subquery())
        # A bulk SQL update: the version was already raised by the ORM update of the same import.
        session.execute(update(Facility).where(Facility.id.in_(ids)).values(dong_id=containing)
                        .execution_options(synchronize_session=False))
    return report.as_dict()
