"""Authentication hardening: argon2id, password policy, lockout, idle and absolute expiry, revocation, grants."""
import hashlib
import os
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from app.access.models import AccessRecord
from app.auth import service as auth
from app.auth.models import AuthSession, PermissionEvent, User
from app.auth.security import verify_password
from app.config import get_settings
from app.errors import InvalidInput
from app.households.models import Household
from app.tracts.models import Dong
from tests.conftest import DEMO_PASSWORD, login

ROOT = Path(__file__).resolve().parent.parent
SEOUL = ZoneInfo("Asia/Seoul")
T0 = datetime(2026, 11, 24, 9, 0, tzinfo=SEOUL)
TOKEN = "/api/v1/auth/token"


def _try(client, username, password):
    return client.post(TOKEN, data={"username": username, "password": password})


def test_passwords_are_argon2id_and_tokens_stored_only_hashed(client, session):
    user = session.execute(select(User).where(User.username == "dong01")).scalar_one()
    assert user.password_hash.startswith("$argon2id$")
    assert verify_password(user.password_hash, DEMO_PASSWORD) and not verify_password(user.password_hash, "x")
    token = _try(client, "dong01", DEMO_PASSWORD).json()["access_token"]
    stored = session.execute(select(AuthSession.token_hash).order_by(AuthSession.id.desc()).limit(1)).scalar_one()
    assert stored == hashlib.sha256(token.encode()).hexdigest() and token not in stored


def test_lockout_at_the_sixth_try_even_with_the_right_password(client, frozen_clock):
    frozen_clock(T0)
    unknown = _try(client, "no-such-user", "whatever-password")
    for _ in range(5):
        wrong = _try(client, "dong02", "wrong-password-123")
        assert wrong.status_code == 401
    locked = _try(client, "dong02", DEMO_PASSWORD)
    assert locked.status_code == 401
    # The same message for an unknown account, a wrong password and a locked one.
    assert unknown.json() == wrong.json() == locked.json()
    frozen_clock(T0 + timedelta(minutes=14, seconds=59))
    assert _try(client, "dong02", DEMO_PASSWORD).status_code == 401
    frozen_clock(T0 + timedelta(minutes=15, seconds=1))
    assert _try(client, "dong02", DEMO_PASSWORD).status_code == 200


def test_failures_below_the_limit_are_forgotten_after_a_success(client, frozen_clock):
    frozen_clock(T0)
    for _ in range(4):
        assert _try(client, "dong03", "wrong-password-123").status_code == 401
    assert _try(client, "dong03", DEMO_PASSWORD).status_code == 200
    for _ in range(4):
        assert _try(client, "dong03", "wrong-password-123").status_code == 401
    assert _try(client, "dong03", DEMO_PASSWORD).status_code == 200


def test_idle_session_expires_after_30_minutes(client, frozen_clock):
    frozen_clock(T0)
    headers = login(client, "dong01")
    frozen_clock(T0 + timedelta(minutes=29))
    assert client.get("/api/v1/auth/me", headers=headers).status_code == 200  # activity moves the idle limit
    frozen_clock(T0 + timedelta(minutes=58))
    assert client.get("/api/v1/auth/me", headers=headers).status_code == 200
    frozen_clock(T0 + timedelta(minutes=88, seconds=1))
    expired = client.get("/api/v1/auth/me", headers=headers)
    assert expired.status_code == 401 and "만료" in expired.json()["detail"]
    frozen_clock(T0 + timedelta(minutes=89))
    assert client.get("/api/v1/auth/me", headers=headers).status_code == 401  # stays expired


def test_active_session_ends_after_12_hours(client, frozen_clock):
    frozen_clock(T0)
    headers = login(client, "dong01")
    moment = T0
    while moment + timedelta(minutes=20) < T0 + timedelta(hours=12):
        moment += timedelta(minutes=20)
        frozen_clock(moment)
        assert client.get("/api/v1/auth/me", headers=headers).status_code == 200, moment
    frozen_clock(T0 + timedelta(hours=12))
    assert client.get("/api/v1/auth/me", headers=headers).status_code == 401


def test_logout_revokes_the_token_at_once(client):
    headers = login(client, "dong01")
    other = login(client, "dong01")  # a second session of the same account stays valid
    assert client.post("/api/v1/auth/logout", headers=headers).status_code == 204
    assert client.get("/api/v1/auth/me", headers=headers).status_code == 401
    assert client.get("/api/v1/households?limit=1", headers=headers).status_code == 401
    assert client.get("/api/v1/auth/me", headers=other).status_code == 200


def test_disabling_an_account_revokes_every_token_at_once(client, session):
    first, second = login(client, "dong04"), login(client, "dong04")
    assert client.get("/api/v1/auth/me", headers=first).status_code == 200
    ended = auth.disable_user(session, "dong04", actor="test", reason="퇴직")
    session.commit()  # the operation's unit of work ends (as in the CLI)
    assert ended == 2
    for headers in (first, second):
        assert client.get("/api/v1/auth/me", headers=headers).status_code == 401
    assert _try(client, "dong04", DEMO_PASSWORD).status_code == 401
    auth.enable_user(session, "dong04", actor="test")
    session.commit()  # the operation's unit of work ends (as in the CLI)
    assert _try(client, "dong04", DEMO_PASSWORD).status_code == 200
    events = [e["action"] for e in auth.permission_history(session, "dong04")]
    assert events[:2] == ["enable", "disable"]


def test_dong_grants_apply_on_the_next_request_and_are_kept_in_history(client, session):
    headers = login(client, "dong05")
    me = client.get("/api/v1/auth/me", headers=headers).json()
    dong = session.get(Dong, me["dong_ids"][0])
    household = session.execute(select(Household.id).where(Household.dong_id == dong.id).limit(1)).scalar_one()
    assert client.get(f"/api/v1/households/{household}", headers=headers).status_code == 200
    assert auth.revoke_dong(session, "dong05", dong.code, actor="test") is True
    session.commit()  # the operation's unit of work ends (as in the CLI)
    gone = client.get(f"/api/v1/households/{household}", headers=headers)
    assert gone.status_code == 404 and gone.content == b""
    assert client.get("/api/v1/auth/me", headers=headers).json()["dong_ids"] == []
    assert auth.grant_dong(session, "dong05", dong.code, actor="test") is True
    assert auth.grant_dong(session, "dong05", dong.code, actor="test") is False  # already there: no new event
    session.commit()  # the operation's unit of work ends (as in the CLI)
    assert client.get(f"/api/v1/households/{household}", headers=headers).status_code == 200
    history = auth.permission_history(session, "dong05")
    assert [e["action"] for e in history[:2]] == ["grant_dong", "revoke_dong"]
    assert all(dong.code in e["detail"] and e["actor"] == "test" for e in history[:2])
    with pytest.raises(InvalidInput):
        auth.grant_dong(session, "dong05", "0000000000", actor="test")


def test_role_change_and_password_change_end_sessions(client, session):
    headers = login(client, "dong06")
    auth.set_role(session, "dong06", "district_staff", actor="test")
    session.commit()  # the operation's unit of work ends (as in the CLI)
    assert client.get("/api/v1/auth/me", headers=headers).status_code == 401
    headers = login(client, "dong06")
    assert client.get("/api/v1/auth/me", headers=headers).json()["role"] == "district_staff"
    auth.set_password(session, "dong06", "보라색-고양이가-2번-웃었다", actor="test")
    session.commit()  # the operation's unit of work ends (as in the CLI)
    assert client.get("/api/v1/auth/me", headers=headers).status_code == 401
    assert _try(client, "dong06", "보라색-고양이가-2번-웃었다").status_code == 200
    actions = [e["action"] for e in auth.permission_history(session, "dong06")]
    assert actions[:2] == ["password", "role"]


@pytest.mark.parametrize("password,ok", [
    ("short-1", False),  # 7 characters
    ("abcdefghi", False),  # 9
    ("x" * 129, False),
    ("ㄱ나다라마바사아자차" * 12 + "12345678", True),  # 128 characters: long passphrases are welcome
    ("a-long-passphrase-of-64-characters-is-fine-" + "z" * 21, True),
    ("password123", False),
    ("Password2026!", False),  # a common word with a common tail
    ("qwertyuiop", False),
    ("1q2w3e4r5t", False),
    ("dkssudgktpdy", False),  # 안녕하세요 typed on a Korean keyboard
    ("happymap-demo-2026", False),  # the documented demo password
    ("aaaaaaaaaaaa", False),
    ("newofficer01", False),  # equal to the username
    ("NEWOFFICER01", False),
    ("창문-너머-은행나무-7그루", True),
    ("tangerine-Orbit-55", True),
])
def test_password_policy(session, password, ok):
    if ok:
        auth.check_password_policy("newofficer01", password)
        user = auth.create_user(session, username="newofficer01", password=password, role="dong_staff")
        assert user.password_hash.startswith("$argon2id$")
    else:
        with pytest.raises(InvalidInput) as refused:
            auth.create_user(session, username="newofficer01", password=password, role="dong_staff")
        assert any("\uac00" <= ch <= "\ud7a3" for ch in refused.value.message)
        assert session.execute(select(User).where(User.username == "newofficer01")).first() is None


def test_common_password_list_is_shipped_and_sizeable():
    common = auth.common_passwords()
    assert 1000 <= len(common) <= 5000
    assert {"123456", "password", "qwerty123", "1q2w3e4r", "qwer1234"} <= common


def test_client_ip_from_proxy_header_only_when_configured(client, session, monkeypatch):
    headers = login(client, "dong01")
    spoof = {**headers, "X-Forwarded-For": "203.0.113.9"}
    client.get("/api/v1/households?limit=1", headers=spoof)
    last = session.execute(select(AccessRecord).order_by(AccessRecord.id.desc()).limit(1)).scalar_one()
    assert last.client_ip != "203.0.113.9"
    monkeypatch.setenv("HAPPYMAP_TRUSTED_PROXY_HEADER", "X-Forwarded-For")
    get_settings.cache_clear()
    try:
        client.get("/api/v1/households?limit=1", headers={**headers, "X-Forwarded-For": "198.51.100.7, 10.1.2.3"})
    finally:
        monkeypatch.delenv("HAPPYMAP_TRUSTED_PROXY_HEADER")
        get_settings.cache_clear()
    last = session.execute(select(AccessRecord).order_by(AccessRecord.id.desc()).limit(1)).scalar_one()
    assert last.client_ip == "10.1.2.3"  # the hop the trusted proxy added, not what the client claimed


def _cli(url: str, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": url, "HAPPYMAP_ENVIRONMENT": "test"}
    return subprocess.run([sys.executable, "-m", "app.cli", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120)


def test_cli_disable_grant_revoke_and_history(fresh):
    client = fresh.client
    headers = login(client, "dong07")
    assert client.get("/api/v1/auth/me", headers=headers).status_code == 200
    with Session(fresh.engine) as s:
        code = s.execute(text("SELECT d.code FROM dongs d JOIN user_dongs ud ON ud.dong_id = d.id "
                              "JOIN users u ON u.id = ud.user_id WHERE u.username = 'dong07'")).scalar()
        other = s.execute(text("SELECT code FROM dongs WHERE code <> :c ORDER BY code LIMIT 1"), {"c": code}).scalar()
    out = _cli(fresh.url, "grant-dong", "dong07", other, "--actor", "감사담당")
    assert out.returncode == 0 and "주었습니다" in out.stdout, out.stderr
    assert len(client.get("/api/v1/auth/me", headers=headers).json()["dong_ids"]) == 2
    assert _cli(fresh.url, "revoke-dong", "dong07", other, "--actor", "감사담당").returncode == 0
    assert len(client.get("/api/v1/auth/me", headers=headers).json()["dong_ids"]) == 1
    out = _cli(fresh.url, "disable-user", "dong07", "--reason", "휴직")
    assert out.returncode == 0 and "세션 1개" in out.stdout, out.stdout + out.stderr
    assert client.get("/api/v1/auth/me", headers=headers).status_code == 401
    history = _cli(fresh.url, "permission-history", "dong07")
    lines = history.stdout.strip().splitlines()
    assert [line.split()[3] for line in lines[:3]] == ["disable", "revoke_dong", "grant_dong"], history.stdout
    assert "감사담당" in history.stdout and "휴직" in history.stdout
    missing = _cli(fresh.url, "disable-user", "nobody")
    assert missing.returncode == 2 and "없는 아이디" in missing.stderr
    weak = _cli(fresh.url, "create-user", "newbie01", "--role", "dong_staff", "--password", "password2026")
    assert weak.returncode == 2 and "흔하" in weak.stderr
    with Session(fresh.engine) as s:
        assert s.execute(select(PermissionEvent).join(User).where(User.username == "newbie01")).first() is None
