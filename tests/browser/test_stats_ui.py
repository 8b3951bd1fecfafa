"""The statistics screen (/stats) and the data-quality counts, in a real headless Chromium: the district's and a
dong's figures equal GET /stats for the period on screen (cards, the per-dong table, the period presets); the
charts are drawn (their pixels carry the risk colours); a bad period is refused in Korean without a request; the
table saves as CSV and a chart as PNG; the page prints to a PDF that names the statistics; each data-quality
count opens the list it counts (households placed approximately, reports waiting, facilities to confirm);
a 통장 has no statistics; screenshots at 1440 and 360 px."""
import csv
import io
from datetime import date

import pytest
from PIL import Image
from pypdf import PdfReader
from sqlalchemy import select

from app.facilities.models import Facility
from tests.browser.ui import RISK_HEX, open_page, sign_in, wait_until

WHOLE_VIEW = ("() => document.querySelector('.stats-inner').scrollHeight"
              " + document.querySelector('.topbar').offsetHeight")

pytestmark = pytest.mark.browser

WIDE = {"width": 1440, "height": 900}
PHONE = {"width": 360, "height": 740}
CARDS = ("households_total", "households_visited", "visits_total", "visitor_participations", "needs_surveys",
         "service_links", "facilities", "overdue")
LEVELS = ("high", "medium", "low", "unvisited")
COLUMNS = ("households_total", "risk.high", "risk.medium", "risk.low", "risk.unvisited", "households_visited",
           "visits_total", "overdue", "service_links")


def number(text: str) -> int:
    return int(text.replace(",", "").strip())


def pick(row: dict, path: str):
    for key in path.split("."):
        row = row[key]
    return row


def open_stats(browser, live_server, user: str, viewport=WIDE, **options):
    page = open_page(browser, live_server, viewport=viewport, **options)
    sign_in(page, user, path="/stats")
    wait_until(page, "() => window.__happymap.statsReady()")
    return page


def screen_params(page) -> dict:
    """The period and scope the screen asked for, as GET /stats parameters."""
    values = page.evaluate("""() => ({dong: document.querySelector('#s-dong').value,
        from: document.querySelector('#s-from').value, to: document.querySelector('#s-to').value,
        interval: document.querySelector('#s-interval').value, period: document.querySelector('#s-period').value})""")
    params = {"interval": values["interval"]}
    if values["period"] != "all":
        params.update({"from": values["from"], "to": values["to"]})
    if values["dong"]:
        params["dong_id"] = values["dong"]
    return params


def shown_cards(page) -> dict:
    return page.evaluate("""() => Object.fromEntries([...document.querySelectorAll('.stat-card')].map(
        c => [c.dataset.key, c.querySelector('.stat-value').textContent]))""")


def shown_table(page) -> dict:
    return page.evaluate("""() => Object.fromEntries(
        [...document.querySelectorAll('#stats-table tr[data-dong-id]')].map(r => [r.dataset.dongId,
            Object.fromEntries([...r.querySelectorAll('td')].map(td => [td.dataset.key, td.textContent]))]))""")


def assert_screen_equals_api(page, live_server, user: str) -> dict:
    api = live_server.get("/stats", user, **screen_params(page))
    cards = shown_cards(page)
    for key in CARDS:
        assert number(cards[key]) == api[key], key
    for level in LEVELS:
        assert number(cards[f"risk.{level}"]) == api["risk"][level], level
    table = shown_table(page)
    assert set(table) == {str(d["dong_id"]) for d in api["by_dong"]} | {"total"}
    for row in api["by_dong"]:
        for key in COLUMNS:
            assert number(table[str(row["dong_id"])][key]) == pick(row, key), (row["dong_name"], key)
    for key in COLUMNS:
        assert number(table["total"][key]) == pick(api, key), key
    return api


def screenshot_whole(page, path) -> None:
    """The statistics view scrolls inside the page: grow the window to its height for one picture."""
    size = page.viewport_size
    page.set_viewport_size({"width": size["width"], "height": page.evaluate(WHOLE_VIEW) + 20})
    page.evaluate("document.querySelector('#stats-view').scrollTop = 0")
    page.wait_for_timeout(300)  # charts follow their boxes' new size
    page.screenshot(path=str(path))
    page.set_viewport_size(size)


def colour_pixels(png: bytes, hex_colour: str, tolerance: int = 6) -> int:
    target = tuple(int(hex_colour[i:i + 2], 16) for i in (1, 3, 5))
    image = Image.open(io.BytesIO(png)).convert("RGB")
    return sum(n for n, rgb in image.getcolors(maxcolors=image.width * image.height)
               if all(abs(a - b) <= tolerance for a, b in zip(rgb, target, strict=True)))


def test_the_district_figures_equal_the_api_and_the_charts_are_drawn(browser, live_server, shots, tmp_path):
    page = open_stats(browser, live_server, "admin", accept_downloads=True)
    try:
        assert page.evaluate("location.pathname") == "/stats" and page.title().endswith("통계")
        assert page.get_attribute("#nav-stats", "aria-current") == "page"
        assert not page.evaluate("window.__happymap.mapStarted()"), "the map is not loaded for the statistics"
        assert page.input_value("#s-period") == "quarter" and page.input_value("#s-interval") == "week"
        today = date.fromisoformat(page.input_value("#s-to"))
        start = date.fromisoformat(page.input_value("#s-from"))
        assert start.day == 1 and (today.year * 12 + today.month) - (start.year * 12 + start.month) == 2
        api = assert_screen_equals_api(page, live_server, "admin")
        assert len(api["by_dong"]) > 6
        assert "구 전체" in page.inner_text("#stats-caption")

        # Six charts, drawn: the risk chart's canvas carries the red and orange of DOMAIN.md, the trend its line.
        assert sorted(page.evaluate("window.__happymap.chartNames()")) == sorted(
            ["risk-by-dong", "visits-series", "needs-top", "service-links", "overdue-by-dong", "intake"])
        risk_png = page.locator('[data-chart="risk-by-dong"] canvas').screenshot()
        assert colour_pixels(risk_png, RISK_HEX["high"]) > 20 and colour_pixels(risk_png, RISK_HEX["medium"]) > 200
        assert colour_pixels(risk_png, RISK_HEX["low"]) > 200
        line_png = page.locator('[data-chart="visits-series"] canvas').screenshot()
        assert colour_pixels(line_png, "#1565C0") > 50
        screenshot_whole(page, shots / "stats-1440.png")

        # This month and last month: the figures follow the period (and still equal the API).
        for preset in ("month", "last_month"):
            loads = page.evaluate("window.__happymap.statsLoads()")
            page.select_option("#s-period", preset)
            wait_until(page, "n => window.__happymap.statsLoads() > n && window.__happymap.statsReady()", loads)
            shorter = assert_screen_equals_api(page, live_server, "admin")
            assert shorter["visits_total"] <= api["visits_total"]
            first = date.fromisoformat(page.input_value("#s-from"))
            last = date.fromisoformat(page.input_value("#s-to"))
            assert first.day == 1 and (last == today if preset == "month" else last.month != today.month)

        # A custom period the wrong way round: refused in Korean, nothing asked of the server.
        loads = page.evaluate("window.__happymap.statsLoads()")
        page.select_option("#s-period", "custom")
        page.fill("#s-from", "2026-11-30")
        page.fill("#s-to", "2026-11-01")
        page.click("#s-apply")
        page.locator("#stats-message").wait_for(state="visible")
        assert "시작일이 종료일보다 늦습니다" in page.inner_text("#stats-message")
        assert page.evaluate("window.__happymap.statsLoads()") == loads
        # One the server refuses (before 2000): its Korean message is shown, the old figures stay.
        page.fill("#s-from", "1999-12-01")
        page.fill("#s-to", "1999-12-31")
        page.click("#s-apply")
        wait_until(page, "() => document.querySelector('#stats-message').textContent.includes('2000')")
        assert page.evaluate("window.__happymap.statsLoads()") == loads
        page.fill("#s-from", "2026-09-01")
        page.fill("#s-to", "2026-11-30")
        page.click("#s-apply")
        wait_until(page, "n => window.__happymap.statsLoads() > n && window.__happymap.statsReady()", loads)
        assert page.is_hidden("#stats-message")
        custom = assert_screen_equals_api(page, live_server, "admin")
        assert custom["period_from"] == "2026-09-01"
        assert "2026. 9. 1. ~ 2026. 11. 30." in page.inner_text("#stats-caption")

        # The numbers table as CSV, one chart as PNG: what goes into the monthly report to the 구청.
        with page.expect_download() as info:
            page.click("#s-csv")
        assert info.value.suggested_filename == "통계-구전체-2026-09-01_2026-11-30.csv"
        rows = list(csv.reader(io.StringIO(info.value.path().read_text(encoding="utf-8-sig"))))
        assert rows[0][:2] == ["동", "관리 가구"]
        by_name = {r[0]: r for r in rows[1:] if r}
        for d in custom["by_dong"]:
            assert int(by_name[d["dong_name"]][1]) == d["households_total"]
        assert int(by_name["합계"][7]) == custom["visits_total"]
        with page.expect_download() as info:
            page.click('[data-chart="risk-by-dong"] .chart-png')
        assert info.value.suggested_filename.endswith("-risk-by-dong.png")
        png = info.value.path().read_bytes()
        assert png[:8] == b"\x89PNG\r\n\x1a\n" and colour_pixels(png, RISK_HEX["medium"]) > 200

        # Printed (saved as PDF): the title and the period are in the PDF's text, the controls are not.
        page.emulate_media(media="print")
        pdf = tmp_path / "stats.pdf"
        page.pdf(path=str(pdf), format="A4", print_background=True)
        (shots / "stats-print.pdf").write_bytes(pdf.read_bytes())  # looked at as PNG pages (pdftoppm)
        text = "".join("".join(p.extract_text().split()) for p in PdfReader(str(pdf)).pages)
        assert "복지사각지대발굴·관리통계" in text and "2026.9.1.~2026.11.30." in text
        assert f"합계{custom['households_total']:,}" in text and "표CSV" not in text
        page.emulate_media(media="screen")
        assert page.errors == [] and page.external == []
    finally:
        page.context.close()


def test_a_dong_account_sees_only_its_dong(browser, live_server, shots):
    me = live_server.get("/auth/me", "dong01")
    dongs = live_server.get("/dongs", "dong01")["items"]
    mine = next(d for d in dongs if d["id"] == me["dong_ids"][0])
    other = next(d for d in dongs if d["id"] not in me["dong_ids"])
    page = open_stats(browser, live_server, "dong01")
    try:
        options = page.evaluate("() => [...document.querySelectorAll('#s-dong option')].map(o => o.textContent)")
        assert options == [mine["name"]]
        api = assert_screen_equals_api(page, live_server, "dong01")
        assert [d["dong_name"] for d in api["by_dong"]] == [mine["name"]]
        assert other["name"] not in page.inner_text("#stats-view")
        assert live_server.api("GET", "/stats", "dong01", params={"dong_id": other["id"]}).status_code == 404
        page.select_option("#s-period", "year")
        wait_until(page, "() => window.__happymap.statsReady() && document.querySelector('#s-interval').value "
                         "=== 'month'")
        assert_screen_equals_api(page, live_server, "dong01")
        screenshot_whole(page, shots / "stats-dong-1440.png")
    finally:
        page.context.close()


def test_the_phone_layout_and_a_tongjang_without_statistics(browser, live_server, shots):
    page = open_stats(browser, live_server, "dong01", viewport=PHONE)
    try:
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], "nothing wider than the phone"
        boxes = page.evaluate("""() => [...document.querySelectorAll('.chart-card')]
            .map(c => c.getBoundingClientRect().width)""")
        assert boxes and all(w <= PHONE["width"] for w in boxes)
        page.screenshot(path=str(shots / "stats-360-top.png"))
        screenshot_whole(page, shots / "stats-360.png")
    finally:
        page.context.close()
    # A manager's header (지도, 통계, 관리, 목록·필터, 로그아웃) fits a 360 px phone, nothing cut off.
    page = open_page(browser, live_server, viewport=PHONE)
    try:
        sign_in(page, "district")
        for selector in ("#nav-map", "#nav-stats", "#admin-link", "#list-toggle", "#logout-button"):
            box = page.locator(selector).bounding_box()
            assert box and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], selector
        page.locator(".topbar").screenshot(path=str(shots / "header-district-360.png"))
    finally:
        page.context.close()
    page = open_page(browser, live_server, viewport=PHONE)
    try:
        sign_in(page, "tongjang01", path="/stats")
        assert page.is_hidden("#app-nav") and page.is_hidden("#stats-view")
        assert live_server.api("GET", "/stats", "tongjang01").status_code == 403
    finally:
        page.context.close()


def test_each_quality_count_opens_the_list_it_counts(browser, live_server, shots):
    page = open_stats(browser, live_server, "dong01", accept_downloads=True)
    try:
        quality = page.evaluate("window.__happymap.stats().quality")
        assert quality["households_approximate"] > 0
        shown = page.evaluate("""() => Object.fromEntries([...document.querySelectorAll('#stats-quality .quality-item')]
            .map(b => [b.dataset.key, Number(b.dataset.count)]))""")
        assert shown == {k: quality[k] for k in ("households_approximate", "overdue", "reports_waiting",
                                                 "reports_unplaced", "facilities_unconfirmed")}

        # 위치가 대략인 가구 → the map, its list filtered to them, the filter visible and in the address.
        page.click('#stats-quality [data-key="households_approximate"]')
        wait_until(page, "() => window.__happymap.route() === 'map' && window.__happymap.pointsDrawn")
        wait_until(page, "n => document.querySelector('#list-count').textContent.includes(n)",
                   f"{quality['households_approximate']:,}")
        assert page.is_checked("#f-approx") and "placement=approximate" in page.evaluate("location.hash")
        assert page.evaluate("window.__happymap.pointCount()") == quality["households_approximate"]
        listed = live_server.get("/households", "dong01", placement="approximate", limit=200)
        assert {i["placement"] for i in listed["items"]} == {"approximate"}

        # The legend carries the same counts; 처리 대기 opens the report queue filtered to waiting reports.
        wait_until(page, "() => document.querySelectorAll('.legend-quality .quality-item').length === 5")
        assert page.is_hidden(".legend-quality .quality-item"), "folded: the legend leaves the map free"
        page.click(".legend-quality summary")
        legend = page.evaluate("""() => Object.fromEntries(
            [...document.querySelectorAll('.legend-quality .quality-item')]
            .map(b => [b.dataset.key, Number(b.dataset.count)]))""")
        assert legend == shown
        page.click('.legend-quality [data-key="reports_waiting"]')
        wait_until(page, "() => window.__happymap.tab() === 'reports'")
        assert page.input_value("#r-status") == "waiting"
        wait_until(page, "n => document.querySelector('#report-count').textContent.includes(String(n))",
                   quality["reports_waiting"])

        # Facilities to confirm: the dialog lists exactly them; confirming one takes it off the count.
        page.click('.legend-quality [data-key="facilities_unconfirmed"]')
        dialog = page.locator("#facility-check-dialog")
        dialog.wait_for(state="visible")
        wait_until(page, "() => document.querySelectorAll('#facility-check-dialog .check-row').length > 0")
        rows = dialog.locator(".check-row")
        assert rows.count() == quality["facilities_unconfirmed"] > 0
        first = int(rows.first.get_attribute("data-facility-id"))
        page.screenshot(path=str(shots / "quality-facilities-1440.png"))
        rows.first.locator("button.primary").click()
        wait_until(page, "id => document.querySelector(`[data-facility-id=\"${id}\"]`).classList"
                         ".contains('confirmed')", first)
        with live_server.sessions() as s:
            confirmed = s.scalar(select(Facility.referrals_confirmed_on).where(Facility.id == first))
        assert str(confirmed) == live_server.get("/ui-config", "dong01")["today"]
        dialog.locator("button", has_text="닫기").click()
        wait_until(page, "n => window.__happymap.quality().facilities_unconfirmed === n",
                   quality["facilities_unconfirmed"] - 1)
        assert page.errors == [] and page.external == []
    finally:
        page.context.close()


def test_the_legend_counts_on_a_phone(browser, live_server, shots):
    page = open_page(browser, live_server, viewport=PHONE)
    try:
        sign_in(page, "dong01")
        wait_until(page, "() => window.__happymap.quality() !== null")
        page.click(".hm-legend summary.legend-title")
        page.click(".legend-quality summary")
        page.locator(".legend-quality .quality-item").first.wait_for(state="visible")
        page.screenshot(path=str(shots / "legend-quality-360.png"))
        # From the map the header link goes to the statistics without signing in again.
        page.click("#nav-stats")
        wait_until(page, "() => window.__happymap.statsReady()")
        assert page.evaluate("location.pathname") == "/stats"
        page.go_back()
        wait_until(page, "() => window.__happymap.route() === 'map'")
        assert page.is_visible("#map")
    finally:
        page.context.close()
