"""Backups that restore: `python -m app.cli backup PATH` writes the whole database (households, visits, access
records and permission history included) in pg_dump's custom format; `restore PATH` loads one into an empty
database in a single transaction and then verifies the access-record hash chain."""
import argparse
import subprocess
from pathlib import Path

from sqlalchemy import create_engine, make_url, text

from app.access import service as access
from app.config import get_settings
from app.db import unit_of_work
from app.dev.pgcluster import pg_bindir
from app.errors import AppError

# Tables PostGIS itself creates: present in an empty database too.
EXTENSION_TABLES = frozenset({"spatial_ref_sys"})


def _libpq(url: str) -> str:
    """The SQLAlchemy URL as libpq understands it (pg_dump, pg_restore)."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _tool(name: str) -> str:
    return str(pg_bindir() / name)


def _run(args: list[str], failure: str) -> None:
    done = subprocess.run(args, capture_output=True, text=True)
    if done.returncode != 0:
        # pg_* messages name objects, never row data; the last lines say what went wrong.
        raise AppError(f"{failure}: {' '.join(done.stderr.strip().splitlines()[-3:])}")


def backup(url: str, path: Path) -> None:
    """pg_dump of the database at `url` (the owner's) to `path`, custom format, without ownership."""
    if path.exists():
        raise AppError(f"{path} 파일이 이미 있습니다. 다른 이름을 주세요 (백업을 덮어쓰지 않습니다).")
    _run([_tool("pg_dump"), "--format=custom", "--no-owner", "--file", str(path), "--dbname", _libpq(url)],
         "백업하지 못했습니다")


def user_tables(url: str) -> list[str]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            names = conn.execute(text("SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
                                      "ORDER BY tablename")).scalars().all()
    finally:
        engine.dispose()
    return [n for n in names if n not in EXTENSION_TABLES]


def restore(url: str, path: Path) -> None:
    """Load the backup at `path` into the empty database at `url` (the owner's): all of it or nothing."""
    if not path.is_file():
        raise AppError(f"백업 파일 {path}이(가) 없습니다.")
    if user_tables(url):
        raise AppError("비어 있는 데이터베이스에만 복원할 수 있습니다 (기존 자료를 덮어쓰지 않습니다).")
    _run([_tool("pg_restore"), "--no-owner", "--exit-on-error", "--single-transaction", "--dbname", _libpq(url),
          str(path)], "복원하지 못했습니다")


def _backup(args: argparse.Namespace) -> int:
    path = Path(args.path)
    backup(get_settings().migration_url, path)
    print(f"백업했습니다: {path} ({path.stat().st_size:,} 바이트)")
    return 0


def _restore(args: argparse.Namespace) -> int:
    url = get_settings().migration_url
    restore(url, Path(args.path))
    print(f"복원했습니다: 표 {len(user_tables(url))}개")
    with unit_of_work() as session:
        check = access.verify_chain(session)
    if not check.ok:
        print(f"접속기록 변조 의심: 기록 #{check.broken_id}에서 체인이 끊겼습니다 — {check.reason}")
        return 1
    print(f"접속기록 해시 체인 정상: {check.checked}건 확인")
    return 0


def add_commands(sub) -> None:
    """Register `backup` and `restore` on the CLI's subparsers."""
    p = sub.add_parser("backup", help="데이터베이스 전체 백업 (pg_dump custom 형식; MIGRATION_DATABASE_URL)")
    p.add_argument("path", help="만들 백업 파일 (이미 있으면 거부)")
    p.set_defaults(func=_backup)
    p = sub.add_parser("restore", help="백업을 빈 데이터베이스에 복원하고 접속기록 체인을 검증")
    p.add_argument("path")
    p.set_defaults(func=_restore)
