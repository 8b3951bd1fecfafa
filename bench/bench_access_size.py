"""How much room access records take: map views of about 2,000 households each, at district scale.

    .venv/bin/python -m bench.bench_access_size [--households 150000] [--views 300]

Each household-layer request writes one access record listing every household in view. Printed: the table's
growth (heap, TOAST and indexes, after VACUUM) per 10,000 such views, and what two years of a district's use
would take at a given number of views a day.
"""
import argparse
import random

import httpx
from sqlalchemy import create_engine, text

from bench.bench_exports import bbox_around_centre
from bench.bench_households import GROW
from bench.common import scratch_database, serve, token

SIZE = text("SELECT pg_total_relation_size('access_records')")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--households", type=int, default=150_000)
    parser.add_argument("--views", type=int, default=300)
    parser.add_argument("--views-per-day", type=int, default=5_000)
    args = parser.parse_args()
    with scratch_database() as (cluster, app_url):
        owner = create_engine(cluster.url("happymap_bench", driver=True))
        with owner.begin() as conn:
            tracts = conn.execute(text("SELECT count(*) FROM tracts")).scalar_one()
            have = conn.execute(text("SELECT count(*) FROM households")).scalar_one()
            conn.execute(GROW, {"per_tract": max(1, (args.households - have) // tracts)})
            conn.execute(text("ANALYZE households"))
            west, south, east, north = map(float, bbox_around_centre(conn).split(","))
        with serve(app_url) as base, httpx.Client(base_url=base, timeout=60) as client:
            headers = token(base)
            with owner.connect() as conn:
                conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("VACUUM access_records"))
                before = conn.execute(SIZE).scalar_one()
            random.seed(7)
            in_view = 0
            for _ in range(args.views):  # the same-sized box, panned a little each time
                dx, dy = random.uniform(-0.004, 0.004), random.uniform(-0.004, 0.004)
                bbox = f"{west + dx:.6f},{south + dy:.6f},{east + dx:.6f},{north + dy:.6f}"
                r = client.get(f"/api/v1/layers/households?bbox={bbox}", headers=headers)
                r.raise_for_status()
                in_view += len(r.json()["features"])
            with owner.connect() as conn:
                conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("VACUUM access_records"))
                after = conn.execute(SIZE).scalar_one()
        owner.dispose()
    per_view = (after - before) / args.views
    print(f"{args.views} layer views of {in_view / args.views:,.0f} households on average")
    print(f"access_records grew {(after - before) / 1e6:.2f} MB: {per_view / 1e3:.2f} kB a view, "
          f"{per_view * 10_000 / 1e6:.1f} MB per 10,000 views")
    print(f"two years at {args.views_per_day:,} views a day: {per_view * args.views_per_day * 730 / 1e9:.1f} GB")


if __name__ == "__main__":
    main()
