"""The monthly review of access records (접속기록 점검): top accessors, off-hours use, bulk views, downloads."""
import re
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from app.access.models import AccessRecord
from app.config import get_settings
from app.errors import InvalidInput

WORK_START_HOUR = 8  # before 08:00 local time is off-hours
WORK_END_HOUR = 20  # from 20:00 local time is off-hours
DOWNLOAD_ACTIONS = ("print", "export")


@dataclass
class Entry:
    id: int
    at: datetime  # local time of the deployment
    username: str
    role: str | None
    action: str
    resource: str
    households: int
    purpose: str | None = None


@dataclass
class Accessor:
    username: str
    role: str | None
    records: int
    households: int  # household ids touched, counted with repeats
    distinct_households: int
    off_hours: int


@dataclass
class MonthlyReview:
    month: str
    start: datetime
    end: datetime
    total: int
    bulk_threshold: int
    top_accessors: list[Accessor] = field(default_factory=list)
    off_hours: list[Entry] = field(default_factory=list)
    off_hours_total: int = 0
    bulk_views: list[Entry] = field(default_factory=list)
    downloads: list[Entry] = field(default_factory=list)


def month_bounds(month: str) -> tuple[datetime, datetime]:
    """`2026-11` → the first instant of that month and of the next, in the deployment's time zone."""
    if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", month or ""):
        raise InvalidInput("월은 YYYY-MM 형식으로 입력하세요 (예: 2026-11).")
    year, mon = int(month[:4]), int(month[5:])
    tz = get_settings().tz
    start = datetime(year, mon, 1, tzinfo=tz)
    end = datetime(year + (mon == 12), mon % 12 + 1, 1, tzinfo=tz)
    return start, end


def _off_hours_condition(tz_name: str):
    local = func.timezone(tz_name, AccessRecord.at)
    hour = func.extract("hour", local)
    weekday = func.extract("isodow", local)
    return or_(hour < WORK_START_HOUR, hour >= WORK_END_HOUR, weekday >= 6)


def _entries(session: Session, query, tz) -> list[Entry]:
    return [Entry(id=r.id, at=r.at.astimezone(tz), username=r.username, role=r.role, action=r.action,
                  resource=r.resource, households=r.household_count, purpose=r.purpose)
            for (r,) in session.execute(query)]


def monthly_review(session: Session, month: str, *, bulk_threshold: int = 50, top: int = 10,
                   limit: int = 200) -> MonthlyReview:
    """Gather the month's review from the access records (times judged in the deployment's zone)."""
    settings = get_settings()
    tz = settings.tz
    start, end = month_bounds(month)
    in_month = (AccessRecord.at >= start, AccessRecord.at < end)
    off = _off_hours_condition(settings.timezone)
    n_ids = AccessRecord.household_count
    review = MonthlyReview(month=month, start=start, end=end, bulk_threshold=bulk_threshold,
                           total=session.execute(select(func.count()).where(*in_month)).scalar_one())

    per_user = (select(AccessRecord.username, func.max(AccessRecord.role), func.count(), func.sum(n_ids),
                       func.count().filter(off))
                .where(*in_month).group_by(AccessRecord.username)
                .order_by(func.count().desc(), AccessRecord.username).limit(top))
    rows = session.execute(per_user).all()
    unique = _distinct_households(session, in_month, [r[0] for r in rows])
    review.top_accessors = [Accessor(username=u, role=role, records=n, households=int(h or 0),
                                     distinct_households=unique.get(u, 0), off_hours=o)
                            for u, role, n, h, o in rows]

    review.off_hours_total = session.execute(select(func.count()).where(*in_month, off)).scalar_one()
    review.off_hours = _entries(session, select(AccessRecord).where(*in_month, off)
                                .order_by(AccessRecord.at, AccessRecord.id).limit(limit), tz)
    review.bulk_views = _entries(session, select(AccessRecord).where(*in_month, n_ids >= bulk_threshold)
                                 .order_by(n_ids.desc(), AccessRecord.id).limit(limit), tz)
    review.downloads = _entries(session, select(AccessRecord)
                                .where(*in_month, AccessRecord.action.in_(DOWNLOAD_ACTIONS))
                                .order_by(AccessRecord.at, AccessRecord.id).limit(limit), tz)
    return review


def _distinct_households(session: Session, in_month, usernames: list[str]) -> dict[str, int]:
    """Distinct households each user's records touched (the id sets are packed, so they are read here)."""
    seen: dict[str, set[int]] = {u: set() for u in usernames}
    rows = session.execute(select(AccessRecord.username, AccessRecord.household_ids)
                           .where(*in_month, AccessRecord.username.in_(usernames), AccessRecord.household_count > 0)
                           .execution_options(yield_per=2000))
    for username, ids in rows:
        seen[username].update(ids)
    return {u: len(ids) for u, ids in seen.items() if ids}


def render(review: MonthlyReview) -> str:
    """The review as plain Korean text for the 개인정보 보호책임자."""
    lines = [f"접속기록 월간 점검 보고서 — {review.month}",
             f"기간: {review.start:%Y-%m-%d %H:%M} ~ {review.end:%Y-%m-%d %H:%M} ({review.start.tzinfo})",
             f"전체 기록: {review.total}건", "", "1. 접속이 많은 계정"]
    if not review.top_accessors:
        lines.append("   (기록 없음)")
    for i, a in enumerate(review.top_accessors, 1):
        lines.append(f"   {i}. {a.username} ({a.role or '-'}): {a.records}건, 가구 {a.households}회 "
                     f"(서로 다른 가구 {a.distinct_households}), 업무시간 외 {a.off_hours}건")
    lines += ["", f"2. 업무시간 외 접속 (평일 {WORK_START_HOUR}시 전·{WORK_END_HOUR}시 이후, 주말): "
                  f"{review.off_hours_total}건"]
    lines += [_line(e) for e in review.off_hours] or ["   (없음)"]
    lines += ["", f"3. 대량 조회 (한 번에 가구 {review.bulk_threshold}곳 이상): {len(review.bulk_views)}건"]
    lines += [_line(e) for e in review.bulk_views] or ["   (없음)"]
    lines += ["", f"4. 출력·내려받기: {len(review.downloads)}건"]
    lines += [_line(e, purpose=True) for e in review.downloads] or ["   (없음)"]
    return "\n".join(lines) + "\n"


def _line(e: Entry, purpose: bool = False) -> str:
    text = (f"   #{e.id} {e.at:%Y-%m-%d(%a) %H:%M:%S} {e.username} {e.action} {e.resource} "
            f"가구 {e.households}곳")
    if purpose:
        text += f" 사유: {e.purpose or '(없음)'}"
    return text


def as_dict(review: MonthlyReview) -> dict:
    """JSON-ready form of the review."""
    def entry(e: Entry) -> dict:
        return {"id": e.id, "at": e.at.isoformat(), "username": e.username, "role": e.role, "action": e.action,
                "resource": e.resource, "households": e.households, "purpose": e.purpose}

    return {"month": review.month, "start": review.start.isoformat(), "end": review.end.isoformat(),
            "total": review.total, "bulk_threshold": review.bulk_threshold,
            "top_accessors": [vars(a) for a in review.top_accessors],
            "off_hours_total": review.off_hours_total, "off_hours": [entry(e) for e in review.off_hours],
            "bulk_views": [entry(e) for e in review.bulk_views], "downloads": [entry(e) for e in review.downloads]}


def today_month() -> str:
    d: date = get_settings().today()
    return f"{d.year:04d}-{d.month:02d}"
