"""Triage of the report queue by staff: review, convert to a household, dismiss, mark duplicate.

Every status change writes a report_event (who, when, why) in the same transaction as the change.
"""
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.addresses.service import match as match_buildings
from app.config import get_settings
from app.errors import (
    Conflict,
    Forbidden,
    InvalidInput,
    NotFound,
    korean_validation_message,
)
from app.geo.crs import geodesic_m
from app.households import service as households
from app.households.models import Household
from app.households.schemas import HouseholdCreate
from app.policy.principal import Principal
from app.policy.scope import household_scope
from app.reports.models import Report, ReportEvent
from app.reports.schemas import (
    ReportConvert,
    ReportDismiss,
    ReportMarkDuplicate,
    ReportReview,
)
from app.reports.service import OPEN_STATUSES, get, get_row, report_scope, status_label

STALE = "다른 사용자가 먼저 이 신고를 처리했습니다. 새로고침 후 다시 시도하세요."
UNKNOWN_NAME = "성명 미상"
SAME_POINT_M = 1.0  # a report's geocoded point is its building's when they are this close


def _require_staff(principal: Principal) -> None:
    if not principal.is_staff:
        raise Forbidden("신고 처리는 담당 공무원만 할 수 있습니다.")


def _locked(session: Session, principal: Principal, report_id: int) -> Report:
    report = session.execute(select(Report).where(Report.id == report_id, report_scope(principal))
                             .with_for_update()).scalar_one_or_none()
    if report is None:
        raise NotFound("신고를 찾을 수 없습니다.")
    return report


def _check_open(report: Report, version: int | None) -> None:
    if version is not None and version != report.version:
        raise Conflict(STALE)
    if report.status not in OPEN_STATUSES:
        raise Conflict(f"이미 처리된 신고입니다 (현재 상태: {status_label(report.status)}).")


def _change(session: Session, principal: Principal, report: Report, status: str, reason: str | None) -> None:
    now = get_settings().now()
    report.status, report.status_reason, report.updated_at = status, reason, now
    session.add(ReportEvent(report_id=report.id, status=status, reason=reason, actor_id=principal.user_id, at=now))


def review(session: Session, principal: Principal, report_id: int, data: ReportReview, version: int | None,
           resource: str) -> dict:
    """new → reviewing (someone has picked the report up)."""
    _require_staff(principal)
    report = _locked(session, principal, report_id)
    _check_open(report, data.version or version)
    if report.status != "new":
        raise Conflict("이미 검토 중인 신고입니다.")
    _change(session, principal, report, "reviewing", data.note)
    session.flush()
    return get(session, principal, report_id, resource)


def dismiss(session: Session, principal: Principal, report_id: int, data: ReportDismiss, version: int | None,
            resource: str) -> dict:
    """Close a report with a reason (the reporter sees the reason)."""
    _require_staff(principal)
    report = _locked(session, principal, report_id)
    _check_open(report, data.version or version)
    _change(session, principal, report, "dismissed", data.reason)
    session.flush()
    return get(session, principal, report_id, resource)


def _root_report(session: Session, principal: Principal, report_id: int) -> Report:
    """The report a duplicate ultimately points at (chains are followed, at most 20 links)."""
    target = None
    for _ in range(20):
        target = session.execute(select(Report).where(Report.id == report_id, report_scope(principal))
                                 .with_for_update()).scalar_one_or_none()
        if target is None:
            raise NotFound("중복 대상 신고를 찾을 수 없습니다.")
        if target.status != "duplicate" or target.duplicate_of_report_id is None:
            return target
        report_id = target.duplicate_of_report_id
    return target


def mark_duplicate(session: Session, principal: Principal, report_id: int, data: ReportMarkDuplicate,
                   version: int | None, resource: str) -> dict:
    """Link a report to the household or report it repeats; both sides keep the link and an event."""
    _require_staff(principal)
    # Lock both reports in id order so two opposite markings cannot deadlock.
    ids = sorted({report_id, data.report_id or report_id})
    session.execute(select(Report.id).where(Report.id.in_(ids)).order_by(Report.id).with_for_update())
    report = _locked(session, principal, report_id)
    _check_open(report, data.version or version)
    if data.household_id is not None:
        found = session.execute(select(Household.id).where(Household.id == data.household_id,
                                                           household_scope(principal))).scalar()
        if found is None:
            raise NotFound("중복 대상 가구를 찾을 수 없습니다.")
        report.household_id = found
        reason = data.reason or f"기존 가구(#{found})와 중복"
    else:
        if data.report_id == report.id:
            raise InvalidInput("신고를 자기 자신의 중복으로 표시할 수 없습니다.")
        root = _root_report(session, principal, data.report_id)
        if root.id == report.id:
            raise InvalidInput("서로를 가리키는 중복 표시는 할 수 없습니다.")
        report.duplicate_of_report_id = root.id
        if root.household_id is not None and report.household_id is None:
            report.household_id = root.household_id
        reason = data.reason or f"신고 {root.receipt_no}와 중복"
        session.add(ReportEvent(report_id=root.id, status=root.status, actor_id=principal.user_id,
                                reason=f"중복 신고 {report.receipt_no} 연결", at=get_settings().now()))
    _change(session, principal, report, "duplicate", reason)
    session.flush()
    return get(session, principal, report_id, resource)


def _household_payload(session: Session, principal: Principal, report: Report, data: ReportConvert):
    row = get_row(session, principal, report.id)
    lon, lat = (data.lon, data.lat) if data.lon is not None else (row.lon, row.lat)
    if lon is None:
        raise InvalidInput("위치를 알 수 없는 신고입니다. 가구 위치(lon, lat)를 함께 보내세요.")
    address = data.address or (report.address or "").strip()[:200] or f"주소 미상 (신고 {report.receipt_no})"
    notes = data.notes or f"사각지대 신고 {report.receipt_no}: {report.description}"[:4000]
    try:
        return HouseholdCreate(head_name=data.head_name or UNKNOWN_NAME, address=address, lon=lon, lat=lat,
                               members=data.members, phone=data.phone, notes=notes)
    except ValidationError as exc:
        raise InvalidInput("가구 정보가 올바르지 않습니다: "
                           + "; ".join(korean_validation_message(e) for e in exc.errors())) from None


def _placement(session: Session, report: Report, data: ReportConvert, lon: float, lat: float) -> str:
    """Staff's own point, else the report's phone location, else its geocode: the address's own building in the
    도로명주소 table (`building`/`entrance`), or only a neighbour's address or a place name nearby (`approximate`)."""
    if data.lon is not None:
        return "manual"
    if report.location_source == "point":
        return "report"
    (building,) = match_buildings(session, [report.address])
    if building is not None and geodesic_m(building.lon, building.lat, lon, lat) < SAME_POINT_M:
        return building.placement
    return "approximate"


def convert(session: Session, principal: Principal, report_id: int, data: ReportConvert, version: int | None,
            resource: str) -> dict:
    """Register the household a report describes (white, unvisited) and link both ways, in one transaction."""
    _require_staff(principal)
    report = _locked(session, principal, report_id)
    _check_open(report, data.version or version)
    payload = _household_payload(session, principal, report, data)
    household = households.create(session, principal, payload, resource, source_report_id=report.id,
                                  placement=_placement(session, report, data, payload.lon, payload.lat))
    report.household_id = household["id"]
    _change(session, principal, report, "converted", "가구 등록")
    return household
