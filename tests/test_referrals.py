"""The referral inbox: a partner finds what was referred to its agency and records the service delivered."""
from sqlalchemy import func, select

from app.auth.models import User
from app.households.models import Household
from app.visits.models import ServiceLink


def _partner_facility(session) -> int:
    return session.execute(select(User.facility_id).where(User.username == "partner01")).scalar_one()


def test_partner_sees_only_its_open_referrals_masked(client, as_user, session):
    facility_id = _partner_facility(session)
    expected = session.execute(
        select(func.count()).select_from(ServiceLink).join(Household, Household.id == ServiceLink.household_id)
        .where(ServiceLink.facility_id == facility_id, ServiceLink.status.in_(("requested", "in_progress")),
               Household.status == "active")).scalar_one()
    body = client.get("/api/v1/referrals?limit=500", headers=as_user("partner01")).json()
    assert body["total"] == expected > 0 and body["facility_id"] == facility_id
    for item in body["items"]:
        assert item["status"] in ("requested", "in_progress")
        name = session.get(Household, item["household_id"]).head_name
        assert item["household"]["head_name"] != name and "*" in item["household"]["head_name"]
        assert set(item["household"]) == {"id", "head_name", "dong_name", "members", "risk_level", "color", "needs"}
    created = [i["created_at"] for i in body["items"]]
    assert created == sorted(created)


def test_partner_records_delivery_from_the_inbox(client, as_user, session):
    headers = as_user("partner01")
    item = client.get("/api/v1/referrals?limit=1", headers=headers).json()["items"][0]
    done = client.patch(f"/api/v1/households/{item['household_id']}/services/{item['id']}", headers=headers,
                        json={"status": "delivered", "note": "식품 꾸러미 전달", "version": item["version"]})
    assert done.status_code == 200, done.text
    delivered = client.get("/api/v1/referrals?status=delivered&limit=500", headers=headers).json()["items"]
    assert item["id"] in {i["id"] for i in delivered}


def test_inbox_scope_and_bad_input(client, as_user, session):
    facility_id = _partner_facility(session)
    assert client.get(f"/api/v1/referrals?facility_id={facility_id + 1}", headers=as_user("partner01")).status_code \
        == 404
    assert client.get("/api/v1/referrals", headers=as_user("tongjang01")).status_code == 403
    staff = client.get("/api/v1/referrals", headers=as_user("dong01"))
    assert staff.status_code == 422 and "facility_id" in staff.json()["detail"]
    own = client.get(f"/api/v1/referrals?facility_id={facility_id}&status=all&limit=500", headers=as_user("dong01"))
    assert own.status_code == 200
    dong01 = set(client.get("/api/v1/auth/me", headers=as_user("dong01")).json()["dong_ids"])
    assert all(session.get(Household, i["household_id"]).dong_id in dong01 for i in own.json()["items"])
    assert client.get("/api/v1/referrals?status=lost", headers=as_user("partner01")).status_code == 422
