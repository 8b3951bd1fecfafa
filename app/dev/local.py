"""Local runs: `python -m app.dev.local run|prepare|stop` (what `make run` calls after scripts/setup.sh).

Without DATABASE_URL the project owns its database: a durable, password-protected PostGIS cluster in
<repo>/.pgdata on 127.0.0.1:55432 (passwords in <repo>/.var/local-db.pgpass),
reused when already there. With DATABASE_URL (and optionally MIGRATION_DATABASE_URL) that server is used.
"""
import argparse
import os
import re
import subprocess
import sys
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, exc, select

from app.config import LOCAL_DB_PASSFILE, LOCAL_DB_PORT, get_settings
from app.dev.pgcluster import Cluster, ClusterError, prepare_database

REPO = Path(__file__).resolve().parents[2]
PGDATA = REPO / ".pgdata"
LOCAL_DB = "happymap"
DEMO_PASSWORD = "happymap-demo-2026"  # documented local default (README); never used outside local runs
HOST = "127.0.0.1"
PORT = 8000


def say(message: str) -> None:
    """Print one progress line."""
    print(f"[local] {message}", flush=True)


def local_cluster() -> Cluster:
    """The project's own database: durable, password logins only (passwords in LOCAL_DB_PASSFILE)."""
    return Cluster(PGDATA, LOCAL_DB_PORT, passfile=LOCAL_DB_PASSFILE)


def database_urls() -> tuple[str, str]:
    """Start the project's cluster when DATABASE_URL is unset; return (app URL, migration URL)."""
    settings = get_settings()
    if "database_url" in settings.model_fields_set:
        return settings.database_url, settings.migration_url
    cluster = local_cluster()
    say(f"PostGIS cluster {PGDATA} on {HOST}:{LOCAL_DB_PORT}")
    cluster.ensure_started(say)
    prepare_database(cluster.url(), LOCAL_DB, settings.app_db_role,
                     app_password=cluster.password(settings.app_db_role))
    app_url = cluster.url(LOCAL_DB, user=settings.app_db_role, driver=True)
    return app_url, cluster.url(LOCAL_DB, driver=True)


def migrate(migration_url: str) -> None:
    """`alembic upgrade head` against the owner's URL."""
    config = Config(str(REPO / "alembic.ini"))
    config.set_main_option("script_location", str(REPO / "migrations"))
    config.attributes["url"] = migration_url
    say("alembic upgrade head")
    command.upgrade(config, "head")


def prepare() -> tuple[str, str]:
    """Database up, migrated; the URLs exported for child processes (seed, uvicorn)."""
    app_url, migration_url = database_urls()
    os.environ["DATABASE_URL"] = app_url
    os.environ["MIGRATION_DATABASE_URL"] = migration_url
    get_settings.cache_clear()
    migrate(migration_url)
    return app_url, migration_url


def load_seed(migration_url: str) -> None:
    """The demo seed (idempotent) through its own command, as the database owner (an admin operation)."""
    say("demo seed: python -m seed")
    env = {**os.environ, "DATABASE_URL": migration_url}
    subprocess.run([sys.executable, "-m", "seed"], cwd=REPO, env=env, check=True)


def _ranges(names: list[str]) -> str:
    """'dong01', 'dong02', ... 'dong14' -> 'dong01 … dong14'; single names stay as they are."""
    groups: dict[str, list[str]] = {}
    for name in names:
        groups.setdefault(re.sub(r"\d+$", "", name), []).append(name)
    parts = []
    for members in groups.values():
        members.sort()
        parts.append(members[0] if len(members) == 1 else f"{members[0]} … {members[-1]} ({len(members)})")
    return ", ".join(parts)


def print_logins(migration_url: str, password_is_default: bool) -> None:
    """The demo accounts as they are in the database, grouped by role."""
    from app.auth.models import User

    order = ["admin", "district_staff", "dong_staff", "tongjang", "partner"]
    engine = create_engine(migration_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(select(User.username, User.role).where(User.is_active)).all()
    finally:
        engine.dispose()
    by_role: dict[str, list[str]] = {}
    for username, role in rows:
        by_role.setdefault(role, []).append(username)
    print(f"\n  행복-맵 is starting at  http://{HOST}:{PORT}/\n")
    print("  Demo logins:")
    for role in sorted(by_role, key=lambda r: order.index(r) if r in order else len(order)):
        print(f"    {role:<15} {_ranges(by_role[role])}")
    if password_is_default:
        print(f"  Password (all demo accounts): {DEMO_PASSWORD}   (set HAPPYMAP_DEMO_PASSWORD to change it)")
    else:
        print("  Password (all demo accounts): the value of HAPPYMAP_DEMO_PASSWORD")
    print("  Stop with Ctrl+C; the database keeps running (`.venv/bin/python -m app.dev.local stop`).\n", flush=True)


def run() -> None:
    """Prepare, seed, print the URL and logins, then become uvicorn."""
    password_is_default = not get_settings().demo_password
    if password_is_default:  # exported so the seed (a child process) and the app read the same value
        os.environ["HAPPYMAP_DEMO_PASSWORD"] = DEMO_PASSWORD
    _, migration_url = prepare()
    load_seed(migration_url)
    print_logins(migration_url, password_is_default)
    os.chdir(REPO)
    os.execv(sys.executable, [sys.executable, "-m", "uvicorn", "app.main:app", "--host", HOST, "--port", str(PORT),
                              "--workers", str(get_settings().web_workers)])


def stop() -> None:
    """Stop the project's own cluster (when it was ever created)."""
    cluster = local_cluster()
    if cluster.initialised:
        cluster.stop()
        say("local PostGIS stopped")


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; clear one-line errors instead of stack traces."""
    parser = argparse.ArgumentParser(prog="python -m app.dev.local", description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=["run", "prepare", "stop"])
    args = parser.parse_args(argv)
    os.chdir(REPO)
    try:
        {"run": run, "prepare": prepare, "stop": stop}[args.action]()
    except ClusterError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    except exc.OperationalError as err:
        print(f"error: cannot reach the database: {err.orig}", file=sys.stderr)
        return 1
    except subprocess.CalledProcessError as err:
        print(f"error: {' '.join(map(str, err.cmd))} failed (exit {err.returncode})", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
