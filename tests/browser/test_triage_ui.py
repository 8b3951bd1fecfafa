"""The staff triage queue (신고 tab) in a real headless Chromium: reports filed by a 통장 are listed for their dong's
official (the unplaceable one too, as 위치 확인 필요), shown on the map as purple diamonds, opened in a report
panel (text only, photos through the API), reviewed, converted into a white household (map and list at once,
checked through the API), dismissed with a required reason, marked duplicate of a suggested household; a report
without a point gets its household's place by a click on the map; a stale action shows the API's Korean refusal;
360 px; 통장 accounts have no 신고 tab."""
import io
import re

import pytest
from PIL import Image
from playwright.sync_api import expect
from shapely.geometry import Point, shape
from shapely.ops import unary_union

from app.config import get_settings
from tests.browser.ui import RECT, open_page, sign_in, wait_frames, wait_still, wait_until

pytestmark = pytest.mark.browser

OFFICIAL = "dong01"
REPORTER = "tongjang01"  # a 통장 of dong01's dong (천연동)
WHITE = "#FFFFFF"
REPORT_PURPLE = "rgb(142, 36, 170)"
XSS_DESCRIPTION = "<img src=x onerror=alert(1)> 혼자 사시는 어르신 댁에 전기가 끊긴 것 같아요. 우편물이 쌓여 있습니다."
UNPLACEABLE = "큰길 건너 파란 대문 집"
DEG_PER_M_LON = 1 / 88_200  # at Seoul's latitude; only used to offset a point by a few metres


@pytest.fixture(scope="module")
def area(live_server) -> dict:
    """dong01's dong: its id, name and polygon, and an active household deep inside it."""
    me = live_server.get("/auth/me", OFFICIAL)
    dong_id = me["dong_ids"][0]
    assert live_server.get("/auth/me", REPORTER)["dong_ids"] == [dong_id]
    feature = next(f for f in live_server.get("/layers/dongs", OFFICIAL)["features"]
                   if f["properties"]["id"] == dong_id)
    polygon = shape(feature["geometry"])
    inner = polygon.buffer(-0.0025)
    items = live_server.get("/households", OFFICIAL, dong_id=dong_id, limit=500, sort="address")["items"]
    deep = [hh for hh in items if hh["status"] == "active" and inner.contains(Point(hh["lon"], hh["lat"]))]
    assert deep, "no household deep inside the dong"
    return {"dong_id": dong_id, "name": feature["properties"]["name"], "polygon": polygon, "households": deep}


@pytest.fixture
def upload_dir(tmp_path, monkeypatch):
    """Report photos of this test go to a throwaway folder (the live server reads settings per request)."""
    monkeypatch.setenv("HAPPYMAP_UPLOAD_DIR", str(tmp_path / "uploads"))
    get_settings.cache_clear()
    yield tmp_path / "uploads"
    monkeypatch.delenv("HAPPYMAP_UPLOAD_DIR")
    get_settings.cache_clear()


def file_report(live_server, username: str = REPORTER, photos: list[bytes] | None = None, **body) -> dict:
    if photos:
        data = {k: (",".join(v) if isinstance(v, list) else str(v)) for k, v in body.items()}
        files = [("photos", (f"p{i}.png", p, "image/png")) for i, p in enumerate(photos)]
        r = live_server.api("POST", "/reports", username, data=data, files=files)
    else:
        r = live_server.api("POST", "/reports", username, json=body)
    assert r.status_code == 201, r.text
    return r.json()


def png(colour=(120, 160, 200), size=(96, 64)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, format="PNG")
    return buffer.getvalue()


def open_tab(page) -> None:
    page.locator("#tab-reports").click()
    expect(page.locator("#report-queue")).to_be_visible()
    wait_until(page, "() => document.querySelector('#report-count')?.dataset.total !== undefined"
               " && !document.querySelector('#report-queue').hasAttribute('aria-busy')")


def row(page, report_id: int):
    return page.locator(f'#report-list .report-row[data-id="{report_id}"]')


def api_report(live_server, report_id: int) -> dict:
    return live_server.get(f"/reports/{report_id}", OFFICIAL)


def test_queue_convert_to_white_household_and_dismiss(page, live_server, area, shots, upload_dir):
    hh = area["households"][0]
    lon, lat = hh["lon"] + 20 * DEG_PER_M_LON, hh["lat"]  # 20 m east of a household: a duplicate suggestion
    assert area["polygon"].contains(Point(lon, lat))
    placed = file_report(live_server, description=XSS_DESCRIPTION, lon=lon, lat=lat,
                         address="서울특별시 서대문구 <b>연희로</b> 11-2",
                         indicators=["utility_cutoff", "elderly_alone"],
                         reporter_contact="010-1234-5678", photos=[png()])
    unplaced = file_report(live_server, description="어디인지 정확히 모르지만 도움이 필요해 보이는 분이 있어요",
                           address=UNPLACEABLE)
    assert placed["dong_id"] == area["dong_id"] and placed["photos"] == 1
    assert unplaced["dong_id"] is None and unplaced["needs_location"] is True
    # The API's rule: a dong official sees the unplaced reports their own dong's 통장 filed.
    listed = live_server.get("/reports", OFFICIAL, status="new,reviewing", limit=500)
    listed_ids = [i["id"] for i in listed["items"]]
    assert placed["id"] in listed_ids and unplaced["id"] in listed_ids

    sign_in(page, OFFICIAL)
    page.evaluate("window.__notReloaded = true")
    expect(page.locator("#sidebar-tabs")).to_be_visible()
    expect(page.locator("#report-open-count")).to_have_text(str(listed["total"]))
    assert page.evaluate("window.__happymap.reportIds()") == [], "no report markers before the tab is opened"
    open_tab(page)
    expect(page.locator("#r-status")).to_have_value("new,reviewing")
    expect(page.locator("#r-status option:checked")).to_have_text("접수·검토중")
    expect(page.locator("#report-count")).to_have_attribute("data-total", str(listed["total"]))
    shown = page.locator("#report-list .report-row").evaluate_all("rs => rs.map(r => Number(r.dataset.id))")
    assert shown == listed_ids[:50], "newest first, as the API lists them"

    placed_row, unplaced_row = row(page, placed["id"]), row(page, unplaced["id"])
    expect(placed_row.locator(".report-receipt")).to_have_text(placed["receipt_no"])
    expect(placed_row.locator(".report-description")).to_have_text(XSS_DESCRIPTION)
    expect(placed_row.locator(".report-channel")).to_have_text("API 등록")
    expect(placed_row.locator(".report-created")).to_have_text(re.compile(r"^\d{4}\. \d{2}\. \d{2}\. \d{2}:\d{2}$"))
    expect(placed_row.locator(".report-place")).to_contain_text(area["name"])
    expect(placed_row.locator(".chip")).to_have_text(["단전·단수·단가스", "독거노인"])
    expect(placed_row.locator(".report-status")).to_have_text("접수")
    expect(unplaced_row.locator(".report-place")).to_have_text("위치 확인 필요")
    expect(unplaced_row.locator(".row-address")).to_have_text(UNPLACEABLE)
    assert page.locator("#report-list img, #report-list b").count() == 0, "markup in data stays text"

    # Markers: the placed report is a purple diamond at its point; the unplaced one has none.
    ids = page.evaluate("window.__happymap.reportIds()")
    assert placed["id"] in ids and unplaced["id"] not in ids
    marker = page.evaluate("id => window.__happymap.describeReport(id)", placed["id"])
    assert (marker["lon"], marker["lat"]) == pytest.approx((lon, lat), abs=1e-9)
    colour = page.evaluate("""() => getComputedStyle(document.querySelector('.hm-report .report-diamond'))
      .backgroundColor""")
    assert colour == REPORT_PURPLE
    expect(page.locator(".hm-legend .legend-reports")).to_be_visible()
    page.screenshot(path=str(shots / "20_triage_queue.png"))

    # The report panel: full text, contact, photo through the API, duplicates, history.
    placed_row.click()
    panel = page.locator("#report-panel")
    expect(panel.locator("h2")).to_have_text(f"신고 {placed['receipt_no']}")
    expect(placed_row).to_have_class(re.compile(r"\bselected\b"))
    expect(panel.locator(".report-full-description")).to_have_text(XSS_DESCRIPTION)
    expect(panel.locator(".report-contact")).to_have_text("010-1234-5678")
    expect(panel.locator(".report-address")).to_have_text("서울특별시 서대문구 <b>연희로</b> 11-2")
    expect(panel.locator(f'.dup-item[data-kind="household"][data-id="{hh["id"]}"]')).to_contain_text(
        re.compile(rf"기존 가구 #{hh['id']} \(\d+m 거리"))
    expect(panel.locator(".report-history .visit-item")).to_have_count(1)
    photo = panel.locator(".report-photo img")
    expect(photo).to_have_count(1)
    wait_until(page, "() => { const i = document.querySelector('#report-panel .report-photo img');"
               " return i && i.complete && i.naturalWidth === 96; }")
    assert photo.get_attribute("src").startswith("data:image/png;base64,")
    assert page.locator("#report-panel img:not(.report-photo img), #report-panel b").count() == 0
    wait_until(page, "id => window.__happymap.describeReport(id)?.selected", placed["id"])
    page.screenshot(path=str(shots / "21_report_panel.png"))

    # 검토 시작 → reviewing (the API keeps who and when).
    panel.locator("#report-review").click()
    expect(panel.locator(".panel-title .report-status")).to_have_text("검토중")
    expect(panel.locator(".saved-note")).to_have_text("검토를 시작했습니다.")
    reviewed = api_report(live_server, placed["id"])
    assert reviewed["status"] == "reviewing" and reviewed["history"][-1]["actor"] == OFFICIAL

    # 가구로 등록: the form is prefilled from the report; the new household is white, on the map and in the list.
    panel.locator("#report-convert").click()
    form = panel.locator(".convert-form")
    expect(form.locator('input[name="address"]')).to_have_value("서울특별시 서대문구 <b>연희로</b> 11-2")
    expect(form.locator(".pick-where")).to_have_attribute("data-source", "report")
    form.locator('input[name="head_name"]').fill("김복지")
    form.locator('input[name="members"]').fill("2")
    page.screenshot(path=str(shots / "22_convert_form.png"))
    form.locator('button[type="submit"]').click()
    expect(panel.locator(".panel-title .report-status")).to_have_text("가구 등록")
    expect(panel.locator(".saved-note")).to_contain_text("등록했습니다")
    converted = api_report(live_server, placed["id"])
    assert converted["status"] == "converted" and converted["household_id"]
    hid = converted["household_id"]
    household = live_server.get(f"/households/{hid}", OFFICIAL)
    assert household["risk_level"] == "unvisited" and household["color"].upper() == WHITE
    assert (household["lon"], household["lat"]) == pytest.approx((lon, lat), abs=1e-7)
    assert household["address"] == "서울특별시 서대문구 <b>연희로</b> 11-2" and household["members"] == 2
    expect(panel.locator(f'.open-household[data-id="{hid}"]')).to_be_visible()
    point = wait_until(page, "id => window.__happymap.describePoint(id)", hid)
    assert point["fillColor"].upper() == WHITE and point["risk_level"] == "unvisited"
    drawn = page.evaluate("""id => { const m = window.__happymap.map; let ll = null;
      m.eachLayer(l => { if (l.hm && l.hm.id === id && l.getLatLng) ll = l.getLatLng(); });"""
                          """ return ll && [ll.lng, ll.lat]; }""", hid)
    assert drawn == pytest.approx([lon, lat], abs=1e-7)
    # It left the queue of open reports (and its marker went with it).
    wait_until(page, "id => !document.querySelector(`#report-list .report-row[data-id=\"${id}\"]`)", placed["id"])
    assert placed["id"] not in page.evaluate("window.__happymap.reportIds()")
    page.screenshot(path=str(shots / "23_converted.png"))
    assert page.evaluate("window.__notReloaded") is True

    # The 가구 tab lists the new household at once.
    page.locator("#tab-households").click()
    fresh = page.locator(f'#household-list .hh-row[data-id="{hid}"]')
    expect(fresh).to_be_visible()
    expect(fresh.locator(".row-name")).to_have_text("김복지")
    expect(fresh.locator(".badge-unvisited")).to_have_text("미방문")
    expect(page.locator(".hm-report")).to_have_count(0)
    fresh.click()
    expect(page.locator("#household-panel h2")).to_have_text(f"가구 #{hid}")

    # 종결 needs a reason: an empty one is refused in Korean and nothing is sent.
    open_tab(page)
    row(page, unplaced["id"]).click()
    expect(panel.locator("h2")).to_have_text(f"신고 {unplaced['receipt_no']}")
    expect(page.locator("#household-panel")).to_be_hidden()
    expect(panel.locator(".report-place .badge-unplaced")).to_have_text("위치 확인 필요")
    panel.locator("#report-dismiss").click()
    dismiss = panel.locator(".dismiss-form")
    expect(dismiss.locator(".form-warning")).to_contain_text("신고한 분")
    dismiss.locator('button[type="submit"]').click()
    expect(dismiss.locator(".form-message")).to_have_text("종결 사유를 입력하세요.")
    dismiss.locator("textarea").fill("   ")
    dismiss.locator('button[type="submit"]').click()
    expect(dismiss.locator(".form-message")).to_have_text("종결 사유를 입력하세요.")
    assert api_report(live_server, unplaced["id"])["status"] == "new"
    page.screenshot(path=str(shots / "24_dismiss_needs_reason.png"))
    reason = "현장 확인 결과 가족이 함께 살며 돌보고 있어 지원 대상이 아닙니다."
    dismiss.locator("textarea").fill(reason)
    dismiss.locator('button[type="submit"]').click()
    expect(panel.locator(".panel-title .report-status")).to_have_text("종결")
    expect(panel.locator(".report-reason")).to_have_text(reason)
    after = api_report(live_server, unplaced["id"])
    assert after["status"] == "dismissed" and after["status_reason"] == reason
    assert after["history"][-1]["actor"] == OFFICIAL
    mine = live_server.get(f"/reports/{unplaced['id']}", REPORTER)
    assert mine["status"] == "dismissed" and reason in mine["status_note"]
    wait_until(page, "id => !document.querySelector(`#report-list .report-row[data-id=\"${id}\"]`)", unplaced["id"])
    page.locator("#r-status").select_option("dismissed")
    expect(row(page, unplaced["id"]).locator(".report-status")).to_have_text("종결")
    page.screenshot(path=str(shots / "25_dismissed.png"))


def free_map_spot(page, polygon) -> dict:
    """A screen point of the map, inside the dong, outside the report panel, 20 px clear of every point."""
    candidates = page.evaluate("""() => {
      const h = window.__happymap, m = h.map, box = m.getContainer().getBoundingClientRect();
      const panel = document.querySelector('#report-panel').getBoundingClientRect();
      const points = h.visibleIds().map(id => h.describePoint(id));
      const out = [];
      for (let y = box.top + 80; y < box.bottom - 80; y += 23) """
      """for (let x = box.left + 60; x < Math.min(box.right, panel.left) - 60; x += 23) {
        if (points.some(p => Math.hypot(p.x - x, p.y - y) < 20)) continue;
        const ll = m.containerPointToLatLng([x - box.left, y - box.top]);
        out.push({x, y, lon: ll.lng, lat: ll.lat});
      }
      return out; }""")
    inner = polygon.buffer(-0.0005)
    spots = [c for c in candidates if inner.contains(Point(c["lon"], c["lat"]))]
    assert spots, "no free spot inside the dong on screen"
    return spots[len(spots) // 2]


def set_view(page, lon: float, lat: float) -> dict:
    """Centre the map on a place at zoom 16; returns where that place is on screen."""
    page.evaluate("([lon, lat]) => { window.__happymap.map.setView([lat, lon], 16, {animate: false}); }", [lon, lat])
    wait_frames(page)
    return page.evaluate("""([lon, lat]) => { const m = window.__happymap.map,"""
                         """ box = m.getContainer().getBoundingClientRect();
      const p = m.latLngToContainerPoint([lat, lon]); return {x: box.left + p.x, y: box.top + p.y}; }""", [lon, lat])


def test_unplaced_report_gets_its_place_by_a_map_click(page, live_server, area, shots):
    report = file_report(live_server, username="tongjang02",
                         description="고시원에 사는 청년이 며칠째 방에서 나오지 않는다고 합니다.",
                         address="어느 고시원 3층", indicators=["isolation", "housing_crisis"])
    assert report["needs_location"] is True
    sign_in(page, OFFICIAL)
    open_tab(page)
    row(page, report["id"]).click()
    panel = page.locator("#report-panel")
    expect(panel.locator("h2")).to_have_text(f"신고 {report['receipt_no']}")
    panel.locator("#report-convert").click()
    form = panel.locator(".convert-form")
    expect(form.locator(".pick-where")).to_have_attribute("data-source", "none")
    form.locator('button[type="submit"]').click()
    expect(form.locator(".form-message")).to_have_text("가구 위치를 지도에서 정하세요.")
    assert api_report(live_server, report["id"])["status"] == "new"

    # A place outside the district: the API refuses it in Korean, the panel shows why, nothing changes.
    district = unary_union([shape(f["geometry"]) for f in live_server.get("/layers/dongs", "district")["features"]])
    west, _south, _east, _north = district.bounds
    outside = (west - 0.004, district.centroid.y)
    assert not district.contains(Point(*outside))
    form.locator("#convert-pick").click()
    expect(page.locator("#pick-banner")).to_be_visible()
    screen = set_view(page, *outside)
    page.mouse.click(screen["x"], screen["y"])
    expect(form.locator(".pick-where")).to_have_attribute("data-source", "picked")
    form.locator('button[type="submit"]').click()
    expect(form.locator(".form-message")).to_contain_text("관할 구역 밖")
    page.screenshot(path=str(shots / "31_convert_refused_outside.png"))
    assert api_report(live_server, report["id"])["status"] == "new"

    form.locator("#convert-pick").click()
    expect(page.locator("#pick-banner")).to_be_visible()
    inside = area["polygon"].representative_point()
    set_view(page, inside.x, inside.y)
    spot = free_map_spot(page, area["polygon"])
    page.screenshot(path=str(shots / "26_pick_mode.png"))
    page.mouse.click(spot["x"], spot["y"])
    expect(page.locator("#pick-banner")).to_be_hidden()
    expect(form.locator(".pick-where")).to_have_attribute("data-source", "picked")
    expect(page.locator(".hm-pick .pick-pin")).to_have_count(1)
    form.locator('button[type="submit"]').click()
    expect(panel.locator(".panel-title .report-status")).to_have_text("가구 등록")
    after = api_report(live_server, report["id"])
    household = live_server.get(f"/households/{after['household_id']}", OFFICIAL)
    assert household["risk_level"] == "unvisited"
    assert (household["lon"], household["lat"]) == pytest.approx((spot["lon"], spot["lat"]), abs=2e-6)
    assert household["dong_id"] == area["dong_id"]
    assert household["address"] == "어느 고시원 3층"
    assert household["head_name"][0] + household["head_name"][-1] == "성상", "성명 미상 (masked by the API)"
    point = wait_until(page, "id => window.__happymap.describePoint(id)", household["id"])
    assert point["fillColor"].upper() == WHITE
    assert abs(point["x"] - spot["x"]) < 2 and abs(point["y"] - spot["y"]) < 2
    expect(page.locator(".hm-pick")).to_have_count(0)


def test_mark_duplicate_of_a_suggested_household_and_a_stale_action(page, live_server, area, shots):
    hh = area["households"][1 % len(area["households"])]
    lon, lat = hh["lon"] - 15 * DEG_PER_M_LON, hh["lat"]
    dup = file_report(live_server, description="같은 집 이야기 같은데, 할머니 혼자 계세요", lon=lon, lat=lat)
    stale = file_report(live_server, description="계단에 쓰러져 계신 걸 본 적이 있어요", address="정확한 주소 모름")
    sign_in(page, OFFICIAL)
    open_tab(page)
    row(page, dup["id"]).click()
    panel = page.locator("#report-panel")
    expect(panel.locator("h2")).to_have_text(f"신고 {dup['receipt_no']}")
    # A suggested household opens its own panel; the report is one click away in the queue.
    panel.locator(f'.dup-item[data-kind="household"][data-id="{hh["id"]}"] button').click()
    expect(page.locator("#household-panel h2")).to_have_text(f"가구 #{hh['id']}")
    expect(panel).to_be_hidden()
    row(page, dup["id"]).click()
    expect(panel.locator("h2")).to_have_text(f"신고 {dup['receipt_no']}")
    expect(page.locator("#household-panel")).to_be_hidden()
    panel.locator("#report-duplicate").click()
    form = panel.locator(".duplicate-form")
    choice = form.locator(f'input[name="target"][value="household:{hh["id"]}"]')
    expect(choice).to_have_count(1)
    choice.check()
    page.screenshot(path=str(shots / "27_mark_duplicate.png"))
    form.locator('button[type="submit"]').click()
    expect(panel.locator(".panel-title .report-status")).to_have_text("중복")
    marked = api_report(live_server, dup["id"])
    assert marked["status"] == "duplicate" and marked["household_id"] == hh["id"]

    # The linked household opens its own panel.
    panel.locator(f'.open-household[data-id="{hh["id"]}"]').click()
    expect(page.locator("#household-panel h2")).to_have_text(f"가구 #{hh['id']}")
    expect(panel).to_be_hidden()

    # Someone else dismisses a report while it is open here: the API's Korean refusal is shown, nothing changes.
    open_tab(page)
    row(page, stale["id"]).click()
    expect(panel.locator("h2")).to_have_text(f"신고 {stale['receipt_no']}")
    r = live_server.api("POST", f"/reports/{stale['id']}/dismiss", "district", json={"reason": "구청에서 먼저 종결"})
    assert r.status_code == 200, r.text
    panel.locator("#report-dismiss").click()
    panel.locator(".dismiss-form textarea").fill("중복 방문 결과 이상 없음")
    panel.locator('.dismiss-form button[type="submit"]').click()
    expect(panel.locator(".panel-body > .form-message")).to_contain_text("다른 사용자가 먼저 이 신고를 처리했습니다")
    expect(panel.locator(".panel-title .report-status")).to_have_text("종결")
    assert api_report(live_server, stale["id"])["status_reason"] == "구청에서 먼저 종결"


def test_phone_width_queue_and_report_sheet(browser, live_server, area, shots):
    report = file_report(live_server, description="전화 화면 확인용: 반지하 침수 피해가 있었던 집",
                         lon=area["households"][-1]["lon"], lat=area["households"][-1]["lat"] + 0.0002,
                         indicators=["disaster"])
    page = open_page(browser, live_server, viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True,
                     device_scale_factor=2)
    try:
        sign_in(page, OFFICIAL)
        page.locator("#list-toggle").tap()
        page.locator("#tab-reports").tap()
        expect(row(page, report["id"])).to_be_visible()
        wait_still(page, RECT, "#sidebar")
        sheet = page.locator("#sidebar").bounding_box()
        assert sheet["x"] >= 0 and sheet["x"] + sheet["width"] <= 360
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        page.screenshot(path=str(shots / "28_phone_queue.png"))
        row(page, report["id"]).tap()
        panel = page.locator("#report-panel")
        expect(panel.locator("h2")).to_have_text(f"신고 {report['receipt_no']}")
        wait_still(page, "id => [document.querySelector('#report-panel').getBoundingClientRect().y,"
                         " window.__happymap.describeReport(id)]", report["id"])
        box = panel.bounding_box()
        assert box["y"] > 150 and box["width"] <= 360, "a bottom sheet with the map above it"
        marker = page.evaluate("id => window.__happymap.describeReport(id)", report["id"])
        assert 46 < marker["y"] < box["y"], "the report's place is in the visible part of the map"
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        page.screenshot(path=str(shots / "29_phone_report_panel.png"))
        panel.locator("#report-convert").tap()
        panel.locator("#convert-pick").tap()
        expect(page.locator("#pick-banner")).to_be_visible()
        expect(panel).not_to_be_in_viewport()
        page.screenshot(path=str(shots / "30_phone_pick.png"))
        page.locator("#pick-cancel").tap()
        expect(panel).to_be_in_viewport()
        assert page.errors == [] and page.external == []
    finally:
        page.context.close()


def test_tongjang_has_no_report_tab(page):
    sign_in(page, REPORTER)
    expect(page.locator("#sidebar-tabs")).to_be_hidden()
    assert page.evaluate("window.__happymap.reportIds()") == []
    assert page.evaluate("window.__happymap.tab()") == "households"
