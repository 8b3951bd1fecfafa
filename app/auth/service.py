"""Sign-in, bearer sessions with idle and absolute expiry, lockout, and account creation."""
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.auth.models import AuthSession, PermissionEvent, User, UserDong, UserTract
from app.auth.principal import Principal
from app.auth.security import hash_password, new_token, token_digest, verify_password
from app.config import get_settings
from app.errors import InvalidInput, Unauthorized

LOGIN_FAILED = "아이디 또는 비밀번호가 올바르지 않거나 계정이 잠겼습니다."
SESSION_EXPIRED = "세션이 만료되었습니다. 다시 로그인하세요."
LAST_SEEN_RESOLUTION = timedelta(seconds=30)  # write last_seen_at at most this often


def login(session: Session, username: str, password: str, client_ip: str | None) -> tuple[str, int]:
    """Check the password and open a session; the same message for every failure (no account probing)."""
    settings = get_settings()
    now = settings.now()
    user = session.execute(select(User).where(User.username == username).with_for_update()).scalar_one_or_none()
    ok = verify_password(user.password_hash if user else None, password)
    if user is None or not user.is_active:
        raise Unauthorized(LOGIN_FAILED)
    if user.locked_until and user.locked_until > now:
        raise Unauthorized(LOGIN_FAILED)
    if not ok:
        user.failed_logins += 1
        if user.failed_logins >= settings.login_max_failures:
            user.locked_until = now + timedelta(minutes=settings.login_lock_minutes)
            user.failed_logins = 0
        session.commit()
        raise Unauthorized(LOGIN_FAILED)
    user.failed_logins = 0
    user.locked_until = None
    token = new_token()
    expires_in = settings.token_absolute_hours * 3600
    session.add(AuthSession(token_hash=token_digest(token), user_id=user.id, created_at=now, last_seen_at=now,
                            expires_at=now + timedelta(seconds=expires_in), client_ip=client_ip))
    session.commit()
    return token, settings.token_idle_minutes * 60


def authenticate(session: Session, token: str, client_ip: str | None) -> Principal:
    """Resolve a bearer token to a principal, enforcing revocation, idle and absolute expiry."""
    settings = get_settings()
    now = settings.now()
    row = session.execute(
        select(AuthSession, User).join(User, User.id == AuthSession.user_id)
        .where(AuthSession.token_hash == token_digest(token))
    ).one_or_none()
    if row is None:
        raise Unauthorized()
    auth, user = row
    idle_limit = auth.last_seen_at + timedelta(minutes=settings.token_idle_minutes)
    if auth.revoked_at is not None or not user.is_active or now >= auth.expires_at or now >= idle_limit:
        raise Unauthorized(SESSION_EXPIRED)
    if now - auth.last_seen_at >= LAST_SEEN_RESOLUTION:
        session.execute(update(AuthSession).where(AuthSession.id == auth.id).values(last_seen_at=now))
        session.commit()
    dong_ids = session.execute(select(UserDong.dong_id).where(UserDong.user_id == user.id)).scalars().all()
    tract_ids = session.execute(select(UserTract.tract_id).where(UserTract.user_id == user.id)).scalars().all()
    return Principal(user_id=user.id, username=user.username, role=user.role, dong_ids=frozenset(dong_ids),
                     tract_ids=frozenset(tract_ids), facility_id=user.facility_id, session_id=auth.id,
                     client_ip=client_ip)


def logout(session: Session, principal: Principal) -> None:
    """Revoke the caller's token at once."""
    session.execute(update(AuthSession).where(AuthSession.id == principal.session_id)
                    .values(revoked_at=get_settings().now()))
    session.commit()


def revoke_all(session: Session, user_id: int) -> None:
    """End every open session of an account (used when it is disabled)."""
    session.execute(update(AuthSession).where(AuthSession.user_id == user_id, AuthSession.revoked_at.is_(None))
                    .values(revoked_at=get_settings().now()))


def check_password_policy(username: str, password: str) -> None:
    """At least 10 characters, at most 128, not the username."""
    if len(password) < 10:
        raise InvalidInput("비밀번호는 10자 이상이어야 합니다.")
    if len(password) > 128:
        raise InvalidInput("비밀번호는 128자 이하여야 합니다.")
    if password.casefold() == username.casefold():
        raise InvalidInput("비밀번호는 아이디와 같을 수 없습니다.")


def create_user(session: Session, *, username: str, password: str, role: str, dong_ids=(), tract_ids=(),
                facility_id: int | None = None, display_name: str | None = None, actor: str = "cli") -> User:
    """Create an account with its area scope and record the grant."""
    check_password_policy(username, password)
    if session.execute(select(User.id).where(User.username == username)).scalar() is not None:
        raise InvalidInput("이미 있는 아이디입니다.")
    user = User(username=username, password_hash=hash_password(password), role=role, facility_id=facility_id,
                display_name=display_name)
    session.add(user)
    session.flush()
    for dong_id in dong_ids:
        session.add(UserDong(user_id=user.id, dong_id=dong_id))
    for tract_id in tract_ids:
        session.add(UserTract(user_id=user.id, tract_id=tract_id))
    session.add(PermissionEvent(user_id=user.id, action="create", actor=actor,
                                detail=f"role={role} dongs={sorted(dong_ids)} tracts={sorted(tract_ids)}"))
    session.commit()
    return user
