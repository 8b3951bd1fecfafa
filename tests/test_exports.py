"""Exports: CSV (BOM) and XLSX with Korean headers, the same rows as the API, formulas neutralised, recorded."""
import csv
import io
import re
from datetime import timedelta

import openpyxl
import pytest
from sqlalchemy import func, select

from app.access.models import AccessRecord
from app.auth.models import User, UserDong
from app.config import get_settings
from app.exports.tabular import neutralise
from app.households.models import Household
from app.visits.models import Visit

HANGUL = re.compile(r"[가-힣]")
PURPOSE = "통장 현장 순회 명단 준비"
EVIL = {"head_name": "=HYPERLINK(\"http://x\")", "address": "+cmd|' /C calc'!A0", "phone": "-1+2",
        "registered_address": "@SUM(A1:A2)"}


def dong_of(session, username: str = "dong01") -> int:
    return session.execute(select(UserDong.dong_id).join(User, User.id == UserDong.user_id)
                           .where(User.username == username)).scalar_one()


def workbook(content: bytes):
    return openpyxl.load_workbook(io.BytesIO(content)).active


def exports(session) -> list[AccessRecord]:
    return list(session.scalars(select(AccessRecord).where(AccessRecord.action == "export")
                                .order_by(AccessRecord.id)))


def test_household_xlsx_has_the_api_rows_under_korean_headers(client, as_user, session):
    headers = as_user("dong01")
    params = {"risk": "high,medium", "sort": "risk"}
    api = client.get("/api/v1/households", headers=headers, params=params | {"limit": 500}).json()
    r = client.get("/api/v1/exports/households.xlsx", headers=headers, params=params | {"purpose": PURPOSE})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in r.headers["content-disposition"]
    ws = workbook(r.content)
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0][:3] == ("가구번호", "세대주", "주소") and all(HANGUL.search(h) for h in rows[0])
    assert [row[0] for row in rows[1:]] == [i["id"] for i in api["items"]] and len(rows) - 1 == api["total"]
    assert {row[8] for row in rows[1:]} <= {"고위험", "중위험"}
    assert all("*" in row[1] for row in rows[1:])  # names masked unless asked for
    assert not any("주민등록번호" in h for h in rows[0])
    record = exports(session)[-1]
    assert (record.username, record.purpose, sorted(record.household_ids)) == (
        "dong01", PURPOSE, sorted(i["id"] for i in api["items"]))


def test_formula_like_cells_are_neutralised_in_xlsx_and_csv(client, as_user, session):
    h = session.scalar(select(Household).where(Household.dong_id == dong_of(session), Household.status == "active")
                       .order_by(Household.id).limit(1))
    for name, value in EVIL.items():
        setattr(h, name, value)
    session.flush()
    headers = as_user("dong01")
    r = client.post(f"/api/v1/households/{h.id}/visits", headers=headers, json={
        "visited_at": (get_settings().now() - timedelta(hours=1)).isoformat(), "contact_type": "visit",
        "visitor_types": ["official"], "notes": "=1+1\t메모", "risk_override": "high",
        "override_reason": "\t@업무 판단"})
    assert r.status_code == 201, r.text

    xlsx = client.get("/api/v1/exports/households.xlsx", headers=headers,
                      params={"purpose": PURPOSE, "reveal": "true", "q": "cmd"})
    ws = workbook(xlsx.content)
    rows = [list(row) for row in ws.iter_rows(min_row=2)]
    assert len(rows) == 1 and rows[0][0].value == h.id
    by_header = dict(zip([c.value for c in ws[1]], rows[0], strict=False))
    for header, field in (("세대주", "head_name"), ("주소", "address"), ("전화번호", "phone"),
                          ("주민등록 주소", "registered_address")):
        cell = by_header[header]
        assert cell.value == "'" + EVIL[field] and cell.data_type == "s", header

    visits = client.get("/api/v1/exports/visits.xlsx", headers=headers, params={"purpose": PURPOSE})
    vs = workbook(visits.content)
    head = [c.value for c in vs[1]]
    mine = [row for row in vs.iter_rows(min_row=2) if row[0].value == r.json()["visit"]["id"]]
    assert len(mine) == 1
    cells = dict(zip(head, mine[0], strict=False))
    assert cells["메모"].value == "'=1+1\t메모" and cells["메모"].data_type == "s"
    assert cells["직접 지정 사유"].value == "'@업무 판단"  # stored trimmed, still neutralised
    assert not any(c.data_type == "f" for row in vs.iter_rows() for c in row)

    text = client.get("/api/v1/exports/households.csv", headers=headers,
                      params={"purpose": PURPOSE, "reveal": "true", "q": "cmd"})
    assert text.content.startswith(b"\xef\xbb\xbf") and text.headers["content-type"].startswith("text/csv")
    parsed = list(csv.reader(io.StringIO(text.content.decode("utf-8-sig"))))
    assert parsed[0][0] == "가구번호" and len(parsed) == 2
    row = dict(zip(parsed[0], parsed[1], strict=False))
    assert row["세대주"] == "'" + EVIL["head_name"] and row["주소"] == "'" + EVIL["address"]
    assert row["전화번호"] == "'-1+2"


@pytest.mark.parametrize("value, expected", [
    ("=1", "'=1"), ("+1", "'+1"), ("-1", "'-1"), ("@a", "'@a"), ("\tx", "'\tx"), ("\rx", "'\rx"),
    ("  =x", "'  =x"), ("서대문구", "서대문구"), ("a=b", "a=b"), ("", ""), (-3, -3), (None, None)])
def test_neutralise(value, expected):
    assert neutralise(value) == expected


def test_visit_csv_respects_dong_and_period(client, as_user, session):
    headers = as_user("admin")
    dong = dong_of(session, "dong03")
    r = client.get("/api/v1/exports/visits.csv", headers=headers, params={"purpose": PURPOSE, "dong_id": dong})
    parsed = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    header, rows = parsed[0], parsed[1:]
    assert header[:3] == ["방문번호", "가구번호", "행정동"]
    expected = session.scalar(select(func.count()).select_from(Visit).join(Household)
                              .where(Household.dong_id == dong))
    assert len(rows) == expected > 0 and len({row[2] for row in rows}) == 1
    day = rows[-1][5][:10]
    one_day = client.get("/api/v1/exports/visits.csv", headers=headers,
                         params={"purpose": PURPOSE, "dong_id": dong, "from": day, "to": day})
    days = [row[5][:10] for row in list(csv.reader(io.StringIO(one_day.content.decode("utf-8-sig"))))[1:]]
    assert days and set(days) == {day}


def test_an_export_needs_a_purpose_and_writes_nothing_without_one(client, as_user, session):
    headers = as_user("dong01")
    before = len(exports(session))
    for path in ("/api/v1/exports/households.csv", "/api/v1/exports/visits.xlsx"):
        r = client.get(path, headers=headers)
        assert r.status_code == 422 and "purpose" in r.json()["detail"] and HANGUL.search(r.json()["detail"])
        r = client.get(path, headers=headers, params={"purpose": " "})
        assert r.status_code == 422
    assert len(exports(session)) == before


def test_exports_stay_in_the_area(client, as_user, session):
    other = dong_of(session, "dong02")
    r = client.get("/api/v1/exports/households.csv", headers=as_user("dong01"),
                   params={"purpose": PURPOSE, "dong_id": other})
    assert r.status_code == 404
    r = client.get("/api/v1/exports/households.csv", headers=as_user("dong01"), params={"purpose": PURPOSE})
    ids = [int(row[0]) for row in list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))[1:]]
    dongs = set(session.scalars(select(Household.dong_id).where(Household.id.in_(ids))))
    assert dongs == {dong_of(session, "dong01")}
    for username in ("partner01", "tongjang01"):
        r = client.get("/api/v1/exports/visits.csv", headers=as_user(username), params={"purpose": PURPOSE})
        assert r.status_code == 403 and HANGUL.search(r.json()["detail"])


def test_an_unknown_format_is_refused(client, as_user):
    r = client.get("/api/v1/exports/households.pdf", headers=as_user("admin"), params={"purpose": PURPOSE})
    assert r.status_code == 422 and HANGUL.search(r.json()["detail"])


@pytest.mark.parametrize("params", [{"to": "9999-12-31"}, {"from": "0001-01-01"}, {"from": "1999-12-31"}])
def test_a_period_outside_the_sane_years_is_refused_and_not_recorded(client, as_user, session, params):
    before = len(exports(session))
    for fmt in ("csv", "xlsx"):
        r = client.get(f"/api/v1/exports/visits.{fmt}", headers=as_user("admin"),
                       params={"purpose": PURPOSE, **params})
        assert r.status_code == 422 and "2000" in r.json()["detail"] and HANGUL.search(r.json()["detail"])
    assert len(exports(session)) == before
