"""What each import kind reads: its fields and the header words that name them, the mapping from a file's headers
to fields, and one source row → clean values plus Korean cell errors. Pure (no database)."""
import math
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from app.households import rrn as rrn_rules
from app.imports import values
from app.imports.table import Cell, ReadError, SourceRow

KINDS = ("households", "discovery_list", "registry_changes")
REQUIRED_MESSAGE = "필수 값이 비어 있습니다"
RRN_MESSAGE = "주민등록번호 형식이 올바르지 않습니다"


@dataclass(frozen=True)
class FieldSpec:
    """One field of an import kind: API name, Korean label, whether a row needs it, header words naming it."""

    name: str
    label: str
    required: bool
    synonyms: tuple[str, ...]


def _f(name: str, label: str, synonyms: str, required: bool = False) -> FieldSpec:
    return FieldSpec(name, label, required, tuple(synonyms.split()))


_HOUSEHOLD = (
    _f("head_name", "성명", "성명 이름 세대주 세대주명 세대주성명 대상자명 대상자 수급자명 수급자 성명(세대주)", True),
    _f("birth_date", "생년월일", "생년월일 출생일 출생일자 생일"),
    _f("address", "주소", "주소 도로명주소 주소(도로명) 거주지 실거주지 거주지주소 실거주지주소 현주소", True),
    _f("address_detail", "상세주소", "상세주소 동호수 동·호수 동/호수 나머지주소"),
    _f("phone", "연락처", "휴대폰 핸드폰 연락처 전화번호 휴대전화 휴대폰번호 핸드폰번호 휴대전화번호 전화"),
    _f("members", "세대원수", "세대원수 가구원수 세대원 가구원 세대원수(명) 가구원수(명)"),
    _f("support_status", "보장구분", "보장구분 자격 자격구분 보장유형 보장자격 수급자격"),
    _f("dong_name", "행정동", "동명 행정동 동 관할동 행정동명 읍면동"),
    _f("notes", "비고", "비고 메모 특이사항"),
    _f("source_key", "관리번호", "관리번호 대상자번호 가구번호 발굴관리번호 일련번호관리"),
    _f("rrn", "주민등록번호", "주민등록번호 주민번호"),
)
FIELDS: dict[str, tuple[FieldSpec, ...]] = {
    "households": _HOUSEHOLD,
    "discovery_list": (*_HOUSEHOLD, _f("signals", "위기정보", "위기정보 위기유형 발굴사유 위기요인 위기정보유형")),
    "registry_changes": (
        _f("change", "변동구분", "변동구분 변동사유 구분 변동유형 변동내용", True),
        _f("head_name", "성명", "성명 이름 세대주 세대주명 대상자명", True),
        _f("birth_date", "생년월일", "생년월일 출생일 출생일자"),
        _f("address", "주소", "주소 도로명주소 주소(도로명) 변동후주소 전입주소 새주소 현주소"),
        _f("previous_address", "이전 주소", "이전주소 변동전주소 전주소 종전주소 전출전주소"),
        _f("address_detail", "상세주소", "상세주소 동호수 동·호수"),
        _f("changed_on", "변동일", "변동일 변동일자 신고일 신고일자 변동신고일", True),
        _f("dong_name", "행정동", "동명 행정동 동 관할동 행정동명"),
        _f("source_key", "관리번호", "관리번호 대상자번호 가구번호"),
    ),
}

# Crisis signals of the 복지사각지대 발굴관리시스템 list, following the public description of its data (the
# Ministry of Health and Welfare's notes on the 위기정보 it gathers from partner agencies: utility cut-offs,
# social-insurance and rent arrears, loan arrears, loss of 기초생활보장, heavy medical costs, loss of work,
# housing crises, ...). The real file was not available: these are the labels and the header words we expect
# for them. A column whose header is one of them (alone, or under a merged "위기정보" header; "여부" and a
# bracketed note such as "(Y/N)" ignored) is a *flag column*: no mapping needed, a yes cell adds the label.
SIGNALS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("단전", ("단전", "전기단전", "전기요금체납", "전기료체납", "한전단전")),
    ("단수", ("단수", "수도단수", "수도요금체납", "수도료체납")),
    ("단가스", ("단가스", "가스단절", "가스요금체납", "가스료체납", "도시가스체납")),
    ("건강보험료 체납", ("건강보험료체납", "건보료체납", "건강보험체납")),
    ("국민연금 체납", ("국민연금체납", "국민연금보험료체납", "연금보험료체납")),
    ("통신비 체납", ("통신비체납", "통신요금체납", "휴대폰요금체납")),
    ("관리비 체납", ("관리비체납", "공동주택관리비체납", "아파트관리비체납")),
    ("임차료 체납", ("임차료체납", "월세체납", "임대료체납", "공공임대주택임차료체납", "공공임대임차료체납")),
    ("금융연체", ("금융연체", "금융연체정보", "대출연체", "채무연체", "신용연체")),
    ("기초수급 탈락/중지", ("기초수급탈락중지", "기초수급탈락", "기초수급중지", "수급탈락", "기초생활보장탈락",
                        "기초수급탈락·중지")),
    ("의료비 과다", ("의료비과다", "의료비과다지출", "고액의료비")),
    ("고용위기", ("고용위기", "실직", "실업", "고용보험상실", "고용보험자격상실", "실업급여종료")),
    ("휴폐업", ("휴폐업", "휴업", "폐업", "사업장휴폐업")),
    ("주거위기", ("주거위기", "주거취약", "퇴거", "퇴거위기", "전세사기")),
    ("세대주 사망", ("세대주사망", "주소득자사망")),
    ("복지시설 퇴소", ("복지시설퇴소", "시설퇴소")),
)

# Middle dots as typed (ㆍ, the Hangul letter, is the usual one); mapped before NFKC, which turns ㆍ into a jamo.
_DOTS = str.maketrans({c: "·" for c in "ㆍ・‧•∙⋅"})
_DROP = re.compile(r"[\s*※□■:'\"]+")
_BRACKETS = re.compile(r"[()\[\]{}<>]")
_BRACKETED = re.compile(r"\([^)]*\)|\[[^\]]*\]|<[^>]*>")


def header_key(header: str) -> str:
    """A header compared by its words: width-folded, lower case, without spaces, marks (`*`, `※`) or quotes."""
    return _DROP.sub("", unicodedata.normalize("NFKC", header.translate(_DOTS)).lower())


def _variants(header: str) -> set[str]:
    """The keys a header matches under: as written, without bracket marks, without the bracketed part
    (`주소(도로명)` also matches `주소`), each also without middle dots (`동·호수` = `동호수`)."""
    key = header_key(header)
    forms = {key, _BRACKETS.sub("", key), _BRACKETED.sub("", key)}
    return {f for form in forms for f in (form, form.replace("·", "").replace("/", ""))} - {""}


def _synonym_keys(spec: FieldSpec) -> dict[str, int]:
    """Key → rank of the synonym it comes from (the first synonyms are the field's usual names)."""
    ranks: dict[str, int] = {}
    for rank, synonym in enumerate(spec.synonyms):
        for key in _variants(synonym):
            ranks.setdefault(key, rank)
    return ranks


_FIELD_KEYS = {kind: tuple((spec, _synonym_keys(spec)) for spec in specs) for kind, specs in FIELDS.items()}
_SIGNAL_KEYS = {k: label for label, words in SIGNALS for word in (label, *words) for k in _variants(word)}
_ALL_KEYS = frozenset(k for specs in _FIELD_KEYS.values() for _, keys in specs for k in keys)


def signal_label(text: str) -> str | None:
    """The crisis-signal label a text names (`건보료 체납`, `단전여부`), or None."""
    for key in _variants(text):
        found = _SIGNAL_KEYS.get(key) or _SIGNAL_KEYS.get(key.removesuffix("여부"))
        if found:
            return found
    return None


def flag_label(header: str) -> str | None:
    """The signal a flag column's header names: the whole header or, under a merged header (`위기정보 건보료 체납`),
    its last words."""
    words = header.split()
    return next((found for k in range(len(words)) if (found := signal_label(" ".join(words[k:])))), None)


def is_known_header(text: str) -> bool:
    """Whether a cell reads as a header word of any kind (used to find the header row)."""
    return bool(_variants(text) & _ALL_KEYS) or signal_label(text) is not None


def _quality(keys: dict[str, int], header: str) -> tuple[int, int]:
    """How well a header names a field: 3 whole header, 2 its last word (a sub-header under a merged header:
    `연락처 휴대폰`), 1 another word, 0 not at all; and the rank of the synonym matched (`성명` before `세대주`)."""
    words = header.split()
    for quality, parts in ((3, [header]), (2, words[-1:] if len(words) > 1 else []), (1, words[:-1])):
        ranks = [keys[k] for part in parts for k in _variants(part) if k in keys]
        if ranks:
            return quality, min(ranks)
    return 0, 0


def _specs(kind: str) -> tuple[FieldSpec, ...]:
    if kind not in FIELDS:
        raise ReadError(f"알 수 없는 가져오기 종류입니다: '{values.quote(kind)}' ({', '.join(KINDS)} 중 하나).")
    return FIELDS[kind]


def flag_columns(kind: str, mapping: Mapping[str, str | None], headers: Sequence[str]) -> dict[int, str]:
    """Column index → signal label of the discovery list's flag columns (headers no field is mapped to)."""
    if kind != "discovery_list":
        return {}
    mapped = set(mapping.values())
    return {i: label for i, h in enumerate(headers) if h not in mapped and (label := flag_label(h))}


def detect_mapping(kind: str, headers: Sequence[str]) -> dict[str, str | None]:
    """The header each field most likely reads from (None when no header names it): best match first, each
    header used once; a discovery list's flag columns are left to `flag_columns`."""
    specs = _specs(kind)
    candidates = []
    for order, (spec, keys) in enumerate(_FIELD_KEYS[kind]):
        for col, header in enumerate(headers):
            if kind == "discovery_list" and spec.name != "signals" and signal_label(header):
                continue
            quality, rank = _quality(keys, header)
            if kind == "discovery_list" and flag_label(header) and quality < 3:
                continue
            if quality:
                candidates.append((-quality, rank, col, order, spec.name, header))
    mapping: dict[str, str | None] = {spec.name: None for spec in specs}
    used: set[str] = set()
    for *_, name, header in sorted(candidates):
        if mapping[name] is None and header not in used:
            mapping[name] = header
            used.add(header)
    return mapping


def check_mapping(kind: str, mapping: Mapping, headers: Sequence[str]) -> None:
    """Refuse (ReadError, Korean) a mapping with an unknown field or header, a header used twice, or a required
    field without a header."""
    specs = {spec.name: spec for spec in _specs(kind)}
    if not isinstance(mapping, Mapping):
        raise ReadError("열 지정(mapping)은 항목 이름과 열 이름의 짝이어야 합니다.")
    known = set(headers)
    used: dict[str, str] = {}
    for name, header in mapping.items():
        if name not in specs:
            raise ReadError(f"알 수 없는 항목입니다: '{values.quote(name)}'.")
        if header is None:
            continue
        if not isinstance(header, str) or header not in known:
            raise ReadError(f"'{values.quote(header)}' 열이 파일에 없습니다 ({specs[name].label}).",
                            column=values.quote(header))
        if header in used:
            raise ReadError(f"'{values.quote(header)}' 열이 '{specs[used[header]].label}'과(와) "
                            f"'{specs[name].label}'에 함께 지정되었습니다. 한 열은 한 항목에만 쓸 수 있습니다.",
                            column=header)
        used[header] = name
    missing = [spec.label for spec in specs.values() if spec.required and not mapping.get(spec.name)]
    if missing:
        raise ReadError(f"필수 항목 {', '.join(missing)}에 해당하는 열을 지정해 주세요.")


@dataclass(frozen=True)
class CellError:
    """A problem with one cell: the header the user sees and a Korean message (never a 주민등록번호)."""

    column: str
    message: str


class Rrn(str):
    """The 13 digits of a valid 주민등록번호; its repr hides them (a values dict may end up in a log)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "Rrn('******-*******')"


def _rrn(value: Cell) -> Rrn | None:
    """A 주민등록번호 from text or from a number cell (which lost the leading zero of a 2000s birth year)."""
    if value is None:
        return None
    if isinstance(value, bool) or isinstance(value, date | datetime):
        raise ValueError(RRN_MESSAGE)
    if isinstance(value, int | float):
        if not math.isfinite(value) or value != int(value):
            raise ValueError(RRN_MESSAGE)
        digits = str(int(value))
        digits = digits.zfill(13) if len(digits) == 12 else digits
    else:
        cleaned = values.text(value)
        if cleaned is None:
            return None
        digits = cleaned.replace(" ", "")
    try:
        return Rrn(rrn_rules.normalize(digits))
    except ValueError:
        raise ValueError(RRN_MESSAGE) from None


def _source_key(value: Cell) -> str | None:
    """The source list's own key; a valid 주민등록번호 is refused as a key (it would be stored in clear)."""
    found = values.bounded_text(value, "관리번호", 100, mask_rrn=False)
    if found is not None:
        try:
            rrn_rules.normalize(found)
        except ValueError:
            return found
        raise ValueError("관리번호로 주민등록번호를 쓸 수 없습니다. 주민등록번호 열로 지정해 주세요.")
    return found


CHANGES = {"사망": "death", "사망말소": "death", "전출": "moved_out", "전입": "moved_in", "세대합가": "merged",
           "합가": "merged"}


def _change(value: Cell) -> str | None:
    cleaned = values.text(value)
    if cleaned is None:
        return None
    found = CHANGES.get(cleaned.replace(" ", ""))
    if found is None:
        raise ValueError(f"변동구분 '{values.quote(cleaned)}'을(를) 알 수 없습니다 "
                         "(사망, 전출, 전입, 세대합가 중 하나).")
    return found


_SPLIT = re.compile(r"[,;/·、\r\n]+")  # after NFKC (，→,) and the dots folded


def _signals(value: Cell) -> list[str]:
    """Crisis-signal labels from a text cell: split on , · / ; and new lines; known signals take their
    label (`건보료체납` → `건강보험료 체납`), two neighbours that name one (`기초수급 탈락/중지`) are joined."""
    if value is None:
        return []
    raw = value if isinstance(value, str) else values.text(value) or ""
    raw = unicodedata.normalize("NFKC", raw.translate(_DOTS))
    parts = [p for p in map(values.text, _SPLIT.split(raw)) if p]
    found, i = [], 0
    while i < len(parts):
        if i + 1 < len(parts) and (joined := signal_label(parts[i] + parts[i + 1])):
            found.append(joined)
            i += 2
            continue
        found.append(signal_label(parts[i]) or values.bounded_text(parts[i], "위기정보 항목", 100))
        i += 1
    return found


_TEXT_LIMITS = {"head_name": 50, "address": 200, "previous_address": 200, "address_detail": 200,
                "support_status": 50, "dong_name": 50, "notes": 4000}


def _value(name: str, label: str, value: Cell, today: date):
    """One field's clean value (ValueError with a Korean message when the cell cannot be read)."""
    if name in _TEXT_LIMITS:
        return values.bounded_text(value, label, _TEXT_LIMITS[name])
    if name == "birth_date":
        return values.parse_date(value, birth=True, today=today)
    if name == "changed_on":
        return values.parse_date(value, birth=False, today=today)
    if name == "phone":
        return values.parse_phone(value)
    if name == "members":
        return values.parse_members(value)
    if name == "rrn":
        return _rrn(value)
    if name == "source_key":
        return _source_key(value)
    if name == "change":
        return _change(value)
    if name == "signals":
        return _signals(value)
    raise AssertionError(name)


def normalise(kind: str, mapping: Mapping[str, str | None], headers: Sequence[str], row: SourceRow, *,
              today: date | None = None) -> tuple[dict, list[CellError]]:
    """A row's values by field name (None when empty, unmapped or unreadable; `signals` a list) and its cell
    errors. Reading a cell never raises: a bad value becomes a CellError naming it (a 주민등록번호 never)."""
    today = today or date.today()
    index = {h: i for i, h in enumerate(headers)}
    out: dict = {}
    errors: list[CellError] = []
    for spec in _specs(kind):
        header = mapping.get(spec.name)
        col = index.get(header) if header is not None else None
        raw = row.cells[col] if col is not None and col < len(row.cells) else None
        try:
            out[spec.name] = _value(spec.name, spec.label, raw, today)
        except ValueError as exc:
            out[spec.name] = [] if spec.name == "signals" else None
            errors.append(CellError(header or spec.label, str(exc)))
            continue
        if spec.required and out[spec.name] is None:
            errors.append(CellError(header or spec.label, REQUIRED_MESSAGE))
    for col, label in flag_columns(kind, mapping, headers).items():
        try:
            flagged = values.parse_flag(row.cells[col] if col < len(row.cells) else None)
        except ValueError as exc:
            errors.append(CellError(headers[col], str(exc)))
            continue
        if flagged:
            out["signals"].append(label)
    if "signals" in out:
        out["signals"] = list(dict.fromkeys(out["signals"]))
    return out, errors
