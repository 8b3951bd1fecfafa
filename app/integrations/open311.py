"""Open311 GeoReport v2 under /open311/v2: services, requests and tokens, each as .json and .xml.

One service per report category (the crisis indicators of DOMAIN.md). POST requests are form-encoded with
an api_key from settings; incoming XML is never parsed. A request is `open` until the queue converts or
closes it. Reads without a key show no description, address, position or contact: welfare reports are
personal data, and the spec lets a server leave those blank.
"""
import hashlib
import hmac
from datetime import datetime, timedelta

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from sqlalchemy.orm import Session
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.config import get_settings
from app.deps import SessionDep
from app.errors import AppError
from app.geo.validate import CoordinateError, check_lonlat
from app.integrations.open311_format import FORMATS, Open311Error, check_format, error, render
from app.ratelimit import OPEN311_MAX_BODY, limiter, read_limited
from app.reports import intake, service
from app.reports.models import Report
from app.vocab import INDICATORS

router = APIRouter(prefix="/open311/v2", tags=["open311"])

SPEC = "http://wiki.open311.org/GeoReport_v2"
CHANGESET = "2026-11-22T00:00:00+09:00"
GROUP = "복지위기 신고"
CHANNEL = "open311"  # only requests filed here are Open311 service requests; other channels' receipts stay private
MAX_RESULTS = 1000
DEFAULT_WINDOW = timedelta(days=90)
FIRST_YEAR, LAST_YEAR = 2000, 2100  # start_date/end_date outside these years are refused
CLOSED = ("converted", "dismissed", "duplicate")
# What these routes answer, for the OpenAPI document: JSON or XML by the path's .json/.xml; errors are the
# spec's list of {code, description} in the same format.
_ERROR_LIST = {"type": "array", "items": {"type": "object", "required": ["code", "description"],
                                           "properties": {"code": {"type": "integer"},
                                                          "description": {"type": "string"}}}}
_ERROR_BODY = {"application/json": {"schema": _ERROR_LIST}, "text/xml": {"schema": {"type": "string"}}}
OPEN311_DOC = {
    200: {"description": "GeoReport v2 응답 (JSON 또는 XML)",
          "content": {"application/json": {"schema": {}}, "text/xml": {"schema": {"type": "string"}}}},
    **{code: {"description": text, "content": _ERROR_BODY} for code, text in (
        (400, "형식·본문·조건 오류"), (403, "api_key 또는 관할 오류"), (404, "없는 서비스·요청·토큰"),
        (413, "본문이 너무 큼"), (429, "요청이 너무 잦음"))},
}
URGENT_NOTICE = "생명이 위급한 상황이면 112·119에 먼저 신고해 주세요. 이 신고는 동 주민센터가 확인합니다."
NOTICE = "동 주민센터가 확인합니다. 급한 경우 보건복지상담센터(129)로 연락해 주세요."

ATTRIBUTES = [
    {"code": "immediate_danger", "datatype": "singlevaluelist", "required": False, "order": 1,
     "description": "지금 생명이나 안전이 위험한 상황인가요?", "datatype_description": "",
     "values": [{"key": "yes", "name": "예"}, {"key": "no", "name": "아니오"}]},
    {"code": "household_size", "datatype": "number", "required": False, "order": 2,
     "description": "함께 사는 사람 수 (아는 만큼)", "datatype_description": "1~50 사이의 숫자"},
    {"code": "other_indicators", "datatype": "multivaluelist", "required": False, "order": 3,
     "description": "함께 보이는 다른 어려움", "datatype_description": "",
     "values": [{"key": code, "name": label} for code, label in INDICATORS.items()]},
    {"code": "reporter_relation", "datatype": "singlevaluelist", "required": False, "order": 4,
     "description": "신고하시는 분과의 관계", "datatype_description": "",
     "values": [{"key": "neighbour", "name": "이웃"}, {"key": "worker", "name": "검침·배달 등 방문 업무"},
                {"key": "family", "name": "가족·지인"}, {"key": "self", "name": "본인"},
                {"key": "other", "name": "기타"}]},
]
_ATTRIBUTE_CODES = {a["code"]: a for a in ATTRIBUTES}


def _check_jurisdiction(request: Request) -> None:
    jurisdiction = request.query_params.get("jurisdiction_id")
    if jurisdiction and jurisdiction not in get_settings().deployment_district_codes:
        raise Open311Error(404, "jurisdiction_id를 찾을 수 없습니다.")


def _key_label(api_key: str | None) -> str | None:
    """The stored name of a valid api_key (a hash: the key itself is never written down), else None."""
    if not api_key:
        return None
    for known in get_settings().open311_api_keys:
        if hmac.compare_digest(api_key.encode(), known.encode()):
            return "open311:" + hashlib.sha256(known.encode()).hexdigest()[:16]
    return None


def _service(code: str) -> dict:
    label = INDICATORS[code]
    return {"service_code": code, "service_name": label,
            "description": f"{label} 위기가 의심되는 이웃을 동 주민센터에 알립니다.", "metadata": True,
            "type": "realtime", "keywords": f"복지,사각지대,{label}", "group": GROUP}


def _iso(moment: datetime | None) -> str | None:
    return moment.astimezone(get_settings().tz).isoformat(timespec="seconds") if moment else None


def _request_view(row, caller: str | None) -> dict:
    """A service request; position, text and notes only for the key that filed it."""
    report: Report = row[0]
    own = caller is not None and report.external_user_id == caller
    code = report.category if report.category in INDICATORS else "other"
    return {
        "service_request_id": report.receipt_no,
        "status": "closed" if report.status in CLOSED else "open",
        "status_notes": service.status_note(report, public=not own),
        "service_name": INDICATORS[code], "service_code": code,
        "description": report.description if own else None,
        "agency_responsible": (f"{row.dong_name} 주민센터" if row.dong_name else "구청 복지정책과") if own else None,
        "service_notice": NOTICE,
        "requested_datetime": _iso(report.created_at), "updated_datetime": _iso(report.updated_at),
        "expected_datetime": None,
        "address": report.address if own else None, "address_id": None, "zipcode": None,
        "lat": round(row.lat, 7) if own and row.lat is not None else None,
        "long": round(row.lon, 7) if own and row.lon is not None else None,
        "media_url": None,
    }


def _parse_when(text: str | None, name: str) -> datetime | None:
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise Open311Error(400, f"{name}는 W3C 날짜·시각 형식이어야 합니다 (예: 2026-11-01T00:00:00Z).") from None
    if not FIRST_YEAR <= moment.year <= LAST_YEAR:  # year 1 or 9999 would overflow the window arithmetic
        raise Open311Error(400, f"{name}는 {FIRST_YEAR}년부터 {LAST_YEAR}년 사이여야 합니다.")
    return moment if moment.tzinfo else moment.replace(tzinfo=get_settings().tz)


def _has_nul(*values: str) -> bool:
    """True when any value holds a NUL, which PostgreSQL text refuses (a DataError, not a miss)."""
    return any("\x00" in v for v in values)


def _list(session: Session, params, caller: str | None) -> list[dict]:
    ids = [p.strip() for p in (params.get("service_request_id") or "").split(",") if p.strip()]
    if _has_nul(*ids):
        raise Open311Error(400, "service_request_id에 NUL 문자는 쓸 수 없습니다.")
    if ids:
        rows = service.channel_reports(session, CHANNEL, receipt_nos=ids, limit=MAX_RESULTS)
    else:
        now = get_settings().now()
        end = _parse_when(params.get("end_date"), "end_date") or now
        start = _parse_when(params.get("start_date"), "start_date") or end - DEFAULT_WINDOW
        if start > end:
            raise Open311Error(400, "start_date가 end_date보다 늦습니다.")
        if end - start > DEFAULT_WINDOW:
            raise Open311Error(400, "조회 기간은 90일을 넘을 수 없습니다.")
        codes = [c.strip() for c in (params.get("service_code") or "").split(",") if c.strip()]
        unknown = [c for c in codes if c not in INDICATORS]
        if unknown:
            raise Open311Error(400, f"알 수 없는 service_code: {', '.join(unknown)}")
        statuses = [s.strip() for s in (params.get("status") or "").split(",") if s.strip()]
        if any(s not in ("open", "closed") for s in statuses):
            raise Open311Error(400, "status는 open 또는 closed 입니다.")
        wanted = [*service.OPEN_STATUSES] * ("open" in statuses) + [*CLOSED] * ("closed" in statuses)
        rows = service.channel_reports(session, CHANNEL, start=start, end=end, categories=codes, statuses=wanted,
                                       limit=MAX_RESULTS)
    session.rollback()
    return [_request_view(row, caller) for row in rows]


def _one(session: Session, receipt_no: str, caller: str | None) -> list[dict]:
    if _has_nul(receipt_no):
        raise Open311Error(404, "서비스 요청을 찾을 수 없습니다.")
    row = service.channel_report(session, CHANNEL, receipt_no)
    session.rollback()
    if row is None:
        raise Open311Error(404, f"서비스 요청 {receipt_no}을(를) 찾을 수 없습니다.")
    return [_request_view(row, caller)]


def _float(text: str | None, name: str) -> float | None:
    if text is None or not text.strip():
        return None
    try:
        value = float(text)
    except ValueError:
        raise Open311Error(400, f"{name}는 숫자여야 합니다.") from None
    if value != value or value in (float("inf"), float("-inf")):
        raise Open311Error(400, f"{name}에 NaN 또는 무한대 값은 쓸 수 없습니다.")
    return value


def _text(form, name: str, limit: int) -> str | None:
    value = form.get(name)
    if value is None or not isinstance(value, str):
        return None
    if "\x00" in value:
        raise Open311Error(400, f"{name}에 NUL 문자는 쓸 수 없습니다.")
    value = value.strip()
    if len(value) > limit:
        raise Open311Error(400, f"{name}가 너무 깁니다 (최대 {limit}자).")
    return value or None


def _attributes(form) -> dict[str, list[str]]:
    """attribute[code]=v and attribute[code][]=v (repeated for multi-value lists); unknown codes ignored."""
    out: dict[str, list[str]] = {}
    for key, value in form.multi_items():
        if not key.startswith("attribute[") or not isinstance(value, str):
            continue
        code = key[len("attribute["):].split("]", 1)[0]
        if code in _ATTRIBUTE_CODES and value.strip():
            out.setdefault(code, []).extend(v.strip() for v in value.split(",") if v.strip())
    for code, values in out.items():
        allowed = {v["key"] for v in _ATTRIBUTE_CODES[code].get("values", [])}
        if allowed and any(v not in allowed for v in values):
            raise Open311Error(400, f"attribute[{code}]에 허용되지 않는 값이 있습니다.")
    if "household_size" in out:
        size = _float(out["household_size"][0], "attribute[household_size]")
        if size is None or not 1 <= size <= 50:
            raise Open311Error(400, "attribute[household_size]는 1~50 사이여야 합니다.")
    return out


def _intake_from_form(form, caller: str) -> tuple[intake.Intake, bool]:
    code = _text(form, "service_code", 40)
    if not code:
        raise Open311Error(400, "service_code가 필요합니다.")
    if code not in INDICATORS:
        raise Open311Error(404, f"service_code {code}을(를) 찾을 수 없습니다.")
    lat, lon = _float(form.get("lat"), "lat"), _float(form.get("long"), "long")
    address = _text(form, "address_string", 250) or _text(form, "address_id", 250)
    if (lat is None) != (lon is None):
        raise Open311Error(400, "lat과 long을 함께 보내야 합니다.")
    if lat is None and not address:
        raise Open311Error(400, "위치가 필요합니다: lat·long 또는 address_string.")
    if lat is not None:
        try:
            check_lonlat(lon, lat)
        except CoordinateError as exc:
            raise Open311Error(400, str(exc)) from None
    attributes = _attributes(form)
    description = _text(form, "description", 4000) or f"[{INDICATORS[code]}] 신고 (설명 없음)"
    notes = []
    if attributes.get("immediate_danger") == ["yes"]:
        notes.append("[긴급] 신고자가 생명·안전 위험을 알림")
    if "household_size" in attributes:
        notes.append(f"[가구원 수] {attributes['household_size'][0]}")
    if "reporter_relation" in attributes:
        relation = {v["key"]: v["name"] for v in _ATTRIBUTE_CODES["reporter_relation"]["values"]}
        notes.append(f"[신고자 관계] {relation[attributes['reporter_relation'][0]]}")
    media = _text(form, "media_url", 500)
    if media:
        notes.append(f"[사진 링크] {media}")
    if notes:
        description = description + "\n" + "\n".join(notes)
    name = " ".join(p for p in (_text(form, "last_name", 40), _text(form, "first_name", 40)) if p)
    contact = " / ".join(p for p in (name, _text(form, "phone", 30), _text(form, "email", 80)) if p) or None
    data = intake.Intake(
        channel=CHANNEL, description=description[:4000], lon=lon, lat=lat, address=address,
        indicators=attributes.get("other_indicators", []), category=code,
        reporter_contact=contact[:120] if contact else None, external_user_id=caller,
        dedup_key=intake.dedup_key("open311", caller, code, description, address, str(lat), str(lon)))
    return data, attributes.get("immediate_danger") == ["yes"]


def _create(session: Session, data: intake.Intake) -> intake.IntakeResult:
    try:
        return intake.intake(session, data)
    except AppError as exc:  # the spec's "general service error" is a 400, a database failure included
        raise Open311Error(400, exc.message) from None


def _guard(handler):
    """Run a sync handler, turning Open311Error into the spec's error list."""
    def wrapped(fmt: str, *args):
        try:
            return handler(check_format(fmt), *args)
        except Open311Error as exc:
            return error(fmt, exc.status, exc.description)
    return wrapped


@router.get("/discovery.{fmt}", response_class=Response, responses=OPEN311_DOC)
def discovery(request: Request, fmt: str):
    """Where this GeoReport v2 endpoint is and which formats it speaks."""
    def build(f: str):
        base = str(request.base_url).rstrip("/") + router.prefix
        data = {"changeset": CHANGESET, "contact": "구청 복지정책과 (행복-맵 담당)",
                "key_service": "api_key는 구청 복지정책과에 신청하세요.",
                "endpoints": [{"specification": SPEC, "url": base, "changeset": CHANGESET, "type": "production",
                               "formats": ["text/xml", "application/json"]}]}
        return render(f, data, "discovery")
    return _guard(build)(fmt)


@router.get("/services.{fmt}", response_class=Response, responses=OPEN311_DOC)
def services(request: Request, fmt: str):
    """One service per report category, with Korean names."""
    def build(f: str):
        _check_jurisdiction(request)
        return render(f, [_service(code) for code in INDICATORS], "services", "service")
    return _guard(build)(fmt)


@router.get("/services/{service_code}.{fmt}", response_class=Response, responses=OPEN311_DOC)
def service_definition(request: Request, service_code: str, fmt: str):
    """The attributes a request of this service may carry."""
    def build(f: str):
        _check_jurisdiction(request)
        if service_code not in INDICATORS:
            raise Open311Error(404, f"service_code {service_code}을(를) 찾을 수 없습니다.")
        attributes = [{"variable": True, **a} for a in ATTRIBUTES]
        return render(f, {"service_code": service_code, "attributes": attributes}, "service_definition")
    return _guard(build)(fmt)


@router.get("/requests.{fmt}", response_class=Response, responses=OPEN311_DOC)
def list_requests(request: Request, fmt: str, session: SessionDep):
    """Requests by id list, or by service_code, start_date/end_date (≤ 90 days) and status."""
    def build(f: str):
        _check_jurisdiction(request)
        caller = _key_label(request.query_params.get("api_key"))
        return render(f, _list(session, request.query_params, caller), "service_requests", "request")
    return _guard(build)(fmt)


@router.get("/requests/{service_request_id}.{fmt}", response_class=Response, responses=OPEN311_DOC)
def get_request(request: Request, service_request_id: str, fmt: str, session: SessionDep):
    """One request, as a list of one (the spec's shape in both formats)."""
    def build(f: str):
        _check_jurisdiction(request)
        caller = _key_label(request.query_params.get("api_key"))
        return render(f, _one(session, service_request_id[:40], caller), "service_requests", "request")
    return _guard(build)(fmt)


@router.get("/tokens/{token}.{fmt}", response_class=Response, responses=OPEN311_DOC)
def get_token(request: Request, token: str, fmt: str, session: SessionDep):
    """Requests are created at once, so a token is the request id itself."""
    def build(f: str):
        _check_jurisdiction(request)
        if _has_nul(token):
            raise Open311Error(404, "토큰을 찾을 수 없습니다.")
        found = service.by_receipt(session, token[:40])
        session.rollback()
        if found is None or found.channel != CHANNEL:
            raise Open311Error(404, f"토큰 {token}을(를) 찾을 수 없습니다.")
        return render(f, [{"service_request_id": found.receipt_no, "token": token}], "service_requests",
                      "request")
    return _guard(build)(fmt)


@router.post("/requests.{fmt}", response_class=Response, responses=OPEN311_DOC)
async def post_request(request: Request, fmt: str, session: SessionDep):
    """Create a request from a form-encoded body with api_key (rate-limited per key, 413 when too big)."""
    out = fmt if fmt in FORMATS else "json"
    try:
        check_format(fmt)
        _check_jurisdiction(request)
        try:
            await read_limited(request, OPEN311_MAX_BODY)
        except AppError as exc:
            raise Open311Error(413, exc.message) from None
        content_type = request.headers.get("content-type", "")
        if not content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            raise Open311Error(400, "본문은 application/x-www-form-urlencoded 형식이어야 합니다.")
        try:
            form = await request.form(max_files=0, max_fields=200)
        except StarletteHTTPException:
            raise Open311Error(400, "본문을 읽을 수 없습니다 (파일은 받지 않으며 항목은 200개까지입니다).") from None
        caller = _key_label(form.get("api_key") if isinstance(form.get("api_key"), str) else None)
        if caller is None:
            raise Open311Error(403, "api_key가 올바르지 않습니다.")
        if not await limiter(request).take("open311_key", caller):
            raise Open311Error(429, "요청이 너무 잦습니다. 잠시 후 다시 시도하세요.")
        data, urgent = _intake_from_form(form, caller)
        result = await run_in_threadpool(_create, session, data)
    except Open311Error as exc:
        return error(out, exc.status, exc.description)
    answer = [{"service_request_id": result.report.receipt_no, "service_notice": URGENT_NOTICE if urgent
               else NOTICE, "account_id": None}]
    return render(out, answer, "service_requests", "request")

