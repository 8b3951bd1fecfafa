"""Administration payloads: accounts (never a password out), permission events, the access review."""
import re
from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, Field

from app.validation import MAX_ID, RefId, StrictInput, clean_text
from app.vocab import ROLES

USERNAME = re.compile(r"[a-z0-9][a-z0-9._-]{2,59}")


def _username(value: str) -> str:
    if not USERNAME.fullmatch(value):
        raise ValueError("아이디는 영문 소문자·숫자·마침표·밑줄·하이픈으로 3~60자여야 합니다 (첫 글자는 영문·숫자)")
    return value


def _role(value: str) -> str:
    if value not in ROLES:
        raise ValueError(f"알 수 없는 역할입니다: {value}")
    return value


def _ids(values: list[int]) -> list[int]:
    return sorted(set(values))


Username = Annotated[str, Field(max_length=60), AfterValidator(_username)]
Role = Annotated[str, Field(max_length=20), AfterValidator(_role)]
DisplayName = Annotated[str, Field(max_length=60), AfterValidator(clean_text)]
Password = Annotated[str, Field(max_length=200, json_schema_extra={"writeOnly": True})]
IdList = Annotated[list[RefId], Field(max_length=200), AfterValidator(_ids)]
Version = Annotated[int, Field(ge=1, le=MAX_ID)]


class UserCreate(StrictInput):
    username: Username
    password: Password
    role: Role
    display_name: DisplayName | None = None
    dong_ids: IdList = []
    tract_ids: IdList = []
    facility_id: RefId | None = None


class UserUpdate(StrictInput):
    """Only the fields sent change; `version` is the one read (or the If-Match header)."""

    version: Version | None = None
    role: Role | None = None
    display_name: DisplayName | None = None
    dong_ids: IdList | None = None
    tract_ids: IdList | None = None
    facility_id: RefId | None = None
    is_active: bool | None = None


class VersionOnly(StrictInput):
    version: Version | None = None


class PasswordReset(StrictInput):
    password: Password
    version: Version | None = None


class UserRead(BaseModel):
    id: int
    username: str
    display_name: str | None
    role: str
    district_id: int | None
    facility_id: int | None
    facility_name: str | None = None
    dong_ids: list[int]
    tract_ids: list[int]
    is_active: bool
    locked: bool
    locked_until: datetime | None
    failed_logins: int
    created_at: datetime
    version: int


class UserList(BaseModel):
    items: list[UserRead]
    total: int


class PermissionEventRead(BaseModel):
    id: int
    at: datetime
    user_id: int
    username: str
    action: str
    detail: str | None
    actor: str | None


class PermissionEventList(BaseModel):
    items: list[PermissionEventRead]
    total: int
