"""Benchmark: facility nearest-10 and radius search through the real HTTP stack (uvicorn + httpx).

Starts a throwaway PostgreSQL/PostGIS cluster, migrates it, loads 서대문구 with its 461 demo facilities,
times the searches, then adds 50,000 synthetic facilities across Korea (weighted to the big cities) and
times them again. Prints median and p95 in milliseconds, measured at the client (login, JSON, network).

    .venv/bin/python bench/bench_facilities.py [--requests 300] [--synthetic 50000]
"""
import argparse
import math
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import httpx
from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, insert, text
from sqlalchemy.orm import Session

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.dev.pgcluster import Cluster, free_port, prepare_database  # noqa: E402

APP_ROLE = "happymap_app"
DB = "happymap_bench"
USER, PASSWORD = "bench_admin", "bench-password-2026"

# (place, lon, lat, share of facilities, spread in km): where welfare facilities cluster in Korea.
CITIES = [
    ("서울", 126.978, 37.5665, 0.30, 8), ("부산", 129.075, 35.180, 0.10, 7), ("인천", 126.705, 37.456, 0.07, 6),
    ("대구", 128.601, 35.871, 0.07, 6), ("대전", 127.385, 36.351, 0.05, 5), ("광주", 126.853, 35.160, 0.05, 5),
    ("울산", 129.311, 35.539, 0.03, 5), ("수원", 127.029, 37.263, 0.05, 5), ("성남·용인", 127.127, 37.420, 0.04, 5),
    ("고양", 126.832, 37.658, 0.03, 5), ("청주", 127.489, 36.642, 0.03, 5), ("전주", 127.148, 35.824, 0.03, 5),
    ("창원", 128.681, 35.228, 0.03, 5), ("제주", 126.531, 33.499, 0.02, 5),
]
UNIFORM_SHARE = 1 - sum(c[3] for c in CITIES)  # the rest spread over the mainland
MAINLAND = (126.3, 34.6, 129.3, 38.2)
SEODAEMUN = (126.905, 37.555, 126.965, 37.605)
CATEGORIES = ["welfare_centre", "senior_welfare_centre", "disability_welfare_centre", "senior_centre",
              "community_child_centre", "care_centre", "food_bank", "public_health_centre", "mental_health_centre",
              "self_sufficiency_centre", "dementia_centre", "family_centre", "senior_care", "disability_service"]
CATEGORY_WEIGHTS = [4, 3, 1, 40, 10, 3, 1, 1, 1, 1, 1, 2, 25, 7]


def korea_point(rng: random.Random) -> tuple[float, float]:
    """A point where a facility might be: near a city (Gaussian) or anywhere on the mainland box."""
    r = rng.random()
    acc = 0.0
    for _, lon, lat, share, spread_km in CITIES:
        acc += share
        if r < acc:
            dy = rng.gauss(0, spread_km) / 111.32
            dx = rng.gauss(0, spread_km) / (111.32 * math.cos(math.radians(lat)))
            return lon + dx, lat + dy
    return rng.uniform(MAINLAND[0], MAINLAND[2]), rng.uniform(MAINLAND[1], MAINLAND[3])


def seodaemun_point(rng: random.Random) -> tuple[float, float]:
    return rng.uniform(SEODAEMUN[0], SEODAEMUN[2]), rng.uniform(SEODAEMUN[1], SEODAEMUN[3])


def migrate(url: str) -> None:
    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "migrations"))
    cfg.attributes["url"] = url
    command.upgrade(cfg, "head")


def load_demo(owner_url: str) -> int:
    """서대문구 (dongs, tracts) and its 461 facilities from the demo seed, plus one admin account."""
    os.environ["DATABASE_URL"] = owner_url
    from app.auth import service as auth_service
    from app.config import get_settings
    from seed.facilities import load_facilities
    from seed.places import load_district

    get_settings.cache_clear()
    engine = create_engine(owner_url)
    with Session(engine) as session, session.begin():
        load_district(session, "11410")
        inserted = load_facilities(session, "11410", date.today())
    with Session(engine) as session:
        auth_service.create_user(session, username=USER, password=PASSWORD, role="admin")
    engine.dispose()
    return inserted


def add_synthetic(owner_url: str, count: int, seed: int = 20261122) -> None:
    """`count` made-up facilities across Korea, marked synthetic, then VACUUM ANALYZE."""
    import app.models  # noqa: F401  (every table, for the foreign keys)
    from app.facilities.categories import default_needs
    from app.facilities.models import Facility

    rng = random.Random(seed)
    rows = []
    for i in range(count):
        lon, lat = korea_point(rng)
        category = rng.choices(CATEGORIES, CATEGORY_WEIGHTS)[0]
        rows.append({
            "code": f"BENCH-{i:06d}", "name": f"합성{i}{category[:4]}센터", "category": category,
            "address": None, "needs_served": default_needs(category), "accepting_referrals": rng.random() < 0.85,
            "geom": f"SRID=4326;POINT({lon:.7f} {lat:.7f})", "location_quality": "approximate",
            "source": "synthetic-bench", "is_synthetic": True, "version": 1,
        })
    engine = create_engine(owner_url)
    with Session(engine) as session, session.begin():
        for start in range(0, len(rows), 5000):
            session.execute(insert(Facility), rows[start:start + 5000])
    with engine.connect() as conn:
        # What autovacuum would have done by the time anyone searches: statistics and the visibility map.
        conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("VACUUM ANALYZE facilities"))
    engine.dispose()


def wait_for(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"서버가 응답하지 않습니다: {url}")


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = (len(ordered) - 1) * p
    lo, hi = math.floor(k), math.ceil(k)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def time_scenario(client: httpx.Client, label: str, params_of, n: int, rng: random.Random,
                  path: str = "/api/v1/facilities") -> dict:
    """Run `n` requests (after 20 warm-ups) and print median and p95."""
    for _ in range(20):
        client.get(path, params=params_of(rng)).raise_for_status()
    times, totals, counts = [], [], []
    for _ in range(n):
        params = params_of(rng)
        started = time.perf_counter()
        response = client.get(path, params=params)
        elapsed = (time.perf_counter() - started) * 1000
        response.raise_for_status()
        body = response.json()
        times.append(elapsed)
        totals.append(body.get("total", 0))
        counts.append(len(body.get("items", ())))
    result = {"label": label, "median": statistics.median(times), "p95": percentile(times, 0.95),
              "items": statistics.mean(counts), "total": statistics.median(totals)}
    print(f"  {label:<38} 중앙값 {result['median']:6.1f} ms   p95 {result['p95']:6.1f} ms"
          f"   (결과 평균 {result['items']:.1f}건, total 중앙값 {result['total']:.0f})")
    return result


def scenarios(point_of):
    def near(rng):
        lon, lat = point_of(rng)
        return f"{lon:.6f},{lat:.6f}"

    return [
        ("nearest-10", lambda rng: {"near": near(rng), "limit": 10}),
        ("radius 1 km (limit 50)", lambda rng: {"near": near(rng), "radius_m": 1000, "limit": 50}),
        ("radius 5 km (limit 50)", lambda rng: {"near": near(rng), "radius_m": 5000, "limit": 50}),
        ("radius 3 km + need=food (limit 50)",
         lambda rng: {"near": near(rng), "radius_m": 3000, "need": "food", "limit": 50}),
        ("keyword q=푸드 (limit 50)", lambda rng: {"q": "푸드", "limit": 50}),
    ]


def run_round(base_url: str, title: str, point_of, n: int) -> list[dict]:
    print(f"\n[{title}]")
    with httpx.Client(base_url=base_url, timeout=30) as client:
        token = client.post("/api/v1/auth/token", data={"username": USER, "password": PASSWORD}).json()
        client.headers["Authorization"] = f"Bearer {token['access_token']}"
        rng = random.Random(7)
        # The floor every request pays on this machine (token check, routing, JSON, network), for comparison.
        time_scenario(client, "기준: /auth/me (인증만)", lambda rng: {}, n, rng, path="/api/v1/auth/me")
        return [time_scenario(client, label, params, n, rng) for label, params in scenarios(point_of)]


def time_service(owner_url: str, point_of, n: int) -> None:
    """The same searches called in-process (service.search on one session): the query cost without HTTP."""
    from app.facilities import service

    engine = create_engine(owner_url)
    rng = random.Random(7)
    with Session(engine) as session:
        for label, params_of in scenarios(point_of):
            times = []
            for i in range(n + 20):
                p = params_of(rng)
                started = time.perf_counter()
                f = service.build_filter(p.get("q"), None, p.get("need"), None, p.get("near"), p.get("radius_m"))
                service.search(session, f, p["limit"], 0)
                if i >= 20:
                    times.append((time.perf_counter() - started) * 1000)
            print(f"  {label:<38} 중앙값 {statistics.median(times):6.1f} ms   p95 {percentile(times, 0.95):6.1f} ms")
    engine.dispose()


def explain_nearest(owner_url: str) -> None:
    """Show that nearest-10 uses the geography GiST index (KNN) rather than sorting the table."""
    from sqlalchemy.dialects import postgresql

    from app.facilities import service

    f = service.build_filter(None, None, None, None, "126.9368,37.5791", None)
    captured = {}
    engine = create_engine(owner_url)
    with Session(engine) as session:
        original = session.execute

        def capture(stmt, *a, **k):
            sql = str(stmt.compile(dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True}))
            if "<->" in sql:
                captured["sql"] = sql
            return original(stmt, *a, **k)

        session.execute = capture
        service.search(session, f, 10, 0)
        plan = original(text("EXPLAIN (ANALYZE, COSTS OFF) " + captured["sql"])).scalars().all()
    engine.dispose()
    print("\n  nearest-10 실행 계획 (요약):")
    for line in plan:
        if any(w in line for w in ("Index", "Execution Time", "Limit", "Sort")):
            print("   ", line.strip())


def main() -> int:
    parser = argparse.ArgumentParser(description="복지기관 검색 벤치마크")
    parser.add_argument("--requests", type=int, default=300, help="시나리오마다 요청 수")
    parser.add_argument("--synthetic", type=int, default=50_000, help="추가할 가상 기관 수")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="happymap-bench-") as tmp:
        cluster = Cluster(Path(tmp) / "pg", free_port(), throwaway=True)
        cluster.ensure_started()
        server = None
        try:
            prepare_database(cluster.url(), DB, APP_ROLE)
            owner_url = cluster.url(DB, driver=True)
            app_url = cluster.url(DB, user=APP_ROLE, driver=True)
            migrate(owner_url)
            demo = load_demo(owner_url)
            with socket.socket() as s:
                s.bind(("127.0.0.1", 0))
                port = s.getsockname()[1]
            env = {**os.environ, "DATABASE_URL": app_url, "HAPPYMAP_ENVIRONMENT": "test"}
            server = subprocess.Popen(
                [sys.executable, "-m", "uvicorn", "app.main:app", "--host", "127.0.0.1", "--port", str(port),
                 "--log-level", "warning", "--no-access-log"], cwd=ROOT, env=env)
            base = f"http://127.0.0.1:{port}"
            wait_for(base + "/healthz")
            print(f"uvicorn (1 worker) + PostgreSQL 15/PostGIS, 요청 {args.requests}회/시나리오, "
                  "시간은 클라이언트 측정")
            run_round(base, f"데모 기관 {demo}곳 (서대문구 안의 지점에서)", seodaemun_point, args.requests)
            started = time.perf_counter()
            add_synthetic(owner_url, args.synthetic)
            print(f"\n가상 기관 {args.synthetic:,}곳 추가: {time.perf_counter() - started:.1f}초")
            big = run_round(base, f"기관 {demo + args.synthetic:,}곳 (전국, 인구 분포를 따른 지점에서)", korea_point,
                            args.requests)
            print("\n[같은 검색을 서버 안에서 직접 호출 (HTTP·인증 제외)]")
            time_service(owner_url, korea_point, args.requests)
            explain_nearest(owner_url)
            print(f"\n부하 (load average 1/5/15분): {' '.join(f'{v:.1f}' for v in os.getloadavg())}"
                  f", CPU {os.cpu_count()}개")
            worst = max(r["p95"] for r in big if not r["label"].startswith("keyword"))
            verdict = "달성" if worst < 50 else "미달"
            print(f"\n목표 p95 < 50 ms (기관 {demo + args.synthetic:,}곳, 최근접·반경 검색): "
                  f"최대 p95 {worst:.1f} ms → {verdict}")
        finally:
            if server is not None:
                server.terminate()
                try:
                    server.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    server.kill()
            cluster.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
