"""Reports API: placement, routing, geocoding, duplicate suggestions, triage, the 통장's limited view."""
import io

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyproj import Geod
from sqlalchemy import func, select

from app.addresses.loader import load_stream
from app.facilities.models import Facility
from app.households.models import Household
from app.ratelimit import Rule
from app.reports.geocoder import normalise_address, normalised_sql
from app.reports.models import Report, ReportEvent
from app.tracts.models import Dong, Tract
from tests.conftest import own_limits
from tests.test_addresses import TO_5179, cp949, entrance

GEOD = Geod(ellps="WGS84")
RECEIPT = r"^R-\d{8}-\d{4,}$"
REPORTER_KEYS = {"id", "receipt_no", "status", "status_label", "status_note", "description", "address", "lon",
                 "lat", "needs_location", "dong_id", "dong_name", "indicators", "created_at", "updated_at",
                 "history"}


def dong_at(session, index: int) -> Dong:
    """The dong of demo account dong{index+1:02d} (one per dong, in code order)."""
    return session.execute(select(Dong).order_by(Dong.code).offset(index).limit(1)).scalar_one()


def point_in(session, geom) -> tuple[float, float]:
    return tuple(session.execute(select(func.ST_X(func.ST_PointOnSurface(geom)),
                                        func.ST_Y(func.ST_PointOnSurface(geom)))).one())


def household_in(session, dong_id: int) -> tuple[Household, float, float]:
    h, lon, lat = session.execute(select(Household, func.ST_X(Household.geom), func.ST_Y(Household.geom))
                                  .where(Household.dong_id == dong_id, Household.status == "active")
                                  .order_by(Household.id).limit(1)).one()
    return h, lon, lat


def report_row(session, report_id: int) -> Report:
    session.expire_all()
    return session.get(Report, report_id)


def test_tongjang_report_is_placed_and_routed_to_its_dong(client, as_user, session):
    dong1, dong2 = dong_at(session, 0), dong_at(session, 1)
    tract = session.execute(select(Tract).where(Tract.dong_id == dong1.id).order_by(Tract.number).offset(3)
                            .limit(1)).scalar_one()
    lon, lat = point_in(session, tract.geom)
    created = client.post("/api/v1/reports", headers=as_user("tongjang01"), json={
        "description": "옆집 할머니가 며칠째 보이지 않고 우편물이 쌓여 있어요.", "lon": lon, "lat": lat,
        "indicators": ["isolation", "elderly_alone"], "reporter_contact": "010-1234-5678"})
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["status"] == "new" and body["dong_id"] == dong1.id and body["tract_id"] == tract.id
    assert body["receipt_no"].startswith("R-") and body["needs_location"] is False
    assert body["possible_duplicates"] == [] and body["location_source"] == "point"
    row = report_row(session, body["id"])
    assert row.channel == "api" and row.indicators == ["isolation", "elderly_alone"]
    events = session.execute(select(ReportEvent).where(ReportEvent.report_id == row.id)).scalars().all()
    assert [(e.status, e.actor_id) for e in events] == [("new", row.reporter_user_id)]

    queue = client.get(f"/api/v1/reports?status=new&dong_id={dong1.id}", headers=as_user("dong01")).json()
    assert body["id"] in [i["id"] for i in queue["items"]]
    item = next(i for i in queue["items"] if i["id"] == body["id"])
    assert item["reporter"] == "tongjang01" and item["reporter_contact"] == "010-1234-5678"
    assert item["tract_name"] == tract.name
    other = client.get("/api/v1/reports?limit=500", headers=as_user("dong02")).json()
    assert body["id"] not in [i["id"] for i in other["items"]]
    assert client.get(f"/api/v1/reports/{body['id']}", headers=as_user("dong02")).status_code == 404
    assert client.get(f"/api/v1/reports?dong_id={dong1.id}", headers=as_user("dong02")).status_code == 404
    assert dong2.id != dong1.id


def test_receipt_numbers_are_unique_and_daily(client, as_user):
    headers = as_user("dong01")
    receipts = [client.post("/api/v1/reports", headers=headers, json={"description": f"테스트 신고 {i}"})
                .json()["receipt_no"] for i in range(3)]
    assert len(set(receipts)) == 3
    numbers = [int(r.rsplit("-", 1)[1]) for r in receipts]
    assert numbers == sorted(numbers) and numbers[2] - numbers[0] == 2
    assert all(__import__("re").match(RECEIPT, r) for r in receipts)


@pytest.mark.parametrize("distance_m, expected", [(49.0, True), (51.0, False)])
def test_duplicate_suggestion_at_49_and_51_metres(client, as_user, session, distance_m, expected):
    household, lon, lat = household_in(session, dong_at(session, 0).id)
    near_lon, near_lat, _ = GEOD.fwd(lon, lat, 60.0, distance_m)
    created = client.post("/api/v1/reports", headers=as_user("dong01"),
                          json={"description": "난방이 끊긴 것 같아요", "lon": near_lon, "lat": near_lat})
    assert created.status_code == 201
    suggested = {(d["kind"], d["id"]): d for d in created.json()["possible_duplicates"]}
    assert (("household", household.id) in suggested) is expected
    if expected:
        assert suggested[("household", household.id)]["distance_m"] == pytest.approx(49.0, abs=0.2)
    # A second report next to the first suggests the first (an open report) as well.
    again = client.post("/api/v1/reports", headers=as_user("dong01"),
                        json={"description": "같은 집 이야기입니다", "lon": near_lon, "lat": near_lat})
    kinds = {(d["kind"], d["id"]) for d in again.json()["possible_duplicates"]}
    assert ("report", created.json()["id"]) in kinds


def test_same_normalised_address_is_a_duplicate_even_without_a_point(client, as_user, session):
    household, _, _ = household_in(session, dong_at(session, 0).id)
    spaced = "  서울  " + household.address.replace("서울특별시", "").replace(" ", "  ") + " "
    created = client.post("/api/v1/reports", headers=as_user("admin"),
                          json={"description": "주소로만 신고합니다", "address": spaced})
    body = created.json()
    match = next(d for d in body["possible_duplicates"] if d["kind"] == "household" and d["id"] == household.id)
    assert match["same_address"] is True and match["distance_m"] == 0.0
    assert body["location_source"] == "geocoded" and body["dong_id"] == household.dong_id


def test_sql_and_python_normalisation_agree(session):
    samples = ["서울특별시 서대문구 충현동 12-3", "서울 서대문구  통일로 ４５１，２층", "서대문구 홍은동 산 1-2 번지",
               "ＡＢＣ빌라 101동 – 3호", "  "]
    for text in samples:
        assert session.execute(select(normalised_sql(func.cast(text, Household.address.type)))).scalar_one() == \
            normalise_address(text), text


ADDRESS_ALPHABET = ("서울특별시대문구충현동홍은가좌로길번지층호아파트빌라산 \t,.-–—−()#/"
                    "０１２３４５６７８９0123456789ABCabcＡＢ")


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(alphabet=ADDRESS_ALPHABET, max_size=40))
def test_sql_normalisation_matches_python_for_any_address(session, text):
    sql = session.execute(select(normalised_sql(func.cast(text, Household.address.type)))).scalar_one()
    assert sql == normalise_address(text)


def test_geocoder_places_by_facility_name_and_dong_name(client, as_user, session):
    headers = as_user("admin")
    facility = session.execute(select(Facility, func.ST_X(Facility.geom), func.ST_Y(Facility.geom))
                               .join(Dong, Dong.id == Facility.dong_id)
                               .where(func.length(Facility.name) >= 8).order_by(Facility.id).limit(1)).first()
    assert facility is not None
    f, f_lon, f_lat = facility
    body = client.post("/api/v1/reports", headers=headers,
                       json={"description": "복지관 앞 골목 반지하", "address": f"{f.name} 앞 골목"}).json()
    row = report_row(session, body["id"])
    lon, lat = session.execute(select(func.ST_X(row.geom), func.ST_Y(row.geom))).one()
    assert (lon, lat) == pytest.approx((f_lon, f_lat)) and body["location_source"] == "geocoded"
    dong = dong_at(session, 4)
    body = client.post("/api/v1/reports", headers=headers,
                       json={"description": "동네 어딘가", "address": f"{dong.name} 시장 근처 골목"}).json()
    assert body["dong_id"] == dong.id and body["tract_id"] is None and body["location_source"] == "dong"
    assert body["needs_location"] is False


def test_unplaceable_report_is_kept_and_listed(client, as_user, session):
    created = client.post("/api/v1/reports", headers=as_user("tongjang01"),
                          json={"description": "어디인지 정확히 모르지만 도움이 필요해 보이는 분이 있어요",
                                "address": "큰길 건너 파란 대문 집"})
    assert created.status_code == 201
    body = created.json()
    assert body["status"] == "new" and body["dong_id"] is None and body["needs_location"] is True
    listed = client.get("/api/v1/reports?unplaced=true&limit=500", headers=as_user("district")).json()
    assert body["id"] in [i["id"] for i in listed["items"]]
    item = next(i for i in listed["items"] if i["id"] == body["id"])
    assert item["needs_location"] is True and item["history"][0]["reason"] == "위치 확인 필요"
    # The 통장's own dong sees it (their 통장 filed it); another dong does not.
    assert client.get(f"/api/v1/reports/{body['id']}", headers=as_user("dong01")).status_code == 200
    assert client.get(f"/api/v1/reports/{body['id']}", headers=as_user("dong05")).status_code == 404
    # Outside the district: kept with its point, dong unknown.
    outside = client.post("/api/v1/reports", headers=as_user("tongjang01"),
                          json={"description": "은평구 쪽 이야기", "lon": 126.9330, "lat": 37.6020}).json()
    assert outside["dong_id"] is None and outside["location_source"] == "point"


def test_convert_makes_a_white_household_on_the_map(client, as_user, session):
    dong = dong_at(session, 0)
    lon, lat = point_in(session, dong.geom)
    report = client.post("/api/v1/reports", headers=as_user("tongjang01"),
                         json={"description": "혼자 사는 어르신, 전기가 끊김", "lon": lon, "lat": lat,
                               "address": "서대문구 테스트로 1", "indicators": ["utility_cutoff"]}).json()
    headers = as_user("dong01")
    converted = client.post(f"/api/v1/reports/{report['id']}/convert", headers=headers,
                            json={"head_name": "김영희", "members": 1})
    assert converted.status_code == 201, converted.text
    household = converted.json()
    assert household["risk_level"] == "unvisited" and household["color"] == "#FFFFFF"
    assert household["dong_id"] == dong.id and household["address"] == "서대문구 테스트로 1"
    assert household["lon"] == pytest.approx(lon) and household["lat"] == pytest.approx(lat)
    row = report_row(session, report["id"])
    assert row.status == "converted" and row.household_id == household["id"]
    assert session.get(Household, household["id"]).source_report_id == report["id"]
    layer = client.get(f"/api/v1/layers/households?dong_id={dong.id}", headers=headers).json()
    feature = next(f for f in layer["features"] if f["properties"]["id"] == household["id"])
    assert feature["properties"]["color"] == "#FFFFFF" and feature["properties"]["risk_level"] == "unvisited"
    detail = client.get(f"/api/v1/reports/{report['id']}", headers=headers).json()
    assert detail["household_id"] == household["id"]
    assert [(h["status"], h["actor"]) for h in detail["history"]] == [("new", "tongjang01"),
                                                                      ("converted", "dong01")]
    by_household = client.get(f"/api/v1/reports?household_id={household['id']}", headers=headers).json()
    assert [i["id"] for i in by_household["items"]] == [report["id"]]
    again = client.post(f"/api/v1/reports/{report['id']}/convert", headers=headers, json={})
    assert again.status_code == 409
    # The reporter learns it was registered, not who or where the household is.
    mine = client.get(f"/api/v1/reports/{report['id']}", headers=as_user("tongjang01")).json()
    assert set(mine) == REPORTER_KEYS and mine["status"] == "converted" and "household" not in str(mine)


def test_convert_refuses_without_a_location_and_writes_nothing(client, as_user, session):
    report = client.post("/api/v1/reports", headers=as_user("tongjang01"),
                         json={"description": "위치를 모르는 신고입니다"}).json()
    households_before = session.execute(select(func.count()).select_from(Household)).scalar_one()
    answer = client.post(f"/api/v1/reports/{report['id']}/convert", headers=as_user("dong01"), json={})
    assert answer.status_code == 422 and "위치" in answer.json()["detail"]
    assert session.execute(select(func.count()).select_from(Household)).scalar_one() == households_before
    assert report_row(session, report["id"]).status == "new"
    # Placing it in another dong than the caller's is refused, and the report stays open.
    far = point_in(session, dong_at(session, 6).geom)
    refused = client.post(f"/api/v1/reports/{report['id']}/convert", headers=as_user("dong01"),
                          json={"lon": far[0], "lat": far[1]})
    assert refused.status_code == 403
    assert report_row(session, report["id"]).status == "new"
    assert session.execute(select(func.count()).select_from(Household)).scalar_one() == households_before
    ok = client.post(f"/api/v1/reports/{report['id']}/convert", headers=as_user("district"),
                     json={"lon": far[0], "lat": far[1], "address": "서대문구 어딘가 7"})
    assert ok.status_code == 201 and report_row(session, report["id"]).household_id == ok.json()["id"]


def test_dismiss_with_reason_and_the_tongjang_view(client, as_user, session):
    lon, lat = point_in(session, dong_at(session, 0).geom)
    filed = client.post("/api/v1/reports", headers=as_user("tongjang02"),
                        json={"description": "쓰레기가 쌓인 집", "lon": lon, "lat": lat}).json()
    headers = as_user("dong01")
    assert client.post(f"/api/v1/reports/{filed['id']}/dismiss", headers=headers, json={}).status_code == 422
    assert client.post(f"/api/v1/reports/{filed['id']}/dismiss", headers=headers,
                       json={"reason": " "}).status_code == 422
    reviewed = client.post(f"/api/v1/reports/{filed['id']}/review", headers=headers, json={"note": "확인 중"})
    assert reviewed.status_code == 200 and reviewed.json()["status"] == "reviewing"
    stale = client.post(f"/api/v1/reports/{filed['id']}/dismiss", headers=headers,
                        json={"reason": "이미 관리 중", "version": 1})
    assert stale.status_code == 409
    version = reviewed.json()["version"]
    dismissed = client.post(f"/api/v1/reports/{filed['id']}/dismiss", headers=headers,
                            json={"reason": "기초수급 가구로 이미 관리 중입니다.", "version": version})
    assert dismissed.status_code == 200 and dismissed.json()["status"] == "dismissed"
    history = dismissed.json()["history"]
    assert [(h["status"], h["actor"], h["reason"]) for h in history] == [
        ("new", "tongjang02", None), ("reviewing", "dong01", "확인 중"),
        ("dismissed", "dong01", "기초수급 가구로 이미 관리 중입니다.")]
    assert all(h["at"] for h in history)
    assert client.post(f"/api/v1/reports/{filed['id']}/dismiss", headers=headers,
                       json={"reason": "두 번째"}).status_code == 409

    tongjang = as_user("tongjang02")
    mine = client.get("/api/v1/reports?limit=500", headers=tongjang).json()
    assert mine["total"] >= 1 and all(set(i) == REPORTER_KEYS for i in mine["items"])
    item = next(i for i in mine["items"] if i["id"] == filed["id"])
    assert item["status"] == "dismissed" and "기초수급" in item["status_note"]
    assert [h["status"] for h in item["history"]] == ["new", "reviewing", "dismissed"]
    assert all(h["actor"] is None for h in item["history"])
    # Another 통장 of the same dong sees none of it.
    other = client.get("/api/v1/reports?limit=500", headers=as_user("tongjang01")).json()
    assert filed["id"] not in [i["id"] for i in other["items"]]
    assert client.get(f"/api/v1/reports/{filed['id']}", headers=as_user("tongjang01")).status_code == 404
    assert client.post(f"/api/v1/reports/{filed['id']}/review", headers=tongjang, json={}).status_code == 403


def test_tongjang_never_sees_household_details(client, as_user, session):
    household, lon, lat = household_in(session, dong_at(session, 0).id)
    body = client.post("/api/v1/reports", headers=as_user("tongjang01"),
                       json={"description": "이 집이 걱정됩니다", "lon": lon, "lat": lat,
                             "address": household.address}).json()
    assert body["possible_duplicates"] == []
    detail = client.get(f"/api/v1/reports/{body['id']}", headers=as_user("tongjang01")).json()
    assert set(detail) == REPORTER_KEYS
    text = str(detail)
    assert household.head_name not in text and str(household.id) not in str(detail.get("possible_duplicates", ""))
    staff = client.get(f"/api/v1/reports/{body['id']}", headers=as_user("dong01")).json()
    assert any(d["kind"] == "household" and d["id"] == household.id for d in staff["possible_duplicates"])
    for action in ("convert", "dismiss", "mark-duplicate"):
        answer = client.post(f"/api/v1/reports/{body['id']}/{action}", headers=as_user("tongjang01"),
                             json={"reason": "x y"} if action == "dismiss" else
                             ({"household_id": household.id} if action == "mark-duplicate" else {}))
        assert answer.status_code == 403, action
    partner = client.post("/api/v1/reports", headers=as_user("partner01"),
                          json={"description": "배달 중 본 집, 도시가스 중단 안내문", "lon": lon, "lat": lat})
    assert partner.status_code == 201 and partner.json()["possible_duplicates"] == []


def test_mark_duplicate_links_both_ways(client, as_user, session):
    household, lon, lat = household_in(session, dong_at(session, 0).id)
    headers = as_user("dong01")
    first = client.post("/api/v1/reports", headers=headers,
                        json={"description": "첫 신고", "lon": lon, "lat": lat}).json()
    second = client.post("/api/v1/reports", headers=headers,
                         json={"description": "같은 건 두 번째 신고", "lon": lon, "lat": lat}).json()
    assert {"kind": "report", "id": first["id"]}.items() <= next(
        d for d in second["possible_duplicates"] if d["kind"] == "report").items()
    assert client.post(f"/api/v1/reports/{second['id']}/mark-duplicate", headers=headers,
                       json={"report_id": second["id"]}).status_code == 422
    assert client.post(f"/api/v1/reports/{second['id']}/mark-duplicate", headers=headers,
                       json={"report_id": first["id"], "household_id": household.id}).status_code == 422
    marked = client.post(f"/api/v1/reports/{second['id']}/mark-duplicate", headers=headers,
                         json={"report_id": first["id"]})
    assert marked.status_code == 200 and marked.json()["status"] == "duplicate"
    assert marked.json()["duplicate_of_report_id"] == first["id"]
    original = client.get(f"/api/v1/reports/{first['id']}", headers=headers).json()
    assert original["duplicate_report_ids"] == [second["id"]]
    assert original["history"][-1]["reason"] == f"중복 신고 {second['receipt_no']} 연결"
    assert original["history"][-1]["actor"] == "dong01"
    # A duplicate of a duplicate points at the original.
    third = client.post("/api/v1/reports", headers=headers, json={"description": "세 번째"}).json()
    chained = client.post(f"/api/v1/reports/{third['id']}/mark-duplicate", headers=headers,
                          json={"report_id": second["id"]}).json()
    assert chained["duplicate_of_report_id"] == first["id"]
    # Duplicate of an existing household: the household side lists the report.
    fourth = client.post("/api/v1/reports", headers=headers, json={"description": "네 번째"}).json()
    to_household = client.post(f"/api/v1/reports/{fourth['id']}/mark-duplicate", headers=headers,
                               json={"household_id": household.id, "reason": "이미 관리 중인 가구"}).json()
    assert to_household["household_id"] == household.id and to_household["status_reason"] == "이미 관리 중인 가구"
    linked = client.get(f"/api/v1/reports?household_id={household.id}", headers=headers).json()
    assert fourth["id"] in [i["id"] for i in linked["items"]]
    foreign, _, _ = household_in(session, dong_at(session, 3).id)
    fifth = client.post("/api/v1/reports", headers=headers, json={"description": "다섯 번째"}).json()
    assert client.post(f"/api/v1/reports/{fifth['id']}/mark-duplicate", headers=headers,
                       json={"household_id": foreign.id}).status_code == 404


@pytest.mark.parametrize("body, fragment", [
    ({}, "description"),
    ({"description": ""}, "description"),
    ({"description": "x", "lon": 126.95}, "lon과 lat"),
    ({"description": "x", "lon": 37.56, "lat": 126.95}, "lat"),
    ({"description": "x", "lon": 2.35, "lat": 48.85}, "대한민국"),
    ({"description": "x", "indicators": ["nope"]}, "indicators"),
    ({"description": "x", "unknown": 1}, "unknown"),
    ({"description": "x\x00y"}, "NUL"),
])
def test_bad_input_is_refused_in_korean_and_writes_nothing(client, as_user, session, body, fragment):
    before = session.execute(select(func.count()).select_from(Report)).scalar_one()
    answer = client.post("/api/v1/reports", headers=as_user("tongjang01"), json=body)
    assert answer.status_code == 422 and fragment in answer.text
    assert session.execute(select(func.count()).select_from(Report)).scalar_one() == before


def test_unauthenticated_and_bad_filters(client, as_user):
    assert client.post("/api/v1/reports", json={"description": "x"}).status_code == 401
    assert client.get("/api/v1/reports").status_code == 401
    headers = as_user("dong01")
    assert client.get("/api/v1/reports?status=open", headers=headers).status_code == 422
    assert client.get("/api/v1/reports/999999999", headers=headers).status_code == 404
    assert client.post("/api/v1/reports", headers={**headers, "Content-Type": "application/json"},
                       content=b"{not json").status_code == 422
    assert client.post("/api/v1/reports", headers=headers, json=["a"]).status_code == 422


def test_rate_limit_per_user(client, as_user, app):
    app.state.rate_limiter = own_limits({"report_user": Rule(capacity=2, per_second=0.001)})
    headers = as_user("tongjang03")
    codes = [client.post("/api/v1/reports", headers=headers, json={"description": f"연속 신고 {i}"}).status_code
             for i in range(3)]
    assert codes == [201, 201, 429]
    assert client.post("/api/v1/reports", headers=as_user("tongjang01"),
                       json={"description": "다른 사람은 괜찮음"}).status_code == 201




def test_an_address_only_the_address_table_knows_places_the_report_at_its_building(client, as_user, session):
    """A 통장 writes an address no household or facility has yet: the 도로명주소 table still places it, at the
    building's entrance, and the household made from it says so (not `approximate`)."""
    dong = dong_at(session, 0)
    lon, lat = point_in(session, dong.geom)
    x, y = TO_5179.transform(lon, lat)
    line = entrance(990001, "시험새길", 7, xy=(x, y), code="114103999999", dong="창천동", dong_code="1141011000",
                    sigungu=("11410", "서대문구"))
    load_stream(session, io.BytesIO(cp949([line])), "entrc_seoul.txt")
    report = client.post("/api/v1/reports", headers=as_user("tongjang01"),
                         json={"description": "새로 이사 온 어르신이 혼자 지내요",
                               "address": "서대문구 시험새길 7 2층"})
    assert report.status_code == 201, report.text
    body = report.json()
    assert body["location_source"] == "geocoded" and body["dong_id"] == dong.id
    row = report_row(session, body["id"])
    placed = session.execute(select(func.ST_X(row.geom), func.ST_Y(row.geom))).one()
    assert placed == pytest.approx((lon, lat), abs=1e-6)
    household = client.post(f"/api/v1/reports/{body['id']}/convert", headers=as_user("dong01"),
                            json={"head_name": "이새집"}).json()
    assert household["placement"] == "entrance" and household["address"] == "서대문구 시험새길 7 2층"
