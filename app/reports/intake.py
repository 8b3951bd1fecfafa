"""Report intake for every channel (web form, API, Kakao, Open311): placed, numbered, deduplicated, all or
nothing."""
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from app.config import get_settings
from app.errors import AppError, InvalidInput
from app.geo.validate import CoordinateError, check_lonlat
from app.policy.principal import Principal
from app.reports import photos as photo_store
from app.reports.geocoder import Geocoder, default_geocoder, normalise_address
from app.reports.models import Report, ReportEvent, ReportPhoto
from app.reports.service import possible_duplicates, status_label
from app.tracts import service as places
from app.validation import mask_rrn_in_text
from app.vocab import NEEDS_LOCATION

DEDUP_WINDOW = timedelta(minutes=10)
RECEIPT_LOCK = 7254005  # advisory lock keys: one writer numbers receipts at a time
DEDUP_LOCK = 7254006


class IntakeUnavailable(AppError):
    """The database failed during intake; nothing was stored."""

    status = 503

    def __init__(self, message: str = "일시적인 문제로 신고를 저장하지 못했습니다. 잠시 후 다시 시도하세요."):
        super().__init__(message)


@dataclass
class Intake:
    """A report as any channel hands it in (already parsed; coordinates lon, lat)."""

    channel: str  # web | api | kakao | open311
    description: str
    lon: float | None = None
    lat: float | None = None
    address: str | None = None
    indicators: list[str] = field(default_factory=list)
    category: str | None = None
    reporter_contact: str | None = None
    reporter_user_id: int | None = None
    external_user_id: str | None = None
    dedup_key: str | None = None
    photos: list[photo_store.PhotoUpload] = field(default_factory=list)

    def __post_init__(self):
        # Whatever the channel, a 주민등록번호 typed by a reporter is not stored as typed.
        self.description = mask_rrn_in_text(self.description)
        self.address = mask_rrn_in_text(self.address)
        self.reporter_contact = mask_rrn_in_text(self.reporter_contact)


@dataclass
class IntakeResult:
    report: Report
    created: bool  # False when the same sender's same message within DEDUP_WINDOW was found instead
    possible_duplicates: list[dict]
    photo_count: int = 0


def dedup_key(*parts: str | None) -> str:
    """A stable key for "the same sender sent the same thing" (SHA-256 of the normalised parts)."""
    joined = "\x1f".join(" ".join((p or "").split()).casefold() for p in parts)
    return hashlib.sha256(joined.encode()).hexdigest()


def _place(session: Session, data: Intake, geocoder: Geocoder) -> dict:
    """Point, dong and tract of a report: from its coordinates, else its geocoded address, else nothing."""
    if data.lon is not None and data.lat is not None:
        try:
            check_lonlat(data.lon, data.lat)
        except CoordinateError as exc:
            raise InvalidInput(str(exc)) from None
        placement = places.locate(session, data.lon, data.lat)
        return {"lon": data.lon, "lat": data.lat, "source": "point",
                "dong_id": placement.dong_id if placement else None,
                "tract_id": placement.tract_id if placement else None}
    found = geocoder.geocode(session, data.address) if data.address else None
    if found and found.lon is not None:
        placement = places.locate(session, found.lon, found.lat)
        return {"lon": found.lon, "lat": found.lat, "source": "geocoded",
                "dong_id": placement.dong_id if placement else None,
                "tract_id": placement.tract_id if placement else None}
    if found and found.dong_id is not None:
        return {"lon": None, "lat": None, "source": "dong", "dong_id": found.dong_id, "tract_id": None}
    return {"lon": None, "lat": None, "source": "none", "dong_id": None, "tract_id": None}


def _next_receipt(session: Session, day) -> str:
    """R-YYYYMMDD-NNNN, numbered per day under an advisory lock held until commit."""
    session.execute(select(func.pg_advisory_xact_lock(RECEIPT_LOCK)))
    prefix = f"R-{day:%Y%m%d}-"
    last = session.execute(
        select(Report.receipt_no).where(Report.receipt_no.like(prefix + "%"))
        .order_by(func.length(Report.receipt_no).desc(), Report.receipt_no.desc()).limit(1)
    ).scalar()
    number = int(last.rsplit("-", 1)[1]) + 1 if last else 1
    return f"{prefix}{number:04d}"


def _recent_same(session: Session, key: str, now: datetime) -> Report | None:
    """The report with this dedup key from the last DEDUP_WINDOW, serialised per key until commit."""
    session.execute(text("SELECT pg_advisory_xact_lock(CAST(:k AS integer), hashtext(:d))"),
                    {"k": DEDUP_LOCK, "d": key})
    return session.execute(
        select(Report).where(Report.dedup_key == key, Report.created_at >= now - DEDUP_WINDOW)
        .order_by(Report.id.desc()).limit(1)
    ).scalar_one_or_none()


def set_local_timeouts(session: Session, lock_ms: int, statement_ms: int) -> None:
    """Bound how long this transaction may wait on locks and statements (the chat-bot must answer in time)."""
    session.execute(select(func.set_config("lock_timeout", f"{int(lock_ms)}ms", True),
                           func.set_config("statement_timeout", f"{int(statement_ms)}ms", True)))


def intake(session: Session, data: Intake, *, principal: Principal | None = None,
           geocoder: Geocoder = default_geocoder, should_abort: Callable[[], bool] | None = None,
           timeouts_ms: tuple[int, int] | None = None) -> IntakeResult:
    """Store one report, placed and numbered, with its first event and photos; all or nothing.

    An operation of its own for every channel (web, Kakao, Open311): it commits, because the photo files
    written to disk must be removed again when the row does not land."""
    now = get_settings().now()
    stored: list[str] = []
    try:
        if timeouts_ms:
            set_local_timeouts(session, *timeouts_ms)
        checked = photo_store.check(data.photos)
        if data.dedup_key:
            earlier = _recent_same(session, data.dedup_key, now)
            if earlier is not None:
                session.rollback()
                return IntakeResult(earlier, False, [])
        place = _place(session, data, geocoder)
        normalized = normalise_address(data.address) or None
        duplicates = []
        if principal is not None and principal.is_staff:
            duplicates = possible_duplicates(session, principal, place["lon"], place["lat"], normalized, None)
        for photo, kind in checked:
            stored.append(photo_store.store(photo.data, kind))
        indicators = list(dict.fromkeys(([data.category] if data.category else []) + list(data.indicators)))
        report = Report(
            receipt_no=_next_receipt(session, now.date()), channel=data.channel, status="new",
            description=data.description, address=data.address, normalized_address=normalized,
            geom=places.point_wkt(place["lon"], place["lat"]) if place["lon"] is not None else None,
            location_source=place["source"], dong_id=place["dong_id"], tract_id=place["tract_id"],
            indicators=indicators, category=data.category, reporter_contact=data.reporter_contact,
            reporter_user_id=data.reporter_user_id, external_user_id=data.external_user_id,
            dedup_key=data.dedup_key, created_at=now, updated_at=now,
        )
        session.add(report)
        session.flush()
        reason = NEEDS_LOCATION if place["dong_id"] is None else None
        session.add(ReportEvent(report_id=report.id, status="new", reason=reason,
                                actor_id=data.reporter_user_id, at=now))
        for (photo, kind), name in zip(checked, stored, strict=False):
            session.add(ReportPhoto(report_id=report.id, storage_name=name, content_type=kind,
                                    size_bytes=len(photo.data), created_at=now))
        session.flush()
        if should_abort is not None and should_abort():
            raise IntakeUnavailable("처리 시간이 초과되어 신고를 저장하지 않았습니다. 다시 보내 주세요.")
        session.commit()
        return IntakeResult(report, True, duplicates, len(stored))
    except AppError:
        session.rollback()
        photo_store.discard(stored)
        raise
    except SQLAlchemyError as exc:
        session.rollback()
        photo_store.discard(stored)
        raise IntakeUnavailable() from exc


def created_view(result: IntakeResult, principal: Principal) -> dict:
    """The 201 answer of POST /reports; duplicate suggestions only for staff (they reveal households)."""
    r = result.report
    return {"id": r.id, "receipt_no": r.receipt_no, "status": r.status, "status_label": status_label(r.status),
            "dong_id": r.dong_id, "tract_id": r.tract_id, "needs_location": r.dong_id is None,
            "location_source": r.location_source or "none",
            "possible_duplicates": result.possible_duplicates if principal.is_staff else [],
            "photos": result.photo_count}
