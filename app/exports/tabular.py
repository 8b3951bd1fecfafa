"""Tables to CSV (UTF-8 with BOM, for Excel) and XLSX, with formula-like text neutralised."""
import csv
import io
from dataclasses import dataclass, field
from datetime import date, datetime

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
BOM = "\ufeff"


@dataclass
class Table:
    title: str  # sheet title
    headers: list[str]
    rows: list[list] = field(default_factory=list)
    widths: list[int] = field(default_factory=list)


def neutralise(value):
    """Text a spreadsheet would run as a formula gets a leading quote; other values pass unchanged."""
    if isinstance(value, str) and value and (value.startswith(FORMULA_TRIGGERS)
                                             or value.lstrip().startswith(FORMULA_TRIGGERS[:4])):
        return "'" + value
    return value


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def to_csv(table: Table) -> bytes:
    """CSV bytes with a BOM so Excel reads the Korean text as UTF-8."""
    out = io.StringIO()
    out.write(BOM)
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([neutralise(h) for h in table.headers])
    for row in table.rows:
        writer.writerow([neutralise(v) if isinstance(v, str) else _text(v) for v in row])
    return out.getvalue().encode("utf-8")


def _cell_value(value):
    if isinstance(value, datetime) and value.tzinfo is not None:
        value = value.replace(tzinfo=None)  # Excel has no time zones; callers pass local times
    if isinstance(value, str):
        value = ILLEGAL_CHARACTERS_RE.sub("", neutralise(value))
    return value


def to_xlsx(table: Table) -> bytes:
    """An XLSX workbook with one sheet: bold header row, frozen, then the rows."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title=table.title[:31])
    for i, width in enumerate(table.widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = width
    ws.freeze_panes = "A2"
    bold = Font(bold=True)
    header = []
    for h in table.headers:
        cell = WriteOnlyCell(ws, value=_cell_value(h))
        cell.font = bold
        header.append(cell)
    ws.append(header)
    for row in table.rows:
        ws.append([_cell_value(v) for v in row])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
