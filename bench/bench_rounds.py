"""The phone's round: downloading a ~60-household tract ("오프라인으로 받기") and syncing 50 queued visits, each next
to its raw-SQL floor.

    .venv/bin/python -m bench.bench_rounds [--downloads 30] [--batches 4]

Floor = the same reads and writes as hand-written SQL sent straight to PostGIS over psycopg in the same run, one
transaction per request as the product: the bearer lookup, the tract, its start and households, the access
record (lock, chain head, insert), and for a visit the household lock, the key lookup, the visit and its codes, the
household update and the answer's re-read. No HTTP, no JSON, no walking order (timed on its own line). The product
runs as deployed (uvicorn, one worker) and is timed turn about with its floor. Targets (issue 16): download ≤ 1 s,
50 visits ≤ 5 s."""
import argparse
import http.client
import json
import statistics
import time
import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import psycopg

from app.access.service import CHAIN_LOCK, GENESIS, record_hash
from app.auth.security import token_digest
from app.idset import pack
from app.printing.route import plan_round
from bench.bench_map_scale import SESSION, p
from bench.common import scratch_database, serve_process, token

TZ = ZoneInfo("Asia/Seoul")
TRACT_NEAR_60 = """
SELECT t.id, t.dong_id, count(*) FROM tracts t JOIN households h ON h.tract_id = t.id AND h.status = 'active'
GROUP BY t.id, t.dong_id ORDER BY abs(count(*) - 60), t.id LIMIT 1
"""
DONG_USER = ("SELECT u.username FROM users u JOIN user_dongs d ON d.user_id = u.id "
             "WHERE u.role = 'dong_staff' AND d.dong_id = %s ORDER BY u.username LIMIT 1")
SESSION_LOOKUP = """
SELECT s.id, s.last_seen_at, s.revoked_at, s.expires_at, u.id, u.username, u.role, u.is_active, u.facility_id,
       ARRAY(SELECT dong_id FROM user_dongs WHERE user_id = u.id), ARRAY(SELECT tract_id FROM user_tracts
       WHERE user_id = u.id)
FROM auth_sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = %s
"""
TRACT = ("SELECT t.id, t.name, t.number, t.dong_id, d.name, ST_AsGeoJSON(t.geom, 7) FROM tracts t "
         "JOIN dongs d ON d.id = t.dong_id WHERE t.id = %s")
START = ("SELECT d.name, d.office_geom IS NOT NULL, ST_X(coalesce(d.office_geom, ST_PointOnSurface(d.geom))), "
         "ST_Y(coalesce(d.office_geom, ST_PointOnSurface(d.geom))) FROM dongs d WHERE d.id = %s")
HOUSEHOLD_ROWS = """
SELECT h.*, ST_X(h.geom), ST_Y(h.geom), d.name, t.name FROM households h JOIN dongs d ON d.id = h.dong_id
LEFT JOIN tracts t ON t.id = h.tract_id WHERE {where} ORDER BY h.id
"""
HEAD = ("SELECT (SELECT hash FROM access_records ORDER BY id DESC LIMIT 1), "
        "nextval(pg_get_serial_sequence('access_records', 'id'))")
INSERT_RECORD = ("INSERT INTO access_records (id, at, user_id, username, role, client_ip, action, resource, "
                 "household_ids, purpose, prev_hash, hash, household_count) VALUES (%(id)s, %(at)s, %(user_id)s, "
                 "%(username)s, %(role)s, %(client_ip)s, %(action)s, %(resource)s, %(household_ids)s, %(purpose)s, "
                 "%(prev_hash)s, %(hash)s, %(household_count)s)")
VISIT = ("INSERT INTO visits (household_id, visited_at, contact_type, notes, risk_score, risk_level_after, "
         "recorded_by, created_at, client_key) VALUES (%s, %s, 'visit', %s, 0, 'low', %s, now(), %s) RETURNING id")
UPDATE_HOUSEHOLD = ("UPDATE households SET risk_level = 'low', last_visit_at = %s, next_visit_due = %s, "
                    "open_needs = %s, updated_at = now(), version = version + 1 WHERE id = %s AND version = %s")


class Http:
    """One keep-alive HTTP/1.1 connection (the standard library's client: the figures are the server's)."""

    def __init__(self, base: str):
        host, port = base.removeprefix("http://").split(":")
        self.conn = http.client.HTTPConnection(host, int(port), timeout=60)

    def send(self, method: str, path: str, headers: dict, body: dict | None = None) -> tuple[int, bytes]:
        payload = json.dumps(body).encode() if body is not None else None
        all_headers = {**headers, **({"Content-Type": "application/json"} if payload else {})}
        self.conn.request(method, path, body=payload, headers=all_headers)
        response = self.conn.getresponse()
        return response.status, response.read()


def access_record(conn, who: tuple, action: str, resource: str, ids: list[int], purpose: str | None) -> None:
    """The access record as the product writes it: the chain lock, its head, the hashed row."""
    conn.execute("SELECT pg_advisory_xact_lock(%s)", (CHAIN_LOCK,))
    prev, new_id = conn.execute(HEAD).fetchone()
    row = {"id": new_id, "at": datetime.now(TZ).replace(microsecond=0), "user_id": who[0], "username": who[1],
           "role": who[2], "client_ip": "127.0.0.1", "action": action, "resource": resource,
           "household_ids": sorted(set(ids)), "purpose": purpose, "prev_hash": prev or GENESIS,
           "household_count": len(set(ids))}
    row["hash"] = record_hash(row["prev_hash"], row)
    conn.execute(INSERT_RECORD, {**row, "household_ids": pack(row["household_ids"])})


def who_am_i(conn, digest: str) -> tuple:
    r = conn.execute(SESSION_LOOKUP, (digest,)).fetchone()
    return r[4], r[5], r[6], r[9]


def floor_download(conn, digest: str, tract_id: int) -> None:
    with conn.transaction():
        user_id, username, role, dongs = who_am_i(conn, digest)
        tract = conn.execute(TRACT, (tract_id,)).fetchone()
        conn.execute(START, (tract[3],)).fetchone()
        rows = conn.execute(HOUSEHOLD_ROWS.format(where="h.tract_id = %s AND h.status = 'active' "
                                                        "AND h.dong_id = ANY(%s)"), (tract_id, dongs)).fetchall()
        access_record(conn, (user_id, username, role), "export", f"GET /api/v1/rounds/tracts/{tract_id}",
                      [r[0] for r in rows], "오프라인 순회 받기")


def floor_visit(conn, digest: str, household_id: int, version: int, when: datetime) -> None:
    with conn.transaction():
        user_id, username, role, dongs = who_am_i(conn, digest)
        conn.execute("SELECT * FROM households WHERE id = %s AND dong_id = ANY(%s) FOR UPDATE",
                     (household_id, dongs)).fetchone()
        key = str(uuid.uuid4())
        conn.execute("SELECT id FROM visits WHERE recorded_by = %s AND client_key = %s", (user_id, key)).fetchone()
        visit_id = conn.execute(VISIT, (household_id, when, "동기화 방문", user_id, key)).fetchone()[0]
        conn.execute("INSERT INTO visit_visitors (visit_id, visitor_type) VALUES (%s, 'official')", (visit_id,))
        conn.execute("INSERT INTO visit_indicators (visit_id, indicator) VALUES (%s, 'debt')", (visit_id,))
        conn.execute("INSERT INTO visit_needs (visit_id, need) VALUES (%s, 'finance')", (visit_id,))
        conn.execute("SELECT need FROM service_links sl JOIN service_link_events e ON e.service_link_id = sl.id "
                     "WHERE sl.household_id = %s AND sl.need = ANY(%s) AND e.status = 'delivered' "
                     "AND e.changed_at >= %s", (household_id, ["finance"], when)).fetchall()
        conn.execute(UPDATE_HOUSEHOLD, (when, (when + timedelta(days=180)).date(), ["finance"], household_id,
                                        version))
        access_record(conn, (user_id, username, role), "create", f"POST /api/v1/households/{household_id}/visits",
                      [household_id], None)
        conn.execute(HOUSEHOLD_ROWS.format(where="h.id = %s"), (household_id,)).fetchone()


def ms(fn) -> float:
    t = time.perf_counter()
    fn()
    return (time.perf_counter() - t) * 1000


def line(label: str, product: list[float], floor: list[float]) -> str:
    pm, fm = statistics.median(product), statistics.median(floor)
    return f"| {label} | {fm:.1f} / {p(floor, .95):.1f} | {pm:.1f} / {p(product, .95):.1f} | {pm / fm:.2f}× |"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--downloads", type=int, default=30)
    parser.add_argument("--batches", type=int, default=4, help="50-visit queues synced, each beside its floor")
    args = parser.parse_args()
    with scratch_database() as (_, app_url):
        conn = psycopg.connect(app_url.replace("postgresql+psycopg://", "postgresql://"), options=SESSION,
                               autocommit=True)
        tract_id, dong_id, count = conn.execute(TRACT_NEAR_60).fetchone()
        username = conn.execute(DONG_USER, (dong_id,)).fetchone()[0]
        with serve_process(app_url, workers=1) as (base, _):
            http_ = Http(base)
            headers = token(base, username)
            digest = token_digest(headers["Authorization"].removeprefix("Bearer "))
            path = f"/api/v1/rounds/tracts/{tract_id}?purpose=offline"

            def download():
                status, body = http_.send("GET", path, headers)
                assert status == 200, body[:300]
                return body

            body = download()
            size = len(body)
            stops = json.loads(body)["households"]
            for _ in range(3):
                download()
                floor_download(conn, digest, tract_id)
            product, floor = [], []
            for _ in range(args.downloads):
                product.append(ms(download))
                floor.append(ms(lambda: floor_download(conn, digest, tract_id)))
            route = [ms(lambda: plan_round((stops[0]["lon"], stops[0]["lat"]), stops)) for _ in range(20)]

            ids = [r[0] for r in conn.execute(
                "SELECT id FROM households WHERE dong_id = %s AND status = 'active' ORDER BY id", (dong_id,))]
            sync_product, sync_floor_ms = [], []
            for batch in range(args.batches):
                chosen = [ids[(batch * 100 + k) % len(ids)] for k in range(50)]
                floor_chosen = [ids[(batch * 100 + 50 + k) % len(ids)] for k in range(50)]
                versions = dict(conn.execute("SELECT id, version FROM households WHERE id = ANY(%s)",
                                             (chosen + floor_chosen,)).fetchall())
                when = datetime.now(TZ) - timedelta(minutes=30 - batch)
                queue = [{"visited_at": when.isoformat(), "contact_type": "visit", "visitor_types": ["official"],
                          "indicators": ["debt"], "needs": ["finance"], "notes": "동기화 방문",
                          "household_version": versions[h]} for h in chosen]

                def sync(queue=queue, chosen=chosen):
                    for household_id, draft in zip(chosen, queue, strict=True):
                        status, answer = http_.send("POST", f"/api/v1/households/{household_id}/visits",
                                                    headers | {"Idempotency-Key": str(uuid.uuid4())}, draft)
                        assert status == 201, answer[:300]

                def sync_floor(chosen=floor_chosen, when=when, versions=versions):
                    for household_id in chosen:
                        floor_visit(conn, digest, household_id, versions[household_id], when)

                sync_product.append(ms(sync))
                sync_floor_ms.append(ms(sync_floor))
            http_.conn.close()
        conn.close()
    print(f"Tract {tract_id} ({count} active households), {username}; round answer {size / 1024:.0f} KiB "
          f"(uncompressed). Medians / p95 in ms; the product and its floor timed turn about.\n")
    print("| what | floor (SQL) | product (HTTP) | ratio |\n|---|---|---|---|")
    print(line(f"GET /rounds/tracts/{{id}}?purpose=offline ({count} households)", product, floor))
    print(line("50 queued visits, one POST after another (whole queue)", sync_product, sync_floor_ms))
    print(f"\nwalking order alone ({count} stops, nearest neighbour + 2-opt): median {statistics.median(route):.1f} ms")
    print(f"targets: download ≤ 1000 ms (p95 {p(product, .95):.0f} ms), 50 visits ≤ 5000 ms "
          f"(worst {max(sync_product):.0f} ms)")


if __name__ == "__main__":
    main()
