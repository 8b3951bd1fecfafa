"""Household search at district scale: short words use the word-prefix index, long ones trigrams; big counts cap."""
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import text

from app.access import service as access
from app.households.service import SEARCH_COUNT_CAP, SEARCH_WORDS_QUALIFIED


def test_one_syllable_matches_the_start_of_a_name_and_caps_the_count(client, as_user, session):
    starts = session.execute(text("SELECT count(*) FROM households WHERE status = 'active' AND "
                                  "(head_name LIKE '김%' OR address ~ '(^| )김')")).scalar_one()
    assert starts > SEARCH_COUNT_CAP  # the demo has enough 김s to reach the cap
    body = client.get("/api/v1/households", params={"q": "김", "limit": 100}, headers=as_user("admin")).json()
    assert body["total"] == SEARCH_COUNT_CAP and body["total_capped"] is True
    assert len(body["items"]) == 100
    assert all(item["head_name"].startswith("김") for item in body["items"])  # masked as 김*수: the surname stays


def test_two_syllables_and_small_counts_are_exact(client, as_user, session):
    name = session.execute(text("SELECT head_name FROM households WHERE status = 'active' AND "
                                "char_length(head_name) = 3 ORDER BY id LIMIT 1")).scalar_one()
    expected = session.execute(text("SELECT count(*) FROM households WHERE status = 'active' AND "
                                    "(head_name LIKE :p OR address LIKE :p OR address LIKE :q)"),
                               {"p": name[:2] + "%", "q": "% " + name[:2] + "%"}).scalar_one()
    body = client.get("/api/v1/households", params={"q": name[:2], "limit": 500}, headers=as_user("admin")).json()
    assert expected <= SEARCH_COUNT_CAP
    assert body["total"] == expected and body["total_capped"] is False
    assert body["total"] >= 1


def test_three_characters_stay_a_substring_match(client, as_user, session):
    name = session.execute(text("SELECT head_name FROM households WHERE status = 'active' AND "
                                "char_length(head_name) = 3 ORDER BY id LIMIT 1")).scalar_one()
    expected = session.execute(text("SELECT count(*) FROM households WHERE status = 'active' AND "
                                    "(head_name LIKE :p OR address LIKE :p)"), {"p": f"%{name}%"}).scalar_one()
    body = client.get("/api/v1/households", params={"q": name}, headers=as_user("admin")).json()
    assert body["total"] == expected and body["total_capped"] is False


def test_short_searches_use_the_word_index_and_odd_text_is_harmless(client, as_user, session):
    session.execute(text("SET LOCAL enable_seqscan = off"))  # the demo is small enough for a scan to be cheaper
    plan = "\n".join(session.execute(text(f"EXPLAIN SELECT id FROM households WHERE {SEARCH_WORDS_QUALIFIED} @@ "
                                          "to_tsquery('simple'::regconfig, '김:*')")).scalars())
    assert "ix_households_search_words" in plan
    session.execute(text("SET LOCAL enable_seqscan = on"))
    for q in ("김 ", "'", "&", "!김", "김:*|", "_", "ㄱ", "12", "(((", "a & b"):
        response = client.get("/api/v1/households", params={"q": q}, headers=as_user("admin"))
        assert response.status_code == 200, (q, response.text)


def test_a_summary_record_hashes_its_count():
    row = {"id": 1, "at": datetime(2026, 12, 7, 9, 0, tzinfo=ZoneInfo("Asia/Seoul")), "user_id": 1,
           "username": "admin", "role": "admin", "client_ip": None,
           "action": "list", "resource": "GET /api/v1/tiles/households/13/1/1.mvt", "household_ids": [],
           "purpose": None}
    with_count = access.record_hash("0" * 64, {**row, "household_count": 120})
    assert with_count != access.record_hash("0" * 64, {**row, "household_count": 121})
    assert access.record_hash("0" * 64, {**row, "household_count": 0}) == access.record_hash("0" * 64, row)
