"""Reading an uploaded spreadsheet (`.xlsx`, `.csv`) into a Table, refusing what is not one.

Checks come before any parsing, cheapest first: size, then what the bytes are (old `.xls`, an encrypted workbook,
a picture or a PDF renamed `.xlsx`), then, for a zip, its central directory only — the xlsx parts must be there
and the sizes it declares must not make a zip bomb. Python's zipfile never inflates an entry past the size the
directory declares (it stops there and the CRC check fails), so a lying directory cannot get around the limits.
openpyxl then reads in read-only mode, values only: formulas are never evaluated. A formula cell carries the
value Excel last calculated; a file written by a program that does not calculate (no cached value) reads as
empty there, and the user sees that cell as empty in the preview ("필수 값이 비어 있습니다" for a required one).
Rows are counted while streaming and reading stops at the limit.
"""
import csv
import io
import itertools
import zipfile
from collections.abc import Collection, Iterable, Iterator
from datetime import date, datetime, time, timedelta
from pathlib import PurePath

from openpyxl import load_workbook

from app.imports import headers as header_rules
from app.imports.table import Cell, ReadError, SourceRow, Table

__all__ = ["ReadError", "SourceRow", "Table", "read_table"]

MAX_UNCOMPRESSED = 300 * 1024 * 1024  # the whole package inflated; a 100,000-row list is well under 100 MB
MAX_RATIO = 200  # per part over 1 MB; sheet XML compresses 5-30x, a run of one byte ~1000x
MAX_ENTRIES = 10_000
MAX_COLUMNS = 200
XLSX_PARTS = ("[Content_Types].xml", "xl/workbook.xml")
OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # Compound File: .xls, and an encrypted .xlsx's container
NOT_SPREADSHEET = {
    b"\x89PNG": "PNG 그림", b"\xff\xd8\xff": "JPEG 그림", b"GIF8": "GIF 그림", b"%PDF": "PDF 문서",
    b"BM": "BMP 그림", b"\x1f\x8b": "gzip 압축", b"Rar!": "RAR 압축", b"7z\xbc\xaf": "7z 압축",
}
CSV_SUFFIXES = (".csv", ".txt", ".tsv")
DELIMITERS = (",", "\t", ";")
ENCRYPTED = "암호가 걸린 엑셀 파일은 읽을 수 없습니다. 엑셀에서 암호를 해제하고 저장한 뒤 다시 올려 주세요."
ASK_XLSX = "엑셀에서 '다른 이름으로 저장' → 'Excel 통합 문서(*.xlsx)' 또는 CSV로 저장한 뒤 다시 올려 주세요."


def read_table(file_name: str, data: bytes, *, max_bytes: int, max_rows: int, named: Collection[str] = ()
               ) -> Table:
    """The first visible sheet of an .xlsx, or a .csv, as a Table; ReadError (Korean) when the file is refused.
    `named`: header texts a person's mapping names, recognised as headers beside the known words."""
    if not data:
        raise ReadError("빈 파일입니다. 내용이 있는 엑셀(.xlsx)이나 CSV 파일을 올려 주세요.")
    if len(data) > max_bytes:
        raise ReadError(f"파일이 너무 큽니다 ({len(data) / 1024 / 1024:.1f}MB). "
                        f"{max_bytes / 1024 / 1024:g}MB 이하만 가져올 수 있습니다.")
    suffix = PurePath(file_name or "").suffix.lower()
    if data.startswith(OLE2):
        if "EncryptedPackage".encode("utf-16-le") in data:
            raise ReadError(ENCRYPTED)
        raise ReadError(f"예전 엑셀 형식(.xls)은 읽을 수 없습니다. {ASK_XLSX}")
    for magic, what in NOT_SPREADSHEET.items():
        if data.startswith(magic):
            raise ReadError(f"엑셀이나 CSV 파일이 아닙니다 ({what} 파일입니다). {ASK_XLSX}")
    if suffix in (".xls", ".xlsx") and (markup := _markup(data)):
        raise ReadError(f"{markup} 형식의 파일이라 읽을 수 없습니다. {ASK_XLSX}")
    if data.startswith(b"PK"):
        stream = _xlsx_rows(data)
    elif suffix in CSV_SUFFIXES:
        stream = _csv_rows(data)
    else:
        stream = None
    if stream is not None:
        try:
            return _build(stream, max_rows, named)
        finally:
            stream.close()  # the workbook's file handles are released even when reading stops early
    if suffix in (".xlsx", ".xlsm", ".xls"):
        raise ReadError(f"엑셀 파일이 아니거나 손상된 파일입니다. {ASK_XLSX}")
    raise ReadError("지원하지 않는 파일 형식입니다. 엑셀(.xlsx) 또는 CSV(.csv) 파일을 올려 주세요.")


def _markup(data: bytes) -> str | None:
    """What a text file named .xls/.xlsx is: systems that "export to Excel" often send an HTML table, and Excel
    itself can save the 2003 XML spreadsheet."""
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith((b"<!doctype html", b"<html", b"<table", b"<meta")):
        return "웹 페이지(HTML)"
    if head.startswith(b"<?xml") and b"urn:schemas-microsoft-com:office:spreadsheet" in head:
        return "XML 스프레드시트 2003"
    return None


# --- xlsx ------------------------------------------------------------------------------------------------

def _check_zip(data: bytes) -> None:
    """An xlsx package by its central directory alone: its parts, no encryption, no zip bomb."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            entries = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError):
        raise ReadError(f"엑셀 파일이 아니거나 손상된 파일입니다. {ASK_XLSX}") from None
    names = {e.filename for e in entries}
    if "xl/workbook.bin" in names:
        raise ReadError(f"엑셀 바이너리 통합 문서(.xlsb)는 읽을 수 없습니다. {ASK_XLSX}")
    if not all(part in names for part in XLSX_PARTS):
        raise ReadError(f"엑셀 파일이 아닙니다 (압축 파일 안에 엑셀 통합 문서가 없습니다). {ASK_XLSX}")
    if any(e.flag_bits & 0x1 for e in entries):
        raise ReadError(ENCRYPTED)
    bomb = ReadError("압축을 풀면 지나치게 커지는 파일이라 열지 않았습니다 (압축 폭탄 의심). "
                     "엑셀에서 내용만 새 파일로 저장한 뒤 다시 올려 주세요.")
    if len(entries) > MAX_ENTRIES or sum(e.file_size for e in entries) > MAX_UNCOMPRESSED:
        raise bomb
    for e in entries:
        if e.file_size > 1024 * 1024 and e.file_size > MAX_RATIO * max(e.compress_size, 1):
            raise bomb


def _xlsx_rows(data: bytes) -> Iterator[tuple[int, tuple]]:
    """(sheet row number, values) of the first visible sheet, empty rows included, streamed."""
    _check_zip(data)
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # openpyxl raises a dozen kinds (KeyError, XML, zip, value) for a damaged package
        raise ReadError(f"엑셀 파일을 읽을 수 없습니다 (손상되었거나 지원하지 않는 형식). {ASK_XLSX}") from None
    try:
        sheet = next((ws for ws in book.worksheets if ws.sheet_state == "visible"), None)
        if sheet is None:
            raise ReadError("엑셀 파일에 보이는 시트가 없습니다.")
        sheet.reset_dimensions()  # a writer's wrong <dimension> must not cut or pad the rows
        rows = sheet.iter_rows(min_row=1, values_only=True)
        row_no = 0
        while True:
            try:
                cells = next(rows)
            except StopIteration:
                return
            except ReadError:
                raise
            except Exception:
                raise ReadError(f"엑셀 시트를 읽다가 {row_no + 1}행에서 멈췄습니다 (파일이 손상되었을 수 있습니다).",
                                row=row_no + 1) from None
            row_no += 1
            yield row_no, cells
    finally:
        book.close()


# --- csv -------------------------------------------------------------------------------------------------

def _decode(data: bytes) -> str:
    """CSV text: UTF-16 with its BOM (Excel's 유니코드 텍스트), UTF-8 with or without BOM, else CP949 (Excel's
    default CSV on Korean Windows); strict, so a broken byte is reported with its line."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise _undecodable(data, exc.start) from None
    if b"\x00" in data[:4096]:
        raise ReadError(f"텍스트(CSV) 파일이 아닙니다. {ASK_XLSX}")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as utf8:
        try:
            return data.decode("cp949")
        except UnicodeDecodeError as cp949:
            # The encoding that read further is the file's own; its first failure is the broken spot.
            raise _undecodable(data, max(utf8.start, cp949.start)) from None


def _undecodable(data: bytes, position: int) -> ReadError:
    line = data.count(b"\n", 0, position) + 1
    return ReadError(f"{line}번째 줄에 읽을 수 없는 글자가 있습니다 (UTF-8도 CP949도 아닙니다). "
                     "파일을 'CSV UTF-8' 형식으로 다시 저장해 올려 주세요.", row=line)


def _delimiter(text: str) -> str:
    """`,`, tab or `;`: the one that splits the first records into the most fields (comma on a tie)."""
    sample = text[:64 * 1024]
    best, best_fields = ",", -1
    for delimiter in DELIMITERS:
        try:
            reader = csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter)
            records = list(itertools.islice(reader, 20))
        except csv.Error:
            continue
        fields = sum(max(len(r) - 1, 0) for r in records)
        if fields > best_fields:
            best, best_fields = delimiter, fields
    return best


def _csv_rows(data: bytes) -> Iterator[tuple[int, tuple]]:
    """(line number where the record starts, fields) of every record, empty ones included."""
    text = _decode(data)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text))
    line = 1
    while True:
        try:
            record = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise ReadError(f"{line}번째 줄을 CSV로 읽을 수 없습니다 ({exc}). 따옴표가 짝이 맞는지 확인해 주세요.",
                            row=line) from None
        yield line, tuple(record)
        line = reader.line_num + 1


# --- rows → table ----------------------------------------------------------------------------------------

def _cell(value: object) -> Cell:
    """A stripped str ('' → None), a number, a date; anything else (a time, a duration) as its text."""
    if value is None or isinstance(value, int | float | datetime | date):
        return value
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, time | timedelta):
        return str(value)
    return str(value).strip() or None


def _cells(raw: Iterable, row_no: int) -> list[Cell]:
    """A row's cells with the empty tail cut; too many columns is refused."""
    cells = [_cell(v) for v in raw]
    while cells and cells[-1] is None:
        cells.pop()
    if len(cells) > MAX_COLUMNS:
        raise ReadError(f"{row_no}행에 열이 너무 많습니다 ({len(cells)}열, 최대 {MAX_COLUMNS}열).", row=row_no)
    return cells


def _build(stream: Iterator[tuple[int, tuple]], max_rows: int, named: Collection[str] = ()) -> Table:
    """Header rows found among the first non-empty rows, then every non-empty row after them, counted."""
    scanned: list[tuple[int, int, list[Cell]]] = []  # (position in the stream, row number, cells)
    for position, (row_no, raw) in enumerate(stream):
        cells = _cells(raw, row_no)
        if cells:
            scanned.append((position, row_no, cells))
            if len(scanned) == header_rules.SCAN_ROWS:
                break
    top_index = header_rules.pick_header([cells for _, _, cells in scanned], named)
    top_position, header_row, top = scanned[top_index]
    rest = scanned[top_index + 1:]
    sub = None
    if rest and rest[0][0] == top_position + 1 and header_rules.is_subheader(top, rest[0][2]):
        _, header_row, sub = rest.pop(0)
    rows: list[tuple[int, list[Cell]]] = []

    def add(row_no: int, cells: list[Cell]) -> None:
        if len(rows) >= max_rows:
            raise ReadError(f"행이 너무 많습니다. 한 번에 {max_rows:,}행까지 가져올 수 있습니다 ({row_no}행에서 멈춤). "
                            "파일을 나누어 올려 주세요.", row=row_no)
        rows.append((row_no, cells))

    for _, row_no, cells in rest:
        add(row_no, cells)
    for row_no, raw in stream:
        cells = _cells(raw, row_no)
        if cells:
            add(row_no, cells)
    width = max([len(top), len(sub or ())] + [len(cells) for _, cells in rows])
    return Table(headers=header_rules.combine(top, sub, width), header_row=header_row,
                 rows=tuple(SourceRow(row_no, tuple(cells) + (None,) * (width - len(cells))) for row_no, cells in rows))
