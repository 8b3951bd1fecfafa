"""Service links: create, list with history, status changes with version, needs met, partner scope."""
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.auth.models import User, UserDong
from app.config import get_settings
from app.facilities.models import Facility
from app.households.models import Household
from app.visits.models import ServiceLink, ServiceLinkEvent

HANGUL = re.compile(r"[가-힣]")


def household_in(session, username: str = "dong01", level: str = "low") -> Household:
    dong_id = session.execute(select(UserDong.dong_id).join(User, User.id == UserDong.user_id)
                              .where(User.username == username)).scalar_one()
    return session.execute(select(Household).where(Household.dong_id == dong_id, Household.risk_level == level,
                                                   Household.status == "active")
                           .order_by(Household.id).limit(1)).scalar_one()


def partner_facility(session) -> int:
    return session.execute(select(User.facility_id).where(User.username == "partner01")).scalar_one()


def record_need(client, headers, household_id: int, need: str) -> None:
    r = client.post(f"/api/v1/households/{household_id}/visits", headers=headers, json={
        "visited_at": (get_settings().now() - timedelta(minutes=30)).isoformat(), "contact_type": "visit",
        "visitor_types": ["official"], "needs": [need]})
    assert r.status_code == 201 and need in r.json()["household"]["needs"]


def links_of(session, household_id: int) -> int:
    return session.scalar(select(func.count()).select_from(ServiceLink).where(ServiceLink.household_id == household_id))


def test_a_link_is_created_listed_and_its_history_kept(client, as_user, session):
    h = household_in(session)
    headers = as_user("dong01")
    record_need(client, headers, h.id, "food")
    facility = partner_facility(session)
    r = client.post(f"/api/v1/households/{h.id}/services", headers=headers, json={
        "type": "in_kind_support", "facility_id": facility, "status": "requested", "note": "쌀 10kg", "need": "food"})
    assert r.status_code == 201, r.text
    link = r.json()
    assert (link["type"], link["status"], link["need"], link["facility_id"]) == (
        "in_kind_support", "requested", "food", facility)
    assert link["facility_name"] and link["version"] == 1 and link["created_by"] == "dong01"
    assert [e["status"] for e in link["history"]] == ["requested"]

    r = client.patch(f"/api/v1/households/{h.id}/services/{link['id']}", headers=headers,
                     json={"status": "in_progress", "note": "기관 접수", "version": 1})
    assert r.status_code == 200, r.text
    assert r.json()["version"] == 2 and [e["status"] for e in r.json()["history"]] == ["requested", "in_progress"]
    assert "food" in client.get(f"/api/v1/households/{h.id}", headers=headers).json()["needs"]

    r = client.patch(f"/api/v1/households/{h.id}/services/{link['id']}", headers=headers | {"If-Match": '"2"'},
                     json={"status": "delivered", "note": "전달 완료"})
    assert r.status_code == 200, r.text
    assert [e["status"] for e in r.json()["history"]] == ["requested", "in_progress", "delivered"]
    assert r.json()["history"][-1]["note"] == "전달 완료"
    assert "food" not in client.get(f"/api/v1/households/{h.id}", headers=headers).json()["needs"]

    listed = client.get(f"/api/v1/households/{h.id}/services", headers=headers).json()
    assert listed["total"] == links_of(session, h.id) and listed["items"][0]["id"] == link["id"]
    events = session.scalar(select(func.count()).select_from(ServiceLinkEvent)
                            .where(ServiceLinkEvent.service_link_id == link["id"]))
    assert events == 3


def test_a_link_delivered_at_once_meets_its_need(client, as_user, session):
    h = household_in(session)
    headers = as_user("dong01")
    record_need(client, headers, h.id, "finance")
    r = client.post(f"/api/v1/households/{h.id}/services", headers=headers,
                    json={"type": "cash_support", "status": "delivered", "need": "finance"})
    assert r.status_code == 201
    assert "finance" not in client.get(f"/api/v1/households/{h.id}", headers=headers).json()["needs"]


def test_a_need_met_after_a_back_dated_visit_stays_met(client, as_user, session):
    h = household_in(session)
    headers = as_user("dong01")
    record_need(client, headers, h.id, "legal")
    client.post(f"/api/v1/households/{h.id}/services", headers=headers,
                json={"type": "referral", "status": "delivered", "need": "legal"})
    earlier = h.last_visit_at - timedelta(hours=1)  # before the delivery just recorded
    r = client.post(f"/api/v1/households/{h.id}/visits", headers=headers, json={
        "visited_at": earlier.isoformat(), "contact_type": "visit", "visitor_types": ["official"],
        "needs": ["legal", "education"]})
    assert r.status_code == 201, r.text
    assert "legal" not in r.json()["household"]["needs"] and "education" in r.json()["household"]["needs"]


def test_stale_or_missing_versions_change_nothing(client, as_user, session):
    h = household_in(session)
    headers = as_user("dong01")
    link = client.post(f"/api/v1/households/{h.id}/services", headers=headers,
                       json={"type": "referral", "status": "requested"}).json()
    url = f"/api/v1/households/{h.id}/services/{link['id']}"
    assert client.patch(url, headers=headers, json={"status": "in_progress", "version": 1}).status_code == 200
    stale = client.patch(url, headers=headers, json={"status": "declined", "version": 1})
    assert stale.status_code == 409 and HANGUL.search(stale.json()["detail"])
    missing = client.patch(url, headers=headers, json={"status": "declined"})
    assert missing.status_code == 422 and "version" in missing.json()["detail"]
    now = client.get(f"/api/v1/households/{h.id}/services", headers=headers).json()["items"][0]
    assert now["status"] == "in_progress" and now["version"] == 2 and len(now["history"]) == 2


def test_a_delivered_link_cannot_go_back(client, as_user, session):
    h = household_in(session)
    headers = as_user("dong01")
    link = client.post(f"/api/v1/households/{h.id}/services", headers=headers,
                       json={"type": "referral", "status": "delivered"}).json()
    r = client.patch(f"/api/v1/households/{h.id}/services/{link['id']}", headers=headers,
                     json={"status": "requested", "version": link["version"]})
    assert r.status_code == 422 and "제공 완료" in r.json()["detail"]


BAD_LINKS = {
    "unknown type": ({"type": "magic", "status": "requested"}, "서비스 연계 유형"),
    "unknown status": ({"type": "referral", "status": "maybe"}, "허용되지 않는"),
    "unknown need": ({"type": "referral", "need": "yacht"}, "욕구"),
    "unknown facility": ({"type": "referral", "facility_id": 99999999}, "기관"),
    "unknown field": ({"type": "referral", "cost": 3}, "알 수 없는 항목"),
}


@pytest.mark.parametrize("case", list(BAD_LINKS))
def test_bad_links_are_refused_in_korean(client, as_user, session, case):
    body, words = BAD_LINKS[case]
    h = household_in(session)
    before = links_of(session, h.id)
    r = client.post(f"/api/v1/households/{h.id}/services", headers=as_user("dong01"), json=body)
    assert r.status_code == 422 and words in r.json()["detail"] and HANGUL.search(r.json()["detail"])
    assert links_of(session, h.id) == before


def test_a_visit_of_another_household_is_refused(client, as_user, session):
    h, other = household_in(session), household_in(session, level="high")
    other_visit = client.get(f"/api/v1/households/{other.id}/visits", headers=as_user("dong01")).json()["items"][0]
    r = client.post(f"/api/v1/households/{h.id}/services", headers=as_user("dong01"),
                    json={"type": "referral", "visit_id": other_visit["id"]})
    assert r.status_code == 422 and "visit_id" in r.json()["detail"]


def test_a_partner_sees_and_updates_only_its_referrals(client, as_user, session):
    h = household_in(session)
    staff, partner = as_user("dong01"), as_user("partner01")
    facility = partner_facility(session)
    other_facility = session.scalar(select(Facility.id).where(Facility.id != facility).order_by(Facility.id))
    assert client.get(f"/api/v1/households/{h.id}/services", headers=partner).status_code == 404  # not referred yet
    mine = client.post(f"/api/v1/households/{h.id}/services", headers=staff, json={
        "type": "referral", "facility_id": facility, "need": "food"}).json()
    theirs = client.post(f"/api/v1/households/{h.id}/services", headers=staff, json={
        "type": "referral", "facility_id": other_facility}).json()

    listed = client.get(f"/api/v1/households/{h.id}/services", headers=partner)
    assert listed.status_code == 200 and [i["id"] for i in listed.json()["items"]] == [mine["id"]]
    r = client.patch(f"/api/v1/households/{h.id}/services/{mine['id']}", headers=partner,
                     json={"status": "delivered", "note": "식품 꾸러미 전달", "version": 1})
    assert r.status_code == 200 and r.json()["history"][-1]["changed_by"] == "partner01"
    assert client.patch(f"/api/v1/households/{h.id}/services/{theirs['id']}", headers=partner,
                        json={"status": "delivered", "version": 1}).status_code == 404
    assert client.patch(f"/api/v1/households/{h.id}/services/{mine['id']}", headers=partner,
                        json={"status": "requested", "version": 2}).status_code == 403
    r = client.post(f"/api/v1/households/{h.id}/services", headers=partner, json={"type": "referral"})
    assert r.status_code == 403


def test_links_outside_the_area_answer_404(client, as_user, session):
    other = household_in(session, "dong02")
    headers = as_user("dong01")
    assert client.get(f"/api/v1/households/{other.id}/services", headers=headers).status_code == 404
    assert client.post(f"/api/v1/households/{other.id}/services", headers=headers,
                       json={"type": "referral"}).status_code == 404
    link_id = session.scalar(select(ServiceLink.id).where(ServiceLink.household_id == other.id)) or 1
    assert client.patch(f"/api/v1/households/{other.id}/services/{link_id}", headers=headers,
                        json={"status": "declined", "version": 1}).status_code == 404
    assert client.get(f"/api/v1/households/{other.id}/services", headers=as_user("tongjang01")).status_code == 403
