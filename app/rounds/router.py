"""The round route: a tract's households in walking order, for the phone's "오늘의 순회" and offline download."""
from typing import Literal

from fastapi import APIRouter, Query, Request

from app.auth.deps import CurrentUser
from app.deps import RecordId, SessionDep
from app.rounds import service
from app.rounds.schemas import RoundRead
from app.validation import parse_lonlat_text

router = APIRouter(prefix="/api/v1", tags=["rounds"])


@router.get("/rounds/tracts/{tract_id}", response_model=RoundRead)
def tract_round(request: Request, tract_id: RecordId, principal: CurrentUser, session: SessionDep,
                start: str | None = Query(None, max_length=60,
                                          description="출발점 '경도,위도' (기본: 동 주민센터, 출력물과 같음)"),
                urgent_first: bool = Query(False, description="고위험·기한 경과 가구를 먼저 방문"),
                purpose: Literal["offline"] | None = Query(
                    None, description="offline: '오프라인으로 받기' (접속기록에 내려받기로 남음)")):
    """A tract's active households (masked as in the list) in the printout's walking order, with the leg to each."""
    return service.tract_round(session, principal, tract_id, parse_lonlat_text(start, "start"), urgent_first,
                               purpose == "offline", f"{request.method} {request.url.path}")
