"""The household panel's "가까운 기관" in a real headless Chromium: facilities for the household's open needs,
nearest first with distances, referral capacity and the needs each serves; "의뢰" creates a referral service link
(checked through the API and in the panel); a facility not taking referrals cannot be picked; the API's Korean
refusal is shown; the facility layer's symbols cover every category and have a legend; 360 px wide."""
import math
import re

import pytest
from playwright.sync_api import expect

from app.vocab import FACILITY_CATEGORIES, NEEDS
from tests.browser.ui import open_page, sign_in, wait_still, wait_until

pytestmark = pytest.mark.browser

USER = "dong01"
NOTE = "주 2회 밑반찬 지원 요청 <b>확인</b>"


def metres(text: str) -> float:
    """`350m` → 350, `1.2km` → 1200 (the panel's distance format)."""
    m = re.fullmatch(r"([\d.]+)(k?m)", text.strip())
    assert m, f"not a distance: {text!r}"
    return float(m.group(1)) * (1000 if m.group(2) == "km" else 1)


def shown_distance(distance_m: float) -> str:
    # JavaScript's Math.round (half up), not Python's round (half to even).
    return f"{distance_m / 1000:.1f}km" if distance_m >= 1000 else f"{math.floor(distance_m + 0.5)}m"


def household_with_open_needs(live_server) -> dict:
    """A household of dong01 with open needs (the need filter first; paging the list if that fails)."""
    r = live_server.api("GET", "/households", USER, params={"need": "food", "limit": 1})
    if r.status_code == 200 and r.json()["items"] and r.json()["items"][0]["needs"]:
        return r.json()["items"][0]
    offset = 0
    while True:
        items = live_server.get("/households", USER, limit=500, offset=offset)["items"]
        assert items, "no household of dong01 has open needs"
        for item in items:
            if item["needs"] and item["status"] == "active":
                return item
        offset += len(items)


def nearby_rows(page) -> list[dict]:
    return page.locator("#household-panel .nearby-item").evaluate_all("""rows => rows.map(r => ({
      id: Number(r.dataset.facilityId), accepting: r.dataset.accepting === 'true',
      name: r.querySelector('.nearby-name').textContent,
      distance: r.querySelector('.nearby-distance').textContent,
      category: r.querySelector('.nearby-category').textContent,
      referral: r.querySelector('.nearby-referral').textContent,
      serves: [...r.querySelectorAll('.chip-need')].map(c => c.dataset.need),
      button: r.querySelector('.refer-button') && {disabled: r.querySelector('.refer-button').disabled,
        title: r.querySelector('.refer-button').title, text: r.querySelector('.refer-button').textContent},
    }))""")


def test_nearby_facilities_list_and_referral(page, live_server, shots):
    hh = household_with_open_needs(live_server)
    hid, needs = hh["id"], hh["needs"]
    # A facility right next to the household that does not take referrals now: its button must be disabled.
    closed = live_server.api("POST", "/facilities", USER, json={
        "name": "테스트 <i>의뢰중단</i> 복지관", "category": "welfare_centre", "lon": hh["lon"] + 0.0003,
        "lat": hh["lat"], "needs_served": [needs[0]], "accepting_referrals": False})
    assert closed.status_code == 201, closed.text
    closed = closed.json()
    api_nearby = live_server.get(f"/households/{hid}/nearby-facilities", USER, limit=10)
    assert api_nearby["needs"] == needs
    items = api_nearby["items"]
    assert closed["id"] in [f["id"] for f in items]
    target = next(f for f in items if f["accepting_referrals"])

    sign_in(page, USER, path=f"/#h={hid}")
    panel = page.locator("#household-panel")
    expect(panel.locator("h2")).to_have_text(f"가구 #{hid}")
    expect(panel.locator(".panel-section h3").filter(has_text="가까운 기관")).to_be_visible()
    expect(panel.locator(".nearby-item")).to_have_count(len(items))
    expect(panel.locator(".services .empty-state, .services li").first).to_be_visible()

    rows = nearby_rows(page)
    assert [r["id"] for r in rows] == [f["id"] for f in items]
    shown = [metres(r["distance"]) for r in rows]
    assert shown == sorted(shown), f"not nearest first: {shown}"
    for row, f in zip(rows, items, strict=False):
        assert row["name"] == f["name"]
        assert row["distance"] == shown_distance(f["distance_m"])
        assert row["category"] == f["category_label"] == FACILITY_CATEGORIES[f["category"]]
        assert row["referral"].startswith("의뢰 가능" if f["accepting_referrals"] else "의뢰 중단")
        if f["referrals_confirmed_on"]:
            y, m, d = (int(x) for x in f["referrals_confirmed_on"].split("-"))
            assert f"{y}. {m}. {d}. 확인" in row["referral"]
        assert row["serves"] == [n for n in needs if n in f["needs_served"]]
        assert row["serves"], "every listed facility serves one of the open needs"
        assert row["button"]["text"] == "의뢰"
        assert row["button"]["disabled"] is (not f["accepting_referrals"])
        if not f["accepting_referrals"]:
            assert row["button"]["title"] == "현재 의뢰를 받지 않음"
    first = panel.locator(f'.nearby-item[data-facility-id="{closed["id"]}"]')
    expect(first.locator(".nearby-name")).to_have_text(closed["name"])  # markup in data stays text
    expect(first.get_by_role("button", name=re.compile("의뢰$"))).to_be_disabled()
    expect(first.locator(".refer-slot")).to_have_attribute("title", "현재 의뢰를 받지 않음")
    assert panel.locator(".nearby-item i").count() == 0

    # Clicking the row marks the facility on the map.
    row = panel.locator(f'.nearby-item[data-facility-id="{target["id"]}"]')
    row.locator(".nearby-main").click()
    flag = page.locator(".leaflet-marker-pane .fac-flag")
    expect(flag).to_have_count(1)
    expect(flag).to_have_text(re.compile(r"^\S$"))
    expect(page.locator(".leaflet-tooltip-pane")).to_contain_text(target["name"])
    flagged = page.evaluate("""() => { let ll = null; window.__happymap.map.eachLayer(l => {
      const el = l.getIcon && l.getElement && l.getElement();
      if (el && el.querySelector('.fac-flag')) ll = l.getLatLng(); });
      return ll && [ll.lng, ll.lat]; }""")
    assert flagged == pytest.approx([target["lon"], target["lat"]], abs=1e-6)

    # Refer with a note: the link exists in the API, the services section shows it, a Korean confirmation appears.
    expected_need = next(n for n in needs if n in target["needs_served"])
    panel.locator('input[name="referral-note"]').fill(NOTE)
    row.get_by_role("button", name=re.compile("의뢰$")).click()
    message = panel.locator(".nearby-message")
    expect(message).to_have_class(re.compile(r"\bok\b"))
    expect(message).to_have_text(f"{target['name']}에 의뢰했습니다 ({NEEDS[expected_need]}). "
                                 "서비스 연계에 추가되었습니다.")
    links = live_server.get(f"/households/{hid}/services", USER)["items"]
    made = [s for s in links if s["type"] == "referral" and s["facility_id"] == target["id"]]
    assert len(made) == 1
    assert made[0]["status"] == "requested" and made[0]["need"] == expected_need and made[0]["note"] == NOTE
    shown_link = panel.locator(f'.services .service-item[data-facility-id="{target["id"]}"]')
    expect(shown_link).to_have_count(1)
    expect(shown_link.locator(".service-facility")).to_have_text(target["name"])
    expect(shown_link.locator(".service-status")).to_have_text("요청")
    expect(shown_link.locator(".service-need")).to_have_text(f"욕구: {NEEDS[expected_need]}")
    expect(shown_link.locator(".service-note")).to_have_text(NOTE)
    expect(row.locator(".nearby-linked")).to_have_text("의뢰함 · 요청")
    expect(panel.locator('input[name="referral-note"]')).to_have_value("")
    assert panel.locator(".services b").count() == 0
    row.scroll_into_view_if_needed()
    page.screenshot(path=str(shots / "13_nearby_referral.png"))

    # One need chosen: the list is the API's for that need, each row serving it.
    if len(needs) > 1:
        chosen = needs[-1]
        panel.locator('select[name="nearby-need"]').select_option(chosen)
        for_need = live_server.get(f"/households/{hid}/nearby-facilities", USER, limit=10, need=chosen)["items"]
        wait_until(page, "ids => JSON.stringify([...document.querySelectorAll('#household-panel .nearby-item')]"
                   ".map(r => Number(r.dataset.facilityId))) === JSON.stringify(ids)", [f["id"] for f in for_need])
        assert all(chosen in r["serves"] for r in nearby_rows(page))
        expect(panel.locator(".nearby-hint")).to_contain_text(NEEDS[chosen])
        panel.locator('select[name="nearby-need"]').select_option("")
        expect(panel.locator(".nearby-item").first).to_have_attribute("data-facility-id", str(items[0]["id"]))


def test_referral_refused_by_the_api_shows_its_korean_reason(page, live_server):
    near = household_with_open_needs(live_server)
    r = live_server.api("POST", "/households", USER, json={
        "head_name": "의뢰 거절 확인", "address": "서울특별시 서대문구 의뢰확인로 9", "lon": near["lon"] + 0.0004,
        "lat": near["lat"] + 0.0002, "members": 1})
    assert r.status_code == 201, r.text
    hid, version = r.json()["id"], r.json()["version"]
    sign_in(page, USER, path=f"/#h={hid}")
    panel = page.locator("#household-panel")
    expect(panel.locator(".nearby-hint")).to_have_text("열린 욕구가 없어 가까운 기관을 모두 보여 줍니다.")
    assert panel.locator('select[name="nearby-need"]').count() == 0
    button = panel.locator(".nearby-item .refer-button:not([disabled])").first
    expect(button).to_be_visible()

    # Meanwhile a colleague closes the household: the API refuses the referral, in Korean, and nothing is added.
    closed = live_server.api("POST", f"/households/{hid}/close", USER, json={"reason": "moved_out", "version": version})
    assert closed.status_code == 200, closed.text
    button.click()
    message = panel.locator(".nearby-message")
    expect(message).to_have_class(re.compile(r"\berror\b"))
    expect(message).to_have_text("의뢰하지 못했습니다: 종결된 가구에는 서비스 연계를 등록할 수 없습니다.")
    assert live_server.get(f"/households/{hid}/services", USER)["items"] == []
    expect(button).to_be_enabled()


def test_facility_symbols_cover_every_category_and_have_a_legend(page, live_server, shots):
    sign_in(page, USER)
    symbols = page.evaluate("async () => (await import('/static/app/vocab.js')).FACILITY_CATEGORIES")
    assert set(symbols) == set(FACILITY_CATEGORIES)
    for code, label in FACILITY_CATEGORIES.items():
        assert symbols[code]["label"] == label
        assert len(symbols[code]["symbol"]) == 1 and re.fullmatch(r"#[0-9A-F]{6}", symbols[code]["color"])
    assert len({s["symbol"] for s in symbols.values()}) == len(symbols), "two categories share a symbol"

    features = live_server.get("/layers/facilities", USER)["features"]
    present = {f["properties"]["category"] for f in features}
    page.locator("#toggle-facilities").check()
    expect(page.locator(".leaflet-marker-pane .hm-facility")).to_have_count(len(features))
    legend = page.locator(".legend-facilities")
    expect(legend).to_be_visible()
    expect(legend.locator(".fac-legend-item")).to_have_count(len(present))
    texts = set(legend.locator(".fac-legend-item").all_text_contents())
    assert texts == {symbols[c]["symbol"] + FACILITY_CATEGORIES[c] for c in present}
    drawn = page.locator(".leaflet-marker-pane .fac-symbol").evaluate_all(
        "els => [...new Set(els.map(e => e.textContent))]")
    assert set(drawn) == {symbols[c]["symbol"] for c in present}
    page.screenshot(path=str(shots / "14_facility_symbols_legend.png"))


def test_nearby_facilities_at_phone_width(browser, live_server, shots):
    hh = household_with_open_needs(live_server)
    page = open_page(browser, live_server, viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True,
                     device_scale_factor=2)
    try:
        sign_in(page, USER, path=f"/#h={hh['id']}")
        panel = page.locator("#household-panel")
        expect(panel.locator(".nearby-item").first).to_be_visible()
        # The section's heading just under the panel's sticky header.
        panel.evaluate("""p => { const h3 = [...p.querySelectorAll('.panel-section h3')]
          .find(e => e.textContent === '가까운 기관'); p.scrollTop += h3.getBoundingClientRect().top
          - p.querySelector('.panel-header').getBoundingClientRect().bottom - 4; }""")
        wait_still(page, "() => [document.querySelector('#household-panel').scrollTop, "
                         "document.querySelector('#household-panel').getBoundingClientRect().y]")
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        assert panel.evaluate("p => p.scrollWidth <= p.clientWidth")
        for box in panel.locator(".nearby-item .refer-button").evaluate_all(
                "bs => bs.map(b => b.getBoundingClientRect().toJSON())"):
            assert box["right"] <= 360 and box["width"] >= 44 and box["height"] >= 32
        select = panel.locator('select[name="nearby-need"]').bounding_box()
        assert select["x"] >= 0 and select["x"] + select["width"] <= 360
        page.screenshot(path=str(shots / "15_phone_nearby.png"))
        assert page.errors == [] and page.external == []
    finally:
        page.context.close()
