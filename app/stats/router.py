"""Statistics route."""
from datetime import date

from fastapi import APIRouter, Query

from app.deps import CurrentUser, SessionDep
from app.stats import service
from app.stats.schemas import StatsRead

router = APIRouter(prefix="/api/v1", tags=["stats"])


@router.get("/stats", response_model=StatsRead)
def get_stats(principal: CurrentUser, session: SessionDep,
              dong_id: int | None = Query(None, ge=1, le=2**31 - 1),
              date_from: date | None = Query(None, alias="from", description="시작일 (포함)"),
              date_to: date | None = Query(None, alias="to", description="종료일 (포함)")):
    """Households, levels, visits, needs surveys, service links and facilities in the caller's area."""
    return service.stats(session, principal, dong_id, date_from, date_to)
