"""Printout routes: a tract's field-round PDF, a dong atlas PDF and the offline HTML map."""
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Query, Request, Response

from app.auth.deps import CurrentUser
from app.config import get_settings
from app.deps import RecordId, SessionDep
from app.errors import InvalidInput
from app.households.service import parse_risk
from app.printing import service
from app.printing.schemas import PrintOptions
from app.validation import mask_rrn_in_text, parse_codes, parse_lonlat_text
from app.vocab import NEEDS

router = APIRouter(prefix="/api/v1", tags=["printing"])
PDF_DOC = {200: {"content": {"application/pdf": {}}, "description": "A4 PDF"}}
HTML_DOC = {200: {"content": {"text/html": {}}, "description": "오프라인 HTML 지도"}}


def print_options(
    purpose: str | None = Query(None, max_length=300, description="출력 사유 (필수, 접속기록에 남습니다)"),
    risk: str | None = Query(None, max_length=60, description="high,medium,low,unvisited"),
    need: str | None = Query(None, max_length=300, description="욕구 코드, 쉼표로 구분"),
    overdue: bool | None = Query(None, description="true: 방문 기한 경과 가구만"),
    urgent_first: bool = Query(False, description="고위험·기한 경과 가구를 먼저 방문"),
    start: str | None = Query(None, max_length=60, description="출발점 '경도,위도' (기본: 동 주민센터)"),
) -> PrintOptions:
    """Parse and check the printout options; `purpose` must say why personal data is printed."""
    reason = mask_rrn_in_text(" ".join((purpose or "").replace("\x00", " ").split()))
    if len(reason) < 2:
        raise InvalidInput("출력 사유(purpose)를 2자 이상 입력하세요. "
                           "개인정보가 담긴 출력물은 사유와 함께 접속기록에 남습니다.")
    return PrintOptions(purpose=reason, risk=parse_risk(risk), need=parse_codes(need, NEEDS, "욕구 코드"),
                        overdue=overdue, urgent_first=urgent_first, start=parse_lonlat_text(start, "start"))


Options = Annotated[PrintOptions, Depends(print_options)]


def _resource(request: Request) -> str:
    return f"{request.method} {request.url.path}"


def _headers(disposition: str, kind: str, record_id: int, title: str, ext: str) -> dict[str, str]:
    """A file name people can sort and recognise (`천연동-4통-2026-12-02.pdf`), with an ASCII fallback."""
    day = f"{get_settings().today():%Y-%m-%d}"
    name = "-".join([*title.split(), day]) + f".{ext}"
    return {"Content-Disposition": f"{disposition}; filename=\"{kind}-{record_id}-{day}.{ext}\"; "
                                   f"filename*=UTF-8''{quote(name)}"}


@router.get("/print/tracts/{tract_id}.pdf", response_class=Response, responses=PDF_DOC)
def print_tract_pdf(request: Request, principal: CurrentUser, session: SessionDep, tract_id: RecordId,
                    options: Options):
    """A tract's field-round map and household list (A4), numbered in walking order."""
    body, title = service.tract_pdf(session, principal, tract_id, options, _resource(request))
    return Response(body, media_type="application/pdf",
                    headers=_headers("inline", "tract", tract_id, title, "pdf"))


@router.get("/print/dongs/{dong_id}.pdf", response_class=Response, responses=PDF_DOC)
def print_dong_pdf(request: Request, principal: CurrentUser, session: SessionDep, dong_id: RecordId, options: Options):
    """Every tract of a dong in tract order with a cover page (an atlas)."""
    body, title = service.dong_pdf(session, principal, dong_id, options, _resource(request))
    return Response(body, media_type="application/pdf",
                    headers=_headers("inline", "dong", dong_id, f"{title} 전체", "pdf"))


@router.get("/print/tracts/{tract_id}.html", response_class=Response, responses=HTML_DOC)
def print_tract_html(request: Request, principal: CurrentUser, session: SessionDep, tract_id: RecordId,
                     options: Options):
    """The same round as one self-contained HTML map for a phone with no signal."""
    body, title = service.tract_html(session, principal, tract_id, options, _resource(request))
    return Response(body, media_type="text/html; charset=utf-8",
                    headers=_headers("attachment", "tract", tract_id, f"{title} 오프라인", "html"))
