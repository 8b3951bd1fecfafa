"""The district map at city scale: 150,000 households in a test database are drawn through vector tiles
(grid cells when zoomed out, points from zoom 16), in the risk colours, and a point opens its household."""
from collections.abc import Iterator

import psycopg
import pytest
from sqlalchemy.engine import make_url

from app.dev.pgcluster import drop_database
from bench.common import grow_households
from tests.browser.ui import RISK_HEX, LiveServer, open_page, sign_in, wait_until
from tests.conftest import fresh_database, serve_database

CITY = 150_000


@pytest.fixture(scope="module")
def city(pg_server, seeded_template) -> Iterator[LiveServer]:
    db_url = fresh_database(pg_server, seeded_template)
    try:
        owner = make_url(pg_server.url(make_url(db_url).database, app=False))
        with psycopg.connect(owner.set(drivername="postgresql").render_as_string(hide_password=False),
                             autocommit=True) as conn:
            assert grow_households(conn, CITY) == CITY
        with serve_database(db_url) as (url, _factory):
            yield LiveServer(url)
    finally:
        drop_database(pg_server.admin_url, make_url(db_url).database)


def test_district_map_at_city_scale_draws_tiles_and_opens_a_household(browser, city, shots):
    page = open_page(browser, city)
    try:
        timings = sign_in(page, "district")
        assert page.evaluate("window.__happymap.mode") == "tiles"
        cells = page.evaluate("window.__happymap.describeCells()")
        assert cells, "no grid cells drawn"
        assert {c["color"] for c in cells} <= set(RISK_HEX.values())
        assert any(c["risk_level"] == "high" for c in cells)
        # Every household of the view is in exactly one cell: the cells of the tiles at this zoom add up to the
        # households inside those tiles, which the server counts the same way.
        assert page.evaluate("window.__happymap.shownCount()") == sum(
            c["count"] for c in cells if c["z"] == cells[0]["z"])
        legend = page.locator(".legend-total").inner_text()
        assert "가구" in legend
        page.screenshot(path=str(shots / "city-scale-district-cells.png"))

        # A cell click zooms towards its points; from zoom 16 the tiles carry one point per household.
        target = max(cells, key=lambda c: c["count"])
        before = page.evaluate("window.__happymap.map.getZoom()")
        page.mouse.click(target["x"], target["y"])
        wait_until(page, "(z) => window.__happymap.map.getZoom() > z", before)
        page.evaluate("([lat, lon]) => { window.__happymap.map.setView([lat, lon], 17, {animate: false}); }",
                      [target["lat"], target["lon"]])
        wait_until(page, "() => window.__happymap.tilesLoaded() && window.__happymap.pointCount() > 50", timeout=60)
        colours = page.evaluate("window.__happymap.colorCounts()")
        assert set(colours) <= set(RISK_HEX.values()) and len(colours) >= 3
        page.screenshot(path=str(shots / "city-scale-points-z17.png"))
        # The drawn point nearest the middle of the map (the topmost there: high-risk points are drawn last).
        point = page.evaluate("""() => {
          const hm = window.__happymap; const box = hm.map.getContainer().getBoundingClientRect();
          const cx = box.left + box.width / 2, cy = box.top + box.height / 2;
          let best = null;
          for (const id of hm.visibleIds()) {
            const p = hm.describePoint(id);
            const d = Math.hypot(p.x - cx, p.y - cy);
            if (!best || d < best.d) best = { ...p, d };
          }
          return best;
        }""")
        assert point and point["d"] < 40, point
        page.mouse.click(point["x"], point["y"])
        wait_until(page, "(id) => window.__happymap.state().h !== null", point["id"])
        opened = page.evaluate("window.__happymap.state().h")
        assert opened in page.evaluate("window.__happymap.visibleIds()")
        page.wait_for_selector("#household-panel:not([hidden])")
        detail = city.get(f"/households/{opened}", "district")
        assert detail["risk_level"] in RISK_HEX
        page.screenshot(path=str(shots / "city-scale-household-open.png"))
        print(f"city scale: sign-in to first tiles drawn {timings['loginToPointsMs']} ms, {len(cells)} cells")
    finally:
        page.context.close()
