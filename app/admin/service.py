"""Accounts managed from the administration page: scope of the manager, the rules of each role's area,
optimistic locking on the account's version, and every change recorded (app.auth.service does the writes)."""
from sqlalchemy import ColumnElement, func, or_, select, true
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.admin.schemas import PasswordReset, UserCreate, UserUpdate, VersionOnly
from app.auth import service as auth
from app.auth.models import PermissionEvent, User, UserDong, UserTract
from app.config import get_settings
from app.db import flush_versioned
from app.errors import Conflict, Forbidden, InvalidInput, NotFound
from app.facilities.models import Facility
from app.policy.principal import Principal
from app.tracts.models import District, Dong, Tract
from app.validation import clean_text

MANAGERS = ("admin", "district_staff")
STALE = "다른 관리자가 먼저 이 계정을 바꿨습니다. 새로고침 후 다시 시도하세요."
NO_VERSION = "version이 필요합니다 (본문의 version 또는 If-Match 헤더)."
ADMIN_ONLY = "관리자 계정은 관리자만 만들거나 바꿀 수 있습니다."
WHOLE_DISTRICT = ("admin", "district_staff")  # see the whole district: no dong or tract of their own


def _require_manager(principal: Principal) -> None:
    if principal.role not in MANAGERS:
        raise Forbidden("계정 관리는 관리자와 구청 담당만 할 수 있습니다.")


def _caller_district(session: Session, principal: Principal) -> int | None:
    return session.scalar(select(User.district_id).where(User.id == principal.user_id))


def _managed(session: Session, principal: Principal) -> ColumnElement[bool]:
    """Accounts the caller may see: all for an admin, those of their own district for district staff."""
    if principal.role == "admin":
        return true()
    district_id = _caller_district(session, principal)
    return User.district_id == district_id if district_id is not None else User.district_id.is_(None)


def _read(session: Session, where) -> list[dict]:
    dongs = func.array(select(UserDong.dong_id).where(UserDong.user_id == User.id)
                       .order_by(UserDong.dong_id).scalar_subquery())
    tracts = func.array(select(UserTract.tract_id).where(UserTract.user_id == User.id)
                        .order_by(UserTract.tract_id).scalar_subquery())
    now = get_settings().now()
    rows = session.execute(select(User, dongs, tracts, Facility.name)
                           .outerjoin(Facility, Facility.id == User.facility_id)
                           .where(where).order_by(User.username)).all()
    return [{"id": u.id, "username": u.username, "display_name": u.display_name, "role": u.role,
             "district_id": u.district_id, "facility_id": u.facility_id, "facility_name": facility,
             "dong_ids": list(d or ()),
             "tract_ids": list(t or ()), "is_active": u.is_active,
             "locked": bool(u.locked_until and u.locked_until > now),
             "locked_until": u.locked_until if u.locked_until and u.locked_until > now else None,
             "failed_logins": u.failed_logins, "created_at": u.created_at, "version": u.version}
            for u, d, t, facility in rows]


def list_(session: Session, principal: Principal, *, q: str | None, role: str | None, limit: int,
          offset: int) -> dict:
    """Accounts the caller manages, by username, optionally by a word of the username or name and a role."""
    _require_manager(principal)
    conds = [_managed(session, principal)]
    try:
        q = clean_text(q) if q else q
    except ValueError as exc:
        raise InvalidInput(f"q: {exc}") from None
    if q:
        word = "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        conds.append(or_(User.username.ilike(word), User.display_name.ilike(word)))
    if role:
        conds.append(User.role == role)
    total = session.scalar(select(func.count()).select_from(User).where(*conds))
    ids = select(User.id).where(*conds).order_by(User.username).limit(limit).offset(offset)
    return {"items": _read(session, User.id.in_(ids)), "total": total}


def get(session: Session, principal: Principal, user_id: int) -> dict:
    """One account the caller manages (404 for any other)."""
    _require_manager(principal)
    found = _read(session, (User.id == user_id) & _managed(session, principal))
    if not found:
        raise NotFound()
    return found[0]


def _locked(session: Session, principal: Principal, user_id: int, version: int | None) -> User:
    """The account, locked for this transaction, if the caller manages it and read its current version."""
    user = session.execute(select(User).where(User.id == user_id, _managed(session, principal))
                           .with_for_update()).scalar_one_or_none()
    if user is None:
        raise NotFound()
    if user.role == "admin" and principal.role != "admin":
        raise Forbidden(ADMIN_ONLY)
    if version is None:
        raise InvalidInput(NO_VERSION)
    if version != user.version:
        raise Conflict(STALE)
    return user


def _area(session: Session, principal: Principal, role: str, dong_ids: list[int], tract_ids: list[int],
          facility_id: int | None) -> tuple[list[int], list[int], int | None, int | None]:
    """The area a role needs, checked against the places the caller manages: (dongs, tracts, facility,
    district). Fields a role does not use are cleared; what a role needs must be there."""
    if role == "admin" and principal.role != "admin":
        raise Forbidden(ADMIN_ONLY)
    districts = select(District.id).where(District.code.in_(get_settings().deployment_district_codes))
    if principal.role != "admin":
        districts = select(District.id).where(District.id == _caller_district(session, principal))
    allowed = select(Dong.id).where(Dong.district_id.in_(districts))
    if role == "dong_staff":
        if not dong_ids:
            raise InvalidInput("동 담당 계정에는 담당 동을 하나 이상 고르세요.")
        known = set(session.scalars(select(Dong.id).where(Dong.id.in_(dong_ids), Dong.id.in_(allowed))))
        unknown = [d for d in dong_ids if d not in known]
        if unknown:
            raise InvalidInput(f"없거나 관리할 수 없는 행정동입니다: {', '.join(map(str, unknown))}")
        tract_ids, facility_id = [], None
    elif role == "tongjang":
        if not tract_ids:
            raise InvalidInput("통장 계정에는 맡은 통을 하나 이상 고르세요.")
        rows = dict(session.execute(select(Tract.id, Tract.dong_id).where(Tract.id.in_(tract_ids),
                                                                          Tract.dong_id.in_(allowed))).all())
        unknown = [t for t in tract_ids if t not in rows]
        if unknown:
            raise InvalidInput(f"없거나 관리할 수 없는 통입니다: {', '.join(map(str, unknown))}")
        dong_ids, facility_id = sorted(set(rows.values())), None
    elif role == "partner":
        if facility_id is None or session.get(Facility, facility_id) is None:
            raise InvalidInput("협력기관 계정에는 소속 기관을 고르세요.")
        dong_ids, tract_ids = [], []
    else:
        dong_ids, tract_ids, facility_id = [], [], None
    district_id = session.scalar(select(Dong.district_id).where(Dong.id.in_(dong_ids)).limit(1)) if dong_ids else None
    return dong_ids, tract_ids, facility_id, district_id


def create(session: Session, principal: Principal, data: UserCreate) -> dict:
    """A new account with its area; district staff create accounts of their district only, never an admin."""
    _require_manager(principal)
    dong_ids, tract_ids, facility_id, district_id = _area(session, principal, data.role, data.dong_ids,
                                                          data.tract_ids, data.facility_id)
    try:
        user = auth.create_user(session, username=data.username, password=data.password, role=data.role,
                                dong_ids=dong_ids, tract_ids=tract_ids, facility_id=facility_id,
                                display_name=data.display_name or None, actor=principal.username,
                                district_id=district_id or _caller_district(session, principal))
        session.flush()
    except IntegrityError:  # the same username, created by another request meanwhile
        raise Conflict("이미 있는 아이디입니다.") from None
    return get(session, principal, user.id)


def update(session: Session, principal: Principal, user_id: int, data: UserUpdate, if_match: int | None) -> dict:
    """Role, area, name, agency and active state, as sent; nothing changes unless the version is current."""
    _require_manager(principal)
    user = _locked(session, principal, user_id, data.version if data.version is not None else if_match)
    sent = data.model_fields_set
    own = user.id == principal.user_id
    role = data.role if data.role is not None else user.role
    if own and role != user.role:
        raise InvalidInput("자기 계정의 역할은 바꿀 수 없습니다.")
    if own and data.is_active is False:
        raise InvalidInput("자기 계정은 사용 중지할 수 없습니다.")
    current = _read(session, User.id == user.id)[0]
    dong_ids = data.dong_ids if data.dong_ids is not None else current["dong_ids"]
    tract_ids = data.tract_ids if data.tract_ids is not None else current["tract_ids"]
    facility_id = data.facility_id if "facility_id" in sent else user.facility_id
    dong_ids, tract_ids, facility_id, district_id = _area(session, principal, role, dong_ids, tract_ids,
                                                          facility_id)
    actor = principal.username
    if role != user.role:
        auth.set_role(session, user.username, role, actor=actor)
    auth.set_scope(session, user.username, dong_ids=dong_ids, tract_ids=tract_ids, actor=actor)
    display_name = (data.display_name or None) if "display_name" in sent else user.display_name
    auth.set_profile(session, user.username, display_name=display_name, facility_id=facility_id, actor=actor)
    if district_id is not None and district_id != user.district_id:
        user.district_id = district_id
    if data.is_active is False and user.is_active:
        auth.disable_user(session, user.username, actor=actor, reason="관리 화면")
    elif data.is_active is True and not user.is_active:
        auth.enable_user(session, user.username, actor=actor)
    flush_versioned(session, STALE)
    return get(session, principal, user_id)


def unlock(session: Session, principal: Principal, user_id: int, data: VersionOnly, if_match: int | None) -> dict:
    """Lift a sign-in lockout (and the failure count) at once."""
    _require_manager(principal)
    user = _locked(session, principal, user_id, data.version if data.version is not None else if_match)
    auth.unlock_user(session, user.username, actor=principal.username)
    flush_versioned(session, STALE)
    return get(session, principal, user_id)


def reset_password(session: Session, principal: Principal, user_id: int, data: PasswordReset,
                   if_match: int | None) -> dict:
    """A new password under the same rules as everywhere; the account's sessions end. Never echoed."""
    _require_manager(principal)
    user = _locked(session, principal, user_id, data.version if data.version is not None else if_match)
    auth.set_password(session, user.username, data.password, actor=principal.username)
    flush_versioned(session, STALE)
    return get(session, principal, user_id)


def permission_events(session: Session, principal: Principal, *, user_id: int | None, limit: int,
                      offset: int) -> dict:
    """Grants and revokes of the accounts the caller manages, newest first."""
    _require_manager(principal)
    conds = [_managed(session, principal)]
    if user_id is not None:
        conds.append(PermissionEvent.user_id == user_id)
    base = select(PermissionEvent, User.username).join(User, User.id == PermissionEvent.user_id).where(*conds)
    total = session.scalar(select(func.count()).select_from(base.subquery()))
    rows = session.execute(base.order_by(PermissionEvent.at.desc(), PermissionEvent.id.desc())
                           .limit(limit).offset(offset)).all()
    return {"items": [{"id": e.id, "at": e.at, "user_id": e.user_id, "username": name, "action": e.action,
                       "detail": e.detail, "actor": e.actor} for e, name in rows], "total": total}
