"""Visits and phone check-ins through the API: one transaction, level/colour/next due, bad input refused."""
import re
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from datetime import datetime, timedelta

import anyio
import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app.access.models import AccessRecord
from app.auth.models import User, UserDong
from app.config import get_settings
from app.deps import transaction
from app.households.models import Household
from app.policy.principal import Principal
from app.risk.rules import Assessment
from app.visits import service as visit_service
from app.visits.models import Visit, VisitIndicator, VisitNeed, VisitVisitor
from app.visits.schemas import VisitCreate

HANGUL = re.compile(r"[가-힣]")


def dong_of(session, username: str) -> int:
    return session.execute(select(UserDong.dong_id).join(User, User.id == UserDong.user_id)
                           .where(User.username == username)).scalar_one()


def household_in(session, username: str = "dong01", level: str | None = None, **where) -> Household:
    query = select(Household).where(Household.dong_id == dong_of(session, username), Household.status == "active")
    if level:
        query = query.where(Household.risk_level == level)
    for name, value in where.items():
        query = query.where(getattr(Household, name) == value)
    return session.execute(query.order_by(Household.id).limit(1)).scalar_one()


def state(session, household_id: int) -> dict:
    """Everything a visit may write for one household."""
    session.expire_all()
    h = session.get(Household, household_id)
    visit_ids = select(Visit.id).where(Visit.household_id == household_id)
    return {
        "household": (h.version, h.risk_level, h.risk_score, h.risk_reason, h.risk_overridden, h.last_visit_at,
                      h.next_visit_due, list(h.open_needs)),
        "visits": session.scalar(select(func.count()).where(Visit.household_id == household_id)),
        "visitors": session.scalar(select(func.count()).select_from(VisitVisitor)
                                   .where(VisitVisitor.visit_id.in_(visit_ids))),
        "indicators": session.scalar(select(func.count()).select_from(VisitIndicator)
                                     .where(VisitIndicator.visit_id.in_(visit_ids))),
        "needs": session.scalar(select(func.count()).select_from(VisitNeed).where(VisitNeed.visit_id.in_(visit_ids))),
        "access_records": session.scalar(select(func.count()).select_from(AccessRecord)),
    }


def a_visit(**changes) -> dict:
    body = {"visited_at": (get_settings().now() - timedelta(hours=1)).isoformat(), "contact_type": "visit",
            "visitor_types": ["official", "welfare_tongjang"], "indicators": [], "needs": [], "notes": "정기 방문"}
    return body | changes


def local_day(iso: str):
    return datetime.fromisoformat(iso).astimezone(get_settings().tz).date()


def test_a_visit_sets_level_colour_reason_and_next_due(client, as_user, session):
    h = household_in(session, level="unvisited")
    before = state(session, h.id)
    body = a_visit(indicators=["utility_cutoff", "housing_crisis"], needs=["heating_cooling", "food"])
    r = client.post(f"/api/v1/households/{h.id}/visits", json=body, headers=as_user("dong01"))
    assert r.status_code == 201, r.text
    visit, household = r.json()["visit"], r.json()["household"]
    assert visit["risk_level_after"] == "high" and visit["color"] == "#E53935" and visit["risk_score"] == 10
    assert visit["visitor_types"] == ["official", "welfare_tongjang"]
    assert visit["needs"] == ["food", "heating_cooling"] and visit["recorded_by"] == "dong01"
    assert household["id"] == h.id and household["risk_level"] == "high" and household["color"] == "#E53935"
    due = local_day(body["visited_at"]) + timedelta(days=get_settings().visit_cycle_days_high)
    assert household["next_visit_due"] == due.isoformat() and household["overdue"] is False
    assert household["version"] == before["household"][0] + 1
    assert "단전" in household["risk_reason"] and "주거 위기" in household["risk_reason"]
    assert set(household["needs"]) == {"food", "heating_cooling"}

    after = state(session, h.id)
    assert after["visits"] == before["visits"] + 1 and after["visitors"] == before["visitors"] + 2
    assert after["indicators"] == before["indicators"] + 2 and after["needs"] == before["needs"] + 2
    assert after["access_records"] == before["access_records"] + 1
    last = session.execute(select(AccessRecord).order_by(AccessRecord.id.desc()).limit(1)).scalar_one()
    assert (last.action, last.username, last.household_ids) == ("create", "dong01", [h.id])
    got = client.get(f"/api/v1/households/{h.id}", headers=as_user("dong01")).json()
    assert got["risk_level"] == "high" and got["last_visit_at"] is not None
    listed = client.get(f"/api/v1/households/{h.id}/visits", headers=as_user("dong01")).json()
    assert listed["total"] == after["visits"] and listed["items"][0]["id"] == visit["id"]


def test_the_visit_list_is_newest_first(client, as_user, session):
    h = household_in(session, level="high")
    r = client.get(f"/api/v1/households/{h.id}/visits", headers=as_user("dong01"), params={"limit": 500})
    assert r.status_code == 200
    times = [i["visited_at"] for i in r.json()["items"]]
    assert times and times == sorted(times, reverse=True) and r.json()["total"] == len(times)


def test_a_failure_mid_way_leaves_nothing(client, as_user, session, monkeypatch):
    h = household_in(session, level="low")
    as_user("dong01")
    before = state(session, h.id)
    # The household update fails a CHECK constraint after the visit and its codes were flushed.
    monkeypatch.setattr(visit_service.rules, "after_contact", lambda *a, **k: Assessment("bogus", 1, "실패 유도"))
    monkeypatch.setattr(visit_service, "cycle_days", lambda settings=None: {"bogus": 30})
    with pytest.raises(IntegrityError, match="ck_households_risk_level"):
        client.post(f"/api/v1/households/{h.id}/visits", headers=as_user("dong01"),
                    json=a_visit(indicators=["debt"], needs=["finance"]))
    assert state(session, h.id) == before


def test_a_constraint_violation_among_the_visit_codes_leaves_nothing(session):
    h = household_in(session, level="low")
    admin = session.execute(select(User).where(User.username == "admin")).scalar_one()
    principal = Principal(user_id=admin.id, username="admin", role="admin")
    before = state(session, h.id)
    # Skipping validation lets a duplicate need through: visit_needs' primary key refuses it mid-way.
    data = VisitCreate.model_construct(
        visited_at=get_settings().now() - timedelta(hours=1), contact_type="visit", visitor_types=["official"],
        indicators=["debt"], needs=["food", "food"], notes=None, risk_override=None, override_reason=None)

    async def as_a_route_runs_it():  # inside the request's unit of work, the service in a worker thread
        async with asynccontextmanager(transaction)(session):
            await anyio.to_thread.run_sync(visit_service.create, session, principal, h.id, data, "test")

    # Its own thread: a browser test's Playwright may hold an event loop in this one.
    with ThreadPoolExecutor(1) as own_thread, pytest.raises(IntegrityError, match="pk_visit_needs"):
        own_thread.submit(anyio.run, as_a_route_runs_it).result()
    assert state(session, h.id) == before


def test_a_failing_access_record_leaves_nothing(client, as_user, session, monkeypatch):
    h = household_in(session, level="medium")
    headers = as_user("dong01")
    before = state(session, h.id)

    def broken(*args, **kwargs):
        raise visit_service.access.AccessLogUnavailable()

    monkeypatch.setattr(visit_service.access, "record", broken)
    r = client.post(f"/api/v1/households/{h.id}/visits", headers=headers,
                    json=a_visit(indicators=["isolation"], needs=["care"]))
    assert r.status_code == 503 and HANGUL.search(r.json()["detail"])
    assert state(session, h.id) == before


def _closed_household(client, as_user, session) -> int:
    h = household_in(session, level="low")
    r = client.post(f"/api/v1/households/{h.id}/close", json={"reason": "moved_out", "version": h.version},
                    headers=as_user("dong01"))
    assert r.status_code == 200, r.text
    return h.id


BAD_VISITS = {
    "unknown indicator": (a_visit, {"indicators": ["utility_cutoff", "alien_abduction"]}, "위기 지표"),
    "unknown need": (a_visit, {"needs": ["yacht"]}, "욕구"),
    "unknown visitor": (a_visit, {"visitor_types": ["official", "mayor"]}, "방문주체"),
    "no visitor": (a_visit, {"visitor_types": []}, "visitor_types"),
    "unknown contact type": (a_visit, {"contact_type": "telepathy"}, "허용되지 않는"),
    "future date": (a_visit, {"visited_at": "FUTURE"}, "미래"),
    "before registration": (a_visit, {"visited_at": "BEFORE"}, "등록일"),
    "override without reason": (a_visit, {"risk_override": "high"}, "사유"),
    "override with blank reason": (a_visit, {"risk_override": "high", "override_reason": "  "}, "사유"),
    "override to unvisited": (a_visit, {"risk_override": "unvisited", "override_reason": "x"}, "허용되지 않는"),
    "unknown field": (a_visit, {"household_revision": 3}, "알 수 없는 항목"),
    "bad date": (a_visit, {"visited_at": "어제"}, "날짜"),
}


@pytest.mark.parametrize("case", list(BAD_VISITS))
def test_bad_visits_are_refused_in_korean_and_write_nothing(client, as_user, session, case):
    make, changes, words = BAD_VISITS[case]
    h = household_in(session, level="low")
    headers = as_user("dong01")
    body = make(**changes)
    if changes.get("visited_at") == "FUTURE":
        body["visited_at"] = (get_settings().now() + timedelta(days=1)).isoformat()
    if changes.get("visited_at") == "BEFORE":
        body["visited_at"] = f"{h.registered_on - timedelta(days=1)}T10:00:00+09:00"
    before = state(session, h.id)
    r = client.post(f"/api/v1/households/{h.id}/visits", json=body, headers=headers)
    assert r.status_code == 422, r.text
    assert HANGUL.search(r.json()["detail"]) and words in r.json()["detail"]
    assert state(session, h.id) == before


def test_a_visit_to_a_closed_household_is_refused(client, as_user, session):
    household_id = _closed_household(client, as_user, session)
    before = state(session, household_id)
    r = client.post(f"/api/v1/households/{household_id}/visits", json=a_visit(indicators=["debt"]),
                    headers=as_user("dong01"))
    assert r.status_code == 422 and "종결" in r.json()["detail"]
    assert state(session, household_id) == before


def test_an_override_wins_with_who_and_why(client, as_user, session):
    h = household_in(session, level="low")
    r = client.post(f"/api/v1/households/{h.id}/visits", headers=as_user("dong01"), json=a_visit(
        indicators=["disability"], risk_override="high", override_reason="한파 중 난방 없음, 현장 판단"))
    assert r.status_code == 201, r.text
    visit, household = r.json()["visit"], r.json()["household"]
    assert visit["risk_override"] == "high" and visit["override_reason"].startswith("한파")
    assert household["risk_level"] == "high" and "dong01" in household["risk_reason"]
    assert "현장 판단" in household["risk_reason"]
    session.expire_all()
    assert session.get(Household, h.id).risk_overridden is True


def test_a_phone_check_in_that_found_nothing_keeps_the_level(client, as_user, session):
    h = household_in(session, level="high")
    reason, version = h.risk_reason, h.version
    body = a_visit(contact_type="phone", visitor_types=["official"], notes="전화 안부 확인")
    r = client.post(f"/api/v1/households/{h.id}/visits", json=body, headers=as_user("dong01"))
    assert r.status_code == 201, r.text
    visit, household = r.json()["visit"], r.json()["household"]
    assert visit["risk_level_after"] == "high" and visit["risk_score"] is None
    assert household["risk_level"] == "high" and household["risk_reason"] == reason
    assert household["version"] == version + 1
    assert household["next_visit_due"] == (local_day(body["visited_at"]) + timedelta(days=30)).isoformat()


def test_a_visit_at_the_door_that_found_nothing_lowers_the_level(client, as_user, session):
    h = household_in(session, level="medium")
    r = client.post(f"/api/v1/households/{h.id}/visits", json=a_visit(), headers=as_user("dong01"))
    assert r.status_code == 201
    assert r.json()["household"]["risk_level"] == "low" and r.json()["household"]["color"] == "#1E88E5"


def test_a_back_dated_visit_does_not_move_the_last_visit_back(client, as_user, session):
    h = household_in(session, level="low")
    last, level, due = h.last_visit_at, h.risk_level, h.next_visit_due
    earlier = last - timedelta(days=1)
    assert earlier.astimezone(get_settings().tz).date() >= h.registered_on
    r = client.post(f"/api/v1/households/{h.id}/visits", headers=as_user("dong01"), json=a_visit(
        visited_at=earlier.isoformat(), indicators=["utility_cutoff", "housing_crisis"], needs=["legal"]))
    assert r.status_code == 201, r.text
    household = r.json()["household"]
    assert datetime.fromisoformat(household["last_visit_at"]) == last
    assert household["risk_level"] == level and household["next_visit_due"] == due.isoformat()
    assert "legal" in household["needs"]  # its needs still count as open
    assert r.json()["visit"]["risk_level_after"] == "high"  # what that visit found, kept as history


def test_a_newer_visit_moves_the_last_visit_forward(client, as_user, session):
    h = household_in(session, level="low")
    previous = h.last_visit_at
    body = a_visit()
    r = client.post(f"/api/v1/households/{h.id}/visits", json=body, headers=as_user("dong01"))
    last = datetime.fromisoformat(r.json()["household"]["last_visit_at"])
    assert last == datetime.fromisoformat(body["visited_at"]) and last > previous


def test_visits_outside_the_area_answer_404_like_a_missing_household(client, as_user, session):
    other = household_in(session, "dong02")
    headers = as_user("dong01")
    before = state(session, other.id)
    missing = client.get("/api/v1/households/999999999/visits", headers=headers)
    assert missing.status_code == 404
    for r in (client.get(f"/api/v1/households/{other.id}/visits", headers=headers),
              client.post(f"/api/v1/households/{other.id}/visits", json=a_visit(), headers=headers)):
        assert r.status_code == 404 and r.content == missing.content
    assert state(session, other.id) == before


@pytest.mark.parametrize("username", ["tongjang01", "partner01"])
def test_partners_and_tongjang_do_not_read_or_write_visits(client, as_user, session, username):
    h = household_in(session)
    assert client.get(f"/api/v1/households/{h.id}/visits", headers=as_user(username)).status_code == 403
    r = client.post(f"/api/v1/households/{h.id}/visits", json=a_visit(), headers=as_user(username))
    assert r.status_code == 403 and HANGUL.search(r.json()["detail"])


def test_visits_need_a_token(client, session):
    h = household_in(session)
    assert client.get(f"/api/v1/households/{h.id}/visits").status_code == 401
    assert client.post(f"/api/v1/households/{h.id}/visits", json=a_visit()).status_code == 401


def test_visit_needs_join_the_open_needs_once(client, as_user, session):
    h = household_in(session, level="low")
    for needs in (["food", "care"], ["care", "medical"]):
        r = client.post(f"/api/v1/households/{h.id}/visits", json=a_visit(needs=needs), headers=as_user("dong01"))
        assert r.status_code == 201
    got = r.json()["household"]["needs"]
    assert {"food", "care", "medical"} <= set(got) and len(got) == len(set(got))
