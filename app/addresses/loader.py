"""Loading the 도로명주소 files into the address table: streamed, COPY in batches, one transaction per file.

A file is read line by line (a 시도 file has ~600,000 lines and is never held in memory), each line checked
against its layout (`app.addresses.layout`), its X, Y turned into EPSG:4326 with pyproj a batch at a time, and
COPYed into a temporary staging table. Only when every line is good is the staging table merged into the table:
the last line per key wins, 63 deletes, anything else inserts or updates, and a row whose values did not change
is not touched, so loading the same file again changes nothing. Any bad line refuses the whole file (the caller's
transaction rolls back; nothing is half-loaded), with the line numbers in Korean.
"""
from collections.abc import Iterable
from operator import attrgetter
from pathlib import Path
from typing import BinaryIO

from sqlalchemy import text
from sqlalchemy.orm import Session

from app.addresses import layout
from app.errors import AppError

BATCH = 5_000
MAX_ERRORS = 20  # a file this wrong is the wrong file; listing more helps no one

_ENTRANCE_COLUMNS = (
    "sigungu_code", "entrance_serial", "road_address_id", "legal_dong_code", "sido", "sigungu", "legal_dong",
    "road_code", "road_name", "underground", "main_no", "sub_no", "building_name", "postcode", "building_use",
    "building_group", "admin_dong_code", "sido_key", "sigungu_key", "road_key")
_LOT_COLUMNS = (
    "road_address_id", "legal_dong_code", "sido", "sigungu", "legal_dong", "legal_ri", "mountain", "lot_main",
    "lot_sub", "sido_key", "sigungu_key", "lot_key")
_TYPES = {"underground": "smallint", "main_no": "integer", "sub_no": "integer", "building_group": "boolean",
          "mountain": "boolean", "lot_main": "integer", "lot_sub": "integer"}


class AddressFileError(AppError):
    """A file refused as a whole; `errors` are the Korean line messages."""

    status = 422

    def __init__(self, name: str, errors: list[str]):
        self.errors = errors
        more = " (처음 몇 건만 보입니다)" if len(errors) >= MAX_ERRORS else ""
        lines = "\n".join(f"  - {e}" for e in errors)
        super().__init__(f"{name}: 주소 파일을 불러오지 않았습니다. 아무것도 저장하지 않았습니다{more}.\n{lines}")


def _staging_sql(table: str, columns: tuple[str, ...], extra: str) -> str:
    cols = ", ".join(f"{c} {_TYPES.get(c, 'text')}" for c in columns)
    return f"CREATE TEMP TABLE {table} (line integer, {cols}, {extra}change text) ON COMMIT DROP"


def _merge_sql(target: str, staging: str, columns: tuple[str, ...], key: tuple[str, ...], geom: bool) -> str:
    """INSERT … ON CONFLICT DO UPDATE only where a value differs; counts inserted and updated rows."""
    values = ", ".join(columns) + (", ST_SetSRID(ST_MakePoint(lon, lat), 4326)" if geom else "")
    names = ", ".join(columns) + (", geom" if geom else "")
    changing = [c for c in columns if c not in key]
    old = ", ".join(f"{target}.{c}" for c in changing) + (f", ST_AsBinary({target}.geom)" if geom else "")
    new = ", ".join(f"EXCLUDED.{c}" for c in changing) + (", ST_AsBinary(EXCLUDED.geom)" if geom else "")
    sets = ", ".join(f"{c} = EXCLUDED.{c}" for c in changing) + (", geom = EXCLUDED.geom" if geom else "")
    return (f"WITH latest AS (SELECT DISTINCT ON ({', '.join(key)}) * FROM {staging} "
            f"ORDER BY {', '.join(key)}, line DESC), "
            f"gone AS (DELETE FROM {target} t USING latest s WHERE s.change = '{layout.DELETE}' AND "
            + " AND ".join(f"t.{k} = s.{k}" for k in key) + " RETURNING 1), "
            f"put AS (INSERT INTO {target} ({names}) SELECT {values} FROM latest "
            f"WHERE change IS DISTINCT FROM '{layout.DELETE}' "
            f"ON CONFLICT ({', '.join(key)}) DO UPDATE SET {sets}, updated_at = now() "
            f"WHERE ({old}) IS DISTINCT FROM ({new}) RETURNING (xmax = 0) AS inserted) "
            "SELECT (SELECT count(*) FROM gone), (SELECT count(*) FILTER (WHERE inserted) FROM put), "
            "(SELECT count(*) FILTER (WHERE NOT inserted) FROM put)")


_KINDS = {
    "entrance": {
        "label": "위치정보요약DB(출입구)", "read": layout.read_entrance, "columns": _ENTRANCE_COLUMNS,
        "staging": "address_entrance_staging", "target": "address_entrances",
        "key": ("sigungu_code", "entrance_serial"), "geom": True,
    },
    "lot": {
        "label": "주소DB 관련지번", "read": layout.read_lot, "columns": _LOT_COLUMNS,
        "staging": "address_lot_staging", "target": "address_lots",
        "key": ("road_address_id", "legal_dong_code", "mountain", "lot_main", "lot_sub"), "geom": False,
    },
}
for _kind in _KINDS.values():
    _kind["create"] = _staging_sql(_kind["staging"], _kind["columns"],
                                   "lon float8, lat float8, " if _kind["geom"] else "")
    _kind["merge"] = _merge_sql(_kind["target"], _kind["staging"], _kind["columns"], _kind["key"], _kind["geom"])


_ENTRANCE_FIELDS = attrgetter(*_ENTRANCE_COLUMNS[:-3])  # the row's own fields; its three keys come after
_LOT_FIELDS = attrgetter(*_LOT_COLUMNS[:-3])


def _entrance_values(row: layout.Entrance) -> tuple:
    return (*_ENTRANCE_FIELDS(row), *row.keys())


def _lot_values(row: layout.Lot) -> tuple:
    return (*_LOT_FIELDS(row), *row.keys())


def _decode(raw: bytes, number: int) -> tuple[str | None, str | None]:
    """(text, None) or (None, Korean error) for one line's bytes."""
    try:
        return raw.decode(layout.ENCODING), None
    except UnicodeDecodeError:
        pass
    try:
        raw.decode("utf-8")
        hint = "UTF-8로 저장된 파일입니다. juso.go.kr에서 받은 원본(CP949) 파일을 그대로 넣어 주세요"
    except UnicodeDecodeError:
        hint = "CP949(EUC-KR)로 읽을 수 없는 글자가 있습니다. juso.go.kr에서 받은 원본 파일인지 확인해 주세요"
    return None, f"{number}번째 줄: {hint}"


class _Stager:
    """Collects read lines and COPYs them into the staging table a batch at a time."""

    def __init__(self, session: Session, kind: dict):
        self.kind = kind
        self.session = session
        self.batch: list[tuple[int, object]] = []
        self.lines = 0
        session.execute(text(f"DROP TABLE IF EXISTS pg_temp.{kind['staging']}"))
        session.execute(text(kind["create"]))

    def add(self, number: int, row) -> None:
        self.batch.append((number, row))
        if len(self.batch) >= BATCH:
            self.flush()

    def flush(self) -> None:
        if not self.batch:
            return
        geom = self.kind["geom"]
        values = _entrance_values if geom else _lot_values
        coords: Iterable = ()
        if geom:
            lons, lats = layout.to_wgs84([r.x for _, r in self.batch], [r.y for _, r in self.batch])
            coords = zip(lons, lats, strict=True)
        columns = ["line", *self.kind["columns"], *(("lon", "lat") if geom else ()), "change"]
        raw = self.session.connection().connection.driver_connection
        with raw.cursor() as cur, cur.copy(f"COPY {self.kind['staging']} ({', '.join(columns)}) FROM STDIN") as cp:
            points = iter(coords)
            for number, row in self.batch:
                cp.write_row((number, *values(row), *(next(points) if geom else ()), row.change))
        self.lines += len(self.batch)
        self.batch.clear()


def load_stream(session: Session, stream: BinaryIO, name: str) -> dict:
    """Load one file's lines (in the caller's transaction); a report dict, or AddressFileError."""
    errors: list[str] = []
    kind: dict | None = None
    expected = 0
    stager: _Stager | None = None
    for number, raw in enumerate(stream, start=1):
        if number == 1 and raw.startswith(b"\xef\xbb\xbf"):
            raise AddressFileError(name, ["1번째 줄: UTF-8로 저장된 파일입니다. juso.go.kr에서 받은 원본(CP949) 파일을 "
                                          "그대로 넣어 주세요"])
        raw = raw.rstrip(b"\r\n")
        if not raw.strip():
            continue
        line, error = _decode(raw, number)
        if error:
            errors.append(error)
        else:
            fields = line.split("|")
            if kind is None:
                found = layout.kind_of(len(fields))
                if found is None:
                    raise AddressFileError(name, [
                        f"{number}번째 줄: 항목이 {len(fields)}개라 어떤 도로명주소 파일인지 알 수 없습니다 "
                        "(위치정보요약DB는 18개, 그 변동분은 19개, 주소DB 관련지번은 14개여야 합니다)"])
                kind, expected = _KINDS[found], len(fields)
                stager = _Stager(session, kind)
            if len(fields) != expected:
                errors.append(f"{number}번째 줄: 항목이 {len(fields)}개입니다 ({kind['label']} 파일의 다른 줄은 "
                              f"{expected}개)")
            else:
                try:
                    stager.add(number, kind["read"](fields))
                except layout.LineError as exc:
                    errors.append(f"{number}번째 줄: {exc}")
        if len(errors) >= MAX_ERRORS:
            break
    if errors:
        raise AddressFileError(name, errors)
    if stager is None:
        raise AddressFileError(name, ["주소가 한 줄도 없는 빈 파일입니다"])
    stager.flush()
    deleted, inserted, updated = session.execute(text(kind["merge"])).one()
    session.execute(text(f"DROP TABLE {kind['staging']}"))
    return {"file": name, "kind": kind["label"], "lines": stager.lines, "inserted": inserted, "updated": updated,
            "deleted": deleted, "unchanged": stager.lines - inserted - updated - deleted}


def load_file(session: Session, path: Path) -> dict:
    """Load one 도로명주소 file (위치정보요약DB entrances or 주소DB 관련지번, full or change file)."""
    with path.open("rb") as stream:
        return load_stream(session, stream, path.name)
