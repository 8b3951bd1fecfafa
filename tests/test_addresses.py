"""The address table: the loader on hand-made files of the official layouts (CP949, `|`, EPSG:5179), change
codes 31/34/63, refused files, the normaliser, and matching of 도로명 and 지번 addresses to a point."""
import io
import os
import subprocess
import sys

import pytest
from pyproj import Transformer
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.addresses import layout
from app.addresses.loader import AddressFileError, load_stream
from app.addresses.models import AddressEntrance, AddressLot
from app.addresses.normalise import normalise_address, parse_address
from app.addresses.service import match
from app.vocab import PLACEMENTS
from tests.conftest import ROOT

TO_5179 = Transformer.from_crs(4326, 5179, always_xy=True)

# 마포구 (not in the demo's synthetic 서대문구 file), with literal X, Y in EPSG:5179 as the files give them.
YEONNAM_12 = (948_120.512345, 1_952_204.987654)


def entrance(serial, road, main, sub=0, *, xy, under="0", name="", code="114403000001", dong="연남동",
             dong_code="1144012400", sigungu=("11440", "마포구"), group="0", change=None, sido="서울특별시"):
    fields = [sigungu[0], f"{serial:010d}", dong_code, sido, sigungu[1], dong, code, road, under, str(main),
              str(sub), name, "03991", "공동주택" if group == "1" else "단독주택", group, "11440730",
              f"{xy[0]:.6f}", f"{xy[1]:.6f}"]
    return "|".join(fields + ([change] if change is not None else []))


def road_id(sigungu, dong_code, road_code, under, main, sub):
    return f"{sigungu}{dong_code[5:8]}{road_code[5:]}{under}{main:05d}{sub:05d}"


def lot(road_address_id, main, sub=0, *, mountain="0", dong="연남동", dong_code="1144012400", change=""):
    return "|".join([road_address_id, dong_code, "서울특별시", "마포구", dong, "", mountain, str(main), str(sub),
                     "114403000001", "0", "12", "0", change])


def near(xy, east_m=0.0, north_m=0.0):
    return xy[0] + east_m, xy[1] + north_m


ENTRANCES = [
    entrance(1, "연남로", 12, xy=YEONNAM_12, name="연남빌라"),
    entrance(2, "연남로", 14, 2, xy=near(YEONNAM_12, 15)),
    entrance(3, "연남로", 20, xy=near(YEONNAM_12, 0, 100), name="연남아파트", group="1"),
    entrance(4, "연남로", 20, xy=near(YEONNAM_12, 40, 100), name="연남아파트", group="1"),
    entrance(5, "연남로", 30, under="1", xy=near(YEONNAM_12, 60), name="연남지하상가"),
    entrance(6, "시험로", 5, code="114403000002", xy=near(YEONNAM_12, -200)),
    entrance(7, "시험로", 5, code="112903000002", dong="정릉동", dong_code="1129013300", sigungu=("11290", "성북구"),
             xy=(955_000.0, 1_958_000.0)),
]
ID_12 = road_id("11440", "1144012400", "114403000001", 0, 12, 0)
ID_14_2 = road_id("11440", "1144012400", "114403000001", 0, 14, 2)
ID_TEST_5 = road_id("11440", "1144012400", "114403000002", 0, 5, 0)
LOTS = [lot(ID_12, 223, 14), lot(ID_12, 223, 15), lot(ID_14_2, 223, 15), lot(ID_14_2, 5, mountain="1"),
        lot(ID_12, 300), lot(ID_TEST_5, 300)]


def cp949(lines: list[str], end: str = "\r\n") -> bytes:
    return "".join(line + end for line in lines).encode("cp949")


def load(session: Session, lines: list[str], name: str = "entrc_seoul.txt", **kw) -> dict:
    return load_stream(session, io.BytesIO(cp949(lines, **kw)), name)


def test_the_layouts_read_a_line_as_documented():
    assert ID_12 == "11440" + "124" + "3000001" + "0" + "00012" + "00000" and len(ID_12) == 26
    row = layout.read_entrance(ENTRANCES[0].split("|"))
    assert (row.sigungu_code, row.entrance_serial, row.legal_dong_code, row.sido, row.sigungu, row.legal_dong,
            row.road_code, row.road_name, row.underground, row.main_no, row.sub_no, row.building_name, row.postcode,
            row.building_group, row.admin_dong_code, row.x, row.y, row.change) == (
        "11440", "0000000001", "1144012400", "서울특별시", "마포구", "연남동", "114403000001", "연남로", 0, 12, 0,
        "연남빌라", "03991", False, "11440730", *YEONNAM_12, None)
    assert row.road_address_id == ID_12
    assert layout.kind_of(18) == layout.kind_of(19) == "entrance" and layout.kind_of(14) == "lot"
    assert layout.kind_of(17) is None
    sejong = layout.read_entrance(entrance(1, "한누리대로", 2130, code="361103258085", dong="보람동",
                                           dong_code="3611011000", sigungu=("36110", ""), sido="세종특별자치시",
                                           xy=YEONNAM_12).split("|"))
    assert (sejong.sigungu, sejong.keys()[:2]) == ("", ("세종", ""))  # 세종특별자치시 has no 시군구명
    relation = layout.read_lot(LOTS[3].split("|"))
    assert (relation.road_address_id, relation.mountain, relation.lot_main, relation.lot_sub) == (ID_14_2, True, 5, 0)


def test_loader_stores_the_fields_and_a_point_within_a_tenth_of_a_metre(session):
    report = load(session, ENTRANCES)
    assert report == {"file": "entrc_seoul.txt", "kind": "위치정보요약DB(출입구)", "lines": 7, "inserted": 7,
                      "updated": 0, "deleted": 0, "unchanged": 0}
    row, lon, lat = session.execute(
        select(AddressEntrance, func.ST_X(AddressEntrance.geom), func.ST_Y(AddressEntrance.geom))
        .where(AddressEntrance.sigungu_code == "11440", AddressEntrance.entrance_serial == "0000000001")).one()
    assert (row.road_address_id, row.road_name, row.main_no, row.sub_no, row.building_name, row.legal_dong,
            row.legal_dong_code, row.postcode, row.admin_dong_code, row.sido, row.sigungu) == (
        ID_12, "연남로", 12, 0, "연남빌라", "연남동", "1144012400", "03991", "11440730", "서울특별시", "마포구")
    assert session.scalar(select(func.ST_SRID(AddressEntrance.geom)).limit(1)) == 4326
    x, y = TO_5179.transform(lon, lat)
    assert abs(x - YEONNAM_12[0]) < 0.1 and abs(y - YEONNAM_12[1]) < 0.1
    assert 126.9 < lon < 127.0 and 37.5 < lat < 37.6  # 연남동, Seoul


def test_loading_the_same_files_again_changes_nothing(session):
    load(session, ENTRANCES)
    load(session, LOTS, name="jibun_rnaddrkor_seoul.txt")
    before = session.execute(select(AddressEntrance.id, AddressEntrance.updated_at)
                             .order_by(AddressEntrance.id)).all()
    again = load(session, ENTRANCES)
    lots_again = load(session, LOTS, name="jibun_rnaddrkor_seoul.txt")
    assert (again["inserted"], again["updated"], again["deleted"], again["unchanged"]) == (0, 0, 0, 7)
    assert (lots_again["inserted"], lots_again["updated"], lots_again["unchanged"]) == (0, 0, 6)
    assert session.execute(select(AddressEntrance.id, AddressEntrance.updated_at)
                           .order_by(AddressEntrance.id)).all() == before
    assert session.scalar(select(func.count()).select_from(AddressLot).where(AddressLot.sigungu == "마포구")) == 6


def test_change_files_apply_31_new_34_changed_63_abolished(session):
    load(session, ENTRANCES)
    load(session, LOTS, name="jibun_rnaddrkor_seoul.txt")
    moved = near(YEONNAM_12, 10)
    changes = [
        entrance(8, "연남로", 40, xy=near(YEONNAM_12, 120), change="31"),
        entrance(1, "연남로", 12, xy=moved, name="새연남빌라", change="34"),
        entrance(2, "연남로", 14, 2, xy=near(YEONNAM_12, 15), change="63"),
    ]
    report = load(session, changes, name="entrc_seoul_20261206.txt")
    assert (report["inserted"], report["updated"], report["deleted"]) == (1, 1, 1)
    rows = {r.entrance_serial: r for r in session.scalars(
        select(AddressEntrance).where(AddressEntrance.sigungu_code == "11440"))}
    assert "0000000002" not in rows and rows["0000000008"].main_no == 40
    assert rows["0000000001"].building_name == "새연남빌라"
    x, y = TO_5179.transform(*session.execute(select(func.ST_X(AddressEntrance.geom), func.ST_Y(AddressEntrance.geom))
                                              .where(AddressEntrance.id == rows["0000000001"].id)).one())
    assert abs(x - moved[0]) < 0.1 and abs(y - moved[1]) < 0.1
    # The same change file again: nothing new, nothing changed, nothing left to abolish.
    again = load(session, changes, name="entrc_seoul_20261206.txt")
    assert (again["inserted"], again["updated"], again["deleted"]) == (0, 0, 0)
    # A lot abolished (63) in a 관련지번 change file; a lot added (31).
    lots = load(session, [lot(ID_12, 223, 14, change="63"), lot(ID_12, 224, change="31")],
                name="jibun_rnaddrkor_seoul_20261206.txt")
    assert (lots["inserted"], lots["deleted"]) == (1, 1)
    assert match(session, ["서울 마포구 연남동 223-14", "마포구 연남동 224"])[0] is None
    assert match(session, ["마포구 연남동 224"])[0].road_address_id == ID_12


def test_the_last_line_of_a_key_wins_within_one_change_file(session):
    load(session, ENTRANCES)
    report = load(session, [entrance(9, "연남로", 50, xy=near(YEONNAM_12, 200), change="31"),
                            entrance(9, "연남로", 50, xy=near(YEONNAM_12, 200), change="63")], name="change.txt")
    assert report["inserted"] == 0
    assert session.scalar(select(func.count()).where(AddressEntrance.sigungu_code == "11440",
                                                     AddressEntrance.entrance_serial == "0000000009")) == 0


@pytest.mark.parametrize(("data", "expected"), [
    ("\ufeff".encode() + cp949(ENTRANCES[:2]).decode("cp949").encode("utf-8"), "1번째 줄: UTF-8"),
    (cp949(ENTRANCES[:2]).decode("cp949").encode("utf-8"), "1번째 줄: UTF-8로 저장된 파일"),
    (cp949(ENTRANCES[:1]) + b"11440|\xff\xfe|x\r\n", "2번째 줄: CP949(EUC-KR)로 읽을 수 없는"),
    (cp949([ENTRANCES[0], ENTRANCES[1].rsplit("|", 1)[0]]), "2번째 줄: 항목이 17개입니다"),
    (cp949([ENTRANCES[0], entrance(3, "연남로", 20, xy=(100.0, 200.0))]), "2번째 줄: 좌표 (X 100.000000"),
    (cp949([ENTRANCES[0], entrance(3, "연남로", 20, xy=(12_000_000.0, 1_952_000.0))]), "한국 범위 밖"),
    (cp949([entrance(3, "연남로", 20, xy=YEONNAM_12, change="99")]), "1번째 줄: 이동사유코드 '99'"),
    (cp949([entrance(3, "연남로", "", xy=YEONNAM_12)]), "1번째 줄: 건물본번이 비어 있습니다"),
    (cp949(["a|b|c"]), "1번째 줄: 항목이 3개라 어떤 도로명주소 파일인지 알 수 없습니다"),
    (b"\r\n\r\n", "빈 파일"),
    (cp949([lot("1144012430000010000120000x", 1)]), "도로명주소관리번호"),
])
def test_bad_files_are_refused_whole_with_the_line_named(session, data, expected):
    before = session.scalar(select(func.count()).select_from(AddressEntrance))
    with pytest.raises(AddressFileError) as refused:
        load_stream(session, io.BytesIO(data), "entrc_bad.txt")
    assert expected in refused.value.message, refused.value.message
    assert "아무것도 저장하지 않았습니다" in refused.value.message and refused.value.status == 422
    assert session.scalar(select(func.count()).select_from(AddressEntrance)) == before


@pytest.mark.parametrize(("text", "kind", "sido", "sigungu", "address", "detail", "note"), [
    ("서울특별시 서대문구 충현동 12-3", "lot", "서울", "서대문구", "충현동 12-3", None, None),
    ("서울 서대문구 충현동 12-3번지", "lot", "서울", "서대문구", "충현동 12-3", None, None),
    ("서울시 서대문구 충현동 12 - 3 번지", "lot", "서울", "서대문구", "충현동 12-3", None, None),
    ("서대문구 충현동 12번지 3호", "lot", None, "서대문구", "충현동 12-3", None, None),  # 호: the 지번부번
    ("서대문구 충현동 12-3 2층 201호", "lot", None, "서대문구", "충현동 12-3", "2층 201호", None),
    ("서대문구 홍은동 산 1-2 번지", "lot", None, "서대문구", "홍은동 산 1-2", None, None),
    ("서대문구 충정로3가 12", "lot", None, "서대문구", "충정로3가 12", None, None),
    ("연희로 12 (연희동) 101동 202호", "road", None, None, "연희로 12", "101동 202호", "연희동"),
    ("서울특별시  서대문구   연희로12,  2층", "road", "서울", "서대문구", "연희로 12", "2층", None),
    ("서울 서대문구 통일로 ４５１–２", "road", "서울", "서대문구", "통일로 451-2", None, None),
    ("서울시 서대문구 연희로 지하 12", "road", "서울", "서대문구", "연희로 지하 12", None, None),
    ("서대문구 북아현로11가길 18 2층", "road", None, "서대문구", "북아현로11가길 18", "2층", None),
    ("서울특별시 서대문구 충정로4길5-25 (충정로3가)", "road", "서울", "서대문구", "충정로4길 5-25", None, "충정로3가"),
    ("서울특별시 서대문구 증가로 492층", "road", "서울", "서대문구", "증가로 49", "2층", None),
    ("서울특별시 서대문구 연희로156203호", "road", "서울", "서대문구", "연희로 156", "203호", None),
    ("경기도 수원시 영통구 광교로 1", "road", "경기", "수원시영통구", "광교로 1", None, None),
    ("전라북도 전주시 완산구 팔달로 1", "road", "전북", "전주시완산구", "팔달로 1", None, None),
])
def test_normalisation_reads_prefixes_numbers_and_detail(text, kind, sido, sigungu, address, detail, note):
    parsed = parse_address(text)
    assert (parsed.kind, parsed.sido, parsed.sigungu, parsed.address, parsed.detail, parsed.note) == (
        kind, sido, sigungu, address, detail, note)


def test_normalisation_gives_one_key_for_every_way_of_writing_an_address():
    road = {parse_address(t).keys[0] for t in ("서울특별시 서대문구 연희로 12", "서울 서대문구 연희로12",
                                                "서울시 서대문구 연희로 12 (연희동)", "서대문구 연희로 12, 101동 202호",
                                                "연희로 12번지")}
    assert road == {"연희로|0|12|0"}
    assert parse_address("연희로 지하 12").keys == ["연희로|1|12|0"]
    assert parse_address("홍제1동 12-3").keys == ["홍제1동|0|12|3", "홍제동|0|12|3"]  # a 행정동 name, then its 법정동
    for nothing in ("", None, "어딘가", "서울특별시 서대문구", "연희로", "충현동 주민센터 뒤"):
        assert parse_address(nothing) is None
    # The flat key the report geocoder stores is unchanged by the move to app.addresses.
    assert normalise_address("서울특별시 서대문구 충현동 12-3번지") == "서대문구충현동12-3"


def test_match_places_road_and_lot_addresses_in_one_query(session):
    load(session, ENTRANCES)
    load(session, LOTS, name="jibun_rnaddrkor_seoul.txt")
    texts = ["서울특별시 마포구 연남로 12", "서울 마포구 연남로12", "마포구 연남로 12 (연남동) 101동 202호",
             "연남로 14-2", "서울시 마포구 연남로 20", "마포구 연남로 지하 30", "마포구 연남동 223-14번지",
             "서울 마포구 연남동 223-15", "마포구 연남동 산 5", "성북구 시험로 5"]
    statements = []
    from sqlalchemy import event

    def count(*_):
        statements.append(1)

    event.listen(session.connection(), "before_cursor_execute", count)
    try:
        results = match(session, texts)
    finally:
        event.remove(session.connection(), "before_cursor_execute", count)
    assert len(statements) == 1
    assert all(r is not None for r in results), texts[[r is None for r in results].index(True)]
    lon12, lat12 = Transformer.from_crs(5179, 4326, always_xy=True).transform(*YEONNAM_12)
    for r in results[:3]:
        assert (r.placement, r.matched_by, r.road_address_id) == ("entrance", "road", ID_12)
        assert abs(r.lon - lon12) < 1e-7 and abs(r.lat - lat12) < 1e-7
        assert r.road_address == "서울특별시 마포구 연남로 12"
    assert (results[2].detail, results[2].note) == ("101동 202호", "연남동")
    assert results[3].road_address_id == ID_14_2 and results[3].placement == "entrance"
    group = results[4]  # two entrances of one 건물군: its centre, placed `building`
    assert (group.placement, group.entrances) == ("building", 2)
    x, y = TO_5179.transform(group.lon, group.lat)
    assert abs(x - (YEONNAM_12[0] + 20)) < 0.1 and abs(y - (YEONNAM_12[1] + 100)) < 0.1
    assert results[5].road_address == "서울특별시 마포구 연남로 지하 30"
    assert (results[6].matched_by, results[6].road_address_id, results[6].placement) == ("lot", ID_12, "entrance")
    assert (results[7].placement, results[7].entrances) == ("building", 2)  # a lot under two buildings 15 m apart
    assert results[8].road_address_id == ID_14_2  # 산 5
    assert results[9].legal_dong_code == "1129013300"  # the 성북구 시험로, not 마포구's
    assert {"building", "entrance"} <= set(PLACEMENTS)


def test_no_match_or_an_uncertain_one_is_none_never_a_made_up_point(session):
    load(session, ENTRANCES)
    load(session, LOTS, name="jibun_rnaddrkor_seoul.txt")
    texts = ["마포구 연남로 999", "마포구 연남로 30",  # 30 exists only underground
             "시험로 5",  # two 시군구 have a 시험로 5, kilometres apart
             "마포구 연남동 300",  # one lot under two buildings 200 m apart
             "서울 종로구 연남로 12",  # the wrong 시군구
             "부산 마포구 연남로 12",  # the wrong 시도
             "어딘가 골목", "", None]
    assert match(session, texts) == [None] * len(texts)
    assert match(session, []) == []


def test_cli_loads_each_file_in_its_own_transaction_and_refuses_bad_ones(fresh, tmp_path):
    good = tmp_path / "entrc_seoul.txt"
    good.write_bytes(cp949(ENTRANCES))
    bad = tmp_path / "entrc_bad.txt"
    bad.write_bytes(cp949(ENTRANCES[:3] + [entrance(9, "연남로", 9, xy=(1.0, 2.0))]))
    env = {**os.environ, "DATABASE_URL": fresh.url}

    def cli(*paths):
        return subprocess.run([sys.executable, "-m", "app.cli", "import-addresses", *map(str, paths)], cwd=ROOT,
                              env=env, capture_output=True, text=True, timeout=120)

    with Session(fresh.engine) as s:
        before = s.scalar(select(func.count()).select_from(AddressEntrance))
    done = cli(bad, good)
    assert done.returncode == 1
    assert "entrc_bad.txt" in done.stderr and "4번째 줄: 좌표" in done.stderr and "아무것도 저장하지" in done.stderr
    assert "entrc_seoul.txt (위치정보요약DB(출입구)): 7줄 — 새로 7" in done.stdout
    with Session(fresh.engine) as s:  # the bad file's three good lines were not kept
        assert s.scalar(select(func.count()).select_from(AddressEntrance)) == before + 7
    again = cli(good)
    assert again.returncode == 0 and "새로 0, 바뀜 0, 폐지 0, 그대로 7" in again.stdout
    assert cli(tmp_path / "missing.txt").returncode == 2
