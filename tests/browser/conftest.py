"""Browser fixtures: the real app served by uvicorn on its own fresh copy of the seeded database, and Debian's
headless Chromium driven by Playwright. The live server binds its sessions to its own engine (a dependency
override), so the DATABASE_URL other tests put in the environment cannot redirect it."""
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from playwright.sync_api import Browser, Page, sync_playwright
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url
from sqlalchemy.orm import sessionmaker

from app.db import get_session
from app.dev.pgcluster import drop_database, free_port
from tests.browser.ui import CHROMIUM, CHROMIUM_ARGS, LiveServer, open_page
from tests.conftest import ARTIFACTS, fresh_database


@pytest.fixture(scope="session")
def live_server(pg_server, seeded_template) -> Iterator[LiveServer]:
    """uvicorn in a background thread on a free port, on a fresh database copied from the seeded template."""
    from app import ui_config
    from app.main import create_app

    db_url = fresh_database(pg_server, seeded_template)
    engine = create_engine(db_url, pool_size=5, max_overflow=10, pool_pre_ping=True)
    factory = sessionmaker(bind=engine, expire_on_commit=False)

    def own_session():
        with factory() as session:
            yield session

    app = create_app()
    if not any(getattr(route, "path", "") == "/api/v1/ui-config" for route in app.routes):
        app.include_router(ui_config.router)  # until the lead registers it in app.main
    app.dependency_overrides[get_session] = own_session
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, name="live-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "live server did not start"
        time.sleep(0.05)
    try:
        yield LiveServer(f"http://127.0.0.1:{port}")
    finally:
        server.should_exit = True
        thread.join(timeout=15)
        engine.dispose()
        drop_database(pg_server.admin_url, make_url(db_url).database)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture(scope="session")
def shots() -> Path:
    folder = ARTIFACTS / "browser"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def page(browser, live_server) -> Iterator[Page]:
    p = open_page(browser, live_server)
    try:
        yield p
        assert p.errors == [], f"script errors: {p.errors}"
        assert p.external == [], f"requests outside the app (CDN?): {p.external}"
    finally:
        p.context.close()
