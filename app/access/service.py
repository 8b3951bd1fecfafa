"""Writing access records (접속기록) with a hash chain; the personal data is not served without one."""
import hashlib
import json
from collections.abc import Iterable

from sqlalchemy import func, insert, select, text
from sqlalchemy.orm import Session

from app.access.models import AccessRecord
from app.auth.principal import Principal
from app.config import get_settings
from app.errors import AppError

GENESIS = "0" * 64


class AccessLogUnavailable(AppError):
    status = 503

    def __init__(self):
        super().__init__("접속기록을 남길 수 없어 개인정보를 제공하지 않습니다. 잠시 후 다시 시도하세요.")


def record_hash(prev_hash: str, row: dict) -> str:
    """SHA-256 over the previous hash and the row's content in a fixed order."""
    payload = json.dumps(
        [prev_hash, row["at"].isoformat(), row["user_id"], row["username"], row["role"], row["client_ip"],
         row["action"], row["resource"], sorted(row["household_ids"]), row["purpose"]],
        ensure_ascii=False, separators=(",", ":"),
    )
    return hashlib.sha256(payload.encode()).hexdigest()


def record(session: Session, principal: Principal, action: str, resource: str,
           household_ids: Iterable[int] = (), purpose: str | None = None) -> None:
    """Append one access record in the caller's transaction (commit happens with the operation)."""
    try:
        # One writer at a time extends the chain; the lock ends with the transaction.
        session.execute(text("SELECT pg_advisory_xact_lock(7254001)"))
        prev = session.execute(select(AccessRecord.hash).order_by(AccessRecord.id.desc()).limit(1)).scalar()
        row = {
            "at": get_settings().now().replace(microsecond=0),
            "user_id": principal.user_id,
            "username": principal.username,
            "role": principal.role,
            "client_ip": principal.client_ip,
            "action": action,
            "resource": resource[:200],
            "household_ids": sorted({int(i) for i in household_ids}),
            "purpose": purpose,
        }
        row["prev_hash"] = prev or GENESIS
        row["hash"] = record_hash(row["prev_hash"], row)
        session.execute(insert(AccessRecord).values(**row))
    except AppError:
        raise
    except Exception as exc:  # any failure to log means the data must not go out
        raise AccessLogUnavailable() from exc


def count(session: Session) -> int:
    return session.execute(select(func.count()).select_from(AccessRecord)).scalar_one()
