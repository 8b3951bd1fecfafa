"""What an imported file's rows would do, decided set-based (one query per step for the whole file).

Each row is normalised (`fields.normalise`), checked against the rows above it (a duplicate is an error), placed
from the address table (`app.addresses.service.match`), given its dong, and matched to a known household:

* by the source's own key (관리번호) or the 주민등록번호's lookup hash: a sure match;
* else the same name at the same normalised address, with the same birth date where both have one;
* a similar name at the same address, or the same name and birth date elsewhere, is only a *suggestion* for a
  person to confirm: the row stays new, it is never merged on its own.

Rows outside the caller's area (another 시군구, or another dong for a 동 담당) are `out_of_scope` and keep no
personal data at all: only their row number and why.
"""
import difflib
import hashlib
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import bindparam, select, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session
from sqlalchemy.types import Float, Integer, String

from app.addresses.normalise import name_key, normalise_address, parse_address
from app.addresses.service import AddressMatch, match
from app.config import get_settings
from app.households import rrn
from app.imports.fields import normalise
from app.imports.reading import SourceRow, Table
from app.policy.principal import Principal
from app.tracts import service as places
from app.tracts.models import District, Dong

SIMILAR_NAME = 0.5  # difflib ratio from which a different name at the same address is worth asking about
PERSON_KINDS = ("households", "discovery_list")  # kinds whose rows become households

LOCATE_SQL = text("""
SELECT q.ord, d.id AS dong_id, d.name AS dong_name, t.id AS tract_id
FROM unnest(:ords, :lons, :lats) AS q(ord, lon, lat)
CROSS JOIN LATERAL (
    SELECT d.id, d.name FROM dongs d JOIN districts ds ON ds.id = d.district_id
    WHERE ds.code = ANY(:codes) AND ST_Covers(d.geom, ST_SetSRID(ST_MakePoint(q.lon, q.lat), 4326))
    ORDER BY d.id LIMIT 1) d
LEFT JOIN LATERAL (
    SELECT t.id FROM tracts t
    WHERE t.dong_id = d.id AND ST_Covers(t.geom, ST_SetSRID(ST_MakePoint(q.lon, q.lat), 4326))
    ORDER BY t.id LIMIT 1) t ON true
""").bindparams(bindparam("ords", type_=ARRAY(Integer)), bindparam("lons", type_=ARRAY(Float)),
                bindparam("lats", type_=ARRAY(Float)), bindparam("codes", type_=ARRAY(String)))

# Known households that could be the row's: by key, by hash, by name, or living at the same address.
CANDIDATES_SQL = text("""
WITH q AS (SELECT * FROM unnest(:ords, :names, :addrs, :skeys, :hashes) AS q(ord, name, addr, skey, hash))
SELECT q.ord, 'key' AS via, h.id FROM q JOIN households h ON h.source_key = q.skey
UNION ALL SELECT q.ord, 'rrn', h.id FROM q JOIN households h ON h.rrn_lookup_hash = q.hash
UNION ALL SELECT q.ord, 'name', h.id FROM q JOIN households h ON h.head_name = q.name
UNION ALL SELECT q.ord, 'address', h.id FROM q JOIN households h ON h.address_key = q.addr
""").bindparams(bindparam("ords", type_=ARRAY(Integer)), bindparam("names", type_=ARRAY(String)),
                bindparam("addrs", type_=ARRAY(String)), bindparam("skeys", type_=ARRAY(String)),
                bindparam("hashes", type_=ARRAY(String)))


@dataclass
class PlannedRow:
    """One row as preview decided it (the columns of an ImportRow)."""

    row_no: int
    outcome: str = "new"
    values: dict = field(default_factory=dict)
    cells: dict = field(default_factory=dict)
    errors: list[dict] = field(default_factory=list)
    note: str | None = None
    rrn_ciphertext: bytes | None = None
    rrn_lookup_hash: str | None = None
    household_id: int | None = None
    suggestion_id: int | None = None
    dong_id: int | None = None
    tract_id: int | None = None
    lon: float | None = None
    lat: float | None = None
    placement: str | None = None
    signals: list[str] = field(default_factory=list)
    change: str | None = None
    changed_on: date | None = None
    to_dong_id: int | None = None  # a registry change: the dong of its new address

    def fail(self, column: str, message: str) -> None:
        self.outcome = "error"
        self.errors.append({"column": column, "message": message})

    def out_of_scope(self, why: str) -> None:
        """Another area's row keeps nothing personal: its number and why."""
        self.outcome, self.note = "out_of_scope", why
        self.values, self.cells, self.errors, self.signals = {}, {}, [], []
        self.rrn_ciphertext = self.rrn_lookup_hash = None
        self.household_id = self.suggestion_id = self.to_dong_id = None
        self.lon = self.lat = self.placement = None


def source_of(kind: str, headers: tuple[str, ...]) -> str:
    """A layout's name for its saved mapping: the kind and its column names (the next round has the same)."""
    digest = hashlib.sha256("|".join(name_key(h) for h in headers).encode()).hexdigest()[:16]
    return f"{kind}:{digest}"


def jsonable(values: dict) -> dict:
    """Values as JSON keeps them (dates as ISO text); the 주민등록번호 never goes in."""
    out = {}
    for key, value in values.items():
        if key == "rrn" or value is None:
            continue
        out[key] = value.isoformat() if isinstance(value, date | datetime) else value
    return out


def _cells(headers: tuple[str, ...], row: SourceRow, rrn_header: str | None) -> dict:
    """The row in the source's own columns (for the results file), the 주민등록번호 masked."""
    out = {}
    for header, value in zip(headers, row.cells, strict=False):
        if value is None:
            continue
        if header == rrn_header:
            value = rrn.mask(str(value))
        out[header] = value.isoformat() if isinstance(value, date | datetime) else value
    return out


def _full_address(values: dict) -> str | None:
    address, detail = values.get("address"), values.get("address_detail")
    if not address:
        return None
    return f"{address} {detail}" if detail and detail not in address else address


class Planner:
    """Plans one file's rows for one caller."""

    def __init__(self, session: Session, principal: Principal, kind: str):
        self.session, self.principal, self.kind = session, principal, kind
        self.district_codes = tuple(get_settings().deployment_district_codes)
        self.district_keys = places.district_name_keys(session)
        self.dongs_by_name = {name_key(name): (dong_id, name) for dong_id, name in session.execute(
            select(Dong.id, Dong.name).join(District, District.id == Dong.district_id)
            .where(District.code.in_(self.district_codes)))}

    def plan(self, table: Table, mapping: dict[str, str | None]) -> list[PlannedRow]:
        rows = [self._normalised(table, mapping, r) for r in table.rows]
        self._flag_duplicates(rows)
        live = [r for r in rows if r.outcome != "error"]
        self._place(live)
        if self.kind in PERSON_KINDS:
            self._match_households([r for r in live if r.outcome != "out_of_scope"])
        else:
            self._match_registry([r for r in live if r.outcome != "out_of_scope"])
        self._scope(rows)
        return rows

    # -- per row ---------------------------------------------------------------------------------------
    def _normalised(self, table: Table, mapping: dict, row: SourceRow) -> PlannedRow:
        values, errors = normalise(self.kind, mapping, table.headers, row)
        planned = PlannedRow(row_no=row.row_no, cells=_cells(table.headers, row, mapping.get("rrn")))
        for error in errors:
            planned.fail(error.column, error.message)
        number = values.pop("rrn", None)
        if number and not errors:
            planned.rrn_ciphertext, planned.rrn_lookup_hash = rrn.protect(number)
        planned.signals = list(values.pop("signals", None) or [])
        planned.change = values.get("change")
        planned.changed_on = values.get("changed_on")
        planned.values = jsonable(values)
        return planned

    def _flag_duplicates(self, rows: list[PlannedRow]) -> None:
        first_seen: dict[tuple, int] = {}
        for row in rows:
            if row.outcome == "error":
                continue
            v = row.values
            key = (name_key(v.get("head_name")), v.get("birth_date"), normalise_address(_full_address(v)),
                   v.get("change"), v.get("changed_on"), v.get("source_key"))
            if key in first_seen:
                row.fail("", f"{first_seen[key]}행과 같은 내용입니다 (중복 행은 한 번만 반영합니다).")
            else:
                first_seen[key] = row.row_no

    # -- where ---------------------------------------------------------------------------------------
    def _place(self, rows: list[PlannedRow]) -> None:
        """Address → point from the address table; the point's dong; rows of another 시군구 are out of scope."""
        texts = [r.values.get("address") for r in rows]
        matches = match(self.session, texts) if rows else []
        placed: list[tuple[PlannedRow, AddressMatch]] = []
        for row, text_, found in zip(rows, texts, matches, strict=True):
            parsed = parse_address(text_)
            if parsed is not None and parsed.sigungu and parsed.sigungu not in self.district_keys:
                self._outside(row)
                continue
            if found is None:
                row.note = "주소록에서 주소를 찾지 못했습니다. 지도에서 위치를 지정하세요." if text_ else \
                    "주소가 없습니다. 지도에서 위치를 지정하세요."
                continue
            if found.legal_dong_code[:5] not in self.district_codes:
                self._outside(row)
                continue
            if found.detail and not row.values.get("address_detail"):
                row.values["address_detail"] = found.detail
            row.lon, row.lat, row.placement = found.lon, found.lat, found.placement
            row.note = f"{found.road_address} ({'출입구' if found.placement == 'entrance' else '건물'} 주소 일치)"
            placed.append((row, found))
        if placed:
            located = {r.ord: r for r in self.session.execute(LOCATE_SQL, {
                "ords": list(range(len(placed))), "lons": [r.lon for r, _ in placed],
                "lats": [r.lat for r, _ in placed], "codes": list(self.district_codes)})}
            for i, (row, _) in enumerate(placed):
                hit = located.get(i)
                if hit is None:  # the building stands outside every dong polygon of the deployment
                    row.lon = row.lat = row.placement = None
                    row.note = "주소의 위치가 관할 행정동 경계 밖입니다. 지도에서 위치를 지정하세요."
                    continue
                row.dong_id, row.tract_id = hit.dong_id, hit.tract_id
        for row in rows:
            if row.dong_id is None and row.outcome != "out_of_scope":
                named = self.dongs_by_name.get(name_key(row.values.get("dong_name")))
                if named:
                    row.dong_id = named[0]

    def _outside(self, row: PlannedRow) -> None:
        """An address of another 시군구: a person's row there is not ours; a registry change's new address there
        is a move out of the district (the person is still ours to match)."""
        if self.kind in PERSON_KINDS:
            row.out_of_scope("관할 구역 밖의 주소입니다.")
        else:
            row.note = "새 주소가 관할 구역 밖입니다."

    def _scope(self, rows: list[PlannedRow]) -> None:
        """A 동 담당 imports only their dong's rows; a row with no dong yet is theirs when they have one dong."""
        if self.principal.sees_whole_district:
            return
        own = self.principal.dong_ids
        for row in rows:
            if row.outcome in ("error", "out_of_scope"):
                continue
            if row.dong_id is None and len(own) == 1:
                row.dong_id = next(iter(own))
            if row.dong_id is None:
                row.out_of_scope("주소로 동을 찾지 못했습니다. 동명 열에 담당 동을 적어 다시 올려 주세요.")
            elif row.dong_id not in own:
                row.out_of_scope("담당 동이 아닌 주소입니다 (다른 동의 행은 저장하지 않습니다).")

    # -- who -----------------------------------------------------------------------------------------
    def _candidates(self, rows: list[PlannedRow]) -> dict[int, dict[int, set[str]]]:
        """Per row (its index), the households that could be it and by which ways."""
        found: dict[int, dict[int, set[str]]] = defaultdict(lambda: defaultdict(set))
        if not rows:
            return found
        params = {"ords": list(range(len(rows))),
                  "names": [r.values.get("head_name") for r in rows],
                  "addrs": [normalise_address(_full_address(r.values)) or None for r in rows],
                  "skeys": [r.values.get("source_key") for r in rows],
                  "hashes": [r.rrn_lookup_hash for r in rows]}
        for ord_, via, household_id in self.session.execute(CANDIDATES_SQL, params):
            found[ord_][household_id].add(via)
        return found

    def _households(self, ids: set[int]) -> dict[int, dict]:
        if not ids:
            return {}
        rows = self.session.execute(text(
            "SELECT id, dong_id, head_name, head_birth_date, address, address_key, status FROM households "
            "WHERE id = ANY(:ids)").bindparams(bindparam("ids", type_=ARRAY(Integer))), {"ids": sorted(ids)})
        return {r.id: r._asdict() for r in rows}

    def _match_households(self, rows: list[PlannedRow]) -> None:
        candidates = self._candidates(rows)
        known = self._households({h for per_row in candidates.values() for h in per_row})
        for i, row in enumerate(rows):
            sure, suggested = self._decide(row, candidates.get(i, {}), known)
            if len(sure) > 1:
                row.fail("", f"기존 가구 {len(sure)}곳과 똑같이 일치합니다. 어느 가구인지 원본에 관리번호를 넣어 "
                             "구분하세요.")
                continue
            if sure:
                household = known[sure[0]]
                row.outcome, row.household_id, row.dong_id = "matched", household["id"], household["dong_id"]
                row.note = "기존 가구와 일치" + (" (종결된 가구)" if household["status"] == "closed" else "")
                continue
            if suggested:
                row.suggestion_id = suggested[0]
                row.note = (row.note or "") + " · 비슷한 기존 가구가 있습니다. 같은 가구인지 확인하세요."
            if row.lon is None:
                row.outcome = "unplaced"

    @staticmethod
    def _decide(row: PlannedRow, per_row: dict[int, set[str]], known: dict[int, dict]
                ) -> tuple[list[int], list[int]]:
        """Sure matches and suggestions among a row's candidates."""
        v = row.values
        birth = v.get("birth_date")
        address = _full_address(v)
        name = v.get("head_name") or ""
        by_key = sorted(h for h, ways in per_row.items() if ways & {"key", "rrn"})
        if by_key:
            return by_key, []
        sure, suggested = [], []
        for household_id, ways in sorted(per_row.items()):
            h = known[household_id]
            their_birth = h["head_birth_date"].isoformat() if h["head_birth_date"] else None
            births_agree = birth is None or their_birth is None or birth == their_birth
            if "name" in ways and same_place(address, h["address"]) and births_agree:
                sure.append(household_id)
            elif "name" in ways and birth is not None and birth == their_birth:
                suggested.append(household_id)  # same person elsewhere: moved?
            elif "address" in ways and difflib.SequenceMatcher(None, name, h["head_name"]).ratio() >= SIMILAR_NAME:
                suggested.append(household_id)  # a typo in the name, or a relative at the same address
        return sure, suggested

    def _match_registry(self, rows: list[PlannedRow]) -> None:
        """A registry change is about a person: the same name and birth date, narrowed by where they lived when
        several share both. A household whose birth date is not known (or a row without one) is matched only
        when the address agrees too: a name alone never closes or moves anyone's household."""
        params = {"ords": list(range(len(rows))), "names": [r.values.get("head_name") for r in rows],
                  "addrs": [None] * len(rows), "skeys": [r.values.get("source_key") for r in rows],
                  "hashes": [None] * len(rows)}
        found: dict[int, dict[int, set[str]]] = defaultdict(lambda: defaultdict(set))
        if rows:
            for ord_, via, household_id in self.session.execute(CANDIDATES_SQL, params):
                found[ord_][household_id].add(via)
        known = self._households({h for per_row in found.values() for h in per_row})
        for i, row in enumerate(rows):
            v = row.values
            # Where the person lived in our records: the address before the move, else the one on the row.
            lived = v.get("previous_address") or (v.get("address") if row.change != "moved_in" else None)
            per_row = {h: ways for h, ways in found.get(i, {}).items() if known[h]["status"] == "active"}
            by_key = sorted(h for h, ways in per_row.items() if "key" in ways)
            born = [h for h in sorted(per_row) if "name" in per_row[h] and v.get("birth_date")
                    and known[h]["head_birth_date"] and known[h]["head_birth_date"].isoformat() == v["birth_date"]]
            unknown = [h for h in sorted(per_row) if "name" in per_row[h]
                       and (not v.get("birth_date") or known[h]["head_birth_date"] is None)]
            at = [h for h in (born or unknown) if lived and same_place(lived, known[h]["address"])]
            if len(by_key) == 1:
                same, how = by_key, "관리번호"
            elif len(born) == 1:
                same, how = born, "이름·생년월일"
            elif len(at) == 1:
                same, how = at, "이름·생년월일·주소" if born else "이름·주소 (생년월일 확인 필요)"
            else:
                same, how = born or at, None
            if how is not None:
                household = known[same[0]]
                if row.change != "death" and row.lon is not None:
                    row.to_dong_id = row.dong_id
                row.outcome, row.household_id = "matched", household["id"]
                row.dong_id = household["dong_id"]
                row.note = f"기존 가구와 일치 ({how})" + (f" · {row.note}" if row.lon is None and row.note
                                                       and "관할 구역 밖" in row.note else "")
            else:
                row.outcome = "new"  # listed as unmatched in the inbox, never lost
                row.note = f"이 사람일 수 있는 가구가 {len(same)}곳입니다. 확인하세요." if len(same) > 1 else \
                    "같은 이름의 가구가 있지만 생년월일이 없고 주소도 달라 정하지 못했습니다." if unknown else \
                    "일치하는 가구가 없습니다."
                if row.lon is not None:
                    row.note += " (새 주소는 찾았습니다)"


def same_place(one: str | None, other: str | None) -> bool:
    """Whether two address texts name the same building (상세주소 and 시도·시군구 spelling aside)."""
    a, b = parse_address(one), parse_address(other)
    if a is None or b is None:
        return bool(one and other) and normalise_address(one) == normalise_address(other)
    if a.sigungu and b.sigungu and a.sigungu != b.sigungu:
        return False
    return bool(set(a.keys) & set(b.keys))
