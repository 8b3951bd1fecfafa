"""The signed-in caller as a dependency: token → principal, then the permission gate."""
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer

from app.auth import service
from app.auth.guard import authorize
from app.deps import SessionDep, client_ip
from app.errors import Forbidden, Unauthorized
from app.policy.principal import Principal

oauth2_scheme = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)


def current_principal(request: Request, session: SessionDep,
                      token: Annotated[str | None, Depends(oauth2_scheme)]) -> Principal:
    """The signed-in user, or 401; then the permission matrix allows the route (403) and the record (404)."""
    if not token:
        raise Unauthorized()
    principal, seen = service.authenticate(session, token, client_ip(request))
    if seen:
        session.commit()  # the session's "last seen" stands even when the operation then fails
    authorize(request, session, principal)
    return principal


CurrentUser = Annotated[Principal, Depends(current_principal)]


def require_roles(*roles: str):
    """Dependency that refuses callers whose role is not listed (403)."""

    def check(principal: CurrentUser) -> Principal:
        if principal.role not in roles:
            raise Forbidden()
        return principal

    return Depends(check)
