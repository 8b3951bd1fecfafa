"""A 주민등록번호 typed into any free-text field (visit notes, service notes, reports) is never stored as typed."""
from sqlalchemy import select

from app.reports.models import Report
from app.validation import mask_rrn_in_text
from app.visits.models import ServiceLink, Visit
from tests.test_visits import a_visit, household_in

TYPED = "어르신 주민번호 450101-2345678 확인함"
STORED = "어르신 주민번호 450101-2****** 확인함"


def test_mask_rule():
    assert mask_rrn_in_text(TYPED) == STORED
    assert mask_rrn_in_text("4501012345678") == "450101-2******"
    assert mask_rrn_in_text("전화 010-1234-5678") == "전화 010-1234-5678"  # phone numbers are not RRNs


def test_visit_and_service_notes_are_masked(client, as_user, session):
    household = household_in(session)
    headers = as_user("dong01")
    visit = client.post(f"/api/v1/households/{household.id}/visits", headers=headers, json=a_visit(notes=TYPED))
    assert visit.status_code == 201, visit.text
    assert session.get(Visit, visit.json()["visit"]["id"]).notes == STORED
    link = client.post(f"/api/v1/households/{household.id}/services", headers=headers,
                       json={"type": "cash_support", "status": "requested", "note": TYPED})
    assert link.status_code == 201, link.text
    assert session.get(ServiceLink, link.json()["id"]).note == STORED


def test_report_description_is_masked_from_every_channel(client, as_user, session):
    web = client.post("/api/v1/reports", headers=as_user("tongjang01"),
                      json={"description": TYPED, "address": "어딘가 모르는 곳"})
    assert web.status_code == 201, web.text
    kakao = client.post("/integrations/kakao/skill?key=local-kakao-key", json={
        "userRequest": {"utterance": "혼자 사시는 할머니가 걱정돼요 " + TYPED, "user": {"id": "rrn-test-user"}},
        "action": {"params": {}, "detailParams": {}}})
    assert kakao.status_code == 200
    stored = session.execute(select(Report.description)).scalars().all()
    assert not any("2345678" in text for text in stored)
    assert sum(STORED in text for text in stored) == 2
