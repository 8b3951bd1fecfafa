"""Inputs found by review that once answered 500 or said too much; each now gets a clear 4xx."""
from sqlalchemy import select

from app.access.models import AccessRecord
from app.tracts.models import Tract
from tests.test_households import _dong_of, _household_in


def test_patch_answers_masked_like_any_read(client, as_user, session):
    """Full names come only through the purpose-logged unmask, never as a side effect of an edit."""
    own = _household_in(session, _dong_of(session, 0).id)
    name, version = own.head_name, own.version
    patched = client.patch(f"/api/v1/households/{own.id}", headers=as_user("dong01"),
                           json={"members": 2, "version": version})
    assert patched.status_code == 200 and patched.json()["masked"] is True
    assert patched.json()["head_name"] != name


def test_impossible_report_ids_are_not_server_errors(client, as_user):
    headers = as_user("district")
    for raw in ("99999999999", "+99999999999", "99999999999.0", "99_999_999_999", "0", "-1"):
        for method, path, body in (("GET", f"/api/v1/reports/{raw}", None),
                                   ("POST", f"/api/v1/reports/{raw}/review", {"note": "확인"})):
            answer = client.request(method, path, headers=headers, json=body)
            assert answer.status_code in (404, 422), (raw, method, answer.status_code)


def test_non_canonical_scope_ids_are_still_checked(client, as_user, session):
    other_dong = _dong_of(session, 1).id
    assert client.get(f"/api/v1/households?dong_id=+{other_dong}", headers=as_user("dong01")).status_code == 404


def test_login_with_a_nul_in_the_username_is_a_plain_refusal(client):
    answer = client.post("/api/v1/auth/token", data={"username": "dong\x0001", "password": "whatever-123"})
    assert answer.status_code == 401 and "올바르지 않" in answer.json()["detail"]


def test_deeply_nested_report_json_is_422(client, as_user):
    answer = client.post("/api/v1/reports", headers={**as_user("tongjang01"), "Content-Type": "application/json"},
                         content="[" * 60_000)
    assert answer.status_code == 422


def test_print_purpose_is_cleaned_and_must_say_something(client, as_user, session):
    dong = _dong_of(session, 0)
    tract = session.execute(select(Tract).where(Tract.dong_id == dong.id).order_by(Tract.number)).scalars().first()
    headers = as_user("dong01")
    assert client.get(f"/api/v1/print/tracts/{tract.id}.pdf", params={"purpose": "\x00"},
                      headers=headers).status_code == 422
    ok = client.get(f"/api/v1/print/tracts/{tract.id}.pdf", params={"purpose": "정기\x00방문 900101-1234567"},
                    headers=headers)
    assert ok.status_code == 200 and ok.content.startswith(b"%PDF")
    purpose = session.execute(select(AccessRecord.purpose).order_by(AccessRecord.id.desc()).limit(1)).scalar()
    assert purpose == "정기 방문 900101-1******"  # no NUL, no 주민등록번호 in the access records
