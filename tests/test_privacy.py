"""Masking on the server with a logged unmask, and the 주민등록번호: encrypted, looked up by keyed hash, never
in layers, lists, prints or logs, and nowhere in a dump of the database."""
import base64
import hashlib
import hmac
import re
import subprocess

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from app.access.models import AccessRecord
from app.config import get_settings
from app.dev.pgcluster import pg_bindir
from app.households import rrn
from app.households.models import Household
from app.policy.masking import mask_name, mask_phone
from app.tracts.models import Dong, Tract
from tests.conftest import RRN_HASH_KEY, login

RRN_PATTERN = re.compile(r"\d{6}-?[1-4]\d{6}")
# Synthetic numbers (valid dates, no real person): with and without the hyphen.
NUMBERS = ["800101-1234567", "9203152345678", "050505-3123456", "011231-4987654", "750815-2000001"]


def _digits(number: str) -> str:
    return number.replace("-", "")


def _own_dong(client, headers) -> int:
    return client.get("/api/v1/auth/me", headers=headers).json()["dong_ids"][0]


def _point(session, dong_id: int) -> tuple[float, float]:
    return session.execute(select(func.ST_X(func.ST_PointOnSurface(Dong.geom)),
                                  func.ST_Y(func.ST_PointOnSurface(Dong.geom))).where(Dong.id == dong_id)).one()


def _new_household(client, headers, point, **extra) -> dict:
    body = {"head_name": "김철수", "address": "서대문구 시험로 12", "lon": point[0], "lat": point[1],
            "phone": "010-1234-5678", **extra}
    response = client.post("/api/v1/households", headers=headers, json=body)
    assert response.status_code == 201, response.text
    return response.json()


def test_masking_rules():
    assert mask_name("김철수") == "김*수" and mask_name("남궁민수") == "남**수" and mask_name("김수") == "김*"
    assert mask_name("") == "" and mask_name(None) is None
    assert mask_phone("010-1234-5678") == "010-1234-****"
    assert mask_phone("01012345678") == "0101234****"
    assert mask_phone("02-123-4567") == "02-123-****"
    assert "5678" not in mask_phone("+82 10 1234 5678")


def test_names_and_phones_are_masked_for_everyone_until_a_logged_unmask(client, as_user, session):
    headers = as_user("dong01")
    listed = client.get("/api/v1/households?limit=50", headers=headers).json()["items"]
    rows = {h.id: h for h in session.execute(select(Household).where(Household.id.in_([i["id"] for i in listed])))
            .scalars()}
    for item in listed:
        h = rows[item["id"]]
        assert item["head_name"] == mask_name(h.head_name) and item["masked"] is True
        assert item["phone"] == mask_phone(h.phone)
    target = listed[0]["id"]
    detail = client.get(f"/api/v1/households/{target}", headers=headers).json()
    assert detail["head_name"] == mask_name(rows[target].head_name)
    assert client.post(f"/api/v1/households/{target}/unmask", headers=headers, json={}).status_code == 422
    assert client.post(f"/api/v1/households/{target}/unmask", headers=headers,
                       json={"purpose": "   "}).status_code == 422
    revealed = client.post(f"/api/v1/households/{target}/unmask", headers=headers,
                           json={"purpose": "긴급 생계지원 연락"})
    assert revealed.status_code == 200 and revealed.headers["cache-control"] == "no-store"
    assert revealed.json()["head_name"] == rows[target].head_name and revealed.json()["masked"] is False
    assert revealed.json()["phone"] == rows[target].phone
    last = session.execute(select(AccessRecord).order_by(AccessRecord.id.desc()).limit(1)).scalar_one()
    assert (last.action, last.household_ids, last.purpose, last.username) == (
        "unmask", [target], "긴급 생계지원 연락", "dong01")
    for user in ("tongjang01", "partner01"):
        refused = client.post(f"/api/v1/households/{target}/unmask", headers=as_user(user),
                              json={"purpose": "궁금해서"})
        assert refused.status_code == 403


def test_rrn_is_encrypted_and_found_by_keyed_hash(client, as_user, session, rrn_keys):
    headers = as_user("dong01")
    point = _point(session, _own_dong(client, headers))
    created = _new_household(client, headers, point, rrn=NUMBERS[0])
    assert "rrn" not in created and created["has_rrn"] is True
    assert _digits(NUMBERS[0]) not in str(created) and NUMBERS[0][:6] not in str(created)
    h = session.get(Household, created["id"])
    session.refresh(h)
    assert _digits(NUMBERS[0]).encode() not in h.rrn_ciphertext and len(h.rrn_ciphertext) == 1 + 12 + 13 + 16
    assert rrn.decrypt(h.rrn_ciphertext) == _digits(NUMBERS[0])
    assert h.rrn_lookup_hash == hmac.new(base64.b64decode(RRN_HASH_KEY), _digits(NUMBERS[0]).encode(),
                                         hashlib.sha256).hexdigest()
    again = _new_household(client, headers, point, rrn=_digits(NUMBERS[0]))  # same number, no hyphen
    assert session.get(Household, again["id"]).rrn_ciphertext != h.rrn_ciphertext  # fresh nonce each time
    found = client.post("/api/v1/households/lookup-rrn", headers=headers,
                        json={"rrn": NUMBERS[0], "purpose": "중복 확인"})
    assert found.status_code == 200 and found.json() == {"household_ids": sorted([created["id"], again["id"]])}
    record = session.execute(select(AccessRecord).order_by(AccessRecord.id.desc()).limit(1)).scalar_one()
    assert record.action == "lookup" and sorted(record.household_ids) == sorted([created["id"], again["id"]])
    assert _digits(NUMBERS[0]) not in f"{record.resource} {record.purpose}"
    # Another dong's staff find nothing (scope), a partner may not look up at all.
    assert client.post("/api/v1/households/lookup-rrn", headers=as_user("dong02"),
                       json={"rrn": NUMBERS[0]}).json() == {"household_ids": []}
    assert client.post("/api/v1/households/lookup-rrn", headers=as_user("partner01"),
                       json={"rrn": NUMBERS[0]}).status_code == 403
    # Change and clear through PATCH.
    changed = client.patch(f"/api/v1/households/{created['id']}", headers=headers,
                           json={"rrn": NUMBERS[1], "version": created["version"]})
    assert changed.status_code == 200 and changed.json()["has_rrn"] is True
    assert client.post("/api/v1/households/lookup-rrn", headers=headers,
                       json={"rrn": NUMBERS[1]}).json() == {"household_ids": [created["id"]]}
    cleared = client.patch(f"/api/v1/households/{created['id']}", headers=headers,
                           json={"rrn": None, "version": changed.json()["version"]})
    assert cleared.status_code == 200 and cleared.json()["has_rrn"] is False
    session.refresh(h)
    assert h.rrn_ciphertext is None and h.rrn_lookup_hash is None


@pytest.mark.parametrize("bad", ["800101-123456", "80010112345678", "801301-1234567", "800230-2234567",
                                 "80O101-1234567", "８００１０１-１２３４５６７", "800101 1234567"])
def test_bad_rrn_is_refused_without_echoing_it(client, as_user, session, rrn_keys, bad):
    headers = as_user("dong01")
    point = _point(session, _own_dong(client, headers))
    before = session.execute(select(func.count()).select_from(Household)).scalar_one()
    response = client.post("/api/v1/households", headers=headers,
                           json={"head_name": "김철수", "address": "주소 1", "lon": point[0], "lat": point[1],
                                 "rrn": bad})
    assert response.status_code == 422 and "rrn" in response.text
    assert bad not in response.text and bad[:6] not in response.text
    assert session.execute(select(func.count()).select_from(Household)).scalar_one() == before


def test_without_keys_an_rrn_is_refused_with_a_clear_message(client, as_user, session):
    assert not get_settings().rrn_key_b64
    headers = as_user("dong01")
    point = _point(session, _own_dong(client, headers))
    before = session.execute(select(func.count()).select_from(Household)).scalar_one()
    refused = client.post("/api/v1/households", headers=headers,
                          json={"head_name": "김철수", "address": "주소 1", "lon": point[0], "lat": point[1],
                                "rrn": NUMBERS[0]})
    assert refused.status_code == 422 and "암호화 키" in refused.json()["detail"]
    assert session.execute(select(func.count()).select_from(Household)).scalar_one() == before
    assert client.post("/api/v1/households/lookup-rrn", headers=headers,
                       json={"rrn": NUMBERS[0]}).status_code == 422
    _new_household(client, headers, point)  # without an RRN the household is registered as usual


def test_an_rrn_typed_into_free_text_is_masked_before_it_is_stored(client, as_user, session):
    headers = as_user("dong01")
    point = _point(session, _own_dong(client, headers))
    created = _new_household(client, headers, point, notes=f"주민번호 {NUMBERS[0]} 확인함",
                             registered_address=f"번호 {_digits(NUMBERS[1])}")
    assert created["notes"] == "주민번호 800101-1****** 확인함"
    assert created["registered_address"] == "번호 920315-2******"
    stored = session.get(Household, created["id"])
    assert not RRN_PATTERN.search(f"{stored.notes} {stored.registered_address}")


def test_rrn_never_in_layers_lists_exports_prints_or_access_records(client, as_user, session, rrn_keys):
    headers = as_user("dong01")
    dong_id = _own_dong(client, headers)
    point = _point(session, dong_id)
    created = _new_household(client, headers, point, rrn=NUMBERS[2])
    tract = created["tract_id"] or session.execute(select(Tract.id).where(Tract.dong_id == dong_id)).scalar()
    answers = [
        client.get(f"/api/v1/households/{created['id']}", headers=headers),
        client.post(f"/api/v1/households/{created['id']}/unmask", headers=headers, json={"purpose": "확인"}),
        client.get("/api/v1/households", params={"q": "시험로", "limit": 500}, headers=headers),
        client.get("/api/v1/layers/households", headers=headers),
        client.get("/api/v1/exports/households.csv", params={"purpose": "보고"}, headers=headers),
        client.get(f"/api/v1/print/tracts/{tract}.html", params={"purpose": "현장 방문"}, headers=headers),
    ]
    for response in answers:
        assert response.status_code == 200, (response.url, response.status_code, response.text[:200])
        body = response.content.decode("utf-8", errors="replace")
        assert _digits(NUMBERS[2]) not in body and NUMBERS[2] not in body, response.url
    records = session.execute(select(AccessRecord.resource, AccessRecord.purpose)).all()
    assert not any(RRN_PATTERN.search(f"{r} {p}") for r, p in records)


def _dump(pg_server, database: str) -> str:
    admin = make_url(pg_server.admin_url).set(database=database).render_as_string(hide_password=False)
    result = subprocess.run([str(pg_bindir() / "pg_dump"), "--no-owner", "-d", admin], capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    return result.stdout


def _rrn_shaped(dump: str) -> list[str]:
    """RRN-shaped numbers standing on their own. Binary columns (EWKB geometry, bytea, hashes) are dumped as
    long hex runs in which 13 digits occur by chance; a run of hex characters is one token, not a number."""
    return [m.group() for m in re.finditer(r"(?<![0-9A-Fa-f])\d{6}-?[1-4]\d{6}(?![0-9A-Fa-f])", dump)]


def test_a_database_dump_holds_no_resident_registration_number(fresh, pg_server, rrn_keys):
    client = fresh.client
    headers = login(client, "dong01")
    dong_id = _own_dong(client, headers)
    with Session(fresh.engine) as s:
        point = _point(s, dong_id)
    ids = []
    for number in NUMBERS:
        ids.append(_new_household(client, headers, point, rrn=number, notes=f"메모에 적힌 번호 {number}")["id"])
        assert client.post("/api/v1/households/lookup-rrn", headers=headers,
                           json={"rrn": number}).json()["household_ids"] == [ids[-1]]
    with Session(fresh.engine) as s:
        stored = s.execute(select(func.count()).where(Household.rrn_ciphertext.is_not(None))).scalar_one()
    assert stored == len(NUMBERS)

    dump = _dump(pg_server, fresh.name)
    assert "COPY public.households" in dump and "rrn_ciphertext" in dump
    for number in NUMBERS:
        assert _digits(number) not in dump and number not in dump
        assert f"{number[:6]}-{number[-7]}" not in dump.replace(f"{number[:6]}-{number[-7]}******", "")
    assert RRN_PATTERN.findall(" ".join(_rrn_shaped(dump))) == []
    assert _rrn_shaped(dump) == []

    # The detector does find a number that reached a text column in plain form (written past the app).
    with fresh.admin.begin() as conn:
        conn.execute(text("UPDATE households SET notes = :n WHERE id = :i"), {"n": f"평문 {NUMBERS[3]}", "i": ids[0]})
    assert _rrn_shaped(_dump(pg_server, fresh.name)) == [NUMBERS[3]]
