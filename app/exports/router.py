"""Export routes: the household list and visits as CSV or XLSX, always with a purpose."""
from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, Response

from app.config import get_settings
from app.deps import CurrentUser, SessionDep
from app.errors import InvalidInput
from app.exports import service
from app.exports.tabular import Table, to_csv, to_xlsx
from app.households.router import household_filter

router = APIRouter(prefix="/api/v1", tags=["exports"])
Format = Literal["csv", "xlsx"]
MEDIA = {"csv": "text/csv; charset=utf-8",
         "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
Purpose = Annotated[str, Query(min_length=2, max_length=300, description="내보내기 사유 (접속기록에 남습니다)")]


def _purpose(text: str) -> str:
    text = text.strip()
    if "\x00" in text or len(text) < 2:
        raise InvalidInput("purpose: 내보내기 사유를 2자 이상 적어 주세요.")
    return text


def _file(table: Table, stem: str, fmt: str) -> Response:
    body = to_csv(table) if fmt == "csv" else to_xlsx(table)
    name = f"{stem}-{get_settings().today():%Y%m%d}.{fmt}"
    return Response(body, media_type=MEDIA[fmt], headers={
        "Content-Disposition": f'attachment; filename="{name}"'})


@router.get("/exports/households.{fmt}", response_class=Response,
            responses={200: {"content": {MEDIA["csv"]: {}, MEDIA["xlsx"]: {}}}})
def export_households(request: Request, fmt: Format, purpose: Purpose, principal: CurrentUser,
                      session: SessionDep,
                      dong_id: int | None = Query(None, ge=1, le=2**31 - 1),
                      tract_id: int | None = Query(None, ge=1, le=2**31 - 1),
                      risk: str | None = Query(None, max_length=60),
                      need: str | None = Query(None, max_length=300),
                      overdue: bool | None = None,
                      q: str | None = Query(None, max_length=100),
                      status: Literal["active", "closed", "all"] = "active",
                      sort: Literal["risk", "-last_visit_at", "last_visit_at", "next_visit_due", "address"] = "risk",
                      reveal: bool = Query(False, description="실명·전화번호 포함 (담당 공무원, 기록됨)")):
    """The filtered household list (same filters as GET /households) as CSV or XLSX."""
    f = household_filter(dong_id, tract_id, risk, need, overdue, q, status, None)
    table = service.households_table(session, principal, f, sort, reveal, _purpose(purpose),
                                     f"{request.method} {request.url.path}")
    return _file(table, "households", fmt)


@router.get("/exports/visits.{fmt}", response_class=Response,
            responses={200: {"content": {MEDIA["csv"]: {}, MEDIA["xlsx"]: {}}}})
def export_visits(request: Request, fmt: Format, purpose: Purpose, principal: CurrentUser, session: SessionDep,
                  dong_id: int | None = Query(None, ge=1, le=2**31 - 1),
                  date_from: date | None = Query(None, alias="from"),
                  date_to: date | None = Query(None, alias="to")):
    """Visits in the caller's area (optionally one dong and a period) as CSV or XLSX."""
    table = service.visits_table(session, principal, dong_id, date_from, date_to, _purpose(purpose),
                                 f"{request.method} {request.url.path}")
    return _file(table, "visits", fmt)
