"""The monthly access-record review (접속기록 점검) for the screen and as a CSV file; reading it is itself
recorded, since it shows who looked at whose data."""
import csv
import io

from sqlalchemy.orm import Session

from app.access import report
from app.access import service as access
from app.errors import Forbidden
from app.exports.tabular import BOM, neutralise
from app.policy.principal import Principal
from app.vocab import ACCESS_ACTIONS, ROLES

ENTRY_HEADERS = ["기록 번호", "시각", "계정", "역할", "행위", "대상", "가구 수", "사유"]


def _require_manager(principal: Principal) -> None:
    if principal.role not in ("admin", "district_staff"):
        raise Forbidden("접속기록 점검은 관리자와 구청 담당만 할 수 있습니다.")


def _month(month: str | None) -> str:
    return month or report.today_month()


def review(session: Session, principal: Principal, month: str | None, resource: str) -> dict:
    """The month's review as JSON (this month by default); 422 in Korean for a malformed month."""
    _require_manager(principal)
    month = _month(month)
    result = report.monthly_review(session, month)
    access.record(session, principal, "read", resource, purpose=f"접속기록 월간 점검 {month}")
    return report.as_dict(result)


def _entry_row(e: report.Entry) -> list:
    return [e.id, f"{e.at:%Y-%m-%d %H:%M:%S}", e.username, ROLES.get(e.role or "", e.role or ""),
            ACCESS_ACTIONS.get(e.action, e.action), e.resource, e.households, e.purpose or ""]


def review_csv(session: Session, principal: Principal, month: str | None, resource: str) -> tuple[str, bytes]:
    """The review as one CSV (UTF-8 with BOM, for Excel): its four tables one after another. Returns the
    month and the file."""
    _require_manager(principal)
    month = _month(month)
    r = report.monthly_review(session, month)
    access.record(session, principal, "export", resource, purpose=f"접속기록 월간 점검 {month} 내보내기")
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\r\n")

    def row(values: list) -> None:
        w.writerow([neutralise(v) for v in values])

    row([f"접속기록 월간 점검 — {month}"])
    row(["기간", f"{r.start:%Y-%m-%d %H:%M} ~ {r.end:%Y-%m-%d %H:%M} ({r.start.tzinfo})"])
    row(["전체 기록", r.total])
    row([])
    row(["1. 접속이 많은 계정"])
    row(["계정", "역할", "기록 수", "가구(중복 포함)", "서로 다른 가구", "업무시간 외"])
    for a in r.top_accessors:
        row([a.username, ROLES.get(a.role or "", a.role or ""), a.records, a.households, a.distinct_households,
             a.off_hours])
    row([])
    row([f"2. 업무시간 외 접속 (평일 {report.WORK_START_HOUR}시 전·{report.WORK_END_HOUR}시 이후, 주말)",
         f"{r.off_hours_total}건"])
    row(ENTRY_HEADERS)
    for e in r.off_hours:
        row(_entry_row(e))
    row([])
    row([f"3. 대량 조회 (한 번에 가구 {r.bulk_threshold}곳 이상)", f"{len(r.bulk_views)}건"])
    row(ENTRY_HEADERS)
    for e in r.bulk_views:
        row(_entry_row(e))
    row([])
    row(["4. 출력·내려받기", f"{len(r.downloads)}건"])
    row(ENTRY_HEADERS)
    for e in r.downloads:
        row(_entry_row(e))
    return month, (BOM + out.getvalue()).encode()
