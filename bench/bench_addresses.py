"""Offline address → point: the loader on a 시도-sized file, and matching, each next to its floor in the same run.

    .venv/bin/python -m bench.bench_addresses [--lines 600000] [--texts 10000] [--repeat 5]

Starts a throwaway cluster with the demo seed (which loads the synthetic 서대문구 files, ~11,000 buildings), then:

* matching: `app.addresses.service.match` on the seeded households' addresses (road and lot, some with a
  상세주소), next to the floor: the same single SQL statement fed keys parsed beforehand (what the database alone
  costs for the lookup). Target (issue 12): ≥ 2,000 addresses/s.
* loading: a synthetic 위치정보요약DB file of `--lines` lines (a 시도 file has ~600,000), CP949 and `|` as the real
  ones, through `load_file` (one transaction), then the same file again (nothing changes), with the process's
  peak memory (the file is streamed). The floor is PostgreSQL's own COPY of the same rows from a CSV.
* matching again with the big file loaded (600,000 more entrances in the table).
"""
import argparse
import random
import resource
import statistics
import tempfile
import time
from pathlib import Path

from pyproj import Transformer
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from app.addresses import service
from app.addresses.loader import load_file
from app.addresses.normalise import parse_address
from app.households.models import Household
from bench.common import scratch_database

SEOUL_GU = ["11110", "11140", "11170", "11200", "11215", "11230", "11260", "11290", "11305", "11320", "11350",
            "11380", "11440", "11470", "11500", "11530", "11545", "11560", "11590", "11620", "11650", "11680",
            "11710", "11740"]  # every 구 but 서대문구 (the demo's own buildings)
GU_SYLLABLES = "가나다라마바사아자차카타파하거너더러머버서어저처커"  # 구 names of letters only, as real ones are
TO_5179 = Transformer.from_crs(4326, 5179, always_xy=True)


def big_file(path: Path, lines: int, seed: int = 12) -> list[str]:
    """Write a synthetic 시도 file (CP949, `|`, 18 fields); returns a sample of its addresses as text."""
    rng = random.Random(seed)
    sample = []
    per_gu = lines // len(SEOUL_GU) + 1
    with path.open("wb") as out:
        written = 0
        for gu, syllable in zip(SEOUL_GU, GU_SYLLABLES, strict=False):
            for n in range(per_gu):
                if written == lines:
                    break
                road, main = n // 400, n % 400 + 1
                lon, lat = rng.uniform(126.80, 127.15), rng.uniform(37.45, 37.68)
                x, y = TO_5179.transform(lon, lat)
                road_name = f"벤치{road}로"
                fields = [gu, f"{n + 1:010d}", f"{gu}10100", "서울특별시", f"벤치{syllable}구", "벤치동",
                          f"{gu}{3000000 + road:07d}", road_name, "0", str(main), "0", "", "06000", "단독주택", "0",
                          f"{gu}510", f"{x:.6f}", f"{y:.6f}"]
                out.write(("|".join(fields) + "\r\n").encode("cp949"))
                written += 1
                if rng.random() < 0.02:
                    sample.append(f"서울 벤치{syllable}구 {road_name} {main}")
    return sample


def match_arrays(texts: list[str]) -> dict[str, list]:
    """The matcher's statement parameters for `texts`, parsed beforehand (what a floor sends)."""
    arrays = {"ords": [], "prios": [], "kinds": [], "sidos": [], "sigungus": [], "keys": []}
    for i, parsed in enumerate(parse_address(t) for t in texts):
        if parsed is None:
            continue
        for prio, key in enumerate(parsed.keys):
            for name, value in zip(arrays, (i, prio, parsed.kind, parsed.sido, parsed.sigungu, key), strict=True):
                arrays[name].append(value)
    return arrays


def floor_match(session: Session, texts: list[str]) -> float:
    """The matcher's one SQL statement alone, on keys parsed beforehand."""
    arrays = match_arrays(texts)
    started = time.perf_counter()
    session.execute(service.MATCH_SQL, arrays).all()
    return time.perf_counter() - started


def time_match(session: Session, texts: list[str], repeat: int) -> tuple[float, float, int]:
    """(median product seconds, median floor seconds, matched) for one batch of texts."""
    product, floor = [], []
    matched = 0
    for _ in range(repeat):
        started = time.perf_counter()
        results = service.match(session, texts)
        product.append(time.perf_counter() - started)
        matched = sum(r is not None for r in results)
        floor.append(floor_match(session, texts))
    return statistics.median(product), statistics.median(floor), matched


def report_match(label: str, n: int, seconds: float, floor: float, matched: int) -> None:
    print(f"{label}: {n:,} addresses in {seconds:.3f} s = {n / seconds:,.0f}/s (matched {matched:,}); "
          f"floor SQL {floor:.3f} s; ratio {seconds / floor:.1f}× (target ≥ 2,000/s)")


def copy_floor(dsn_engine, path: Path) -> float:
    """PostgreSQL's COPY of the same file into a bare table: the cheapest way to get the rows in."""
    with dsn_engine.connect() as conn:
        raw = conn.connection.driver_connection
        with raw.cursor() as cur:
            cur.execute("CREATE TEMP TABLE floor_copy (" + ", ".join(f"c{i} text" for i in range(18)) + ")")
            started = time.perf_counter()
            with cur.copy("COPY floor_copy FROM STDIN (FORMAT csv, DELIMITER '|', ENCODING 'UHC')") as cp, \
                    path.open("rb") as f:
                while chunk := f.read(1 << 20):
                    cp.write(chunk)
            elapsed = time.perf_counter() - started
        raw.rollback()
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=600_000)
    parser.add_argument("--texts", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with scratch_database("happymap_bench_addresses") as (_, url), tempfile.TemporaryDirectory() as tmp:
        engine = create_engine(url)
        with Session(engine) as session:
            households = session.scalars(select(Household.address).order_by(Household.id)).all()
            texts = (households * (args.texts // len(households) + 1))[:args.texts]
            report_match("match, demo table (~11,000 buildings)", len(texts), *time_match(session, texts, args.repeat))
        path = Path(tmp) / "entrc_bench.txt"
        sample = big_file(path, args.lines)
        size = path.stat().st_size
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        for attempt in ("first load", "same file again"):
            started = time.perf_counter()
            with Session(engine) as session, session.begin():
                r = load_file(session, path)
            seconds = time.perf_counter() - started
            print(f"load_file {attempt}: {r['lines']:,} lines ({size / 1e6:.0f} MB) in {seconds:.1f} s = "
                  f"{r['lines'] / seconds:,.0f} lines/s; inserted {r['inserted']:,}, updated {r['updated']:,}, "
                  f"unchanged {r['unchanged']:,}")
        rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        print(f"peak memory of this process: {rss_after / 1024:.0f} MB (before loading {rss_before / 1024:.0f} MB)")
        print(f"floor: COPY of the raw file into a bare text table {copy_floor(engine, path):.1f} s")
        with Session(engine) as session:
            half = args.texts // 2
            mixed = (sample * (half // max(1, len(sample)) + 1))[:half] + texts[:half]
            report_match(f"match, demo + {args.lines:,} entrances", len(mixed),
                         *time_match(session, mixed, args.repeat))
            started = time.perf_counter()
            for t in texts[:200]:
                service.match(session, [t])
            print(f"match one address per call (as a form would): {200 / (time.perf_counter() - started):,.0f}/s")
        engine.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
