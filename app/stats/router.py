"""Statistics route."""
from typing import Annotated, Literal

from fastapi import APIRouter, Query

from app.auth.deps import CurrentUser
from app.deps import DateFrom, DateTo, OptionalRecordId, SessionDep
from app.stats import service
from app.stats.schemas import StatsRead

router = APIRouter(prefix="/api/v1", tags=["stats"])


@router.get("/stats", response_model=StatsRead)
def get_stats(principal: CurrentUser, session: SessionDep,
              dong_id: OptionalRecordId = None,
              date_from: DateFrom = None, date_to: DateTo = None,
              interval: Annotated[Literal["week", "month"], Query(description="방문 추이의 단위 (주·월)")] = "month"):
    """Households, levels, visits, needs surveys, service links and facilities in the caller's area, with the
    breakdowns the statistics screen draws (per dong, per week or month, needs, services, report intake)."""
    return service.stats(session, principal, dong_id, date_from, date_to, interval)
