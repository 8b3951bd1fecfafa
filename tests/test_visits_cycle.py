"""Visit cycle: next due per level from the settings, and `overdue` at the day boundaries."""
from datetime import date, datetime, time, timedelta

from sqlalchemy import select

from app.auth.models import User, UserDong
from app.config import get_settings
from app.households.models import Household

PASSWORD = "happymap-test-2026"


def fresh_headers(client, username: str = "dong01") -> dict[str, str]:
    """Sign in again: moving the frozen clock by months ends the previous token."""
    r = client.post("/api/v1/auth/token", data={"username": username, "password": PASSWORD})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def household_in(session, level: str) -> Household:
    dong_id = session.execute(select(UserDong.dong_id).join(User, User.id == UserDong.user_id)
                              .where(User.username == "dong01")).scalar_one()
    return session.execute(select(Household).where(Household.dong_id == dong_id, Household.risk_level == level,
                                                   Household.status == "active")
                           .order_by(Household.id).limit(1)).scalar_one()


def overdue_everywhere(client, session, household_id: int) -> tuple[bool, bool, bool]:
    """`overdue` as the household, the layer and the list filter show it."""
    headers = fresh_headers(client)
    one = client.get(f"/api/v1/households/{household_id}", headers=headers).json()
    lon, lat = one["lon"], one["lat"]
    bbox = f"{lon - 1e-5},{lat - 1e-5},{lon + 1e-5},{lat + 1e-5}"
    layer = client.get("/api/v1/layers/households", params={"bbox": bbox}, headers=headers).json()
    in_layer = {f["id"]: f["properties"]["overdue"] for f in layer["features"]}[household_id]
    ids, offset, total = set(), 0, 1
    while offset < total:
        page = client.get("/api/v1/households", headers=headers, params={
            "overdue": "true", "dong_id": one["dong_id"], "limit": 500, "offset": offset}).json()
        ids |= {i["id"] for i in page["items"]}
        offset, total = offset + 500, page["total"]
    return one["overdue"], in_layer, household_id in ids


def test_overdue_turns_on_the_day_after_the_due_day(client, session, frozen_clock):
    tz = get_settings().tz
    start = datetime.now(tz).replace(microsecond=0)
    frozen_clock(start)
    h = household_in(session, "medium")
    visited = start - timedelta(hours=1)
    r = client.post(f"/api/v1/households/{h.id}/visits", headers=fresh_headers(client), json={
        "visited_at": visited.isoformat(), "contact_type": "visit", "visitor_types": ["official"]})
    assert r.status_code == 201, r.text
    due = date.fromisoformat(r.json()["household"]["next_visit_due"])
    assert r.json()["household"]["risk_level"] == "low"
    assert due == visited.astimezone(tz).date() + timedelta(days=get_settings().visit_cycle_days_low)

    frozen_clock(datetime.combine(due, time(23, 59, 59), tz))  # due today → not overdue
    assert overdue_everywhere(client, session, h.id) == (False, False, False)
    frozen_clock(datetime.combine(due + timedelta(days=1), time(0, 0, 1), tz))  # due yesterday → overdue
    assert overdue_everywhere(client, session, h.id) == (True, True, True)


def test_an_unvisited_household_is_due_from_its_registration(client, session, frozen_clock):
    h = household_in(session, "unvisited")
    assert h.next_visit_due == h.registered_on
    tz = get_settings().tz
    frozen_clock(datetime.combine(h.registered_on, time(12, 0), tz))
    assert overdue_everywhere(client, session, h.id)[0] is False
    frozen_clock(datetime.combine(h.registered_on + timedelta(days=1), time(9, 0), tz))
    assert overdue_everywhere(client, session, h.id)[0] is True


def test_the_cycle_comes_from_the_settings(client, session, monkeypatch):
    settings = get_settings()
    monkeypatch.setattr(settings, "visit_cycle_days_high", 7)
    monkeypatch.setattr(settings, "visit_cycle_days_medium", 21)
    h = household_in(session, "low")
    visited = settings.now() - timedelta(minutes=5)
    body = {"visited_at": visited.isoformat(), "contact_type": "visit", "visitor_types": ["official"]}
    r = client.post(f"/api/v1/households/{h.id}/visits", headers=fresh_headers(client),
                    json=body | {"indicators": ["isolation", "elderly_alone"]})
    assert r.json()["household"]["next_visit_due"] == str(visited.astimezone(settings.tz).date() + timedelta(days=7))
    r = client.post(f"/api/v1/households/{h.id}/visits", headers=fresh_headers(client),
                    json=body | {"indicators": ["utility_cutoff"], "visited_at": (visited + timedelta(minutes=1))
                                 .isoformat()})
    assert r.json()["household"]["risk_level"] == "medium"
    assert r.json()["household"]["next_visit_due"] == str(
        (visited + timedelta(minutes=1)).astimezone(settings.tz).date() + timedelta(days=21))
