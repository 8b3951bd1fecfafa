"""Odd input never reaches a 500 and never writes half a row: lone surrogates, invisible-only names, unknown
field names that cannot be encoded, and arbitrary text in every text field of the write endpoints."""
import json
import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from app.households.models import Household
from app.reports.models import Report
from app.visits.models import Visit

HANGUL = re.compile(r"[가-힣]")
POINT = {"lon": 126.9368, "lat": 37.5791}  # inside 서대문구
VISIT = {"visited_at": "2026-12-01T10:00:00+09:00", "contact_type": "visit", "visitor_types": ["official"]}


def raw_json(body: dict) -> bytes:
    """JSON as a client may send it: \\u escapes for anything, so lone surrogates arrive as such."""
    return json.dumps(body, ensure_ascii=True).encode()


def post(client, headers, path, body):
    return client.post(path, headers={**headers, "Content-Type": "application/json"}, content=raw_json(body))


def count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


def test_a_lone_surrogate_is_a_korean_422_and_nothing_is_written(client, as_user, session):
    headers = as_user("admin")
    before = count(session, Household)
    for body in ({"head_name": "\ud800", "address": "서울특별시 서대문구 연희로 1", **POINT},
                 {"head_name": "김철수", "address": "서울특별시 서대문구 연희로 1", "\udfff": 1, **POINT},
                 {"head_name": "김\udc80수", "address": "서울특별시 서대문구 연희로 1", **POINT}):
        r = post(client, headers, "/api/v1/households", body)
        assert r.status_code == 422, r.text
        assert HANGUL.search(r.json()["detail"])
        r.content.decode("utf-8")  # the answer itself is valid UTF-8
    assert count(session, Household) == before


def test_a_name_of_invisible_characters_only_is_refused_and_edges_are_trimmed(client, as_user, session):
    headers = as_user("admin")
    for name in ("\u202e\u202e", "\u200b", " \u2066\u2069 ", "\x07"):
        r = post(client, headers, "/api/v1/households", {"head_name": name, "address": "서울특별시 서대문구 연희로 1",
                                                          **POINT})
        assert r.status_code == 422 and "head_name" in r.json()["detail"], (name, r.text)
    r = post(client, headers, "/api/v1/households", {"head_name": "\u202e 김철수\u200b ",
                                                      "address": "\ufeff서울특별시 서대문구 연희로 1", **POINT})
    assert r.status_code == 201, r.text
    assert (r.json()["address"], session.get(Household, r.json()["id"]).head_name) == (
        "서울특별시 서대문구 연희로 1", "김철수")


# Anything, with what breaks naive code drawn often: lone surrogates, NUL, bidi and zero-width marks.
# (Joined from a list: st.text() itself never yields surrogates.)
TEXT = st.lists(st.characters(codec=None, exclude_categories=())
                | st.sampled_from(["\ud800", "\udfff", "\x00", "\u202e", "\u200b", "\ufeff", "'", "\\"]),
                max_size=30).map("".join)
JSONISH = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | TEXT,
                       lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3),
                       max_leaves=6)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(fields=st.fixed_dictionaries({}, optional={k: TEXT | JSONISH for k in (
    "head_name", "address", "phone", "registered_address", "notes")}),
       unknown=st.dictionaries(TEXT, JSONISH, max_size=2))
def test_household_text_fields_fuzzed_never_5xx_and_4xx_writes_nothing(client, as_user, session, fields, unknown):
    body = {**unknown, "head_name": "퍼지", "address": "서울특별시 서대문구 연희로 2", **POINT, **fields}
    before = count(session, Household)
    r = post(client, as_user("admin"), "/api/v1/households", body)
    assert r.status_code < 500, r.text
    if r.status_code >= 400:
        assert count(session, Household) == before
        assert isinstance(r.json()["detail"], str)
    else:
        assert r.status_code == 201 and count(session, Household) == before + 1


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(fields=st.fixed_dictionaries({}, optional={k: TEXT | JSONISH for k in ("notes", "override_reason")}),
       override=st.sampled_from([None, "high"]))
def test_visit_text_fields_fuzzed_never_5xx_and_4xx_writes_nothing(client, as_user, session, fields, override):
    household = session.scalar(select(Household.id).where(Household.status == "active").order_by(Household.id)
                               .limit(1))
    body = {**VISIT, **({"risk_override": override} if override else {}), **fields}
    before = count(session, Visit)
    r = post(client, as_user("admin"), f"/api/v1/households/{household}/visits", body)
    assert r.status_code < 500, r.text
    assert count(session, Visit) == before + (1 if r.status_code == 201 else 0)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(fields=st.fixed_dictionaries({}, optional={k: TEXT | JSONISH for k in (
    "description", "address", "reporter_contact")}))
def test_report_text_fields_fuzzed_never_5xx_and_4xx_writes_nothing(client, as_user, session, fields):
    body = {"description": "혼자 사시는 어르신이 며칠째 보이지 않습니다", **POINT, **fields}
    before = count(session, Report)
    r = post(client, as_user("tongjang01"), "/api/v1/reports", body)
    assert r.status_code < 500, r.text
    assert count(session, Report) == before + (1 if r.status_code == 201 else 0)


def test_stats_and_export_periods_outside_the_sane_years_or_inverted_are_422(client, as_user):
    headers = as_user("admin")
    for params in ({"from": "2026-12-01", "to": "2026-01-01"}, {"from": "0000-01-01"}, {"from": "1999-12-31"},
                   {"to": "2101-01-01"}):
        for path in ("/api/v1/stats", "/api/v1/exports/visits.csv"):
            r = client.get(path, headers=headers, params={**params, "purpose": "기간 점검"})
            assert r.status_code == 422 and HANGUL.search(r.json()["detail"]), (path, params, r.text)


def test_broken_utf8_in_query_headers_and_multipart_names_is_never_a_500(client, as_user):
    headers = as_user("admin")
    for query in (b"q=%FF%FE", b"q=%ED%A0%80", b"risk=%C0", b"%FF=1", b"q=\xff"):
        r = client.get("/api/v1/households?" + query.decode("latin-1"), headers=headers)
        assert r.status_code < 500, (query, r.status_code)
    r = client.get("/api/v1/households", headers={**headers, "X-Odd": b"\xff\xfe"})
    assert r.status_code == 200
    boundary = "odd-boundary"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"".encode() + b"\xff\xfe\xed\xa0\x80"
            + f"\"\r\n\r\nx\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"description\"\r\n\r\n".encode()
            + "혼자 사시는 어르신이 보이지 않습니다".encode() + f"\r\n--{boundary}--\r\n".encode())
    r = client.post("/api/v1/reports", headers={**as_user("tongjang01"),
                                                 "Content-Type": f"multipart/form-data; boundary={boundary}"},
                    content=body)
    assert r.status_code < 500, r.text
