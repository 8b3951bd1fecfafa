"""Administration routes: accounts, their permission history, and the monthly access-record review."""
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Header, Query, Request, Response

from app.admin import review, service
from app.admin.schemas import (
    PasswordReset,
    PermissionEventList,
    Role,
    UserCreate,
    UserList,
    UserRead,
    UserUpdate,
    VersionOnly,
)
from app.auth.deps import CurrentUser
from app.deps import OptionalRecordId, PageDep, RecordId, SessionDep, if_match_version

router = APIRouter(prefix="/api/v1/admin", tags=["admin"])
IfMatch = Annotated[str | None, Header()]
Month = Annotated[str | None, Query(max_length=20, description="점검할 달 YYYY-MM (기본: 이번 달)")]


@router.get("/users", response_model=UserList)
def list_users(principal: CurrentUser, session: SessionDep, page: PageDep,
               q: Annotated[str | None, Query(max_length=60, description="아이디·이름 일부")] = None,
               role: Role | None = None):
    """Accounts the caller manages (admins: all; district staff: their district's)."""
    return service.list_(session, principal, q=q, role=role, limit=page.limit, offset=page.offset)


@router.post("/users", response_model=UserRead, status_code=201)
def create_user(body: UserCreate, principal: CurrentUser, session: SessionDep):
    """A new account with its role and area (dong_staff: dong_ids; tongjang: tract_ids; partner: facility_id)."""
    return service.create(session, principal, body)


@router.get("/users/{user_id}", response_model=UserRead)
def get_user(user_id: RecordId, principal: CurrentUser, session: SessionDep):
    return service.get(session, principal, user_id)


@router.patch("/users/{user_id}", response_model=UserRead)
def update_user(user_id: RecordId, body: UserUpdate, principal: CurrentUser, session: SessionDep,
                if_match: IfMatch = None):
    """Role, area, name, agency, is_active (false ends its sessions); stale version → 409."""
    return service.update(session, principal, user_id, body, if_match_version(if_match))


@router.post("/users/{user_id}/unlock", response_model=UserRead)
def unlock_user(user_id: RecordId, body: VersionOnly, principal: CurrentUser, session: SessionDep,
                if_match: IfMatch = None):
    """Lift a sign-in lockout now."""
    return service.unlock(session, principal, user_id, body, if_match_version(if_match))


@router.post("/users/{user_id}/password", response_model=UserRead)
def reset_password(user_id: RecordId, body: PasswordReset, principal: CurrentUser, session: SessionDep,
                   if_match: IfMatch = None):
    """Set a new password (the sign-in rules apply; never echoed); the account's sessions end."""
    return service.reset_password(session, principal, user_id, body, if_match_version(if_match))


@router.get("/permission-events", response_model=PermissionEventList)
def permission_events(principal: CurrentUser, session: SessionDep, page: PageDep,
                      user_id: OptionalRecordId = None):
    """Grants, revokes and account changes, newest first (of one account with user_id)."""
    return service.permission_events(session, principal, user_id=user_id, limit=page.limit, offset=page.offset)


@router.get("/access-review")
def access_review(request: Request, principal: CurrentUser, session: SessionDep, month: Month = None) -> dict:
    """The month's review of access records: top accessors, off-hours use, bulk views, downloads."""
    return review.review(session, principal, month, f"{request.method} {request.url.path}")


@router.get("/access-review.csv", response_class=Response,
            responses={200: {"content": {"text/csv; charset=utf-8": {}}}})
def access_review_csv(request: Request, principal: CurrentUser, session: SessionDep, month: Month = None):
    """The same review as a CSV file for the 개인정보 보호책임자 (접속기록점검-2026-11.csv)."""
    month, body = review.review_csv(session, principal, month, f"{request.method} {request.url.path}")
    return Response(body, media_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="access-review-{month}.csv"; '
                               f"filename*=UTF-8''{quote(f'접속기록점검-{month}.csv')}"})
