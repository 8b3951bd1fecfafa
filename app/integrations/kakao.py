"""Kakao i Open Builder skill webhook: chat messages become reports, receipt numbers answer status.

Kakao waits 5 seconds for a skill. Every answer here is HTTP 200 with a valid SkillResponse (only a wrong
key gets 403 and an oversized body 413): the intake runs under a deadline with short database lock and
statement timeouts, and any failure becomes a polite Korean message with nothing half-stored.
"""
import asyncio
import hmac
import json
import logging
import re
import threading
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, ValidationError
from sqlalchemy.orm import Session

from app.config import get_settings
from app.deps import OwnTransactionSession
from app.errors import PayloadTooLarge
from app.ratelimit import KAKAO_MAX_BODY, limiter, read_limited
from app.reports import intake, service
from app.vocab import INDICATORS

log = logging.getLogger(__name__)
router = APIRouter(prefix="/integrations/kakao", tags=["kakao"])

DEADLINE_S = 4.0  # answer well inside Kakao's 5 s
LOCK_TIMEOUT_MS = 1500
STATEMENT_TIMEOUT_MS = 2500
MIN_DESCRIPTION = 5
MAX_TEXT = 1000  # simpleText limit
RECEIPT = re.compile(r"R-\d{8}-\d{4,6}", re.IGNORECASE)
MENU_WORDS = {"신고", "신고하기", "도움말", "도움", "처음", "처음으로", "시작", "안녕", "안녕하세요", "메뉴", "취소"}
STATUS_WORDS = {"접수확인", "상태확인", "처리상태", "내신고", "조회", "처리상태확인"}
ADDRESS_PARAMS = ("address", "주소", "location", "sys_location", "place")
CATEGORY_PARAMS = ("category", "유형", "위기유형")

GREETING = ("도움이 필요해 보이는 이웃이 있으면 알려 주세요.\n"
            "어떤 상황인지와 위치(주소나 근처 건물 이름)를 한 번에 적어 보내 주시면 동 주민센터로 전달됩니다.\n"
            "예) 홍은동 ○○빌라 2층 할머니가 며칠째 보이지 않고 우편물이 쌓여 있어요.\n"
            "생명이 위급하면 112·119에 먼저 신고해 주세요.")
TOO_SHORT = "상황을 조금 더 자세히 적어 주세요. 누가, 어디서, 어떤 어려움을 겪는지 알려 주시면 도움이 됩니다."
FAILED = ("죄송합니다. 지금은 신고를 접수하지 못했습니다. 잠시 후 같은 내용을 다시 보내 주세요.\n"
          "급한 경우 동 주민센터나 보건복지상담센터(129)로 전화해 주세요.")
SLOW = ("죄송합니다. 접수가 늦어지고 있어 이번 메시지는 저장하지 않았습니다. 같은 내용을 다시 보내 주세요.\n"
        "급한 경우 동 주민센터나 보건복지상담센터(129)로 전화해 주세요.")
THROTTLED = "메시지가 너무 많이 와서 잠시 쉬고 있습니다. 1분 뒤에 다시 보내 주세요."
UNREADABLE = "죄송합니다. 메시지를 읽지 못했습니다. 상황과 위치를 글로 다시 보내 주세요."

_executor: ThreadPoolExecutor | None = None
_executor_lock = threading.Lock()


def _pool() -> ThreadPoolExecutor:
    global _executor
    with _executor_lock:
        if _executor is None:
            _executor = ThreadPoolExecutor(max_workers=4, thread_name_prefix="kakao-skill")
        return _executor


class _Loose(BaseModel):
    model_config = ConfigDict(extra="ignore")  # Kakao adds fields over time: unknown ones are fine


class KakaoUser(_Loose):
    id: str | None = None
    type: str | None = None


class KakaoUserRequest(_Loose):
    utterance: str | None = None
    user: KakaoUser | None = None


class KakaoAction(_Loose):
    params: dict[str, Any] | None = None
    detailParams: dict[str, Any] | None = None


class SkillPayload(_Loose):
    """The parts of Kakao's SkillPayload this skill reads; everything else is optional and ignored."""

    userRequest: KakaoUserRequest | None = None
    action: KakaoAction | None = None


def quick_replies(receipt_no: str | None = None) -> list[dict]:
    """Buttons under every answer (labels ≤ 14 characters)."""
    replies = [{"label": "신고하기", "action": "message", "messageText": "신고하기"},
               {"label": "내 신고 확인", "action": "message", "messageText": "접수 확인"}]
    if receipt_no:
        replies.insert(0, {"label": "처리 상태 보기", "action": "message", "messageText": receipt_no})
    return replies


def skill_response(text: str, receipt_no: str | None = None) -> dict:
    """A SkillResponse 2.0 with one simpleText and quick replies."""
    body = text if len(text) <= MAX_TEXT else text[:MAX_TEXT - 1] + "…"
    return {"version": "2.0",
            "template": {"outputs": [{"simpleText": {"text": body}}], "quickReplies": quick_replies(receipt_no)}}


def _clean(text: str | None) -> str:
    """The text without NUL characters, which PostgreSQL text refuses (the report could never be stored)."""
    return (text or "").replace("\x00", "")


def _param(action: KakaoAction | None, names: tuple[str, ...]) -> str | None:
    """A block parameter by any of its names, from params or detailParams (value, then origin), NULs removed."""
    if action is None:
        return None
    for name in names:
        detail = (action.detailParams or {}).get(name)
        if isinstance(detail, dict):
            for key in ("value", "origin"):
                if isinstance(detail.get(key), str) and _clean(detail[key]).strip():
                    return _clean(detail[key]).strip()
        value = (action.params or {}).get(name)
        if isinstance(value, str) and _clean(value).strip():
            return _clean(value).strip()
    return None


def _category(text: str | None) -> str | None:
    if not text:
        return None
    cleaned = text.strip()
    if cleaned in INDICATORS:
        return cleaned
    squashed = re.sub(r"\s", "", cleaned)
    for code, label in INDICATORS.items():
        if squashed and (squashed in re.sub(r"\s", "", label) or re.sub(r"\s", "", label) in squashed):
            return code
    return None


def _status_text(report) -> str:
    return (f"접수번호 {report.receipt_no}\n상태: {service.status_label(report.status)}\n"
            f"{service.status_note(report)}")


def handle(session: Session, payload: SkillPayload, should_abort) -> dict:
    """One chat turn: guidance, a status answer, or a new (or already filed) report."""
    request = payload.userRequest or KakaoUserRequest()
    utterance = " ".join(_clean(request.utterance).split())
    user_id = _clean(request.user.id if request.user else None) or None
    sender = f"kakao:{user_id}" if user_id else None
    asked = RECEIPT.search(utterance) or RECEIPT.search(_param(payload.action, ("receipt_no", "접수번호")) or "")
    if asked:
        receipt = asked.group(0).upper()
        found = service.by_receipt(session, receipt, sender) if sender else None
        session.rollback()
        if found is None:
            return skill_response(f"접수번호 {receipt}의 신고를 찾을 수 없습니다. "
                                  "이 채팅방에서 접수한 번호인지 확인해 주세요.")
        return skill_response(_status_text(found), found.receipt_no)
    squashed = utterance.replace(" ", "")
    if squashed in STATUS_WORDS:
        mine = service.recent_of_sender(session, sender) if sender else []
        session.rollback()
        if not mine:
            return skill_response("이 채팅방에서 접수한 신고가 없습니다.\n" + GREETING)
        return skill_response("최근 신고\n\n" + "\n\n".join(_status_text(r) for r in mine), mine[0].receipt_no)
    description = _param(payload.action, ("description", "내용", "상황")) or utterance
    if not description or squashed in MENU_WORDS:
        return skill_response(GREETING)
    if len(description.replace(" ", "")) < MIN_DESCRIPTION:
        return skill_response(TOO_SHORT)
    address = _param(payload.action, ADDRESS_PARAMS)
    data = intake.Intake(channel="kakao", description=description[:4000], address=(address or None) and address[:250],
                          category=_category(_param(payload.action, CATEGORY_PARAMS)),
                          external_user_id=sender, dedup_key=intake.dedup_key("kakao", user_id or "-", utterance))
    result = intake.intake(session, data, should_abort=should_abort,
                            timeouts_ms=(LOCK_TIMEOUT_MS, STATEMENT_TIMEOUT_MS))
    receipt = result.report.receipt_no
    if not result.created:
        return skill_response(f"같은 내용이 이미 접수되어 있습니다.\n접수번호: {receipt}\n"
                              f"상태: {service.status_label(result.report.status)}", receipt)
    where = ("위치를 확인해 담당 동 주민센터로 전달하겠습니다." if result.report.dong_id is None
             else "담당 동 주민센터로 전달했습니다.")
    return skill_response(f"신고가 접수되었습니다. 고맙습니다.\n접수번호: {receipt}\n{where}\n"
                          "이 번호를 보내시면 처리 상태를 알려 드립니다.", receipt)


class _Turn:
    """The worker of one chat turn; the session must not close while the worker still uses it."""

    def __init__(self, session: Session):
        self.session = session
        self.future: Future | None = None
        self.abandoned = threading.Event()

    def wait(self) -> None:
        if self.future is not None:
            try:
                self.future.result(timeout=STATEMENT_TIMEOUT_MS / 1000 * 4)
            except Exception:  # the answer was already sent; the worker's own error is logged there
                pass


def turn(session: OwnTransactionSession) -> Iterator[_Turn]:
    """Dependency: a turn holding the request's session, waited for before the session is closed."""
    current = _Turn(session)
    yield current
    current.wait()


def _work(current: _Turn, payload: SkillPayload) -> dict:
    try:
        return handle(current.session, payload, current.abandoned.is_set)
    except Exception as exc:  # noqa: BLE001
        # Any failure still answers Kakao; only the type is logged, a traceback would carry the report's text.
        log.error("카카오 스킬 처리 실패: %s", type(exc).__name__)
        return skill_response(FAILED)


@router.post("/skill", responses={
    403: {"description": "스킬 키가 틀림", "content": {"application/json": {"schema": {
        "type": "object", "required": ["detail"], "properties": {"detail": {"type": "string"}}}}}},
    413: {"description": "메시지가 너무 김 (SkillResponse와 detail)", "content": {"application/json": {"schema": {
        "type": "object", "required": ["detail"], "properties": {"detail": {"type": "string"}}}}}}})
async def skill(request: Request, current: Annotated[_Turn, Depends(turn)],
                key: Annotated[str | None, Query(max_length=200)] = None):
    """Kakao i Open Builder skill: HTTP 200 with a SkillResponse, always (403 for a wrong key, 413 too big)."""
    expected = get_settings().kakao_skill_key
    if not key or not hmac.compare_digest(key.encode(), expected.encode()):
        return JSONResponse({"detail": "스킬 키가 올바르지 않습니다."}, status_code=403)
    try:
        body = await read_limited(request, KAKAO_MAX_BODY)
    except PayloadTooLarge as exc:
        return JSONResponse({**skill_response("메시지가 너무 깁니다. 줄여서 다시 보내 주세요."),
                             "detail": exc.message}, status_code=413)
    try:
        payload = SkillPayload.model_validate(json.loads(body))
    except (ValueError, ValidationError, RecursionError):  # RecursionError: thousands of nested "["
        return skill_response(UNREADABLE)
    user = payload.userRequest.user.id if payload.userRequest and payload.userRequest.user else None
    limits = limiter(request)
    if not await limits.take("kakao_key", "channel") or not await limits.take("kakao_user", user or "anonymous"):
        return skill_response(THROTTLED)
    current.future = _pool().submit(_work, current, payload)
    try:
        return await asyncio.wait_for(asyncio.shield(asyncio.wrap_future(current.future)), timeout=DEADLINE_S)
    except TimeoutError:
        current.abandoned.set()  # the worker rolls back instead of committing a report nobody was told about
        return skill_response(SLOW)
