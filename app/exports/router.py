"""Export routes: the household list and visits as CSV or XLSX, always with a purpose."""
from collections.abc import Generator
from typing import Annotated, Literal
from urllib.parse import quote

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import StreamingResponse
from sqlalchemy.orm import Session

from app.auth.deps import CurrentUser
from app.config import get_settings
from app.deps import DateFrom, DateTo, OptionalRecordId, ResponseStreams, SessionDep
from app.errors import InvalidInput
from app.exports import service
from app.exports.tabular import Export, stream
from app.exports.xlsx import XLSX_MEDIA_TYPE
from app.households.params import ListFilter, Sort

router = APIRouter(prefix="/api/v1", tags=["exports"])
Format = Literal["csv", "xlsx"]
MEDIA = {"csv": "text/csv; charset=utf-8", "xlsx": XLSX_MEDIA_TYPE}
Purpose = Annotated[str, Query(min_length=2, max_length=300, description="내보내기 사유 (접속기록에 남습니다)")]


def _purpose(text: str) -> str:
    text = text.strip()
    if "\x00" in text or len(text) < 2:
        raise InvalidInput("purpose: 내보내기 사유를 2자 이상 적어 주세요.")
    return text


def _file(session: Session, streams: list[Generator], export: Export, stem: str, title: str,
          fmt: str) -> StreamingResponse:
    """The file is sent while it is built; its rows are read after the access record was committed. Saved as
    `가구목록-2026-12-02.xlsx` (an ASCII name for clients that cannot read the UTF-8 one)."""
    today = get_settings().today()
    body = stream(session, export, fmt)
    streams.append(body)
    return StreamingResponse(body, media_type=MEDIA[fmt], headers={
        "Content-Disposition": f'attachment; filename="{stem}-{today:%Y%m%d}.{fmt}"; '
                               f"filename*=UTF-8''{quote(f'{title}-{today:%Y-%m-%d}.{fmt}')}"})


@router.get("/exports/households.{fmt}", response_class=Response,
            responses={200: {"content": {MEDIA["csv"]: {}, MEDIA["xlsx"]: {}}}})
def export_households(request: Request, fmt: Format, purpose: Purpose, principal: CurrentUser,
                      session: SessionDep, streams: ResponseStreams, f: ListFilter, sort: Sort = "risk",
                      reveal: Annotated[bool, Query(description="실명·전화번호 포함 (담당 공무원, 기록됨)")] = False):
    """The filtered household list (same filters as GET /households) as CSV or XLSX."""
    export = service.households_export(session, principal, f, sort, reveal, _purpose(purpose),
                                       f"{request.method} {request.url.path}")
    return _file(session, streams, export, "households", "가구목록", fmt)


@router.get("/exports/visits.{fmt}", response_class=Response,
            responses={200: {"content": {MEDIA["csv"]: {}, MEDIA["xlsx"]: {}}}})
def export_visits(request: Request, fmt: Format, purpose: Purpose, principal: CurrentUser, session: SessionDep,
                  streams: ResponseStreams, dong_id: OptionalRecordId = None,
                  date_from: DateFrom = None,
                  date_to: DateTo = None):
    """Visits in the caller's area (optionally one dong and a period) as CSV or XLSX."""
    export = service.visits_export(session, principal, dong_id, date_from, date_to, _purpose(purpose),
                                   f"{request.method} {request.url.path}")
    return _file(session, streams, export, "visits", "방문기록", fmt)
