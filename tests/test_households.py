"""Household API: scope, create/patch/close, stale versions, and bad input that writes nothing."""
import json
import threading

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, func, select
from sqlalchemy.orm import sessionmaker

from app.db import get_session
from app.geo.crs import KOREA_CENTRAL, from_lonlat
from app.households.models import Household
from app.tracts.models import Dong
from tests.conftest import fresh_database, login

# A point inside 충현동 (서대문구) and one inside 녹번동 (은평구, outside the deployment).
INSIDE = (126.9560, 37.5640)
EUNPYEONG = (126.9330, 37.6020)


def _dong_of(session, username_dong_index: int) -> Dong:
    return session.execute(select(Dong).order_by(Dong.code).offset(username_dong_index).limit(1)).scalar_one()


def _household_in(session, dong_id: int) -> Household:
    return session.execute(select(Household).where(Household.dong_id == dong_id).limit(1)).scalar_one()


def _inside_point(session, dong: Dong) -> tuple[float, float]:
    lon, lat = session.execute(select(func.ST_X(func.ST_PointOnSurface(dong.geom)),
                                      func.ST_Y(func.ST_PointOnSurface(dong.geom)))).one()
    return lon, lat


def _count(session) -> int:
    return session.execute(select(func.count()).select_from(Household)).scalar_one()


def test_dong_staff_sees_only_their_dong(client, as_user, session):
    mine, other = _dong_of(session, 0), _dong_of(session, 1)
    headers = as_user("dong01")
    listed = client.get("/api/v1/households?limit=500", headers=headers).json()
    assert listed["total"] > 0 and {h["dong_id"] for h in listed["items"]} == {mine.id}
    own = _household_in(session, mine.id)
    assert client.get(f"/api/v1/households/{own.id}", headers=headers).status_code == 200
    foreign = _household_in(session, other.id)
    for path in (f"/api/v1/households/{foreign.id}", f"/api/v1/households?dong_id={other.id}",
                 f"/api/v1/layers/households?dong_id={other.id}", f"/api/v1/layers/tracts?dong_id={other.id}",
                 "/api/v1/households/999999999"):
        assert client.get(path, headers=headers).status_code == 404, path
    patch = client.patch(f"/api/v1/households/{foreign.id}", headers=headers,
                         json={"members": 2, "version": foreign.version})
    assert patch.status_code == 404


def test_layer_counts_and_colours(client, as_user):
    body = client.get("/api/v1/layers/households", headers=as_user("admin"))
    assert body.headers["content-type"].startswith("application/geo+json")
    features = body.json()["features"]
    assert len(features) == 10_497
    colours = {f["properties"]["risk_level"]: f["properties"]["color"] for f in features}
    assert colours == {"high": "#E53935", "medium": "#FB8C00", "low": "#1E88E5", "unvisited": "#FFFFFF"}
    assert set(features[0]["properties"]) == {"id", "risk_level", "color", "overdue"}


def test_bbox_filters_layer(client, as_user):
    headers = as_user("admin")
    box = "126.93,37.56,126.95,37.58"
    features = client.get(f"/api/v1/layers/households?bbox={box}", headers=headers).json()["features"]
    assert 0 < len(features) < 10_497
    for f in features:
        lon, lat = f["geometry"]["coordinates"]
        eps = 1e-6  # the layer writes 6 decimals (about 0.1 m)
        assert 126.93 - eps <= lon <= 126.95 + eps and 37.56 - eps <= lat <= 37.58 + eps


def test_tract_colour_rule(client, as_user, session):
    features = client.get("/api/v1/layers/tracts", headers=as_user("admin")).json()["features"]
    assert len(features) >= 14 * 20
    order = ["high", "medium", "unvisited", "low"]
    for f in features:
        counts = f["properties"]["counts"]
        expected = next((lvl for lvl in order if counts[lvl] > 0), None)
        assert f["properties"]["risk_level"] == expected
        hexes = {"high": "#E53935", "medium": "#FB8C00", "low": "#1E88E5", "unvisited": "#FFFFFF", None: "#9E9E9E"}
        assert f["properties"]["color"] == hexes[expected]
    # An emptied tract turns grey; a tract whose only active household is low turns blue.
    tract_id = features[0]["properties"]["id"]
    households = session.execute(select(Household).where(Household.tract_id == tract_id)).scalars().all()
    for h in households:
        h.status = "closed"
    session.flush()
    emptied = client.get("/api/v1/layers/tracts", headers=as_user("admin")).json()["features"]
    grey = next(f for f in emptied if f["properties"]["id"] == tract_id)["properties"]
    assert grey["color"] == "#9E9E9E" and grey["risk_level"] is None and grey["household_count"] == 0
    households[0].status, households[0].risk_level = "active", "low"
    session.flush()
    blue = next(f for f in client.get("/api/v1/layers/tracts", headers=as_user("admin")).json()["features"]
                if f["properties"]["id"] == tract_id)["properties"]
    assert blue["color"] == "#1E88E5"


def test_create_household_finds_dong_and_tract(client, as_user, session):
    dong = _dong_of(session, 0)
    lon, lat = _inside_point(session, dong)
    response = client.post("/api/v1/households", headers=as_user("dong01"),
                           json={"head_name": "홍길동", "address": "서울특별시 서대문구 테스트로 1", "lon": lon,
                                 "lat": lat, "members": 2, "phone": "010-1234-5678"})
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["dong_id"] == dong.id and body["tract_id"] is not None
    assert body["risk_level"] == "unvisited" and body["color"] == "#FFFFFF" and body["version"] == 1
    read = client.get(f"/api/v1/households/{body['id']}", headers=as_user("dong01")).json()
    assert read["head_name"] == "홍*동" and read["phone"] == "010-1234-****"


def test_create_household_from_korean_plane_coordinates(client, as_user, session):
    dong = _dong_of(session, 0)
    lon, lat = _inside_point(session, dong)
    x, y = from_lonlat(lon, lat, KOREA_CENTRAL)
    response = client.post("/api/v1/households", headers=as_user("dong01"),
                           json={"head_name": "김철수", "address": "서대문구 어딘가 2", "x": x, "y": y,
                                 "crs": "EPSG:5186"})
    assert response.status_code == 201, response.text
    assert abs(response.json()["lon"] - lon) < 1e-6 and abs(response.json()["lat"] - lat) < 1e-6


def test_dong_staff_cannot_create_in_another_dong(client, as_user, session):
    lon, lat = _inside_point(session, _dong_of(session, 1))
    before = _count(session)
    response = client.post("/api/v1/households", headers=as_user("dong01"),
                           json={"head_name": "김철수", "address": "주소 3", "lon": lon, "lat": lat})
    assert response.status_code == 403 and _count(session) == before


def test_patch_with_stale_version_is_409(client, as_user, session):
    own = _household_in(session, _dong_of(session, 0).id)
    household_id, read_version = own.id, own.version
    headers = as_user("dong01")
    first = client.patch(f"/api/v1/households/{household_id}", headers=headers,
                         json={"members": 3, "version": read_version})
    assert first.status_code == 200 and first.json()["version"] == read_version + 1
    stale = client.patch(f"/api/v1/households/{household_id}", headers=headers,
                         json={"members": 4, "version": read_version})
    assert stale.status_code == 409 and "다른 사용자" in stale.json()["detail"]
    by_header = client.patch(f"/api/v1/households/{household_id}",
                             headers={**headers, "If-Match": f'"{read_version + 1}"'}, json={"members": 5})
    assert by_header.status_code == 200 and by_header.json()["members"] == 5
    missing = client.patch(f"/api/v1/households/{household_id}", headers=headers, json={"members": 6})
    assert missing.status_code == 422


def test_close_keeps_history_and_hides_from_layer(client, as_user, session):
    own = _household_in(session, _dong_of(session, 0).id)
    headers = as_user("dong01")
    closed = client.post(f"/api/v1/households/{own.id}/close", headers=headers,
                         json={"reason": "moved_out", "version": own.version})
    assert closed.status_code == 200 and closed.json()["status"] == "closed"
    ids = {f["id"] for f in client.get("/api/v1/layers/households", headers=headers).json()["features"]}
    assert own.id not in ids
    again = client.post(f"/api/v1/households/{own.id}/close", headers=headers,
                        json={"reason": "moved_out", "version": closed.json()["version"]})
    assert again.status_code == 409


def test_list_filters_sort_and_paging(client, as_user):
    headers = as_user("admin")
    high = client.get("/api/v1/households?risk=high&limit=500", headers=headers).json()
    assert high["total"] == 36 and all(h["risk_level"] == "high" for h in high["items"])
    urgent = client.get("/api/v1/households?sort=risk&limit=100", headers=headers).json()["items"]
    assert [h["risk_level"] for h in urgent[:36]] == ["high"] * 36 and urgent[36]["risk_level"] == "medium"
    page2 = client.get("/api/v1/households?sort=address&limit=10&offset=10", headers=headers).json()
    page1 = client.get("/api/v1/households?sort=address&limit=10", headers=headers).json()
    assert not {h["id"] for h in page1["items"]} & {h["id"] for h in page2["items"]}
    overdue = client.get("/api/v1/households?overdue=true&limit=5", headers=headers).json()
    assert all(h["overdue"] for h in overdue["items"])


BAD_BODIES = [
    ("swapped lat/lon", {"lon": 37.57, "lat": 126.95}, "뒤바뀐"),
    ("outside the district", {"lon": EUNPYEONG[0], "lat": EUNPYEONG[1]}, "관할 구역 밖"),
    ("outside Korea", {"lon": 2.35, "lat": 48.85}, "대한민국"),
    ("out of range", {"lon": 500, "lat": 37.5}, "lon"),
    ("unknown field", {"lon": INSIDE[0], "lat": INSIDE[1], "income": 100}, "알 수 없는 항목"),
    ("NUL character", {"lon": INSIDE[0], "lat": INSIDE[1], "head_name": "김\x00철수"}, "NUL"),
    ("members out of range", {"lon": INSIDE[0], "lat": INSIDE[1], "members": 1000}, "members"),
    ("half a location", {"lon": INSIDE[0]}, "lat"),
    ("unknown CRS", {"x": 200000, "y": 550000, "crs": "EPSG:3857"}, "crs"),
]


@pytest.mark.parametrize("label,fields,hint", BAD_BODIES, ids=[b[0] for b in BAD_BODIES])
def test_bad_household_input_is_a_korean_422_and_writes_nothing(client, as_user, session, label, fields, hint):
    body = {"head_name": "김철수", "address": "서대문구 주소 1"} | fields
    before = _count(session)
    response = client.post("/api/v1/households", headers=as_user("admin"), json=body)
    assert response.status_code == 422, response.text
    detail = response.json()["detail"]
    assert hint in detail and any("\uac00" <= ch <= "\ud7a3" for ch in detail)
    assert _count(session) == before


@pytest.mark.parametrize("raw", ['{"head_name":"김","address":"주소","lon":NaN,"lat":37.5}',
                                 '{"head_name":"김","address":"주소","lon":Infinity,"lat":37.5}',
                                 '{"head_name":"김","address":"주소","lon":1e400,"lat":37.5}',
                                 '{"head_name":"김","address":',
                                 '[1,2,3]'])
def test_non_finite_and_malformed_json_is_422(client, as_user, session, raw):
    before = _count(session)
    response = client.post("/api/v1/households", headers={**as_user("admin"), "Content-Type": "application/json"},
                           content=raw)
    assert response.status_code == 422
    json.dumps(response.json())  # the answer itself is valid JSON (no NaN echoed back)
    assert _count(session) == before


@pytest.mark.parametrize("bbox,hint", [
    ("126.95,37.58,126.93,37.56", "뒤집"),
    ("126.93,37.56,126.95,37.58,1", "네 개"),
    ("120,30,130,40", "너무 큽니다"),
    ("a,b,c,d", "숫자"),
    ("nan,37.5,127,37.6", "NaN"),
    ("126.93,37.56,126.95,95", "범위"),
])
def test_malformed_bbox_is_422(client, as_user, bbox, hint):
    response = client.get(f"/api/v1/layers/households?bbox={bbox}", headers=as_user("admin"))
    assert response.status_code == 422 and hint in response.json()["detail"]


@pytest.mark.parametrize("query", ["risk=extreme", "need=money", "dong_id=99999999999999", "limit=501", "limit=0",
                                   "offset=-1", "sort=name", "q=%00"])
def test_bad_list_parameters_are_422(client, as_user, query):
    response = client.get(f"/api/v1/households?{query}", headers=as_user("admin"))
    assert response.status_code == 422, response.text
    assert any("\uac00" <= ch <= "\ud7a3" for ch in response.json()["detail"])


def test_concurrent_stale_patches_one_wins(pg_server, seeded_template):
    """Two officials PATCH the same version at the same moment over real connections: one 200, one 409."""
    from app.main import create_app

    url = fresh_database(pg_server, seeded_template)
    engine = create_engine(url, pool_size=5)
    factory = sessionmaker(bind=engine, expire_on_commit=False)

    def real_session():
        with factory() as s:
            yield s

    application = create_app()
    application.dependency_overrides[get_session] = real_session
    client = TestClient(application)
    headers = login(client, "admin")
    with factory() as s:
        target = s.execute(select(Household).limit(1)).scalar_one()
        household_id, version = target.id, target.version
    results: list[int] = []
    barrier = threading.Barrier(2)

    def patch(members: int):
        barrier.wait()
        r = client.patch(f"/api/v1/households/{household_id}", headers=headers,
                         json={"members": members, "version": version})
        results.append(r.status_code)

    threads = [threading.Thread(target=patch, args=(n,)) for n in (2, 3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [200, 409]
    with factory() as s:
        assert s.get(Household, household_id).version == version + 1
    engine.dispose()
