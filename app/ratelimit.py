"""Abuse limits for report intake: per-key/per-user token buckets and request body size caps.

The buckets live in PostgreSQL (`rate_buckets`), taken with one atomic statement each, so a limit holds for
every uvicorn worker and every app server sharing the database. The account lockout after failed sign-ins
is on the user's row (app.auth.service), which holds across processes too.
"""
import hashlib
import itertools
import logging
from dataclasses import dataclass
from datetime import datetime

from fastapi import Request
from sqlalchemy import DateTime, Float, String, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Mapped, mapped_column
from starlette.concurrency import run_in_threadpool

from app.db import Base, get_engine
from app.errors import AppError, PayloadTooLarge, is_database_unavailable

log = logging.getLogger("app.ratelimit")
KAKAO_MAX_BODY = 64 * 1024
OPEN311_MAX_BODY = 256 * 1024


class TooManyRequests(AppError):
    status = 429

    def __init__(self, message: str = "요청이 너무 잦습니다. 잠시 후 다시 시도하세요."):
        super().__init__(message)


@dataclass(frozen=True)
class Rule:
    """`capacity` requests at once, refilled at `per_second` (tokens per second)."""

    capacity: float
    per_second: float


DEFAULT_RULES = {
    "report_user": Rule(capacity=20, per_second=1 / 10),   # a 통장 filing a batch after a round
    "kakao_user": Rule(capacity=10, per_second=1 / 12),    # one chat user: 10 messages, then 5 a minute
    "kakao_key": Rule(capacity=200, per_second=20),        # the whole channel
    "open311_key": Rule(capacity=60, per_second=1),        # one partner system
}


class RateBucket(Base):
    """One token bucket: `tokens` left at `updated_at` (refilled by the rule's rate since then)."""

    __tablename__ = "rate_buckets"
    __table_args__ = {"prefixes": ["UNLOGGED"]}

    scope: Mapped[str] = mapped_column(String(64), primary_key=True)
    rule: Mapped[str] = mapped_column(String(40), primary_key=True)
    key: Mapped[str] = mapped_column(String(64), primary_key=True)  # sha256 of the caller's key
    tokens: Mapped[float] = mapped_column(Float)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


# Take a token if the refilled bucket has one; a missing bucket starts full. No row back means refused.
_TAKE = text("""
    INSERT INTO rate_buckets AS b (scope, rule, key, tokens, updated_at)
    VALUES (:scope, :rule, :key, :capacity - 1, clock_timestamp())
    ON CONFLICT (scope, rule, key) DO UPDATE
    SET tokens = least(:capacity, b.tokens + extract(epoch FROM clock_timestamp() - b.updated_at) * :rate) - 1,
        updated_at = clock_timestamp()
    WHERE least(:capacity, b.tokens + extract(epoch FROM clock_timestamp() - b.updated_at) * :rate) >= 1
    RETURNING tokens""")
# Buckets untouched for an hour are full again under every rule: forgetting them changes nothing.
_FORGET_FULL = text("DELETE FROM rate_buckets WHERE updated_at < clock_timestamp() - interval '1 hour'")
FORGET_EVERY = 1000  # calls


def _digest(key: str) -> str:
    """Keys come from callers (a chat user's id may hold anything, NUL included): stored as a fixed-size
    digest, which also keeps those ids out of the table."""
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


class RateLimiter:
    """Token buckets keyed by (rule, key) in PostgreSQL, shared by all processes that use the same `scope`."""

    def __init__(self, rules: dict[str, Rule] | None = None, scope: str = "", engine: Engine | None = None):
        self.rules = dict(DEFAULT_RULES if rules is None else rules)
        self.scope = scope
        self._engine = engine
        self._calls = itertools.count(1)

    def allow(self, rule_name: str, key: str) -> bool:
        """Take one token from the bucket of `key` under `rule_name`; False when it is empty. Each take is its
        own short transaction, so a request that fails afterwards has still spent its token. When the
        database cannot be reached the limit is not enforced: the work that follows fails with its own 503."""
        rule = self.rules.get(rule_name)
        if rule is None:
            return True
        engine = self._engine or get_engine()
        try:
            with engine.begin() as conn:
                taken = conn.execute(_TAKE, {"scope": self.scope, "rule": rule_name, "key": _digest(key),
                                             "capacity": rule.capacity, "rate": rule.per_second}).first()
                if next(self._calls) % FORGET_EVERY == 0:
                    conn.execute(_FORGET_FULL)
        except Exception as exc:
            if not is_database_unavailable(exc):
                raise
            log.warning("rate limit not checked, database unavailable: %s", type(exc).__name__)
            return True
        return taken is not None

    async def take(self, rule_name: str, key: str) -> bool:
        """`allow` from async code, off the event loop."""
        return await run_in_threadpool(self.allow, rule_name, key)


def limiter(request: Request) -> RateLimiter:
    """The app's limiter, made on first use."""
    state = request.app.state
    if getattr(state, "rate_limiter", None) is None:
        state.rate_limiter = RateLimiter()
    return state.rate_limiter


async def read_limited(request: Request, max_bytes: int) -> bytes:
    """The request body, refused with 413 as soon as it passes `max_bytes` (declared or streamed)."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > max_bytes:
        raise PayloadTooLarge(f"요청 본문이 너무 큽니다 (최대 {max_bytes // 1024}KB).")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > max_bytes:
            raise PayloadTooLarge(f"요청 본문이 너무 큽니다 (최대 {max_bytes // 1024}KB).")
        chunks.append(chunk)
    body = b"".join(chunks)
    # Starlette's form() and json() read this cached body instead of the already consumed stream.
    request._body = body
    return body
