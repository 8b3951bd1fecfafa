"""The 발굴 list round: import with its round and data signals, the round filter, progress, the recorded 조사
outcome (versioned), and the results file in the list's own columns plus the outcome columns."""
import io
from datetime import timedelta

import openpyxl
import pytest
from sqlalchemy import func, select

from app.access.models import AccessRecord
from app.households.models import Household
from tests.conftest import today
from tests.test_imports import known_addresses, upload, xlsx

HEADERS = ["발굴관리번호", "읍면동", "성명", "생년월일", "주소", "연락처", "위기정보", "단수", "금융연체(Y/N)"]
ROUND_FILE = "2026년 6차 복지사각지대 발굴대상자.xlsx"


def discovery_xlsx(rows: list[list]) -> bytes:
    """The national list's shape as we expect it: title lines, then Y flag columns beside the 위기정보 text."""
    return xlsx(rows, HEADERS, ("2026년 6차 복지사각지대 발굴 대상자 명단 (서대문구)", "작성일: 2026-12-01"))


@pytest.fixture
def round_import(client, as_user, session):
    """A committed round: one known household, one new at a known address, one nobody can place."""
    existing = session.execute(select(Household)
                               .where(Household.status == "active", Household.dong_id == 1)
                               .order_by(Household.id).limit(1)).scalar_one()
    (addr, *_), = known_addresses(session, "천연동", 1)
    rows = [
        ["B-2026-0001", "천연동", existing.head_name, None, existing.address, "010-1000-2000",
         "단전, 건강보험료 체납", "Y", None],
        ["B-2026-0002", "천연동", "문발굴", "1959-09-09", addr, "010-3000-4000", "관리비 체납", None, "Y"],
        ["B-2026-0003", "천연동", "소재불명", "1970-01-01", "서울특별시 서대문구 없는로 404", None, "통신비 체납",
         None, None],
    ]
    district = as_user("district")
    preview = upload(client, district, discovery_xlsx(rows), name=ROUND_FILE, kind="discovery_list")
    assert preview.status_code == 201, preview.text
    body = preview.json()
    done = client.post(f"/api/v1/imports/{body['id']}/commit", json={"version": body["version"]}, headers=district)
    assert done.status_code == 200, done.text
    return {"import": body, "existing": existing}


def test_a_round_imports_with_its_round_signals_and_due_date(round_import, client, as_user, session):
    body = round_import["import"]
    assert body["round"] == "2026-6차"
    assert body["due_on"] == (today() + timedelta(days=14)).isoformat()
    assert body["counts"] == {"new": 1, "matched": 1, "unplaced": 1, "error": 0, "out_of_scope": 0}
    assert body["mapping"]["source_key"] == "발굴관리번호" and body["mapping"]["signals"] == "위기정보"
    district = as_user("district")
    detail = client.get(f"/api/v1/households/{round_import['existing'].id}", headers=district).json()
    (entry,) = detail["discovery"]
    assert entry["round"] == "2026-6차" and entry["contact"] is None
    assert set(entry["signals"]) == {"단전", "건강보험료 체납", "단수"}
    new = session.execute(select(Household).where(Household.head_name == "문발굴")).scalar_one()
    assert new.source_key == "B-2026-0002"
    new_entry = client.get(f"/api/v1/households/{new.id}", headers=district).json()["discovery"][0]
    assert set(new_entry["signals"]) == {"관리비 체납", "금융연체"}
    # the signals are the list's data, not what a visit found: the household's needs and risk are untouched
    assert new.open_needs == [] and new.risk_level == "unvisited"


def test_the_round_filter_and_progress(round_import, client, as_user, session):
    district = as_user("district")
    listed = client.get("/api/v1/households", params={"round": "2026-6차"}, headers=district).json()
    names = {i["head_name"] for i in listed["items"]}
    assert listed["total"] == 2 and "문*굴" in names
    layer = client.get("/api/v1/layers/households", params={"round": "2026-6차", "dong_id": 1},
                       headers=district).json()
    assert len(layer["features"]) == 2
    assert client.get("/api/v1/households", params={"round": "2025-1차"}, headers=district).json()["total"] == 0
    (progress,) = [r for r in client.get("/api/v1/discovery/rounds", headers=district).json()["items"]
                   if r["import_id"] == round_import["import"]["id"]]
    assert progress["rows"] == 3 and progress["placed"] == 2 and progress["queued"] == 1
    assert progress["not_contacted"] == 3 and progress["reached"] == 0 and progress["overdue"] == 0
    assert progress["outcomes"]["emergency_aid"] == 0
    # another dong's officer sees no rows of this round
    other = client.get("/api/v1/discovery/rounds", headers=as_user("dong02")).json()["items"]
    assert all(r["import_id"] != round_import["import"]["id"] for r in other)


def test_the_outcome_is_recorded_once_per_version(round_import, client, as_user, session):
    district = as_user("district")
    household_id = round_import["existing"].id
    entry = client.get(f"/api/v1/households/{household_id}", headers=district).json()["discovery"][0]
    r = client.post(f"/api/v1/households/{household_id}/discovery",
                    json={"import_id": entry["import_id"], "contact": "reached", "outcome": "emergency_aid",
                          "note": "긴급 생계지원 신청", "version": entry["version"]}, headers=district)
    assert r.status_code == 200, r.text
    assert r.json()["outcome"] == "emergency_aid" and r.json()["version"] == entry["version"] + 1
    stale = client.post(f"/api/v1/households/{household_id}/discovery",
                        json={"import_id": entry["import_id"], "contact": "absent", "version": entry["version"]},
                        headers=district)
    assert stale.status_code == 409 and "먼저" in stale.json()["detail"]
    empty = client.post(f"/api/v1/households/{household_id}/discovery",
                        json={"import_id": entry["import_id"], "version": r.json()["version"]}, headers=district)
    assert empty.status_code == 422
    bad = client.post(f"/api/v1/households/{household_id}/discovery",
                      json={"import_id": entry["import_id"], "outcome": "cured", "version": r.json()["version"]},
                      headers=district)
    assert bad.status_code == 422
    assert client.post(f"/api/v1/households/{household_id}/discovery",
                       json={"import_id": entry["import_id"], "contact": "reached", "version": 1},
                       headers=as_user("dong02")).status_code == 404
    progress = next(p for p in client.get("/api/v1/discovery/rounds", headers=district).json()["items"]
                    if p["import_id"] == entry["import_id"])
    assert progress["reached"] == 1 and progress["outcomes"]["emergency_aid"] == 1 and progress["not_contacted"] == 2


def test_the_results_file_is_the_round_in_its_own_columns_plus_outcomes(round_import, client, as_user, session):
    district = as_user("district")
    household_id = round_import["existing"].id
    import_id = round_import["import"]["id"]
    entry = client.get(f"/api/v1/households/{household_id}", headers=district).json()["discovery"][0]
    client.post(f"/api/v1/households/{household_id}/discovery",
                json={"import_id": import_id, "contact": "reached", "outcome": "private_link",
                      "version": entry["version"]}, headers=district)
    last = session.execute(select(func.coalesce(func.max(AccessRecord.id), 0))).scalar_one()
    r = client.get("/api/v1/exports/discovery-results.xlsx", params={"import_id": import_id, "purpose": "결과 회신"},
                   headers=district)
    assert r.status_code == 200, r.text
    assert "attachment" in r.headers["content-disposition"]
    sheet = openpyxl.load_workbook(io.BytesIO(r.content), read_only=True).active
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert rows[0][:len(HEADERS)] == HEADERS
    assert rows[0][len(HEADERS):len(HEADERS) + 3] == ["연락 결과", "조사 결과", "처리 메모"]
    by_key = {row[0]: row for row in rows[1:]}
    assert set(by_key) == {"B-2026-0001", "B-2026-0002", "B-2026-0003"}
    first = by_key["B-2026-0001"]
    assert first[len(HEADERS)] == "연락됨" and first[len(HEADERS) + 1] == "민간서비스 연계"
    assert "*" in first[2]  # names masked unless revealed
    assert by_key["B-2026-0003"][HEADERS.index("주소")] == "서울특별시 서대문구 없는로 404"
    session.expire_all()
    record = session.execute(select(AccessRecord).where(AccessRecord.id > last, AccessRecord.action == "export")
                             ).scalar_one()
    assert record.purpose == "결과 회신" and household_id in record.household_ids
    assert client.get("/api/v1/exports/discovery-results.xlsx", params={"import_id": import_id},
                      headers=district).status_code == 422  # no purpose
    assert client.get("/api/v1/exports/discovery-results.xlsx",
                      params={"import_id": import_id, "purpose": "결과 회신"},
                      headers=as_user("dong02")).status_code == 404
