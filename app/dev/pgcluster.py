"""A project-owned PostgreSQL/PostGIS cluster for local runs and tests (initdb + pg_ctl).

PostgreSQL refuses to run as root, so as root the cluster belongs to Debian's `postgres` user
and every server command runs through `runuser`.
"""
import os
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import psycopg
from psycopg import sql
from psycopg.conninfo import make_conninfo

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


# Settings this module manages in postgresql.conf (uncommented lines with these keys are ours).
MANAGED_KEYS = ("listen_addresses", "port", "unix_socket_directories", "fsync", "synchronous_commit",
                "full_page_writes", "shared_buffers", "max_connections", "log_min_messages")
# Speed over safety, only for clusters that are deleted after the run (tests, benchmarks): PostgreSQL then
# acknowledges commits before they are on disk, and a crash can lose them or corrupt the cluster.
THROWAWAY_SPEED = {"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off"}
DURABLE = {"fsync": "on", "synchronous_commit": "on", "full_page_writes": "on"}


class Cluster:
    """One cluster in `datadir`, listening on 127.0.0.1:`port` only.

    A kept cluster (`make run`'s) is durable and closed to other local users: TCP logins need a password
    (scram-sha-256), the passwords are generated into `passfile` (libpq's format, mode 0600), and the
    socket folder is the data folder (mode 0700, the postgres user only). A `throwaway` cluster (tests,
    benchmarks) trades both for speed and must be deleted after the run.
    """

    def __init__(self, datadir: Path, port: int, *, passfile: Path | None = None, throwaway: bool = False):
        if not throwaway and passfile is None:
            raise ValueError("a kept cluster needs a passfile for its generated passwords")
        self.datadir = Path(datadir).resolve()
        self.port = port
        self.passfile = Path(passfile).resolve() if passfile else None
        self.throwaway = throwaway
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

    def _own(self, path: Path) -> None:
        """A file the server reads: the postgres user's when we are root."""
        if self.as_root:
            shutil.chown(path, SUPERUSER, SUPERUSER)

    @property
    def initialised(self) -> bool:
        return (self.datadir / "PG_VERSION").exists()

    def running(self) -> bool:
        try:
            with psycopg.connect(self.url(), connect_timeout=2):
                return True
        except psycopg.OperationalError as exc:
            if "password authentication failed" in str(exc):
                raise ClusterError(f"The local database refuses the password in {self.passfile}. Restore that "
                                   f"file, or delete {self.datadir} to start a new (empty) database.") from None
            return False

    def password(self, role: str) -> str:
        """The role's generated password (created and saved in the passfile on first use)."""
        assert self.passfile is not None, "a throwaway cluster has no passwords"
        return ensure_password(self.passfile, self.port, role)

    def _initdb(self) -> None:
        self._prepare_dir()
        args = ["initdb", "-D", str(self.datadir), "-U", SUPERUSER, "--encoding=UTF8", "--locale=C.UTF-8"]
        if self.throwaway:
            self._run(*args, "--auth=trust")
            return
        fd, name = tempfile.mkstemp(prefix="happymap-initdb-")  # mode 0600, removed right after
        pwfile = Path(name)
        with os.fdopen(fd, "w") as f:
            f.write(self.password(SUPERUSER) + "\n")
        self._own(pwfile)
        try:
            self._run(*args, "--auth-local=peer", "--auth-host=scram-sha-256", f"--pwfile={pwfile}")
        finally:
            pwfile.unlink(missing_ok=True)

    def _write_settings(self) -> list[str]:
        """Our block of postgresql.conf as this kind of cluster needs it; the durability keys that changed."""
        conf = self.datadir / "postgresql.conf"
        lines = conf.read_text().splitlines()
        before = {k: v for k, v in (_setting(line) for line in lines) if k in MANAGED_KEYS}
        wanted = {"listen_addresses": "'127.0.0.1'", "port": str(self.port),
                  "unix_socket_directories": f"'{self.datadir}'",
                  **(THROWAWAY_SPEED if self.throwaway else DURABLE),
                  "shared_buffers": "256MB", "max_connections": "200", "log_min_messages": "warning"}
        kept = [line for line in lines if _setting(line)[0] not in MANAGED_KEYS]
        conf.write_text("\n".join(kept + [f"{k} = {v}" for k, v in wanted.items()]) + "\n")
        return [k for k in DURABLE if before.get(k, "on") != wanted[k]]

    def _hba_is_closed(self) -> bool:
        rules = [line.split() for line in (self.datadir / "pg_hba.conf").read_text().splitlines()
                 if line.strip() and not line.lstrip().startswith("#")]
        return bool(rules) and all(r[-1] in ("scram-sha-256", "peer") for r in rules)

    def _close_to_other_users(self) -> None:
        """An old trust cluster: give the superuser its password, then allow password logins only."""
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(sql.SQL("ALTER ROLE {} PASSWORD {}").format(
                sql.Identifier(SUPERUSER), sql.Literal(self.password(SUPERUSER))))
        hba = self.datadir / "pg_hba.conf"
        hba.write_text("# Written by app/dev/pgcluster.py: the postgres user on the socket, passwords on TCP.\n"
                       f"local all {SUPERUSER} peer\n"
                       "host all all 127.0.0.1/32 scram-sha-256\n")
        self._own(hba)
        self._run("pg_ctl", "-D", str(self.datadir), "reload")

    def ensure_started(self, say=print) -> None:
        """initdb when new, then start unless already answering; a kept cluster made by an older version
        (trust logins, fsync off) is made durable and password-protected, and `say` tells what changed."""
        require_postgis()
        if not self.initialised:
            self._initdb()
        changed = self._write_settings()
        if changed and self.initialised and not self.throwaway:
            say(f"made the local database durable again: {', '.join(f'{k} = on' for k in changed)}")
        if self.running():
            if changed:
                self._run("pg_ctl", "-D", str(self.datadir), "reload")
        else:
            self._start()
        if not self.throwaway and not self._hba_is_closed():
            self._close_to_other_users()
            say(f"closed the local database to other users: password logins (scram-sha-256), "
                f"passwords in {self.passfile} (mode 0600)")

    def _start(self) -> None:
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
                self._run("pg_ctl", "-D", str(self.datadir), "-m", "immediate" if self.throwaway else "fast",
                          "-w", "stop")
            except ClusterError:
                pass

    def url(self, database: str = "postgres", user: str = SUPERUSER, driver: bool = False) -> str:
        """A libpq URL; a kept cluster's names its passfile, so the password never appears in it."""
        scheme = "postgresql+psycopg" if driver else "postgresql"
        base = f"{scheme}://{user}@127.0.0.1:{self.port}/{database}"
        if self.passfile is None:
            return base
        self.password(user)  # make sure the passfile has this role
        return f"{base}?passfile={self.passfile}"


def _setting(line: str) -> tuple[str | None, str | None]:
    """(key, value) of an uncommented `key = value` line of postgresql.conf, else (None, None)."""
    text = line.split("#", 1)[0].strip()
    if "=" not in text:
        return None, None
    key, value = (part.strip() for part in text.split("=", 1))
    return key, value


def ensure_password(passfile: Path, port: int, role: str) -> str:
    """The role's password from a libpq passfile (host:port:db:user:password), generated when missing.
    The file is written atomically with mode 0600: libpq ignores a passfile others can read."""
    entries: dict[str, str] = {}
    if passfile.exists():
        for line in passfile.read_text().splitlines():
            parts = line.split(":")
            if len(parts) == 5 and parts[0] == "127.0.0.1" and parts[1] == str(port):
                entries[parts[3]] = parts[4]
    if role not in entries:
        entries[role] = secrets.token_urlsafe(24)  # no ':' or '\\' to escape
        passfile.parent.mkdir(parents=True, exist_ok=True)
        tmp = passfile.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write("".join(f"127.0.0.1:{port}:*:{user}:{pw}\n" for user, pw in sorted(entries.items())))
        os.replace(tmp, passfile)
    return entries[role]


def prepare_database(admin_url: str, database: str, app_role: str, template: str | None = None,
                     app_password: str | None = None) -> None:
    """Create the app's login role (with its password, when the cluster uses passwords) and the database
    (optionally from a template) with PostGIS."""
    with psycopg.connect(admin_url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (app_role,)).fetchone()
        if not exists:
            conn.execute(sql.SQL("CREATE ROLE {} LOGIN").format(sql.Identifier(app_role)))
        if app_password is not None:
            conn.execute(sql.SQL("ALTER ROLE {} PASSWORD {}").format(sql.Identifier(app_role),
                                                                    sql.Literal(app_password)))
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (database,)).fetchone():
            if template:
                conn.execute(sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                    sql.Identifier(database), sql.Identifier(template)))
            else:
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))
    db_url = make_conninfo(admin_url, dbname=database)
    with psycopg.connect(db_url, autocommit=True) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS postgis")
        conn.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        conn.execute(sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(
            sql.Identifier(database), sql.Identifier(app_role)))


def drop_database(admin_url: str, database: str) -> None:
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(database)))
