"""Backups that restore: `backup` of the seeded database, `restore` into a new empty one, and the copy is the
same (row counts of every table), its access-record chain verifies, and the app reads a household from it."""
import os
import subprocess
import sys
import uuid
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from app.backup import user_tables
from app.dev.pgcluster import drop_database
from tests.conftest import login
from tests.test_reports_failure import app_on

ROOT = Path(__file__).resolve().parent.parent


def cli(owner_url: str, app_url: str, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": app_url, "MIGRATION_DATABASE_URL": owner_url,
           "HAPPYMAP_ENVIRONMENT": "test"}
    return subprocess.run([sys.executable, "-m", "app.cli", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=300)


def row_counts(url: str) -> dict[str, int]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return {t: conn.execute(text(f'SELECT count(*) FROM "{t}"')).scalar_one() for t in user_tables(url)}
    finally:
        engine.dispose()


def test_a_backup_restores_into_an_empty_database_whole(fresh, pg_server, tmp_path):
    owner_url = pg_server.url(fresh.name, app=False)
    headers = login(fresh.client, "admin")
    listed = fresh.client.get("/api/v1/households", headers=headers, params={"limit": 5})  # access records
    assert listed.status_code == 200
    dump = tmp_path / "happymap.dump"
    made = cli(owner_url, fresh.url, "backup", str(dump))
    assert made.returncode == 0 and "백업했습니다" in made.stdout, made.stderr
    again = cli(owner_url, fresh.url, "backup", str(dump))
    assert again.returncode == 2 and "이미 있습니다" in again.stderr  # a backup is never overwritten

    copy = f"happymap_r_{uuid.uuid4().hex[:10]}"
    copy_app_url = pg_server.create(copy)  # empty: the app role and PostGIS only
    copy_owner_url = pg_server.url(copy, app=False)
    try:
        restored = cli(copy_owner_url, copy_app_url, "restore", str(dump))
        assert restored.returncode == 0, restored.stdout + restored.stderr
        assert "해시 체인 정상" in restored.stdout
        before, after = row_counts(owner_url), row_counts(copy_owner_url)
        assert after == before and before["access_records"] > 0 and before["households"] > 1000
        assert {"permission_events", "visits", "reports"} <= set(after)

        refused = cli(copy_owner_url, copy_app_url, "restore", str(dump))  # not over existing data
        assert refused.returncode == 2 and "비어 있는 데이터베이스" in refused.stderr
        assert row_counts(copy_owner_url) == before

        application, engine = app_on(copy_app_url)
        client = TestClient(application)
        headers = login(client, "admin")
        first = client.get("/api/v1/households", headers=headers, params={"limit": 1}).json()["items"][0]
        read = client.get(f"/api/v1/households/{first['id']}", headers=headers)
        assert read.status_code == 200 and read.json()["id"] == first["id"]
        engine.dispose()
        check = cli(copy_owner_url, copy_app_url, "verify-access-log")  # the reads above extend the chain
        assert check.returncode == 0, check.stdout
    finally:
        drop_database(pg_server.admin_url, copy)
