"""What reading a spreadsheet yields: a table of display headers and source rows, or a ReadError."""
from dataclasses import dataclass, field
from datetime import date, datetime

Cell = str | int | float | date | datetime | None


class ReadError(ValueError):
    """The whole file (or the mapping) is refused; `message` is Korean and names the row and column if known."""

    def __init__(self, message: str, *, row: int | None = None, column: str | None = None,
                 first_row: tuple[str, ...] | None = None):
        super().__init__(message)
        self.message = message
        self.row = row
        self.column = column
        self.first_row = first_row  # no header was recognised: the first row's texts, for a person to map


@dataclass(frozen=True)
class SourceRow:
    """One non-empty row: the row number the user sees (sheet row or CSV line) and one value per header.
    The cells stay out of repr: a row may hold a 주민등록번호 and a repr ends up in logs and tracebacks."""

    row_no: int
    cells: tuple[Cell, ...] = field(repr=False)


@dataclass(frozen=True)
class Table:
    """A sheet read: display header per column, the sheet row of the (last) header row, the data rows."""

    headers: tuple[str, ...]
    header_row: int
    rows: tuple[SourceRow, ...]
