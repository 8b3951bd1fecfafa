"""Report intake (every channel), placement, duplicate suggestions and the scoped reads of the queue."""
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from geoalchemy2 import functions as gf
from sqlalchemy import and_, false, func, null, or_, select, text, true
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from app.access import service as access
from app.auth.models import User, UserDong
from app.auth.principal import Principal
from app.auth.scope import household_scope
from app.config import get_settings
from app.errors import AppError, InvalidInput, NotFound
from app.geo.validate import CoordinateError, check_lonlat
from app.households.models import Household
from app.reports import photos as photo_store
from app.reports.geocoder import (
    Geocoder,
    default_geocoder,
    longest_number,
    normalise_address,
    same_address,
)
from app.reports.models import Report, ReportEvent, ReportPhoto
from app.tracts import service as places
from app.tracts.models import Dong, Tract
from app.validation import mask_rrn_in_text
from app.vocab import REPORT_STATUSES

DUPLICATE_RADIUS_M = 50.0
DEDUP_WINDOW = timedelta(minutes=10)
OPEN_STATUSES = ("new", "reviewing")
RECEIPT_LOCK = 7254005  # advisory lock keys: one writer numbers receipts at a time
DEDUP_LOCK = 7254006
_NEAR_DEG = 0.001  # index pre-filter around a point; ≥ 88 m at Korean latitudes, wider than the radius


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


def status_label(status: str) -> str:
    """The Korean label of a report status (접수, 검토중, ...)."""
    return REPORT_STATUSES.get(status, status)


def _point(lon: float, lat: float):
    return func.ST_GeomFromEWKT(places.point_wkt(lon, lat))


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
    """Store one report, placed and numbered, with its first event and photos; all or nothing."""
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
        reason = "위치 확인 필요" if place["dong_id"] is None else None
        session.add(ReportEvent(report_id=report.id, status="new", reason=reason,
                                actor_id=data.reporter_user_id, at=now))
        for (photo, kind), name in zip(checked, stored):
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


def possible_duplicates(session: Session, principal: Principal, lon: float | None, lat: float | None,
                        normalized: str | None, exclude_report_id: int | None) -> list[dict]:
    """Active households and open reports within 50 m or with the same normalised address (caller's scope)."""
    found: dict[tuple[str, int], dict] = {}
    here = _point(lon, lat) if lon is not None else None

    def add(kind: str, rows, same_address: bool) -> None:
        for row_id, distance in rows:
            entry = found.setdefault((kind, row_id), {"kind": kind, "id": row_id, "distance_m": None,
                                                       "same_address": False})
            if distance is not None:
                entry["distance_m"] = round(float(distance), 1)
            entry["same_address"] = entry["same_address"] or same_address

    def distance_to(geom):
        return func.ST_Distance(func.geography(geom), func.geography(here)) if here is not None else null()

    h_scope = and_(household_scope(principal), Household.status == "active")
    r_scope = and_(report_scope(principal), Report.status.in_(OPEN_STATUSES),
                   Report.id != exclude_report_id if exclude_report_id else true())
    if here is not None:
        for kind, model, scope in (("household", Household, h_scope), ("report", Report, r_scope)):
            near = and_(model.geom.intersects(func.ST_Expand(here, _NEAR_DEG)),
                        func.ST_DWithin(func.geography(model.geom), func.geography(here), DUPLICATE_RADIUS_M))
            rows = session.execute(select(model.id, distance_to(model.geom)).where(scope, near)
                                   .order_by(distance_to(model.geom)).limit(20)).all()
            add(kind, rows, False)
    if normalized and longest_number(normalized):  # an address without a number names no one household
        rows = session.execute(select(Household.id, distance_to(Household.geom)).where(
            h_scope, same_address(Household.address, [normalized])).order_by(Household.id).limit(20)).all()
        add("household", rows, True)
    if normalized:
        rows = session.execute(select(Report.id, distance_to(Report.geom)).where(
            r_scope, Report.normalized_address == normalized).order_by(Report.id).limit(20)).all()
        add("report", rows, True)
    return sorted(found.values(), key=lambda d: (d["distance_m"] is None, d["distance_m"] or 0, d["kind"], d["id"]))


def report_scope(principal: Principal):
    """Reports the caller may see: their own; staff also those of their dongs (and unplaced ones their
    dong's 통장 filed); district-wide roles all."""
    own = Report.reporter_user_id == principal.user_id
    if principal.sees_whole_district:
        return true()
    if principal.role == "dong_staff" and principal.dong_ids:
        dong_reporters = select(UserDong.user_id).where(UserDong.dong_id.in_(principal.dong_ids))
        return or_(own, Report.dong_id.in_(principal.dong_ids),
                   and_(Report.dong_id.is_(None), Report.reporter_user_id.in_(dong_reporters)))
    return own if principal.user_id else false()


def read_query():
    """Reports with their point, dong and tract names and the reporter's username."""
    return (select(Report, gf.ST_X(Report.geom).label("lon"), gf.ST_Y(Report.geom).label("lat"),
                   Dong.name.label("dong_name"), Tract.name.label("tract_name"), User.username.label("reporter"))
            .outerjoin(Dong, Dong.id == Report.dong_id).outerjoin(Tract, Tract.id == Report.tract_id)
            .outerjoin(User, User.id == Report.reporter_user_id))


def status_note(report: Report, public: bool = False) -> str:
    """A sentence about where the report stands, for the reporter (and Open311's status_notes)."""
    if report.status == "new":
        return ("접수되었습니다. 위치 확인이 필요해 담당자가 확인합니다." if report.dong_id is None
                else "접수되었습니다. 담당 동 주민센터에서 확인합니다.")
    if report.status == "reviewing":
        return "담당자가 검토하고 있습니다."
    if report.status == "converted":
        return "지원이 필요한 가구로 등록되었습니다. 동 주민센터가 방문할 예정입니다."
    if report.status == "duplicate":
        return "이미 접수되어 관리 중인 건과 함께 처리합니다."
    if public or not report.status_reason:
        return "검토 후 종결되었습니다."
    return f"검토 후 종결되었습니다: {report.status_reason}"


def _history(session: Session, report_ids: list[int], staff: bool) -> dict[int, list[dict]]:
    rows = session.execute(
        select(ReportEvent.report_id, ReportEvent.status, ReportEvent.reason, ReportEvent.at, User.username)
        .outerjoin(User, User.id == ReportEvent.actor_id)
        .where(ReportEvent.report_id.in_(report_ids)).order_by(ReportEvent.at, ReportEvent.id)).all()
    out: dict[int, list[dict]] = {i: [] for i in report_ids}
    for report_id, status, reason, at, actor in rows:
        events = out[report_id]
        if not staff and events and events[-1]["status"] == status:
            continue  # a reporter sees status changes only, not the staff's notes on links
        events.append({"status": status, "status_label": status_label(status), "at": at,
                       "reason": reason if staff or status == "dismissed" else None,
                       "actor": actor if staff else None})
    return out


def _staff_view(row, photos: list[dict], history: list[dict], duplicates: list[dict],
                duplicate_ids: list[int]) -> dict:
    r: Report = row[0]
    return {
        "id": r.id, "receipt_no": r.receipt_no, "channel": r.channel, "status": r.status,
        "status_label": status_label(r.status), "status_reason": r.status_reason, "description": r.description,
        "address": r.address, "lon": row.lon, "lat": row.lat, "location_source": r.location_source,
        "needs_location": r.dong_id is None, "dong_id": r.dong_id, "dong_name": row.dong_name,
        "tract_id": r.tract_id, "tract_name": row.tract_name, "indicators": list(r.indicators or []),
        "category": r.category, "reporter_contact": r.reporter_contact, "reporter": row.reporter,
        "household_id": r.household_id, "duplicate_of_report_id": r.duplicate_of_report_id,
        "duplicate_report_ids": duplicate_ids, "created_at": r.created_at, "updated_at": r.updated_at,
        "version": r.version, "photos": photos, "history": history, "possible_duplicates": duplicates,
    }


def _reporter_view(row, history: list[dict]) -> dict:
    r: Report = row[0]
    return {
        "id": r.id, "receipt_no": r.receipt_no, "status": r.status, "status_label": status_label(r.status),
        "status_note": status_note(r), "description": r.description, "address": r.address,
        "lon": row.lon, "lat": row.lat, "needs_location": r.dong_id is None, "dong_id": r.dong_id,
        "dong_name": row.dong_name, "indicators": list(r.indicators or []), "created_at": r.created_at,
        "updated_at": r.updated_at, "history": history,
    }


@dataclass
class ReportFilter:
    statuses: tuple[str, ...] = ()
    dong_id: int | None = None
    unplaced: bool | None = None
    channel: str | None = None
    household_id: int | None = None


def list_(session: Session, principal: Principal, f: ReportFilter, limit: int, offset: int,
          resource: str) -> dict:
    """A page of the queue in the caller's scope, newest first; reporters get their own, limited view."""
    conds = [report_scope(principal)]
    if f.statuses:
        conds.append(Report.status.in_(f.statuses))
    if f.dong_id is not None:
        if principal.is_staff:
            places.ensure_dong_visible(session, principal, f.dong_id)
        conds.append(Report.dong_id == f.dong_id)
    if f.unplaced is True:
        conds.append(Report.dong_id.is_(None))
    elif f.unplaced is False:
        conds.append(Report.dong_id.is_not(None))
    if f.channel:
        conds.append(Report.channel == f.channel)
    if f.household_id is not None:
        conds.append(Report.household_id == f.household_id)
    total = session.execute(select(func.count()).select_from(Report).where(*conds)).scalar_one()
    rows = session.execute(read_query().where(*conds).order_by(Report.created_at.desc(), Report.id.desc())
                           .limit(limit).offset(offset)).all()
    ids = [row[0].id for row in rows]
    history = _history(session, ids, principal.is_staff) if ids else {}
    if not principal.is_staff:
        return {"items": [_reporter_view(row, history[row[0].id]) for row in rows], "total": total}
    items = [_staff_view(row, [], history[row[0].id], [], []) for row in rows]
    access.record(session, principal, "list", resource, [i["household_id"] for i in items if i["household_id"]])
    session.commit()
    return {"items": items, "total": total}


def get_row(session: Session, principal: Principal, report_id: int):
    """The report row with its place names, or 404 outside the caller's scope."""
    row = session.execute(read_query().where(Report.id == report_id, report_scope(principal))).first()
    if row is None:
        raise NotFound("신고를 찾을 수 없습니다.")
    return row


def get(session: Session, principal: Principal, report_id: int, resource: str) -> dict:
    """One report: the full record with photos, history and duplicate suggestions for staff."""
    row = get_row(session, principal, report_id)
    report: Report = row[0]
    history = _history(session, [report.id], principal.is_staff)[report.id]
    if not principal.is_staff:
        return _reporter_view(row, history)
    photos = [{"id": p.id, "content_type": p.content_type, "size_bytes": p.size_bytes,
               "url": f"/api/v1/reports/{report.id}/photos/{p.id}"}
              for p in session.execute(select(ReportPhoto).where(ReportPhoto.report_id == report.id)
                                       .order_by(ReportPhoto.id)).scalars()]
    duplicate_ids = list(session.execute(select(Report.id).where(Report.duplicate_of_report_id == report.id)
                                         .order_by(Report.id)).scalars())
    duplicates = []
    if report.status in OPEN_STATUSES:
        duplicates = possible_duplicates(session, principal, row.lon, row.lat, report.normalized_address,
                                         report.id)
    access.record(session, principal, "read", resource, [report.household_id] if report.household_id else [])
    session.commit()
    return _staff_view(row, photos, history, duplicates, duplicate_ids)


def photo(session: Session, principal: Principal, report_id: int, photo_id: int) -> ReportPhoto:
    """A stored photo of a report the caller may see."""
    get_row(session, principal, report_id)
    found = session.execute(select(ReportPhoto).where(ReportPhoto.id == photo_id,
                                                      ReportPhoto.report_id == report_id)).scalar_one_or_none()
    if found is None or not photo_store.path_of(found.storage_name).exists():
        raise NotFound("사진을 찾을 수 없습니다.")
    return found


def created_view(result: IntakeResult, principal: Principal) -> dict:
    """The 201 answer of POST /reports; duplicate suggestions only for staff (they reveal households)."""
    r = result.report
    return {"id": r.id, "receipt_no": r.receipt_no, "status": r.status, "status_label": status_label(r.status),
            "dong_id": r.dong_id, "tract_id": r.tract_id, "needs_location": r.dong_id is None,
            "location_source": r.location_source or "none",
            "possible_duplicates": result.possible_duplicates if principal.is_staff else [],
            "photos": result.photo_count}


def by_receipt(session: Session, receipt_no: str, external_user_id: str | None = None) -> Report | None:
    """A report by its receipt number, optionally only if this external sender filed it."""
    query = select(Report).where(Report.receipt_no == receipt_no)
    if external_user_id is not None:
        query = query.where(Report.external_user_id == external_user_id)
    return session.execute(query).scalar_one_or_none()


def recent_of_sender(session: Session, external_user_id: str, limit: int = 3) -> list[Report]:
    """The latest reports of one external sender (a Kakao user, an Open311 key)."""
    return list(session.execute(select(Report).where(Report.external_user_id == external_user_id)
                                .order_by(Report.id.desc()).limit(limit)).scalars())
