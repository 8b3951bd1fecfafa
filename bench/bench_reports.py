"""Report intake through the real HTTP stack (uvicorn + httpx) on the seeded demo district.

Times POST /api/v1/reports with a point and with a free-text address (offline geocoder), the Kakao skill
webhook and Open311 POST requests.json; prints median and p95 in milliseconds measured at the client.
Intakes rotate over the demo accounts and Kakao user ids so the per-user rate limits are not what is timed.

    .venv/bin/python -m bench.bench_reports [--requests 200]
"""
import argparse
import random
import time

import httpx
from sqlalchemy import create_engine, text

from bench.common import scratch_database, serve, summary, token

USERS = (["admin", "district", "partner01", "tongjang01", "tongjang02", "tongjang03"]
         + [f"dong{i:02d}" for i in range(1, 15)])


def timed_posts(client: httpx.Client, calls, expect: int, warmup: int = 5) -> list[float]:
    """Latencies in ms of sequential POSTs; `calls` yields (url, kwargs)."""
    out = []
    for n, (url, kwargs) in enumerate(calls):
        started = time.perf_counter()
        answer = client.post(url, **kwargs)
        elapsed = (time.perf_counter() - started) * 1000
        assert answer.status_code == expect, (answer.status_code, answer.text[:300])
        if n >= warmup:
            out.append(elapsed)
    return out


def main() -> None:
    """Seed a scratch database, serve it, time the four intake paths and print the figures."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    rng = random.Random(5)
    with scratch_database("happymap_bench_reports") as (cluster, app_url):
        engine = create_engine(app_url)
        with engine.connect() as conn:
            west, south, east, north = conn.execute(text(
                "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM "
                "(SELECT ST_Extent(d.geom)::geometry e FROM dongs d JOIN districts s ON s.id = d.district_id "
                "WHERE s.code = '11410') x")).one()
            addresses = list(conn.execute(text(
                "SELECT address FROM households WHERE status = 'active' ORDER BY random() LIMIT 200")).scalars())
            households = conn.execute(text("SELECT count(*) FROM households")).scalar_one()
        engine.dispose()
        print(f"households in the database: {households:,}")
        n = args.requests
        with serve(app_url) as base, httpx.Client(base_url=base, timeout=30) as client:
            headers = {u: token(base, u) for u in USERS}

            def point_reports():
                for i in range(n + 5):
                    lon, lat = rng.uniform(west, east), rng.uniform(south, north)
                    yield "/api/v1/reports", {"headers": headers[USERS[i % len(USERS)]], "json": {
                        "description": f"벤치마크 신고 {i}: 며칠째 인기척이 없어요", "lon": lon, "lat": lat,
                        "indicators": ["isolation"]}}

            def address_reports():
                for i in range(n // 2 + 5):
                    yield "/api/v1/reports", {"headers": headers[USERS[(i + 7) % len(USERS)]], "json": {
                        "description": f"주소로 신고 {i}", "address": addresses[i % len(addresses)] + " 2층"}}

            def kakao():
                for i in range(n // 2 + 5):
                    yield "/integrations/kakao/skill?key=local-kakao-key", {"json": {
                        "userRequest": {"utterance": f"카카오 벤치마크 신고 {i}번, 옆집 어르신이 걱정돼요",
                                        "user": {"id": f"bench-user-{i}", "type": "botUserKey"}},
                        "action": {"params": {"address": addresses[i % len(addresses)]}}}}

            def open311():
                for i in range(45):
                    lon, lat = rng.uniform(west, east), rng.uniform(south, north)
                    yield "/open311/v2/requests.json", {"data": {
                        "api_key": "local-open311-key", "service_code": "utility_cutoff", "lat": lat,
                        "long": lon, "description": f"Open311 벤치마크 {i}"}}

            print(summary("POST /api/v1/reports (point; placement + duplicate check)",
                          timed_posts(client, point_reports(), 201)))
            print(summary("POST /api/v1/reports (free-text address; offline geocoder)",
                          timed_posts(client, address_reports(), 201)))
            print(summary("POST /integrations/kakao/skill (new report)", timed_posts(client, kakao(), 200)))
            print(summary("POST /open311/v2/requests.json", timed_posts(client, open311(), 200)))


if __name__ == "__main__":
    main()
