"""Report HTTP routes: intake (JSON or multipart with photos), the triage queue and its actions."""
import json
from typing import Annotated

from fastapi import APIRouter, Header, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse
from pydantic import ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.auth.deps import CurrentUser
from app.config import get_settings
from app.deps import OptionalRecordId, PageDep, RecordId, SessionDep, if_match_version
from app.errors import InvalidInput
from app.households.schemas import HouseholdRead
from app.ratelimit import TooManyRequests, limiter, read_limited
from app.reports import intake, service, triage
from app.reports import photos as photo_store
from app.reports.schemas import (
    ReportConvert,
    ReportCreate,
    ReportCreated,
    ReportDismiss,
    ReporterReportRead,
    ReportList,
    ReportMarkDuplicate,
    ReportRead,
    ReportReview,
)
from app.vocab import REPORT_STATUSES

router = APIRouter(prefix="/api/v1", tags=["reports"])
FORM_CLIENT = "report-form"  # the /report page marks its requests with X-Happymap-Client


def _resource(request: Request) -> str:
    return f"{request.method} {request.url.path}"


async def _parse_intake(request: Request) -> tuple[ReportCreate, list[photo_store.PhotoUpload]]:
    """JSON body, or multipart form fields plus `photos` files; validated like any other input."""
    await read_limited(request, get_settings().max_body_bytes)
    uploads: list[photo_store.PhotoUpload] = []
    if request.headers.get("content-type", "").startswith("multipart/form-data"):
        try:
            form = await request.form(max_files=photo_store.MAX_PHOTOS + 1, max_fields=40)
        except StarletteHTTPException:
            raise InvalidInput(f"양식을 읽을 수 없습니다 (사진은 {photo_store.MAX_PHOTOS}장까지, 항목은 40개까지).") \
                from None
        try:
            raw: dict = {}
            for key, value in form.multi_items():
                if key == "photos":
                    if hasattr(value, "read"):
                        data = await value.read()
                        if data:
                            uploads.append(photo_store.PhotoUpload(value.filename or "", data))
                    continue
                if not isinstance(value, str) or value.strip() == "":
                    continue
                if key == "indicators":
                    raw.setdefault("indicators", []).extend(p.strip() for p in value.split(",") if p.strip())
                else:
                    raw[key] = value
        finally:
            await form.close()
    else:
        try:
            raw = json.loads(request._body or b"null")
        except (ValueError, RecursionError):  # RecursionError: absurdly deep nesting
            raise InvalidInput("JSON 형식이 올바르지 않습니다.") from None
        if not isinstance(raw, dict):
            raise InvalidInput("본문은 JSON 객체여야 합니다.")
    try:
        return ReportCreate.model_validate(raw), uploads
    except ValidationError as exc:
        raise RequestValidationError([{**e, "loc": ("body", *e["loc"])} for e in exc.errors()]) from None


@router.post("/reports", status_code=201, response_model=ReportCreated,
             openapi_extra={"requestBody": {"content": {
                 "application/json": {"schema": ReportCreate.model_json_schema()},
                 "multipart/form-data": {"schema": {"type": "object", "properties": {
                     "description": {"type": "string"}, "lon": {"type": "number"}, "lat": {"type": "number"},
                     "address": {"type": "string"}, "indicators": {"type": "string"},
                     "reporter_contact": {"type": "string"},
                     "photos": {"type": "array", "items": {"type": "string", "format": "binary"}}}}}}}})
async def create_report(request: Request, response: Response, principal: CurrentUser, session: SessionDep):
    """File a report (통장, partner, staff); the server places it and suggests duplicates (staff only)."""
    body, uploads = await _parse_intake(request)
    if not await limiter(request).take("report_user", str(principal.user_id)):
        raise TooManyRequests()
    channel = "web" if request.headers.get("x-happymap-client") == FORM_CLIENT else "api"
    data = intake.Intake(channel=channel, description=body.description, lon=body.lon, lat=body.lat,
                          address=body.address or None, indicators=list(body.indicators), category=body.category,
                          reporter_contact=body.reporter_contact or None, reporter_user_id=principal.user_id,
                          photos=uploads)
    result = await run_in_threadpool(intake.intake, session, data, principal=principal)
    return intake.created_view(result, principal)


def _statuses(text: str | None) -> tuple[str, ...]:
    if not text:
        return ()
    codes = tuple(dict.fromkeys(p.strip() for p in text.split(",") if p.strip()))
    unknown = [c for c in codes if c not in REPORT_STATUSES]
    if unknown:
        raise InvalidInput(f"알 수 없는 상태: {', '.join(unknown)} ({', '.join(REPORT_STATUSES)} 중에서)")
    return codes


@router.get("/reports", response_model=ReportList)
def list_reports(request: Request, principal: CurrentUser, session: SessionDep,
                 page: PageDep,
                 status: str | None = Query(None, max_length=80, description="new,reviewing,..."),
                 dong_id: OptionalRecordId = None,
                 unplaced: bool | None = Query(None, description="true: 위치 확인 필요만"),
                 waiting: bool | None = Query(None, description="true: 처리 기한(접수 후 14일)이 지난 미처리 신고만"),
                 channel: str | None = Query(None, pattern="^(web|api|kakao|open311)$"),
                 household_id: OptionalRecordId = None):
    """The triage queue (staff, by dong) or the caller's own reports (통장, partner)."""
    f = service.ReportFilter(statuses=_statuses(status), dong_id=dong_id, unplaced=unplaced, channel=channel,
                             household_id=household_id, waiting=waiting)
    return service.list_(session, principal, f, page.limit, page.offset, _resource(request))


@router.get("/reports/{report_id}", response_model=ReportRead | ReporterReportRead)
def get_report(request: Request, report_id: RecordId, principal: CurrentUser,
               session: SessionDep):
    """One report: the staff record (photos, history, duplicate suggestions) or the reporter's own view."""
    return service.get(session, principal, report_id, _resource(request))


@router.get("/reports/{report_id}/photos/{photo_id}", response_class=FileResponse)
def get_photo(report_id: RecordId, photo_id: RecordId, principal: CurrentUser, session: SessionDep):
    """A report photo, served only through the API (the files live outside the web root)."""
    found = service.photo(session, principal, report_id, photo_id)
    return FileResponse(photo_store.path_of(found.storage_name), media_type=found.content_type,
                        headers={"X-Content-Type-Options": "nosniff"})


IfMatch = Annotated[str | None, Header()]


@router.post("/reports/{report_id}/review", response_model=ReportRead)
def review_report(request: Request, report_id: RecordId, body: ReportReview,
                  principal: CurrentUser, session: SessionDep, if_match: IfMatch = None):
    """Take a new report into review."""
    return triage.review(session, principal, report_id, body, if_match_version(if_match), _resource(request))


@router.post("/reports/{report_id}/convert", response_model=HouseholdRead, status_code=201)
def convert_report(request: Request, report_id: RecordId, body: ReportConvert,
                   principal: CurrentUser, session: SessionDep, if_match: IfMatch = None):
    """Register the reported household (unvisited, white on the map), linked to the report both ways."""
    return triage.convert(session, principal, report_id, body, if_match_version(if_match), _resource(request))


@router.post("/reports/{report_id}/dismiss", response_model=ReportRead)
def dismiss_report(request: Request, report_id: RecordId, body: ReportDismiss,
                   principal: CurrentUser, session: SessionDep, if_match: IfMatch = None):
    """Close a report with a reason."""
    return triage.dismiss(session, principal, report_id, body, if_match_version(if_match), _resource(request))


@router.post("/reports/{report_id}/mark-duplicate", response_model=ReportRead)
def mark_duplicate(request: Request, report_id: RecordId, body: ReportMarkDuplicate,
                   principal: CurrentUser, session: SessionDep, if_match: IfMatch = None):
    """Link a report to the household or report it repeats."""
    return triage.mark_duplicate(session, principal, report_id, body, if_match_version(if_match),
                                 _resource(request))
