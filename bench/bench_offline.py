"""The phone's offline round from the browser (issue 16): "오프라인으로 받기" of a ~60-household tract (the API's
answer, sealed with AES-GCM and written to IndexedDB) and 50 queued visits synced one by one (each with its
Idempotency-Key and household_version), in Debian's headless Chromium at 390 × 844.

    .venv/bin/python -m bench.bench_offline [--runs 3]

bench/bench_rounds.py times the same two things on the API alone, next to their raw-SQL floor. Targets: download
≤ 1 s, 50 visits ≤ 5 s. The first run's button time also includes registering the service worker and caching the
app shell (printed on its own line)."""
import argparse

import psycopg
from playwright.sync_api import sync_playwright

from bench.bench_rounds import DONG_USER, TRACT_NEAR_60
from bench.bench_ui import ARGS, CHROMIUM, sign_in, wait_until
from bench.common import scratch_database, serve, summary

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True, "locale": "ko-KR",
         "timezone_id": "Asia/Seoul"}
VISITS = 50

DOWNLOAD = """async (tractId) => {
    const { api } = await import('/static/app/api.js');
    const offline = await import('/static/app/offline.js');
    const t = performance.now();
    const round = await api.get(`/rounds/tracts/${tractId}`, { purpose: 'offline' });
    await offline.saveRound(round);
    return { ms: performance.now() - t, households: round.households.length };
}"""

QUEUE_AND_SYNC = """async ([tractId, n, note]) => {
    const offline = await import('/static/app/offline.js');
    const round = await offline.storedRound(tractId);
    for (let i = 0; i < n; i += 1) {
        const hh = round.households[i % round.households.length];
        await offline.addDraft(hh, tractId, { visited_at: new Date().toISOString(), contact_type: 'visit',
            visitor_types: ['official'], indicators: [], needs: [], notes: `${note} ${i}` });
    }
    const t = performance.now();
    let left = n;
    for (let pass = 0; left && pass < 5; pass += 1) {
        await offline.syncDrafts();
        left = (await offline.drafts()).filter((d) => d.status === 'pending').length;
    }
    const kept = (await offline.drafts()).map((d) => d.status);
    return { ms: performance.now() - t, left, kept };
}"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with scratch_database() as (_cluster, app_url), serve(app_url) as base, sync_playwright() as p:
        plain = app_url.replace("postgresql+psycopg://", "postgresql://")
        with psycopg.connect(plain) as conn:
            tract_id, dong_id, size = conn.execute(TRACT_NEAR_60).fetchone()
            user = conn.execute(DONG_USER, (dong_id,)).fetchone()[0]
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        downloads, syncs, button = [], [], None
        for run in range(args.runs):
            context = browser.new_context(**PHONE)
            page = context.new_page()
            sign_in(page, base, user)
            if run == 0:  # the person's way: the tract's menu, 오늘의 순회, then the button
                page.evaluate("id => window.__happymap.openTractMenu(id)", tract_id)
                page.locator(".tract-menu button", has_text="오늘의 순회").click()
                wait_until(page, "() => (window.__happymap.roundIds() || []).length > 0")
                t = page.evaluate("performance.now()")
                page.click("#round-download")
                wait_until(page, "() => window.__happymap.shellReady()")
                button = page.evaluate("performance.now()") - t
            down = page.evaluate(DOWNLOAD, tract_id)
            downloads.append(down["ms"])
            note = f"bench_offline {run}"
            synced = page.evaluate(QUEUE_AND_SYNC, [tract_id, VISITS, note])
            assert synced["left"] == 0 and not synced["kept"], synced
            with psycopg.connect(plain) as conn:
                saved = conn.execute("SELECT count(*) FROM visits WHERE notes LIKE %s", (f"{note} %",)).fetchone()[0]
            assert saved == VISITS, saved  # every draft once, none twice
            syncs.append(synced["ms"])
            context.close()
        browser.close()
    print(f"오프라인 순회 (Chromium headless 390×844, {user}, 통 {tract_id}: 가구 {size}, {args.runs}회)")
    print(f"첫 '오프라인으로 받기' 버튼 (서비스 워커 등록·앱 파일 캐시 포함): {button:.0f} ms")
    print(summary("순회 받기 (API→AES-GCM 암호화→IndexedDB)", downloads) + "  목표 ≤ 1000 ms")
    print(summary(f"대기 기록 {VISITS}건 동기화 (하나씩, Idempotency-Key)", syncs) + "  목표 ≤ 5000 ms")


if __name__ == "__main__":
    main()
