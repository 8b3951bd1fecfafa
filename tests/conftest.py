"""Shared fixtures: a throwaway PostGIS for the whole run, a migrated and seeded template database,
per-test transactions rolled back afterwards, and HTTP clients signed in as each demo role."""
import base64
import os
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from types import SimpleNamespace

import pytest
from alembic import command
from alembic.config import Config
from fastapi.testclient import TestClient
from sqlalchemy import create_engine
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session, sessionmaker

from app.config import clock, get_settings
from app.db import CONNECT_ARGS, get_engine, get_session
from app.dev.pgcluster import Cluster, drop_database, free_port, prepare_database

ROOT = Path(__file__).resolve().parent.parent
APP_ROLE = "happymap_app"
DEMO_PASSWORD = "happymap-test-2026"
TEMPLATE = "happymap_template"
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
# Without the background-networking flags Chromium keeps dialling out, and this machine has no internet.
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


class Server:
    """Where test databases live: a cluster the tests start, or the DATABASE_URL server."""

    def __init__(self, admin_url: str, app_user: str, app_password: str | None):
        self.admin_url = admin_url  # libpq URL to a maintenance database as a privileged user
        self.app_user = app_user
        self.app_password = app_password

    def url(self, database: str, app: bool = True) -> str:
        base = make_url(self.admin_url.replace("postgresql://", "postgresql+psycopg://", 1))
        if app:
            base = base.set(username=self.app_user, password=self.app_password)
        return base.set(database=database).render_as_string(hide_password=False)

    def create(self, database: str, template: str | None = None) -> str:
        prepare_database(self.admin_url, database, self.app_user, template=template)
        return self.url(database)


@pytest.fixture(scope="session")
def pg_server(tmp_path_factory) -> Iterator[Server]:
    external = os.environ.get("DATABASE_URL")
    if external:
        url = make_url(external.replace("+psycopg", ""))
        yield Server(url.set(database="postgres").render_as_string(hide_password=False),
                     url.username, url.password)
        return
    cluster = Cluster(tmp_path_factory.mktemp("pg") / "data", free_port(), throwaway=True)
    cluster.ensure_started()
    try:
        yield Server(cluster.url(), APP_ROLE, None)
    finally:
        cluster.stop()


def migrate(url: str) -> None:
    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "migrations"))
    cfg.attributes["url"] = url
    command.upgrade(cfg, "head")


def _use_database(app_url: str) -> None:
    os.environ["DATABASE_URL"] = app_url
    os.environ["HAPPYMAP_ENVIRONMENT"] = "test"
    os.environ["HAPPYMAP_DEMO_PASSWORD"] = DEMO_PASSWORD
    get_settings.cache_clear()
    get_engine.cache_clear()


@pytest.fixture(scope="session")
def seeded_template(pg_server: Server) -> str:
    """A migrated database holding the demo seed; tests copy it, never write to it."""
    from seed.load import run as run_seed

    name = f"{TEMPLATE}_{uuid.uuid4().hex[:8]}"
    pg_server.create(name)
    migrate(pg_server.url(name, app=False))
    os.environ["HAPPYMAP_DEMO_PASSWORD"] = DEMO_PASSWORD
    get_settings.cache_clear()
    engine = create_engine(pg_server.url(name))
    try:
        run_seed(engine)
    finally:
        engine.dispose()
    yield name
    drop_database(pg_server.admin_url, name)


def fresh_database(pg_server: Server, template: str) -> str:
    """A new database copied from the seeded template; returns its app-role URL."""
    name = f"happymap_t_{uuid.uuid4().hex[:10]}"
    return pg_server.create(name, template=template)


@pytest.fixture(scope="session")
def db_url(pg_server: Server, seeded_template: str) -> str:
    """The database the ordinary tests use (each test in a rolled-back transaction)."""
    url = fresh_database(pg_server, seeded_template)
    _use_database(url)
    return url


@pytest.fixture(scope="session")
def db_engine(db_url: str) -> Engine:
    return get_engine()


@pytest.fixture
def session(db_engine: Engine) -> Iterator[Session]:
    """A session whose commits only release savepoints; everything is rolled back after the test."""
    connection = db_engine.connect()
    outer = connection.begin()
    s = Session(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
    try:
        yield s
    finally:
        s.close()
        outer.rollback()
        connection.close()


@pytest.fixture
def app(session: Session):
    from app.main import create_app

    application = create_app()
    application.dependency_overrides[get_session] = lambda: session
    application.state.rate_limiter = own_limits()
    return application


@pytest.fixture
def client(app) -> TestClient:
    return TestClient(app)


def login(client: TestClient, username: str, password: str = DEMO_PASSWORD) -> dict[str, str]:
    """Bearer headers for a demo account."""
    response = client.post("/api/v1/auth/token", data={"username": username, "password": password})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


@pytest.fixture
def as_user(client: TestClient):
    """`as_user("dong01")` → headers signed in as that demo account."""
    cache: dict[str, dict[str, str]] = {}

    def _headers(username: str) -> dict[str, str]:
        if username not in cache:
            cache[username] = login(client, username)
        return cache[username]

    return _headers


@pytest.fixture
def frozen_clock():
    """Freeze settings.now(); `frozen_clock(datetime)` sets it, reset after the test."""
    def _set(moment):
        clock.frozen = moment

    yield _set
    clock.frozen = None


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture
def fresh(pg_server: Server, seeded_template: str):
    """The app on a database of its own (a copy of the seeded template), for tests that commit, break roles
    or run the CLI. Yields url, name, engine (the app's role), admin (the owner), app and client."""
    from app.main import create_app

    url = fresh_database(pg_server, seeded_template)
    name = make_url(url).database
    engine = create_engine(url)
    admin = create_engine(pg_server.url(name, app=False))
    application = create_app()

    def own_session():
        with Session(engine, expire_on_commit=False) as s:
            yield s

    application.dependency_overrides[get_session] = own_session
    application.state.rate_limiter = own_limits()
    yield SimpleNamespace(url=url, name=name, engine=engine, admin=admin, app=application,
                          client=TestClient(application))
    engine.dispose()
    admin.dispose()
    drop_database(pg_server.admin_url, name)


def own_limits(rules=None):
    """A rate limiter whose buckets no other test's app shares (they are rows in the test database)."""
    from app.ratelimit import RateLimiter

    return RateLimiter(rules, scope=f"test-{uuid.uuid4().hex[:12]}")


def today() -> date:
    return get_settings().today()


@contextmanager
def serve_database(db_url: str):
    """The real app under uvicorn in a background thread, bound to `db_url` through a dependency override
    (so the DATABASE_URL other tests put in the environment cannot redirect it). Yields (base_url, sessionmaker).
    """
    import uvicorn

    from app.main import create_app

    engine = create_engine(db_url, pool_size=5, max_overflow=10, pool_pre_ping=True, hide_parameters=True,
                           connect_args=CONNECT_ARGS)
    factory = sessionmaker(bind=engine, expire_on_commit=False)

    def own_session():
        with factory() as s:
            yield s

    application = create_app()
    application.dependency_overrides[get_session] = own_session
    application.state.rate_limiter = own_limits()
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(application, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, name="live-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "live server did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}", factory
    finally:
        server.should_exit = True
        thread.join(timeout=15)
        engine.dispose()


@contextmanager
def serve_app(pg_server: Server, template: str):
    """The real app under uvicorn on its own fresh copy of the seeded database (dropped afterwards)."""
    db_url = fresh_database(pg_server, template)
    try:
        with serve_database(db_url) as served:
            yield served
    finally:
        drop_database(pg_server.admin_url, make_url(db_url).database)


@pytest.fixture(scope="session")
def browser():
    """One headless Debian Chromium for the whole run (Playwright's sync API allows one driver per thread)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


def me(client: TestClient, headers: dict[str, str]) -> dict:
    return client.get("/api/v1/auth/me", headers=headers).json()


def busiest_tract(client: TestClient, headers: dict[str, str], dong_id: int) -> dict:
    """The dong's tract with the most households (the lowest id among equals)."""
    items = client.get("/api/v1/tracts", params={"dong_id": dong_id}, headers=headers).json()["items"]
    return max(items, key=lambda t: (t["household_count"], -t["id"]))


@pytest.fixture
def dong01(client, as_user):
    """dong01's headers, dong id and busiest tract: a round or a printout with the most to show."""
    headers = as_user("dong01")
    dong_id = me(client, headers)["dong_ids"][0]
    return headers, dong_id, busiest_tract(client, headers, dong_id)


RRN_AES_KEY = base64.b64encode(bytes(range(32))).decode()
RRN_HASH_KEY = base64.b64encode(bytes(range(100, 132))).decode()


@pytest.fixture
def rrn_keys():
    """주민등록번호 keys for one test (the default settings have none, as a fresh deployment)."""
    names = ("HAPPYMAP_RRN_KEY_B64", "HAPPYMAP_RRN_HASH_KEY_B64")
    saved = {k: os.environ.get(k) for k in names}
    os.environ[names[0]], os.environ[names[1]] = RRN_AES_KEY, RRN_HASH_KEY
    get_settings.cache_clear()
    yield
    for k, v in saved.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v
    get_settings.cache_clear()


def at_once(calls: int, fn) -> list:
    """Run `fn()` in `calls` threads released together (a barrier); their results, in finishing order."""
    barrier = threading.Barrier(calls)
    results = []

    def run():
        barrier.wait()
        results.append(fn())

    threads = [threading.Thread(target=run) for _ in range(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results
