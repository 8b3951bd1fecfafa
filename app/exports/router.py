"""Export routes: the household list and visits as CSV or XLSX, always with a purpose."""
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, Response

from app.auth.deps import CurrentUser
from app.deps import DateFrom, DateTo, OptionalRecordId, ResponseStreams, SessionDep
from app.exports import service
from app.exports.tabular import MEDIA, Purpose, attachment, clean_purpose
from app.households.params import ListFilter, Sort

router = APIRouter(prefix="/api/v1", tags=["exports"])
Format = Literal["csv", "xlsx"]


@router.get("/exports/households.{fmt}", response_class=Response,
            responses={200: {"content": {MEDIA["csv"]: {}, MEDIA["xlsx"]: {}}}})
def export_households(request: Request, fmt: Format, purpose: Purpose, principal: CurrentUser,
                      session: SessionDep, streams: ResponseStreams, f: ListFilter, sort: Sort = "risk",
                      reveal: Annotated[bool, Query(description="실명·전화번호 포함 (담당 공무원, 기록됨)")] = False):
    """The filtered household list (same filters as GET /households) as CSV or XLSX."""
    export = service.households_export(session, principal, f, sort, reveal, clean_purpose(purpose),
                                       f"{request.method} {request.url.path}")
    return attachment(session, streams, export, "households", "가구목록", fmt)


@router.get("/exports/visits.{fmt}", response_class=Response,
            responses={200: {"content": {MEDIA["csv"]: {}, MEDIA["xlsx"]: {}}}})
def export_visits(request: Request, fmt: Format, purpose: Purpose, principal: CurrentUser, session: SessionDep,
                  streams: ResponseStreams, dong_id: OptionalRecordId = None,
                  date_from: DateFrom = None,
                  date_to: DateTo = None):
    """Visits in the caller's area (optionally one dong and a period) as CSV or XLSX."""
    export = service.visits_export(session, principal, dong_id, date_from, date_to, clean_purpose(purpose),
                                   f"{request.method} {request.url.path}")
    return attachment(session, streams, export, "visits", "방문기록", fmt)
