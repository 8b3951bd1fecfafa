"""Exports: CSV (BOM) and XLSX with Korean headers, the same rows as the API, formulas neutralised, recorded."""
import csv
import io
import re
import time
from datetime import timedelta

import httpx
import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from python_calamine import CalamineWorkbook
from sqlalchemy import ARRAY, Text, func, literal, select, text

from app.access.models import AccessRecord
from app.auth.models import User, UserDong
from app.config import get_settings
from app.exports import cells
from app.exports import service as export_service
from app.exports.tabular import BLOCK_BYTES, neutralise, stream
from app.households.models import Household
from app.households.service import HouseholdFilter
from app.policy.masking import mask_name, mask_phone
from app.policy.principal import Principal
from app.visits.models import Visit
from tests.conftest import DEMO_PASSWORD, serve_app

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


# --- the cells PostgreSQL writes must say what the Python rules say -------------------------------------

def _in_sql(session, rule, values: list[str]) -> list[str | None]:
    item = func.unnest(literal(values, ARRAY(Text))).table_valued("v", with_ordinality="n").render_derived()
    return list(session.scalars(select(rule(item.c.v)).order_by(item.c.n)))


NO_NUL = st.characters(exclude_categories=("Cs",), exclude_characters="\x00")  # what PostgreSQL text can hold


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(names=st.lists(st.text(NO_NUL, max_size=8), max_size=40),
       phones=st.lists(st.text("0123456789+- ", max_size=20) | st.text("0123456789-\n٣１x", max_size=14)
                       | st.text(NO_NUL, max_size=20), max_size=40))
def test_sql_masking_is_the_api_masking(session, names, phones):
    assert _in_sql(session, cells.masked_name, names) == [mask_name(n) for n in names]
    assert _in_sql(session, cells.masked_phone, phones) == [mask_phone(p) for p in phones]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(texts=st.lists(st.text(st.sampled_from("=+-@ \t\r\n\u3000\xa0\u2009ab가") | NO_NUL, max_size=6),
                      max_size=40))
def test_sql_neutralising_is_the_python_neutralising(session, texts):
    assert _in_sql(session, cells.neutralised, texts) == [neutralise(t) for t in texts]


def test_the_sql_space_class_is_pythons_whitespace():
    spec = cells.SPACE
    chars = set()
    i = 0
    while i < len(spec):
        if i + 2 < len(spec) and spec[i + 1] == "-":
            chars |= {chr(c) for c in range(ord(spec[i]), ord(spec[i + 2]) + 1)}
            i += 3
        else:
            chars.add(spec[i])
            i += 1
    assert chars == {chr(c) for c in range(0x110000) if chr(c).isspace()}


def test_odd_text_survives_both_readers_of_the_xlsx(client, as_user, session):
    odd = "<b>&amp;\"따옴표' \\역슬래시\t탭\n줄\r\n바꿈 😀 \x01\x0b끝 "
    h = session.scalar(select(Household).where(Household.dong_id == dong_of(session), Household.status == "active")
                       .order_by(Household.id).limit(1))
    h.risk_reason = odd
    session.flush()
    r = client.get("/api/v1/exports/households.xlsx", headers=as_user("dong01"),
                   params={"purpose": PURPOSE, "dong_id": h.dong_id, "sort": "address"})
    assert r.status_code == 200, r.text
    expected = odd.replace("\x01", "").replace("\x0b", "")  # XML 1.0 cannot carry these two
    ws = openpyxl.load_workbook(io.BytesIO(r.content)).active
    head = [c.value for c in ws[1]]
    mine = next(row for row in ws.iter_rows(min_row=2, values_only=True) if row[0] == h.id)
    assert mine[head.index("위험 사유")] == expected
    assert ws.freeze_panes == "A2" and ws["A1"].font.b and ws.column_dimensions["C"].width == 40
    due = mine[head.index("다음 방문 예정일")]
    assert due.date() == h.next_visit_due  # a real date cell, not text

    calamine = CalamineWorkbook.from_filelike(io.BytesIO(r.content))
    rows = calamine.get_sheet_by_index(0).to_python()
    assert rows[0] == head
    other = next(row for row in rows[1:] if row[0] == h.id)
    assert other[head.index("위험 사유")] == expected
    assert other[head.index("다음 방문 예정일")] == h.next_visit_due
    assert len(rows) == ws.max_row


def test_an_export_over_the_limit_is_refused_before_anything_is_recorded(client, as_user, session, monkeypatch):
    monkeypatch.setattr(export_service, "MAX_ROWS", 3)
    before = len(exports(session))
    for path in ("/api/v1/exports/households.csv", "/api/v1/exports/visits.xlsx"):
        r = client.get(path, headers=as_user("admin"), params={"purpose": PURPOSE})
        assert r.status_code == 422 and "3건" in r.json()["detail"] and HANGUL.search(r.json()["detail"])
    assert len(exports(session)) == before


def test_the_file_is_sent_in_pieces_after_its_record_is_committed(session):
    principal = Principal(user_id=1, username="admin", role="admin")
    export = export_service.households_export(session, principal, HouseholdFilter(), "risk", False, PURPOSE,
                                              "GET /api/v1/exports/households.csv")
    session.commit()  # the request's unit of work ends before the first byte
    recorded = exports(session)[-1]
    pieces = list(stream(session, export, "csv"))
    assert len(pieces) > 3 and max(map(len, pieces)) < 2 * BLOCK_BYTES
    ids = [int(row[0]) for row in list(csv.reader(io.StringIO(b"".join(pieces).decode("utf-8-sig"))))[1:]]
    assert sorted(ids) == sorted(recorded.household_ids) and len(ids) > 5_000


def _busy_backends(factory) -> list[str]:
    """Other sessions of this database that are inside a transaction or still running a statement."""
    with factory() as s:
        return list(s.scalars(text(
            "SELECT coalesce(state, '') || ': ' || left(query, 40) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid() AND state <> 'idle'")))


def test_a_download_cut_off_midway_leaves_nothing_open(pg_server, seeded_template):
    with serve_app(pg_server, seeded_template) as (base, factory), httpx.Client(base_url=base, timeout=60) as http:
        token = http.post("/api/v1/auth/token", data={"username": "admin", "password": DEMO_PASSWORD}
                          ).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        for fmt in ("csv", "xlsx"):
            with http.stream("GET", f"/api/v1/exports/visits.{fmt}", headers=headers,
                             params={"purpose": PURPOSE}) as r:
                assert r.status_code == 200
                next(r.iter_raw())  # the first piece, then the user cancels the download
        deadline = time.monotonic() + 60
        while busy := _busy_backends(factory):  # the server ends the COPY and gives the connection back
            assert time.monotonic() < deadline, busy
            time.sleep(0.1)
        whole = http.get("/api/v1/exports/visits.csv", headers=headers, params={"purpose": PURPOSE})
        assert whole.status_code == 200 and whole.content.count(b"\n") > 10_000
