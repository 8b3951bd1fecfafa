"""Finding the header row of a sheet and turning one or two header rows into display headers.

A list made by hand often starts with a title ("2026년 6차 복지사각지대 발굴 대상자 명단"), a date line, and
then a header of one or two rows, the second holding sub-headers under merged cells. openpyxl's read-only mode
does not expose merged ranges: a merged header shows its text in its first cell only. So:

* the header row is the one of the first 20 non-empty rows whose cells name the most known fields (any kind);
  at least two, or the file is refused;
* the row right under it is a *sub-header* row when it holds only text without digits, puts some of it under a
  blank header cell (the rest of a merged cell), and either names a known field, or has text only under merged
  header cells and leaves some header column blank (a cell merged downwards) — a data row nearly always carries
  a digit (a date, a phone, a house number) and fills columns outside any merged cell;
* a top text is carried to the right over blank cells while the sub-header row has text there and did under
  the text itself: `연락처` over `휴대폰 | 집전화` gives `연락처 휴대폰`, `연락처 집전화`.
"""
from collections.abc import Collection, Sequence

from app.imports.fields import is_known_header
from app.imports.table import Cell, ReadError
from app.imports.values import text

SCAN_ROWS = 20
MIN_MATCHES = 2
NOT_FOUND = ("머리글(열 이름)을 찾지 못했습니다. 처음 20행 안에 '성명', '주소', '생년월일' 같은 열 이름이 두 개 이상 "
             "있는 행이 있어야 합니다.")


def column_letter(index: int) -> str:
    """Excel's letter for a 0-based column index: 0 → A, 26 → AA."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def score(cells: Sequence[Cell], named: Collection[str] = ()) -> int:
    """How many cells of a row read as known header words (or as the headers a person's mapping names)."""
    return sum(1 for c in cells if isinstance(c, str) and (c in named or is_known_header(c)))


def pick_header(rows: Sequence[Sequence[Cell]], named: Collection[str] = ()) -> int:
    """The index of the header among the first non-empty rows (the best score, the first of equals). With no
    header found, the refusal carries the first row's texts so a person can say which column is which."""
    best, best_score = None, MIN_MATCHES - 1
    for i, cells in enumerate(rows[:SCAN_ROWS]):
        s = score(cells, named)
        if s > best_score:
            best, best_score = i, s
    if best is None:
        first = tuple(str(c) for c in rows[0] if c is not None) if rows else None
        raise ReadError(NOT_FOUND, first_row=first)
    return best


def _at(cells: Sequence[Cell], col: int) -> str | None:
    return text(cells[col]) if col < len(cells) else None


def is_subheader(top: Sequence[Cell], sub: Sequence[Cell]) -> bool:
    """Whether `sub`, the row right under the header `top`, is a second header row (see the module note)."""
    filled = [(c, v) for c, v in enumerate(sub) if v is not None]
    if not filled or any(not isinstance(v, str) or any(ch.isdigit() for ch in v) for _, v in filled):
        return False
    if not any(_at(top, c) is None for c, _ in filled):
        return False
    if any(is_known_header(v) for _, v in filled):
        return True
    # No known word: only text under merged (horizontal) header cells, with some header cell merged downwards.
    in_span = all(_at(top, c) is None or _at(top, c + 1) is None for c, _ in filled)
    merged_down = any(_at(top, c) is not None and _at(sub, c) is None for c in range(len(top)))
    return in_span and merged_down


def combine(top: Sequence[Cell], sub: Sequence[Cell] | None, width: int) -> tuple[str, ...]:
    """Display headers for `width` columns: top and sub-header joined with a space, an empty one named after its
    column (`열 F`), repeated ones numbered (`비고 (2)`)."""
    names: list[str] = []
    carry = None
    for col in range(width):
        above, below = _at(top, col), _at(sub, col) if sub is not None else None
        if above is not None:
            carry = above if below is not None else None
        elif below is None:
            carry = None
        above = above or (carry if below is not None else None)
        names.append(" ".join(p for p in (above, below) if p) or f"열 {column_letter(col)}")
    seen: dict[str, int] = {}
    unique = []
    taken = set(names)
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        if seen[name] == 1:
            unique.append(name)
            continue
        n = seen[name]
        while f"{name} ({n})" in taken:
            n += 1
        seen[name] = n
        unique.append(f"{name} ({n})")
        taken.add(unique[-1])
    return tuple(unique)
