"""Facility directory: Korean partial-word search, metre-exact radius and nearest order, need filter,
household nearby search in scope, staff edits with versions, and the all-or-nothing CSV import."""
import csv
import io
import random
import re
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from pyproj import Geod
from sqlalchemy import func, select

from app import cli
from app.facilities import cli as facilities_cli
from app.facilities import importer
from app.facilities.models import Facility
from app.households.models import Household
from app.tracts.models import Dong
from app.vocab import SHELTER_CATEGORIES

GEOD = Geod(ellps="WGS84")
ROOT = Path(__file__).resolve().parent.parent
MOHW_CSV = ROOT / "seed" / "data" / "seoul_disability_welfare_centres_mohw_2019.csv"
# A rural spot in 경상북도, far from the demo's 서대문구 facilities: tests place their own facilities around it.
CENTRE = (128.2000, 36.0000)
HANGUL = re.compile(r"[가-힣]")
_serial = iter(range(1, 10_000))


def _add(session, name: str, lon: float, lat: float, category: str = "welfare_centre", needs=("care",),
         accepting: bool = True, code: str | None = None) -> Facility:
    """Insert a facility in the test's transaction (rolled back afterwards)."""
    facility = Facility(code=code or f"TEST-{next(_serial):05d}", name=name, category=category,
                        needs_served=list(needs), accepting_referrals=accepting,
                        geom=f"SRID=4326;POINT({lon!r} {lat!r})", location_quality="exact", source="test",
                        is_synthetic=True)
    session.add(facility)
    session.commit()
    return facility


def _at(distance_m: float, azimuth: float, origin=CENTRE) -> tuple[float, float]:
    lon, lat, _ = GEOD.fwd(origin[0], origin[1], azimuth, distance_m)
    return lon, lat


def _near(point) -> str:
    return f"{point[0]!r},{point[1]!r}"


def _facility_count(session) -> int:
    return session.execute(select(func.count()).select_from(Facility)).scalar_one()


def _welfare_count(session) -> int:
    """The directory's facilities: heat and cold shelters are an overlay of their own, listed only by category."""
    return session.execute(select(func.count()).select_from(Facility)
                           .where(Facility.category.not_in(SHELTER_CATEGORIES))).scalar_one()


def test_partial_korean_word_finds_the_food_bank(client, as_user):
    headers = as_user("dong01")
    for q in ("푸드", "기초푸드", "푸드뱅크", "서대문기초푸드뱅크"):
        body = client.get("/api/v1/facilities", params={"q": q}, headers=headers).json()
        names = [item["name"] for item in body["items"]]
        assert "서대문기초푸드뱅크" in names, q
        assert body["total"] == len(body["items"]) >= 1
    item = next(i for i in client.get("/api/v1/facilities", params={"q": "푸드"}, headers=headers).json()["items"]
                if i["name"] == "서대문기초푸드뱅크")
    assert item["category"] == "food_bank" and item["category_label"] == "푸드뱅크"
    assert "food" in item["needs_served"] and "식품" in item["needs_served_labels"]
    assert item["distance_m"] is None and "referrals_confirmed_on" in item and item["version"] >= 1


def test_exact_name_then_prefix_then_substring(client, as_user, session):
    _add(session, "다솜누리푸드마켓", *CENTRE)
    _add(session, "우리동네다솜누리", *CENTRE)
    _add(session, "다솜누리", *CENTRE)
    _add(session, "다솜누리터 푸드", *CENTRE)
    body = client.get("/api/v1/facilities", params={"q": "다솜누리"}, headers=as_user("dong01")).json()
    names = [i["name"] for i in body["items"]]
    assert names[0] == "다솜누리"
    assert set(names[1:3]) == {"다솜누리푸드마켓", "다솜누리터 푸드"}
    assert names[3] == "우리동네다솜누리" and body["total"] == 4


def test_like_wildcards_in_q_are_literal(client, as_user, session):
    _add(session, "100%나눔센터", *CENTRE)
    _add(session, "100나눔센터", *CENTRE)
    body = client.get("/api/v1/facilities", params={"q": "100%"}, headers=as_user("dong01")).json()
    assert [i["name"] for i in body["items"]] == ["100%나눔센터"]


def test_radius_is_exact_in_metres_at_the_boundary(client, as_user, session):
    inside = _add(session, "반경안쪽복지관", *_at(999, 37.0))
    outside = _add(session, "반경바깥복지관", *_at(1001, 217.0))
    headers = as_user("dong01")
    body = client.get("/api/v1/facilities", params={"near": _near(CENTRE), "radius_m": 1000},
                      headers=headers).json()
    ids = [i["id"] for i in body["items"]]
    assert inside.id in ids and outside.id not in ids
    assert body["total"] == 1
    assert body["items"][0]["distance_m"] == pytest.approx(999, abs=0.06)
    wider = client.get("/api/v1/facilities", params={"near": _near(CENTRE), "radius_m": 1002},
                       headers=headers).json()
    assert [i["id"] for i in wider["items"]] == [inside.id, outside.id]
    assert wider["items"][1]["distance_m"] == pytest.approx(1001, abs=0.06)


def test_nearest_order_matches_pyproj_geodesic(client, as_user, session):
    rng = random.Random(8)
    placed = []
    for k in range(40):
        point = _at(rng.uniform(50, 20_000), rng.uniform(0, 360))
        placed.append((_add(session, f"근처기관{k}", *point), point))
    # A north-south 5,000 m and an east-west 5,010 m neighbour: on a sphere (what `<->` measures) the east one
    # looks nearer; on the WGS84 ellipsoid the north one is. The answer must follow the ellipsoid.
    north = _add(session, "북쪽기관", *_at(5000, 0.0))
    east = _add(session, "동쪽기관", *_at(5010, 90.0))
    placed += [(north, _at(5000, 0.0)), (east, _at(5010, 90.0))]
    expected = sorted(
        ((GEOD.inv(CENTRE[0], CENTRE[1], p[0], p[1])[2], f.id) for f, p in placed), key=lambda t: (t[0], t[1]))
    headers = as_user("dong01")
    body = client.get("/api/v1/facilities", params={"near": _near(CENTRE), "limit": 25},
                      headers=headers).json()
    assert [i["id"] for i in body["items"]] == [fid for _, fid in expected[:25]]
    for item, (metres, _) in zip(body["items"], expected, strict=False):
        assert item["distance_m"] == pytest.approx(metres, abs=0.06)
    distances = [i["distance_m"] for i in body["items"]]
    assert distances == sorted(distances)
    paged = client.get("/api/v1/facilities", params={"near": _near(CENTRE), "limit": 7, "offset": 9},
                       headers=headers).json()
    assert [i["id"] for i in paged["items"]] == [fid for _, fid in expected[9:16]]
    # Just north of the pair: limit=1 must already pick the ellipsoid's nearest, not the sphere's.
    rank = [fid for _, fid in expected]
    assert rank.index(north.id) < rank.index(east.id)
    only_pair = client.get("/api/v1/facilities", params={"near": _near(CENTRE), "q": "쪽기관", "limit": 1},
                           headers=headers).json()
    assert [i["id"] for i in only_pair["items"]] == [north.id] and only_pair["total"] == 2


def test_need_category_and_accepting_filters(client, as_user, session):
    repair = _add(session, "집수리지원센터", *_at(300, 10), category="other", needs=("house_repair",))
    food = _add(session, "나눔푸드마켓", *_at(400, 100), category="food_bank", needs=("food",))
    closed = _add(session, "쉬는집수리센터", *_at(500, 200), category="other", needs=("house_repair", "care"),
                  accepting=False)
    headers = as_user("dong01")
    base = {"near": _near(CENTRE), "radius_m": 2000}
    got = client.get("/api/v1/facilities", params={**base, "need": "house_repair"}, headers=headers).json()
    assert [i["id"] for i in got["items"]] == [repair.id, closed.id]
    got = client.get("/api/v1/facilities", params={**base, "need": "house_repair", "accepting": "true"},
                     headers=headers).json()
    assert [i["id"] for i in got["items"]] == [repair.id]
    got = client.get("/api/v1/facilities", params={**base, "need": "food,care"}, headers=headers).json()
    assert [i["id"] for i in got["items"]] == [food.id, closed.id]
    got = client.get("/api/v1/facilities", params={**base, "category": "food_bank"}, headers=headers).json()
    assert [i["id"] for i in got["items"]] == [food.id]
    # Over the whole seeded directory: every answer serves the need, and it is a real subset.
    everything = client.get("/api/v1/facilities", params={"limit": 1}, headers=headers).json()["total"]
    food_only = client.get("/api/v1/facilities", params={"need": "food", "limit": 500}, headers=headers).json()
    assert 0 < food_only["total"] < everything
    assert all("food" in i["needs_served"] for i in food_only["items"])


@pytest.mark.parametrize("params, hint", [
    ({"near": "37.5791,126.9368"}, "뒤바뀐"),
    ({"near": "200,100"}, "범위"),
    ({"near": "-73.98,40.75"}, "대한민국"),
    ({"near": "126.9"}, "경도,위도"),
    ({"near": "동쪽,북쪽"}, "숫자"),
    ({"near": "nan,37.5"}, "NaN"),
    ({"near": "126.9368,37.5791", "radius_m": -5}, "radius_m"),
    ({"near": "126.9368,37.5791", "radius_m": 0}, "radius_m"),
    ({"near": "126.9368,37.5791", "radius_m": 50_001}, "50,000"),
    ({"near": "126.9368,37.5791", "radius_m": 1e12}, "50,000"),
    ({"near": "126.9368,37.5791", "radius_m": "inf"}, "radius_m"),
    ({"radius_m": 500}, "near"),
    ({"limit": 501}, "limit"),
    ({"limit": 0}, "limit"),
    ({"offset": -1}, "offset"),
    ({"category": "space_station"}, "분류"),
    ({"need": "spaceship"}, "욕구"),
])
def test_bad_search_input_answers_422_in_korean(client, as_user, params, hint):
    response = client.get("/api/v1/facilities", params=params, headers=as_user("dong01"))
    assert response.status_code == 422, response.text
    detail = response.json()["detail"]
    assert HANGUL.search(detail) and hint in detail, detail


def test_bad_nearby_input_answers_422(client, as_user, session):
    household = session.execute(select(Household).limit(1)).scalar_one()
    headers = as_user("admin")
    for params in ({"radius_m": -1}, {"radius_m": 60_000}, {"limit": 501}, {"need": "spaceship"}):
        response = client.get(f"/api/v1/households/{household.id}/nearby-facilities", params=params,
                              headers=headers)
        assert response.status_code == 422 and HANGUL.search(response.json()["detail"]), params


def _first_dong(session) -> Dong:
    return session.execute(select(Dong).order_by(Dong.code).limit(1)).scalar_one()


def test_nearby_facilities_for_a_household_in_scope(client, as_user, session):
    dong = _first_dong(session)
    household = session.execute(
        select(Household).where(Household.dong_id == dong.id, func.cardinality(Household.open_needs) > 0)
        .order_by(Household.id).limit(1)).scalar_one()
    lon, lat = session.execute(select(func.ST_X(household.geom), func.ST_Y(household.geom))).one()
    headers = as_user("dong01")
    body = client.get(f"/api/v1/households/{household.id}/nearby-facilities", params={"limit": 20},
                      headers=headers).json()
    assert body["household_id"] == household.id and body["needs"] == list(household.open_needs)
    assert body["items"] and body["total"] >= len(body["items"])
    for item in body["items"]:
        assert set(item["needs_served"]) & set(household.open_needs)
        assert item["distance_m"] == pytest.approx(GEOD.inv(lon, lat, item["lon"], item["lat"])[2], abs=0.1)
    distances = [i["distance_m"] for i in body["items"]]
    assert distances == sorted(distances)
    chosen = client.get(f"/api/v1/households/{household.id}/nearby-facilities",
                        params={"need": "medical", "limit": 5}, headers=headers).json()
    assert chosen["needs"] == ["medical"] and all("medical" in i["needs_served"] for i in chosen["items"])
    every = client.get(f"/api/v1/households/{household.id}/nearby-facilities", params={"need": "", "limit": 1},
                       headers=headers).json()
    assert every["needs"] == [] and every["total"] == _welfare_count(session)


def test_nearby_facilities_outside_scope_is_404(client, as_user, session):
    dong = _first_dong(session)
    household = session.execute(select(Household).where(Household.dong_id == dong.id).limit(1)).scalar_one()
    response = client.get(f"/api/v1/households/{household.id}/nearby-facilities", headers=as_user("dong02"))
    assert response.status_code == 404  # another dong's household looks exactly like a missing one
    assert client.get("/api/v1/households/999999999/nearby-facilities",
                      headers=as_user("admin")).status_code == 404


def test_staff_add_edit_and_stale_version(client, as_user, session, frozen_clock):
    frozen_clock(datetime(2026, 3, 2, 10, 0, tzinfo=ZoneInfo("Asia/Seoul")))
    headers = as_user("dong01")
    created = client.post("/api/v1/facilities", headers=headers, json={
        "name": "충현동 행복나눔냉장고", "category": "food_bank", "lon": 126.9560, "lat": 37.5640,
        "address": "서울특별시 서대문구 충현동", "phone": "02-330-1234", "needs_served": ["food"]})
    assert created.status_code == 201, created.text
    facility = created.json()
    assert facility["referrals_confirmed_on"] == "2026-03-02" and facility["category_label"] == "푸드뱅크"
    assert facility["dong_id"] is not None and facility["version"] == 1 and facility["code"].startswith("STAFF-")
    path = f"/api/v1/facilities/{facility['id']}"
    edited = client.patch(path, headers=headers, json={"hours": "평일 09:00-18:00", "version": 1})
    assert edited.status_code == 200 and edited.json()["hours"] == "평일 09:00-18:00"
    assert edited.json()["version"] == 2
    stale = client.patch(path, headers=headers, json={"name": "덮어쓰기", "version": 1})
    assert stale.status_code == 409 and HANGUL.search(stale.json()["detail"])
    assert client.get(path, headers=headers).json()["name"] == "충현동 행복나눔냉장고"
    no_version = client.patch(path, headers=headers, json={"name": "버전없음"})
    assert no_version.status_code == 422
    via_header = client.patch(path, headers={**headers, "If-Match": '"2"'}, json={"lon": 126.9570, "lat": 37.5650})
    assert via_header.status_code == 200 and via_header.json()["lon"] == pytest.approx(126.957)
    for bad in ({"category": "space_station", "version": 3}, {"needs_served": ["spaceship"], "version": 3},
                {"lon": 37.56, "lat": 126.95, "version": 3}, {"name": "  ", "version": 3}, {"colour": "red"}):
        response = client.patch(path, headers=headers, json=bad)
        assert response.status_code == 422 and HANGUL.search(response.json()["detail"]), bad
    assert client.get(path, headers=headers).json()["version"] == 3
    for username in ("tongjang01", "partner01"):
        refused = client.post("/api/v1/facilities", headers=as_user(username),
                              json={"name": "무단등록", "category": "other", "lon": 126.95, "lat": 37.56})
        assert refused.status_code == 403


def test_a_code_taken_between_check_and_insert_is_409_not_500(client, as_user, session, monkeypatch):
    from sqlalchemy import insert

    from app.facilities import service

    original = service.dong_at

    def racing_dong_at(db, lon, lat):
        # Another request inserts the same code after create()'s pre-check, before its flush.
        db.execute(insert(Facility).values(code="RACE-0001", name="먼저 들어온 기관", category="other",
                                           needs_served=[], accepting_referrals=True, location_quality="exact",
                                           geom="SRID=4326;POINT(126.95 37.56)", source="test", is_synthetic=True))
        return original(db, lon, lat)

    monkeypatch.setattr(service, "dong_at", racing_dong_at)
    answer = client.post("/api/v1/facilities", headers=as_user("dong01"), json={
        "code": "RACE-0001", "name": "나중 기관", "category": "other", "lon": 126.956, "lat": 37.564})
    assert answer.status_code == 409 and "RACE-0001" in answer.json()["detail"]
    assert HANGUL.search(answer.json()["detail"])
    monkeypatch.setattr(service, "dong_at", original)
    assert session.execute(select(Facility.name).where(Facility.name == "나중 기관")).all() == []
    again = client.post("/api/v1/facilities", headers=as_user("dong01"), json={
        "code": "RACE-0002", "name": "다음 기관", "category": "other", "lon": 126.956, "lat": 37.564})
    assert again.status_code == 201, again.text


def test_confirm_referral_capacity_shows_in_results(client, as_user, session, frozen_clock):
    frozen_clock(datetime(2026, 4, 1, 9, 0, tzinfo=ZoneInfo("Asia/Seoul")))
    food_bank = session.execute(select(Facility).where(Facility.name == "서대문기초푸드뱅크")).scalar_one()
    version = food_bank.version  # read now: the app shares this session and updates the object
    partner = as_user("partner01")  # the food bank's own account
    path = f"/api/v1/facilities/{food_bank.id}/confirm-referrals"
    confirmed = client.post(path, headers=partner, json={"accepting_referrals": False, "version": version})
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["accepting_referrals"] is False
    assert confirmed.json()["referrals_confirmed_on"] == "2026-04-01"
    assert confirmed.json()["version"] == version + 1
    stale = client.post(path, headers=partner, json={"accepting_referrals": True, "version": version})
    assert stale.status_code == 409
    listed = client.get("/api/v1/facilities", params={"q": "기초푸드"}, headers=as_user("dong03")).json()["items"]
    assert listed[0]["referrals_confirmed_on"] == "2026-04-01" and listed[0]["accepting_referrals"] is False
    accepting = client.get("/api/v1/facilities", params={"q": "기초푸드", "accepting": "true"},
                           headers=as_user("dong03")).json()
    assert accepting["total"] == 0
    other = session.execute(select(Facility).where(Facility.id != food_bank.id).limit(1)).scalar_one()
    refused = client.post(f"/api/v1/facilities/{other.id}/confirm-referrals", headers=partner,
                          json={"accepting_referrals": True, "version": other.version})
    assert refused.status_code == 403
    by_staff = client.post(f"/api/v1/facilities/{other.id}/confirm-referrals", headers=as_user("district"),
                           json={"accepting_referrals": True, "version": other.version})
    assert by_staff.status_code == 200 and by_staff.json()["referrals_confirmed_on"] == "2026-04-01"


def test_facility_layer_still_serves_points(client, as_user):
    response = client.get("/api/v1/layers/facilities", params={"category": "food_bank"}, headers=as_user("dong01"))
    assert response.status_code == 200 and response.headers["content-type"].startswith("application/geo+json")
    names = [f["properties"]["name"] for f in response.json()["features"]]
    assert "서대문기초푸드뱅크" in names


SEOUL_HEADER = ["시설명", "시설코드", "시설종류명(시설유형)", "시설종류상세명(시설종류)", "자치구(시)구분",
                "시군구코드", "시군구명", "시설주소", "address_in_seoul", "경도", "위도"]


def _csv(rows: list[list], header=SEOUL_HEADER) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def _seoul_row(name, code, kind, lon, lat, address="서울특별시 서대문구 연희로 1"):
    return [name, code, kind, "", "자치구", "1141000000", "서대문구", address, "Y", lon, lat]


def test_import_then_reimport_is_idempotent(session):
    data = MOHW_CSV.read_bytes()
    before = _facility_count(session)
    first = importer.import_csv(session, data, MOHW_CSV.name, default_category="disability_welfare_centre")
    assert first["ok"] and first["rows"] == 49 and first["created"] == 49 and first["errors"] == []
    assert _facility_count(session) == before + 49
    imported = session.execute(select(Facility.code, Facility.version, Facility.updated_at)
                               .where(Facility.source == MOHW_CSV.name).order_by(Facility.code)).all()
    assert len(imported) == 49
    again = importer.import_csv(session, data, MOHW_CSV.name, default_category="disability_welfare_centre")
    assert again["ok"] and (again["created"], again["updated"], again["unchanged"]) == (0, 0, 49)
    assert _facility_count(session) == before + 49
    assert session.execute(select(Facility.code, Facility.version, Facility.updated_at)
                           .where(Facility.source == MOHW_CSV.name).order_by(Facility.code)).all() == imported
    centre = session.execute(select(Facility).where(Facility.name == "서대문장애인종합복지관",
                                                    Facility.source == MOHW_CSV.name)).scalar_one()
    assert centre.category == "disability_welfare_centre" and centre.phone and centre.dong_id is not None
    assert centre.location_quality == "exact"


def test_reimport_updates_by_code(session):
    food_bank = session.execute(select(Facility).where(Facility.name == "서대문기초푸드뱅크")).scalar_one()
    version = food_bank.version
    rows = [
        _seoul_row("서대문기초푸드뱅크", food_bank.code, "(기타) 푸드뱅크", "", ""),  # no point: keeps its place
        _seoul_row("가재울 나눔터", "NEW-0001", "(일반) 사회복지관", 126.9180, 37.5790),
    ]
    first = importer.import_csv(session, _csv(rows), "update.csv")
    assert first["ok"], first["errors"]
    assert first["created"] == 1 and first["updated"] + first["unchanged"] == 1
    rows[1][0] = "가재울 나눔센터"
    second = importer.import_csv(session, _csv(rows), "update.csv")
    assert (second["created"], second["updated"], second["unchanged"]) == (0, 1, 1)
    renamed = session.execute(select(Facility).where(Facility.code == "NEW-0001")).scalar_one()
    session.refresh(renamed)
    assert renamed.name == "가재울 나눔센터" and renamed.version == 2 and renamed.category == "welfare_centre"
    assert session.execute(select(func.count()).select_from(Facility).where(Facility.code == "NEW-0001")
                           ).scalar_one() == 1
    session.refresh(food_bank)
    assert food_bank.category == "food_bank" and food_bank.version >= version


def test_bad_rows_are_reported_by_row_number_and_nothing_is_imported(session):
    before = _facility_count(session)
    rows = [
        _seoul_row("좋은행 복지관", "OK-0001", "(일반) 사회복지관", 126.93, 37.57),            # row 2: fine
        _seoul_row("", "BAD-0003", "(일반) 사회복지관", 126.93, 37.57),                      # row 3: no name
        _seoul_row("도쿄복지관", "BAD-0004", "(일반) 사회복지관", 139.69, 35.69),               # row 4: not Korea
        _seoul_row("우주복지관", "BAD-0005", "우주정거장", 126.93, 37.57),                      # row 5: category
        _seoul_row("뒤바뀐복지관", "BAD-0006", "(노인) 노인복지관", 37.57, 126.93),              # row 6: swapped
        _seoul_row("좋은행 둘", "OK-0007", "푸드뱅크", 126.94, 37.58),                        # row 7: fine
    ]
    report = importer.import_csv(session, _csv(rows), "bad.csv")
    assert not report["ok"] and report["created"] == 0 and report["updated"] == 0
    by_row = {e["row"]: e for e in report["errors"]}
    assert sorted(by_row) == [3, 4, 5, 6]
    assert by_row[3]["field"] == "시설명" and "시설명" in by_row[3]["message"]
    assert "대한민국" in by_row[4]["message"] and by_row[4]["field"] == "좌표"
    assert by_row[5]["field"] == "분류" and "우주정거장" in by_row[5]["message"]
    assert "뒤바뀐" in by_row[6]["message"]
    assert all(e["message"].startswith(f"{e['row']}행") for e in report["errors"])
    assert "아무것도" in report["detail"]
    assert _facility_count(session) == before
    assert session.execute(select(Facility.id).where(Facility.code.in_(["OK-0001", "OK-0007"]))).all() == []


def test_new_facility_without_coordinates_and_duplicate_codes_are_refused(session):
    rows = [_seoul_row("좌표없는곳", "NOPT-1", "(일반) 사회복지관", "", ""),
            _seoul_row("같은코드1", "DUP-1", "(일반) 사회복지관", 126.93, 37.57),
            _seoul_row("같은코드2", "DUP-1", "(일반) 사회복지관", 126.93, 37.57)]
    report = importer.import_csv(session, _csv(rows), "gaps.csv")
    assert not report["ok"]
    assert {(e["row"], e["field"]) for e in report["errors"]} == {(2, "좌표"), (4, "시설코드")}
    assert session.execute(select(Facility.id).where(Facility.code == "DUP-1")).all() == []


def test_import_route_for_district_staff_only(client, as_user, session):
    good = _csv([_seoul_row("API 나눔터", "API-0001", "(기타) 푸드뱅크", 126.92, 37.58)])
    files = {"file": ("facilities.csv", good, "text/csv")}
    refused = client.post("/api/v1/facilities/import", files=files, headers=as_user("dong01"))
    assert refused.status_code == 403
    dry = client.post("/api/v1/facilities/import", params={"dry_run": "true"}, files=files,
                      headers=as_user("district"))
    assert dry.status_code == 200 and dry.json()["created"] == 1 and dry.json()["dry_run"] is True
    assert session.execute(select(Facility.id).where(Facility.code == "API-0001")).all() == []
    done = client.post("/api/v1/facilities/import", files=files, headers=as_user("district"))
    assert done.status_code == 200 and done.json()["created"] == 1
    found = client.get("/api/v1/facilities", params={"q": "API 나눔"}, headers=as_user("dong01")).json()
    assert found["items"][0]["category"] == "food_bank" and found["items"][0]["needs_served"] == ["food"]
    bad = _csv([_seoul_row("좌표틀림", "API-0002", "(기타) 푸드뱅크", 200, 37.58)])
    failed = client.post("/api/v1/facilities/import", files={"file": ("bad.csv", bad, "text/csv")},
                         headers=as_user("admin"))
    assert failed.status_code == 422
    assert failed.json()["errors"][0]["row"] == 2 and HANGUL.search(failed.json()["detail"])
    no_name_column = _csv([["x"]], header=["이름없음"])
    refused_file = client.post("/api/v1/facilities/import", files={"file": ("x.csv", no_name_column, "text/csv")},
                               headers=as_user("admin"))
    assert refused_file.status_code == 422 and refused_file.json()["errors"][0]["row"] is None


def test_import_reads_cp949_and_plane_coordinates(session):
    from app.geo.crs import KOREA_CENTRAL, from_lonlat

    x, y = from_lonlat(126.9368, 37.5791, KOREA_CENTRAL)
    text = "시설명,시설코드,분류,지원욕구,엑스(X)좌표,와이(Y)좌표,좌표계\n" \
           f"평면좌표센터,PLANE-1,집수리 지원,집수리,{x},{y},EPSG:5186\n"
    report = importer.import_csv(session, text.encode("cp949"), "plane.csv")
    assert not report["ok"] and report["errors"][0]["field"] == "분류"  # 집수리 지원 is no category label
    text = text.replace("집수리 지원", "기타")
    report = importer.import_csv(session, text.encode("cp949"), "plane.csv")
    assert report["ok"], report["errors"]
    lon, lat, needs = session.execute(select(func.ST_X(Facility.geom), func.ST_Y(Facility.geom),
                                             Facility.needs_served).where(Facility.code == "PLANE-1")).one()
    assert (lon, lat) == (pytest.approx(126.9368, abs=1e-7), pytest.approx(37.5791, abs=1e-7))
    assert needs == ["house_repair"]


def test_cli_dry_run_reports_in_korean(db_url, capsys, tmp_path):
    assert cli.main(["import-facilities", str(MOHW_CSV), "--dry-run", "--category",
                     "disability_welfare_centre"]) == 0
    out = capsys.readouterr().out
    assert "49행" in out and "저장하지 않음" in out
    bad = tmp_path / "bad.csv"
    bad.write_bytes(_csv([_seoul_row("", "X-1", "(일반) 사회복지관", 126.93, 37.57)]))
    assert facilities_cli.main([str(bad), "--dry-run"]) == 1
    assert "2행: 시설명이 비어 있습니다." in capsys.readouterr().err


@pytest.mark.parametrize("params, file_name, label", [
    ({"source": "공공데이터\x00포털"}, "facilities.csv", "출처"),
    ({}, "facil\x00ities.csv", "파일 이름"),
])
def test_a_nul_in_the_import_source_or_file_name_is_422_in_korean(client, as_user, session, params, file_name,
                                                                   label):
    good = _csv([_seoul_row("NUL 나눔터", "NUL-0001", "(기타) 푸드뱅크", 126.92, 37.58)])
    # Built by hand: httpx would percent-encode the NUL of the file name, a raw client need not.
    body = (b'--b\r\nContent-Disposition: form-data; name="file"; filename="' + file_name.encode()
            + b'"\r\nContent-Type: text/csv\r\n\r\n' + good + b"\r\n--b--\r\n")
    answer = client.post("/api/v1/facilities/import", params=params, content=body,
                         headers={**as_user("district"), "Content-Type": "multipart/form-data; boundary=b"})
    assert answer.status_code == 422, answer.text
    report = answer.json()
    assert not report["ok"] and report["created"] == 0 and label in report["errors"][0]["message"]
    assert HANGUL.search(report["detail"]) and "\x00" not in report["file"] + report["source"]
    assert session.execute(select(Facility.id).where(Facility.code == "NUL-0001")).all() == []
