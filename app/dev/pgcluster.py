"""A project-owned PostgreSQL/PostGIS cluster for local runs and tests (initdb + pg_ctl).

PostgreSQL refuses to run as root, so as root the cluster belongs to Debian's `postgres` user
and every server command runs through `runuser`.
"""
import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

import psycopg
from psycopg import sql

SUPERUSER = "postgres"
POSTGIS_CONTROL = "/usr/share/postgresql/15/extension/postgis.control"


class ClusterError(RuntimeError):
    """A clear, user-facing reason why the local database cannot start."""


def pg_bindir() -> Path:
    """Folder of initdb/pg_ctl: Debian's PostgreSQL 15 first, then whatever is on PATH."""
    debian = Path("/usr/lib/postgresql/15/bin")
    if (debian / "pg_ctl").exists():
        return debian
    found = shutil.which("pg_ctl")
    if found:
        return Path(found).resolve().parent
    raise ClusterError("PostgreSQL 15 서버가 없습니다. 설치하세요: sudo apt-get install postgresql-15")


def require_postgis() -> None:
    """Fail with the package name when PostGIS is not installed."""
    if not Path(POSTGIS_CONTROL).exists():
        raise ClusterError("PostGIS가 설치되어 있지 않습니다. 설치하세요: sudo apt-get install postgresql-15-postgis-3")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Cluster:
    """One cluster in `datadir`, listening on 127.0.0.1:`port` only."""

    def __init__(self, datadir: Path, port: int):
        self.datadir = Path(datadir).resolve()
        self.port = port
        self.bindir = pg_bindir()
        self.as_root = os.geteuid() == 0

    def _run(self, *args: str) -> subprocess.CompletedProcess:
        cmd = [str(self.bindir / args[0]), *args[1:]]
        if self.as_root:
            cmd = ["runuser", "-u", SUPERUSER, "--", *cmd]
        result = subprocess.run(cmd, capture_output=True, text=True)
        if result.returncode != 0:
            raise ClusterError(f"{' '.join(args[:2])} failed:\n{result.stdout}\n{result.stderr}")
        return result

    def _prepare_dir(self) -> None:
        self.datadir.mkdir(parents=True, exist_ok=True)
        if self.as_root:
            # The postgres user must reach the folder through every parent.
            for parent in self.datadir.parents:
                if parent == Path("/"):
                    break
                mode = parent.stat().st_mode
                if not mode & 0o001:
                    os.chmod(parent, mode | 0o011)
            shutil.chown(self.datadir, SUPERUSER, SUPERUSER)
            os.chmod(self.datadir, 0o700)

    @property
    def initialised(self) -> bool:
        return (self.datadir / "PG_VERSION").exists()

    def running(self) -> bool:
        try:
            with psycopg.connect(self.url(), connect_timeout=2):
                return True
        except psycopg.OperationalError:
            return False

    def ensure_started(self) -> None:
        """initdb when new, then start unless already answering."""
        require_postgis()
        if not self.initialised:
            self._prepare_dir()
            self._run("initdb", "-D", str(self.datadir), "-U", SUPERUSER, "--auth=trust", "--encoding=UTF8",
                      "--locale=C.UTF-8")
            conf = self.datadir / "postgresql.conf"
            with conf.open("a") as f:
                f.write(
                    f"\nlisten_addresses = '127.0.0.1'\nport = {self.port}\n"
                    f"unix_socket_directories = '{self.datadir}'\n"
                    "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n"
                    "shared_buffers = 256MB\nmax_connections = 200\nlog_min_messages = warning\n"
                )
        if self.running():
            return
        pid = self.datadir / "postmaster.pid"
        if pid.exists():  # left over from a killed server
            try:
                self._run("pg_ctl", "-D", str(self.datadir), "status")
            except ClusterError:
                pid.unlink()
        self._run("pg_ctl", "-D", str(self.datadir), "-l", str(self.datadir / "server.log"), "-w", "-t", "60",
                  "-o", f"-p {self.port}", "start")
        for _ in range(50):
            if self.running():
                return
            time.sleep(0.2)
        raise ClusterError(f"PostgreSQL did not start; see {self.datadir / 'server.log'}")

    def stop(self) -> None:
        if self.initialised:
            try:
                self._run("pg_ctl", "-D", str(self.datadir), "-m", "immediate", "-w", "stop")
            except ClusterError:
                pass

    def url(self, database: str = "postgres", user: str = SUPERUSER, driver: bool = False) -> str:
        scheme = "postgresql+psycopg" if driver else "postgresql"
        return f"{scheme}://{user}@127.0.0.1:{self.port}/{database}"


def prepare_database(admin_url: str, database: str, app_role: str, template: str | None = None) -> None:
    """Create the app's login role and the database (optionally from a template) with PostGIS."""
    with psycopg.connect(admin_url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (app_role,)).fetchone()
        if not exists:
            conn.execute(sql.SQL("CREATE ROLE {} LOGIN").format(sql.Identifier(app_role)))
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (database,)).fetchone():
            if template:
                conn.execute(sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                    sql.Identifier(database), sql.Identifier(template)))
            else:
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))
    db_url = admin_url.rsplit("/", 1)[0] + "/" + database
    with psycopg.connect(db_url, autocommit=True) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS postgis")
        conn.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        conn.execute(sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(
            sql.Identifier(database), sql.Identifier(app_role)))


def drop_database(admin_url: str, database: str) -> None:
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(database)))
