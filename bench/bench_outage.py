"""The database dies (SIGKILL of the postmaster) while officials save households, and comes back.

    .venv/bin/python -m bench.bench_outage [--writes 1000] [--writers 8]

The app runs under uvicorn in its own process on a durable cluster (as `make run` keeps it). Writers create
households through the API until the given number is acknowledged; when a third of them are, the postmaster
is killed, stays down for a moment and is started again. Printed: acknowledged writes and how many of them
the database holds afterwards, every answer by status, connections the app dropped, whether its log holds
a traceback, and how long after the database answered again the first write succeeded.
"""
import argparse
import os
import signal
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from app.dev.pgcluster import Cluster, ClusterError, free_port, prepare_database
from bench.common import PASSWORD, migrate, serve_process, token
from seed.places import load_district
from seed.users import load_users

APP_ROLE = "happymap_app"
POINT = {"lon": 126.9368, "lat": 37.5791}  # inside 서대문구


@dataclass
class Outage:
    """What the writers saw."""

    acknowledged: list[int] = field(default_factory=list)
    statuses: Counter = field(default_factory=Counter)
    refusals: Counter = field(default_factory=Counter)  # the messages of the 503s, and whether Retry-After came
    dropped: int = 0  # requests the app answered with no HTTP response at all
    stored: int = 0
    down_for: float = 0.0  # seconds from the kill to the database answering again
    back_after: float | None = None  # seconds from the database answering again to the first acknowledged write
    log: str = ""


def migrated_district(cluster: Cluster) -> tuple[str, str]:
    """The app database with its schema, the demo district's places and accounts (no households):
    (owner URL, app URL)."""
    password = cluster.password(APP_ROLE) if cluster.passfile else None
    prepare_database(cluster.url(), "happymap", APP_ROLE, app_password=password)
    owner_url = cluster.url("happymap", driver=True)
    migrate(owner_url)
    engine = create_engine(owner_url)
    try:
        with Session(engine) as session, session.begin():
            load_district(session, "11410")
            load_users(session, "11410")
    finally:
        engine.dispose()
    return owner_url, cluster.url("happymap", user=APP_ROLE, driver=True)


def start_after_kill(cluster: Cluster, timeout_s: float = 60) -> None:
    """Start again once the killed server's processes are gone (they hold its shared memory for a moment)."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            cluster.ensure_started(say=lambda _message: None)
            return
        except ClusterError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def write_through_outage(folder: Path, writes: int = 1000, writers: int = 8, down_s: float = 1.0,
                         max_seconds: float = 120) -> Outage:
    """The scenario above on a new durable cluster in `folder`; the cluster is stopped afterwards."""
    cluster = Cluster(folder / "data", free_port(), passfile=folder / "local-db.pgpass")
    cluster.ensure_started(say=lambda _message: None)
    seen = Outage()
    lock = threading.Lock()
    log_path = folder / "app.log"
    try:
        owner_url, app_url = migrated_district(cluster)
        with serve_process(app_url, log_path) as (base, _proc):
            headers = token(base)
            started = time.monotonic()
            database_back = threading.Event()
            back_at: list[float] = []

            def writer(n: int) -> None:
                with httpx.Client(base_url=base, headers=headers, timeout=30) as http:
                    i = 0
                    while time.monotonic() < started + max_seconds:
                        with lock:
                            if len(seen.acknowledged) >= writes:
                                return
                        i += 1
                        try:
                            r = http.post("/api/v1/households", json={
                                "head_name": f"정전{n}-{i}", "address": f"서울특별시 서대문구 시험로 {n}-{i}",
                                "members": 1, **POINT})
                        except httpx.TransportError:
                            with lock:
                                seen.dropped += 1
                            time.sleep(0.05)
                            continue
                        with lock:
                            seen.statuses[r.status_code] += 1
                            if r.status_code == 503:
                                seen.refusals[(r.json().get("detail"), "Retry-After" in r.headers)] += 1
                            if r.status_code == 201:
                                seen.acknowledged.append(r.json()["id"])
                                if database_back.is_set() and not back_at:
                                    back_at.append(time.monotonic())
                        if r.status_code != 201:
                            time.sleep(0.05)  # a person would wait; the server says Retry-After

            threads = [threading.Thread(target=writer, args=(n,)) for n in range(writers)]
            for t in threads:
                t.start()
            while len(seen.acknowledged) < writes // 3 and time.monotonic() < started + max_seconds:
                time.sleep(0.01)
            killed_at = time.monotonic()
            os.kill(int((cluster.datadir / "postmaster.pid").read_text().split()[0]), signal.SIGKILL)
            time.sleep(down_s)
            start_after_kill(cluster)
            answered_at = time.monotonic()
            database_back.set()
            seen.down_for = answered_at - killed_at
            for t in threads:
                t.join(max_seconds)
            if back_at:
                seen.back_after = back_at[0] - answered_at
        seen.log = log_path.read_text(errors="replace")
        engine = create_engine(owner_url)
        try:
            with engine.connect() as conn:
                seen.stored = conn.execute(text("SELECT count(*) FROM households WHERE id = ANY(:ids)"),
                                           {"ids": seen.acknowledged}).scalar_one()
        finally:
            engine.dispose()
    finally:
        cluster.stop()
    return seen


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--writes", type=int, default=1000)
    parser.add_argument("--writers", type=int, default=8)
    args = parser.parse_args()
    os.environ["HAPPYMAP_DEMO_PASSWORD"] = PASSWORD
    with tempfile.TemporaryDirectory(prefix="happymap-outage-") as tmp:
        seen = write_through_outage(Path(tmp), args.writes, args.writers)
    lost = len(seen.acknowledged) - seen.stored
    print(f"{args.writers} writers, {len(seen.acknowledged)} writes acknowledged (201), {seen.stored} of them "
          f"stored after the restart: {lost} lost")
    print("answers by status: " + ", ".join(f"{k} × {v}" for k, v in sorted(seen.statuses.items())))
    for (detail, retry_after), n in seen.refusals.items():
        print(f"  503 × {n}: {detail} ({'with' if retry_after else 'without'} Retry-After)")
    print(f"connections dropped without an answer: {seen.dropped}")
    print(f"database down for {seen.down_for:.1f} s (SIGKILL to answering again)")
    back = "never" if seen.back_after is None else f"{seen.back_after:.2f} s"
    print(f"first acknowledged write after the database answered again: {back}")
    print(f"tracebacks in the app's log: {seen.log.count('Traceback')}; "
          f"'database unavailable' lines: {seen.log.count('database unavailable')}")
    bad = lost or seen.statuses.get(500) or seen.dropped or seen.back_after is None or "Traceback" in seen.log
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
