"""The phone's round of a tract: the printout's walking order, masked as the list, scoped, recorded, bad start."""
import re

import pytest
from sqlalchemy import select

from app.access.models import AccessRecord
from app.geo.crs import to_metric
from app.households.models import Household
from app.policy.principal import Principal
from app.printing import service as printing
from app.printing.route import path_length, walking_order
from app.printing.schemas import PrintOptions
from app.tracts.models import Tract
from tests.conftest import busiest_tract, me

HANGUL = re.compile(r"[가-힣]")


def _round(client, headers, tract_id: int, **params):
    return client.get(f"/api/v1/rounds/tracts/{tract_id}", params=params, headers=headers)


def _last_record(session) -> AccessRecord | None:
    session.expire_all()
    return session.execute(select(AccessRecord).order_by(AccessRecord.id.desc()).limit(1)).scalar_one_or_none()


def _last_id(session) -> int:
    last = _last_record(session)
    return last.id if last else 0


def _printed_order(session, principal: Principal, tract_id: int, **options) -> list[int]:
    job = printing.tract_job(session, principal, tract_id, PrintOptions(purpose="비교", **options))
    return [s.household["id"] for s in job.sheets[0].stops]


def _dong01(session) -> Principal:
    from app.auth.models import User, UserDong
    user = session.execute(select(User).where(User.username == "dong01")).scalar_one()
    dongs = frozenset(session.scalars(select(UserDong.dong_id).where(UserDong.user_id == user.id)))
    return Principal(user_id=user.id, username="dong01", role="dong_staff", dong_ids=dongs)


def test_the_round_is_the_printouts_walking_order_from_the_office(client, dong01, session):
    headers, dong_id, tract = dong01
    r = _round(client, headers, tract["id"])
    assert r.status_code == 200, r.text
    body = r.json()
    stops = body["households"]
    assert len(stops) == tract["household_count"] > 10
    assert [s["order"] for s in stops] == list(range(1, len(stops) + 1))
    assert [s["id"] for s in stops] == _printed_order(session, _dong01(session), tract["id"])
    # ...which is walking_order itself over the tract's active households from the dong's 주민센터
    dong = printing.dong_row(session, dong_id)
    assert body["start"]["label"] == f"{dong.name} 주민센터"
    assert (body["start"]["lon"], body["start"]["lat"]) == pytest.approx((dong.lon, dong.lat), abs=1e-6)
    rows = session.execute(select(Household.id, Household.geom.ST_X(), Household.geom.ST_Y())
                           .where(Household.tract_id == tract["id"], Household.status == "active")
                           .order_by(Household.id)).all()
    start, points = to_metric(dong.lon, dong.lat), [to_metric(x, y) for _, x, y in rows]
    order = walking_order(start, points)
    assert [s["id"] for s in stops] == [rows[i].id for i in order]
    assert body["route_m"] == pytest.approx(path_length(start, points, order), abs=0.1)
    assert sum(s["distance_m"] for s in stops) == pytest.approx(body["route_m"], abs=0.1 * len(stops))
    assert body["tract"] == body["tract"] | {"id": tract["id"], "dong_id": dong_id, "dong_name": dong.name}
    assert body["tract"]["geometry"]["type"] in ("Polygon", "MultiPolygon")
    assert body["offline"] is False and body["urgent_first"] is False
    for s in stops:
        assert {"lon", "lat", "risk_level", "color", "overdue", "next_visit_due", "last_visit_at", "version",
                "address"} <= s.keys()
        assert s["open_needs"] == s["needs"]


def test_a_given_start_and_urgent_first_route_as_the_printout_does(client, dong01, session):
    headers, _, tract = dong01
    households = session.execute(select(Household.geom.ST_X(), Household.geom.ST_Y())
                                 .where(Household.tract_id == tract["id"])).all()
    start = (round(max(x for x, _ in households), 6), round(min(y for _, y in households), 6))
    r = _round(client, headers, tract["id"], start=f"{start[0]},{start[1]}", urgent_first="true")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["start"] == {"lon": start[0], "lat": start[1], "label": "출발점(지정)"}
    assert body["urgent_first"] is True
    assert [s["id"] for s in body["households"]] == _printed_order(session, _dong01(session), tract["id"],
                                                                   start=start, urgent_first=True)
    urgent = [s["risk_level"] == "high" or s["overdue"] for s in body["households"]]
    assert urgent == sorted(urgent, reverse=True)  # every urgent household before the others


@pytest.mark.parametrize("username", ["dong01", "admin", "district"])
def test_names_are_masked_exactly_as_the_household_list_masks_them(client, as_user, session, username):
    headers = as_user(username)
    tract = busiest_tract(client, headers, me(client, as_user("dong01"))["dong_ids"][0])
    stops = _round(client, headers, tract["id"]).json()["households"]
    listed = client.get("/api/v1/households", params={"tract_id": tract["id"], "limit": 500},
                        headers=headers).json()["items"]
    by_id = {h["id"]: h for h in listed}
    assert by_id.keys() == {s["id"] for s in stops}
    for s in stops:
        assert (s["head_name"], s["phone"], s["masked"]) == (by_id[s["id"]]["head_name"], by_id[s["id"]]["phone"],
                                                             by_id[s["id"]]["masked"])
        assert "*" in s["head_name"]
    real = dict(session.execute(select(Household.id, Household.head_name)
                                .where(Household.tract_id == tract["id"])).all())
    assert all(s["head_name"] != real[s["id"]] for s in stops if len(real[s["id"]]) > 1)


@pytest.mark.parametrize("username", ["tongjang01", "partner01"])
def test_a_tongjang_and_a_partner_are_refused_as_the_list_refuses_them(client, as_user, username):
    headers = as_user(username)
    caller = me(client, headers)
    tract_id = (caller["tract_ids"] or [1])[0]
    listed = client.get("/api/v1/households", params={"tract_id": tract_id}, headers=headers)
    r = _round(client, headers, tract_id)
    assert r.status_code == listed.status_code and r.status_code in (403, 404)
    assert not r.content or HANGUL.search(r.json()["detail"])


def test_a_tract_outside_the_area_is_the_same_empty_404_as_a_missing_one(client, dong01, session):
    headers, dong_id, _ = dong01
    other = session.execute(select(Tract.id).where(Tract.dong_id != dong_id).limit(1)).scalar_one()
    missing = session.execute(select(Tract.id).order_by(Tract.id.desc()).limit(1)).scalar_one() + 1000
    for tract_id in (other, missing):
        r = _round(client, headers, tract_id)
        assert r.status_code == 404 and r.content == b""


def test_one_access_record_per_call_and_the_offline_download_is_an_export(client, dong01, session):
    headers, _, tract = dong01
    before = _last_id(session)
    body = _round(client, headers, tract["id"]).json()
    record = _last_record(session)
    assert record.id > before
    assert session.execute(select(AccessRecord.id).where(AccessRecord.id > before)).all() == [(record.id,)]
    assert record.action == "list" and record.username == "dong01" and record.purpose is None
    assert sorted(record.household_ids) == sorted(s["id"] for s in body["households"])
    assert record.resource == f"GET /api/v1/rounds/tracts/{tract['id']}"

    offline = _round(client, headers, tract["id"], purpose="offline")
    assert offline.status_code == 200 and offline.json()["offline"] is True
    record2 = _last_record(session)
    assert session.execute(select(AccessRecord.id).where(AccessRecord.id > record.id)).all() == [(record2.id,)]
    assert record2.action == "export" and record2.purpose == "오프라인 순회 받기"
    assert sorted(record2.household_ids) == sorted(s["id"] for s in body["households"])


@pytest.mark.parametrize("start", ["abc", "126.9", "126.9,37.5,1", "37.57,126.94", "0,0", "nan,37.5",
                                   "126.9,inf", "200,37", ""])
def test_a_bad_start_is_refused_in_korean(client, dong01, session, start):
    headers, _, tract = dong01
    before = _last_id(session)
    r = _round(client, headers, tract["id"], start=start)
    assert r.status_code == 422, r.text
    assert HANGUL.search(r.json()["detail"]) and "start" in r.json()["detail"]
    assert _last_id(session) == before  # nothing shown, nothing recorded


def test_an_unknown_purpose_is_refused_in_korean(client, dong01):
    headers, _, tract = dong01
    r = _round(client, headers, tract["id"], purpose="print")
    assert r.status_code == 422 and HANGUL.search(r.json()["detail"])


def test_without_a_token_the_round_is_401(client, dong01):
    _, _, tract = dong01
    assert client.get(f"/api/v1/rounds/tracts/{tract['id']}").status_code == 401
