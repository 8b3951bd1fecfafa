"""The database `make run` keeps: durable (every acknowledged write survives a crash), closed to other local
users (password logins only, the passwords in a 0600 passfile), and an older trust/fsync-off cluster is
corrected at the next start. Run `python -m tests.test_local_cluster --unsafe` to see the crash scenario
lose acknowledged writes on the speed settings throwaway clusters use."""
import argparse
import os
import signal
import stat
import tempfile
import threading
import time
from pathlib import Path

import httpx
import psycopg
import pytest
from sqlalchemy import create_engine, text

from app.config import get_settings
from app.dev.pgcluster import SUPERUSER, Cluster, ClusterError, free_port, prepare_database
from bench.bench_outage import migrated_district, start_after_kill
from tests.conftest import DEMO_PASSWORD, serve_database

APP_ROLE = "happymap_app"
POINT = {"lon": 126.9368, "lat": 37.5791}  # inside 서대문구
WRITERS = 6


def kept_cluster(folder: Path) -> Cluster:
    """A cluster as `make run` keeps it (app.dev.local.local_cluster), in a folder of the test's own."""
    return Cluster(folder / "data", free_port(), passfile=folder / "local-db.pgpass")


def setting(cluster: Cluster, name: str) -> str:
    with psycopg.connect(cluster.url()) as conn:
        return conn.execute(f"SHOW {name}").fetchone()[0]


def refused_without_password(cluster: Cluster, user: str) -> bool:
    """A TCP login with no passfile (and none in the environment) is refused."""
    env_passfile = os.environ.pop("PGPASSFILE", None)
    try:
        psycopg.connect(f"postgresql://{user}@127.0.0.1:{cluster.port}/postgres?passfile=/nonexistent",
                        connect_timeout=5).close()
        return False
    except psycopg.OperationalError as exc:
        return "password" in str(exc)
    finally:
        if env_passfile is not None:
            os.environ["PGPASSFILE"] = env_passfile


def test_a_kept_cluster_is_durable_and_needs_a_password(tmp_path):
    cluster = kept_cluster(tmp_path)
    cluster.ensure_started()
    try:
        assert [setting(cluster, k) for k in ("fsync", "synchronous_commit", "full_page_writes")] == ["on"] * 3
        prepare_database(cluster.url(), "happymap", APP_ROLE, app_password=cluster.password(APP_ROLE))
        with psycopg.connect(cluster.url("happymap", user=APP_ROLE)) as conn:  # the passfile lets the app in
            assert conn.execute("SELECT current_user").fetchone()[0] == APP_ROLE
        assert refused_without_password(cluster, SUPERUSER)
        assert refused_without_password(cluster, APP_ROLE)
        assert stat.S_IMODE(cluster.passfile.stat().st_mode) == 0o600
        assert "password" not in cluster.url("happymap", user=APP_ROLE).split("?")[0]  # never in the URL itself
        cluster.ensure_started()  # a second `make run` reuses it as it is
        assert setting(cluster, "fsync") == "on"
    finally:
        cluster.stop()


def test_an_old_trust_cluster_is_corrected_at_the_next_start(tmp_path):
    # What earlier versions made for `make run`: trust logins and the speed settings.
    old = Cluster(tmp_path / "data", free_port(), throwaway=True)
    old.ensure_started()
    prepare_database(old.url(), "happymap", APP_ROLE)
    with psycopg.connect(old.url("happymap"), autocommit=True) as conn:
        conn.execute("CREATE TABLE kept (note text)")
        conn.execute("INSERT INTO kept VALUES ('예전 데이터')")
    assert setting(old, "fsync") == "off"
    try:
        for running in (True, False):  # corrected whether the old server still runs or was stopped
            if not running:
                old.stop()
            said: list[str] = []
            cluster = Cluster(old.datadir, old.port, passfile=tmp_path / f"pgpass-{running}")
            cluster.ensure_started(said.append)
            assert setting(cluster, "fsync") == "on" and setting(cluster, "synchronous_commit") == "on"
            assert refused_without_password(cluster, SUPERUSER)
            with psycopg.connect(cluster.url("happymap")) as conn:
                assert conn.execute("SELECT note FROM kept").fetchone()[0] == "예전 데이터"
            if running:
                assert any("durable" in s for s in said) and any("password" in s for s in said)
                # back to the old state (trust, speed settings, running) for the second round
                cluster.stop()
                (old.datadir / "pg_hba.conf").write_text("local all all trust\nhost all all 127.0.0.1/32 trust\n")
                old.ensure_started()
                assert setting(old, "fsync") == "off"
    finally:
        Cluster(old.datadir, old.port, throwaway=True).stop()


def test_a_lost_passfile_is_a_clear_error(tmp_path):
    cluster = kept_cluster(tmp_path)
    cluster.ensure_started()
    try:
        cluster.passfile.unlink()
        with pytest.raises(ClusterError, match="refuses the password"):
            Cluster(cluster.datadir, cluster.port, passfile=cluster.passfile).ensure_started()
    finally:
        Cluster(cluster.datadir, cluster.port, throwaway=True).stop()


def crash_while_writing(cluster: Cluster, kill_after: int = 150, max_seconds: float = 60) -> tuple[int, int]:
    """Writers create households through the real app; the postmaster is SIGKILLed mid-run and started again.
    Returns (acknowledged with 201, of those present afterwards)."""
    owner_url, app_url = migrated_district(cluster)
    acknowledged: list[int] = []
    lock = threading.Lock()
    with serve_database(app_url) as (base, _factory):
        token = httpx.post(f"{base}/api/v1/auth/token", data={"username": "admin", "password": DEMO_PASSWORD}
                           ).json()["access_token"]

        def writer(n: int) -> None:
            with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=10) as http:
                for i in range(2000):  # bounded in count and in time
                    try:
                        r = http.post("/api/v1/households", json={
                            "head_name": f"내구성{n}-{i}", "address": f"서울특별시 서대문구 시험로 {n}-{i}",
                            "members": 1, **POINT})
                    except httpx.HTTPError:
                        return
                    if r.status_code != 201 or time.monotonic() > started + max_seconds:
                        return
                    with lock:
                        acknowledged.append(r.json()["id"])

        started = time.monotonic()
        threads = [threading.Thread(target=writer, args=(n,)) for n in range(WRITERS)]
        for t in threads:
            t.start()
        while len(acknowledged) < kill_after and time.monotonic() < started + max_seconds:
            time.sleep(0.01)
        postmaster = int((cluster.datadir / "postmaster.pid").read_text().split()[0])
        os.kill(postmaster, signal.SIGKILL)
        for t in threads:
            t.join(30)
        with lock:
            acked = list(acknowledged)
    start_after_kill(cluster)
    engine = create_engine(owner_url)
    try:
        with engine.connect() as conn:
            stored = conn.execute(text("SELECT count(*) FROM households WHERE id = ANY(:ids)"),
                                  {"ids": acked}).scalar_one()
    finally:
        engine.dispose()
    return len(acked), stored


@pytest.fixture
def demo_password(monkeypatch):
    monkeypatch.setenv("HAPPYMAP_DEMO_PASSWORD", DEMO_PASSWORD)
    get_settings.cache_clear()
    yield
    monkeypatch.undo()
    get_settings.cache_clear()


def test_every_acknowledged_write_survives_a_postmaster_kill(tmp_path, demo_password):
    cluster = kept_cluster(tmp_path)
    cluster.ensure_started()
    try:
        acknowledged, stored = crash_while_writing(cluster)
    finally:
        cluster.stop()
    print(f"SIGKILL of the postmaster while {WRITERS} writers created households: "
          f"{acknowledged} acknowledged, {stored} of them stored")
    assert acknowledged >= 100  # the kill came in the middle of real work
    assert stored == acknowledged


def main() -> int:
    """`python -m tests.test_local_cluster [--unsafe]`: the crash scenario on a kept or a speed-tuned cluster."""
    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--unsafe", action="store_true", help="use the throwaway clusters' speed settings")
    args = parser.parse_args()
    os.environ["HAPPYMAP_DEMO_PASSWORD"] = DEMO_PASSWORD
    get_settings.cache_clear()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        cluster = (Cluster(folder / "data", free_port(), throwaway=True) if args.unsafe else kept_cluster(folder))
        cluster.ensure_started()
        try:
            acknowledged, stored = crash_while_writing(cluster)
        finally:
            cluster.stop()
    settings = "speed (fsync, synchronous_commit, full_page_writes off)" if args.unsafe else "durable"
    print(f"{settings}: {acknowledged} acknowledged, {stored} stored, {acknowledged - stored} lost")
    return 0 if stored == acknowledged else 1


if __name__ == "__main__":
    raise SystemExit(main())
