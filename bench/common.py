"""Shared bench helpers: a scratch PostGIS with the demo seed, and a real uvicorn serving it."""
import os
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import httpx
from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine

from app.dev.pgcluster import Cluster, free_port, prepare_database

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "happymap-bench-2026"


def migrate(url: str) -> None:
    """Alembic to head on the database at `url` (the owner's)."""
    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "migrations"))
    cfg.attributes["url"] = url
    command.upgrade(cfg, "head")


@contextmanager
def scratch_database(name: str = "happymap_bench", seed: bool = True):
    """A throwaway cluster (never the demo one) with a migrated, optionally seeded database."""
    with tempfile.TemporaryDirectory(prefix="happymap-bench-") as tmp:
        cluster = Cluster(Path(tmp) / "data", free_port(), throwaway=True)
        cluster.ensure_started()
        try:
            prepare_database(cluster.url(), name, "happymap_app")
            migrate(cluster.url(name, driver=True))
            app_url = cluster.url(name, user="happymap_app", driver=True)
            os.environ["HAPPYMAP_DEMO_PASSWORD"] = PASSWORD
            if seed:
                from app.config import get_settings
                from seed.load import run as run_seed

                get_settings.cache_clear()
                engine = create_engine(app_url)
                run_seed(engine)
                engine.dispose()
            yield cluster, app_url
        finally:
            cluster.stop()


@contextmanager
def serve(app_url: str):
    """uvicorn in a subprocess on a free port; yields its base URL."""
    with serve_process(app_url) as (base, _):
        yield base


@contextmanager
def serve_process(app_url: str, log: Path | None = None, env: dict[str, str] | None = None, workers: int = 1):
    """uvicorn in a subprocess on a free port; yields its base URL and the process (to read its memory).
    With `log`, what the server prints goes to that file; `env` adds to or overrides its environment."""
    port = free_port()
    env = {**os.environ, "DATABASE_URL": app_url, "HAPPYMAP_DEMO_PASSWORD": PASSWORD,
           "HAPPYMAP_ENVIRONMENT": "test", **(env or {})}
    output = log.open("w") if log else None
    proc = subprocess.Popen([sys.executable, "-m", "uvicorn", "app.main:app", "--host", "127.0.0.1", "--port",
                             str(port), "--log-level", "warning", "--workers", str(workers)], cwd=ROOT, env=env,
                            stdout=output, stderr=subprocess.STDOUT if output else None)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        yield base, proc
    finally:
        proc.terminate()
        proc.wait(10)
        if output:
            output.close()


def token(base: str, username: str = "admin") -> dict[str, str]:
    r = httpx.post(base + "/api/v1/auth/token", data={"username": username, "password": PASSWORD})
    r.raise_for_status()
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def timed(client: httpx.Client, url: str, headers: dict, n: int, warmup: int = 5) -> list[float]:
    """Latencies in ms of n sequential GETs (after a warm-up)."""
    for _ in range(warmup):
        client.get(url, headers=headers).raise_for_status()
    out = []
    for _ in range(n):
        t = time.perf_counter()
        client.get(url, headers=headers).raise_for_status()
        out.append((time.perf_counter() - t) * 1000)
    return out


def summary(label: str, samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[max(0, int(round(0.95 * len(ordered))) - 1)]
    return f"{label}: n={len(samples)} median={statistics.median(samples):.1f} ms p95={p95:.1f} ms"


# The demo's households copied until the district holds `total`: same names, addresses, levels and needs,
# each copy moved by up to about 300 m (deterministic), so searches and filters match as they would in a 구
# this size. The app role may insert households (seed and tests use the same rights).
GROW_FROM_DEMO = """
    INSERT INTO households (dong_id, tract_id, head_name, address, members, phone, geom, risk_level, risk_reason,
                            last_visit_at, next_visit_due, registered_on, open_needs, status, is_synthetic, version,
                            risk_overridden)
    SELECT h.dong_id, h.tract_id, h.head_name, h.address, h.members, h.phone,
           ST_SetSRID(ST_MakePoint(ST_X(h.geom) + (random() - 0.5) * 0.0068,
                                   ST_Y(h.geom) + (random() - 0.5) * 0.0054), 4326),
           h.risk_level, h.risk_reason, h.last_visit_at, h.next_visit_due, h.registered_on, h.open_needs, h.status,
           true, 1, h.risk_overridden
    FROM (SELECT * FROM households WHERE status = 'active' ORDER BY id) h
    CROSS JOIN generate_series(1, %(copies)s) g
    LIMIT %(missing)s
"""


def grow_households(conn, total: int) -> int:
    """Fill a seeded database up to `total` active households by copying the demo's; returns the count reached.
    `conn` is the table owner's psycopg connection in autocommit mode: VACUUM runs outside a transaction, and
    for anyone else it skips the table with a mere warning, leaving the planner with the demo's statistics."""
    with conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM households WHERE status = 'active'")
        have = cur.fetchone()[0]
        missing = max(0, total - have)
        if missing:
            cur.execute("SELECT setseed(0.42)")
            cur.execute(GROW_FROM_DEMO, {"copies": missing // max(have, 1) + 1, "missing": missing})
            # As autovacuum would soon after a bulk load: without it the planner's guesses for the new rows
            # (search words, urgency order) stay those of the 10,000-row demo.
            cur.execute("VACUUM ANALYZE households")
        cur.execute("SELECT count(*) FROM households WHERE status = 'active'")
        return cur.fetchone()[0]
