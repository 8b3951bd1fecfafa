"""Statistics payloads."""
from datetime import date

from pydantic import BaseModel


class RiskCounts(BaseModel):
    high: int
    medium: int
    low: int
    unvisited: int


class StatsRead(BaseModel):
    households_total: int
    households_visited: int
    visits_total: int
    risk: RiskCounts
    visitor_participations: int
    needs_surveys: int
    service_links: int
    facilities: int
    overdue: int
    dong_id: int | None = None
    period_from: date | None = None
    period_to: date | None = None
    as_of: date
