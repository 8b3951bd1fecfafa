"""Script in every text field never runs in the browser: household, visit, service link, facility and report
text, in the map UI, the report form's list and the downloaded offline map (opened from disk, where no CSP
applies). The payloads set window.__xss or open a dialog if any of them ever executes."""
from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import expect

from app.config import get_settings
from tests.browser.ui import LiveServer, open_page, sign_in, wait_until
from tests.conftest import DEMO_PASSWORD, serve_app

PAYLOADS = [
    '<img src=x onerror="window.__xss=1;alert(1)">',
    '"><script>window.__xss=2</script>',
    "<svg onload=window.__xss=3>",
    "javascript:window.__xss=4",
    "</script><b onmouseover=window.__xss=5>굵게</b>",
    "{{constructor.constructor('window.__xss=6')()}}",
]
MARK = "엑스에스테스트로"  # searchable token in the household address


def _text(i: int, field: str) -> str:
    return f"{PAYLOADS[i % len(PAYLOADS)]} {field}"


@pytest.fixture(scope="module")
def live(pg_server, seeded_template) -> Iterator[LiveServer]:
    with serve_app(pg_server, seeded_template) as (url, _factory):
        yield LiveServer(url)


@pytest.fixture(scope="module")
def hostile(live):
    """Records whose every text field carries a payload."""
    official = "dong01"
    near = live.get("/households", official, limit=1, sort="address")["items"][0]
    r = live.api("POST", "/households", official, json={
        "head_name": PAYLOADS[0][:50], "address": f"{_text(1, MARK)}"[:200], "lon": near["lon"] + 0.00003,
        "lat": near["lat"], "registered_address": _text(2, "등록주소"), "notes": _text(3, "메모"), "members": 2})
    assert r.status_code == 201, r.text
    household = r.json()
    visit = live.api("POST", f"/households/{household['id']}/visits", official, json={
        "visited_at": get_settings().now().isoformat(), "contact_type": "visit", "visitor_types": ["official"],
        "indicators": ["isolation"], "needs": ["food"], "notes": _text(4, "방문 메모"),
        "risk_override": "high", "override_reason": _text(5, "직접 지정 사유")})
    assert visit.status_code == 201, visit.text
    facility = live.api("POST", "/facilities", "admin", json={
        "name": _text(0, "기관")[:60], "category": live.get("/facilities", "admin", limit=1)["items"][0]["category"],
        "address": _text(2, "기관 주소"), "description": _text(3, "설명"), "lon": near["lon"] + 0.0004,
        "lat": near["lat"], "needs_served": ["food"]})
    assert facility.status_code == 201, facility.text
    link = live.api("POST", f"/households/{household['id']}/services", official, json={
        "type": "referral", "facility_id": facility.json()["id"], "need": "food", "status": "requested",
        "note": _text(1, "연계 메모")})
    assert link.status_code == 201, link.text
    report = live.api("POST", "/reports", "tongjang01", json={
        "description": _text(2, "신고 내용"), "address": _text(3, "신고 주소")[:200],
        "reporter_contact": "010-0000-0000 " + PAYLOADS[4][:40], "lon": near["lon"], "lat": near["lat"]})
    assert report.status_code == 201, report.text
    return {"household": household, "report": report.json(), "tract_id": household["tract_id"]}


def _never_ran(page) -> None:
    page.mouse.move(5, 5)
    page.wait_for_timeout(300)
    assert page.evaluate("window.__xss") is None
    assert page.dialogs == []
    assert page.errors == [], page.errors  # includes CSP refusals: nothing even tried to run
    injected = page.evaluate("""() => document.querySelectorAll(
        'img[src="x"], svg[onload], b[onmouseover], script:not([src]):not([type="application/json"])').length""")
    # The one inline script the page has is its own import map in <head>, allowed by hash (tests/test_http.py).
    own = page.evaluate("""() => document.querySelectorAll('head > script[type="importmap"]:not([src])').length""")
    assert injected == own


def test_map_ui_shows_hostile_text_as_text(browser, live, hostile):
    page = open_page(browser, live)
    try:
        sign_in(page, "dong01")
        page.fill("#f-q", MARK)
        row = page.locator(f'#household-list .hh-row[data-id="{hostile["household"]["id"]}"]')
        expect(row).to_be_visible(timeout=15000)
        row.click()
        panel = page.locator("#household-panel")
        expect(panel.locator(".hh-address")).to_contain_text(PAYLOADS[1])
        expect(panel.locator(".hh-notes")).to_contain_text(PAYLOADS[3])
        expect(panel.locator(".visit-notes").first).to_contain_text(PAYLOADS[4])
        expect(panel.locator(".visit-override").first).to_contain_text(PAYLOADS[5])
        expect(panel.locator(".service-note").first).to_contain_text(PAYLOADS[1])
        expect(panel.locator(".service-facility").first).to_contain_text(PAYLOADS[0][:20])
        panel.get_by_role("button", name="실명·연락처 보기").click()
        panel.locator('input[name="purpose"]').fill("화면 표시 점검")
        panel.get_by_role("button", name="열람").click()
        expect(panel.locator(".hh-name")).to_have_text(PAYLOADS[0][:50])
        _never_ran(page)
        page.click("#tab-reports")
        report_row = page.locator(f'#report-list .report-row[data-id="{hostile["report"]["id"]}"]')
        expect(report_row).to_be_visible(timeout=15000)
        report_row.click()
        expect(page.locator("#report-panel")).to_contain_text(PAYLOADS[2])
        _never_ran(page)
    finally:
        page.context.close()


def test_report_form_list_shows_hostile_text_as_text(browser, live, hostile):
    page = open_page(browser, live)
    try:
        page.goto("/report")
        page.fill("#username", "tongjang01")
        page.fill("#password", DEMO_PASSWORD)
        page.click("#login-submit")
        expect(page.locator("#mine")).to_contain_text(PAYLOADS[2][:30], timeout=15000)
        _never_ran(page)
    finally:
        page.context.close()


def test_downloaded_offline_map_opened_from_disk_runs_no_injected_script(browser, live, hostile, tmp_path):
    """The offline map is a file a phone opens without our server (no CSP): its own code must keep text text."""
    r = live.api("GET", f"/print/tracts/{hostile['tract_id']}.html", "dong01", params={"purpose": "현장 방문 점검"})
    assert r.status_code == 200 and "attachment" in r.headers["content-disposition"]
    path = tmp_path / "round.html"
    path.write_bytes(r.content)
    context = browser.new_context(locale="ko-KR")
    page = context.new_page()
    page.dialogs, page.errors = [], []
    page.on("dialog", lambda d: (page.dialogs.append(d.message), d.dismiss()))
    page.on("pageerror", lambda exc: page.errors.append(str(exc)))
    try:
        page.goto(path.as_uri())
        wait_until(page, "() => document.querySelectorAll('#round-rows tr').length > 0", timeout=20)
        rows = page.locator("#round-rows tr")
        assert rows.count() >= 1
        expect(page.locator("#round-rows")).to_contain_text(PAYLOADS[1][:20])  # the address, as text
        for k in range(rows.count()):
            rows.nth(k).click()
            page.wait_for_timeout(50)
        page.wait_for_timeout(300)
        assert page.evaluate("window.__xss") is None and page.dialogs == [] and page.errors == []
    finally:
        context.close()
    with httpx.Client() as c:  # served by the app, the same file is an attachment under a strict CSP
        served = c.get(f"{live.url}/api/v1/print/tracts/{hostile['tract_id']}.html",
                       params={"purpose": "점검"}, headers={"Authorization": f"Bearer {live.token('dong01')}"})
        assert "script-src 'self'" in served.headers["content-security-policy"]
