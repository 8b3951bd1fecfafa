"""Browser fixtures: the real app served by uvicorn on its own fresh copy of the seeded database, and Debian's
headless Chromium driven by Playwright. The live server binds its sessions to its own engine (a dependency
override), so the DATABASE_URL other tests put in the environment cannot redirect it."""
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page

from tests.browser.ui import LiveServer, open_page
from tests.conftest import ARTIFACTS, serve_app


@pytest.fixture(scope="session")
def live_server(pg_server, seeded_template) -> Iterator[LiveServer]:
    """uvicorn in a background thread on a free port, on a fresh database copied from the seeded template."""
    with serve_app(pg_server, seeded_template) as (url, factory):
        yield LiveServer(url, factory)


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
