"""Writing access records (접속기록) with a hash chain, and verifying the chain; no record, no personal data."""
import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.access import context
from app.access.models import AccessRecord
from app.config import get_settings
from app.errors import AppError, is_database_unavailable
from app.idset import pack
from app.policy.principal import Principal

GENESIS = "0" * 64
CHAIN_LOCK = 7254001  # advisory lock key: one writer at a time extends the chain
ACTIONS = ("read", "list", "create", "update", "delete", "print", "export", "unmask", "lookup")


_LOCK = "SELECT pg_advisory_xact_lock(%s)"
_PREVIOUS_AND_NEXT_ID = ("SELECT (SELECT hash FROM access_records ORDER BY id DESC LIMIT 1), "
                         "nextval(pg_get_serial_sequence('access_records', 'id'))")
_INSERT = ("INSERT INTO access_records (id, at, user_id, username, role, client_ip, action, resource, household_ids, "
           "purpose, prev_hash, hash, household_count) VALUES (%(id)s, %(at)s, %(user_id)s, %(username)s, %(role)s, "
           "%(client_ip)s, %(action)s, %(resource)s, %(household_ids)s, %(purpose)s, %(prev_hash)s, %(hash)s, "
           "%(household_count)s)")


class AccessLogUnavailable(AppError):
    status = 503

    def __init__(self):
        super().__init__("접속기록을 남길 수 없어 개인정보를 제공하지 않습니다. 잠시 후 다시 시도하세요.")


def _utc_text(at: datetime) -> str:
    return at.astimezone(UTC).replace(microsecond=0).isoformat()


def record_hash(prev_hash: str, row: dict) -> str:
    """SHA-256 over the previous hash, the row's id and its content in a fixed order."""
    payload = json.dumps(
        [prev_hash, row["id"], _utc_text(row["at"]), row["user_id"], row["username"], row["role"],
         row["client_ip"], row["action"], row["resource"], sorted(map(int, row["household_ids"] or ())),
         row["purpose"]] + _summary_count(row),
        ensure_ascii=False, separators=(",", ":"),
    )
    return hashlib.sha256(payload.encode()).hexdigest()


def _summary_count(row: dict) -> list[int]:
    """A record that summarises a view by its count (a map tile) hashes that count too; records that list
    their households hash exactly what they did before the count existed."""
    count = row.get("household_count")
    return [] if count is None or count == len(row["household_ids"] or ()) else [count]


def record(session: Session, principal: Principal, action: str, resource: str,
           household_ids: Iterable[int] = (), purpose: str | None = None, household_count: int | None = None) -> None:
    """Append one access record in the caller's transaction (it commits with the operation).

    `household_count` without ids summarises a view too large to list on every request (a map tile)."""
    ids = sorted(set(map(int, household_ids)))  # map and set in C: a map view can hold thousands
    try:
        # Plain driver statements: every request that shows personal data runs these three, so they skip the
        # ORM's statement machinery (measured: about half the cost of a map tile's record).
        conn = session.connection()
        driver = conn.connection.driver_connection
        # The lock, then the chain's head in a statement of its own (a statement's snapshot is taken before it
        # could wait for the lock), sent together in one round trip as a pipeline.
        with driver.pipeline():
            driver.execute(_LOCK, (CHAIN_LOCK,))
            head = driver.execute(_PREVIOUS_AND_NEXT_ID)
        prev, new_id = head.fetchone()
        row = {
            "id": new_id,
            "at": get_settings().now().replace(microsecond=0),
            "user_id": principal.user_id,
            "username": principal.username,
            "role": principal.role,
            "client_ip": principal.client_ip,
            "action": action,
            "resource": resource[:200],
            "household_ids": ids,
            "purpose": purpose,
            "prev_hash": prev or GENESIS,
            "household_count": len(ids) if household_count is None else household_count,
        }
        row["hash"] = record_hash(row["prev_hash"], row)
        conn.exec_driver_sql(_INSERT, {**row, "household_ids": pack(ids)})
    except Exception as exc:  # any failure to log means the data must not go out
        if is_database_unavailable(exc):
            raise  # the database is away: the common 503 (with Retry-After) says so
        raise AccessLogUnavailable() from exc
    audit = context.current()
    if audit is not None:
        audit.records += 1
        audit.household_ids.update(ids)


def count(session: Session) -> int:
    return session.execute(select(func.count()).select_from(AccessRecord)).scalar_one()


@dataclass
class ChainCheck:
    """Result of walking the chain: how many rows were checked and the first broken one, if any."""

    checked: int
    head_hash: str
    broken_id: int | None = None
    reason: str | None = None

    @property
    def ok(self) -> bool:
        return self.broken_id is None


def verify_chain(session: Session) -> ChainCheck:
    """Recompute every hash in id order; the first row whose link or content does not match is reported."""
    expected_prev = GENESIS
    checked = 0
    rows = session.execute(select(AccessRecord).order_by(AccessRecord.id).execution_options(yield_per=2000))
    for (r,) in rows:
        if r.prev_hash != expected_prev:
            return ChainCheck(checked, expected_prev, r.id,
                              "앞 기록과 연결이 끊겼습니다 (앞 기록이 지워졌거나 끼워 넣어졌습니다)")
        content = {c: getattr(r, c) for c in ("id", "at", "user_id", "username", "role", "client_ip", "action",
                                              "resource", "household_ids", "purpose", "household_count")}
        if record_hash(r.prev_hash, content) != r.hash:
            return ChainCheck(checked, expected_prev, r.id, "기록 내용이 바뀌었습니다 (해시 불일치)")
        expected_prev = r.hash
        checked += 1
    return ChainCheck(checked, expected_prev)
