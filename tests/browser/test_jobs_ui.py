"""Printing a round and exporting the list from the screen, in a real headless Chromium: a dong official prints the
tract chosen in the list (a purpose is required; the PDF downloads as 천연동-4통-<date>.pdf, names the tract on its
first page and leaves an access record with that purpose and exactly the tract's households); prints from the
tract's menu on the map (the offline HTML, then the dong's atlas); exports the filtered list as XLSX (the visible
rows, in list order) and CSV; a 통장 has no such buttons; screenshots at 1440 and 360 px."""
import csv
import io
from pathlib import Path

import numpy as np
import pytest
from openpyxl import load_workbook
from pypdf import PdfReader
from shapely.geometry import Point, shape
from sqlalchemy import select

from app.access.models import AccessRecord
from app.config import get_settings
from tests.browser.ui import open_page, sign_in, wait_still, wait_until

pytestmark = pytest.mark.browser

OFFICIAL = "dong01"
WIDE = {"width": 1440, "height": 900}
PHONE = {"width": 360, "height": 740}


def last_record(live_server, action: str) -> AccessRecord | None:
    with live_server.sessions() as s:
        return s.scalars(select(AccessRecord).where(AccessRecord.action == action)
                         .order_by(AccessRecord.id.desc()).limit(1)).first()


def record_count(live_server, action: str) -> int:
    """Access records of one kind (the map's own reads, still arriving on a busy machine, are not counted)."""
    with live_server.sessions() as s:
        return len(s.scalars(select(AccessRecord.id).where(AccessRecord.action == action)).all())


@pytest.fixture(scope="module")
def tract(live_server) -> dict:
    """dong01's busiest tract: its properties, outline, households and the dong's name."""
    me = live_server.get("/auth/me", OFFICIAL)
    dong_id = me["dong_ids"][0]
    dong = next(d for d in live_server.get("/dongs", OFFICIAL)["items"] if d["id"] == dong_id)
    features = live_server.get("/layers/tracts", OFFICIAL, dong_id=dong_id)["features"]
    busiest = max(features, key=lambda f: (sum(f["properties"]["counts"].values()), -f["properties"]["id"]))
    props = busiest["properties"]
    points = live_server.get("/layers/households", OFFICIAL, tract_id=props["id"])["features"]
    return {**props, "dong_name": dong["name"], "outline": shape(busiest["geometry"]),
            "ids": sorted(f["id"] for f in points), "points": [f["geometry"]["coordinates"] for f in points]}


def today() -> str:
    return f"{get_settings().today():%Y-%m-%d}"


def choose_tract(page, tract: dict) -> None:
    page.select_option("#f-dong", str(tract["dong_id"]))
    wait_until(page, "() => !document.querySelector('#f-tract').disabled")
    page.select_option("#f-tract", str(tract["id"]))
    wait_until(page, "id => window.__happymap.state().tract === id && window.__happymap.pointsDrawn", tract["id"])
    wait_until(page, "() => document.querySelector('#print-button').textContent === '이 통 인쇄'")


def test_print_the_tract_chosen_in_the_list(browser, live_server, tract, shots, tmp_path):
    page = open_page(browser, live_server, viewport=WIDE, accept_downloads=True)
    try:
        sign_in(page, OFFICIAL)
        assert page.is_visible("#list-tools") and page.is_disabled("#print-button") is False
        choose_tract(page, tract)
        page.click("#print-button")
        dialog = page.locator("#print-dialog")
        assert dialog.is_visible() and tract["name"] in dialog.locator("h2").inner_text()

        # No purpose: a Korean refusal in the dialog, nothing fetched, nothing recorded.
        before = record_count(live_server, "print")
        dialog.locator("button[type=submit]").click()
        message = dialog.locator(".job-message")
        message.wait_for(state="visible")
        assert "출력 사유" in message.inner_text()
        assert record_count(live_server, "print") == before
        page.screenshot(path=str(shots / "print-dialog-1440.png"))

        dialog.locator("select[name=purpose-choice]").select_option("현장 방문")
        with page.expect_download() as download_info:
            dialog.locator("button[type=submit]").click()
        download = download_info.value
        number = tract["name"].split()[-1]
        assert download.suggested_filename == f"{tract['dong_name']}-{number}-{today()}.pdf"
        saved = tmp_path / download.suggested_filename
        download.save_as(saved)
        reader = PdfReader(saved)
        first = reader.pages[0].extract_text()
        assert tract["name"] in first.replace("\n", " ") or (tract["dong_name"] in first and number in first), first
        wait_until(page, "() => document.querySelector('#print-dialog .job-message.ok') !== null")
        assert download.suggested_filename in dialog.locator(".job-message").inner_text()

        record = last_record(live_server, "print")
        assert record.purpose == "현장 방문" and record.username == OFFICIAL
        assert record.resource == f"GET /api/v1/print/tracts/{tract['id']}.pdf"
        assert sorted(record.household_ids) == tract["ids"]
        dialog.locator("button", has_text="닫기").click()
        assert not dialog.is_visible()
    finally:
        page.context.close()


def empty_spot(tract: dict) -> tuple[float, float]:
    """A point well inside the tract and as far as possible from its households (a click there hits the tract)."""
    outline = tract["outline"]
    inner = outline.buffer(-0.0003) if not outline.buffer(-0.0003).is_empty else outline
    x0, y0, x1, y1 = inner.bounds
    households = np.array(tract["points"]) if tract["points"] else np.zeros((0, 2))
    best, spot = -1.0, None
    for x in np.linspace(x0, x1, 40):
        for y in np.linspace(y0, y1, 40):
            if not inner.contains(Point(x, y)):
                continue
            gap = np.min(np.hypot(households[:, 0] - x, households[:, 1] - y)) if len(households) else 1.0
            if gap > best:
                best, spot = gap, (x, y)
    assert spot is not None
    return spot


def test_print_from_the_tract_menu_offline_html_and_the_dong_atlas(browser, live_server, tract, shots, tmp_path):
    page = open_page(browser, live_server, viewport=WIDE, accept_downloads=True)
    try:
        sign_in(page, OFFICIAL)
        page.evaluate("id => { window.__happymap.map.fitBounds(window.__happymap.tractBounds(id), {animate: false}); }",
                      tract["id"])
        wait_still(page, "() => JSON.stringify(window.__happymap.map.getCenter())")
        lon, lat = empty_spot(tract)
        x, y = page.evaluate("([lat, lon]) => { const p = window.__happymap.map.latLngToContainerPoint([lat, lon]);"
                             " return [p.x, p.y]; }", [lat, lon])
        box = page.locator("#map").bounding_box()
        page.mouse.click(box["x"] + x, box["y"] + y)
        menu = page.locator(f".tract-menu[data-tract='{tract['id']}']")
        menu.wait_for(state="visible")
        assert tract["name"] in menu.inner_text()
        wait_until(page, "() => getComputedStyle(document.querySelector('.hm-tract-popup')).opacity === '1'")
        assert page.locator(".hm-tract-tip").count() == 0  # the hover counts give way to the menu
        page.screenshot(path=str(shots / "print-tract-menu-1440.png"))
        menu.locator("button", has_text="인쇄").click()

        dialog = page.locator("#print-dialog")
        dialog.locator("select[name=purpose-choice]").select_option("__other__")
        dialog.locator("input[name=purpose-text]").fill("주간 순회 점검")
        dialog.locator("input[name=format][value=html]").check()
        with page.expect_download() as download_info:
            dialog.locator("button[type=submit]").click()
        html = download_info.value
        assert html.suggested_filename == f"{tract['dong_name']}-{tract['name'].split()[-1]}-오프라인-{today()}.html"
        saved = tmp_path / "round.html"
        html.save_as(saved)
        text = saved.read_text(encoding="utf-8")
        assert "<html" in text.lower() and tract["name"] in text
        assert last_record(live_server, "print").purpose == "주간 순회 점검"

        # The whole dong: HTML is only for one tract, so choosing the dong falls back to the PDF atlas.
        dialog.locator("input[name=scope][value=dong]").check()
        assert dialog.locator("input[name=format][value=html]").is_disabled()
        assert dialog.locator("input[name=format][value=pdf]").is_checked()
        with page.expect_download(timeout=120_000) as download_info:
            dialog.locator("button[type=submit]").click()
        atlas = download_info.value
        assert atlas.suggested_filename == f"{tract['dong_name']}-전체-{today()}.pdf"
        atlas.save_as(tmp_path / "atlas.pdf")
        tracts = live_server.get("/tracts", OFFICIAL, dong_id=tract["dong_id"])["items"]
        assert len(PdfReader(tmp_path / "atlas.pdf").pages) > len(tracts)  # a cover page, then every tract
        record = last_record(live_server, "print")
        assert record.resource == f"GET /api/v1/print/dongs/{tract['dong_id']}.pdf"
        assert record.purpose == "주간 순회 점검"

        # The menu's other job: the list and the map narrowed to that tract.
        dialog.locator("button", has_text="닫기").click()
        page.mouse.click(box["x"] + x, box["y"] + y)
        menu.locator("button", has_text="이 통 가구 보기").click()
        wait_until(page, "id => document.querySelector('#f-tract').value === String(id)", tract["id"])
        wait_until(page, "id => window.__happymap.state().tract === id && window.__happymap.pointsDrawn", tract["id"])
        # The list tools follow once the narrowed list is in (after the points on a busy machine).
        wait_until(page, "() => document.querySelector('#print-button').textContent === '이 통 인쇄'")
    finally:
        page.context.close()


def test_export_the_filtered_list(browser, live_server, tract, shots, tmp_path):
    page = open_page(browser, live_server, viewport=WIDE, accept_downloads=True)
    try:
        sign_in(page, OFFICIAL)
        page.locator("#f-risks input[value=\"high\"]").check()
        wait_until(page, "() => window.__happymap.state().risk.join() === 'high' && window.__happymap.pointsDrawn")
        # The filtered list itself, not the one before it (on a busy machine the points come first).
        total = live_server.get("/households", OFFICIAL, risk="high", limit=1)["total"]
        wait_until(page, "n => document.querySelector('#list-count').dataset.total === String(n)", total)
        wait_until(page, "() => document.querySelectorAll('#household-list .hh-row').length > 0")
        visible = [int(i) for i in page.eval_on_selector_all("#household-list .hh-row",
                                                              "rows => rows.map(r => r.dataset.id)")]
        assert 0 < len(visible) <= total

        page.click("#export-button")
        dialog = page.locator("#export-dialog")
        assert f"{total:,}가구" in dialog.inner_text() and "고위험" in dialog.inner_text()
        before = record_count(live_server, "export")
        dialog.locator("button[type=submit]").click()
        assert "내보내기 사유" in dialog.locator(".job-message").inner_text()
        assert record_count(live_server, "export") == before
        page.screenshot(path=str(shots / "export-dialog-1440.png"))
        dialog.locator("select[name=purpose-choice]").select_option("구청 보고")
        with page.expect_download() as download_info:
            dialog.locator("button[type=submit]").click()
        download = download_info.value
        assert download.suggested_filename == f"가구목록-{today()}.xlsx"
        download.save_as(tmp_path / "list.xlsx")
        sheet = load_workbook(tmp_path / "list.xlsx", read_only=True).active
        rows = list(sheet.iter_rows(values_only=True))
        header = list(rows[0])
        ids = [int(r[header.index("가구번호")]) for r in rows[1:] if r[header.index("가구번호")] is not None]
        assert len(ids) == total and ids[:len(visible)] == visible
        assert {r[header.index("위험도")] for r in rows[1:] if r[0] is not None} == {"고위험"}
        record = last_record(live_server, "export")
        assert record.purpose == "구청 보고" and sorted(record.household_ids) == sorted(ids)

        dialog.locator("input[name=format][value=csv]").check()
        with page.expect_download() as download_info:
            dialog.locator("button[type=submit]").click()
        assert download_info.value.suggested_filename == f"가구목록-{today()}.csv"
        download_info.value.save_as(tmp_path / "list.csv")
        table = list(csv.reader(io.StringIO(Path(tmp_path / "list.csv").read_text(encoding="utf-8-sig"))))
        assert [int(r[0]) for r in table[1:]] == ids
    finally:
        page.context.close()


def test_the_dialogs_at_360_px_and_no_buttons_for_a_tongjang(browser, live_server, tract, shots):
    page = open_page(browser, live_server, viewport=PHONE, accept_downloads=True)
    try:
        sign_in(page, OFFICIAL)
        page.click("#list-toggle")
        choose_tract(page, tract)
        page.click("#print-button")
        dialog = page.locator("#print-dialog")
        dialog.locator("button[type=submit]").click()
        dialog.locator(".job-message").wait_for(state="visible")
        width = dialog.bounding_box()["width"]
        assert width <= 360 and page.evaluate("document.documentElement.scrollWidth") <= 360
        page.screenshot(path=str(shots / "print-dialog-360.png"))
        dialog.locator("button", has_text="닫기").click()
        page.click("#export-button")
        page.locator("#export-dialog").wait_for(state="visible")
        page.screenshot(path=str(shots / "export-dialog-360.png"))
    finally:
        page.context.close()

    page = open_page(browser, live_server, viewport=PHONE)
    try:
        sign_in(page, "tongjang01")
        assert page.is_hidden("#list-tools")
        assert page.locator(".tract-menu").count() == 0
    finally:
        page.context.close()
