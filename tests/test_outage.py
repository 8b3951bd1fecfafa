"""A database outage while officials save: the API answers 503 with a Korean message and Retry-After (never
a 500, never a dropped connection, no traceback in the log), keeps every write it acknowledged, and serves
again as soon as the database is back, without a restart. The full-size run is `python -m bench.bench_outage`."""
import pytest
from fastapi.testclient import TestClient

from app.config import get_settings
from app.dev.pgcluster import free_port
from app.errors import DATABASE_UNAVAILABLE, RETRY_AFTER_SECONDS
from bench.bench_outage import write_through_outage
from bench.common import PASSWORD
from tests.test_reports_failure import app_on


@pytest.fixture
def bench_password(monkeypatch):
    monkeypatch.setenv("HAPPYMAP_DEMO_PASSWORD", PASSWORD)  # the accounts the scenario loads sign in with it
    get_settings.cache_clear()
    yield
    monkeypatch.undo()
    get_settings.cache_clear()


def test_a_postmaster_kill_during_concurrent_writes_answers_503_and_loses_nothing(tmp_path, bench_password):
    seen = write_through_outage(tmp_path, writes=300, writers=6, max_seconds=90)
    print(f"acknowledged {len(seen.acknowledged)}, stored {seen.stored}, statuses {dict(seen.statuses)}, "
          f"dropped {seen.dropped}, back after {seen.back_after}")
    assert len(seen.acknowledged) >= 300 and seen.stored == len(seen.acknowledged)
    assert seen.statuses[503] > 0 and set(seen.statuses) == {201, 503}  # the outage was met, and only as 503
    assert set(seen.refusals) == {(DATABASE_UNAVAILABLE, True)}  # one calm Korean message, with Retry-After
    assert seen.dropped == 0
    assert seen.back_after is not None  # served again without a restart of the app
    assert "Traceback" not in seen.log and "database unavailable" in seen.log


def test_an_unreachable_database_is_a_korean_503_with_retry_after():
    application, engine = app_on(f"postgresql+psycopg://nobody@127.0.0.1:{free_port()}/nothing?connect_timeout=2")
    client = TestClient(application)
    for method, path, body in (("GET", "/api/v1/households", None), ("POST", "/api/v1/households", {}),
                               ("GET", "/api/v1/stats", None), ("POST", "/api/v1/auth/token", None)):
        r = client.request(method, path, headers={"Authorization": "Bearer not-checked-yet"}, json=body,
                           data={"username": "admin", "password": "x"} if path.endswith("token") else None)
        assert r.status_code == 503, (path, r.status_code, r.text)
        assert r.json() == {"detail": DATABASE_UNAVAILABLE}
        assert r.headers["Retry-After"] == str(RETRY_AFTER_SECONDS)
    engine.dispose()
