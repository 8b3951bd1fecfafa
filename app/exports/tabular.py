"""Exports streamed as CSV (UTF-8 with BOM, for Excel) or XLSX, straight from PostgreSQL's COPY."""
import csv
import io
from collections.abc import Generator, Iterator
from contextlib import closing
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import quote

from fastapi import Query
from fastapi.responses import StreamingResponse
from sqlalchemy import Select
from sqlalchemy.orm import Session

from app.config import get_settings
from app.errors import InvalidInput
from app.exports.cells import Column, csv_field, xlsx_row
from app.exports.xlsx import XLSX_MEDIA_TYPE, xlsx_stream

MEDIA = {"csv": "text/csv; charset=utf-8", "xlsx": XLSX_MEDIA_TYPE}
Purpose = Annotated[str, Query(min_length=2, max_length=300, description="내보내기 사유 (접속기록에 남습니다)")]


def clean_purpose(text: str) -> str:
    text = text.strip()
    if "\x00" in text or len(text) < 2:
        raise InvalidInput("purpose: 내보내기 사유를 2자 이상 적어 주세요.")
    return text

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
BOM = "\ufeff"
BLOCK_BYTES = 64 * 1024  # bytes per piece sent: bounded memory, and other requests get their turn between


@dataclass
class Export:
    """A sheet to send: its title, its columns, and the query whose FROM, WHERE and ORDER BY give the rows
    (its select list is replaced by the columns' cells)."""

    title: str
    columns: list[Column]
    rows: Select


def neutralise(value):
    """Text a spreadsheet would run as a formula gets a leading quote; other values pass unchanged.
    (The export cells do the same in SQL: app.exports.cells.FORMULA_START.)"""
    if isinstance(value, str) and value and (value.startswith(FORMULA_TRIGGERS)
                                             or value.lstrip().startswith(FORMULA_TRIGGERS[:4])):
        return "'" + value
    return value


def _copy(session: Session, statement: Select, options: str) -> Iterator[bytes]:
    """COPY (statement) TO STDOUT in blocks, on the session's connection. This runs while the file is
    sent, after the request's unit of work committed the access record, in a read transaction of its own."""
    compiled = statement.compile(dialect=session.get_bind().dialect, compile_kwargs={"render_postcompile": True})
    driver = session.connection().connection.driver_connection
    try:
        with driver.cursor() as cursor:
            cursor.execute("SET LOCAL jit = off")  # compiling costs more than it saves on these plans
            with cursor.copy(f"COPY ({compiled}) TO STDOUT {options}", compiled.params) as copy:
                blocks, size = [], 0
                for block in copy:
                    blocks.append(block)
                    size += len(block)
                    if size >= BLOCK_BYTES:
                        yield b"".join(blocks)
                        blocks, size = [], 0
                yield b"".join(blocks)
    finally:
        session.rollback()  # only read: nothing to keep, and the connection goes back to the pool


def _csv_stream(session: Session, export: Export) -> Iterator[bytes]:
    header = io.StringIO()
    csv.writer(header, lineterminator="\n").writerow(neutralise(c.header) for c in export.columns)
    yield (BOM + header.getvalue()).encode()
    rows = export.rows.with_only_columns(*(csv_field(c) for c in export.columns))
    yield from _copy(session, rows, "(FORMAT csv)")


def _xlsx_stream(session: Session, export: Export) -> Iterator[bytes]:
    rows = _copy(session, export.rows.with_only_columns(xlsx_row(export.columns)), "")
    with closing(rows):  # closing the file's stream ends its COPY too
        yield from xlsx_stream(export.title, [c.header for c in export.columns], [c.width for c in export.columns],
                               rows)


def stream(session: Session, export: Export, fmt: str) -> Generator[bytes]:
    """The export's file as it is built: `csv` or `xlsx`. Close it if it is not read to the end."""
    return _csv_stream(session, export) if fmt == "csv" else _xlsx_stream(session, export)


def attachment(session: Session, streams: list[Generator], export: Export, stem: str, title: str,
               fmt: str) -> StreamingResponse:
    """The file is sent while it is built; its rows are read after the access record was committed. Saved as
    `가구목록-2026-12-02.xlsx` (an ASCII name for clients that cannot read the UTF-8 one)."""
    today = get_settings().today()
    body = stream(session, export, fmt)
    streams.append(body)
    return StreamingResponse(body, media_type=MEDIA[fmt], headers={
        "Content-Disposition": f'attachment; filename="{stem}-{today:%Y%m%d}.{fmt}"; '
                               f"filename*=UTF-8''{quote(f'{title}-{today:%Y-%m-%d}.{fmt}')}"})
