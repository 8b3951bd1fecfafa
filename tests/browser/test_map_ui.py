"""The map page in a real headless Chromium: sign-in, the four colours, filters, the household panel, a visit
that recolours a point, script-like data shown as text, the phone layout, sessions, and the drawing time."""
import re
from collections import Counter

import httpx
import pytest
from playwright.sync_api import expect

from tests.browser.ui import (
    RECT,
    RISK_HEX,
    dong_user_with_all_levels,
    exact_colour_pixels,
    hide_overlays,
    open_page,
    sign_in,
    wait_frames,
    wait_still,
    wait_until,
)
from tests.conftest import DEMO_PASSWORD

pytestmark = pytest.mark.browser

XSS_NAME = "<img src=x onerror=alert(1)>"
XSS_ADDRESS = '<script>alert("주소")</script> 서울특별시 서대문구 테스트로 1'
XSS_NOTES = "<b onmouseover=alert(2)>메모</b>"


def layer_colours(live_server, username: str, **params) -> Counter:
    layer = live_server.get("/layers/households", username, **params)
    return Counter(f["properties"]["color"].upper() for f in layer["features"])


def list_total(page) -> int:
    return int(page.locator("#list-count").get_attribute("data-total"))


@pytest.fixture(scope="module")
def official(live_server) -> str:
    return dong_user_with_all_levels(live_server)


def test_time_from_login_to_all_points_drawn(page, browser, live_server, official, shots):
    """Runs first, on the untouched seed: every household of the district (10,497) on one canvas."""
    total = live_server.get("/households", "district", limit=1)["total"]
    timings = sign_in(page, "district")
    assert page.evaluate("window.__happymap.pointCount()") == total == timings["points"]
    assert sum(page.evaluate("window.__happymap.colorCounts()").values()) == total
    print(f"\n로그인→가구 {total:,}개 모두 표시 (district, 구 전체): {timings['loginToPointsMs']} ms")
    assert timings["loginToPointsMs"] < 20_000
    page.screenshot(path=str(shots / "00_district_all_points.png"))
    second = open_page(browser, live_server)
    try:
        t = sign_in(second, official)
        print(f"로그인→가구 {t['points']:,}개 모두 표시 ({official}, 담당 동): {t['loginToPointsMs']} ms")
    finally:
        second.context.close()


def test_login_shows_points_in_exactly_the_four_colours(page, live_server, official, shots):
    sign_in(page, official)
    expect(page.locator("#user-label")).to_contain_text("동 담당")
    drawn = Counter(page.evaluate("window.__happymap.colorCounts()"))
    assert set(drawn) == set(RISK_HEX.values())
    assert drawn == layer_colours(live_server, official)
    legend = page.evaluate("window.__happymap.legendCounts()")
    for level, hexcode in RISK_HEX.items():
        assert legend[level] == drawn[hexcode]
        row = page.locator(f'.hm-legend .legend-row[data-level="{level}"] .legend-count')
        expect(row).to_have_text(f"{drawn[hexcode]:,}")
    page.screenshot(path=str(shots / "01_map_official.png"))

    hide_overlays(page)
    wait_frames(page)
    pixels = exact_colour_pixels(page.locator("#map").screenshot())
    hide_overlays(page, False)
    for level in RISK_HEX:
        assert pixels[level] >= 10, f"{level} not visible on the canvas: {pixels}"
    assert page.locator("#household-list .hh-row").count() == min(50, sum(drawn.values()))


def test_filter_to_high_risk_matches_api_and_url(page, browser, live_server, official, shots):
    sign_in(page, official)
    api_total = live_server.get("/households", official, risk="high", limit=1)["total"]
    assert api_total > 0
    page.locator('#f-risks input[value="high"]').check()
    wait_until(page, "t => document.querySelector('#list-count').dataset.total === String(t)"
               " && window.__happymap.pointsDrawn && window.__happymap.pointCount() === t", api_total)
    assert list_total(page) == api_total
    rows = page.locator("#household-list .hh-row")
    assert rows.count() == min(api_total, 50)
    assert set(rows.evaluate_all("rs => rs.map(r => r.dataset.level)")) == {"high"}
    assert page.evaluate("window.__happymap.colorCounts()") == {RISK_HEX["high"]: api_total}
    assert "risk=high" in page.url
    page.screenshot(path=str(shots / "02_filter_high.png"))

    # A colleague opening the same address sees the same view after signing in.
    colleague = open_page(browser, live_server)
    try:
        sign_in(colleague, official, path="/" + page.url.split("/", 3)[3])
        expect(colleague.locator('#f-risks input[value="high"]')).to_be_checked()
        assert list_total(colleague) == api_total
        assert colleague.errors == []
    finally:
        colleague.context.close()


def test_row_and_point_clicks_keep_map_and_list_in_step(page, live_server, official, shots):
    sign_in(page, official)
    first = page.locator("#household-list .hh-row").first
    first_id = int(first.get_attribute("data-id"))
    first.click()
    expect(page.locator("#household-panel h2")).to_have_text(f"가구 #{first_id}")
    expect(first).to_have_class(re.compile(r"\bselected\b"))
    wait_until(page, "id => window.__happymap.state().h === id", first_id)
    assert f"h={first_id}" in page.url
    wait_until(page, "id => window.__happymap.describePoint(id) && window.__happymap.map.getZoom() >= 17", first_id)

    # A point far down the urgency order (not on the first page): click it on the canvas itself.
    page_ids = {i["id"] for i in live_server.get("/households", official, limit=50)["items"]}
    target = page.evaluate("""(skip) => {
      const h = window.__happymap;
      const ids = h.visibleIds().filter(id => !skip.includes(id));
      const low = ids.filter(id => h.describePoint(id).risk_level === 'low');
      return low[Math.floor(low.length / 2)];
    }""", list(page_ids))
    page.evaluate("""(id) => { const h = window.__happymap; const m = h.map;
      const p = h.describePoint(id); const ll = m.containerPointToLatLng([p.x - m.getContainer()
        .getBoundingClientRect().left, p.y - m.getContainer().getBoundingClientRect().top]);
      m.setView(ll, 19, {animate: false}); }""", target)
    page.locator(".panel-close").click()
    wait_frames(page)
    point = page.evaluate("id => window.__happymap.describePoint(id)", target)
    crowded = page.evaluate("""(t) => { const h = window.__happymap; const p = h.describePoint(t);
      return h.visibleIds().filter(id => id !== t).map(id => h.describePoint(id))
        .filter(q => Math.hypot(q.x - p.x, q.y - p.y) < 2 * p.radius + 6).length; }""", target)
    assert crowded == 0, "target point overlaps another one; pick differently"
    page.mouse.click(point["x"], point["y"])
    expect(page.locator("#household-panel h2")).to_have_text(f"가구 #{target}")
    pinned = page.locator(f'#household-list .hh-row[data-id="{target}"]')
    expect(pinned).to_have_class(re.compile(r"\bselected\b"))
    expect(pinned).to_have_class(re.compile(r"\bpinned\b"))
    assert f"h={target}" in page.url
    page.screenshot(path=str(shots / "03_point_clicked.png"))


def test_recording_a_visit_turns_a_white_point_red_without_reload(page, live_server, official, shots):
    sign_in(page, official)
    unvisited = live_server.get("/households", official, risk="unvisited", limit=1)["items"][0]
    hid = unvisited["id"]
    page.evaluate("window.__notReloaded = true")
    page.locator('#f-risks input[value="unvisited"]').check()
    row = page.locator(f'#household-list .hh-row[data-id="{hid}"]')
    row.click()
    expect(page.locator("#household-panel h2")).to_have_text(f"가구 #{hid}")
    assert page.evaluate("id => window.__happymap.describePoint(id).fillColor", hid) == RISK_HEX["unvisited"]

    page.locator("#record-visit").click()
    form = page.locator(".visit-form")
    form.locator('input[name="contact_type"][value="visit"]').check()
    form.locator('input[name="visitor_types"][value="welfare_tongjang"]').check()
    form.locator('input[name="indicators"][value="utility_cutoff"]').check()
    form.locator('input[name="indicators"][value="housing_crisis"]').check()
    form.locator('input[name="needs"][value="heating_cooling"]').check()
    form.locator('textarea[name="notes"]').fill("겨울철 난방 중단 확인")
    form.locator('button[type="submit"]').click()

    wait_until(page, "id => window.__happymap.describePoint(id).fillColor === '#E53935'", hid)
    assert page.evaluate("window.__notReloaded") is True
    expect(page.locator(".saved-note")).to_be_visible()
    expect(page.locator("#household-panel .panel-title .badge").first).to_have_text("고위험")
    expect(page.locator("#household-panel .visit-list .visit-item").first).to_contain_text("단전·단수·단가스")
    expect(row).to_have_attribute("data-level", "high")
    assert live_server.get(f"/households/{hid}", official)["risk_level"] == "high"

    # The pixels under the point changed too.
    page.evaluate("id => { const h = window.__happymap; const p = h.describePoint(id);"
                  " h.map.setView(h.map.containerPointToLatLng([p.x - h.map.getContainer().getBoundingClientRect()"
                  ".left, p.y - h.map.getContainer().getBoundingClientRect().top]), 18, {animate: false}); }", hid)
    wait_frames(page)
    hide_overlays(page)
    p = page.evaluate("id => window.__happymap.describePoint(id)", hid)
    clip = {"x": p["x"] - 3, "y": p["y"] - 3, "width": 6, "height": 6}
    assert exact_colour_pixels(page.screenshot(clip=clip))["high"] >= 20
    hide_overlays(page, False)
    page.screenshot(path=str(shots / "04_visit_recorded.png"))


def test_script_like_names_render_as_text(page, live_server, official, shots):
    near = live_server.get("/households", official, limit=1, sort="address")["items"][0]
    r = live_server.api("POST", "/households", official, json={
        "head_name": XSS_NAME, "address": XSS_ADDRESS, "lon": near["lon"] + 0.00002, "lat": near["lat"],
        "notes": XSS_NOTES, "members": 1})
    assert r.status_code == 201, r.text
    hid = r.json()["id"]

    sign_in(page, official)
    page.fill("#f-q", "테스트로")
    row = page.locator(f'#household-list .hh-row[data-id="{hid}"]')
    expect(row).to_be_visible()
    expect(row.locator(".row-address")).to_have_text(XSS_ADDRESS)
    row.click()
    panel = page.locator("#household-panel")
    expect(panel.locator(".hh-address")).to_have_text(XSS_ADDRESS)
    expect(panel.locator(".hh-notes")).to_have_text(XSS_NOTES)
    panel.get_by_role("button", name="실명·연락처 보기").click()
    panel.locator('input[name="purpose"]').fill("화면 표시 점검")
    panel.get_by_role("button", name="열람").click()
    expect(panel.locator(".hh-name")).to_have_text(XSS_NAME)
    page.mouse.move(5, 5)
    page.wait_for_timeout(300)
    assert page.dialogs == []
    assert page.locator("#app-view img, #app-view script, #app-view b").count() == 0
    page.screenshot(path=str(shots / "05_script_name_as_text.png"))


def test_panel_sections_settle_and_facilities_toggle(page, live_server, official, shots):
    sign_in(page, official)
    page.locator("#household-list .hh-row").first.click()
    panel = page.locator("#household-panel")
    expect(panel.locator(".details")).to_be_visible()
    for section in (".visits", ".services", ".nearby"):
        expect(panel.locator(f"{section} .empty-state, {section} li").first).to_be_visible(timeout=15_000)
        expect(panel.locator(f"{section} .loading")).to_have_count(0)

    features = live_server.get("/layers/facilities", official)["features"]
    page.locator("#toggle-facilities").check()
    expect(page.locator(".leaflet-marker-pane .hm-facility")).to_have_count(len(features))
    expect(page.locator(".legend-facilities")).to_be_visible()
    page.screenshot(path=str(shots / "06_facilities.png"))
    page.locator("#toggle-facilities").uncheck()
    expect(page.locator(".leaflet-marker-pane .hm-facility")).to_have_count(0)


def test_phone_width_360_is_usable(browser, live_server, official, shots):
    page = open_page(browser, live_server, viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True,
                     device_scale_factor=2)
    try:
        sign_in(page, official)
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        map_box = page.locator("#map").bounding_box()
        assert map_box["width"] >= 355 and map_box["height"] >= 600
        assert page.evaluate("window.__happymap.pointCount()") > 0
        page.screenshot(path=str(shots / "07_phone_map.png"))

        page.locator("#list-toggle").tap()
        sheet = page.locator("#sidebar")
        wait_still(page, RECT, "#sidebar")
        box = sheet.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 360 and box["y"] + box["height"] <= 741
        expect(page.locator("#household-list .hh-row").first).to_be_in_viewport()
        page.screenshot(path=str(shots / "08_phone_list.png"))

        first = page.locator("#household-list .hh-row").first
        hid = int(first.get_attribute("data-id"))
        first.tap()
        panel = page.locator("#household-panel")
        expect(panel.locator("h2")).to_have_text(f"가구 #{hid}")
        wait_still(page, "id => [document.querySelector('#household-panel').getBoundingClientRect().y,"
                         " window.__happymap.describePoint(id)]", hid)
        panel_box = panel.bounding_box()
        assert panel_box["y"] > 150, "the map must stay visible above the panel"
        assert panel_box["width"] <= 360
        point = page.evaluate("id => window.__happymap.describePoint(id)", hid)
        assert 46 < point["y"] < panel_box["y"], "the chosen household is in the visible part of the map"
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        page.screenshot(path=str(shots / "09_phone_panel.png"))
        page.locator(".panel-close").tap()
        expect(panel).to_be_hidden()
        assert page.errors == [] and page.external == []
    finally:
        page.context.close()


def test_token_in_memory_only_logout_and_expiry(page, live_server, official, shots):
    seen = []
    page.on("request", lambda req: seen.append(req.headers.get("authorization")))
    sign_in(page, official)
    token = next(h for h in seen if h).removeprefix("Bearer ")
    assert page.evaluate("localStorage.length + sessionStorage.length") == 0
    assert page.context.cookies() == []
    assert token not in page.url

    # The server ends the session (as an expiry would): the next call sends the user back to sign in.
    r = httpx.post(f"{live_server.url}/api/v1/auth/logout", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 204
    # click(), not check(): signing out clears the filters, so the box may already be
    # unticked again when Playwright looks, which is the behaviour under test.
    page.locator('#f-risks input[value="medium"]').click()
    expect(page.locator("#login-view")).to_be_visible()
    expect(page.locator('#f-risks input[value="medium"]')).not_to_be_checked()
    expect(page.locator("#login-message")).to_contain_text("세션이 만료되었습니다")
    assert page.locator("#household-list .hh-row").count() == 0
    page.screenshot(path=str(shots / "10_session_expired.png"))

    # Sign in again, then out: the token stops working at once.
    seen.clear()
    page.fill("#login-username", official)
    page.fill("#login-password", DEMO_PASSWORD)
    page.click("#login-submit")
    wait_until(page, "() => window.__happymap.ready === true")
    token2 = next(h for h in seen if h).removeprefix("Bearer ")
    page.locator("#logout-button").click()
    expect(page.locator("#login-message")).to_contain_text("로그아웃했습니다")
    r = httpx.get(f"{live_server.url}/api/v1/auth/me", headers={"Authorization": f"Bearer {token2}"})
    assert r.status_code == 401

    wrong = page.locator("#login-password")
    page.fill("#login-username", official)
    wrong.fill("not-the-password")
    page.click("#login-submit")
    expect(page.locator("#login-message")).to_contain_text("올바르지 않습니다")


def test_dong_tract_sort_and_paging_match_the_api(page, live_server, shots):
    sign_in(page, "district")
    dong_id = int(page.locator("#f-dong option").nth(2).get_attribute("value"))
    page.locator("#f-dong").select_option(str(dong_id))
    by_dong = live_server.get("/households", "district", dong_id=dong_id, limit=50)
    wait_until(page, "t => document.querySelector('#list-count').dataset.total === String(t)"
               " && window.__happymap.pointsDrawn && window.__happymap.pointCount() === t", by_dong["total"])
    assert f"dong={dong_id}" in page.url

    page.locator("#page-next").click()
    second = live_server.get("/households", "district", dong_id=dong_id, limit=50, offset=50)["items"]
    expect(page.locator("#household-list .hh-row").first).to_have_attribute("data-id", str(second[0]["id"]))
    assert "page=2" in page.url

    page.locator("#f-sort").select_option("address")
    by_address = live_server.get("/households", "district", dong_id=dong_id, sort="address", limit=50)["items"]
    expect(page.locator("#household-list .hh-row").first).to_have_attribute("data-id", str(by_address[0]["id"]))
    assert "page=" not in page.url and "sort=address" in page.url

    expect(page.locator("#f-tract option")).not_to_have_count(1)
    tract_id = int(page.locator("#f-tract option").nth(1).get_attribute("value"))
    page.locator("#f-tract").select_option(str(tract_id))
    page.locator("#f-overdue").check()
    query = {"tract_id": tract_id, "dong_id": dong_id, "overdue": "true"}
    total = live_server.get("/households", "district", limit=1, **query)["total"]
    points = len(live_server.get("/layers/households", "district", **query)["features"])
    wait_until(page, "([t, n]) => document.querySelector('#list-count').dataset.total === String(t)"
               " && window.__happymap.pointsDrawn && window.__happymap.pointCount() === n", [total, points])
    assert total == points > 0
    for part in (f"tract={tract_id}", "overdue=1"):
        assert part in page.url
    page.screenshot(path=str(shots / "11_dong_tract_overdue.png"))

    page.locator("#f-reset").click()
    all_total = live_server.get("/households", "district", limit=1)["total"]
    wait_until(page, "t => document.querySelector('#list-count').dataset.total === String(t)", all_total)
    assert "dong=" not in page.url and "overdue" not in page.url


def test_needs_filter_matches_the_api(page, live_server, official):
    sign_in(page, official)
    page.locator("#f-needs-summary").click()
    page.locator('#f-needs input[value="food"]').check()
    page.locator('#f-needs input[value="care"]').check()
    total = live_server.get("/households", official, limit=1, need="food,care")["total"]
    points = len(live_server.get("/layers/households", official, need="food,care")["features"])
    wait_until(page, "([t, n]) => document.querySelector('#list-count').dataset.total === String(t)"
               " && window.__happymap.pointsDrawn && window.__happymap.pointCount() === n", [total, points])
    assert total == points > 0
    assert "need=food%2Ccare" in page.url or "need=food,care" in page.url
    expect(page.locator("#f-needs-summary")).to_have_text("욕구 (2개 선택)")
    needs = page.locator("#household-list .hh-row").first.locator(".chip").all_text_contents()
    assert {"식품", "돌봄"} & set(needs)


def test_hover_tooltips_are_text(page, live_server, official, shots):
    sign_in(page, official)
    hid = page.evaluate("window.__happymap.visibleIds().find(id => window.__happymap.describePoint(id)"
                        ".risk_level === 'high')")
    page.evaluate("id => { const h = window.__happymap; const p = h.describePoint(id); const r = h.map.getContainer()"
                  ".getBoundingClientRect(); h.map.setView(h.map.containerPointToLatLng([p.x - r.left, p.y - r.top]),"
                  " 18, {animate: false}); }", hid)
    wait_frames(page)
    point = page.evaluate("id => window.__happymap.describePoint(id)", hid)
    page.mouse.move(point["x"], point["y"])
    tip = page.locator(".hm-point-tip")
    expect(tip).to_have_text(re.compile(rf"가구 #{hid} · 고위험"))
    empty = page.evaluate("""(id) => { const h = window.__happymap; const p = h.describePoint(id);
      const pts = h.visibleIds().map(i => h.describePoint(i));
      for (let d = 30; d < 200; d += 10) for (const [dx, dy] of [[d, 0], [-d, 0], [0, d], [0, -d]]) {
        const x = p.x + dx, y = p.y + dy;
        if (pts.every(q => Math.hypot(q.x - x, q.y - y) > 20)) return {x, y};
      } return null; }""", hid)
    page.wait_for_timeout(100)
    page.mouse.move(empty["x"], empty["y"])
    page.wait_for_timeout(100)
    page.mouse.move(empty["x"] + 2, empty["y"] + 1)
    expect(page.locator(".hm-tract-tip")).to_contain_text("고위험")
    page.screenshot(path=str(shots / "12_tract_tooltip.png"))


def test_tongjang_sees_outlines_and_the_report_link_but_no_households(page):
    sign_in(page, "tongjang01")
    expect(page.locator("#app-notice a")).to_have_attribute("href", "/report")
    expect(page.locator("#list-status")).to_have_text("통장 계정은 가구 목록을 볼 수 없습니다.")
    assert page.evaluate("window.__happymap.pointCount()") == 0
    assert page.locator("#household-list .hh-row").count() == 0
    expect(page.locator("#f-q")).to_be_disabled()


def test_phone_check_in_with_override_needs_a_reason(page, live_server, official):
    unvisited = live_server.get("/households", official, risk="unvisited", limit=2, sort="address")["items"][-1]
    hid = unvisited["id"]
    sign_in(page, official, path=f"/#h={hid}")
    panel = page.locator("#household-panel")
    expect(panel.locator("h2")).to_have_text(f"가구 #{hid}")
    panel.locator("#record-visit").click()
    form = panel.locator(".visit-form")
    form.locator('input[name="contact_type"][value="phone"]').check()
    form.locator('select[name="risk_override"]').select_option("medium")
    form.locator('button[type="submit"]').click()
    expect(form.locator(".form-message")).to_have_text("위험도를 직접 정할 때는 사유를 적어야 합니다.")
    assert live_server.get(f"/households/{hid}", official)["risk_level"] == "unvisited"

    form.locator('textarea[name="override_reason"]').fill("전화로 단전 예고 통지 확인, 방문 전까지 중위험으로 관리")
    form.locator('button[type="submit"]').click()
    wait_until(page, "id => window.__happymap.describePoint(id).fillColor === '#FB8C00'", hid)
    item = panel.locator(".visit-list .visit-item").first
    expect(item).to_contain_text("전화")
    expect(item.locator(".visit-override")).to_contain_text("중위험")
    after = live_server.get(f"/households/{hid}", official)
    assert after["risk_level"] == "medium" and after["overdue"] is False
    assert page.evaluate("id => window.__happymap.describePoint(id).overdue", hid) is False
