"""Address text → point from the address table, for a whole list at once (one query per batch).

Each text is read by `parse_address` into 도로명 or 지번 keys; all keys of the batch go to PostgreSQL as arrays and
are joined (`unnest`) to the entrances on the indexed `road_key`, or to the lots on `lot_key` and through the
도로명주소관리번호 to the entrances. A text with no match, or whose matches are far apart (one road name in two
시군구 when the text names none, one lot under buildings more than `MAX_SPREAD_M` apart), gets None: it is never
placed at a made-up point. How a point was placed:

* `entrance`: the address has one entrance in 위치정보요약DB, and the point is that entrance;
* `building`: the address has several entrances (a 건물군 such as an apartment complex), or the lot lies under
  several buildings close together; the point is the centre of their entrances.
"""
from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import bindparam, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session
from sqlalchemy.types import Integer, String

from app.addresses.normalise import ParsedAddress, parse_address
from app.geo.crs import geodesic_m

MAX_SPREAD_M = 50.0  # buildings of one lot further apart than this name no one place

MATCH_SQL = text("""
WITH q AS (
    SELECT * FROM unnest(:ords, :prios, :kinds, :sidos, :sigungus, :keys) AS q(ord, prio, kind, sido, sigungu, key)
), hits AS (
    SELECT q.ord, q.prio, 'road' AS via, e.id
    FROM q JOIN address_entrances e ON e.road_key = q.key
    WHERE q.kind = 'road' AND (q.sigungu IS NULL OR e.sigungu_key = q.sigungu)
      AND (q.sido IS NULL OR e.sido_key = q.sido)
    UNION ALL
    SELECT q.ord, q.prio, 'lot', e.id
    FROM q JOIN address_lots l ON l.lot_key = q.key
    JOIN address_entrances e ON e.road_address_id = l.road_address_id
    WHERE q.kind = 'lot' AND (q.sigungu IS NULL OR l.sigungu_key = q.sigungu)
      AND (q.sido IS NULL OR l.sido_key = q.sido)
)
SELECT DISTINCT h.ord, h.prio, h.via, e.id, e.road_address_id, e.sido, e.sigungu, e.legal_dong, e.road_name,
       e.underground, e.main_no, e.sub_no, e.building_name, e.postcode, e.legal_dong_code, e.admin_dong_code,
       ST_X(e.geom) AS lon, ST_Y(e.geom) AS lat
FROM hits h JOIN address_entrances e ON e.id = h.id
""").bindparams(
    bindparam("ords", type_=ARRAY(Integer)), bindparam("prios", type_=ARRAY(Integer)),
    bindparam("kinds", type_=ARRAY(String)), bindparam("sidos", type_=ARRAY(String)),
    bindparam("sigungus", type_=ARRAY(String)), bindparam("keys", type_=ARRAY(String)))


@dataclass(frozen=True)
class AddressMatch:
    """Where an address text was placed, and what it matched."""

    lon: float
    lat: float
    placement: str  # building | entrance (PLACEMENTS)
    matched_by: str  # road | lot: which reading of the text matched
    road_address: str  # the matched 도로명주소 without 상세주소, e.g. 서울특별시 서대문구 연희로 12
    detail: str | None  # 상세주소 split off the text (동·층·호 …)
    note: str | None  # 참고항목 in brackets, e.g. 연희동
    road_address_id: str  # 도로명주소관리번호 (the first one when a lot has several buildings)
    legal_dong_code: str
    admin_dong_code: str | None
    postcode: str | None
    entrances: int  # how many entrances the point stands for


def _road_address(row) -> str:
    number = f"{row.main_no}-{row.sub_no}" if row.sub_no else str(row.main_no)
    under = "지하 " if row.underground == 1 else ""
    return f"{row.sido} {row.sigungu} {row.road_name} {under}{number}"


def _place(parsed: ParsedAddress, rows: list) -> AddressMatch | None:
    best = min(r.prio for r in rows)
    rows = sorted((r for r in rows if r.prio == best), key=lambda r: (r.road_address_id, r.id))
    lon = sum(r.lon for r in rows) / len(rows)
    lat = sum(r.lat for r in rows) / len(rows)
    addresses = {r.road_address_id for r in rows}
    if len(addresses) > 1 and max(geodesic_m(lon, lat, r.lon, r.lat) for r in rows) > MAX_SPREAD_M:
        return None
    first = rows[0]
    return AddressMatch(lon=lon, lat=lat, placement="entrance" if len(rows) == 1 else "building",
                        matched_by=first.via, road_address=_road_address(first), detail=parsed.detail,
                        note=parsed.note, road_address_id=first.road_address_id,
                        legal_dong_code=first.legal_dong_code, admin_dong_code=first.admin_dong_code,
                        postcode=first.postcode, entrances=len(rows))


def match(session: Session, texts: list[str | None]) -> list[AddressMatch | None]:
    """Place each text from the address table (same order; None where nothing or nothing certain matched)."""
    parsed = [parse_address(t) for t in texts]
    ords, prios, kinds, sidos, sigungus, keys = [], [], [], [], [], []
    for i, p in enumerate(parsed):
        if p is None:
            continue
        for prio, key in enumerate(p.keys):
            ords.append(i)
            prios.append(prio)
            kinds.append(p.kind)
            sidos.append(p.sido)
            sigungus.append(p.sigungu)
            keys.append(key)
    found: dict[int, list] = defaultdict(list)
    if ords:
        for row in session.execute(MATCH_SQL, {"ords": ords, "prios": prios, "kinds": kinds, "sidos": sidos,
                                            "sigungus": sigungus, "keys": keys}):
            found[row.ord].append(row)
    return [_place(p, found[i]) if p is not None and found.get(i) else None for i, p in enumerate(parsed)]
