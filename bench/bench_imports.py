"""Importing lists: a 10,000-row household .xlsx previewed and committed over HTTP, each next to its floor in the
same run, and the demo round trip (export the seeded households, import them into a database without households).

    .venv/bin/python -m bench.bench_imports [--rows 10000] [--repeat 3]

Starts a throwaway cluster with the demo seed (the synthetic 서대문구 address files) and serves it with uvicorn.

* preview: `POST /api/v1/imports` (multipart upload, read, normalise, address match, dong, household match, rows
  stored). Floor: the database work of the same plan sent straight to PostGIS: the address-table match, the
  point-in-dong lookup and the household candidates (keys parsed beforehand), and the 10,000 plan rows inserted
  with one INSERT ... SELECT FROM unnest (rolled back). Target (issue 12): ≤ 20 s.
* commit: `POST /api/v1/imports/{id}/commit`. Floor: one INSERT ... SELECT FROM unnest of the same new households
  (rolled back). Target: ≤ 20 s.
* round trip: the seeded households exported as XLSX (names revealed), every household removed (TRUNCATE ...
  CASCADE as the owner), the file imported and committed; each new household's point compared with its original.
  Target: ≥ 99 % within 30 m.
"""
import argparse
import io
import json
import statistics
import time

import httpx
import openpyxl
import psycopg
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from app.addresses import service as addresses
from app.addresses.normalise import normalise_address
from app.geo.crs import geodesic_m
from app.households.models import Household
from app.imports import planning
from bench.bench_addresses import match_arrays
from bench.common import scratch_database, serve_process, token

HEADERS = ["연번", "동명", "성명", "생년월일", "도로명주소", "상세주소", "휴대폰", "보장구분", "세대원수", "비고",
           "관리번호"]
SURNAMES = "김이박최정강조윤장임한오서신권황안송류홍"
GIVEN = "민서지우하윤도현예준시우서연수아지호은서건우"


def household_list(session: Session, n: int) -> tuple[bytes, list[dict]]:
    """A list as a 동 keeps it: 70 % new people at known addresses, 20 % known households, 10 % addresses no
    table has; a title row, dates as Excel dates, phones as numbers (the leading zero lost)."""
    known = session.execute(select(Household.head_name, Household.address).order_by(Household.id)).all()
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet()
    sheet.append(["2026년 위기가구 관리 명단"])
    sheet.append(HEADERS)
    rows = []
    for i in range(n):
        name, address = known[i % len(known)]
        kind = i % 10
        if kind < 7:
            name = SURNAMES[i % len(SURNAMES)] + GIVEN[(i // 3) % len(GIVEN)] + GIVEN[(i // 7) % len(GIVEN)]
        elif kind == 9:
            address = f"서울특별시 서대문구 벤치없는로 {i}"
        birth = f"19{40 + i % 50}-{1 + i % 12:02d}-{1 + i % 28:02d}"
        row = {"name": name, "address": address, "birth": birth, "key": f"K{i:06d}"}
        rows.append(row)
        sheet.append([i + 1, None, name, birth, address, f"{1 + i % 20}층", 1000000000 + i, "차상위", 1 + i % 5,
                      None, row["key"]])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue(), rows


def floor_preview(conn: psycopg.Connection, rows: list[dict]) -> float:
    """The plan's database work alone: address match, dong lookup, candidates, the rows inserted (rolled back)."""
    arrays = match_arrays([r["address"] for r in rows])
    engine_sql = lambda statement: str(statement.compile(  # noqa: E731 - a one-line helper
        dialect=create_engine("postgresql+psycopg://").dialect))
    match_sql = engine_sql(addresses.MATCH_SQL)
    locate_sql = engine_sql(planning.LOCATE_SQL)
    candidates_sql = engine_sql(planning.CANDIDATES_SQL)
    started = time.perf_counter()
    with conn.transaction(force_rollback=True):
        found = conn.execute(match_sql, arrays).fetchall()
        points = {r[0]: (r[-2], r[-1]) for r in found}
        ords = sorted(points)
        conn.execute(locate_sql, {"ords": ords, "lons": [points[o][0] for o in ords],
                                  "lats": [points[o][1] for o in ords], "codes": ["11410"]}).fetchall()
        conn.execute(candidates_sql, {"ords": list(range(len(rows))), "names": [r["name"] for r in rows],
                                      "addrs": [normalise_address(r["address"]) for r in rows],
                                      "skeys": [r["key"] for r in rows], "hashes": [None] * len(rows)}).fetchall()
        (import_id,) = conn.execute(
            "INSERT INTO imports (kind, status, file_name, file_sha256, source, headers, mapping, rows_total, counts, "
            "version) VALUES ('households', 'previewed', 'floor', '', 'floor', '{}', '{}', 0, '{}', 1) RETURNING id"
        ).fetchone()
        conn.execute(
            "INSERT INTO import_rows (import_id, row_no, outcome, state, values, cells, errors, signals, version) "
            "SELECT %s, n, 'new', 'preview', v::jsonb, v::jsonb, '[]', '{}', 1 "
            "FROM unnest(%s::int[], %s::text[]) AS q(n, v)",
            (import_id, list(range(len(rows))), [json.dumps(r, ensure_ascii=False) for r in rows]))
    return time.perf_counter() - started


def floor_commit(conn: psycopg.Connection, rows: list[dict]) -> float:
    """The new households written by one statement (rolled back)."""
    started = time.perf_counter()
    with conn.transaction(force_rollback=True):
        conn.execute(
            "INSERT INTO households (dong_id, head_name, address, members, phone, geom, placement, risk_level, "
            "next_visit_due, registered_on, open_needs, status, is_synthetic, version, risk_overridden, source_key) "
            "SELECT 1, n, a, 1, '010-0000-0000', ST_SetSRID(ST_MakePoint(126.94, 37.57), 4326), 'building', "
            "'unvisited', current_date, current_date, '{}', 'active', false, 1, false, k "
            "FROM unnest(%s::text[], %s::text[], %s::text[]) AS q(n, a, k)",
            ([r["name"] for r in rows], [r["address"] for r in rows], [r["key"] for r in rows]))
    return time.perf_counter() - started


def upload(client: httpx.Client, headers: dict, content: bytes, name: str) -> dict:
    r = client.post("/api/v1/imports", files={"file": (name, content)}, data={"kind": "households"},
                    headers=headers, timeout=300)
    r.raise_for_status()
    return r.json()


def commit(client: httpx.Client, headers: dict, body: dict) -> dict:
    r = client.post(f"/api/v1/imports/{body['id']}/commit", json={"version": body["version"]}, headers=headers,
                    timeout=300)
    r.raise_for_status()
    return r.json()


def ratio_line(label: str, product: list[float], floor: list[float], target: float) -> str:
    p, f = statistics.median(product), statistics.median(floor)
    return (f"{label}: product median {p:.2f} s (runs {', '.join(f'{x:.2f}' for x in product)}), floor median "
            f"{f:.3f} s, ratio {p / f:.1f}x, target ≤ {target:.0f} s: {'met' if max(product) <= target else 'NOT met'}")


def round_trip(client: httpx.Client, headers: dict, owner_url: str) -> str:
    """Export → remove every household → import the file → the share placed within 30 m of where it was."""
    with psycopg.connect(owner_url) as conn:
        original = {(n, a): (x, y) for n, a, x, y in conn.execute(
            "SELECT head_name, address, ST_X(geom), ST_Y(geom) FROM households WHERE status = 'active'")}
    r = client.get("/api/v1/exports/households.xlsx", params={"purpose": "왕복 시험", "reveal": "true",
                                                              "status": "active"},
                   headers=headers, timeout=300)
    r.raise_for_status()
    with psycopg.connect(owner_url, autocommit=True) as conn:
        conn.execute("TRUNCATE households CASCADE")
    started = time.perf_counter()
    body = upload(client, headers, r.content, "가구목록.xlsx")
    done = commit(client, headers, body)
    took = time.perf_counter() - started
    with psycopg.connect(owner_url) as conn:
        placed = {(n, a): (x, y) for n, a, x, y in conn.execute(
            "SELECT head_name, address, ST_X(geom), ST_Y(geom) FROM households")}
    close = sum(1 for key, (x, y) in original.items()
                if key in placed and geodesic_m(x, y, *placed[key]) <= 30)
    share = close / len(original)
    return (f"round trip: {len(original):,} households exported, preview counts {body['counts']}, applied "
            f"{done['applied']}, {close:,} placed within 30 m = {share:.2%} (target ≥ 99 %: "
            f"{'met' if share >= 0.99 else 'NOT met'}), import + commit {took:.1f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with scratch_database("happymap_bench_imports") as (cluster, url):
        owner_url = cluster.url("happymap_bench_imports")
        engine = create_engine(url)
        with Session(engine) as session:
            content, rows = household_list(session, args.rows)
        engine.dispose()
        print(f"file: {args.rows:,} rows, {len(content) / 1e6:.2f} MB")
        # the list is made from the seed before the round trip replaces its households with their copies (same
        # names and addresses, so its known households still match)
        with serve_process(url) as (base, _), httpx.Client(base_url=base) as client, \
                psycopg.connect(owner_url) as conn:
            headers = token(base, "district")
            # the round trip first, on the seed alone (the list below adds households of its own)
            trip = round_trip(client, headers, owner_url)
            previews, commits, preview_floor, commit_floor = [], [], [], []
            for i in range(args.repeat):
                # turn about: the floor and the product share whatever load the machine has
                preview_floor.append(floor_preview(conn, rows))
                started = time.perf_counter()
                body = upload(client, headers, content, f"명단-{i}.xlsx")
                previews.append(time.perf_counter() - started)
                if i == args.repeat - 1:
                    new = rows[: body["counts"]["new"]]
                    commit_floor.append(floor_commit(conn, new))
                    started = time.perf_counter()
                    done = commit(client, headers, body)
                    commits.append(time.perf_counter() - started)
                    print(f"preview counts {body['counts']}, applied {done['applied']}")
                else:
                    client.delete(f"/api/v1/imports/{body['id']}", headers=headers).raise_for_status()
            print(ratio_line("preview", previews, preview_floor, 20))
            print(ratio_line("commit", commits, commit_floor, 20))
            print(trip)


if __name__ == "__main__":
    main()
