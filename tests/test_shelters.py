"""Heat and cold shelters (무더위쉼터·한파쉼터): importing the public files (UTF-8 with or without BOM, CP949, the
files' Korean headers), all-or-nothing with Korean row/column messages, idempotent re-import; the layer of the
shelters open on a day; the nearest shelter of the season for a household, checked against pyproj's geodesic."""
import csv
import io
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from pyproj import Geod
from sqlalchemy import func, select

from app import cli
from app.facilities import importer, shelters
from app.facilities.models import Facility, ShelterDetails
from app.households.models import Household
from app.tracts.models import Dong
from app.vocab import SHELTER_CATEGORIES
from seed.places import DATA
from seed.shelters import SHELTER_FILES

GEOD = Geod(ellps="WGS84")
HEAT_FILE = DATA / "synthetic_heat_shelters_demo.csv"
COLD_FILE = DATA / "synthetic_cold_shelters_demo.csv"
# The column layout of the 행정안전부 무더위쉼터 file, as the demo file has it.
HEAT_HEADER = next(csv.reader(io.StringIO(HEAT_FILE.read_text(encoding="utf-8"))))
# A rural spot in 경상북도, far from the demo's shelters: imported test rows sit around it.
CENTRE = (128.2000, 36.0000)


def _row(name, lon, lat, start="2026-05-20", end="2026-09-30", capacity="30", night="Y", holiday="N",
         kind="경로당"):
    values = {"연도": "2026", "지역코드": "4700000000", "시설구분": kind, "쉼터명": name,
              "도로명주소": f"경상북도 테스트군 쉼터로 {len(name)}", "지번주소": "경상북도 테스트군 쉼터리 1",
              "시설면적": "99.5", "이용가능인원": capacity, "선풍기보유대수": "2", "에어컨보유대수": "1",
              "야간개방여부": night, "휴일개방여부": holiday, "숙박가능여부": "N", "운영시작일": start,
              "운영종료일": end,
              "경도": lon, "위도": lat, "관리기관명": "테스트군청", "전화번호": "054-000-0000", "비고": "",
              "데이터기준일자": "2026-05-01"}
    return [values[h] for h in HEAT_HEADER]


def _file(rows, header=HEAT_HEADER, encoding="utf-8") -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode(encoding)


ROWS = [
    _row("테스트 경로당 쉼터", "128.2010000", "36.0010000"),
    _row("테스트 주민센터 쉼터", "128.2020000", "36.0005000", capacity="1,200명", night="N", holiday="Y",
         kind="주민센터"),
    _row("테스트 은행 쉼터", "128.1990000", "35.9990000", start="20260701", end="2026.08.31", capacity="",
         night="", holiday="", kind="금융기관"),
]


def _count(session, category=None) -> int:
    query = select(func.count()).select_from(Facility)
    if category:
        query = query.where(Facility.category == category)
    return session.scalar(query)


def _import(client, headers, data: bytes, category="heat_shelter", name="행정안전부_무더위쉼터.csv"):
    return client.post("/api/v1/facilities/import", params={"category": category},
                       files={"file": (name, data, "text/csv")}, headers=headers)


def test_demo_shelters_are_loaded_from_the_synthetic_files_in_their_dongs(session):
    rows = session.execute(select(Facility, ShelterDetails).join(ShelterDetails)).all()
    by_category = {c: [f for f, _ in rows if f.category == c] for c in SHELTER_CATEGORIES}
    assert (len(by_category["heat_shelter"]), len(by_category["cold_shelter"])) == (42, 28)
    assert _count(session, "heat_shelter") == 42 and _count(session, "cold_shelter") == 28
    for f, d in rows:
        assert f.is_synthetic and f.code.startswith(("HEAT-", "COLD-")) and f.dong_id is not None
        assert f.needs_served == [] and f.accepting_referrals is False
        assert d.open_from <= d.open_to and d.capacity > 0
    covered = session.scalar(select(func.count()).select_from(Facility).join(Dong, Dong.id == Facility.dong_id)
                             .where(Facility.category.in_(SHELTER_CATEGORIES),
                                    func.ST_Covers(Dong.geom, Facility.geom)))
    assert covered == 70
    # Loading the files again (the seed is idempotent) changes nothing.
    for category, (name, source) in SHELTER_FILES.items():
        again = importer.import_csv(session, (DATA / name).read_bytes(), name, source=source,
                                    default_category=category, synthetic=True)
        assert again["ok"] and again["created"] == again["updated"] == 0 and again["unchanged"] > 0


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp949"])
def test_public_layout_imports_in_every_encoding_and_again_changes_nothing(client, as_user, session, encoding):
    admin = as_user("admin")
    before = _count(session)
    data = _file(ROWS, encoding=encoding)
    if encoding == "cp949":
        with pytest.raises(UnicodeDecodeError):
            data.decode("utf-8")  # really CP949, as data.go.kr hands out its files
    first = _import(client, admin, data)
    assert first.status_code == 200, first.json()
    body = first.json()
    assert (body["rows"], body["created"], body["updated"], body["errors"]) == (3, 3, 0, [])
    assert "가져왔습니다" in body["detail"]
    assert {"연도", "이용가능인원"} - set(body["ignored_columns"]) == {"이용가능인원"}  # unused columns named
    assert _count(session) == before + 3
    got = {f.name: (f, d) for f, d in session.execute(
        select(Facility, ShelterDetails).join(ShelterDetails).where(Facility.source == "행정안전부_무더위쉼터.csv"))}
    f, d = got["테스트 주민센터 쉼터"]
    assert f.category == "heat_shelter" and f.code.startswith("HEAT-") and f.source_type == "주민센터"
    assert f.address.startswith("경상북도 테스트군 쉼터로") and f.needs_served == [] and not f.accepting_referrals
    assert (d.capacity, d.open_from, d.open_to, d.night_open, d.holiday_open) == (
        1200, date(2026, 5, 20), date(2026, 9, 30), False, True)
    _, bank = got["테스트 은행 쉼터"]
    assert (bank.capacity, bank.open_from, bank.open_to, bank.night_open, bank.holiday_open) == (
        None, date(2026, 7, 1), date(2026, 8, 31), None, None)
    versions = sorted((f.code, f.version) for f, _ in got.values())

    again = _import(client, admin, data).json()
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 3)
    assert _count(session) == before + 3
    session.expire_all()
    assert sorted(session.execute(select(Facility.code, Facility.version)
                                  .where(Facility.source == "행정안전부_무더위쉼터.csv")).all()) == versions

    # Next year's file: same shelters, new period; they are updated, not added.
    moved = [_row("테스트 경로당 쉼터", "128.2010000", "36.0010000", start="2027-05-20", end="2027-09-30"), *ROWS[1:]]
    third = _import(client, admin, _file(moved, encoding=encoding)).json()
    assert (third["created"], third["updated"], third["unchanged"]) == (0, 1, 2)
    session.expire_all()
    f, d = session.execute(select(Facility, ShelterDetails).join(ShelterDetails)
                           .where(Facility.name == "테스트 경로당 쉼터")).one()
    assert (d.open_from, d.open_to) == (date(2027, 5, 20), date(2027, 9, 30))
    assert f.version == dict(versions)[f.code] + 1


def test_the_same_place_as_heat_and_cold_shelter_stays_two_rows(client, as_user, session):
    admin = as_user("admin")
    assert _import(client, admin, _file(ROWS[:1])).status_code == 200
    cold = _file([_row("테스트 경로당 쉼터", "128.2010000", "36.0010000", start="2026-11-15", end="2027-03-15")])
    answer = _import(client, admin, cold, category="cold_shelter", name="행정안전부_한파쉼터.csv")
    assert answer.status_code == 200 and answer.json()["created"] == 1
    kinds = session.execute(select(Facility.category, Facility.code).where(Facility.name == "테스트 경로당 쉼터")
                            .order_by(Facility.category)).all()
    assert [k for k, _ in kinds] == ["cold_shelter", "heat_shelter"]
    assert kinds[0][1].removeprefix("COLD-") == kinds[1][1].removeprefix("HEAT-")


def test_bad_rows_are_reported_by_row_and_column_in_korean_and_nothing_is_written(client, as_user, session):
    before = (_count(session), session.scalar(select(func.count()).select_from(ShelterDetails)))
    rows = [
        ROWS[0],
        _row("날짜 틀림", "128.2", "36.0", start="2026-02-30"),
        _row("기간 거꾸로", "128.2", "36.0", start="2026-09-30", end="2026-05-20"),
        _row("인원 틀림", "128.2", "36.0", capacity="많음"),
        _row("개방 틀림", "128.2", "36.0", night="가끔"),
        _row("기간 없음", "128.2", "36.0", end=""),
        _row("좌표 없음", "", ""),
    ]
    answer = _import(client, as_user("admin"), _file(rows, encoding="cp949"))
    assert answer.status_code == 422
    body = answer.json()
    assert body["ok"] is False and body["created"] == 0 and "아무것도 가져오지 않았습니다" in body["detail"]
    found = {(e["row"], e["field"]) for e in body["errors"]}
    assert found == {(3, "운영시작일"), (4, "운영종료일"), (5, "이용가능인원"), (6, "야간개방여부"), (7, "운영종료일"),
                     (8, "좌표")}
    messages = {e["row"]: e["message"] for e in body["errors"]}
    assert messages[3] == "3행: 운영시작일: 없는 날짜입니다: 2026-02-30"
    assert messages[4].startswith("4행: 운영종료일(2026-05-20)이 운영시작일(2026-09-30)보다 앞섭니다")
    assert "사람 수" in messages[5] and "Y 또는 N" in messages[6] and "비어 있습니다" in messages[7]
    assert "경도·위도" in messages[8]
    assert (_count(session), session.scalar(select(func.count()).select_from(ShelterDetails))) == before


def test_wrong_encoding_or_headers_answer_4xx_in_korean(client, as_user, session):
    admin = as_user("admin")
    before = _count(session)
    utf16 = _import(client, admin, _file(ROWS, encoding="utf-16"))
    assert utf16.status_code == 422 and "인코딩" in utf16.json()["detail"] + utf16.json()["errors"][0]["message"]
    no_period = _file([r[:13] + r[15:] for r in ROWS], header=HEAT_HEADER[:13] + HEAT_HEADER[15:])
    answer = _import(client, admin, no_period)
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["message"] == (
        "운영시작일·운영종료일 열이 없습니다. 쉼터 파일에는 운영 기간이 있어야 합니다.")
    english = _import(client, admin, _file(ROWS, header=["name", *HEAT_HEADER[1:3], "shelter", *HEAT_HEADER[4:]]))
    assert english.status_code == 422
    assert english.json()["errors"][0]["message"].startswith("쉼터명(시설명) 열이 없습니다")
    # A welfare facility file may not slip shelters in by a 분류 column: they need their operating period.
    welfare = _file([["무더위쉼터", "잘못 온 쉼터", "128.2", "36.0"]], header=["분류", "시설명", "경도", "위도"])
    refused = client.post("/api/v1/facilities/import", files={"file": ("복지기관.csv", welfare, "text/csv")},
                          headers=admin)
    assert refused.status_code == 422 and "쉼터 파일로 가져오세요" in refused.json()["errors"][0]["message"]
    staff_made = client.post("/api/v1/facilities", json={"name": "손으로 쉼터", "category": "cold_shelter",
                                                         "lon": 128.2, "lat": 36.0}, headers=admin)
    assert staff_made.status_code == 422 and "공공데이터 파일" in staff_made.json()["detail"]
    assert _count(session) == before


def test_cli_imports_a_cold_shelter_file(tmp_path, capsys, db_url):
    path = tmp_path / "행정안전부_한파쉼터.csv"
    path.write_bytes(COLD_FILE.read_bytes().decode("utf-8").encode("cp949"))
    source = SHELTER_FILES["cold_shelter"][1]
    assert cli.main(["import-facilities", str(path), "--category", "cold_shelter", "--source", source,
                     "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "28행을 검사만 했습니다 (저장하지 않음): 새로 0, 변경 0, 그대로 28." in out  # the seed's own rows


def _layer_ids(client, headers, **params) -> set[int]:
    answer = client.get("/api/v1/layers/facilities", params=params, headers=headers)
    assert answer.status_code == 200, answer.text
    return {f["properties"]["id"] for f in answer.json()["features"]}


def _open_ids(session, category: str, on: date) -> set[int]:
    return set(session.scalars(select(Facility.id).join(ShelterDetails).where(
        Facility.category == category, ShelterDetails.open_from <= on, ShelterDetails.open_to >= on)))


def test_layer_shows_only_the_shelters_open_on_the_day(client, as_user, session):
    headers = as_user("dong01")
    june, july = _layer_ids(client, headers, category="heat_shelter", open_on="2026-06-10"), \
        _layer_ids(client, headers, category="heat_shelter", open_on="2026-07-15")
    assert len(june) == 28 and len(july) == 42 and june < july
    assert june == _open_ids(session, "heat_shelter", date(2026, 6, 10))
    assert _layer_ids(client, headers, category="heat_shelter", open_on="2026-12-20") == set()
    assert len(_layer_ids(client, headers, category="cold_shelter", open_on="2026-11-20")) == 14
    assert len(_layer_ids(client, headers, category="cold_shelter", open_on="2027-01-05")) == 28
    assert len(_layer_ids(client, headers, category="heat_shelter")) == 42  # no day: every shelter
    feature = client.get("/api/v1/layers/facilities", params={"category": "cold_shelter", "open_on": "2027-01-05"},
                         headers=headers).json()["features"][0]["properties"]
    assert set(feature) == {"id", "name", "category", "capacity", "open_from", "open_to", "night_open",
                            "holiday_open"}
    # The 복지기관 layer (no category) and the directory leave the shelters out; 경로당 is a category of its own.
    welfare = _layer_ids(client, headers)
    assert len(welfare) == 461 and not welfare & july
    assert _layer_ids(client, headers, category="senior_centre", open_on="2026-06-10") == set(session.scalars(
        select(Facility.id).where(Facility.category == "senior_centre")))
    assert client.get("/api/v1/facilities", params={"q": "데모 무더위쉼터"}, headers=headers).json()["total"] == 0
    assert client.get("/api/v1/facilities", params={"q": "데모 무더위쉼터", "category": "heat_shelter"},
                      headers=headers).json()["total"] == 42


@pytest.mark.parametrize("value", ["2026-02-30", "tomorrow", "2026-13-01", "20261301"])
def test_invalid_date_answers_422_in_korean(client, as_user, session, value):
    headers = as_user("dong01")
    layer = client.get("/api/v1/layers/facilities", params={"category": "heat_shelter", "open_on": value},
                       headers=headers)
    assert layer.status_code == 422 and "날짜" in str(layer.json()["detail"])
    household = session.scalar(select(Household.id).where(Household.dong_id == 1).order_by(Household.id).limit(1))
    line = client.get(f"/api/v1/households/{household}/nearest-shelter", params={"on": value}, headers=headers)
    assert line.status_code == 422 and "날짜" in str(line.json()["detail"])


def _household(session, dong_id=1):
    return session.execute(select(Household.id, func.ST_X(Household.geom), func.ST_Y(Household.geom))
                           .where(Household.dong_id == dong_id).order_by(Household.id).limit(1)).one()


@pytest.mark.parametrize(("on", "category"), [("2026-07-15", "heat_shelter"), ("2026-06-10", "heat_shelter"),
                                              ("2026-12-20", "cold_shelter"), ("2026-11-20", "cold_shelter")])
def test_nearest_shelter_of_the_season_matches_pyproj_geodesic(client, as_user, session, on, category):
    hid, lon, lat = _household(session)
    body = client.get(f"/api/v1/households/{hid}/nearest-shelter", params={"on": on}, headers=as_user("dong01"))
    assert body.status_code == 200, body.text
    body = body.json()
    assert body["on"] == on and body["category"] == category
    assert body["category_label"] == {"heat_shelter": "무더위쉼터", "cold_shelter": "한파쉼터"}[category]
    # Every shelter of the season open that day, measured by pyproj on the WGS84 ellipsoid.
    candidates = session.execute(select(Facility.id, func.ST_X(Facility.geom), func.ST_Y(Facility.geom))
                                 .join(ShelterDetails).where(Facility.category == category,
                                                             ShelterDetails.open_from <= date.fromisoformat(on),
                                                             ShelterDetails.open_to >= date.fromisoformat(on))).all()
    geodesic = {fid: GEOD.inv(lon, lat, x, y)[2] for fid, x, y in candidates}
    nearest = min(geodesic, key=geodesic.get)
    shelter = body["shelter"]
    assert shelter["id"] == nearest and shelter["category"] == category
    assert shelter["distance_m"] == pytest.approx(geodesic[nearest], abs=1.0)
    assert abs(shelter["distance_m"] - geodesic[nearest]) < 0.1  # rounding to 0.1 m is all that differs
    assert body["line"] == shelters.line(category, shelter["distance_m"])
    shown = int(body["line"].split()[-2].replace(",", ""))  # 가장 가까운 무더위쉼터 350 m
    assert abs(shown - geodesic[nearest]) <= 1.0
    assert body["line"].startswith(f"가장 가까운 {body['category_label']} ")
    assert shelter["open_from"] <= on <= shelter["open_to"] and shelter["capacity"] > 0


def test_no_shelter_line_between_seasons_and_scope_is_kept(client, as_user, session, frozen_clock):
    hid, _, _ = _household(session)
    autumn = client.get(f"/api/v1/households/{hid}/nearest-shelter", params={"on": "2026-10-15"},
                        headers=as_user("dong01")).json()
    assert (autumn["category"], autumn["shelter"], autumn["line"]) == (None, None, None)
    other_dong, _, _ = _household(session, dong_id=2)
    assert client.get(f"/api/v1/households/{other_dong}/nearest-shelter", params={"on": "2026-07-15"},
                      headers=as_user("dong01")).status_code == 404
    assert client.get(f"/api/v1/households/{hid}/nearest-shelter", headers=as_user("tongjang01")).status_code == 403
    frozen_clock(datetime(2026, 8, 1, 23, 30, tzinfo=ZoneInfo("Asia/Seoul")))  # no day given: today in Seoul
    today = client.get(f"/api/v1/households/{hid}/nearest-shelter", headers=as_user("district")).json()
    assert (today["on"], today["category"]) == ("2026-08-01", "heat_shelter")


def test_postgis_geography_distance_agrees_with_pyproj_within_millimetres(session):
    hid, lon, lat = _household(session)
    point = func.geography(func.ST_SetSRID(func.ST_MakePoint(lon, lat), 4326))
    rows = session.execute(select(func.ST_X(Facility.geom), func.ST_Y(Facility.geom),
                                  func.ST_Distance(func.geography(Facility.geom), point))
                           .where(Facility.category.in_(SHELTER_CATEGORIES))).all()
    assert len(rows) == 70
    worst = max(abs(d - GEOD.inv(lon, lat, x, y)[2]) for x, y, d in rows)
    assert worst < 0.005


def test_season_rule_follows_the_shelters_own_periods(session):
    assert shelters.season(session, date(2026, 5, 20)) == "heat_shelter"
    assert shelters.season(session, date(2026, 9, 30)) == "heat_shelter"
    assert shelters.season(session, date(2026, 10, 1)) is None
    assert shelters.season(session, date(2026, 11, 15)) == "cold_shelter"
    assert shelters.season(session, date(2027, 3, 15)) == "cold_shelter"
    assert shelters.season(session, date(2027, 3, 16)) is None
    assert shelters.line("heat_shelter", 349.6) == "가장 가까운 무더위쉼터 350 m"
    assert shelters.line("cold_shelter", 1234.0) == "가장 가까운 한파쉼터 1.2 km"
