"""The demo's synthetic 도로명주소 files: what the generator writes, loaded by the seed, and every seeded household's
and facility's address placed back on the map from them (the round trip)."""
import math

from sqlalchemy import func, select

from app.addresses import layout
from app.addresses.models import AddressEntrance, AddressLot
from app.addresses.service import match
from app.facilities.models import Facility
from app.households.models import Household
from app.tracts.models import Dong
from app.vocab import SHELTER_CATEGORIES
from seed import addresses

MAX_DISTANCE_M = 30.0


def _metres(lon1, lat1, lon2, lat2) -> float:
    dx = math.radians(lon2 - lon1) * math.cos(math.radians((lat1 + lat2) / 2))
    return 6_371_008.8 * math.hypot(dx, math.radians(lat2 - lat1))


def test_the_shipped_files_are_what_the_generator_writes_in_the_official_layout():
    generated = addresses.files()
    for path in addresses.paths():
        data = path.read_bytes()
        assert data == generated[path.name], f"{path.name}: run `python -m seed.make_synthetic_addresses`"
        lines = data.decode("cp949").split("\r\n")
        assert lines[-1] == "" and all(lines[:-1])
        counts = {len(line.split("|")) for line in lines[:-1]}
        assert counts == ({layout.ENTRANCE_FIELDS} if "entrc" in path.name else {layout.LOT_FIELDS})
    entrances = [layout.read_entrance(line.split("|"))
                 for line in generated[addresses.ENTRANCE_FILE].decode("cp949").splitlines()]
    lots = [layout.read_lot(line.split("|"))
            for line in generated[addresses.LOT_FILE].decode("cp949").splitlines()]
    ids = [e.road_address_id for e in entrances]
    assert len(set(ids)) == len(ids)  # one entrance per synthetic building
    assert {lot.road_address_id for lot in lots} == set(ids)
    assert len({(lot.legal_dong, lot.lot_main, lot.lot_sub) for lot in lots}) == len(lots)  # no lot twice
    assert {e.legal_dong_code[:5] for e in entrances} == {"11410"}
    assert all(e.legal_dong_code == addresses.LEGAL_DONG_CODES[e.legal_dong] for e in entrances)


def test_the_seed_loaded_the_synthetic_files(session):
    lines = addresses.files()[addresses.ENTRANCE_FILE].count(b"\n")
    assert session.scalar(select(func.count()).select_from(AddressEntrance)
                          .where(AddressEntrance.sigungu_code == "11410")) == lines
    assert session.scalar(select(func.count()).select_from(AddressLot).where(AddressLot.sigungu == "서대문구")) \
        == lines
    # Every building lies in the district's dongs, in the 행정동 its 관할행정동 names.
    outside = session.scalar(
        select(func.count()).select_from(AddressEntrance)
        .join(Dong, func.substr(Dong.code, 1, 8) == AddressEntrance.admin_dong_code)
        .where(AddressEntrance.sigungu_code == "11410", ~func.ST_Covers(Dong.geom, AddressEntrance.geom)))
    assert outside == 0


def test_every_seeded_household_address_matches_within_30_m_of_its_point(session):
    rows = session.execute(select(Household.id, Household.address, Household.registered_address,
                                  func.ST_X(Household.geom), func.ST_Y(Household.geom))
                           .order_by(Household.id)).all()
    assert len(rows) == 10_497
    placed = match(session, [r.address for r in rows])
    distances = [_metres(r[3], r[4], m.lon, m.lat) for r, m in zip(rows, placed, strict=True) if m is not None]
    share = len(distances) / len(rows)
    worst = max(distances)
    print(f"\n가구 주소 왕복: {share:.2%} 일치, 가장 먼 거리 {worst:.3f} m")
    assert share == 1.0 and worst <= MAX_DISTANCE_M
    kinds = {(m.matched_by, m.placement) for m in placed}
    assert kinds == {("road", "entrance"), ("lot", "entrance")}  # the demo writes both kinds
    assert any(m.detail for m in placed)  # … and some with a 상세주소 after the number
    registered = match(session, [r.registered_address for r in rows])
    assert all(m is not None for m in registered)


def test_every_demo_facility_address_matches(session):
    rows = session.execute(select(Facility.code, Facility.address, func.ST_X(Facility.geom),
                                  func.ST_Y(Facility.geom))
                           .where(Facility.category.not_in(SHELTER_CATEGORIES)).order_by(Facility.code)).all()
    assert len(rows) == 461
    placed = match(session, [r.address for r in rows])
    unmatched = [r.address for r, m in zip(rows, placed, strict=True) if m is None]
    assert unmatched == []
    distances = [_metres(r[2], r[3], m.lon, m.lat) for r, m in zip(rows, placed, strict=True)]
    near = sum(d <= MAX_DISTANCE_M for d in distances)
    print(f"\n시설 주소: {len(rows)}곳 모두 일치, {near}곳이 30 m 안 (한 건물을 함께 쓰는 시설은 첫 시설의 위치)")
    # Facilities sharing one building (one address) share its point; all others are placed on their own point.
    by_address = {}
    for r, m in zip(rows, placed, strict=True):
        by_address.setdefault(m.road_address_id, []).append(r.code)
    alone = [d for (r, m), d in zip(zip(rows, placed, strict=True), distances, strict=True)
             if len(by_address[m.road_address_id]) == 1]
    assert max(alone) <= MAX_DISTANCE_M
