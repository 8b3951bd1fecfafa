"""The map during a database outage: a calm notice instead of an error page, reads tried again by themselves,
and the notice gone once the database is back (the app is not restarted)."""
import os
import signal

from app.config import get_settings
from app.dev.pgcluster import Cluster, free_port
from bench.bench_outage import migrated_district, start_after_kill
from tests.browser.ui import LiveServer, open_page, sign_in, wait_until
from tests.conftest import DEMO_PASSWORD, serve_database

NOTICE_SHOWN = "() => !document.querySelector('#outage-notice').hidden"
NOTICE_HIDDEN = "() => document.querySelector('#outage-notice').hidden"


def test_an_outage_shows_a_notice_and_the_map_recovers_by_itself(browser, tmp_path, shots, monkeypatch):
    monkeypatch.setenv("HAPPYMAP_DEMO_PASSWORD", DEMO_PASSWORD)  # the accounts migrated_district loads
    get_settings.cache_clear()
    cluster = Cluster(tmp_path / "data", free_port(), throwaway=True)
    cluster.ensure_started(say=lambda _message: None)
    try:
        _owner, app_url = migrated_district(cluster)
        with serve_database(app_url) as (base, _factory):
            page = open_page(browser, LiveServer(base))
            try:
                sign_in(page, "dong01")
                assert page.is_hidden("#outage-notice")
                os.kill(int((cluster.datadir / "postmaster.pid").read_text().split()[0]), signal.SIGKILL)
                page.click("#f-overdue")  # a new filter: the list and the layer are read again
                wait_until(page, NOTICE_SHOWN)
                assert "데이터베이스에 잠시 연결할 수 없습니다" in page.inner_text("#outage-notice")
                page.screenshot(path=str(shots / "60_outage_notice.png"))
                start_after_kill(cluster)
                wait_until(page, NOTICE_HIDDEN, timeout=60)  # the retried read succeeded
                assert page.is_visible("#map") and page.is_hidden("#login-view")
                assert page.errors == [] and page.external == []
            finally:
                page.context.close()
    finally:
        cluster.stop()
        get_settings.cache_clear()
