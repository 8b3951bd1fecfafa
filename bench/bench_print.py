"""Benchmark: printouts through the real HTTP stack (uvicorn + httpx) on the demo seed.

Starts a throwaway PostGIS cluster, migrates and seeds it, serves the app with uvicorn, then times
a tract PDF (the busiest tract of the largest dong), that tract's offline HTML map, and the atlas of
the largest dong (every tract). Prints seconds per request measured at the client, with page counts.
Targets: tract PDF < 0.5 s, dong atlas < 5 s.

    .venv/bin/python bench/bench_print.py [--tract-runs 10] [--dong-runs 3]
"""
import argparse
import io
import os
import statistics
import sys
import time
from pathlib import Path

import httpx
from pypdf import PdfReader
from sqlalchemy import create_engine, func, select

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.households.models import Household  # noqa: E402
from app.tracts.models import Dong  # noqa: E402
from bench.common import scratch_database, serve, token  # noqa: E402

PURPOSE = {"purpose": "벤치마크"}


def largest(app_url: str) -> tuple[int, str, int, int, int]:
    """(dong id, name, active households) of the dong with most households, and its busiest tract (id, count)."""
    engine = create_engine(app_url)
    with engine.connect() as conn:
        n = func.count().label("n")
        dong_id, households = conn.execute(
            select(Household.dong_id, n).where(Household.status == "active", Household.tract_id.is_not(None))
            .group_by(Household.dong_id).order_by(n.desc()).limit(1)).one()
        name = conn.execute(select(Dong.name).where(Dong.id == dong_id)).scalar_one()
        tract_id, in_tract = conn.execute(
            select(Household.tract_id, n).where(Household.status == "active", Household.dong_id == dong_id)
            .group_by(Household.tract_id).order_by(n.desc()).limit(1)).one()
    engine.dispose()
    return dong_id, name, households, tract_id, in_tract


def timed(client: httpx.Client, url: str, headers: dict, runs: int) -> tuple[list[float], bytes]:
    """Seconds per GET after one warm-up; the last body for checks."""
    client.get(url, headers=headers, params=PURPOSE).raise_for_status()
    samples, body = [], b""
    for _ in range(runs):
        start = time.perf_counter()
        response = client.get(url, headers=headers, params=PURPOSE)
        response.raise_for_status()
        samples.append(time.perf_counter() - start)
        body = response.content
    return samples, body


def line(label: str, samples: list[float], extra: str, target: float | None = None) -> str:
    verdict = "" if target is None else (" OK" if max(samples) < target else f" OVER TARGET {target} s")
    return (f"{label}: median {statistics.median(samples):.3f} s, max {max(samples):.3f} s "
            f"(n={len(samples)}) {extra}{verdict}")


def in_process_cpu(app_url: str, dong_id: int, tract_id: int, runs: int) -> None:
    """CPU seconds of gathering and rendering in this process (the machine may be shared; CPU is not)."""
    from sqlalchemy.orm import Session

    from app.config import get_settings
    from app.policy.principal import Principal
    from app.printing import service
    from app.printing.pdf import render_pdf
    from app.printing.schemas import PrintOptions

    os.environ["DATABASE_URL"] = app_url
    get_settings.cache_clear()
    admin = Principal(user_id=0, username="bench", role="admin")
    options = PrintOptions(purpose="벤치마크")
    engine = create_engine(app_url)
    with Session(engine) as session:
        for label, build in (("tract", lambda: service.tract_job(session, admin, tract_id, options)),
                             ("dong atlas", lambda: service.dong_job(session, admin, dong_id, options))):
            render_pdf(build())
            cpu = []
            for _ in range(runs):
                start = time.thread_time()
                render_pdf(build())
                cpu.append(time.thread_time() - start)
            print(f"{label} PDF in-process CPU: median {statistics.median(cpu):.3f} s, max {max(cpu):.3f} s "
                  f"(n={runs}, gather + route + render)")
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tract-runs", type=int, default=10)
    parser.add_argument("--dong-runs", type=int, default=3)
    args = parser.parse_args()
    started = time.perf_counter()
    with scratch_database("happymap_bench_print") as (_, app_url):
        dong_id, dong_name, households, tract_id, in_tract = largest(app_url)
        print(f"set-up (cluster, migrate, seed): {time.perf_counter() - started:.1f} s")
        print(f"largest dong: {dong_name} (id {dong_id}), {households} active households; "
              f"busiest tract id {tract_id} with {in_tract}")
        with serve(app_url) as base, httpx.Client(base_url=base, timeout=120) as client:
            headers = token(base)
            samples, body = timed(client, f"/api/v1/print/tracts/{tract_id}.pdf", headers, args.tract_runs)
            pages = len(PdfReader(io.BytesIO(body)).pages)
            print(line("tract PDF", samples, f"[{pages} pages, {len(body) / 1024:.0f} KiB]", 0.5))
            samples, body = timed(client, f"/api/v1/print/tracts/{tract_id}.html", headers, args.tract_runs)
            print(line("tract offline HTML", samples, f"[{len(body) / 1024:.0f} KiB]"))
            samples, body = timed(client, f"/api/v1/print/dongs/{dong_id}.pdf", headers, args.dong_runs)
            pages = len(PdfReader(io.BytesIO(body)).pages)
            print(line("dong atlas PDF", samples, f"[{pages} pages, {len(body) / 1024:.0f} KiB]", 5.0))
        in_process_cpu(app_url, dong_id, tract_id, args.dong_runs)
        print(f"load average during the run: {' '.join(f'{x:.1f}' for x in os.getloadavg())} "
              f"on {os.cpu_count()} CPUs (wall-clock figures above include waiting for a CPU)")


if __name__ == "__main__":
    main()
