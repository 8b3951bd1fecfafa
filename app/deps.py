"""Request dependencies: DB session, the signed-in user, bbox and paging parameters."""
from typing import Annotated

from fastapi import Depends, Query, Request
from fastapi.security import OAuth2PasswordBearer
from sqlalchemy.orm import Session

from app.auth import service as auth_service
from app.auth.guard import authorize
from app.auth.principal import Principal
from app.config import get_settings
from app.db import get_session
from app.errors import Forbidden, InvalidInput, Unauthorized
from app.geo.validate import BBox, CoordinateError

SessionDep = Annotated[Session, Depends(get_session)]

oauth2_scheme = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)


def client_ip(request: Request) -> str | None:
    """The caller's address; a proxy header is trusted only when configured (its last hop, added by the proxy)."""
    header = get_settings().trusted_proxy_header
    if header and request.headers.get(header):
        return request.headers[header].split(",")[-1].strip()[:45] or None
    return request.client.host if request.client else None


def current_principal(request: Request, session: SessionDep,
                      token: Annotated[str | None, Depends(oauth2_scheme)]) -> Principal:
    """The signed-in user, or 401; then the permission matrix allows the route (403) and the record (404)."""
    if not token:
        raise Unauthorized()
    principal = auth_service.authenticate(session, token, client_ip(request))
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


def bbox_param(bbox: Annotated[str | None, Query(description="서,남,동,북 (WGS84)")] = None) -> BBox | None:
    if bbox is None:
        return None
    try:
        return BBox.parse(bbox)
    except CoordinateError as exc:
        raise InvalidInput(str(exc)) from None


BBoxDep = Annotated[BBox | None, Depends(bbox_param)]


class Page:
    """`limit` (1..500, default 50) and `offset` (≥0) as the API contract says."""

    def __init__(self, limit: Annotated[int, Query(ge=1, le=500)] = 50,
                 offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0):
        self.limit = limit
        self.offset = offset


PageDep = Annotated[Page, Depends()]


def if_match_version(if_match: str | None) -> int | None:
    """The version carried by an If-Match header (`3` or `"3"` or `W/"3"`)."""
    if if_match is None:
        return None
    value = if_match.strip().removeprefix("W/").strip('"')
    if not value.isdigit():
        raise InvalidInput("If-Match 헤더에는 정수 version을 넣으세요.")
    return int(value)
