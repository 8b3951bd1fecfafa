"""Open311 GeoReport v2, driven as FixMyStreet does (XML, form-encoded POST) and as the `georeport`
Python client does (JSON GETs: services, definitions, requests, requests/{id} taking element [0])."""
import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.config import get_settings
from app.households.models import Household
from app.ratelimit import Rule
from app.reports.models import Report
from app.tracts.models import Dong
from app.vocab import INDICATORS
from tests.conftest import own_limits

BASE = "/open311/v2"
API_KEY = "local-open311-key"
JURISDICTION = "11410"


def xml(answer) -> ET.Element:
    assert answer.headers["content-type"].startswith("text/xml")
    assert answer.content.startswith(b"<?xml")
    return ET.fromstring(answer.content)


def point_in_dong(session, index: int) -> tuple[Dong, float, float]:
    dong = session.execute(select(Dong).order_by(Dong.code).offset(index).limit(1)).scalar_one()
    lon, lat = session.execute(select(func.ST_X(func.ST_PointOnSurface(dong.geom)),
                                      func.ST_Y(func.ST_PointOnSurface(dong.geom)))).one()
    return dong, lon, lat


def fixmystreet_post(client, **overrides):
    """POST requests.xml the way FixMyStreet's Open311 sender fills it."""
    form = {"api_key": API_KEY, "jurisdiction_id": JURISDICTION, "service_code": "utility_cutoff",
            "email": "reporter@example.org", "first_name": "민수", "last_name": "이", "phone": "010-2222-3333",
            "description": "계량기 옆에 단수 예고장이 여러 장 붙어 있고 인기척이 없습니다.",
            "media_url": "https://photos.example.org/r/123.jpg",
            "attribute[immediate_danger]": "no", "attribute[other_indicators][]": ["isolation", "debt"],
            "attribute[fixmystreet_id]": "4711", "attribute[title]": "단수 예고장"}
    form.update(overrides)
    form = {k: v for k, v in form.items() if v is not None}
    return client.post(f"{BASE}/requests.xml", data=form)


def test_discovery_in_both_formats(client):
    data = client.get(f"{BASE}/discovery.json").json()
    endpoint = data["endpoints"][0]
    assert endpoint["specification"].endswith("GeoReport_v2") and endpoint["url"].endswith("/open311/v2")
    assert set(endpoint["formats"]) == {"text/xml", "application/json"}
    root = xml(client.get(f"{BASE}/discovery.xml"))
    assert root.tag == "discovery" and root.find("endpoints/endpoint/specification") is not None
    assert [f.text for f in root.findall("endpoints/endpoint/formats/format")] == ["text/xml", "application/json"]


def test_services_one_per_category_with_korean_names(client):
    services = client.get(f"{BASE}/services.json").json()  # georeport: get_service_list()
    assert isinstance(services, list) and [s["service_code"] for s in services] == list(INDICATORS)
    assert all(s["service_name"] == INDICATORS[s["service_code"]] and s["metadata"] is True for s in services)
    assert all(s["type"] == "realtime" and s["group"] for s in services)
    root = xml(client.get(f"{BASE}/services.xml", params={"jurisdiction_id": JURISDICTION}))
    assert root.tag == "services"
    codes = [s.findtext("service_code") for s in root.findall("service")]
    assert codes == list(INDICATORS)
    first = root.find("service")
    assert first.findtext("service_name") == "단전·단수·단가스" and first.findtext("metadata") == "true"


def test_service_definition_with_attributes(client):
    definition = client.get(f"{BASE}/services/isolation.json").json()  # georeport: get_service_definition()
    assert definition["service_code"] == "isolation"
    attributes = {a["code"]: a for a in definition["attributes"]}
    assert attributes["immediate_danger"]["datatype"] == "singlevaluelist"
    assert {v["key"] for v in attributes["other_indicators"]["values"]} == set(INDICATORS)
    assert sorted(a["order"] for a in definition["attributes"]) == list(range(1, len(attributes) + 1))
    assert all(a["variable"] is True and isinstance(a["required"], bool) for a in definition["attributes"])
    root = xml(client.get(f"{BASE}/services/isolation.xml"))
    assert root.tag == "service_definition" and root.findtext("service_code") == "isolation"
    attribute = root.find("attributes/attribute")
    assert attribute.findtext("variable") == "true" and attribute.findtext("code") == "immediate_danger"
    assert [v.findtext("key") for v in attribute.findall("values/value")] == ["yes", "no"]


def test_fixmystreet_posts_xml_and_follows_the_request_until_closed(client, session, as_user):
    dong, lon, lat = point_in_dong(session, 3)
    answer = fixmystreet_post(client, lat=str(lat), long=str(lon))
    assert answer.status_code == 200, answer.text
    root = xml(answer)
    assert root.tag == "service_requests"
    request_id = root.findtext("request/service_request_id")
    assert request_id and request_id.startswith("R-") and root.findtext("request/service_notice")
    assert root.find("request/token") is None  # an id is returned, so no token
    report = session.execute(select(Report).where(Report.receipt_no == request_id)).scalar_one()
    assert report.channel == "open311" and report.dong_id == dong.id and report.category == "utility_cutoff"
    assert report.indicators == ["utility_cutoff", "isolation", "debt"]
    assert "이 민수" in report.reporter_contact and "010-2222-3333" in report.reporter_contact
    assert "[사진 링크] https://photos.example.org/r/123.jpg" in report.description

    mine = xml(client.get(f"{BASE}/requests/{request_id}.xml", params={"api_key": API_KEY}))
    request = mine.find("request")
    assert request.findtext("status") == "open" and request.findtext("service_code") == "utility_cutoff"
    assert request.findtext("description").startswith("계량기 옆에") and float(request.findtext("lat")) == \
        pytest.approx(lat)
    assert request.findtext("agency_responsible") == f"{dong.name} 주민센터"

    client.post(f"/api/v1/reports/{report.id}/dismiss", headers=as_user("district"),
                json={"reason": "현장 확인 결과 공가(빈집)입니다."})
    closed = xml(client.get(f"{BASE}/requests/{request_id}.xml", params={"api_key": API_KEY})).find("request")
    assert closed.findtext("status") == "closed" and "공가" in closed.findtext("status_notes")
    listed = xml(client.get(f"{BASE}/requests.xml", params={"status": "closed", "service_code": "utility_cutoff",
                                                           "jurisdiction_id": JURISDICTION}))
    assert request_id in [r.findtext("service_request_id") for r in listed.findall("request")]
    still_open = xml(client.get(f"{BASE}/requests.xml", params={"status": "open"}))
    assert request_id not in [r.findtext("service_request_id") for r in still_open.findall("request")]


def test_georeport_client_reads_json(client, session, as_user):
    _, lon, lat = point_in_dong(session, 0)
    created = client.post(f"{BASE}/requests.json", data={
        "api_key": API_KEY, "service_code": "rent_arrears", "lat": lat, "long": lon,
        "description": "월세가 몇 달째 밀렸다고 들었습니다.", "attribute[household_size]": "3"})
    assert created.status_code == 200
    body = created.json()
    assert isinstance(body, list) and len(body) == 1
    request_id = body[0]["service_request_id"]
    # georeport: get_service_request() takes response.json()[0]
    single = client.get(f"{BASE}/requests/{request_id}.json").json()
    assert isinstance(single, list) and len(single) == 1 and single[0]["service_request_id"] == request_id
    assert single[0]["status"] == "open" and single[0]["service_name"] == "월세·관리비 체납"
    # Without the key: no text, address, position or contact (personal data).
    assert single[0]["description"] is None and single[0]["lat"] is None and single[0]["address"] is None
    keyed = client.get(f"{BASE}/requests/{request_id}.json", params={"api_key": API_KEY}).json()[0]
    assert "[가구원 수] 3" in keyed["description"] and keyed["long"] == pytest.approx(lon)
    # georeport: get_service_requests(service_request_id=..., status=...)
    several = client.get(f"{BASE}/requests.json", params={"service_request_id": f"{request_id},R-19990101-0001"})
    assert [r["service_request_id"] for r in several.json()] == [request_id]
    now = get_settings().now()
    window = client.get(f"{BASE}/requests.json", params={
        "start_date": (now - timedelta(days=1)).isoformat(), "end_date": (now + timedelta(minutes=1)).isoformat(),
        "status": "open,closed", "service_code": "rent_arrears,debt"}).json()
    assert request_id in [r["service_request_id"] for r in window]
    assert client.get(f"{BASE}/requests.json", params={"start_date": "2000-01-01T00:00:00Z",
                                                       "end_date": "2000-01-02T00:00:00Z"}).json() == []
    token = client.get(f"{BASE}/tokens/{request_id}.json").json()
    assert token == [{"service_request_id": request_id, "token": request_id}]
    token_xml = xml(client.get(f"{BASE}/tokens/{request_id}.xml"))
    assert token_xml.findtext("request/service_request_id") == request_id
    # Converted in the queue → closed with a note that names no household.
    report = session.execute(select(Report).where(Report.receipt_no == request_id)).scalar_one()
    converted = client.post(f"/api/v1/reports/{report.id}/convert", headers=as_user("dong01"), json={})
    assert converted.status_code == 201
    after = client.get(f"{BASE}/requests/{request_id}.json", params={"api_key": API_KEY}).json()[0]
    assert after["status"] == "closed" and "등록" in after["status_notes"]
    assert str(converted.json()["id"]) not in after["status_notes"]


def test_address_string_only_is_geocoded_or_kept_unplaced(client, session):
    household = session.execute(select(Household).where(Household.status == "active").order_by(Household.id)
                                .limit(1)).scalar_one()
    placed = client.post(f"{BASE}/requests.json", data={
        "api_key": API_KEY, "service_code": "housing_crisis", "address_string": household.address,
        "description": "퇴거 통보를 받았다고 합니다."}).json()[0]["service_request_id"]
    report = session.execute(select(Report).where(Report.receipt_no == placed)).scalar_one()
    assert report.dong_id == household.dong_id and report.location_source == "geocoded"
    unplaced = client.post(f"{BASE}/requests.json", data={
        "api_key": API_KEY, "service_code": "other", "address_string": "시장 뒤편 어딘가",
        "description": "위치를 설명하기 어렵습니다."})
    assert unplaced.status_code == 200
    kept = session.execute(select(Report).where(
        Report.receipt_no == unplaced.json()[0]["service_request_id"])).scalar_one()
    assert kept.dong_id is None and kept.status == "new"


def test_reports_from_other_channels_are_not_open311_requests(client, as_user):
    web = client.post("/api/v1/reports", headers=as_user("tongjang01"), json={"description": "통장 신고"}).json()
    for path in (f"requests/{web['receipt_no']}.json", f"tokens/{web['receipt_no']}.json"):
        assert client.get(f"{BASE}/{path}", params={"api_key": API_KEY}).status_code == 404
    listed = client.get(f"{BASE}/requests.json", params={"service_request_id": web["receipt_no"]}).json()
    assert listed == []


def test_resending_the_same_request_returns_the_same_id(client, session):
    form = {"api_key": API_KEY, "service_code": "debt", "address_string": "어느 골목",
            "description": "재시도된 같은 요청"}
    first = client.post(f"{BASE}/requests.json", data=form).json()[0]["service_request_id"]
    second = client.post(f"{BASE}/requests.json", data=form).json()[0]["service_request_id"]
    assert first == second
    assert session.execute(select(func.count()).select_from(Report).where(Report.receipt_no == first)) \
        .scalar_one() == 1


def _error(answer, fmt: str) -> tuple[int, str]:
    if fmt == "json":
        body = answer.json()
        assert isinstance(body, list) and set(body[0]) == {"code", "description"}
        return body[0]["code"], body[0]["description"]
    root = xml(answer)
    assert root.tag == "errors"
    return int(root.findtext("error/code")), root.findtext("error/description")


@pytest.mark.parametrize("fmt", ["json", "xml"])
@pytest.mark.parametrize("form, status", [
    ({"api_key": "wrong"}, 403),
    ({"api_key": None}, 403),
    ({"service_code": None}, 400),
    ({"service_code": "pothole"}, 404),
    ({"lat": None, "long": None, "address_string": None}, 400),
    ({"lat": "37.5", "long": None}, 400),
    ({"lat": "abc", "long": "126.9"}, 400),
    ({"lat": "48.85", "long": "2.35"}, 400),
    ({"attribute[immediate_danger]": "maybe"}, 400),
    ({"attribute[household_size]": "0"}, 400),
    ({"description": "x" * 4001}, 400),
])
def test_post_errors_are_code_description_lists(client, session, fmt, form, status):
    before = session.execute(select(func.count()).select_from(Report)).scalar_one()
    base = {"api_key": API_KEY, "service_code": "debt", "lat": "37.57", "long": "126.94", "description": "오류 확인"}
    base.update(form)
    answer = client.post(f"{BASE}/requests.{fmt}", data={k: v for k, v in base.items() if v is not None})
    assert answer.status_code == status
    code, description = _error(answer, fmt)
    assert code == status and description and not description.isascii()
    assert session.execute(select(func.count()).select_from(Report)).scalar_one() == before


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_get_errors(client, fmt):
    assert _error(client.get(f"{BASE}/requests/R-19990101-0001.{fmt}"), fmt)[0] == 404
    assert _error(client.get(f"{BASE}/services/pothole.{fmt}"), fmt)[0] == 404
    assert _error(client.get(f"{BASE}/tokens/nothing.{fmt}"), fmt)[0] == 404
    assert _error(client.get(f"{BASE}/services.{fmt}", params={"jurisdiction_id": "99999"}), fmt)[0] == 404
    assert _error(client.get(f"{BASE}/requests.{fmt}", params={"start_date": "yesterday"}), fmt)[0] == 400
    assert _error(client.get(f"{BASE}/requests.{fmt}", params={"status": "pending"}), fmt)[0] == 400
    assert _error(client.get(f"{BASE}/requests.{fmt}", params={"start_date": "2026-01-01T00:00:00Z",
                                                               "end_date": "2026-12-01T00:00:00Z"}), fmt)[0] == 400
    answer = client.get(f"{BASE}/services.csv")
    assert answer.status_code == 400 and answer.json()[0]["code"] == 400


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_nul_ids_and_far_dates_are_spec_errors_not_500(client, fmt):
    for path in ("requests/R-20260101%000001", "tokens/R-20260101%000001"):
        answer = client.get(f"{BASE}/{path}.{fmt}")
        assert answer.status_code == 404
        code, description = _error(answer, fmt)
        assert code == 404 and not description.isascii()
    cases = [{"service_request_id": "R-20260101-0001,R\x00"}, {"end_date": "0001-01-05T00:00:00"},
             {"start_date": "0001-01-01T00:00:00Z"}, {"end_date": "9999-12-31T23:59:59"}]
    for params in cases:
        answer = client.get(f"{BASE}/requests.{fmt}", params=params)
        assert answer.status_code == 400, params
        code, description = _error(answer, fmt)
        assert code == 400 and not description.isascii()


def test_json_form_body_is_refused_and_xml_is_never_parsed(client):
    answer = client.post(f"{BASE}/requests.json", json={"api_key": API_KEY, "service_code": "debt"})
    assert answer.status_code == 400 and answer.json()[0]["code"] == 400
    with_file = client.post(f"{BASE}/requests.json", data={"api_key": API_KEY, "service_code": "debt"},
                            files=[("media", ("a.jpg", b"\xff\xd8\xff", "image/jpeg"))])
    assert with_file.status_code == 400 and not with_file.json()[0]["description"].isascii()
    bomb = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>'
    answer = client.post(f"{BASE}/requests.xml", content=bomb, headers={"Content-Type": "text/xml"})
    assert answer.status_code == 400 and xml(answer).tag == "errors"


def test_oversized_post_is_413_and_rate_limit_per_key(client, app, session):
    big = client.post(f"{BASE}/requests.json", data={"api_key": API_KEY, "service_code": "debt",
                                                     "address_string": "x", "description": "가" * 200_000})
    assert big.status_code == 413 and big.json()[0]["code"] == 413
    app.state.rate_limiter = own_limits({"open311_key": Rule(capacity=1, per_second=0.001)})
    form = {"api_key": API_KEY, "service_code": "debt", "address_string": "어딘가"}
    assert client.post(f"{BASE}/requests.json", data={**form, "description": "첫 번째"}).status_code == 200
    limited = client.post(f"{BASE}/requests.json", data={**form, "description": "두 번째"})
    assert limited.status_code == 429 and limited.json()[0]["code"] == 429
