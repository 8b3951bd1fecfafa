"""API shapes of the 발굴 list rounds."""
from datetime import date, datetime

from pydantic import BaseModel


class RoundProgress(BaseModel):
    import_id: int
    round: str | None
    imported_at: datetime
    due_on: date | None
    rows: int
    placed: int
    queued: int
    reached: int
    unreachable: int
    absent: int
    not_contacted: int
    overdue: int
    outcomes: dict[str, int]


class RoundList(BaseModel):
    items: list[RoundProgress]
