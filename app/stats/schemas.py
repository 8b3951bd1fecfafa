"""Statistics payloads."""
from datetime import date
from typing import Literal

from pydantic import BaseModel


class RiskCounts(BaseModel):
    high: int
    medium: int
    low: int
    unvisited: int


class DongStats(BaseModel):
    dong_id: int
    dong_name: str
    households_total: int
    households_visited: int
    visits_total: int
    risk: RiskCounts
    overdue: int
    service_links: int


class PeriodVisits(BaseModel):
    start: date  # the first day of the week (Monday) or month
    visits: int
    households: int


class NeedCount(BaseModel):
    need: str
    label: str
    count: int


class ServiceLinkCount(BaseModel):
    type: str
    status: str
    count: int


class Intake(BaseModel):
    """Blind-spot reports of the period: received → placed in a dong → made households → visited since."""

    received: int
    placed: int
    converted: int
    visited: int


class Quality(BaseModel):
    """Counts that need checking now, each the size of the filtered list it opens."""

    households_approximate: int  # placement = approximate: check the point on site
    overdue: int  # active households past their visit cycle
    reports_waiting: int  # open reports received more than report_waiting_days ago
    reports_unplaced: int  # open reports no point or address placed (no dong yet)
    facilities_unconfirmed: int  # referral capacity not confirmed for referral_confirm_days
    report_waiting_days: int
    referral_confirm_days: int
    as_of: date


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
    by_dong: list[DongStats] = []
    visits_series: list[PeriodVisits] = []
    series_interval: Literal["week", "month"] = "month"
    needs_top: list[NeedCount] = []
    service_links_by: list[ServiceLinkCount] = []
    intake: Intake | None = None
    quality: Quality | None = None
