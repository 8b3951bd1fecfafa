"""Administration API: accounts created, edited, disabled, unlocked and given new passwords by admins and district
staff (versioned, recorded with the acting username, the same password rules as everywhere), the permission
history, and the monthly access-record review with its CSV; everyone else gets a Korean 403."""
from datetime import timedelta
from urllib.parse import quote

import pytest
from sqlalchemy import func, select

from app.access.models import AccessRecord
from app.auth.models import PermissionEvent, User
from app.config import get_settings
from app.tracts.models import Dong, Tract
from tests.conftest import DEMO_PASSWORD, login

NEW_PASSWORD = "봄날-햇살-2026-책상"


def _counts(session) -> tuple[int, int]:
    return (session.scalar(select(func.count()).select_from(User)),
            session.scalar(select(func.count()).select_from(PermissionEvent)))


def _dong(session, k: int = 0) -> Dong:
    return session.scalars(select(Dong).order_by(Dong.code).offset(k).limit(1)).one()


def _create(client, headers, **body) -> dict:
    r = client.post("/api/v1/admin/users", headers=headers, json=body)
    assert r.status_code == 201, r.text
    return r.json()


def test_admin_creates_a_dong_account_that_sees_only_its_dong(client, as_user, session):
    dong = _dong(session, 2)
    created = _create(client, as_user("admin"), username="cheon.new", password=NEW_PASSWORD, role="dong_staff",
                      display_name="새 담당", dong_ids=[dong.id])
    assert created["dong_ids"] == [dong.id] and created["version"] == 1 and "password" not in created
    assert created["district_id"] == dong.district_id and created["is_active"] and not created["locked"]
    headers = login(client, "cheon.new", NEW_PASSWORD)
    me = client.get("/api/v1/auth/me", headers=headers).json()
    assert me["role"] == "dong_staff" and me["dong_ids"] == [dong.id]
    items = client.get("/api/v1/households", headers=headers, params={"limit": 500}).json()["items"]
    assert items and {h["dong_id"] for h in items} == {dong.id}
    events = client.get("/api/v1/admin/permission-events", headers=as_user("admin"),
                        params={"user_id": created["id"]}).json()["items"]
    assert [(e["action"], e["actor"]) for e in events] == [("create", "admin")]


def test_tongjang_gets_the_dong_of_its_tract(client, as_user, session):
    tract = session.scalars(select(Tract).order_by(Tract.id).limit(1)).one()
    created = _create(client, as_user("district"), username="tong.new", password=NEW_PASSWORD, role="tongjang",
                      tract_ids=[tract.id], dong_ids=[])
    assert created["tract_ids"] == [tract.id] and created["dong_ids"] == [tract.dong_id]


@pytest.mark.parametrize("body, words", [
    ({"password": "short1!"}, "10자 이상"),
    ({"password": "password2026!!"}, "흔하거나"),
    ({"password": "new.person", "username": "new.person"}, "아이디와 같을 수"),
    ({"username": "admin"}, "이미 있는 아이디"),
    ({"dong_ids": []}, "담당 동을 하나 이상"),
    ({"dong_ids": [2147483000]}, "행정동"),
    ({"role": "tongjang", "dong_ids": []}, "맡은 통"),
    ({"role": "partner", "dong_ids": []}, "소속 기관"),
    ({"username": "한글아이디"}, "영문 소문자"),
    ({"role": "superuser"}, "알 수 없는 역할"),
])
def test_bad_new_accounts_are_refused_in_korean_and_nothing_is_written(client, as_user, session, body, words):
    before = _counts(session)
    payload = {"username": "new.person", "password": NEW_PASSWORD, "role": "dong_staff",
               "dong_ids": [_dong(session).id], **body}
    r = client.post("/api/v1/admin/users", headers=as_user("admin"), json=payload)
    assert r.status_code == 422 and words in r.json()["detail"], r.text
    assert payload["password"] not in r.text
    assert _counts(session) == before


def test_edit_role_and_scope_is_versioned_and_recorded(client, as_user, session):
    admin = as_user("admin")
    a, b = _dong(session, 0), _dong(session, 1)
    user = _create(client, admin, username="scope.user", password=NEW_PASSWORD, role="dong_staff", dong_ids=[a.id])
    r = client.patch(f"/api/v1/admin/users/{user['id']}", headers=admin,
                     json={"version": user["version"], "dong_ids": [a.id, b.id], "display_name": "두 동 담당"})
    assert r.status_code == 200, r.text
    edited = r.json()
    assert edited["dong_ids"] == sorted([a.id, b.id]) and edited["version"] > user["version"]
    before = _counts(session)
    stale = client.patch(f"/api/v1/admin/users/{user['id']}", headers=admin,
                         json={"version": user["version"], "role": "district_staff"})
    assert stale.status_code == 409 and "먼저" in stale.json()["detail"]
    assert _counts(session) == before
    assert client.get(f"/api/v1/admin/users/{user['id']}", headers=admin).json()["role"] == "dong_staff"
    missing = client.patch(f"/api/v1/admin/users/{user['id']}", headers=admin, json={"role": "district_staff"})
    assert missing.status_code == 422 and "version" in missing.json()["detail"]
    raised = client.patch(f"/api/v1/admin/users/{user['id']}", headers={**admin, "If-Match": str(edited["version"])},
                          json={"role": "district_staff"})
    assert raised.status_code == 200 and raised.json()["dong_ids"] == [], raised.text
    actions = [e["action"] for e in client.get("/api/v1/admin/permission-events", headers=admin,
                                               params={"user_id": user["id"]}).json()["items"]]
    assert actions[:3] == ["revoke_dong", "revoke_dong", "role"] and "grant_dong" in actions and "profile" in actions


def test_disabling_ends_sessions_and_enabling_lets_the_account_back(client, as_user, session):
    admin = as_user("admin")
    user = _create(client, admin, username="leaving.user", password=NEW_PASSWORD, role="dong_staff",
                   dong_ids=[_dong(session).id])
    headers = login(client, "leaving.user", NEW_PASSWORD)
    off = client.patch(f"/api/v1/admin/users/{user['id']}", headers=admin,
                       json={"version": user["version"], "is_active": False})
    assert off.status_code == 200 and off.json()["is_active"] is False
    assert client.get("/api/v1/auth/me", headers=headers).status_code == 401
    assert client.post("/api/v1/auth/token", data={"username": "leaving.user", "password": NEW_PASSWORD}
                       ).status_code == 401
    on = client.patch(f"/api/v1/admin/users/{user['id']}", headers=admin,
                      json={"version": off.json()["version"], "is_active": True})
    assert on.status_code == 200 and on.json()["is_active"] is True
    login(client, "leaving.user", NEW_PASSWORD)
    self_off = client.patch(f"/api/v1/admin/users/{_id(session, 'admin')}", headers=admin,
                            json={"version": _version(session, "admin"), "is_active": False})
    assert self_off.status_code == 422 and "자기 계정" in self_off.json()["detail"]


def _id(session, username: str) -> int:
    return session.scalar(select(User.id).where(User.username == username))


def _version(session, username: str) -> int:
    session.expire_all()
    return session.scalar(select(User.version).where(User.username == username))


def test_locked_account_is_unlocked(client, as_user, session):
    for _ in range(get_settings().login_max_failures):
        client.post("/api/v1/auth/token", data={"username": "dong03", "password": "wrong-password-1"})
    assert client.post("/api/v1/auth/token", data={"username": "dong03", "password": DEMO_PASSWORD}
                       ).status_code == 401
    admin = as_user("admin")
    read = client.get(f"/api/v1/admin/users/{_id(session, 'dong03')}", headers=admin).json()
    assert read["locked"] is True and read["locked_until"]
    listed = client.get("/api/v1/admin/users", headers=admin, params={"q": "dong03"}).json()
    assert listed["total"] == 1 and listed["items"][0]["locked"] is True
    stale = client.post(f"/api/v1/admin/users/{read['id']}/unlock", headers=admin, json={"version": 999})
    assert stale.status_code == 409
    r = client.post(f"/api/v1/admin/users/{read['id']}/unlock", headers=admin, json={"version": read["version"]})
    assert r.status_code == 200 and r.json()["locked"] is False, r.text
    login(client, "dong03")
    event = client.get("/api/v1/admin/permission-events", headers=admin, params={"user_id": read["id"]}
                       ).json()["items"][0]
    assert event["action"] == "unlock" and event["actor"] == "admin"


def test_password_reset_follows_the_rules_and_ends_sessions(client, as_user, session):
    admin = as_user("admin")
    user = _create(client, admin, username="pw.user", password=NEW_PASSWORD, role="dong_staff",
                   dong_ids=[_dong(session).id])
    headers = login(client, "pw.user", NEW_PASSWORD)
    weak = client.post(f"/api/v1/admin/users/{user['id']}/password", headers=admin,
                       json={"password": "qwerty12345", "version": user["version"]})
    assert weak.status_code == 422 and "비밀번호" in weak.json()["detail"] and "qwerty12345" not in weak.text
    fresh = "다른-비밀번호-가을-77"
    r = client.post(f"/api/v1/admin/users/{user['id']}/password", headers=admin,
                    json={"password": fresh, "version": user["version"]})
    assert r.status_code == 200 and fresh not in r.text and "password" not in r.json()
    assert client.get("/api/v1/auth/me", headers=headers).status_code == 401
    assert client.post("/api/v1/auth/token", data={"username": "pw.user", "password": NEW_PASSWORD}
                       ).status_code == 401
    login(client, "pw.user", fresh)
    stale = client.post(f"/api/v1/admin/users/{user['id']}/password", headers=admin,
                        json={"password": fresh + "x", "version": user["version"]})
    assert stale.status_code == 409


def test_district_staff_manage_their_district_but_no_admin(client, as_user, session):
    district = as_user("district")
    made_admin = client.post("/api/v1/admin/users", headers=district,
                             json={"username": "would.be", "password": NEW_PASSWORD, "role": "admin"})
    assert made_admin.status_code == 403 and "관리자" in made_admin.json()["detail"]
    admin_id = _id(session, "admin")
    edit_admin = client.patch(f"/api/v1/admin/users/{admin_id}", headers=district,
                              json={"version": _version(session, "admin"), "display_name": "x"})
    assert edit_admin.status_code == 403
    dong01 = client.get(f"/api/v1/admin/users/{_id(session, 'dong01')}", headers=district).json()
    raise_it = client.patch(f"/api/v1/admin/users/{dong01['id']}", headers=district,
                            json={"version": dong01["version"], "role": "admin"})
    assert raise_it.status_code == 403
    usernames = {u["username"] for u in client.get("/api/v1/admin/users", headers=district,
                                                   params={"limit": 500}).json()["items"]}
    assert {"dong01", "tongjang01", "partner01"} <= usernames


@pytest.mark.parametrize("username", ["dong01", "tongjang01", "partner01"])
def test_other_roles_get_a_korean_403(client, as_user, session, username):
    headers = as_user(username)
    uid = _id(session, "dong02")
    calls = [("GET", "/api/v1/admin/users", None), ("POST", "/api/v1/admin/users", {}),
             ("GET", f"/api/v1/admin/users/{uid}", None), ("PATCH", f"/api/v1/admin/users/{uid}", {"version": 1}),
             ("POST", f"/api/v1/admin/users/{uid}/unlock", {"version": 1}),
             ("POST", f"/api/v1/admin/users/{uid}/password", {"version": 1, "password": NEW_PASSWORD}),
             ("GET", "/api/v1/admin/permission-events", None), ("GET", "/api/v1/admin/access-review", None),
             ("GET", "/api/v1/admin/access-review.csv", None)]
    for method, path, body in calls:
        r = client.request(method, path, headers=headers, json=body)
        assert r.status_code == 403 and r.json()["detail"] == "권한이 없습니다.", (method, path, r.text)


def test_access_review_is_read_from_the_records_and_itself_recorded(client, as_user, session):
    admin = as_user("admin")
    client.get("/api/v1/households", headers=as_user("dong01"))
    today = get_settings().today()
    month = f"{today:%Y-%m}"
    for bad in ("2026-13", "11-2026", "이번달", "2026-1"):
        r = client.get("/api/v1/admin/access-review", headers=admin, params={"month": bad})
        assert r.status_code == 422 and "YYYY-MM" in r.json()["detail"], (bad, r.text)
    before = session.scalar(select(func.max(AccessRecord.id)))
    r = client.get("/api/v1/admin/access-review", headers=admin, params={"month": month})
    assert r.status_code == 200, r.text
    data = r.json()
    assert data["month"] == month and data["total"] >= 1
    assert "dong01" in {a["username"] for a in data["top_accessors"]}
    record = session.scalars(select(AccessRecord).where(AccessRecord.id > before)).one()
    assert record.username == "admin" and record.action == "read" and month in record.purpose
    f = client.get("/api/v1/admin/access-review.csv", headers=admin, params={"month": month})
    assert f.status_code == 200 and f.headers["content-type"].startswith("text/csv")
    assert quote("접속기록점검") in f.headers["content-disposition"]
    text = f.content.decode("utf-8-sig")
    assert text.startswith(f"접속기록 월간 점검 — {month}") and "1. 접속이 많은 계정" in text and "dong01" in text
    last = session.scalars(select(AccessRecord).order_by(AccessRecord.id.desc()).limit(1)).one()
    assert last.action == "export" and last.username == "admin"
    empty = client.get("/api/v1/admin/access-review", headers=admin,
                       params={"month": f"{today - timedelta(days=3650):%Y-%m}"}).json()
    assert empty["total"] == 0 and empty["top_accessors"] == []


def test_accounts_made_on_the_command_line_belong_to_the_district(client, as_user, session):
    from app.auth import service as auth

    user = auth.create_user(session, username="cli.made", password=NEW_PASSWORD, role="district_staff")
    session.commit()
    district = session.scalar(select(User.district_id).where(User.username == "district"))
    assert user.district_id == district and user.version == 1
    listed = client.get("/api/v1/admin/users", headers=as_user("district"), params={"q": "cli.made"}).json()
    assert [u["username"] for u in listed["items"]] == ["cli.made"]


def test_a_search_with_a_nul_character_is_refused_in_korean(client, as_user):
    r = client.get("/api/v1/admin/users", headers=as_user("admin"), params={"q": "dong\x00"})
    assert r.status_code == 422 and "NUL" in r.json()["detail"]
