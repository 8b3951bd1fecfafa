"""Abuse limits for report intake: per-key/per-user token buckets and request body size caps.

The buckets live in this process's memory (one set per app instance, on `app.state`): enough for one
server process; several processes behind a balancer would each allow the full rate.
"""
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass

from fastapi import Request

from app.errors import AppError, PayloadTooLarge

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


class RateLimiter:
    """Token buckets keyed by (rule, key); thread-safe; the oldest keys are forgotten past `max_keys`."""

    def __init__(self, rules: dict[str, Rule] | None = None, max_keys: int = 50_000):
        self.rules = dict(DEFAULT_RULES if rules is None else rules)
        self.max_keys = max_keys
        self._buckets: OrderedDict[tuple[str, str], tuple[float, float]] = OrderedDict()
        self._lock = threading.Lock()

    def allow(self, rule_name: str, key: str) -> bool:
        """Take one token from the bucket of `key` under `rule_name`; False when it is empty."""
        rule = self.rules.get(rule_name)
        if rule is None:
            return True
        now = time.monotonic()
        with self._lock:
            tokens, last = self._buckets.pop((rule_name, key), (rule.capacity, now))
            tokens = min(rule.capacity, tokens + (now - last) * rule.per_second)
            allowed = tokens >= 1
            self._buckets[(rule_name, key)] = (tokens - 1 if allowed else tokens, now)
            while len(self._buckets) > self.max_keys:
                self._buckets.popitem(last=False)
            return allowed


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
