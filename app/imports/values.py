"""One spreadsheet cell → one clean value: text, dates, phone numbers, head counts. Pure functions; a value that
cannot be read raises ValueError with a Korean message that quotes it (never a 주민등록번호, see `quote`)."""
import math
import re
import unicodedata
from datetime import date, datetime, timedelta

from app.validation import mask_rrn_in_text

Cell = str | int | float | date | datetime | None

_RRN_SHAPED = re.compile(r"[0-9]{6}\s?[-‐–—]?\s?[0-9]{7}")
_INVISIBLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff\ud800-\udfff]")
_SPACES = re.compile(r"\s+")


def quote(value: object, limit: int = 30) -> str:
    """A cell value fit for a message: shortened, and any 주민등록번호-shaped run hidden entirely (a message
    must not carry even the birth-date half of a number someone typed into the wrong column)."""
    text = value if isinstance(value, str) else _as_text(value)
    text = _RRN_SHAPED.sub("******-*******", _SPACES.sub(" ", _INVISIBLE.sub("", text)).strip())
    return text if len(text) <= limit else text[:limit] + "…"


def _as_text(value: object) -> str:
    """How a non-text cell reads as text: 12.0 → '12', a midnight datetime → its date."""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime) and value.time() == datetime.min.time():
        return value.date().isoformat()
    if isinstance(value, date | datetime):
        return value.isoformat()
    return str(value)


def text(value: Cell) -> str | None:
    """Text with invisible characters removed and whitespace collapsed; empty → None."""
    if value is None:
        return None
    raw = value if isinstance(value, str) else _as_text(value)
    cleaned = _SPACES.sub(" ", _INVISIBLE.sub("", raw)).strip()
    return cleaned or None


def bounded_text(value: Cell, label: str, max_len: int, *, mask_rrn: bool = True) -> str | None:
    """`text`, refused when longer than `max_len`; a 주민등록번호 typed into it is masked as in every free-text
    field of the product (app.validation.mask_rrn_in_text)."""
    cleaned = text(value)
    if cleaned is None:
        return None
    if len(cleaned) > max_len:
        raise ValueError(f"{label}이(가) 너무 깁니다 ({len(cleaned)}자, 최대 {max_len}자).")
    return mask_rrn_in_text(cleaned) if mask_rrn else cleaned


# --- dates -----------------------------------------------------------------------------------------------

EXCEL_EPOCH = date(1899, 12, 30)  # serial n of the 1900 date system is this day + n (from serial 61 on)
SERIAL_MIN, SERIAL_MAX = 1, 73415  # 1900-01-01 … 2100-12-31: a number outside is not taken for a date
EARLIEST = date(1900, 1, 1)
_YMD = re.compile(r"([0-9]{4}|[0-9]{2})\s*[-./]\s*([0-9]{1,2})\s*[-./]\s*([0-9]{1,2})\s*\.?"
                  r"(?:[ T][0-9]{1,2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]+)?)?)?")
_KOREAN = re.compile(r"([0-9]{4}|[0-9]{2})\s*년\s*([0-9]{1,2})\s*월\s*([0-9]{1,2})\s*일?")


def _serial(serial: int, shown: object) -> date:
    """A date from an Excel serial of the 1900 date system (the one Windows Excel writes). Excel counts a
    1900-02-29 that never was (serial 60), so serials below it are one day later than the plain count."""
    if not SERIAL_MIN <= serial <= SERIAL_MAX:
        raise ValueError(f"'{quote(shown)}'은(는) 날짜로 읽을 수 없습니다.")
    if serial == 60:
        raise ValueError(f"'{quote(shown)}'은(는) 없는 날짜(1900-02-29)입니다.")
    return EXCEL_EPOCH + timedelta(days=serial + (1 if serial < 60 else 0))


def _century(yy: int, month: int, day: int, *, birth: bool, today: date) -> int:
    """The year of a two-digit year. A birth date takes the latest century that does not put it in the future:
    `480302` is 1948, `150302` is 2015. Welfare lists hold children as well as the very old, and a child born
    in 20xx is far more common than a person over 100, so the recent century wins whenever it is possible; the
    preview shows the date read, so the rare centenarian is seen and corrected. Other dates (변동일) are recent:
    20xx."""
    if not birth:
        return 2000 + yy
    try:
        return 2000 + yy if date(2000 + yy, month, day) <= today else 1900 + yy
    except ValueError:
        return 1900 + yy  # an impossible day is reported as such by the caller


def parse_date(value: Cell, *, birth: bool, today: date) -> date | None:
    """A date from a date cell, an Excel serial, or text (1948-03-02, 1948.3.2, 1948/03/02, 19480302,
    1948년 3월 2일, 480302); impossible dates, dates before 1900 and future birth dates are refused."""
    if value is None:
        return None
    if isinstance(value, datetime):
        found = value.date()
    elif isinstance(value, date):
        found = value
    elif isinstance(value, bool):
        raise ValueError(f"'{quote(value)}'은(는) 날짜로 읽을 수 없습니다.")
    elif isinstance(value, int | float):
        found = _number_date(value, birth=birth, today=today)
    else:
        cleaned = text(value)
        if cleaned is None:
            return None
        found = _text_date(unicodedata.normalize("NFKC", cleaned), value, birth=birth, today=today)
    if found < EARLIEST:
        raise ValueError(f"'{quote(value)}'은(는) 너무 이른 날짜입니다 (1900년 이후만).")
    if birth and found > today:
        raise ValueError(f"생년월일 '{quote(value)}'이(가) 오늘보다 뒤입니다.")
    return found


def _number_date(value: int | float, *, birth: bool, today: date) -> date:
    """A number from Excel: 19480302 and 480302 typed as numbers are digits; a smaller whole number or one with
    a fraction (a date-time) is a serial."""
    if not math.isfinite(value) or value <= 0:
        raise ValueError(f"'{quote(value)}'은(는) 날짜로 읽을 수 없습니다.")
    whole = int(value)
    if whole == value and len(str(whole)) in (6, 8):
        return _text_date(str(whole), value, birth=birth, today=today)
    return _serial(whole, value)


def _text_date(cleaned: str, shown: object, *, birth: bool, today: date) -> date:
    """A date written as text in one of the accepted forms."""
    if cleaned.isascii() and cleaned.isdigit() and len(cleaned) in (6, 8):
        parts = (cleaned[:-4], cleaned[-4:-2], cleaned[-2:])
    elif m := (_YMD.fullmatch(cleaned) or _KOREAN.fullmatch(cleaned)):
        parts = m.groups()
    else:
        raise ValueError(f"'{quote(shown)}'은(는) 날짜로 읽을 수 없습니다 (예: 1948-03-02).")
    year, month, day = (int(p) for p in parts)
    if len(parts[0]) == 2:
        year = _century(year, month, day, birth=birth, today=today)
    try:
        return date(year, month, day)
    except ValueError:
        raise ValueError(f"'{quote(shown)}'은(는) 없는 날짜입니다.") from None


# --- phone numbers -----------------------------------------------------------------------------------------

# Korean numbering plan: mobile 010/011/016-019, Seoul 02, the regional area codes, 070 internet phones,
# 050x personal (안심) numbers, 080 free calls, and the 8-digit 15xx/16xx/18xx company numbers.
_AREA = ("031", "032", "033", "041", "042", "043", "044", "051", "052", "053", "054", "055", "061", "062",
         "063", "064", "070", "080")
_MOBILE = ("010", "011", "016", "017", "018", "019")
_PHONE_CHARS = re.compile(r"[0-9 ()\-.+]+")


def _grouped(digits: str) -> str | None:
    """The dashed form of a valid digit string, or None."""
    n = len(digits)
    if digits.startswith("02") and n in (9, 10):
        return f"02-{digits[2:n - 4]}-{digits[n - 4:]}"
    if digits[:3] in _MOBILE + _AREA and n in (10, 11):
        return f"{digits[:3]}-{digits[3:n - 4]}-{digits[n - 4:]}"
    if digits[:3] == "050" and n in (11, 12):
        return f"{digits[:4]}-{digits[4:n - 4]}-{digits[n - 4:]}"
    if digits[:2] in ("15", "16", "18") and n == 8:
        return f"{digits[:4]}-{digits[4:]}"
    return None


def parse_phone(value: Cell) -> str | None:
    """A phone number in its dashed form (010-1234-5678, 02-123-4567, 1588-1234) from any common writing:
    spaces, dots, no separators, +82, or a number Excel stored without its leading zero (1012345678.0)."""
    if value is None:
        return None
    bad = ValueError(f"전화번호 '{quote(value)}'을(를) 알아볼 수 없습니다 (예: 010-1234-5678, 02-123-4567).")
    if isinstance(value, bool) or isinstance(value, date | datetime):
        raise bad
    if isinstance(value, int | float):
        if not math.isfinite(value) or value != int(value) or value <= 0:
            raise bad
        digits = str(int(value))
    else:
        cleaned = text(value)
        if cleaned is None:
            return None
        cleaned = unicodedata.normalize("NFKC", cleaned)
        if not _PHONE_CHARS.fullmatch(cleaned):
            raise bad
        cleaned = cleaned.replace("(0)", "")
        digits = re.sub(r"[^0-9]", "", cleaned)
        if cleaned.startswith("+"):
            if not digits.startswith("82"):
                raise bad
            digits = "0" + digits[2:].removeprefix("0")
    found = _grouped(digits)
    if found is None and not digits.startswith("0"):
        found = _grouped("0" + digits)  # the leading zero a number cell (or a CSV saved from one) dropped
    if found is None:
        raise bad
    return found


# --- counts, flags ---------------------------------------------------------------------------------------

MEMBERS_MAX = 50
_MEMBERS = re.compile(r"([0-9]+)(?:\.0+)?\s*(?:명|인|가구원)?")


def parse_members(value: Cell) -> int | None:
    """A household's head count, 1..50, from 3, 3.0, '3' or '3명'."""
    if value is None:
        return None
    bad = ValueError(f"세대원수 '{quote(value)}'은(는) 1~{MEMBERS_MAX} 사이의 숫자여야 합니다.")
    if isinstance(value, bool) or isinstance(value, date | datetime):
        raise bad
    if isinstance(value, int | float):
        if not math.isfinite(value) or value != int(value):
            raise bad
        count = int(value)
    else:
        cleaned = text(value)
        if cleaned is None:
            return None
        m = _MEMBERS.fullmatch(unicodedata.normalize("NFKC", cleaned))
        if not m or len(m.group(1)) > 3:
            raise bad
        count = int(m.group(1))
    if not 1 <= count <= MEMBERS_MAX:
        raise bad
    return count


YES = frozenset({"y", "yes", "o", "○", "●", "◯", "v", "✓", "✔", "√", "1", "예", "네", "해당", "true", "대상"})
NO = frozenset({"n", "no", "x", "×", "✕", "0", "-", "아니오", "아니요", "미해당", "해당없음", "비해당", "false"})


def parse_flag(value: Cell) -> bool:
    """A yes/no cell of a flag column: Y/O/○/●/1/예/해당 (and the like) is yes, empty or N/X/0/- is no."""
    if value is None:
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool) and value in (0, 1):
        return value == 1
    cleaned = text(value)
    if cleaned is None:
        return False
    key = unicodedata.normalize("NFKC", cleaned).replace(" ", "").lower()
    if key in YES:
        return True
    if key in NO:
        return False
    raise ValueError(f"'{quote(value)}'은(는) 해당 여부로 읽을 수 없습니다 (해당: Y·O·1·예, 비해당: 빈칸·N·X·0).")
