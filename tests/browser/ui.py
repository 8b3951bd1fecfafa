"""Helpers for the browser tests: the live server's API client, pages, sign-in, screenshots' pixels."""
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from io import BytesIO

import httpx
from PIL import Image
from playwright.sync_api import Browser, Page
from sqlalchemy.orm import Session

from tests.conftest import CHROMIUM, CHROMIUM_ARGS, DEMO_PASSWORD  # noqa: F401  (re-exported for the tests)

RISK_HEX = {"high": "#E53935", "medium": "#FB8C00", "low": "#1E88E5", "unvisited": "#FFFFFF"}
DESKTOP = {"width": 1366, "height": 850}


@dataclass
class LiveServer:
    """The running app: its base URL and a small API client that signs in as demo users."""

    url: str
    sessions: Callable[[], Session] | None = None  # the served database, to check what a screen wrote
    tokens: dict[str, str] = field(default_factory=dict)

    def token(self, username: str) -> str:
        if username not in self.tokens:
            r = httpx.post(f"{self.url}/api/v1/auth/token", data={"username": username, "password": DEMO_PASSWORD})
            assert r.status_code == 200, r.text
            self.tokens[username] = r.json()["access_token"]
        return self.tokens[username]

    def api(self, method: str, path: str, username: str, **kwargs) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.token(username)}"}
        return httpx.request(method, f"{self.url}/api/v1{path}", headers=headers, timeout=60, **kwargs)

    def get(self, path: str, username: str, **params) -> dict:
        r = self.api("GET", path, username, params=params)
        assert r.status_code == 200, r.text
        return r.json()


def open_page(browser: Browser, live_server: LiveServer, **context_options) -> Page:
    """A page in a fresh context that records dialogs, script errors and any request leaving the app."""
    options = {"viewport": DESKTOP, "locale": "ko-KR", "timezone_id": "Asia/Seoul", **context_options}
    context = browser.new_context(base_url=live_server.url, **options)
    page = context.new_page()
    page.dialogs, page.errors, page.external = [], [], []

    def on_dialog(dialog):
        page.dialogs.append(dialog.message)
        dialog.dismiss()

    def only_local(route):
        if route.request.url.startswith(live_server.url) or route.request.url.startswith("data:"):
            route.continue_()
        else:
            page.external.append(route.request.url)
            route.abort()

    def on_console(message):
        if message.type == "error" and "Content Security Policy" in message.text:
            page.errors.append(message.text)

    page.on("dialog", on_dialog)
    page.on("pageerror", lambda exc: page.errors.append(str(exc)))
    page.on("console", on_console)
    context.route("**/*", only_local)
    return page


def sign_in(page: Page, username: str, password: str = DEMO_PASSWORD, path: str = "/") -> dict:
    """Log in through the form and wait until every household point is drawn; returns the page's timings."""
    page.goto(path)
    page.fill("#login-username", username)
    page.fill("#login-password", password)
    page.click("#login-submit")
    wait_until(page, "() => window.__happymap && window.__happymap.ready === true", timeout=60)
    return page.evaluate("window.__happymap.timings")


def wait_until(page: Page, predicate: str, arg=None, timeout: float = 30) -> object:
    """Poll a JS function until it returns something truthy. (Playwright's wait_for_function evaluates
    strings with eval, which the app's Content-Security-Policy rightly forbids.)"""
    deadline = time.monotonic() + timeout
    while True:
        value = page.evaluate(predicate, arg)
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for: {predicate} (arg={arg!r})")
        time.sleep(0.05)


RECT = "sel => JSON.stringify(document.querySelector(sel).getBoundingClientRect())"
"""A measure for wait_still: where an element is on screen, by CSS selector."""


def wait_still(page: Page, measure: str, arg=None, timeout: float = 30) -> object:
    """Poll a JS function until it returns the same value twice 150 ms apart: CSS transitions and map pans
    have ended, however slow the machine. Returns that value."""
    deadline = time.monotonic() + timeout
    last = page.evaluate(measure, arg)
    while True:
        time.sleep(0.15)
        value = page.evaluate(measure, arg)
        if value == last:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"still moving after {timeout}s: {measure} (arg={arg!r})")
        last = value


def wait_frames(page: Page) -> None:
    page.evaluate("new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")


def hide_overlays(page: Page, hidden: bool = True) -> None:
    """Hide legend, controls, labels and the selection ring so only drawn shapes are in a map screenshot."""
    value = "hidden" if hidden else ""
    page.evaluate("""(v) => {
      for (const sel of ['.leaflet-control-container', '.leaflet-tooltip-pane', '.leaflet-selection-pane',
                         '.leaflet-marker-pane']) {
        const el = document.querySelector(sel); if (el) el.style.visibility = v;
      }}""", value)


def exact_colour_pixels(png: bytes) -> Counter:
    """How many pixels of a screenshot have exactly each DOMAIN.md risk colour."""
    image = Image.open(BytesIO(png)).convert("RGB")
    wanted = {tuple(int(hx[i:i + 2], 16) for i in (1, 3, 5)): level for level, hx in RISK_HEX.items()}
    counts: Counter = Counter()
    for n, rgb in image.getcolors(maxcolors=image.width * image.height):
        if rgb in wanted:
            counts[wanted[rgb]] += n
    return counts


def dong_user_with_all_levels(live_server: LiveServer) -> str:
    """A dong official (dongNN) whose dong has households of all four levels."""
    dongs = live_server.get("/dongs", "district")["items"]  # in code order, as dong01..dong14 were made
    tracts = live_server.get("/layers/tracts", "district")["features"]
    per_dong: dict[int, Counter] = {}
    for f in tracts:
        p = f["properties"]
        per_dong.setdefault(p["dong_id"], Counter()).update(p["counts"])
    for k, dong in enumerate(dongs, start=1):
        counts = per_dong.get(dong["id"], Counter())
        if all(counts[level] > 0 for level in RISK_HEX):
            return f"dong{k:02d}"
    raise AssertionError("no dong of the seed has households of all four levels")
