"""What one request did with personal data, shared by the gate, the services and the access middleware."""
from contextvars import ContextVar, Token
from dataclasses import dataclass, field
from typing import Any


@dataclass
class RequestAudit:
    """Filled during a request: who called, which operation the gate allowed, how many records were written."""

    path: str
    principal: Any = None  # app.policy.principal.Principal once signed in
    operation: Any = None  # app.policy.permissions.Operation once the gate found the route
    session: Any = None  # the request's database session
    records: int = 0  # access records written in this request
    household_ids: set[int] = field(default_factory=set)


_current: ContextVar[RequestAudit | None] = ContextVar("happymap_request_audit", default=None)


def begin(path: str) -> tuple[RequestAudit, Token]:
    """Start tracking a request (the access middleware does this for every HTTP request)."""
    audit = RequestAudit(path=path)
    return audit, _current.set(audit)


def end(token: Token) -> None:
    _current.reset(token)


def current() -> RequestAudit | None:
    """The request being served, or None outside a request (CLI, seed, tests calling services directly)."""
    return _current.get()
