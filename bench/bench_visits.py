"""Visits, statistics and exports on the seeded district, through the real HTTP stack.

    .venv/bin/python -m bench.bench_visits [--requests 50]

Prints the stats JSON of the whole district (the 2015 table), then latencies.
"""
import argparse
import json
import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import httpx

from bench.common import scratch_database, serve, summary, timed, token

PURPOSE = "벤치마크"


def _once(client: httpx.Client, url: str, headers: dict) -> tuple[float, int]:
    started = time.perf_counter()
    r = client.get(url, headers=headers)
    r.raise_for_status()
    return (time.perf_counter() - started) * 1000, len(r.content)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=50)
    args = parser.parse_args()
    with scratch_database() as (_, app_url), serve(app_url) as base, \
            httpx.Client(base_url=base, timeout=120) as client:
        admin = token(base)
        stats = client.get("/api/v1/stats", headers=admin).json()
        print(json.dumps(stats, ensure_ascii=False, indent=2))

        print(summary("GET /stats (whole district)", timed(client, "/api/v1/stats", admin, args.requests)))
        print(summary("GET /stats?dong_id=1", timed(client, "/api/v1/stats?dong_id=1", admin, args.requests)))
        print(summary("GET /stats?from=&to= (this month)", timed(
            client, f"/api/v1/stats?from={stats['as_of'][:8]}01&to={stats['as_of']}", admin, args.requests)))

        households = client.get("/api/v1/households", headers=admin,
                                params={"risk": "low", "limit": args.requests}).json()["items"]
        now = datetime.now(ZoneInfo("Asia/Seoul")) - timedelta(minutes=5)
        writes = []
        for h in households:
            body = {"visited_at": now.isoformat(), "contact_type": "visit", "visitor_types": ["official"],
                    "indicators": ["rent_arrears"], "needs": ["finance"]}
            started = time.perf_counter()
            client.post(f"/api/v1/households/{h['id']}/visits", headers=admin, json=body).raise_for_status()
            writes.append((time.perf_counter() - started) * 1000)
        print(summary("POST /households/{id}/visits", writes))

        for path in ("households.csv", "households.xlsx", "visits.csv", "visits.xlsx"):
            ms, size = _once(client, f"/api/v1/exports/{path}?purpose={PURPOSE}&status=all"
                             if path.startswith("households") else f"/api/v1/exports/{path}?purpose={PURPOSE}", admin)
            print(f"GET /exports/{path} (whole district): {ms:.0f} ms, {size / 1024:.0f} KiB")


if __name__ == "__main__":
    main()
