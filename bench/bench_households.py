"""Households layer and list at district scale: 150,000 households, through the real HTTP stack.

    .venv/bin/python -m bench.bench_households [--households 150000] [--requests 200]
"""
import argparse

import httpx
from sqlalchemy import create_engine, text

from bench.common import scratch_database, serve, summary, timed, token

GROW = text("""
    INSERT INTO households (dong_id, tract_id, head_name, address, members, geom, risk_level, next_visit_due,
                            registered_on, open_needs, status, is_synthetic, version, risk_overridden)
    SELECT t.dong_id, t.id, '가상' || g.n, '서울특별시 서대문구 가상로 ' || g.n, 1 + g.n % 4, p.geom,
           (ARRAY['high','medium','low','low','low','unvisited','unvisited'])[1 + g.n % 7],
           current_date - (g.n % 400) + 180, current_date - 400, '{}', 'active', true, 1, false
    FROM tracts t
    CROSS JOIN LATERAL (SELECT (ST_Dump(ST_GeneratePoints(t.geom, :per_tract, 42))).geom) p
    CROSS JOIN LATERAL (SELECT (random() * 1000000)::int AS n) g
""")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--households", type=int, default=150_000)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    with scratch_database() as (cluster, app_url):
        engine = create_engine(app_url)
        with engine.begin() as conn:
            tracts = conn.execute(text("SELECT count(*) FROM tracts")).scalar_one()
            have = conn.execute(text("SELECT count(*) FROM households")).scalar_one()
            per_tract = max(1, (args.households - have) // tracts)
            conn.execute(GROW, {"per_tract": per_tract})
            conn.execute(text("ANALYZE households"))
            total = conn.execute(text("SELECT count(*) FROM households")).scalar_one()
            # A square box around the district's centre that holds about 2,000 households.
            cx, cy = conn.execute(text("SELECT ST_X(c), ST_Y(c) FROM (SELECT ST_Centroid(ST_Union(geom)) c "
                                       "FROM dongs) s")).one()
            half = 0.02
            for _ in range(30):
                count = conn.execute(text("SELECT count(*) FROM households WHERE geom && "
                                          "ST_MakeEnvelope(:w,:s,:e,:n,4326)"),
                                     {"w": cx - half, "s": cy - half, "e": cx + half, "n": cy + half}).scalar_one()
                if 1900 <= count <= 2100:
                    break
                half *= (2000 / max(count, 1)) ** 0.5
        engine.dispose()
        bbox = f"{cx - half:.6f},{cy - half:.6f},{cx + half:.6f},{cy + half:.6f}"
        print(f"households in the district: {total:,}; bbox {bbox} holds {count:,}")
        with serve(app_url) as base, httpx.Client(base_url=base, timeout=30) as client:
            headers = token(base)
            layer = timed(client, f"/api/v1/layers/households?bbox={bbox}", headers, args.requests)
            print(summary("GET /layers/households (bbox ~2,000 points)", layer))
            filtered = timed(client, "/api/v1/households?risk=high,medium&overdue=true&sort=risk&limit=50",
                             headers, args.requests)
            print(summary("GET /households (risk=high,medium & overdue, sort=risk, 50 per page)", filtered))
            search = timed(client, "/api/v1/households?q=%EA%B0%80%EC%83%81%EB%A1%9C%201&limit=50", headers,
                           args.requests // 2)
            print(summary("GET /households (q=가상로 1)", search))
            dong = timed(client, "/api/v1/layers/households?dong_id=1", headers, args.requests // 4)
            print(summary("GET /layers/households (a whole dong)", dong))


if __name__ == "__main__":
    main()
