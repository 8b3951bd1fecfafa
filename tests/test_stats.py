"""District statistics: the 2015 table on the seed, scope, dong and period filters."""
import re
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from app.auth.models import User, UserDong
from app.config import get_settings
from app.households.models import Household
from app.reports.models import Report
from app.tracts.models import Dong
from app.visits.models import Visit, VisitNeed

HANGUL = re.compile(r"[가-힣]")
TABLE_2015 = {
    "households_total": 10_497, "households_visited": 5_950, "visits_total": 13_608,
    "risk": {"high": 36, "medium": 583, "low": 5_331, "unvisited": 4_547},
    "visitor_participations": 19_024, "needs_surveys": 9_373, "service_links": 4_961, "facilities": 461,
}
ADDITIVE = ("households_total", "households_visited", "visits_total", "visitor_participations", "needs_surveys",
            "service_links", "overdue")


def dong_of(session, username: str) -> int:
    return session.execute(select(UserDong.dong_id).join(User, User.id == UserDong.user_id)
                           .where(User.username == username)).scalar_one()


def test_the_seeded_district_reproduces_the_2015_table(client, as_user, session):
    r = client.get("/api/v1/stats", headers=as_user("admin"))
    assert r.status_code == 200, r.text
    stats = r.json()
    assert {k: stats[k] for k in TABLE_2015} == TABLE_2015
    today = get_settings().today()
    overdue = session.scalar(select(func.count()).select_from(Household)
                             .where(Household.status == "active", Household.next_visit_due < today))
    assert stats["overdue"] == overdue > 0
    assert client.get("/api/v1/stats", headers=as_user("district")).json() == stats


def test_the_dongs_add_up_to_the_district(client, as_user):
    headers = as_user("admin")
    whole = client.get("/api/v1/stats", headers=headers).json()
    dongs = client.get("/api/v1/dongs", headers=headers).json()["items"]
    parts = [client.get("/api/v1/stats", headers=headers, params={"dong_id": d["id"]}).json() for d in dongs]
    for key in ADDITIVE:
        assert sum(p[key] for p in parts) == whole[key], key
    for level in ("high", "medium", "low", "unvisited"):
        assert sum(p["risk"][level] for p in parts) == whole["risk"][level]
    assert sum(p["facilities"] for p in parts) <= whole["facilities"]


def test_dong_staff_see_their_dong_only(client, as_user, session):
    own = dong_of(session, "dong01")
    headers = as_user("dong01")
    mine = client.get("/api/v1/stats", headers=headers).json()
    assert client.get("/api/v1/stats", headers=headers, params={"dong_id": own}).json() == mine | {"dong_id": own}
    as_admin = client.get("/api/v1/stats", headers=as_user("admin"), params={"dong_id": own}).json()
    assert as_admin == mine | {"dong_id": own}
    households = session.scalar(select(func.count()).select_from(Household)
                                .where(Household.dong_id == own, Household.status == "active"))
    assert mine["households_total"] == households < TABLE_2015["households_total"]

    other = dong_of(session, "dong02")
    assert client.get("/api/v1/stats", headers=headers, params={"dong_id": other}).status_code == 404
    assert client.get("/api/v1/stats", headers=headers, params={"dong_id": 999999}).status_code == 404


@pytest.mark.parametrize("username", ["tongjang01", "partner01"])
def test_tongjang_and_partners_get_no_statistics(client, as_user, username):
    r = client.get("/api/v1/stats", headers=as_user(username))
    assert r.status_code == 403 and HANGUL.search(r.json()["detail"])


def test_stats_need_a_token(client):
    assert client.get("/api/v1/stats").status_code == 401


def test_a_period_counts_the_work_done_in_it(client, as_user, session):
    headers = as_user("admin")
    tz = get_settings().tz
    day = session.scalar(select(Visit.visited_at).order_by(Visit.visited_at.desc()).limit(1)).astimezone(tz).date()
    in_day = [v for v in session.scalars(select(Visit.visited_at)) if v.astimezone(tz).date() == day]
    r = client.get("/api/v1/stats", headers=headers, params={"from": str(day), "to": str(day)}).json()
    assert r["visits_total"] == len(in_day) > 0
    assert r["period_from"] == r["period_to"] == str(day)
    assert r["households_total"] == TABLE_2015["households_total"]  # the caseload is a snapshot of today
    before = client.get("/api/v1/stats", headers=headers, params={"from": str(day - timedelta(days=30)),
                                                                  "to": str(day - timedelta(days=1))}).json()
    after = client.get("/api/v1/stats", headers=headers, params={"from": str(day)}).json()
    until = client.get("/api/v1/stats", headers=headers, params={"to": str(day - timedelta(days=31))}).json()
    assert before["visits_total"] + after["visits_total"] + until["visits_total"] == TABLE_2015["visits_total"]


def test_a_new_visit_counts_today(client, as_user, session):
    headers = as_user("dong01")
    today = str(get_settings().today())
    before = client.get("/api/v1/stats", headers=headers, params={"from": today}).json()
    h = session.scalar(select(Household).where(Household.dong_id == dong_of(session, "dong01"),
                                               Household.risk_level == "unvisited").limit(1))
    r = client.post(f"/api/v1/households/{h.id}/visits", headers=headers, json={
        "visited_at": get_settings().now().isoformat(), "contact_type": "visit",
        "visitor_types": ["official", "welfare_tongjang"], "needs": ["food"], "indicators": ["utility_cutoff"]})
    assert r.status_code == 201
    after = client.get("/api/v1/stats", headers=headers, params={"from": today}).json()
    assert after["visits_total"] == before["visits_total"] + 1
    assert after["visitor_participations"] == before["visitor_participations"] + 2
    assert after["needs_surveys"] == before["needs_surveys"] + 1
    assert after["risk"]["unvisited"] == before["risk"]["unvisited"] - 1
    assert after["risk"]["medium"] == before["risk"]["medium"] + 1


def test_the_breakdowns_add_up_to_the_totals(client, as_user, session):
    """What the statistics screen draws: per dong, per month or week, needs, services and intake, each equal to
    the totals of the same request and to counts made here in SQL."""
    headers = as_user("admin")
    for params in ({}, {"from": "2026-09-01", "to": "2026-11-30", "interval": "week"}):
        stats = client.get("/api/v1/stats", headers=headers, params=params).json()
        dongs = stats["by_dong"]
        assert len(dongs) == len(client.get("/api/v1/dongs", headers=headers).json()["items"])
        for key in ("households_total", "households_visited", "visits_total", "overdue", "service_links"):
            assert sum(d[key] for d in dongs) == stats[key], key
        for level in ("high", "medium", "low", "unvisited"):
            assert sum(d["risk"][level] for d in dongs) == stats["risk"][level]
        one = client.get("/api/v1/stats", headers=headers, params={**params, "dong_id": dongs[0]["dong_id"]}).json()
        assert one["by_dong"] == [dongs[0]] and one["visits_total"] == dongs[0]["visits_total"]

        series = stats["visits_series"]
        assert stats["series_interval"] == params.get("interval", "month")
        assert sum(p["visits"] for p in series) == stats["visits_total"] > 0
        starts = [date.fromisoformat(p["start"]) for p in series]
        assert starts == sorted(starts)
        assert all(d.weekday() == 0 for d in starts) if params else all(d.day == 1 for d in starts)

        needs = stats["needs_top"]
        assert [n["count"] for n in needs] == sorted((n["count"] for n in needs), reverse=True)
        assert all(HANGUL.search(n["label"]) for n in needs)
        assert sum(s["count"] for s in stats["service_links_by"]) == stats["service_links"]

    whole = client.get("/api/v1/stats", headers=headers).json()
    assert whole["needs_top"] == [{"need": need, "label": whole_label, "count": n} for need, whole_label, n in (
        (row.need, next(x["label"] for x in whole["needs_top"] if x["need"] == row.need), row.n)
        for row in session.execute(select(VisitNeed.need, func.count().label("n")).group_by(VisitNeed.need)
                                   .order_by(func.count().desc(), VisitNeed.need)))]
    received = session.scalar(select(func.count()).select_from(Report))
    converted = session.scalar(select(func.count()).select_from(Report).where(Report.status == "converted"))
    intake = whole["intake"]
    assert (intake["received"], intake["converted"]) == (received, converted)
    assert intake["received"] >= intake["placed"] >= intake["converted"] >= intake["visited"]


def test_a_dong_account_sees_only_its_dong_in_the_breakdowns(client, as_user, session):
    mine = dong_of(session, "dong01")
    stats = client.get("/api/v1/stats", headers=as_user("dong01")).json()
    assert [d["dong_id"] for d in stats["by_dong"]] == [mine]
    assert stats["by_dong"][0]["households_total"] == stats["households_total"]
    placed = session.scalar(select(func.count()).select_from(Report).where(Report.dong_id == mine))
    assert stats["intake"]["received"] == placed


def test_a_bad_interval_is_refused(client, as_user):
    r = client.get("/api/v1/stats", headers=as_user("admin"), params={"interval": "year"})
    assert r.status_code == 422 and HANGUL.search(str(r.json()["detail"]))


BAD_PARAMS = [
    ({"from": "2026-02-30"}, "날짜"),
    ({"from": "2026-03-02", "to": "2026-03-01"}, "from"),
    ({"dong_id": "abc"}, "정수"),
    ({"to": "9999-12-31"}, "2100"),
    ({"from": "0001-01-01"}, "2000"),
]


@pytest.mark.parametrize("params, words", BAD_PARAMS)
def test_bad_stats_parameters_are_refused_in_korean(client, as_user, params, words):
    r = client.get("/api/v1/stats", headers=as_user("admin"), params=params)
    assert r.status_code == 422 and words in r.json()["detail"] and HANGUL.search(r.json()["detail"])


def test_each_data_quality_count_is_the_list_it_opens(client, as_user, session):
    """점검 필요: every count equals the total of the filtered list the screen opens with it, for the district
    and for a dong account; an old untriaged report counts as waiting, a fresh one does not."""
    today = get_settings().today()
    near = session.scalar(select(Household).where(Household.dong_id == dong_of(session, "dong01")).limit(1))
    lon, lat = session.execute(select(func.ST_X(Household.geom), func.ST_Y(Household.geom))
                               .where(Household.id == near.id)).one()
    made = []
    for description in ("오래 기다린 신고: 할머니 혼자 사시는데 연락이 안 됩니다",
                        "오늘 들어온 신고: 가스가 끊겼다고 합니다"):
        r = client.post("/api/v1/reports", headers=as_user("tongjang01"),
                        json={"description": description, "lon": lon, "lat": lat})
        assert r.status_code == 201, r.text
        made.append(r.json()["id"])
    old = session.get(Report, made[0])
    old.created_at = get_settings().now() - timedelta(days=get_settings().report_waiting_days + 1)
    session.flush()
    waiting = client.get("/api/v1/reports", headers=as_user("admin"), params={"waiting": "true", "limit": 200})
    assert made[0] in [r["id"] for r in waiting.json()["items"]]
    assert made[1] not in [r["id"] for r in waiting.json()["items"]]
    for user in ("admin", "dong01"):
        headers = as_user(user)
        q = client.get("/api/v1/stats/quality", headers=headers)
        assert q.status_code == 200, q.text
        q = q.json()

        def total(path, headers=headers, **params):
            r = client.get(f"/api/v1/{path}", headers=headers, params={**params, "limit": 1})
            assert r.status_code == 200, r.text
            return r.json()["total"]

        assert q["households_approximate"] == total("households", placement="approximate")
        assert q["overdue"] == total("households", overdue="true")
        assert q["reports_waiting"] == total("reports", waiting="true")
        assert q["reports_unplaced"] == total("reports", unplaced="true", status="new,reviewing")
        mine = None if user == "admin" else str(dong_of(session, user))
        assert q["facilities_unconfirmed"] == total("facilities", unconfirmed="true",
                                                    **({"dong_id": mine} if mine else {}))
        assert q["as_of"] == str(today) and q["report_waiting_days"] == 14 and q["referral_confirm_days"] == 90
        assert client.get("/api/v1/stats", headers=headers).json()["quality"] == q
    admin = client.get("/api/v1/stats/quality", headers=as_user("admin")).json()
    assert admin["reports_waiting"] >= 1 and admin["households_approximate"] > 0 and admin["overdue"] > 0
    assert admin["facilities_unconfirmed"] > 0, "the demo confirms some facilities more than 90 days ago"
    approximate = session.scalar(select(func.count()).select_from(Household).where(
        Household.status == "active", Household.placement == "approximate"))
    assert admin["households_approximate"] == approximate


def test_data_quality_refuses_what_the_caller_may_not_see(client, as_user, session):
    mine = dong_of(session, "dong01")
    other = session.scalar(select(Dong.id).where(Dong.id != mine).limit(1))
    r = client.get("/api/v1/stats/quality", headers=as_user("dong01"), params={"dong_id": other})
    assert r.status_code == 404 and r.content == b"", "another dong looks like no dong at all"
    r = client.get("/api/v1/stats/quality", headers=as_user("tongjang01"))
    assert r.status_code == 403 and HANGUL.search(r.json()["detail"])
    for params in ({"placement": "somewhere"}, {"dong_id": "1;2"}):
        path = "/api/v1/households" if "placement" in params else "/api/v1/facilities"
        r = client.get(path, headers=as_user("admin"), params=params)
        assert r.status_code == 422 and HANGUL.search(str(r.json()["detail"])), r.text
