"""The map at district and city scale: 150,000 households, every figure next to its raw-PostGIS floor.

    .venv/bin/python -m bench.bench_map_scale [--households 150000] [--requests 100] [--browser]

Floor = the same work as one hand-written SQL statement (or two, where the product needs a count and a page)
sent straight to PostGIS over psycopg in the same run: no HTTP, no sign-in check, no access record. The product
runs as deployed: uvicorn with 2 workers. This machine is shared and noisy, so the ratios matter, not the ms."""
import argparse
import gzip
import http.client
import json
import math
import random
import statistics
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlencode

import psycopg

from app.geo.tiles import Tile, tile_of
from app.tiles.service import CELLS
from bench.common import grow_households, scratch_database, serve_process, token

SESSION = "-c jit=off -c max_parallel_workers_per_gather=0 -c plan_cache_mode=force_custom_plan"
TODAY = "(now() AT TIME ZONE 'Asia/Seoul')::date"

COLOR = ("CASE risk_level WHEN 'high' THEN '#E53935' WHEN 'medium' THEN '#FB8C00' WHEN 'low' THEN '#1E88E5' "
         "ELSE '#FFFFFF' END")
IN_BOX = "status = 'active' AND ST_Intersects(geom, ST_MakeEnvelope(%(w)s, %(s)s, %(e)s, %(n)s, 4326))"
# The layer as the product builds it: compact JSON text concatenated in SQL, and the count it records.
LAYER_FLOOR = f"""
SELECT '{{"type":"FeatureCollection","features":[' || coalesce(string_agg('{{"type":"Feature","id":' || id
         || ',"geometry":' || ST_AsGeoJSON(geom, 6) || ',"properties":{{"id":' || id
         || ',"risk_level":' || to_json(risk_level)::text || ',"color":' || to_json({COLOR})::text
         || ',"overdue":' || to_json(next_visit_due < {TODAY})::text || '}}}}', ',' ORDER BY id), '') || ']}}',
       count(*)
FROM households WHERE {IN_BOX}
"""
# The same layer with json_build_object, as the issue measured its floor (slower, and the answer a tenth larger).
LAYER_FLOOR_JSON = f"""
SELECT json_build_object('type', 'FeatureCollection', 'features', coalesce(json_agg(json_build_object(
         'type', 'Feature', 'id', id, 'geometry', ST_AsGeoJSON(geom, 6)::json,
         'properties', json_build_object('id', id, 'risk_level', risk_level, 'color', {COLOR},
             'overdue', next_visit_due < {TODAY})) ORDER BY id), '[]'::json))::text
FROM households WHERE {IN_BOX}
"""
IN_TILE = ("status = 'active' AND geom && ST_MakeEnvelope(%(w)s, %(s)s, %(e)s, %(n)s, 4326) AND ST_X(geom) >= %(w)s "
           "AND ST_X(geom) < %(e)s AND ST_Y(geom) > %(s)s AND ST_Y(geom) <= %(n)s")
POINTS_FLOOR = f"""
SELECT ST_AsMVT(t, 'households', 4096, 'geom') FROM (
  SELECT id, risk_level, next_visit_due < {TODAY} AS overdue,
         ST_AsMVTGeom(ST_Transform(geom, 3857), ST_TileEnvelope(%(z)s, %(x)s, %(y)s), 4096, 0, false) AS geom
  FROM households WHERE {IN_TILE}) t
"""
CLUSTERS_FLOOR = f"""
SELECT ST_AsMVT(t, 'clusters', 4096, 'geom') FROM (
  SELECT count(*) AS count, count(*) FILTER (WHERE risk_level = 'high') AS high,
         count(*) FILTER (WHERE risk_level = 'medium') AS medium, count(*) FILTER (WHERE risk_level = 'low') AS low,
         count(*) FILTER (WHERE risk_level = 'unvisited') AS unvisited,
         count(*) FILTER (WHERE next_visit_due < {TODAY}) AS overdue,
         ST_AsMVTGeom(ST_Transform(ST_SetSRID(ST_MakePoint(avg(ST_X(geom)), avg(ST_Y(geom))), 4326), 3857),
                      ST_TileEnvelope(%(z)s, %(x)s, %(y)s), 4096, 0, false) AS geom
  FROM households WHERE {IN_TILE}
  GROUP BY least(greatest(floor(((ST_X(geom) + 180) / 360 * 2 ^ %(z)s - %(x)s) * {CELLS}), 0), {CELLS - 1}),
           least(greatest(floor(((1 - asinh(tan(radians(ST_Y(geom)))) / pi()) / 2 * 2 ^ %(z)s - %(y)s) * {CELLS}),
                          0), {CELLS - 1})
) t
"""
LIST_PAGE_FLOOR = """
SELECT h.*, ST_X(h.geom), ST_Y(h.geom), d.name, t.name FROM households h JOIN dongs d ON d.id = h.dong_id
LEFT JOIN tracts t ON t.id = h.tract_id WHERE h.status = 'active' AND {where}
ORDER BY h.urgency, h.next_visit_due, h.id LIMIT 50
"""
SHORT_SEARCH = ("to_tsvector('simple'::regconfig, (h.head_name::text || ' '::text) || h.address::text) "
                "@@ to_tsquery('simple'::regconfig, %(prefix)s)")
LONG_SEARCH = "(h.address ILIKE %(pattern)s OR h.head_name ILIKE %(pattern)s)"
FILTERED = f"h.risk_level IN ('high', 'medium') AND h.next_visit_due < {TODAY}"


class Http:
    """One keep-alive HTTP/1.1 connection, as a browser holds one per request in flight. The standard library's
    client costs about 0.4 ms less per request than httpx: the figures should be the server's, not the bench's."""

    def __init__(self, base: str, headers: dict[str, str]):
        host, port = base.removeprefix("http://").split(":")
        self.conn = http.client.HTTPConnection(host, int(port), timeout=60)
        self.headers = {**headers, "Accept-Encoding": "gzip"}

    def get(self, path: str) -> bytes:
        try:
            self.conn.request("GET", path, headers=self.headers)
            response = self.conn.getresponse()
        except (http.client.RemoteDisconnected, ConnectionError):  # the server closed an idle keep-alive
            self.conn.close()
            self.conn.request("GET", path, headers=self.headers)
            response = self.conn.getresponse()
        body = response.read()
        if response.status != 200:
            raise RuntimeError(f"{path}: {response.status} {body[:200]!r}")
        return body

    def close(self) -> None:
        self.conn.close()


def tile_floor(conn, tile: Tile, point_min_zoom: int) -> bytes:
    w, s, e, n = tile.edges()
    sql = POINTS_FLOOR if tile.z >= point_min_zoom else CLUSTERS_FLOOR
    return conn.execute(sql, {"z": tile.z, "x": tile.x, "y": tile.y, "w": w, "s": s, "e": e, "n": n}).fetchone()[0]


def ms_samples(fn, n: int, warmup: int = 3) -> list[float]:
    for _ in range(warmup):
        fn()
    out = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t) * 1000)
    return out


def paired_samples(product, floor, n: int, warmup: int = 3) -> tuple[list[float], list[float]]:
    """The product and its floor timed turn about, so a burst of load on this shared machine hits both alike."""
    pairs = [(ms_samples(product, 1, warmup if i == 0 else 0)[0], ms_samples(floor, 1, warmup if i == 0 else 0)[0])
             for i in range(n)]
    return [a for a, _ in pairs], [b for _, b in pairs]


def p(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[max(0, int(round(q * len(ordered))) - 1)]


def row(label: str, product: list[float], floor: list[float]) -> str:
    pm, fm = statistics.median(product), statistics.median(floor)
    return (f"| {label} | {fm:.1f} / {p(floor, .95):.1f} | {pm:.1f} / {p(product, .95):.1f} | "
            f"{pm / fm:.2f}× |")


def throughput(work, tiles: list[Tile], clients: int, rounds: int) -> float:
    """Tiles per second with `clients` threads each going through the mix `rounds` times (staggered starts)."""
    def client(k: int) -> int:
        done = 0
        for r in range(rounds):
            for i in range(len(tiles)):
                work(tiles[(i + k * 13 + r) % len(tiles)])
                done += 1
        return done

    t = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        total = sum(pool.map(client, range(clients)))
    return total / (time.perf_counter() - t)


def district_viewport(conn, width: int = 1280, height: int = 720) -> tuple[int, list[Tile]]:
    """The tiles a browser asks for when the whole district fills a width × height map (Leaflet's fitBounds)."""
    w, s, e, n = conn.execute("SELECT ST_XMin(b), ST_YMin(b), ST_XMax(b), ST_YMax(b) FROM "
                              "(SELECT ST_Extent(geom)::geometry b FROM dongs) x").fetchone()

    def world(lon, lat):  # 0..1 across the Web-Mercator square
        return (lon + 180) / 360, (1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2

    x0, y0 = world(w, n)
    x1, y1 = world(e, s)
    zoom = math.floor(math.log2(min((width - 24) / ((x1 - x0) * 256), (height - 24) / ((y1 - y0) * 256))) * 4) / 4
    z = round(zoom)  # Leaflet's GridLayer loads tiles at the rounded zoom
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    half_w, half_h = width / 2 / 256 / 2 ** zoom, height / 2 / 256 / 2 ** zoom
    side = 2 ** z
    tiles = [Tile(z, tx, ty)
             for tx in range(math.floor((cx - half_w) * side), math.floor((cx + half_w) * side) + 1)
             for ty in range(math.floor((cy - half_h) * side), math.floor((cy + half_h) * side) + 1)]
    return z, tiles


def browser_first_view(base: str, runs: int = 5) -> str:
    """Debian's headless Chromium, a fresh profile each run: a district account signs in and the whole district
    appears. Navigation → sign-in form ready (the page's own clock) plus sign-in click → the first view's tiles
    drawn (`loginToPointsMs`, the page's own measure) is the time a person waits, without the typing."""
    from playwright.sync_api import sync_playwright

    from bench.bench_ui import ARGS, CHROMIUM, PASSWORD, wait_until

    ready, drawn = [], []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        for run in range(runs + 1):
            context = browser.new_context(viewport={"width": 1366, "height": 850}, locale="ko-KR")
            page = context.new_page()
            page.goto(base + "/")
            page.wait_for_selector("#login-submit:enabled")  # the form works once its module has run
            form_ready = page.evaluate("performance.now()")
            page.fill("#login-username", "district")
            page.fill("#login-password", PASSWORD)
            page.click("#login-submit")
            wait_until(page, "() => window.__happymap && window.__happymap.ready === true")
            assert page.evaluate("window.__happymap.mode") == "tiles"
            if run > 0:  # the first run warms the server's caches
                ready.append(form_ready)
                drawn.append(page.evaluate("window.__happymap.timings.loginToPointsMs"))
            context.close()
        browser.close()
    total = [a + b for a, b in zip(ready, drawn, strict=True)]
    return (f"\nChromium, whole district ({runs} runs, fresh profile each): navigation → sign-in form ready p50 "
            f"{statistics.median(ready):.0f} ms; sign-in click → first view's tiles drawn p50 "
            f"{statistics.median(drawn):.0f} ms; together p50 {statistics.median(total):.0f} ms, "
            f"max {max(total):.0f} ms")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--households", type=int, default=150_000)
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--browser", action="store_true", help="also time the first district view in Chromium")
    parser.add_argument("--browser-only", action="store_true", help="only the first district view in Chromium")
    args = parser.parse_args()
    from app.tiles.service import POINT_MIN_ZOOM

    with scratch_database() as (cluster, app_url):
        url = app_url.replace("postgresql+psycopg://", "postgresql://")
        with psycopg.connect(cluster.url("happymap_bench"), autocommit=True) as owner:
            total = grow_households(owner, args.households)
        conn = psycopg.connect(url, autocommit=True, options=SESSION)
        rng = random.Random(7)
        points = conn.execute("SELECT ST_X(geom), ST_Y(geom) FROM households WHERE status = 'active'").fetchall()
        mix = [tile_of(*rng.choice(points), z) for z in (13, 14, 15, 16, 17) for _ in range(10)]
        cx, cy = conn.execute("SELECT ST_X(c), ST_Y(c) FROM (SELECT ST_Centroid(ST_Union(geom)) c FROM dongs) s"
                              ).fetchone()
        half = 0.004
        for _ in range(30):
            count = conn.execute("SELECT count(*) FROM households WHERE status = 'active' AND "
                                 "geom && ST_MakeEnvelope(%s, %s, %s, %s, 4326)",
                                 (cx - half, cy - half, cx + half, cy + half)).fetchone()[0]
            if 1900 <= count <= 2100:
                break
            half *= (2000 / max(count, 1)) ** 0.5
        box = {k: round(v, 6) for k, v in {"w": cx - half, "s": cy - half, "e": cx + half, "n": cy + half}.items()}
        z, view = district_viewport(conn)
        print(f"households: {total:,}; bbox holds {count:,}; district view: {len(view)} tiles at z{z}; "
              f"points from z{POINT_MIN_ZOOM}")

        with serve_process(app_url, workers=2) as (base, _):
            if args.browser_only:
                print(browser_first_view(base))
                return
            headers = token(base)
            http = Http(base, headers)
            n = args.requests
            print("\n| request (150,000 households) | floor p50 / p95 ms | product p50 / p95 ms | ratio p50 |")
            print("| --- | --- | --- | --- |")
            bbox = f"{box['w']},{box['s']},{box['e']},{box['n']}"  # the very box the floor reads
            def layer():
                return http.get(f"/api/v1/layers/households?bbox={bbox}")

            same = json.loads(gzip.decompress(layer())) == json.loads(conn.execute(LAYER_FLOOR, box).fetchone()[0])
            assert same, "the layer floor must answer exactly what the product answers"
            print(row("households layer, bbox ~2,000 points",
                      *paired_samples(layer, lambda: conn.execute(LAYER_FLOOR, box).fetchone(), n)))
            print(row("the same, floor with json_build_object (as the issue measured it)",
                      *paired_samples(layer, lambda: conn.execute(LAYER_FLOOR_JSON, box).fetchone(), n)))
            for label, q, where, params in (
                    ("list q=김 (capped count)", "김", SHORT_SEARCH, {"prefix": "김:*"}),
                    ("list q=연희로", "연희로", LONG_SEARCH, {"pattern": "%연희로%"}),
                    ("list q=연희동", "연희동", LONG_SEARCH, {"pattern": "%연희동%"})):
                capped = f"SELECT count(*) FROM (SELECT 1 FROM households h WHERE h.status = 'active' AND {where} " \
                         "LIMIT 1001) c"

                def floor_search(where=where, params=params, capped=capped):
                    conn.execute(capped, params).fetchone()
                    conn.execute(LIST_PAGE_FLOOR.format(where=where), params).fetchall()

                path = "/api/v1/households?" + urlencode({"q": q})
                print(row(label, *paired_samples(lambda path=path: http.get(path), floor_search, n)))

            def floor_filtered():
                conn.execute(f"SELECT count(*) FROM households h WHERE h.status = 'active' AND {FILTERED}").fetchone()
                conn.execute(LIST_PAGE_FLOOR.format(where=FILTERED)).fetchall()

            print(row("list risk=high,medium & overdue, sort=risk", *paired_samples(
                lambda: http.get("/api/v1/households?risk=high,medium&overdue=true&sort=risk"), floor_filtered, n)))

            local = threading.local()  # each client thread: its own HTTP connection and its own database session

            def product_tile(t):
                if not hasattr(local, "http"):
                    local.http = Http(base, headers)
                local.http.get(f"/api/v1/tiles/households/{t.z}/{t.x}/{t.y}.mvt")

            def floor_tile(t):
                if not hasattr(local, "db"):
                    local.db = psycopg.connect(url, autocommit=True, options=SESSION)
                tile_floor(local.db, t, POINT_MIN_ZOOM)

            sizes = [len(http.get(f"/api/v1/tiles/households/{t.z}/{t.x}/{t.y}.mvt")) for t in mix]
            print(f"\n50-tile mix z13–z17: {sum(sizes) / 1024:.0f} KB gzipped in all, "
                  f"largest {max(sizes) / 1024:.0f} KB")
            print("| 50-tile mix z13–z17 | floor tiles/s | product tiles/s | product / floor |")
            print("| --- | --- | --- | --- |")
            for clients in (1, 4):
                rounds = 2 if clients == 1 else 1
                throughput(floor_tile, mix[:10], clients, 1)  # warm both
                throughput(product_tile, mix[:10], clients, 1)
                f = throughput(floor_tile, mix, clients, rounds)
                pr = throughput(product_tile, mix, clients, rounds)
                print(f"| {clients} client{'s' if clients > 1 else ''} | {f:.1f} | {pr:.1f} | {pr / f:.2f}× |")

            def first_view(work) -> float:
                t = time.perf_counter()
                with ThreadPoolExecutor(6) as pool:
                    list(pool.map(work, view))
                return (time.perf_counter() - t) * 1000

            product, floor = paired_samples(lambda: first_view(product_tile), lambda: first_view(floor_tile), 10, 1)
            print(f"\n| whole-district first view ({len(view)} tiles at z{z}, 6 at a time) | floor p50 / p95 ms "
                  "| product p50 / p95 ms | ratio p50 |\n| --- | --- | --- | --- |")
            print(row("all tiles of the viewport", product, floor))
            if args.browser:
                print(browser_first_view(base))
        conn.close()


if __name__ == "__main__":
    main()
