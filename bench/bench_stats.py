"""The statistics screen for the whole district on the seeded demo (10,497 households), in Debian's headless
Chromium, next to its floor in the same run: the SQL statements GET /stats runs, captured from the service and
replayed as raw SQL on one connection.

    .venv/bin/python -m bench.bench_stats [--runs 10]

Figures (median of `runs`, fresh browser context each time, period = the screen's default, 최근 3개월):
- screen: from pressing 로그인 on /stats until the cards, the table and all six charts are drawn (the page's own
  clock, `loginToStatsMs`: sign-in, /auth/me, /ui-config, /dongs, /stats and the chart library's first load);
- switch: on the signed-in map, from clicking 통계 until everything is drawn (the library already loaded);
- API: GET /stats over HTTP (the same period), and its floor: the raw SQL it runs.
"""
import argparse
import statistics
import time
from datetime import date

import httpx
from playwright.sync_api import sync_playwright
from sqlalchemy import create_engine, event
from sqlalchemy.orm import Session

from bench.bench_ui import ARGS, CHROMIUM, wait_until
from bench.common import PASSWORD, scratch_database, serve, summary, timed, token


def quarter(today: date) -> tuple[str, str]:
    """The screen's default period: from the first day of the month two months back to today."""
    months = today.year * 12 + today.month - 1 - 2
    return date(months // 12, months % 12 + 1, 1).isoformat(), today.isoformat()


def captured_statements(app_url: str, period: tuple[str, str]) -> list[tuple[str, dict]]:
    """The statements of one district-wide stats() call, as the driver received them."""
    from app.policy.principal import Principal
    from app.stats import service

    engine = create_engine(app_url)
    statements: list[tuple[str, dict]] = []
    event.listen(engine, "before_cursor_execute",
                 lambda conn, cursor, statement, parameters, context, many: statements.append((statement, parameters)))
    with Session(engine) as session:
        principal = Principal(user_id=0, username="bench", role="district_staff")
        service.stats(session, principal, None, date.fromisoformat(period[0]), date.fromisoformat(period[1]), "week")
    engine.dispose()
    return statements


def floor_ms(app_url: str, statements: list[tuple[str, dict]], runs: int) -> list[float]:
    """Run the captured statements back to back on one raw connection, `runs` times (after one warm-up)."""
    engine = create_engine(app_url)
    raw = engine.raw_connection()
    out = []
    try:
        for i in range(runs + 1):
            cursor = raw.cursor()
            started = time.perf_counter()
            for statement, parameters in statements:
                cursor.execute(statement, parameters)
                cursor.fetchall()
            elapsed = (time.perf_counter() - started) * 1000
            cursor.close()
            raw.rollback()
            if i:
                out.append(elapsed)
    finally:
        raw.close()
        engine.dispose()
    return out


def screen_ms(browser, base: str) -> tuple[float, float]:
    """(sign-in on /stats → drawn, map → 통계 click → drawn) in one fresh context."""
    context = browser.new_context(viewport={"width": 1440, "height": 900}, locale="ko-KR", timezone_id="Asia/Seoul")
    page = context.new_page()
    try:
        page.goto(base + "/stats")
        page.fill("#login-username", "district")
        page.fill("#login-password", PASSWORD)
        page.click("#login-submit")
        wait_until(page, "() => window.__happymap && window.__happymap.ready === true"
                         " && window.__happymap.statsReady()")
        cold = page.evaluate("window.__happymap.timings.loginToStatsMs")
        page.click("#nav-map")
        wait_until(page, "() => window.__happymap.pointsDrawn")
        loads = page.evaluate("window.__happymap.statsLoads()")
        started = time.perf_counter()
        page.click("#nav-stats")
        wait_until(page, "n => window.__happymap.statsLoads() > n && window.__happymap.statsReady()"
                         " && window.__happymap.chartNames().length === 6", loads)
        return cold, (time.perf_counter() - started) * 1000
    finally:
        context.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    with scratch_database() as (_cluster, app_url), serve(app_url) as base, sync_playwright() as p:
        from app.config import get_settings

        period = quarter(get_settings().today())
        statements = captured_statements(app_url, period)
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        cold, switch = [], []
        for _ in range(args.runs):
            c, s = screen_ms(browser, base)
            cold.append(c)
            switch.append(s)
        browser.close()
        headers = token(base, "district")
        url = f"{base}/api/v1/stats?from={period[0]}&to={period[1]}&interval=week"
        with httpx.Client(timeout=60) as client:
            api = timed(client, url, headers, args.runs * 3)
        floor = floor_ms(app_url, statements, args.runs * 3)
    f = statistics.median(floor)
    print(f"통계 화면 (구 전체, 기간 {period[0]} ~ {period[1]}, 주별; 시드 데모 10,497가구; Chromium headless)")
    print(summary(f"바닥: GET /stats의 SQL {len(statements)}개를 그대로 실행", floor))
    print(summary("GET /stats (HTTP)", api) + f"  → 바닥의 {statistics.median(api) / f:.1f}배")
    print(summary("화면: /stats에서 로그인 → 카드·표·그래프 6개 표시", cold)
          + f"  → 바닥의 {statistics.median(cold) / f:.0f}배 (목표 1,500 ms)")
    print(summary("화면: 지도에서 '통계' 클릭 → 모두 표시", switch)
          + f"  → 바닥의 {statistics.median(switch) / f:.0f}배")


if __name__ == "__main__":
    main()
