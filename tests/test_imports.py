"""Household lists in: preview writes nothing, commit applies exactly the preview once, re-import matches,
unplaced rows wait in the placement queue, scope, access records, the 주민등록번호 never shown."""
import io
import json
from datetime import date

import openpyxl
import pytest
from sqlalchemy import func, select, text

from app.access.models import AccessRecord
from app.households.models import Household
from app.imports.models import ImportBatch, ImportRow
from app.tracts.models import Dong
from tests.conftest import at_once, login

HEADERS = ["연번", "동명", "성명", "생년월일", "도로명주소", "상세주소", "휴대폰", "보장구분", "세대원수", "비고"]
RRN = "800101-1234567"


def xlsx(rows: list[list], headers: list[str] = HEADERS, title: str | tuple[str, ...] | None = "2026년 위기가구 명단"
         ) -> bytes:
    """A list as officials keep it: title rows, then the header, then rows."""
    book = openpyxl.Workbook()
    sheet = book.active
    for line in (title,) if isinstance(title, str) else title or ():
        sheet.append([line])
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def upload(client, headers, content: bytes, name: str = "명단.xlsx", kind: str = "households", **form):
    data = {"kind": kind, **{k: (json.dumps(v) if isinstance(v, dict) else v) for k, v in form.items()}}
    return client.post("/api/v1/imports", files={"file": (name, content)}, data=data, headers=headers)


def known_addresses(session, dong_name: str, n: int) -> list[tuple[str, float, float]]:
    """Addresses of the synthetic address table inside one dong (the seed placed households there)."""
    rows = session.execute(text("""
        SELECT e.sido || ' ' || e.sigungu || ' ' || e.road_name || ' ' || e.main_no
               || CASE WHEN e.sub_no > 0 THEN '-' || e.sub_no ELSE '' END AS address, ST_X(e.geom), ST_Y(e.geom)
        FROM address_entrances e JOIN dongs d ON ST_Covers(d.geom, e.geom)
        WHERE d.name = :dong AND NOT e.building_group
        ORDER BY e.id LIMIT :n"""), {"dong": dong_name, "n": n}).all()
    return [tuple(r) for r in rows]


def household_count(session) -> int:
    return session.execute(select(func.count()).select_from(Household)).scalar_one()


@pytest.fixture
def chunyeon(session):
    return session.execute(select(Dong).where(Dong.name == "천연동")).scalar_one()


def test_preview_plans_every_row_and_changes_nothing(client, as_user, session, chunyeon):
    existing = session.execute(select(Household).where(Household.dong_id == chunyeon.id, Household.status == "active")
                               .order_by(Household.id).limit(1)).scalar_one()
    (addr1, *_), (addr2, *_) = known_addresses(session, "천연동", 2)
    rows = [
        [1, "천연동", "김새롬", "1948-03-02", addr1, "101호", "010-1234-5678", "차상위", 2, "독거"],
        [2, "천연동", existing.head_name, None, existing.address, None, "01098765432", None, "3명", None],
        [3, "천연동", "박없음", 17594, "서울특별시 서대문구 없는로 999", None, 1012345678.0, None, 1, None],
        [4, "천연동", None, "1950-01-01", addr2, None, None, None, 1, "이름 없음"],
        [5, "천연동", "김새롬", "1948-03-02", addr1, "101호", "010-1234-5678", "차상위", 2, "독거"],
    ]
    before = household_count(session)
    r = upload(client, as_user("district"), xlsx(rows))
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["status"] == "previewed" and body["rows_total"] == 5
    assert body["counts"] == {"new": 1, "matched": 1, "unplaced": 1, "error": 2, "out_of_scope": 0}
    assert body["mapping"]["head_name"] == "성명" and body["mapping"]["address"] == "도로명주소"
    errors = {e["row"]: e for e in body["errors"]}
    assert errors[6]["column"] == "성명" and "필수" in errors[6]["message"]  # sheet row 6 (title, header, rows)
    assert "3행과 같은" in errors[7]["message"]
    assert household_count(session) == before  # nothing in the registry changes at preview

    listed = client.get(f"/api/v1/imports/{body['id']}/rows", headers=as_user("district")).json()
    by_row = {i["row"]: i for i in listed["items"]}
    assert by_row[3]["outcome"] == "new" and by_row[3]["placement"] in ("building", "entrance")
    assert by_row[3]["head_name"] == "김*롬" and by_row[3]["dong_name"] == "천연동"
    assert by_row[4]["outcome"] == "matched" and by_row[4]["household_id"] == existing.id
    assert by_row[5]["outcome"] == "unplaced" and "지도에서 위치를 지정" in by_row[5]["note"]
    only_errors = client.get(f"/api/v1/imports/{body['id']}/rows", params={"outcome": "error"},
                             headers=as_user("district")).json()
    assert [i["row"] for i in only_errors["items"]] == [6, 7]


def test_commit_applies_the_preview_once_and_a_reimport_matches(client, as_user, session, chunyeon):
    (addr1, lon1, lat1), (addr2, lon2, lat2) = known_addresses(session, "천연동", 2)
    rows = [
        [1, "천연동", "이가온", "19520315", addr1, "2층", "02-312-4567", "기초생활수급", 1, None],
        [2, "천연동", "최나래", "1961.7.9", addr2, None, "+82 10-2222-3333", None, 4, None],
        [3, "천연동", "정미정", None, "서대문구 없는길 1", None, None, None, 1, None],
    ]
    content = xlsx(rows)
    district = as_user("district")
    preview = upload(client, district, content).json()
    before = household_count(session)
    r = client.post(f"/api/v1/imports/{preview['id']}/commit", json={"version": preview["version"]},
                    headers=district)
    assert r.status_code == 200, r.text
    done = r.json()
    assert done["status"] == "committed"
    assert done["applied"] == {"created": 2, "updated": 0, "queued": 1, "pending": 0, "unmatched": 0, "skipped": 0}
    assert household_count(session) == before + 2
    created = session.execute(select(Household).where(Household.head_name == "이가온")).scalar_one()
    assert created.head_birth_date == date(1952, 3, 15) and created.support_status == "기초생활수급"
    assert created.address == f"{addr1} 2층" and created.phone == "02-312-4567"
    assert created.dong_id == chunyeon.id and created.risk_level == "unvisited"
    assert created.placement in ("building", "entrance")
    x, y = session.execute(select(Household.geom.ST_X(), Household.geom.ST_Y())
                           .where(Household.id == created.id)).one()
    assert (x, y) == pytest.approx((lon1, lat1), abs=1e-6)

    again = client.post(f"/api/v1/imports/{preview['id']}/commit", json={"version": done["version"]},
                        headers=district)
    assert again.status_code == 409 and "이미 반영" in again.json()["detail"]

    # the same file again: the two households match, nothing is created twice, the queue keeps one entry
    second = upload(client, district, content).json()
    assert second["counts"]["matched"] == 2 and second["counts"]["new"] == 0
    client.post(f"/api/v1/imports/{second['id']}/commit", json={"version": second["version"]}, headers=district)
    assert household_count(session) == before + 2
    queue = client.get("/api/v1/placement-queue", headers=district).json()
    assert [i["head_name"] for i in queue["items"]].count("정*정") == 1


def test_a_queued_row_is_placed_by_a_person(client, as_user, session, chunyeon):
    district = as_user("district")
    preview = upload(client, district, xlsx([[1, "천연동", "한지붕", None, "서대문구 모르는길 77", "3층", None,
                                              None, 1, None]])).json()
    assert preview["counts"]["unplaced"] == 1
    client.post(f"/api/v1/imports/{preview['id']}/commit", json={"version": preview["version"]}, headers=district)
    item = next(i for i in client.get("/api/v1/placement-queue", headers=district).json()["items"]
                if i["import_id"] == preview["id"])
    assert item["state"] == "queued" and item["dong_name"] == "천연동"
    office = session.execute(select(func.ST_X(func.ST_PointOnSurface(Dong.geom)),
                                    func.ST_Y(func.ST_PointOnSurface(Dong.geom))).where(Dong.id == chunyeon.id)).one()
    outside = client.post(f"/api/v1/placement-queue/{item['id']}/place",
                          json={"lon": 127.3, "lat": 37.1, "version": item["version"]}, headers=district)
    assert outside.status_code == 422 and "관할 구역 밖" in outside.json()["detail"]
    r = client.post(f"/api/v1/placement-queue/{item['id']}/place",
                    json={"lon": office[0], "lat": office[1], "version": item["version"]}, headers=district)
    assert r.status_code == 201, r.text
    household = session.get(Household, r.json()["household_id"])
    assert household.head_name == "한지붕" and household.placement == "manual" and household.dong_id == chunyeon.id
    assert household.address == "서대문구 모르는길 77 3층"
    twice = client.post(f"/api/v1/placement-queue/{item['id']}/place",
                        json={"lon": office[0], "lat": office[1], "version": item["version"]}, headers=district)
    assert twice.status_code == 409
    left = client.get("/api/v1/placement-queue", headers=district).json()["items"]
    assert item["id"] not in [i["id"] for i in left]


def test_a_corrected_mapping_plans_again_and_is_kept_for_the_next_round(client, as_user, session):
    (addr, *_), = known_addresses(session, "천연동", 1)
    headers = ["구분", "대상자", "거주지", "전번"]
    content = xlsx([["천연동", "오세훈", addr, "010-1111-2222"]], headers=headers, title=None)
    district = as_user("district")
    first = upload(client, district, content).json()
    assert first["mapping"]["head_name"] == "대상자" and first["mapping"]["phone"] is None
    fixed = client.post(f"/api/v1/imports/{first['id']}/mapping",
                        json={"mapping": {**first["mapping"], "phone": "전번", "dong_name": "구분"},
                              "version": first["version"]}, headers=district)
    assert fixed.status_code == 200, fixed.text
    assert fixed.json()["mapping"]["phone"] == "전번" and fixed.json()["version"] > first["version"]
    stale = client.post(f"/api/v1/imports/{first['id']}/mapping",
                        json={"mapping": first["mapping"], "version": first["version"]}, headers=district)
    assert stale.status_code == 409
    bad = client.post(f"/api/v1/imports/{first['id']}/mapping",
                      json={"mapping": {**first["mapping"], "phone": "없는 열"}, "version": fixed.json()["version"]},
                      headers=district)
    assert bad.status_code == 422 and "없는 열" in bad.json()["detail"]
    client.post(f"/api/v1/imports/{first['id']}/commit", json={"version": fixed.json()["version"]},
                headers=district)
    next_round = upload(client, district, content, name="다음차.xlsx").json()
    assert next_round["mapping_saved"] is True and next_round["mapping"]["phone"] == "전번"


def test_a_dong_officer_imports_only_their_dong_and_sees_only_their_imports(client, as_user, session, chunyeon):
    (own, *_), = known_addresses(session, "천연동", 1)
    (other, *_), = known_addresses(session, "연희동", 1)
    rows = [[1, "천연동", "우리동", None, own, None, None, None, 1, None],
            [2, "연희동", "남의동", "1970-01-01", other, None, "010-5555-6666", None, 1, "남의 동 메모"],
            [3, None, "남구청", None, "부산광역시 해운대구 해운대로 1", None, None, None, 1, None]]
    dong01 = as_user("dong01")
    r = upload(client, dong01, xlsx(rows))
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["counts"]["new"] == 1 and body["counts"]["out_of_scope"] == 2
    stored = session.execute(select(ImportRow).where(ImportRow.import_id == body["id"])
                             .order_by(ImportRow.row_no)).scalars().all()
    for row in stored[1:]:
        assert row.outcome == "out_of_scope" and row.values == {} and row.cells == {} and row.note
    assert "남의" not in json.dumps([r.cells for r in stored], ensure_ascii=False)
    assert client.get(f"/api/v1/imports/{body['id']}", headers=as_user("dong02")).status_code == 404
    assert client.get(f"/api/v1/imports/{body['id']}/rows", headers=as_user("dong02")).status_code == 404
    assert client.post(f"/api/v1/imports/{body['id']}/commit", json={"version": body["version"]},
                       headers=as_user("dong02")).status_code == 404
    assert upload(client, as_user("tongjang01"), xlsx(rows)).status_code == 403
    assert upload(client, as_user("partner01"), xlsx(rows)).status_code == 403
    done = client.post(f"/api/v1/imports/{body['id']}/commit", json={"version": body["version"]}, headers=dong01)
    assert done.json()["applied"]["created"] == 1 and done.json()["applied"]["skipped"] == 2
    assert session.execute(select(func.count()).select_from(Household)
                           .where(Household.head_name.in_(["남의동", "남구청"]))).scalar_one() == 0


def test_bad_files_answer_in_korean_and_store_nothing(client, as_user, session):
    district = as_user("district")
    before = session.execute(select(func.count()).select_from(ImportBatch)).scalar_one()
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 100
    cases = {
        "사진.xlsx": png,
        "빈.csv": b"",
        "headers.xlsx": xlsx([], title=None),
    }
    for name, content in cases.items():
        r = upload(client, district, content, name=name)
        if name == "headers.xlsx":
            assert r.status_code == 422 and "행이 없습니다" in r.json()["detail"], r.text
        else:
            assert r.status_code == 422, (name, r.text)
            assert any("\uac00" <= ch <= "\ud7a3" for ch in r.json()["detail"])
    assert upload(client, district, xlsx([]), kind="nonsense").status_code == 422
    assert upload(client, district, xlsx([[1]]), mapping="not json").status_code == 422
    assert session.execute(select(func.count()).select_from(ImportBatch)).scalar_one() == before
    # a 발굴 list needs its round: from the form, the file name, or a clear 422
    one_row = xlsx([[1, "천연동", "가", None, "서대문구 연희로 1", None, None, None, 1, None]])
    no_round = upload(client, district, one_row, name="명단.xlsx", kind="discovery_list")
    assert no_round.status_code == 422 and "차수" in no_round.json()["detail"]


def test_a_csv_in_cp949_with_an_rrn_column_keeps_the_number_encrypted_only(client, as_user, session, rrn_keys):
    (addr, *_), = known_addresses(session, "천연동", 1)
    csv_text = f"성명,주민등록번호,주소,연락처\n홍길순,{RRN},{addr},010-4444-5555\n홍길남,999999-9999999,{addr},\n"
    district = as_user("district")
    r = upload(client, district, csv_text.encode("cp949"), name="명단.csv")
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["mapping"]["rrn"] == "주민등록번호" and body["counts"]["error"] == 1
    rows = client.get(f"/api/v1/imports/{body['id']}/rows", headers=district).json()
    stored = session.execute(select(ImportRow).where(ImportRow.import_id == body["id"])).scalars().all()
    everything = json.dumps([body, rows, [(r.values, r.cells, r.errors, r.note) for r in stored]], ensure_ascii=False,
                            default=str)
    for secret in ("1234567", "8001011234567", "9999999"):
        assert secret not in everything
    good = next(r for r in stored if r.outcome != "error")
    assert good.rrn_ciphertext and good.rrn_lookup_hash and good.cells["주민등록번호"] == "800101-1******"
    client.post(f"/api/v1/imports/{body['id']}/commit", json={"version": body["version"]}, headers=district)
    found = client.post("/api/v1/households/lookup-rrn", json={"rrn": RRN, "purpose": "가져오기 확인"},
                        headers=district).json()
    assert len(found["household_ids"]) == 1


def test_imports_and_their_rows_leave_access_records(client, as_user, session):
    (addr, *_), = known_addresses(session, "천연동", 1)
    district = as_user("district")
    last = session.execute(select(func.coalesce(func.max(AccessRecord.id), 0))).scalar_one()
    body = upload(client, district, xlsx([[1, "천연동", "기록이", None, addr, None, None, None, 1, None]])).json()
    client.get(f"/api/v1/imports/{body['id']}/rows", headers=district)
    done = client.post(f"/api/v1/imports/{body['id']}/commit", json={"version": body["version"]},
                       headers=district)
    assert done.status_code == 200
    session.expire_all()
    records = session.execute(select(AccessRecord).where(AccessRecord.id > last).order_by(AccessRecord.id)
                              ).scalars().all()
    resources = [(r.action, r.resource) for r in records]
    assert ("list", f"POST /api/v1/imports/{body['id']}") in resources
    assert ("list", f"GET /api/v1/imports/{body['id']}/rows") in resources
    created = session.execute(select(Household.id).where(Household.head_name == "기록이")).scalar_one()
    assert any(r.action == "create" and created in r.household_ids for r in records)


def test_a_discarded_preview_keeps_nothing(client, as_user, session):
    district = as_user("district")
    body = upload(client, district, xlsx([[1, "천연동", "버릴이", None, "서대문구 연희로 1", None, None, None, 1,
                                           None]])).json()
    assert client.delete(f"/api/v1/imports/{body['id']}", headers=district).status_code == 204
    batch = session.get(ImportBatch, body["id"])
    session.refresh(batch)
    assert batch.status == "discarded" and batch.content is None
    assert session.execute(select(func.count()).select_from(ImportRow)
                           .where(ImportRow.import_id == body["id"])).scalar_one() == 0
    assert client.post(f"/api/v1/imports/{body['id']}/commit", json={"version": batch.version},
                       headers=district).status_code == 409


def test_two_commits_of_one_preview_at_once_give_one_200_and_one_409(fresh):
    headers = login(fresh.client, "district")
    with fresh.engine.connect() as conn:
        (addr,) = conn.execute(text("SELECT e.sido || ' ' || e.sigungu || ' ' || e.road_name || ' ' || e.main_no "
                                    "FROM address_entrances e WHERE e.sub_no = 0 AND NOT e.building_group "
                                    "ORDER BY e.id LIMIT 1")).one()
    body = upload(fresh.client, headers, xlsx([[1, None, "동시에", None, addr, None, None, None, 1, None]])).json()
    answers = at_once(2, lambda: fresh.client.post(f"/api/v1/imports/{body['id']}/commit",
                                                   json={"version": body["version"]}, headers=headers).status_code)
    assert sorted(answers) == [200, 409]
    with fresh.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM households WHERE head_name = '동시에'")).scalar_one() == 1


def test_the_same_name_in_the_same_building_matches_and_a_similar_one_is_only_suggested(client, as_user, session,
                                                                                        chunyeon):
    existing = session.execute(select(Household).where(Household.dong_id == chunyeon.id, Household.status == "active")
                               .order_by(Household.id.desc()).limit(1)).scalar_one()
    typo = existing.head_name[0] + "x" + existing.head_name[2:] if len(existing.head_name) > 2 else "갑을"
    rows = [[1, "천연동", existing.head_name, None, existing.address, "지하1층", None, None, 1,
             None],
            [2, "천연동", typo, None, existing.address, None, None, None, 1, None]]
    body = upload(client, as_user("district"), xlsx(rows)).json()
    listed = {i["row"]: i for i in client.get(f"/api/v1/imports/{body['id']}/rows",
                                              headers=as_user("district")).json()["items"]}
    assert listed[3]["outcome"] == "matched" and listed[3]["household_id"] == existing.id
    assert listed[4]["outcome"] == "new" and listed[4]["household_id"] is None
    assert listed[4]["suggestion"]["household_id"] == existing.id and "확인" in listed[4]["note"]


def test_columns_no_one_can_recognise_are_named_back_so_a_person_maps_them(client, as_user, session):
    (addr, *_), = known_addresses(session, "천연동", 1)
    content = xlsx([["가나다", addr]], headers=["보호대상 성함", "사는 곳"], title=None)
    district = as_user("district")
    r = upload(client, district, content)
    assert r.status_code == 422 and r.json()["code"] == "mapping_required", r.text
    body = r.json()
    assert body["headers"] == ["보호대상 성함", "사는 곳"]
    assert {"name": "head_name", "label": "성명", "required": True} in body["fields"]
    assert any("\uac00" <= ch <= "\ud7a3" for ch in body["detail"])
    again = upload(client, district, content, mapping={"head_name": "보호대상 성함", "address": "사는 곳"})
    assert again.status_code == 201, again.text
    assert again.json()["counts"]["new"] == 1


def test_the_edge_refuses_bombs_oversized_files_and_reads_a_cp949_csv_sent_as_utf8(client, as_user, session):
    from tests.test_import_reading import MAX_UNCOMPRESSED, MB, _bomb
    district = as_user("district")
    before = session.execute(select(func.count()).select_from(ImportBatch)).scalar_one()
    bomb = upload(client, district, _bomb(MAX_UNCOMPRESSED // MB + 20), name="명단.xlsx")
    assert bomb.status_code == 422 and "압축" in bomb.json()["detail"], bomb.text
    huge = client.post("/api/v1/imports", files={"file": ("큰파일.csv", b"0" * (20 * 1024 * 1024 + 1))},
                       data={"kind": "households"}, headers=district)
    assert huge.status_code == 413 and "20MB" in huge.json()["detail"]
    assert session.execute(select(func.count()).select_from(ImportBatch)).scalar_one() == before
    (addr, *_), = known_addresses(session, "천연동", 1)
    cp949 = f"성명,주소,연락처\n윤한글,{addr},010.2345.6789\n".encode("cp949")
    r = client.post("/api/v1/imports", files={"file": ("명단.csv", cp949, "text/csv; charset=utf-8")},
                    data={"kind": "households"}, headers=district)
    assert r.status_code == 201, r.text
    row = client.get(f"/api/v1/imports/{r.json()['id']}/rows", headers=district).json()["items"][0]
    assert row["head_name"] == "윤*글" and row["outcome"] == "new"
