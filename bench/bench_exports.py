"""Exports at real speed, through the real HTTP stack, each next to its floor in the same run.

    .venv/bin/python -m bench.bench_exports [--households 150000] [--repeat 5]

The floor is PostgreSQL's own `COPY (SELECT <the same columns>) TO STDOUT (FORMAT csv)` read by a client:
the cheapest way to get the same rows out of the database. Then, at 150,000 households: the XLSX export's
time and the server's peak memory, and the p95 of a ~2,000-point bbox layer request while that export
runs, against the same request's p95 on an idle server.
Targets (issue 17): 10,000-row CSV ≤ 0.5 s, 10,000-row XLSX ≤ 2 s, 150,000-row XLSX ≤ 20 s and ≤ 300 MB
peak RSS, layer p95 during the export ≤ 2 × idle.
"""
import argparse
import statistics
import threading
import time
from pathlib import Path

import httpx
import psycopg
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from app.exports import service
from app.exports.tabular import stream
from app.households.service import HouseholdFilter
from app.policy.principal import Principal
from bench.bench_households import GROW
from bench.common import scratch_database, serve_process, summary, token

PURPOSE = "성능 측정"
HOUSEHOLDS_SQL = """
    SELECT h.id, h.head_name, h.address, h.registered_address, d.name, t.name, h.members, h.phone, h.risk_level,
           h.risk_reason, h.last_visit_at, h.next_visit_due, h.next_visit_due < current_date, h.open_needs,
           h.status, h.closed_reason, ST_X(h.geom), ST_Y(h.geom)
    FROM households h JOIN dongs d ON d.id = h.dong_id LEFT JOIN tracts t ON t.id = h.tract_id
    WHERE h.status = 'active'
    ORDER BY array_position(ARRAY['high','medium','unvisited','low']::varchar[], h.risk_level), h.next_visit_due,
             h.id"""
VISITS_SQL = """
    SELECT v.id, v.household_id, d.name, t.name, h.address, v.visited_at, v.contact_type,
           (SELECT array_agg(visitor_type ORDER BY visitor_type) FROM visit_visitors x WHERE x.visit_id = v.id),
           (SELECT array_agg(indicator ORDER BY indicator) FROM visit_indicators x WHERE x.visit_id = v.id),
           (SELECT array_agg(need ORDER BY need) FROM visit_needs x WHERE x.visit_id = v.id),
           v.risk_score, v.risk_level_after, v.risk_override, v.override_reason, v.notes, u.username
    FROM visits v JOIN households h ON h.id = v.household_id JOIN dongs d ON d.id = h.dong_id
    LEFT JOIN tracts t ON t.id = h.tract_id LEFT JOIN users u ON u.id = v.recorded_by
    ORDER BY v.visited_at, v.id"""


def copy_floor(dsn: str, sql: str, repeat: int) -> tuple[float, int]:
    """Median seconds (and rows) of COPY ... TO STDOUT of the export's columns, read to the end."""
    times = []
    with psycopg.connect(dsn) as conn:
        conn.execute("SET jit = off")  # as the export does
        for _ in range(repeat + 1):  # the first one warms the cache
            started = time.perf_counter()
            with conn.cursor().copy(f"COPY ({sql}) TO STDOUT (FORMAT csv, HEADER)") as copy:
                for _block in copy:
                    pass
            times.append(time.perf_counter() - started)
        rows = conn.execute(f"SELECT count(*) FROM ({sql}) s").fetchone()[0]
    return statistics.median(times[1:]), rows


def download(client: httpx.Client, path: str, headers: dict) -> tuple[float, int]:
    """Seconds to receive a whole export, and its size in bytes."""
    started = time.perf_counter()
    size = 0
    with client.stream("GET", path, headers=headers, params={"purpose": PURPOSE}) as r:
        r.raise_for_status()
        for block in r.iter_bytes():
            size += len(block)
    return time.perf_counter() - started, size


def timed_export(client, path, headers, repeat) -> tuple[float, int]:
    download(client, path, headers)  # warm-up
    runs = [download(client, path, headers) for _ in range(repeat)]
    return statistics.median(t for t, _ in runs), runs[0][1]


def in_process(app_url: str, fmt: str, repeat: int) -> float:
    """Median seconds of the same household export without HTTP: ids, access record, then the file's bytes."""
    engine = create_engine(app_url)
    admin = Principal(user_id=1, username="admin", role="admin")
    times = []
    for _ in range(repeat + 1):
        with Session(engine) as session:
            started = time.perf_counter()
            export = service.households_export(session, admin, HouseholdFilter(), "risk", False, PURPOSE, "bench")
            session.commit()
            for _piece in stream(session, export, fmt):
                pass
            times.append(time.perf_counter() - started)
    engine.dispose()
    return statistics.median(times[1:])


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM")


def reset_peak_rss(pid: int) -> None:
    Path(f"/proc/{pid}/clear_refs").write_text("5")  # Linux: resets the peak resident set size


def report(label: str, seconds: float, floor: float, target: float | None = None) -> None:
    goal = f" (target ≤ {target:g} s: {'met' if seconds <= target else 'MISSED'})" if target else ""
    print(f"{label}: {seconds:.3f} s; floor COPY {floor:.3f} s; ratio {seconds / floor:.1f}×{goal}")


def bbox_around_centre(conn, points: int = 2000) -> str:
    cx, cy = conn.execute(text("SELECT ST_X(c), ST_Y(c) FROM (SELECT ST_Centroid(ST_Union(geom)) c FROM dongs) s")
                          ).one()
    half = 0.02
    for _ in range(30):
        count = conn.execute(text("SELECT count(*) FROM households WHERE geom && ST_MakeEnvelope(:w,:s,:e,:n,4326)"),
                             {"w": cx - half, "s": cy - half, "e": cx + half, "n": cy + half}).scalar_one()
        if 0.95 * points <= count <= 1.05 * points:
            break
        half *= (points / max(count, 1)) ** 0.5
    return f"{cx - half:.6f},{cy - half:.6f},{cx + half:.6f},{cy + half:.6f}"


def p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[max(0, int(round(0.95 * len(ordered))) - 1)]


def layer_while_exporting(base: str, headers: dict, bbox: str, n: int) -> tuple[list[float], list[float], int]:
    """Layer latencies (ms) on an idle server, then while 150,000-row XLSX exports run back to back."""
    url = f"/api/v1/layers/households?bbox={bbox}"
    with httpx.Client(base_url=base, timeout=120) as client:
        for _ in range(5):
            client.get(url, headers=headers).raise_for_status()
        idle = []
        for _ in range(n):
            started = time.perf_counter()
            client.get(url, headers=headers).raise_for_status()
            idle.append((time.perf_counter() - started) * 1000)
        busy, exports, stop = [], [0], threading.Event()

        def export_loop():
            with httpx.Client(base_url=base, timeout=300) as other:
                while not stop.is_set():
                    download(other, "/api/v1/exports/households.xlsx", headers)
                    exports[0] += 1

        worker = threading.Thread(target=export_loop)
        worker.start()
        time.sleep(0.5)  # the export is under way
        while len(busy) < n and worker.is_alive():
            started = time.perf_counter()
            client.get(url, headers=headers).raise_for_status()
            busy.append((time.perf_counter() - started) * 1000)
        stop.set()
        worker.join()
    return idle, busy, exports[0]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--households", type=int, default=150_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--layer-requests", type=int, default=100)
    args = parser.parse_args()
    with scratch_database() as (cluster, app_url):
        dsn = cluster.url("happymap_bench")
        with serve_process(app_url) as (base, proc), httpx.Client(base_url=base, timeout=300) as client:
            admin = token(base)
            print(f"server RSS at start: {peak_rss_mb(proc.pid):.0f} MB")
            print("— the seeded demo district —")
            hh_floor, hh_rows = copy_floor(dsn, HOUSEHOLDS_SQL, args.repeat)
            v_floor, v_rows = copy_floor(dsn, VISITS_SQL, args.repeat)
            for fmt, target in (("csv", 0.5), ("xlsx", 2.0)):
                seconds, size = timed_export(client, f"/api/v1/exports/households.{fmt}", admin, args.repeat)
                report(f"households.{fmt} ({hh_rows:,} rows, {size / 1e6:.1f} MB)", seconds, hh_floor, target)
                alone = in_process(app_url, fmt, args.repeat)
                print(f"  the same export in process, without HTTP: {alone:.3f} s")
            for fmt in ("csv", "xlsx"):
                seconds, size = timed_export(client, f"/api/v1/exports/visits.{fmt}", admin, args.repeat)
                report(f"visits.{fmt} ({v_rows:,} rows, {size / 1e6:.1f} MB)", seconds, v_floor,
                       0.5 if fmt == "csv" else 2.0)

            engine = create_engine(app_url)
            with engine.begin() as conn:
                tracts = conn.execute(text("SELECT count(*) FROM tracts")).scalar_one()
                have = conn.execute(text("SELECT count(*) FROM households")).scalar_one()
                conn.execute(GROW, {"per_tract": max(1, (args.households - have) // tracts)})
                conn.execute(text("ANALYZE households"))
                bbox = bbox_around_centre(conn)
            engine.dispose()
            big_floor, big_rows = copy_floor(dsn, HOUSEHOLDS_SQL, max(1, args.repeat // 2))
            print(f"— {big_rows:,} active households —")
            seconds, size = timed_export(client, "/api/v1/exports/households.csv", admin, max(1, args.repeat // 2))
            report(f"households.csv ({size / 1e6:.1f} MB)", seconds, big_floor)
            print(f"server peak RSS before the XLSX export: {peak_rss_mb(proc.pid):.0f} MB")
            reset_peak_rss(proc.pid)
            seconds, size = timed_export(client, "/api/v1/exports/households.xlsx", admin, max(1, args.repeat // 2))
            report(f"households.xlsx ({size / 1e6:.1f} MB)", seconds, big_floor, 20.0)
            rss = peak_rss_mb(proc.pid)
            print(f"server peak RSS during the XLSX exports: {rss:.0f} MB (target ≤ 300 MB: "
                  f"{'met' if rss <= 300 else 'MISSED'})")

            idle, busy, exports = layer_while_exporting(base, admin, bbox, args.layer_requests)
            print(summary("layer bbox ~2,000 points, idle server", idle))
            print(summary(f"layer bbox ~2,000 points, during {exports} XLSX exports of {big_rows:,} rows", busy))
            ratio = p95(busy) / p95(idle)
            print(f"layer p95 during the export / idle: {ratio:.2f}× "
                  f"(target ≤ 2×: {'met' if ratio <= 2 else 'MISSED'})")


if __name__ == "__main__":
    main()
