"""Reports: the scoped reads of the queue, duplicate suggestions and the channels' look-ups (intake is intake.py)."""
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from geoalchemy2 import functions as gf
from sqlalchemy import and_, false, func, null, or_, select, true
from sqlalchemy.orm import Session

from app.access import service as access
from app.auth.models import User, UserDong
from app.config import get_settings
from app.errors import NotFound
from app.households.models import Household
from app.policy.principal import Principal
from app.policy.scope import household_scope
from app.reports import photos as photo_store
from app.reports.geocoder import (
    longest_number,
    same_address,
)
from app.reports.models import Report, ReportEvent, ReportPhoto
from app.tracts import service as places
from app.tracts.models import Dong, Tract
from app.vocab import OPEN_REPORT_STATUSES, REPORT_STATUSES

DUPLICATE_RADIUS_M = 50.0
OPEN_STATUSES = OPEN_REPORT_STATUSES
_NEAR_DEG = 0.001  # index pre-filter around a point; ≥ 88 m at Korean latitudes, wider than the radius


def status_label(status: str) -> str:
    """The Korean label of a report status (접수, 검토중, ...)."""
    return REPORT_STATUSES.get(status, status)


def _point(lon: float, lat: float):
    return func.ST_GeomFromEWKT(places.point_wkt(lon, lat))


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
    waiting: bool | None = None  # true: open reports older than settings.report_waiting_days


def waiting_condition(today):
    """An open report received before the waiting limit (settings.report_waiting_days) ago."""
    tz = get_settings().tz
    since = datetime.combine(today - timedelta(days=get_settings().report_waiting_days), time.min, tz)
    return Report.status.in_(OPEN_REPORT_STATUSES) & (Report.created_at < since)


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
    if f.waiting is True:
        conds.append(waiting_condition(get_settings().today()))
    elif f.waiting is False:
        conds.append(~waiting_condition(get_settings().today()))
    total = session.execute(select(func.count()).select_from(Report).where(*conds)).scalar_one()
    rows = session.execute(read_query().where(*conds).order_by(Report.created_at.desc(), Report.id.desc())
                           .limit(limit).offset(offset)).all()
    ids = [row[0].id for row in rows]
    history = _history(session, ids, principal.is_staff) if ids else {}
    if not principal.is_staff:
        return {"items": [_reporter_view(row, history[row[0].id]) for row in rows], "total": total}
    items = [_staff_view(row, [], history[row[0].id], [], []) for row in rows]
    access.record(session, principal, "list", resource, [i["household_id"] for i in items if i["household_id"]])
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
    return _staff_view(row, photos, history, duplicates, duplicate_ids)


def channel_reports(session: Session, channel: str, *, receipt_nos: list[str] | None = None,
                    start: datetime | None = None, end: datetime | None = None, categories: list[str] | None = None,
                    statuses: list[str] | None = None, limit: int = 100) -> list:
    """Rows of read_query() filed through one channel, newest first: by receipt number, or by period,
    category (no category counts as `other`) and status."""
    query = read_query().where(Report.channel == channel)
    if receipt_nos:
        query = query.where(Report.receipt_no.in_(receipt_nos[:limit]))
    if start is not None:
        query = query.where(Report.created_at >= start)
    if end is not None:
        query = query.where(Report.created_at <= end)
    if categories:
        query = query.where(func.coalesce(Report.category, "other").in_(categories))
    if statuses:
        query = query.where(Report.status.in_(statuses))
    return session.execute(query.order_by(Report.created_at.desc(), Report.id.desc()).limit(limit)).all()


def channel_report(session: Session, channel: str, receipt_no: str):
    """One report of read_query() filed through this channel, or None."""
    return session.execute(read_query().where(Report.receipt_no == receipt_no, Report.channel == channel)).first()


def photo(session: Session, principal: Principal, report_id: int, photo_id: int) -> ReportPhoto:
    """A stored photo of a report the caller may see."""
    get_row(session, principal, report_id)
    found = session.execute(select(ReportPhoto).where(ReportPhoto.id == photo_id,
                                                      ReportPhoto.report_id == report_id)).scalar_one_or_none()
    if found is None or not photo_store.path_of(found.storage_name).exists():
        raise NotFound("사진을 찾을 수 없습니다.")
    return found


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
