"""Statistics route."""
from typing import Annotated, Literal

from fastapi import APIRouter, Query

from app.auth.deps import CurrentUser
from app.deps import DateFrom, DateTo, OptionalRecordId, SessionDep
from app.stats import service
from app.stats.schemas import Quality, StatsRead

router = APIRouter(prefix="/api/v1", tags=["stats"])


@router.get("/stats", response_model=StatsRead)
def get_stats(principal: CurrentUser, session: SessionDep,
              dong_id: OptionalRecordId = None,
              date_from: DateFrom = None, date_to: DateTo = None,
              interval: Annotated[Literal["week", "month"], Query(description="방문 추이의 단위 (주·월)")] = "month"):
    """Households, levels, visits, needs surveys, service links and facilities in the caller's area, with the
    breakdowns the statistics screen draws (per dong, per week or month, needs, services, report intake)."""
    return service.stats(session, principal, dong_id, date_from, date_to, interval)


@router.get("/stats/quality", response_model=Quality)
def get_quality(principal: CurrentUser, session: SessionDep, dong_id: OptionalRecordId = None):
    """What needs checking now in the caller's area: approximate points, overdue households, reports waiting or
    unplaced, facilities whose referral capacity is unconfirmed (the map legend's and statistics' 점검 필요)."""
    return service.quality(session, principal, dong_id)
