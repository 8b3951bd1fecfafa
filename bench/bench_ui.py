"""Map page timings in Debian's headless Chromium: sign-in until every household point is drawn (the whole
district's 10,497 and one dong's), a risk filter on and off, and a zoom step that resizes every point.

    .venv/bin/python -m bench.bench_ui [--runs 5]
"""
import argparse
import time

from playwright.sync_api import Page, sync_playwright

from bench.common import PASSWORD, scratch_database, serve, summary

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]


def wait_until(page: Page, predicate: str, arg=None, timeout: float = 60) -> None:
    """Poll a JS function (the page's CSP forbids the eval Playwright's wait_for_function uses)."""
    deadline = time.monotonic() + timeout
    while not page.evaluate(predicate, arg):
        if time.monotonic() > deadline:
            raise TimeoutError(predicate)
        time.sleep(0.01)


def sign_in(page: Page, base: str, username: str) -> dict:
    page.goto(base + "/")
    page.fill("#login-username", username)
    page.fill("#login-password", PASSWORD)
    page.click("#login-submit")
    wait_until(page, "() => window.__happymap && window.__happymap.ready === true")
    return page.evaluate("window.__happymap.timings")


def filter_round_trip(page: Page) -> tuple[float, float]:
    """ms from ticking 고위험 until its points are drawn, then from unticking until all are back."""
    out = []
    for _ in range(2):
        loads = page.evaluate("window.__happymap.loads")
        started = time.perf_counter()
        page.locator('#f-risks input[value="high"]').click()
        wait_until(page, "n => window.__happymap.loads > n && window.__happymap.pointsDrawn", loads)
        out.append((time.perf_counter() - started) * 1000)
    return out[0], out[1]


ZOOM_STEP = """() => new Promise(resolve => {
  const map = window.__happymap.map; const t0 = performance.now();
  map.once('zoomend', () => requestAnimationFrame(() => requestAnimationFrame(() => resolve(performance.now() - t0))));
  map.setZoom(map.getZoom() + 1, {animate: false});
})"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with scratch_database() as (_cluster, app_url), serve(app_url) as base, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        results: dict[str, list[float]] = {"district": [], "dong01": [], "filter_on": [], "filter_off": [],
                                           "zoom": []}
        points = {}
        for _ in range(args.runs):
            for user in ("district", "dong01"):
                context = browser.new_context(viewport={"width": 1366, "height": 850}, locale="ko-KR")
                page = context.new_page()
                t = sign_in(page, base, user)
                results[user].append(t["loginToPointsMs"])
                points[user] = t["points"]
                if user == "district":
                    on, off = filter_round_trip(page)
                    results["filter_on"].append(on)
                    results["filter_off"].append(off)
                    results["zoom"].append(page.evaluate(ZOOM_STEP))
                context.close()
        browser.close()
    print(f"지도 화면 (Chromium headless, canvas circleMarker, {args.runs}회)")
    print(summary(f"로그인→가구 {points['district']:,}개 모두 표시 (district)", results["district"]))
    print(summary(f"로그인→가구 {points['dong01']:,}개 모두 표시 (dong01)", results["dong01"]))
    print(summary("고위험 필터 켜기→표시", results["filter_on"]))
    print(summary(f"필터 끄기→{points['district']:,}개 다시 표시", results["filter_off"]))
    print(summary("확대 한 단계 (모든 점 크기 변경·다시 그리기)", results["zoom"]))


if __name__ == "__main__":
    main()
