"""Access records (접속기록): one row per personal-data answer, append-only for the app role, a verifiable hash
chain, fail closed, and the monthly review."""
import json
import os
import random
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from app.access import report as access_report
from app.access import service as access
from app.access.models import AccessRecord
from app.auth.deps import CurrentUser
from app.config import get_settings
from app.deps import SessionDep
from app.households.models import Household
from app.idset import pack
from app.policy.permissions import ROUTES, operation_for
from app.policy.principal import Principal
from app.tracts.models import Dong, Tract
from app.visits.models import ServiceLink
from tests.conftest import login

ROOT = Path(__file__).resolve().parent.parent
SEOUL = ZoneInfo("Asia/Seoul")


def _records(session) -> list[AccessRecord]:
    return list(session.execute(select(AccessRecord).order_by(AccessRecord.id)).scalars())


def _max_id(session) -> int:
    return session.execute(select(func.coalesce(func.max(AccessRecord.id), 0))).scalar_one()


MAP_VIEWS = ("/api/v1/layers/households", "/api/v1/tiles/households/{z}/{x}/{y}.mvt")


class Script:
    """Sends requests by route template and keeps what a personal-data answer should have left behind."""

    def __init__(self, client: TestClient, headers: dict):
        self.client, self.headers = client, headers
        self.sent = 0
        self.expected: list[tuple[str, str]] = []  # (username, "METHOD /path") per personal-data 2xx answer

    def __call__(self, user: str, method: str, template: str, values: dict | None = None, **kwargs):
        path = template
        for name, value in (values or {}).items():
            path = path.replace("{" + name + "}", str(value))
        response = self.client.request(method, path, headers=self.headers[user], **kwargs)
        self.sent += 1
        op = operation_for(method, template)
        assert op is not None, template
        if op.personal and 200 <= response.status_code < 300:
            query = response.request.url.query.decode()
            # A map view (a layer, like a tile) is recorded by its whole request: which area, which filters.
            shown = f"{path}?{query}" if template in MAP_VIEWS and query else path
            self.expected.append((user, f"{method} {shown}"))
        return response


def test_scripted_session_writes_one_record_per_personal_data_answer(client, session, rrn_keys):
    users = ("admin", "district", "dong01", "tongjang01", "partner01")
    headers = {u: login(client, u) for u in users}
    me = {u: client.get("/api/v1/auth/me", headers=headers[u]).json() for u in users}
    dong_a = me["dong01"]["dong_ids"][0]
    own = list(session.execute(select(Household.id).where(Household.dong_id == dong_a, Household.status == "active")
                               .order_by(Household.id).limit(12)).scalars())
    other = session.execute(select(Household.id).where(Household.dong_id != dong_a).limit(1)).scalar_one()
    tract = session.execute(select(Tract.id).where(Tract.dong_id == dong_a).order_by(Tract.number).limit(1)).scalar()
    point = session.execute(select(func.ST_X(func.ST_PointOnSurface(Dong.geom)),
                                   func.ST_Y(func.ST_PointOnSurface(Dong.geom))).where(Dong.id == dong_a)).one()
    facility = client.get("/api/v1/auth/me", headers=headers["partner01"]).json()["facility_id"]
    referred = own[-1]
    session.add(ServiceLink(household_id=referred, type="referral", facility_id=facility, status="requested"))
    session.commit()
    start_id = _max_id(session)
    run = Script(client, headers)
    rng = random.Random(20261122)
    created: list[int] = []

    def list_own():
        run("dong01", "GET", "/api/v1/households", params={"limit": rng.choice([5, 20, 50])})

    def read_own():
        run("dong01", "GET", "/api/v1/households/{household_id}", {"household_id": rng.choice(own)})

    def read_other():
        assert run("dong01", "GET", "/api/v1/households/{household_id}", {"household_id": other}).status_code == 404

    def unmask():
        run("dong01", "POST", "/api/v1/households/{household_id}/unmask", {"household_id": rng.choice(own)},
            json={"purpose": "긴급 지원 연락"})

    def patch():
        hid = rng.choice(own[:6])
        current = run("dong01", "GET", "/api/v1/households/{household_id}", {"household_id": hid}).json()
        run("dong01", "PATCH", "/api/v1/households/{household_id}", {"household_id": hid},
            json={"members": rng.randint(1, 5), "version": current["version"]})

    def create():
        r = run("dong01", "POST", "/api/v1/households",
                json={"head_name": "홍길동", "address": "시험로 1", "lon": point[0], "lat": point[1],
                      "rrn": f"{rng.randint(50, 99)}0101-1{rng.randint(0, 999999):06d}"})
        if r.status_code == 201:
            created.append(r.json()["id"])

    def close():
        if created:
            hid = created.pop()
            version = run("dong01", "GET", "/api/v1/households/{household_id}", {"household_id": hid}).json()
            run("dong01", "POST", "/api/v1/households/{household_id}/close", {"household_id": hid},
                json={"reason": "moved_out", "version": version["version"]})

    def visit():
        run("dong01", "POST", "/api/v1/households/{household_id}/visits", {"household_id": rng.choice(own)},
            json={"visited_at": get_settings().now().isoformat(), "contact_type": "phone",
                  "visitor_types": ["official"], "indicators": rng.sample(["isolation", "debt", "disability"], 1),
                  "needs": ["food"]})

    def visits():
        run("dong01", "GET", "/api/v1/households/{household_id}/visits", {"household_id": rng.choice(own)})

    def services():
        run(rng.choice(["dong01", "partner01"]), "GET", "/api/v1/households/{household_id}/services",
            {"household_id": referred})

    def partner_read():
        run("partner01", "GET", "/api/v1/households/{household_id}", {"household_id": referred})
        assert run("partner01", "GET", "/api/v1/households", params={}).status_code == 403

    def admin_layer():
        run(rng.choice(["admin", "district", "dong01"]), "GET", "/api/v1/layers/households",
            params={"dong_id": dong_a, "risk": rng.choice(["high", "medium,high", "low"])})

    def report():
        run("tongjang01", "POST", "/api/v1/reports",
            json={"description": "옆집 어르신이 며칠째 보이지 않습니다", "lon": point[0], "lat": point[1]})
        run("tongjang01", "GET", "/api/v1/reports")

    def staff_reports():
        listed = run("dong01", "GET", "/api/v1/reports", params={"dong_id": dong_a}).json()
        if listed.get("items"):
            run("dong01", "GET", "/api/v1/reports/{report_id}", {"report_id": listed["items"][0]["id"]})

    def export():
        run("dong01", "GET", "/api/v1/exports/households.{fmt}", {"fmt": rng.choice(["csv", "xlsx"])},
            params={"purpose": "월간 현황 보고"})

    def print_tract():
        run("dong01", "GET", "/api/v1/print/tracts/{tract_id}.pdf", {"tract_id": tract},
            params={"purpose": "현장 방문"})

    def lookup():
        run("dong01", "POST", "/api/v1/households/lookup-rrn", json={"rrn": "900101-1234567", "purpose": "확인"})

    def not_personal():
        user = rng.choice(users)
        template = rng.choice(["/api/v1/auth/me", "/api/v1/dongs", "/api/v1/layers/dongs", "/api/v1/facilities",
                               "/api/v1/stats", "/api/v1/layers/tracts"])
        run(user, "GET", template)

    steps = ([list_own, read_own, read_own, read_other, unmask, patch, create, close, visit, visits, services,
              partner_read, admin_layer, report, staff_reports, export, lookup, not_personal, not_personal]
             * 2 + [print_tract])
    while run.sent < 200:
        rng.choice(steps)()
    assert run.sent >= 200
    new = [r for r in _records(session) if r.id > start_id]
    print("personal answers", len(run.expected), "of", run.sent)
    assert len(run.expected) >= 80
    assert len(new) == len(run.expected)
    assert [(r.username, r.resource) for r in new] == run.expected
    assert all(r.at.utcoffset() is not None and r.at.microsecond == 0 for r in new)
    assert {r.action for r in new} >= {"list", "read", "unmask", "create", "update", "export", "lookup"}
    assert all(r.purpose for r in new if r.action in ("unmask", "export", "print"))
    assert access.verify_chain(session).ok


def test_app_role_cannot_change_or_delete_access_records(db_engine, session):
    principal = Principal(user_id=1, username="admin", role="admin")
    access.record(session, principal, "read", "GET /api/v1/households/1", [1])
    session.commit()
    for statement in ("UPDATE access_records SET username = 'someone-else'", "DELETE FROM access_records",
                      "TRUNCATE access_records"):
        with db_engine.connect() as conn:
            assert conn.execute(text("SELECT current_user")).scalar() == "happymap_app"
            with pytest.raises(DBAPIError) as failure:
                conn.execute(text(statement))
            assert "permission denied" in str(failure.value).lower()
            conn.rollback()


def test_app_role_cannot_rewrite_the_permission_history(db_engine, session):
    from app.auth import service as auth_service

    auth_service.unlock_user(session, "dong01", actor="test")  # one history row at least
    for statement in ("UPDATE permission_events SET detail = 'nothing happened'", "DELETE FROM permission_events",
                      "TRUNCATE permission_events CASCADE"):
        with db_engine.connect() as conn:
            with pytest.raises(DBAPIError) as failure:
                conn.execute(text(statement))
            assert "permission denied" in str(failure.value).lower()
            conn.rollback()


def test_record_hash_covers_every_field():
    row = {"id": 7, "at": datetime(2026, 11, 3, 9, 0, tzinfo=SEOUL), "user_id": 3, "username": "dong01",
           "role": "dong_staff", "client_ip": "10.0.0.1", "action": "read", "resource": "GET /x",
           "household_ids": [2, 1], "purpose": None}
    base = access.record_hash("0" * 64, row)
    assert base == access.record_hash("0" * 64, {**row, "household_ids": [1, 2], "at": row["at"].astimezone(
        ZoneInfo("UTC"))})
    for key, value in (("id", 8), ("username", "dong02"), ("action", "list"), ("household_ids", [1]),
                       ("purpose", "x"), ("client_ip", "10.0.0.2"), ("role", "admin"), ("resource", "GET /y")):
        assert access.record_hash("0" * 64, {**row, key: value}) != base, key
    assert access.record_hash("1" * 64, row) != base


def _cli(url: str, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": url, "HAPPYMAP_ENVIRONMENT": "test"}
    return subprocess.run([sys.executable, "-m", "app.cli", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120)


def test_verifier_finds_the_first_tampered_or_removed_row(fresh):
    headers = login(fresh.client, "dong01")
    with Session(fresh.engine) as s:
        dong = s.execute(text("SELECT dong_id FROM user_dongs ud JOIN users u ON u.id = ud.user_id "
                              "WHERE u.username = 'dong01'")).scalar()
        ids = list(s.execute(select(Household.id).where(Household.dong_id == dong).limit(6)).scalars())
    for hid in ids:
        assert fresh.client.get(f"/api/v1/households/{hid}", headers=headers).status_code == 200
    fresh.client.get("/api/v1/households", headers=headers)
    ok = _cli(fresh.url, "verify-access-log")
    assert ok.returncode == 0 and "정상" in ok.stdout and "7건" in ok.stdout, ok.stdout + ok.stderr
    with Session(fresh.engine) as s:
        rows = list(s.execute(select(AccessRecord.id).order_by(AccessRecord.id)).scalars())
        assert access.verify_chain(s).ok and access.verify_chain(s).checked == 7
    with fresh.admin.begin() as conn:  # the database owner, not the app, can still edit: the chain tells
        conn.execute(text("UPDATE access_records SET household_ids = ''::bytea WHERE id = :i"), {"i": rows[3]})
    broken = _cli(fresh.url, "verify-access-log")
    assert broken.returncode == 1 and f"#{rows[3]}" in broken.stdout and "바뀌었" in broken.stdout, broken.stdout
    with Session(fresh.engine) as s:
        check = access.verify_chain(s)
        assert check.broken_id == rows[3] and check.checked == 3
    with fresh.admin.begin() as conn:
        conn.execute(text("UPDATE access_records SET household_ids = :h WHERE id = :i"),
                     {"i": rows[3], "h": pack([ids[3]])})
        conn.execute(text("DELETE FROM access_records WHERE id = :i"), {"i": rows[1]})
    with Session(fresh.engine) as s:
        check = access.verify_chain(s)
        assert check.broken_id == rows[2] and "끊겼" in check.reason


def test_writers_at_the_same_moment_extend_one_unbroken_chain(fresh):
    """Eight sessions recording at once: the lock and the chain's head go out together (one round trip), and
    still every record links to the one committed before it."""
    principal = Principal(user_id=1, username="admin", role="admin")
    start = threading.Barrier(8)

    def writer(k: int) -> None:
        for i in range(10):
            with Session(fresh.engine) as s:
                if i == 0:
                    start.wait()
                access.record(s, principal, "list", f"GET /writer/{k}/{i}", (), household_count=i)
                s.commit()

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(writer, range(8)))
    with Session(fresh.engine) as s:
        check = access.verify_chain(s)
        assert check.ok and check.checked == 80, check.reason
        written = s.scalar(select(func.count()).select_from(AccessRecord)
                           .where(AccessRecord.resource.like("GET /writer/%")))
        assert written == 80


def test_no_record_no_data_fail_closed(fresh):
    """With INSERT on access_records revoked from the app role, personal data is refused (503), nothing leaks."""
    headers = login(fresh.client, "dong01")
    with Session(fresh.engine) as s:
        dong = s.execute(text("SELECT dong_id FROM user_dongs ud JOIN users u ON u.id = ud.user_id "
                              "WHERE u.username = 'dong01'")).scalar()
        household = s.execute(select(Household).where(Household.dong_id == dong).limit(1)).scalar_one()
    assert fresh.client.get(f"/api/v1/households/{household.id}", headers=headers).status_code == 200
    with fresh.admin.begin() as conn:
        conn.execute(text("REVOKE INSERT ON access_records FROM happymap_app"))
    for path in (f"/api/v1/households/{household.id}", "/api/v1/households", "/api/v1/layers/households",
                 f"/api/v1/households/{household.id}/visits", "/api/v1/exports/households.csv?purpose=점검"):
        refused = fresh.client.get(path, headers=headers)
        assert refused.status_code == 503, (path, refused.status_code, refused.text[:200])
        assert "접속기록" in refused.json()["detail"]
        assert household.address not in refused.text and str(household.id) not in refused.text.replace(path, "")
    unmask = fresh.client.post(f"/api/v1/households/{household.id}/unmask", headers=headers,
                               json={"purpose": "연락"})
    assert unmask.status_code == 503 and household.head_name not in unmask.text
    # Not personal data: still served.
    assert fresh.client.get("/api/v1/dongs", headers=headers).status_code == 200


def test_a_route_that_forgets_its_record_is_covered_by_the_middleware(fresh, monkeypatch):
    """A personal-data route that writes no record gets one from the middleware; if that fails: 503."""
    template = "/api/v1/test-only/{household_id}"
    monkeypatch.setitem(ROUTES, ("GET", template), "households.read")

    @fresh.app.get(template)
    def forgetful(household_id: int, principal: CurrentUser, session: SessionDep):
        h = session.get(Household, household_id)
        return {"id": h.id, "head_name": h.head_name}

    @fresh.app.get("/api/v1/test-only-ungated")
    def ungated():
        return {"secret": "no gate"}

    headers = login(fresh.client, "admin")
    with Session(fresh.engine) as s:
        before = access.count(s)
        hid = s.execute(select(Household.id).limit(1)).scalar_one()
    ok = fresh.client.get(template.replace("{household_id}", str(hid)), headers=headers)
    assert ok.status_code == 200
    with Session(fresh.engine) as s:
        assert access.count(s) == before + 1
        last = s.execute(select(AccessRecord).order_by(AccessRecord.id.desc()).limit(1)).scalar_one()
        assert last.username == "admin" and last.household_ids == [hid] and last.action == "read"
    blocked = fresh.client.get("/api/v1/test-only-ungated", headers=headers)
    assert blocked.status_code == 403 and "no gate" not in blocked.text
    with fresh.admin.begin() as conn:
        conn.execute(text("REVOKE INSERT ON access_records FROM happymap_app"))
    refused = fresh.client.get(template.replace("{household_id}", str(hid)), headers=headers)
    assert refused.status_code == 503 and "head_name" not in refused.text


def test_monthly_review_report(fresh, frozen_clock):
    headers = {u: login(fresh.client, u) for u in ("admin", "dong01")}
    with Session(fresh.engine) as s:
        dong = s.execute(text("SELECT dong_id FROM user_dongs ud JOIN users u ON u.id = ud.user_id "
                              "WHERE u.username = 'dong01'")).scalar()
        hid = s.execute(select(Household.id).where(Household.dong_id == dong).limit(1)).scalar_one()
    moments = {
        "weekday_day": datetime(2031, 2, 4, 10, 15, tzinfo=SEOUL),  # Tuesday 10:15
        "early": datetime(2031, 2, 5, 7, 59, tzinfo=SEOUL),  # before 08:00
        "late": datetime(2031, 2, 5, 20, 0, tzinfo=SEOUL),  # 20:00 is after hours
        "saturday": datetime(2031, 2, 8, 14, 0, tzinfo=SEOUL),
        "next_month": datetime(2031, 3, 1, 0, 0, tzinfo=SEOUL),
        "prev_month": datetime(2031, 1, 31, 23, 59, tzinfo=SEOUL),
    }
    for name, moment in moments.items():
        frozen_clock(moment)
        h = login(fresh.client, "dong01")
        assert fresh.client.get(f"/api/v1/households/{hid}", headers=h).status_code == 200, name
    frozen_clock(datetime(2031, 2, 10, 11, 0, tzinfo=SEOUL))
    h = login(fresh.client, "admin")
    assert fresh.client.get("/api/v1/layers/households", headers=h).status_code == 200  # bulk view
    assert fresh.client.get("/api/v1/exports/households.csv", params={"purpose": "분기 보고"},
                            headers=h).status_code == 200
    with Session(fresh.engine) as s:
        review = access_report.monthly_review(s, "2031-02", bulk_threshold=100)
    assert review.total == 6
    assert [a.username for a in review.top_accessors] == ["dong01", "admin"]
    assert review.top_accessors[0].records == 4 and review.top_accessors[0].distinct_households == 1
    assert review.top_accessors[0].off_hours == 3 and review.off_hours_total == 3
    assert sorted(e.at.strftime("%d %H:%M") for e in review.off_hours) == ["05 07:59", "05 20:00", "08 14:00"]
    assert "GET /api/v1/layers/households" in {e.resource for e in review.bulk_views}
    assert all(e.households >= 100 for e in review.bulk_views)
    assert [(e.action, e.purpose) for e in review.downloads] == [("export", "분기 보고")]
    out = _cli(fresh.url, "access-report", "--month", "2031-02", "--bulk-threshold", "100")
    assert out.returncode == 0, out.stderr
    for needle in ("접속기록 월간 점검 보고서 — 2031-02", "dong01", "업무시간 외 접속", "3건", "대량 조회",
                   "출력·내려받기: 1건", "분기 보고"):
        assert needle in out.stdout, needle
    as_json = json.loads(_cli(fresh.url, "access-report", "--month", "2031-02", "--json").stdout)
    assert as_json["total"] == 6 and as_json["off_hours_total"] == 3
    bad = _cli(fresh.url, "access-report", "--month", "2031-13")
    assert bad.returncode == 2 and "YYYY-MM" in bad.stderr
    assert headers  # both demo accounts signed in before the clock moved


def test_a_layer_view_is_recorded_by_its_query_and_count(client, as_user, session):
    """Like a map tile: one record naming the request (area, filters, bbox) and how many households it showed;
    replaying that query gives the ids."""
    headers = as_user("dong01")
    lon, lat = client.get("/api/v1/layers/households", headers=headers).json()["features"][0]["geometry"]["coordinates"]
    bbox = f"{lon - 0.004:.6f},{lat - 0.003:.6f},{lon + 0.004:.6f},{lat + 0.003:.6f}"
    before = session.execute(text("SELECT max(id) FROM access_records")).scalar() or 0
    layer = client.get("/api/v1/layers/households", params={"bbox": bbox, "risk": "low,unvisited"}, headers=headers)
    assert layer.status_code == 200
    shown = [f["id"] for f in layer.json()["features"]]
    assert shown
    rows = session.execute(text("SELECT action, resource, household_count, household_ids FROM access_records "
                                "WHERE id > :b"), {"b": before}).all()
    assert len(rows) == 1
    action, resource, count, ids = rows[0]
    assert action == "list" and count == len(shown) and not ids
    assert resource.startswith("GET /api/v1/layers/households?") and "bbox=" in resource and "risk=" in resource
    again = client.get(resource.split(" ", 1)[1], headers=headers).json()
    assert [f["id"] for f in again["features"]] == shown
