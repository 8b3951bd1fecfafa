"""The gate every signed-in request passes: the matrix decides role and scope before the route runs."""

from fastapi import Request
from sqlalchemy.orm import Session

from app.access import context
from app.errors import Forbidden, NotFound
from app.policy.permissions import EVERYWHERE, Operation, operation_for, record_params
from app.policy.principal import Principal
from app.policy.scope import record_scopes
from app.validation import MAX_ID

NOT_IN_MATRIX = "권한표(app/policy/permissions.py)에 없는 기능이라 거부합니다."
INT32_MAX = MAX_ID


def _integer(raw) -> int | None:
    """The integer a parameter spells as pydantic would read it (`+3`, `3.0`, `3_0`), capped; else None."""
    text = str(raw).strip().replace("_", "")
    try:
        number = float(text) if any(c in text for c in ".eE") else int(text)
    except (ValueError, OverflowError):
        return None
    if isinstance(number, float):
        if not number.is_integer():
            return None
        number = int(number)
    return max(-10**12, min(10**12, number))


def _raw_param(request: Request, name: str) -> str | None:
    if name in request.path_params:
        return str(request.path_params[name])
    return request.query_params.get(name)


def authorize(request: Request, session: Session, principal: Principal) -> Operation:
    """The route's operation if the caller's role and the addressed record's scope allow it; else 403/404."""
    route = request.scope.get("route")
    op = operation_for(request.method, getattr(route, "path", "") or "")
    audit = context.current()
    if audit is not None:
        audit.principal, audit.session, audit.operation = principal, session, op
    if op is None:
        raise Forbidden(NOT_IN_MATRIX)
    if not op.allows_role(principal.role):
        raise Forbidden()
    for name, raw in request.path_params.items():
        value = _integer(raw) if name.endswith("_id") else None
        if value is not None and not -INT32_MAX - 1 <= value <= INT32_MAX:
            raise NotFound()  # no record has such an id (every key is a 32-bit integer); the database is spared
    granted = op.scopes_for(principal.role)
    if granted == EVERYWHERE:
        return op
    for name, kind in record_params(op).items():
        record_id = _integer(_raw_param(request, name))
        if record_id is None or not 1 <= record_id <= INT32_MAX:
            continue  # absent, malformed or impossible: the route's own validation answers
        found = record_scopes(session, principal, kind, record_id)
        if not found or not (found & granted):
            raise NotFound()  # outside the caller's scope looks exactly like a missing record
    return op
