"""The registry-changes inbox on the real PostGIS: an imported 주민등록 변동 file waits for a person (nothing is
applied at commit); apply closes (death, moved out, merged), moves (within the district, across dongs: both dongs
keep the move) or marks as seen (전입); dismiss keeps its reason; stale and second actions are 409; a 동 담당
sees and acts on their own dong's changes only; every read and action leaves an access record."""
from datetime import date

import pytest
from sqlalchemy import func, select, text

from app.access.models import AccessRecord
from app.auth.models import User, UserDong
from app.households.models import Household
from app.imports.planning import same_place
from app.tracts.models import Dong
from tests.conftest import at_once, login
from tests.test_imports import known_addresses, upload, xlsx

HEADERS = ["변동구분", "성명", "생년월일", "주소", "변동일자", "이전주소"]
OUT_OF_DISTRICT = "경기도 고양시 덕양구 화정로 1"
BUSAN = "부산광역시 해운대구 해운대로 1"


def registry_file(rows: list[list]) -> bytes:
    return xlsx(rows, headers=HEADERS, title="주민등록 변동 명단 (2026년 11월)")


def officer_of(session, dong_name: str) -> str:
    """The demo 동 담당 account of a dong."""
    return session.execute(
        select(User.username).join(UserDong, UserDong.user_id == User.id).join(Dong, Dong.id == UserDong.dong_id)
        .where(Dong.name == dong_name, User.role == "dong_staff").order_by(User.username).limit(1)).scalar_one()


def born(session, dong_name: str, births: list[date]) -> list[Household]:
    """Active households of a dong with names no other household has, given these 세대주 birth dates."""
    unique = select(Household.head_name).group_by(Household.head_name).having(func.count() == 1)
    found = session.execute(
        select(Household).join(Dong, Dong.id == Household.dong_id)
        .where(Dong.name == dong_name, Household.status == "active", Household.head_name.in_(unique))
        .order_by(Household.id).limit(len(births))).scalars().all()
    assert len(found) == len(births)
    for household, birth in zip(found, births, strict=True):
        household.head_birth_date = birth
    session.flush()
    return found


@pytest.fixture
def inbox(client, as_user, session):
    """A committed registry file: 사망, 관외 전출, 관내 전출 (천연동 → 연희동), 전입, 세대 합가, and a person no
    household matches. Changed dates as an Excel date and as text."""
    dead, gone, moving, arrived, merging = born(session, "천연동", [
        date(1940, 1, 1), date(1950, 2, 2), date(1960, 3, 3), date(1970, 4, 4), date(1945, 5, 5)])
    (new_home, lon, lat), = known_addresses(session, "연희동", 1)
    elsewhere = next(a for a, *_ in known_addresses(session, "천연동", 10) if not same_place(a, merging.address))
    rows = [
        ["사망", dead.head_name, "1940-01-01", dead.address, date(2026, 11, 30), None],
        ["전출", gone.head_name, "1950.2.2", OUT_OF_DISTRICT, "2026.11.20", gone.address],
        ["전출", moving.head_name, "19600303", new_home, "2026-11-21", moving.address],
        ["전입", arrived.head_name, "1970-04-04", arrived.address, date(2026, 11, 22), BUSAN],
        ["세대합가", merging.head_name, "1945-05-05", elsewhere, date(2026, 11, 23), merging.address],
        ["사망", "없는사람", "1930-06-06", "서울특별시 서대문구 연희로 1", date(2026, 11, 24), None],
    ]
    district = as_user("district")
    preview = upload(client, district, registry_file(rows), name="주민등록변동.xlsx", kind="registry_changes")
    assert preview.status_code == 201, preview.text
    body = preview.json()
    assert body["counts"] == {"new": 1, "matched": 5, "unplaced": 0, "error": 0, "out_of_scope": 0}, body["errors"]
    assert body["mapping"]["previous_address"] == "이전주소" and body["mapping"]["changed_on"] == "변동일자"
    done = client.post(f"/api/v1/imports/{body['id']}/commit", json={"version": body["version"]}, headers=district)
    assert done.status_code == 200, done.text
    assert done.json()["applied"]["pending"] == 5 and done.json()["applied"]["unmatched"] == 1
    return {"import_id": body["id"], "dead": dead, "gone": gone, "moving": moving, "arrived": arrived,
            "merging": merging, "new_home": new_home, "point": (lon, lat)}


def changes(client, headers, import_id: int, status: str = "pending") -> dict[str, dict]:
    r = client.get("/api/v1/registry-changes", params={"status": status, "import_id": import_id}, headers=headers)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["total"] == len(body["items"])
    return {i["household"]["id"] if i["household"] else i["head_name"]: i for i in body["items"]}


def test_the_inbox_proposes_and_nothing_is_applied_before_a_person_acts(client, as_user, session, inbox):
    district = as_user("district")
    pending = changes(client, district, inbox["import_id"])
    assert len(pending) == 5
    dead, gone, moving = pending[inbox["dead"].id], pending[inbox["gone"].id], pending[inbox["moving"].id]
    arrived, merging = pending[inbox["arrived"].id], pending[inbox["merging"].id]
    assert dead["proposal"]["action"] == "close_death" and dead["changed_on"] == "2026-11-30"
    assert dead["head_name"] == inbox["dead"].head_name[0] + "*" * (len(inbox["dead"].head_name) - 2) \
        + inbox["dead"].head_name[-1]
    assert dead["birth_year"] == 1940 and dead["household"]["dong_name"] == "천연동"
    assert gone["proposal"]["action"] == "close_moved_out" and gone["changed_on"] == "2026-11-20"
    assert gone["address"] == OUT_OF_DISTRICT and gone["previous_address"] == inbox["gone"].address
    assert moving["proposal"]["action"] == "move" and moving["proposal"]["to_dong_name"] == "연희동"
    assert arrived["proposal"]["action"] == "review" and "전입" in arrived["proposal"]["label"]
    assert merging["proposal"]["action"] == "close_merged"
    for item in pending.values():
        assert item["status"] == "pending" and item["household"]["status"] == "active"
        assert any("\uac00" <= ch <= "\ud7a3" for ch in item["proposal"]["label"])
    session.expire_all()
    assert all(session.get(Household, inbox[k].id).status == "active"
               for k in ("dead", "gone", "moving", "arrived", "merging"))

    unmatched = changes(client, district, inbox["import_id"], "unmatched")
    (lost,) = unmatched.values()
    assert lost["head_name"] == "없**람" and lost["household"] is None and "일치하는 가구가 없습니다" in lost["note"]
    refused = client.post(f"/api/v1/registry-changes/{lost['id']}/apply", json={"version": lost["version"]},
                          headers=district)
    assert refused.status_code == 409 and "반영 안 함" in refused.json()["detail"]
    r = client.post(f"/api/v1/registry-changes/{lost['id']}/dismiss",
                    json={"reason": "관내 주민이 아님 (타 구 주민)", "version": lost["version"]}, headers=district)
    assert r.status_code == 200 and r.json()["status"] == "dismissed"
    assert changes(client, district, inbox["import_id"], "unmatched") == {}
    assert lost["id"] in [i["id"] for i in changes(client, district, inbox["import_id"], "dismissed").values()]
    bad = client.get("/api/v1/registry-changes", params={"status": "done"}, headers=district)
    assert bad.status_code == 422


def test_apply_closes_for_a_death_and_a_move_out_of_the_district(client, as_user, session, inbox):
    dong01 = as_user("dong01")
    pending = changes(client, dong01, inbox["import_id"])
    dead = pending[inbox["dead"].id]
    r = client.post(f"/api/v1/registry-changes/{dead['id']}/apply", json={"version": dead["version"]},
                    headers=dong01)
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "applied" and r.json()["resolved_at"] and r.json()["resolved_by_name"]
    session.expire_all()
    household = session.get(Household, inbox["dead"].id)
    assert household.status == "closed" and household.closed_reason == "death" and household.closed_at is not None
    assert "주민등록 변동 사망 (2026-11-30)" in household.notes
    again = client.post(f"/api/v1/registry-changes/{dead['id']}/apply", json={"version": r.json()["version"]},
                        headers=dong01)
    assert again.status_code == 409 and again.json()["detail"] == "이미 처리된 변동입니다."
    dismissed_too = client.post(f"/api/v1/registry-changes/{dead['id']}/dismiss",
                                json={"reason": "잘못 반영", "version": r.json()["version"]}, headers=dong01)
    assert dismissed_too.status_code == 409

    gone = pending[inbox["gone"].id]
    stale = client.post(f"/api/v1/registry-changes/{gone['id']}/apply", json={"version": gone["version"] + 1},
                        headers=dong01)
    assert stale.status_code == 409 and "새로고침" in stale.json()["detail"]
    r = client.post(f"/api/v1/registry-changes/{gone['id']}/apply", json={"version": gone["version"]},
                    headers=dong01)
    assert r.status_code == 200, r.text
    session.expire_all()
    household = session.get(Household, inbox["gone"].id)
    assert household.status == "closed" and household.closed_reason == "moved_out"
    applied = changes(client, dong01, inbox["import_id"], "applied")
    assert set(applied) == {inbox["dead"].id, inbox["gone"].id}
    assert len(changes(client, dong01, inbox["import_id"])) == 3


def test_a_move_across_dongs_moves_the_household_and_both_dongs_keep_the_record(client, as_user, session, inbox):
    dong01, district = as_user("dong01"), as_user("district")
    yeonhui = as_user(officer_of(session, "연희동"))
    move = changes(client, dong01, inbox["import_id"])[inbox["moving"].id]
    # the dong the move goes to sees it coming, but the household's own dong decides
    seen = {i["id"] for i in changes(client, yeonhui, inbox["import_id"]).values()}
    assert move["id"] in seen
    refused = client.post(f"/api/v1/registry-changes/{move['id']}/apply", json={"version": move["version"]},
                          headers=yeonhui)
    assert refused.status_code == 403 and "담당 동" in refused.json()["detail"]
    before = session.get(Household, inbox["moving"].id).version
    r = client.post(f"/api/v1/registry-changes/{move['id']}/apply", json={"version": move["version"]},
                    headers=dong01)
    assert r.status_code == 200, r.text
    done = r.json()
    assert done["status"] == "applied" and done["from_dong_name"] == "천연동" and done["to_dong_name"] == "연희동"
    session.expire_all()
    household = session.get(Household, inbox["moving"].id)
    lon, lat = session.execute(select(func.ST_X(Household.geom), func.ST_Y(Household.geom))
                               .where(Household.id == household.id)).one()
    assert household.status == "active" and household.version > before
    assert household.address == inbox["new_home"] and (lon, lat) == pytest.approx(inbox["point"], abs=1e-6)
    assert session.get(Dong, household.dong_id).name == "연희동" and household.tract_id is not None
    assert household.placement in ("building", "entrance")
    tract_dong = session.execute(text("SELECT dong_id FROM tracts WHERE id = :t"), {"t": household.tract_id})
    assert tract_dong.scalar_one() == household.dong_id

    # the old dong's officer keeps the move in the inbox history, but no longer sees the household
    history = changes(client, dong01, inbox["import_id"], "applied")
    assert history[household.id]["from_dong_name"] == "천연동" and history[household.id]["to_dong_name"] == "연희동"
    assert client.get(f"/api/v1/households/{household.id}", headers=dong01).status_code == 404
    # the new dong's officer sees the household, with the move in its record
    detail = client.get(f"/api/v1/households/{household.id}", headers=yeonhui)
    assert detail.status_code == 200
    (moved,) = detail.json()["moves"]
    assert (moved["change"], moved["from_dong_name"], moved["to_dong_name"]) == ("moved_out", "천연동", "연희동")
    assert moved["changed_on"] == "2026-11-21" and moved["address"] == inbox["new_home"]
    assert changes(client, yeonhui, inbox["import_id"], "applied")[household.id]["id"] == move["id"]
    assert client.get(f"/api/v1/households/{inbox['arrived'].id}", headers=district).json()["moves"] == []
    listed = client.get("/api/v1/households", params={"limit": 1}, headers=district).json()["items"][0]
    assert listed.get("moves") is None  # only the detail reads the record


def test_review_dismiss_and_their_reasons(client, as_user, session, inbox):
    dong01 = as_user("dong01")
    pending = changes(client, dong01, inbox["import_id"])
    arrived = pending[inbox["arrived"].id]
    version = session.get(Household, inbox["arrived"].id).version
    r = client.post(f"/api/v1/registry-changes/{arrived['id']}/apply", json={"version": arrived["version"]},
                    headers=dong01)
    assert r.status_code == 200 and r.json()["status"] == "applied"
    session.expire_all()
    household = session.get(Household, inbox["arrived"].id)
    assert household.status == "active" and household.version == version  # seen, nothing changed

    merging = pending[inbox["merging"].id]
    url = f"/api/v1/registry-changes/{merging['id']}/dismiss"
    v = merging["version"]
    for body in ({"version": v}, {"reason": " ", "version": v}, {"reason": "가", "version": v},
                 {"reason": "가" * 301, "version": v}):
        r = client.post(url, json=body, headers=dong01)
        assert r.status_code == 422, body
        assert any("\uac00" <= ch <= "\ud7a3" for ch in r.json()["detail"]) and "reason" in r.json()["detail"]
    stale = client.post(url, json={"reason": "이미 확인함", "version": merging["version"] + 1}, headers=dong01)
    assert stale.status_code == 409
    r = client.post(url, json={"reason": "합가 신고 후 취소됨", "version": merging["version"]}, headers=dong01)
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "dismissed" and r.json()["reason"] == "합가 신고 후 취소됨"
    session.expire_all()
    assert session.get(Household, inbox["merging"].id).status == "active"
    dismissed = changes(client, dong01, inbox["import_id"], "dismissed")
    assert dismissed[inbox["merging"].id]["reason"] == "합가 신고 후 취소됨"
    again = client.post(url, json={"reason": "두 번째", "version": r.json()["version"]}, headers=dong01)
    assert again.status_code == 409 and again.json()["detail"] == "이미 처리된 변동입니다."


def test_another_dong_cannot_see_or_act_and_others_are_refused(client, as_user, session, inbox):
    dead = changes(client, as_user("dong01"), inbox["import_id"])[inbox["dead"].id]
    other = officer_of(session, session.execute(select(Dong.name).where(Dong.name.not_in(["천연동", "연희동"]))
                                                .order_by(Dong.code).limit(1)).scalar_one())
    headers = as_user(other)
    assert changes(client, headers, inbox["import_id"]) == {}
    assert changes(client, headers, inbox["import_id"], "unmatched") == {}
    for action, body in (("apply", {"version": dead["version"]}), ("dismiss", {"reason": "남의 동", "version": 1})):
        r = client.post(f"/api/v1/registry-changes/{dead['id']}/{action}", json=body, headers=headers)
        assert r.status_code == 404
    for user in ("tongjang01", "partner01"):
        assert client.get("/api/v1/registry-changes", headers=as_user(user)).status_code == 403
        assert client.post(f"/api/v1/registry-changes/{dead['id']}/apply", json={"version": dead["version"]},
                           headers=as_user(user)).status_code == 403
    session.expire_all()
    assert session.get(Household, inbox["dead"].id).status == "active"


def test_reads_and_actions_leave_access_records(client, as_user, session, inbox):
    dong01 = as_user("dong01")
    last = session.execute(select(func.coalesce(func.max(AccessRecord.id), 0))).scalar_one()
    pending = changes(client, dong01, inbox["import_id"])
    dead, merging = pending[inbox["dead"].id], pending[inbox["merging"].id]
    client.post(f"/api/v1/registry-changes/{dead['id']}/apply", json={"version": dead["version"]}, headers=dong01)
    client.post(f"/api/v1/registry-changes/{merging['id']}/dismiss",
                json={"reason": "확인 결과 합가 아님", "version": merging["version"]}, headers=dong01)
    session.expire_all()
    records = session.execute(select(AccessRecord).where(AccessRecord.id > last).order_by(AccessRecord.id)
                              ).scalars().all()
    by_resource = {(r.action, r.resource): r for r in records}
    listed = by_resource[("list", "GET /api/v1/registry-changes")]
    assert set(listed.household_ids) == set(pending) and listed.username == "dong01"
    applied = by_resource[("update", f"POST /api/v1/registry-changes/{dead['id']}/apply")]
    assert applied.household_ids == [inbox["dead"].id] and "사망" in applied.purpose
    dismissed = by_resource[("update", f"POST /api/v1/registry-changes/{merging['id']}/dismiss")]
    assert dismissed.household_ids == [inbox["merging"].id]


def test_a_name_alone_never_matches_a_household(client, as_user, session):
    """Birth dates unknown on the household: the name must be confirmed by the address; a namesake elsewhere
    stays unmatched, and an exact birth date wins over a namesake without one."""
    first, second = session.execute(
        select(Household).join(Dong, Dong.id == Household.dong_id)
        .where(Dong.name == "천연동", Household.status == "active", Household.head_birth_date.is_(None))
        .order_by(Household.id).limit(2)).scalars().all()
    second.head_name = first.head_name  # two namesakes; the second's birth date is known
    second.head_birth_date = date(1955, 7, 7)
    session.flush()
    (elsewhere, *_), = known_addresses(session, "연희동", 1)
    rows = [["사망", first.head_name, "1933-03-03", first.address, date(2026, 11, 2), None],
            ["사망", first.head_name, "1933-03-03", elsewhere, date(2026, 11, 3), None],
            ["전출", first.head_name, "1955-07-07", OUT_OF_DISTRICT, date(2026, 11, 4), elsewhere]]
    district = as_user("district")
    body = upload(client, district, registry_file(rows), kind="registry_changes").json()
    listed = client.get(f"/api/v1/imports/{body['id']}/rows", headers=district).json()["items"]
    by_row = {i["row"]: i for i in listed}
    assert by_row[3]["outcome"] == "matched" and by_row[3]["household_id"] == first.id
    assert "생년월일 확인 필요" in by_row[3]["note"]
    assert by_row[4]["outcome"] == "new" and by_row[4]["household_id"] is None
    assert by_row[5]["outcome"] == "matched" and by_row[5]["household_id"] == second.id


def test_two_applies_of_one_change_at_once_give_one_200_and_one_409(fresh):
    headers = login(fresh.client, "district")
    with fresh.engine.begin() as conn:
        household_id, name, address = conn.execute(text(
            "SELECT id, head_name, address FROM households WHERE status = 'active' AND head_name IN "
            "(SELECT head_name FROM households GROUP BY head_name HAVING count(*) = 1) ORDER BY id LIMIT 1")).one()
        conn.execute(text("UPDATE households SET head_birth_date = '1944-04-04' WHERE id = :id"), {"id": household_id})
    content = registry_file([["사망", name, "1944-04-04", address, date(2026, 11, 30), None]])
    body = upload(fresh.client, headers, content, kind="registry_changes").json()
    assert body["counts"]["matched"] == 1, body
    fresh.client.post(f"/api/v1/imports/{body['id']}/commit", json={"version": body["version"]}, headers=headers)
    (change,) = fresh.client.get("/api/v1/registry-changes", headers=headers).json()["items"]
    answers = at_once(2, lambda: fresh.client.post(f"/api/v1/registry-changes/{change['id']}/apply",
                                                   json={"version": change["version"]}, headers=headers).status_code)
    assert sorted(answers) == [200, 409]
    with fresh.engine.connect() as conn:
        status, reason, version = conn.execute(text("SELECT status, closed_reason, version FROM households "
                                                     "WHERE id = :id"), {"id": household_id}).one()
        assert (status, reason) == ("closed", "death")
        assert conn.execute(text("SELECT state FROM import_rows WHERE id = :id"),
                            {"id": change["id"]}).scalar_one() == "applied"
