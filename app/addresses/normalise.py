"""Address text → comparable parts: 시도/시군구 prefixes, 도로명 or 지번, building or lot number, 상세주소.

One normaliser for the whole app: `normalise_address` (the flat comparison key the report geocoder stores and
compares in SQL, `normalised_sql`) and `parse_address` (the structured reading the address table is matched
on) share the same cleaning (NFKC, one dash, no punctuation). `app.reports.geocoder` re-exports the first two.
"""
import re
import unicodedata
from dataclasses import dataclass

from sqlalchemy import func, literal_column

_DASHES = "‐‑‒–—―−"
_DROP = r"[^0-9a-z가-힣-]"
# Province prefixes that add nothing inside one deployment (longest first so 서울특별시 wins over 서울).
_PREFIX = r"^(서울특별시|서울시|서울)"

# 시도: the official name (as in the juso.go.kr files) and the short forms people write. "광주시" and "제주시"
# are left out on purpose: they are also a 시 of 경기도 and of 제주특별자치도.
SIDO_NAMES: dict[str, tuple[str, ...]] = {
    "서울": ("서울특별시", "서울시", "서울"),
    "부산": ("부산광역시", "부산시", "부산"),
    "대구": ("대구광역시", "대구시", "대구"),
    "인천": ("인천광역시", "인천시", "인천"),
    "광주": ("광주광역시", "광주"),
    "대전": ("대전광역시", "대전시", "대전"),
    "울산": ("울산광역시", "울산시", "울산"),
    "세종": ("세종특별자치시", "세종시", "세종"),
    "경기": ("경기도", "경기"),
    "강원": ("강원특별자치도", "강원도", "강원"),
    "충북": ("충청북도", "충북"),
    "충남": ("충청남도", "충남"),
    "전북": ("전북특별자치도", "전라북도", "전북"),
    "전남": ("전라남도", "전남"),
    "경북": ("경상북도", "경북"),
    "경남": ("경상남도", "경남"),
    "제주": ("제주특별자치도", "제주도", "제주"),
}
_SIDO_KEY = {alias: key for key, aliases in SIDO_NAMES.items() for alias in aliases}
_SIDO = re.compile("^(" + "|".join(sorted(_SIDO_KEY, key=len, reverse=True)) + r")(?:\s+|$)")
_SIGUNGU = re.compile(r"^([가-힣]+(?:시|군|구))(?:\s+([가-힣]+구))?(?:\s+|$)")
_NOTE = re.compile(r"\(([^()]*)\)?")
# 지번: [읍/면] 동·가·리 [산] 본번[-부번][번지]; the number must stand alone (not the start of a longer one).
# The old way, 번지 and 호 (12번지 3호), is the same lot as 12-3: 호 is the 지번부번.
_LOT = re.compile(r"^(?:[가-힣0-9]+(?:읍|면)\s+)?(?P<dong>[가-힣][가-힣0-9.·]*(?:동|가|리))\s*(?P<san>산\s*)?"
                  r"(?P<main>\d+)(?:\s*-\s*(?P<sub>\d+)(?!\d)|\s*번지\s*(?P<ho>\d+)\s*호)?(?!\d)\s*(?:번지)?")
# 도로명: [읍/면/동 …] 도로명(…로, …길, …로12가길) [지하] 건물본번[-건물부번]; the road name is the longest.
_ROAD = re.compile(r"^(?:[가-힣0-9.·]+(?:읍|면|동|가|리)\s+)*(?P<road>[가-힣][가-힣0-9.·]*(?:로|길))\s*"
                   r"(?P<under>지하\s*)?(?P<main>\d+)(?:\s*-\s*(?P<sub>\d+))?(?!\d)\s*(?:번지)?")
_GLUED_FLOOR = re.compile(r"^(층|호|f\b)", re.IGNORECASE)
_ADMIN_DONG_NUMBER = re.compile(r"(?<=[가-힣])\d+(?=동$)")  # 홍제1동 → 홍제동 (a 행정동 written for a 법정동)


def clean(text: str | None) -> str:
    """NFKC, one kind of dash, single spaces: the text every reading starts from."""
    if not text:
        return ""
    value = unicodedata.normalize("NFKC", text)
    value = re.sub(f"[{_DASHES}]", "-", value)
    return " ".join(value.replace(",", " , ").split()).replace(" , ", ", ").strip(" ,")


def normalise_address(text: str | None) -> str:
    """Comparable form of an address: NFKC, lower case, no spaces or punctuation, no 서울 prefix or 번지."""
    if not text:
        return ""
    value = unicodedata.normalize("NFKC", text).lower()
    value = re.sub(f"[{_DASHES}]", "-", value)
    value = re.sub(_DROP, "", value)
    value = re.sub(_PREFIX, "", value)
    return value.replace("번지", "")


def normalised_sql(column):
    """The same normalisation as `normalise_address`, as a SQL expression over a text column."""
    value = func.lower(func.normalize(func.coalesce(column, ""), literal_column("NFKC")))
    value = func.translate(value, _DASHES, "-" * len(_DASHES))
    value = func.regexp_replace(value, _DROP, "", "g")
    value = func.regexp_replace(value, _PREFIX, "")
    return func.replace(value, "번지", "")


def name_key(name: str | None) -> str:
    """A place or road name as compared: NFKC, lower case, no spaces or punctuation (nothing stripped)."""
    if not name:
        return ""
    return re.sub(_DROP, "", unicodedata.normalize("NFKC", name).lower()).replace("-", "")


def sido_key(name: str | None) -> str | None:
    """'서울특별시', '서울시', '서울' → '서울'; None for an empty or unknown name."""
    return _SIDO_KEY.get(name_key(name)) if name else None


def road_key(road_name: str, underground: int | str, main: int | str, sub: int | str) -> str:
    """The key a 도로명주소 is matched on: road name, 지하 (0/1), building main and sub number."""
    return f"{name_key(road_name)}|{1 if str(underground) == '1' else 0}|{int(main)}|{int(sub or 0)}"


def lot_key(dong_or_ri: str, mountain: int | str, main: int | str, sub: int | str) -> str:
    """The key a 지번 is matched on: 법정동 (or 리) name, 산 (0/1), lot main and sub number."""
    return f"{name_key(dong_or_ri)}|{1 if str(mountain) == '1' else 0}|{int(main)}|{int(sub or 0)}"


@dataclass(frozen=True)
class ParsedAddress:
    """What an address text says, read by `parse_address`."""

    kind: str  # road | lot
    sido: str | None  # short key, e.g. 서울
    sigungu: str | None  # key without spaces, e.g. 서대문구 or 수원시영통구
    name: str  # road name (도로명) or 법정동/리 name
    underground: bool  # 지하 (road) or 산 (lot)
    main: int
    sub: int
    detail: str | None  # 상세주소: 동·층·호 and whatever follows the number
    note: str | None  # 참고항목 in brackets, e.g. 연희동

    @property
    def keys(self) -> list[str]:
        """Match keys, best first (a lot written with a 행정동 name also tries its 법정동: 홍제1동 → 홍제동)."""
        if self.kind == "road":
            return [road_key(self.name, int(self.underground), self.main, self.sub)]
        keys = [lot_key(self.name, int(self.underground), self.main, self.sub)]
        stem = _ADMIN_DONG_NUMBER.sub("", self.name)
        if stem != self.name:
            keys.append(lot_key(stem, int(self.underground), self.main, self.sub))
        return keys

    @property
    def address(self) -> str:
        """The address without 상세주소, e.g. '연희로 12' or '연희동 산 1-2'."""
        number = f"{self.main}-{self.sub}" if self.sub else str(self.main)
        if self.kind == "road":
            return f"{self.name} {'지하 ' if self.underground else ''}{number}"
        return f"{self.name} {'산 ' if self.underground else ''}{number}"


def _split_glued(main: str, sub: str | None, rest: str) -> tuple[str, str | None, str]:
    """'증가로 492층' is building 49, floor 2; '연희로156203호' is building 156, unit 203 (a floor has one digit
    glued on, a unit three), when the number runs straight into 층 or 호."""
    if not _GLUED_FLOOR.match(rest):
        return main, sub, rest
    unit = 3 if rest[0] == "호" else 1
    if sub is not None and len(sub) > unit:
        return main, sub[:-unit], sub[-unit:] + rest
    if sub is None and len(main) > unit:
        return main[:-unit], None, main[-unit:] + rest
    return main, sub, rest


def parse_address(text: str | None) -> ParsedAddress | None:
    """Read a 도로명 or 지번 address; None when it names no road or lot with a number."""
    value = clean(text)
    notes = [n.strip() for n in _NOTE.findall(value) if n.strip()]
    value = " ".join(_NOTE.sub(" ", value).split())
    sido = sigungu = None
    m = _SIDO.match(value)
    if m:
        sido, value = _SIDO_KEY[m.group(1)], value[m.end():]
    m = _SIGUNGU.match(value)
    if m:
        sigungu, value = name_key((m.group(1) or "") + (m.group(2) or "")), value[m.end():]
    for kind, pattern in (("lot", _LOT), ("road", _ROAD)):
        m = pattern.match(value)
        if not m:
            continue
        name = m.group("dong") if kind == "lot" else m.group("road")
        flag = m.group("san") if kind == "lot" else m.group("under")
        sub = m.group("sub") or (m.group("ho") if kind == "lot" else None)
        main, sub, rest = _split_glued(m.group("main"), sub, value[m.end():])
        detail = rest.strip(" ,-") or None
        return ParsedAddress(kind=kind, sido=sido, sigungu=sigungu, name=name, underground=bool(flag),
                             main=int(main), sub=int(sub or 0), detail=detail,
                             note=", ".join(notes) or None)
    return None
