"""Kakao i Open Builder skill webhook: real-shaped SkillPayloads, every answer a valid SkillResponse."""
import copy
import json
import re
import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import create_engine, func, select, text

from app.config import get_settings
from app.integrations import kakao
from app.ratelimit import Rule
from app.reports.intake import RECEIPT_LOCK
from app.reports.models import Report
from app.tracts.models import Dong
from tests.conftest import own_limits

KEY = "local-kakao-key"
URL = f"/integrations/kakao/skill?key={KEY}"
RECEIPT = re.compile(r"R-\d{8}-\d{4,}")


def payload(utterance: str, user_id: str = "9f3c1a7be5d24c6f8a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3",
            params: dict | None = None) -> dict:
    """A SkillPayload as Kakao i Open Builder sends it (fields as in its documentation, plus extras)."""
    params = params or {}
    return {
        "intent": {"id": "64a1b2c3d4e5f60718293a4b", "name": "사각지대 신고",
                   "extra": {"reason": {"code": 1, "message": "OK"}}},
        "userRequest": {
            "timezone": "Asia/Seoul",
            "params": {"ignoreMe": "true", "surface": "Kakaotalk.plusfriend"},
            "block": {"id": "64a1b2c3d4e5f60718293a4c", "name": "신고 접수"},
            "utterance": utterance,
            "lang": "ko",
            "user": {"id": user_id, "type": "botUserKey",
                     "properties": {"botUserKey": user_id, "plusfriendUserKey": "Xk2mPq9Lr", "isFriend": True}},
            "callbackUrl": None,
        },
        "bot": {"id": "64a1b2c3d4e5f60718293a4d", "name": "행복맵 신고 채널"},
        "action": {
            "name": "happymap_report",
            "clientExtra": None,
            "params": {k: v for k, v in params.items()},
            "id": "64a1b2c3d4e5f60718293a4e",
            "detailParams": {k: {"origin": v, "value": v, "groupName": ""} for k, v in params.items()},
        },
        "contexts": [],
        "flow": {"lastBlock": {"id": "64a1b2c3d4e5f60718293a4f", "name": "웰컴 블록"},
                 "trigger": {"type": "TEXT_INPUT"}},
        "newlyAddedField": {"whatever": [1, 2, 3]},
    }


def assert_skill_response(body: dict) -> str:
    """Validate SkillResponse 2.0 structure; return the simpleText text."""
    assert body["version"] == "2.0"
    outputs = body["template"]["outputs"]
    assert isinstance(outputs, list) and 1 <= len(outputs) <= 3
    texts = []
    for output in outputs:
        assert set(output) == {"simpleText"}
        value = output["simpleText"]["text"]
        assert isinstance(value, str) and 0 < len(value) <= 1000
        texts.append(value)
    replies = body["template"].get("quickReplies", [])
    assert isinstance(replies, list) and len(replies) <= 10
    for reply in replies:
        assert isinstance(reply["label"], str) and 0 < len(reply["label"]) <= 14
        assert reply["action"] in ("message", "block")
        if reply["action"] == "message":
            assert isinstance(reply["messageText"], str) and reply["messageText"]
    return "\n".join(texts)


def post(client, body) -> tuple[int, str, dict]:
    started = time.perf_counter()
    answer = client.post(URL, json=body) if not isinstance(body, (bytes, str)) else \
        client.post(URL, content=body, headers={"Content-Type": "application/json"})
    assert time.perf_counter() - started < 5.0
    return answer.status_code, assert_skill_response(answer.json()), answer.json()


def count_reports(session) -> int:
    return session.execute(select(func.count()).select_from(Report)).scalar_one()


def test_a_message_becomes_a_placed_report_with_a_receipt(client, session):
    dong = session.execute(select(Dong).order_by(Dong.code).offset(2).limit(1)).scalar_one()
    status, said, body = post(client, payload(
        "할머니 혼자 사시는데 며칠째 불이 꺼져 있고 우편물이 쌓여 있어요",
        params={"address": f"{dong.name} 주민센터 뒤 골목", "category": "독거노인"}))
    assert status == 200
    receipt = RECEIPT.search(said).group(0)
    assert "접수" in said
    assert any(r["messageText"] == receipt for r in body["template"]["quickReplies"])
    report = session.execute(select(Report).where(Report.receipt_no == receipt)).scalar_one()
    assert report.channel == "kakao" and report.status == "new" and report.dong_id == dong.id
    assert report.category == "elderly_alone" and report.indicators == ["elderly_alone"]
    assert report.external_user_id.startswith("kakao:") and report.address.startswith(dong.name)


def test_the_same_message_within_ten_minutes_is_not_filed_twice(client, session, frozen_clock):
    start = get_settings().now()
    frozen_clock(start)
    message = payload("반지하 집에서 아이들만 지내는 것 같아요. 밤늦게까지 어른이 안 보여요", user_id="kakao-dup-user")
    before = count_reports(session)
    _, first, _ = post(client, message)
    frozen_clock(start + timedelta(minutes=9))
    _, second, _ = post(client, copy.deepcopy(message))
    receipt = RECEIPT.search(first).group(0)
    assert RECEIPT.search(second).group(0) == receipt and "이미 접수" in second
    assert count_reports(session) == before + 1
    # Another user sending the same words is a separate report; so is the same user after ten minutes.
    _, third, _ = post(client, payload(message["userRequest"]["utterance"], user_id="kakao-other-user"))
    frozen_clock(start + timedelta(minutes=11))
    _, fourth, _ = post(client, message)
    assert len({receipt, RECEIPT.search(third).group(0), RECEIPT.search(fourth).group(0)}) == 3
    assert count_reports(session) == before + 3


def test_status_query_by_receipt_number(client, as_user, session):
    user = "kakao-status-user"
    _, said, _ = post(client, payload("이웃집 가스가 끊겼다는 안내문이 붙어 있어요", user_id=user,
                                      params={"address": "어딘지 모를 곳"}))
    receipt = RECEIPT.search(said).group(0)
    _, status, _ = post(client, payload(receipt, user_id=user))
    assert receipt in status and "접수" in status and "위치 확인" in status
    report = session.execute(select(Report).where(Report.receipt_no == receipt)).scalar_one()
    client.post(f"/api/v1/reports/{report.id}/dismiss", headers=as_user("district"),
                json={"reason": "확인 결과 이미 도시가스 요금 지원 중입니다."})
    _, later, _ = post(client, payload(f"{receipt.lower()} 어떻게 됐나요?", user_id=user))
    assert "종결" in later and "도시가스 요금 지원" in later
    _, listing, _ = post(client, payload("접수 확인", user_id=user))
    assert receipt in listing
    # Someone else cannot read it.
    _, foreign, _ = post(client, payload(receipt, user_id="kakao-stranger"))
    assert "찾을 수 없습니다" in foreign and "종결" not in foreign


@pytest.mark.parametrize("mutate", [
    lambda p: p["userRequest"].update(utterance=""),
    lambda p: p["userRequest"].update(utterance="   "),
    lambda p: p["userRequest"].pop("utterance"),
    lambda p: (p.pop("action"), p["userRequest"].update(utterance="")),
    lambda p: p.update(userRequest={}),
    lambda p: p["userRequest"].update(utterance="도움말"),
])
def test_empty_or_menu_messages_get_guidance_and_file_nothing(client, session, mutate):
    body = payload("placeholder")
    mutate(body)
    before = count_reports(session)
    status, said, _ = post(client, body)
    assert status == 200 and "위치" in said and not RECEIPT.search(said)
    assert count_reports(session) == before


def test_missing_contexts_flow_and_unknown_fields_are_tolerated(client, session):
    body = payload("옆 건물 고시원에 사는 분이 일을 잃고 월세가 밀렸다고 합니다", user_id="kakao-minimal")
    for key in ("contexts", "flow", "intent", "bot"):
        body.pop(key)
    body["userRequest"].pop("block")
    body["action"] = {"params": {}, "somethingNew": True}
    body["userRequest"]["user"]["properties"] = {"appUserId": 123, "app_user_status": {"nested": {}}}
    status, said, _ = post(client, body)
    assert status == 200 and RECEIPT.search(said)


def test_too_short_message_asks_for_more(client, session):
    before = count_reports(session)
    status, said, _ = post(client, payload("도와줘"))
    assert status == 200 and "자세히" in said and count_reports(session) == before


@pytest.mark.parametrize("raw", [b"{not json", b"[]", b'"text"', b'{"userRequest": "oops"}', b"\xff\xfe",
                                 b"[" * 60_000, b'{"a":' * 10_000])
def test_unparseable_payloads_get_a_polite_200(client, session, raw):
    before = count_reports(session)
    status, said, _ = post(client, raw)
    assert status == 200 and "죄송합니다" in said and count_reports(session) == before


def test_wrong_or_missing_key_is_403(client):
    body = payload("키가 틀린 요청입니다 확인 부탁")
    assert client.post("/integrations/kakao/skill?key=wrong", json=body).status_code == 403
    assert client.post("/integrations/kakao/skill", json=body).status_code == 403


def test_oversized_body_is_413(client, session):
    before = count_reports(session)
    body = payload("아주 긴 메시지 " + "가" * (kakao.KAKAO_MAX_BODY))
    answer = client.post(URL, content=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
    assert answer.status_code == 413 and count_reports(session) == before


def test_rate_limit_per_kakao_user_still_answers_200(client, app, session):
    app.state.rate_limiter = own_limits({"kakao_user": Rule(capacity=2, per_second=0.001),
                                         "kakao_key": Rule(capacity=100, per_second=1)})
    answers = [post(client, payload(f"연속으로 보내는 신고 메시지 {i}번", user_id="kakao-flood"))
               for i in range(3)]
    assert [a[0] for a in answers] == [200, 200, 200]
    assert RECEIPT.search(answers[1][1]) and not RECEIPT.search(answers[2][1]) and "잠시" in answers[2][1]
    status, said, _ = post(client, payload("다른 사용자는 계속 신고할 수 있어요", user_id="kakao-calm"))
    assert RECEIPT.search(said)


@pytest.fixture
def receipt_lock(db_url):
    """Another connection holding the receipt-number lock, as a stuck writer would."""
    engine = create_engine(db_url)
    conn = engine.connect()
    conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": RECEIPT_LOCK})
    release = threading.Event()

    def unlock():
        release.wait(30)
        conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": RECEIPT_LOCK})

    worker = threading.Thread(target=unlock)
    worker.start()
    yield release
    release.set()
    worker.join()
    conn.close()
    engine.dispose()


def test_a_blocked_database_still_answers_politely_within_5_seconds(client, session, receipt_lock):
    before = count_reports(session)
    started = time.perf_counter()
    status, said, _ = post(client, payload("잠긴 데이터베이스에서도 답을 받아야 합니다", user_id="kakao-locked"))
    assert time.perf_counter() - started < 5.0
    assert status == 200 and "죄송합니다" in said and not RECEIPT.search(said)
    assert count_reports(session) == before


def test_a_failure_logs_only_the_error_type_never_the_report(client, session, receipt_lock, caplog):
    secret = "로그에 남으면 안 되는 신고 내용 홍은동 3번지 김씨 할머니"
    with caplog.at_level("DEBUG"):
        status, said, _ = post(client, payload(secret, user_id="kakao-logged"))
    assert status == 200 and "죄송합니다" in said
    failures = [r for r in caplog.records if r.name == kakao.log.name]
    assert failures and all(r.exc_info is None for r in failures)
    assert re.fullmatch(r"카카오 스킬 처리 실패: \w+", failures[0].getMessage())
    assert not any("홍은동" in r.getMessage() or "홍은동" in (r.exc_text or "") for r in caplog.records)


def test_nul_characters_are_dropped_and_the_report_is_filed(client, session):
    dong = session.execute(select(Dong).order_by(Dong.code).offset(1).limit(1)).scalar_one()
    status, said, _ = post(client, payload(
        "할머니가\x00 며칠째 보이지 않고 우편물이 쌓여 있어요", user_id="kakao-\x00nul",
        params={"address": f"{dong.name}\x00 주민센터 앞", "description": "현관에\x00 우편물이 쌓여 있어요"}))
    assert status == 200, said
    receipt = RECEIPT.search(said).group(0)
    report = session.execute(select(Report).where(Report.receipt_no == receipt)).scalar_one()
    assert report.description == "현관에 우편물이 쌓여 있어요"
    assert report.address == f"{dong.name} 주민센터 앞" and report.external_user_id == "kakao:kakao-nul"
    assert "\x00" not in report.description + report.address + report.external_user_id


def test_past_the_deadline_the_answer_goes_out_and_nothing_is_kept(client, session, receipt_lock, monkeypatch):
    monkeypatch.setattr(kakao, "DEADLINE_S", 0.5)
    monkeypatch.setattr(kakao, "LOCK_TIMEOUT_MS", 10_000)

    class Abandoned(threading.Event):
        def set(self):
            super().set()
            receipt_lock.set()  # the lock frees the moment the late answer is chosen, not after a guessed delay

    class TurnFreeingTheLock(kakao._Turn):
        def __init__(self, session):
            super().__init__(session)
            self.abandoned = Abandoned()

    monkeypatch.setattr(kakao, "_Turn", TurnFreeingTheLock)
    before = count_reports(session)
    status, said, _ = post(client, payload("마감 시간을 넘긴 신고 메시지입니다", user_id="kakao-slow"))
    assert status == 200 and "늦어지고" in said
    assert count_reports(session) == before  # the worker saw it was abandoned and rolled back
