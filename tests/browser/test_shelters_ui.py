"""Heat and cold shelters in a real headless Chromium: the legend's switches show 무더위쉼터, 한파쉼터 and 경로당
(markers appear and disappear; of the shelters only those open on the legend's 쉼터 기준일), and the household
panel's line "가장 가까운 무더위쉼터 350 m" (한파쉼터 in winter, none between seasons) is right within 1 m, checked
against pyproj's geodesic on the WGS84 ellipsoid; screenshots at 1440 and 360 px."""
import re
from datetime import date

import pytest
from playwright.sync_api import expect
from pyproj import Geod
from sqlalchemy import func, select

from app.facilities.models import Facility, ShelterDetails
from tests.browser.ui import open_page, sign_in, wait_until

pytestmark = pytest.mark.browser

USER = "dong01"
GEOD = Geod(ellps="WGS84")
PHONE = {"width": 360, "height": 740}
LINE = re.compile(r"가장 가까운 (무더위쉼터|한파쉼터) ([\d,]+) m")
LABELS = {"heat_shelter": "무더위쉼터", "cold_shelter": "한파쉼터"}


def open_shelters(live_server, category: str, on: str) -> dict[int, tuple[float, float]]:
    """The shelters of a category open on a day, straight from the served database: id → (lon, lat)."""
    day = date.fromisoformat(on)
    with live_server.sessions() as s:
        rows = s.execute(select(Facility.id, func.ST_X(Facility.geom), func.ST_Y(Facility.geom))
                         .join(ShelterDetails, ShelterDetails.facility_id == Facility.id)
                         .where(Facility.category == category, ShelterDetails.open_from <= day,
                                ShelterDetails.open_to >= day)).all()
    return {fid: (lon, lat) for fid, lon, lat in rows}


def category_ids(live_server, category: str) -> set[int]:
    with live_server.sessions() as s:
        return set(s.scalars(select(Facility.id).where(Facility.category == category)))


def drawn(page, category: str) -> list[int]:
    return sorted(page.locator(f".leaflet-marker-pane .hm-facility-{category} .fac-symbol").evaluate_all(
        "els => els.map(e => Number(e.dataset.facilityId))"))


def wait_drawn(page, category: str, ids) -> None:
    want = sorted(ids)
    wait_until(page, """([cat, want]) => {
      const got = [...document.querySelectorAll(`.leaflet-marker-pane .hm-facility-${cat} .fac-symbol`)]
        .map(e => Number(e.dataset.facilityId)).sort((a, b) => a - b);
      return JSON.stringify(got) === JSON.stringify(want);
    }""", [category, want])
    assert drawn(page, category) == want


def set_day(page, day: str) -> None:
    page.locator("#shelter-date").fill(day)


def household(live_server) -> dict:
    return live_server.get("/households", USER, limit=1, sort="address")["items"][0]


def expect_line(page, hh: dict, live_server, category: str, on: str) -> dict:
    """The panel's shelter line names the nearest open shelter of the season, within 1 m of pyproj's distance."""
    candidates = open_shelters(live_server, category, on)
    geodesic = {fid: GEOD.inv(hh["lon"], hh["lat"], lon, lat)[2] for fid, (lon, lat) in candidates.items()}
    nearest = min(geodesic, key=geodesic.get)
    line = page.locator("#household-panel .shelter-line")
    expect(line).to_be_visible()
    wait_until(page, "([id, cat]) => { const l = document.querySelector('#household-panel .shelter-line');"
                     " return l && l.dataset.shelterId === String(id) && l.dataset.category === cat; }",
               [nearest, category])
    text = line.locator(".shelter-text").text_content()
    m = LINE.fullmatch(text)
    assert m, text
    assert m.group(1) == LABELS[category]
    shown = int(m.group(2).replace(",", ""))
    assert abs(shown - geodesic[nearest]) <= 1.0, (shown, geodesic[nearest])
    exact = float(line.get_attribute("data-distance-m"))
    assert abs(exact - geodesic[nearest]) <= 1.0
    return {"id": nearest, "distance_m": geodesic[nearest], "text": text}


def test_shelter_overlays_follow_the_day_and_the_panel_names_the_nearest(page, live_server, shots):
    hh = household(live_server)
    sign_in(page, USER, path=f"/#h={hh['id']}")
    panel = page.locator("#household-panel")
    expect(panel.locator("h2")).to_have_text(f"가구 #{hh['id']}")
    legend = page.locator(".hm-legend")
    for label in ("경로당", "무더위쉼터", "한파쉼터", "쉼터 기준일"):
        expect(legend.locator("label").filter(has_text=label)).to_be_visible()

    # Summer: the line names the nearest heat shelter open that day.
    set_day(page, "2026-07-15")
    summer = expect_line(page, hh, live_server, "heat_shelter", "2026-07-15")
    assert drawn(page, "heat_shelter") == []
    page.locator("#toggle-heat_shelter").check()
    july = open_shelters(live_server, "heat_shelter", "2026-07-15")
    wait_drawn(page, "heat_shelter", july)
    assert len(july) == 42

    # Early June: the July-August shelters are not open yet, so they leave the map (and maybe the line changes).
    set_day(page, "2026-06-10")
    june = open_shelters(live_server, "heat_shelter", "2026-06-10")
    assert len(june) == 28 and set(june) < set(july)
    wait_drawn(page, "heat_shelter", june)
    expect_line(page, hh, live_server, "heat_shelter", "2026-06-10")

    # Back to July for the screenshot: the overlay on, the panel's line visible.
    set_day(page, "2026-07-15")
    wait_drawn(page, "heat_shelter", july)
    expect_line(page, hh, live_server, "heat_shelter", "2026-07-15")
    page.locator("#toggle-senior_centre").check()
    wait_drawn(page, "senior_centre", category_ids(live_server, "senior_centre"))
    assert page.evaluate("document.documentElement.scrollWidth") <= 1440
    page.screenshot(path=str(shots / "shelters_1440_summer.png"))

    page.locator("#toggle-senior_centre").uncheck()
    wait_drawn(page, "senior_centre", [])
    page.locator("#toggle-heat_shelter").uncheck()
    wait_drawn(page, "heat_shelter", [])

    # Winter: 한파쉼터 in the line; the cold overlay shows those open on the day.
    set_day(page, "2026-11-20")
    expect_line(page, hh, live_server, "cold_shelter", "2026-11-20")
    page.locator("#toggle-cold_shelter").check()
    november = open_shelters(live_server, "cold_shelter", "2026-11-20")
    wait_drawn(page, "cold_shelter", november)
    set_day(page, "2027-01-05")
    january = open_shelters(live_server, "cold_shelter", "2027-01-05")
    assert len(november) == 14 and len(january) == 28
    wait_drawn(page, "cold_shelter", january)
    winter = expect_line(page, hh, live_server, "cold_shelter", "2027-01-05")
    assert winter["text"].startswith("가장 가까운 한파쉼터") and summer["text"].startswith("가장 가까운 무더위쉼터")
    page.screenshot(path=str(shots / "shelters_1440_winter.png"))

    # Between seasons there is no line and no shelter on the map.
    set_day(page, "2026-10-15")
    wait_drawn(page, "cold_shelter", [])
    expect(panel.locator(".shelter-line")).to_be_hidden()
    page.locator("#toggle-cold_shelter").uncheck()

    # Clicking the line flags the shelter on the map.
    set_day(page, "2026-07-15")
    expect_line(page, hh, live_server, "heat_shelter", "2026-07-15")
    panel.locator(".shelter-link").click()
    expect(page.locator(".leaflet-marker-pane .fac-flag")).to_have_count(1)
    assert page.errors == [] and page.external == []


def test_shelters_at_phone_width(browser, live_server, shots):
    page = open_page(browser, live_server, viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=2)
    try:
        sign_in(page, USER)
        legend = page.locator(".hm-legend")
        legend.locator("summary.legend-title").click()  # folded on a phone
        set_day(page, "2026-07-15")
        page.locator("#toggle-heat_shelter").check()
        wait_drawn(page, "heat_shelter", open_shelters(live_server, "heat_shelter", "2026-07-15"))
        box = legend.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 360
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        page.screenshot(path=str(shots / "shelters_360_map.png"))

        # The household from the list: the panel's line is for the legend's day.
        page.locator("#list-toggle").click()
        row = page.locator(".hh-row").first
        hid = int(row.get_attribute("data-id"))
        row.click()
        panel = page.locator("#household-panel")
        expect(panel.locator("h2")).to_have_text(f"가구 #{hid}")
        hh = live_server.get(f"/households/{hid}", USER)
        expect_line(page, hh, live_server, "heat_shelter", "2026-07-15")
        line = panel.locator(".shelter-line")
        line.scroll_into_view_if_needed()
        rect = line.bounding_box()
        assert rect["x"] >= 0 and rect["x"] + rect["width"] <= 360
        assert panel.evaluate("p => p.scrollWidth <= p.clientWidth")
        page.screenshot(path=str(shots / "shelters_360_panel.png"))
        assert page.errors == [] and page.external == []
    finally:
        page.context.close()
