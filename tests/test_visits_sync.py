"""Visits synced from a phone's queue: an Idempotency-Key per draft, the household version it was based on,
and the Korean refusals a queued draft can meet (closed, out of scope, stale token, disabled account)."""
import re
import threading
import uuid
from collections import Counter
from datetime import datetime, timedelta

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.auth import service as auth
from app.auth.models import User
from app.config import get_settings
from app.errors import Conflict
from app.households.models import Household
from app.policy.principal import Principal
from app.visits import service
from app.visits.models import Visit
from app.visits.schemas import VisitCreate
from tests.conftest import DEMO_PASSWORD, login, serve_app
from tests.test_visits import a_visit, dong_of, household_in, state

HANGUL = re.compile(r"[가-힣]")


def _post(client, household_id: int, body: dict, headers: dict, key: str | None = None):
    extra = {"Idempotency-Key": key} if key is not None else {}
    return client.post(f"/api/v1/households/{household_id}/visits", json=body, headers=headers | extra)


def _instants(answer: dict) -> dict:
    """An answer with its times as instants (the first answer keeps the phone's +09:00, a replay reads UTC)."""
    times = ("visited_at", "created_at", "last_visit_at")
    return {k: (datetime.fromisoformat(v) if k in times and v else v) for k, v in answer.items()}


def _visits_with_key(session, key: str) -> int:
    return session.scalar(select(func.count()).select_from(Visit).where(Visit.client_key == key))


def test_a_replayed_key_answers_200_with_the_first_visit_and_writes_nothing(client, as_user, session):
    h = household_in(session, level="low")
    headers, key = as_user("dong01"), str(uuid.uuid4())
    body = a_visit(indicators=["debt"], needs=["finance"], household_version=h.version)
    first = _post(client, h.id, body, headers, key)
    assert first.status_code == 201, first.text
    after_first = state(session, h.id)
    for _ in range(3):  # the first answer was lost, the phone tries again (and again)
        again = _post(client, h.id, body, headers, key)
        assert again.status_code == 200, again.text
        assert _instants(again.json()["visit"]) == _instants(first.json()["visit"])
        assert _instants(again.json()["household"]) == _instants(first.json()["household"])
        now = state(session, h.id)
        assert now | {"access_records": 0} == after_first | {"access_records": 0}  # no visit, no change
        assert now["access_records"] == after_first["access_records"] + 1  # the answer shows personal data
        after_first = now
    assert _visits_with_key(session, key) == 1


def test_the_same_key_with_another_body_is_a_409_in_korean(client, as_user, session):
    h = household_in(session, level="low")
    other = household_in(session, level="medium")
    headers, key = as_user("dong01"), str(uuid.uuid4())
    body = a_visit(indicators=["debt"])
    assert _post(client, h.id, body, headers, key).status_code == 201
    before = state(session, h.id), state(session, other.id)
    for household_id, changed in ((h.id, body | {"notes": "다른 내용"}), (h.id, body | {"needs": ["food"]}),
                                  (other.id, body)):
        r = _post(client, household_id, changed, headers, key)
        assert r.status_code == 409, r.text
        assert "Idempotency-Key" in r.json()["detail"] and HANGUL.search(r.json()["detail"])
    assert (state(session, h.id), state(session, other.id)) == before
    assert _visits_with_key(session, key) == 1


def test_keys_belong_to_their_user(client, as_user, session):
    h = household_in(session, level="low")
    key = str(uuid.uuid4())
    assert _post(client, h.id, a_visit(), as_user("dong01"), key).status_code == 201
    assert _post(client, h.id, a_visit(), as_user("admin"), key).status_code == 201  # another user's draft
    assert _visits_with_key(session, key) == 2


@pytest.mark.parametrize("key", ["", "x" * 101, "a b"])
def test_a_malformed_key_is_refused_in_korean(client, as_user, session, key):
    h = household_in(session, level="low")
    before = state(session, h.id)
    r = client.post(f"/api/v1/households/{h.id}/visits", json=a_visit(),
                    headers=as_user("dong01") | {"Idempotency-Key": key})
    assert r.status_code == 422 and "Idempotency-Key" in r.json()["detail"] and HANGUL.search(r.json()["detail"])
    assert state(session, h.id) == before


def test_a_stale_household_version_is_a_409_with_the_household_and_its_newest_visit(client, as_user, session):
    h = household_in(session, level="low")
    headers = as_user("dong01")
    based_on = h.version
    meanwhile = _post(client, h.id, a_visit(indicators=["utility_cutoff"], notes="다른 직원의 방문"),
                      as_user("admin"))
    assert meanwhile.status_code == 201
    before = state(session, h.id)
    draft = a_visit(indicators=["isolation"], household_version=based_on)
    r = _post(client, h.id, draft, headers, str(uuid.uuid4()))
    assert r.status_code == 409, r.text
    answer = r.json()
    assert HANGUL.search(answer["detail"]) and "다른 사용자" in answer["detail"]
    current = client.get(f"/api/v1/households/{h.id}", headers=headers).json()
    assert answer["household"] == current and answer["household"]["version"] == based_on + 1
    assert "*" in answer["household"]["head_name"]  # masked as GET shows it
    assert answer["latest_visit"]["id"] == meanwhile.json()["visit"]["id"]
    assert answer["latest_visit"]["notes"] == "다른 직원의 방문" and answer["latest_visit"]["recorded_by"] == "admin"
    after = state(session, h.id)
    assert after["access_records"] == before["access_records"] + 2  # the conflict's answer and the GET
    assert after | {"access_records": 0} == before | {"access_records": 0}  # nothing else written
    # The person decides to save anyway: the draft goes again with the version it was shown.
    saved = _post(client, h.id, draft | {"household_version": answer["household"]["version"]}, headers)
    assert saved.status_code == 201 and saved.json()["household"]["version"] == based_on + 2


def test_the_current_household_version_is_recorded_with_201(client, as_user, session):
    h = household_in(session, level="unvisited")
    version = h.version
    r = _post(client, h.id, a_visit(household_version=version), as_user("dong01"), str(uuid.uuid4()))
    assert r.status_code == 201 and r.json()["household"]["version"] == version + 1


@pytest.mark.parametrize("version", [0, -1, "x", 2**31])
def test_a_malformed_household_version_is_refused_in_korean(client, as_user, session, version):
    h = household_in(session, level="low")
    r = _post(client, h.id, a_visit(household_version=version), as_user("dong01"))
    assert r.status_code == 422 and "household_version" in r.json()["detail"]


def test_a_draft_for_a_closed_household_is_refused_in_korean(client, as_user, session):
    h = household_in(session, level="low")
    based_on = h.version
    closed = client.post(f"/api/v1/households/{h.id}/close", json={"reason": "moved_out", "version": h.version},
                         headers=as_user("dong01"))
    assert closed.status_code == 200
    before = state(session, h.id)
    r = _post(client, h.id, a_visit(household_version=based_on), as_user("dong01"), str(uuid.uuid4()))
    assert r.status_code == 422 and r.json()["detail"] == service.CLOSED
    assert state(session, h.id) == before


def test_a_draft_for_a_household_now_outside_the_area_is_the_empty_404(client, as_user, session):
    h = session.execute(select(Household).where(Household.dong_id != dong_of(session, "dong01"),
                                                Household.status == "active").limit(1)).scalar_one()
    r = _post(client, h.id, a_visit(household_version=h.version), as_user("dong01"), str(uuid.uuid4()))
    assert r.status_code == 404 and r.content == b""


def test_a_disabled_accounts_token_says_so_with_a_code_and_revoked_stays_revoked(client, as_user, session):
    h = household_in(session, "dong04", level="low")
    headers = login(client, "dong04")
    auth.disable_user(session, "dong04", actor="test", reason="퇴직")
    session.commit()
    r = _post(client, h.id, a_visit(household_version=h.version), headers, str(uuid.uuid4()))
    assert r.status_code == 401 and r.json() == {"detail": auth.ACCOUNT_DISABLED, "code": "account_disabled"}
    assert client.get("/api/v1/auth/me", headers=headers).json()["code"] == "account_disabled"
    auth.enable_user(session, "dong04", actor="test")
    session.commit()
    again = client.get("/api/v1/auth/me", headers=headers)  # enabled again, the old token stays revoked
    assert again.status_code == 401 and again.json() == {"detail": auth.SESSION_EXPIRED}


def test_a_logged_out_token_is_a_plain_401_without_the_wipe_code(client, session):
    h = household_in(session, level="low")
    headers = login(client, "dong01")
    assert client.post("/api/v1/auth/logout", headers=headers).status_code == 204
    r = _post(client, h.id, a_visit(), headers, str(uuid.uuid4()))
    assert r.status_code == 401 and "code" not in r.json() and HANGUL.search(r.json()["detail"])


def test_fifty_queued_visits_sync_one_after_another(client, as_user, session):
    headers = as_user("dong01")
    dong_id = dong_of(session, "dong01")
    others = session.execute(select(Household).where(Household.dong_id == dong_id, Household.status == "active")
                             .order_by(Household.id).limit(30)).scalars().all()
    same = household_in(session, level="low")
    same_version = same.version
    now = get_settings().now()
    # 25 households once each, then 25 visits to one household, each draft made after the one before
    queue = [(o.id, a_visit(visited_at=(now - timedelta(minutes=90)).isoformat(), household_version=o.version))
             for o in others if o.id != same.id][:25]
    before_same = state(session, same.id)
    version = same_version
    for n in range(25):
        queue.append((same.id, a_visit(visited_at=(now - timedelta(minutes=60 - n)).isoformat(), notes=f"방문 {n}",
                                       household_version=None)))
    keys = [str(uuid.uuid4()) for _ in queue]
    for (household_id, body), key in zip(queue, keys, strict=True):
        if household_id == same.id:
            body["household_version"] = version  # the phone moves its next draft onto the answer's version
        r = _post(client, household_id, body, headers, key)
        assert r.status_code == 201, r.text
        if household_id == same.id:
            version = r.json()["household"]["version"]
    assert len(queue) == 50
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(Visit).where(Visit.client_key.in_(keys))) == 50
    assert state(session, same.id)["visits"] == before_same["visits"] + 25
    assert session.get(Household, same.id).version == same_version + 25
    # The connection came back twice: the whole queue is sent again and nothing is recorded twice.
    for (household_id, body), key in zip(queue, keys, strict=True):
        assert _post(client, household_id, body, headers, key).status_code == 200
    assert session.scalar(select(func.count()).select_from(Visit).where(Visit.client_key.in_(keys))) == 50


def test_concurrent_posts_with_one_key_make_one_row(pg_server, seeded_template):
    """Eight copies of one draft at once over real HTTP (the phone retried while the first was in flight)."""
    with serve_app(pg_server, seeded_template) as (base, factory), httpx.Client(base_url=base, timeout=60) as http:
        token = http.post("/api/v1/auth/token", data={"username": "dong01", "password": DEMO_PASSWORD})
        headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
        with factory() as s:
            h = household_in(s, level="low")
        key, body = str(uuid.uuid4()), a_visit(indicators=["debt"], household_version=h.version)
        barrier, answers = threading.Barrier(8), []

        def send():
            barrier.wait()
            answers.append(http.post(f"/api/v1/households/{h.id}/visits", json=body,
                                     headers=headers | {"Idempotency-Key": key}))

        threads = [threading.Thread(target=send) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert Counter(a.status_code for a in answers) == {201: 1, 200: 7}, [a.text for a in answers]
        assert len({a.json()["visit"]["id"] for a in answers}) == 1
        with factory() as s:
            assert _visits_with_key(s, key) == 1
            assert s.get(Household, h.id).version == h.version + 1


def test_one_key_on_two_households_at_once_keeps_one_row_and_refuses_the_other(fresh):
    """Two transactions insert the same key before either commits: the unique index makes the second wait, then
    it finds the first's visit (another household: 409), never a 500 and never two rows."""
    with Session(fresh.engine) as s:
        user_id = s.scalar(select(User.id).where(User.username == "admin"))
        a, b = s.scalars(select(Household.id).where(Household.status == "active").order_by(Household.id).limit(2))
    principal = Principal(user_id=user_id, username="admin", role="admin")
    key = str(uuid.uuid4())
    data = VisitCreate(visited_at=get_settings().now() - timedelta(minutes=5), contact_type="phone",
                       visitor_types=["official"])
    outcome: list = []

    def second():
        try:
            with Session(fresh.engine, expire_on_commit=False) as s2, s2.begin():
                outcome.append(service.record(s2, principal, b, data, "test B", key)[1])
        except Conflict as exc:
            outcome.append(exc)

    with Session(fresh.engine, expire_on_commit=False) as s1, s1.begin():
        assert service.record(s1, principal, a, data, "test A", key)[1] is True  # inserted, not committed
        worker = threading.Thread(target=second)
        worker.start()
        worker.join(2)
        assert worker.is_alive()  # B waits on A's uncommitted key
    worker.join(30)
    assert len(outcome) == 1 and isinstance(outcome[0], Conflict) and "Idempotency-Key" in outcome[0].message
    with Session(fresh.engine) as s:
        assert _visits_with_key(s, key) == 1
        assert s.scalar(select(Visit.household_id).where(Visit.client_key == key)) == a
