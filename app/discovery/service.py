"""The 복지사각지대 발굴 list round: its progress, the 조사 outcome recorded per household, the results file.

A round is a committed `discovery_list` import; its entries are the import's rows that became (or matched) a
household or wait to be placed. Each entry keeps the crisis-data signals the list came with (apart from what a
visit found), the 조사 기한 of its import, and the contact result and outcome a person records.
"""
from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from app.access import service as access
from app.auth.models import User
from app.config import get_settings
from app.db import flush_versioned
from app.errors import Conflict, Forbidden, InvalidInput, NotFound
from app.exports.cells import Column, label, masked_name, masked_phone
from app.exports.tabular import Export
from app.households import service as households
from app.imports.models import ImportBatch, ImportRow
from app.policy.principal import Principal
from app.vocab import DISCOVERY_CONTACTS, DISCOVERY_OUTCOMES

STALE = "다른 사용자가 먼저 이 발굴 대상자의 결과를 기록했습니다. 새로고침 후 다시 확인하세요."
ENTRY_STATES = ("applied", "placed", "queued")  # rows of the round that are someone to reach


def _require_staff(principal: Principal) -> None:
    if not principal.is_staff:
        raise Forbidden("발굴 대상자 조사는 담당 공무원만 기록할 수 있습니다.")


def _round_rows(principal: Principal) -> list:
    conds = [ImportBatch.kind == "discovery_list", ImportBatch.status == "committed",
             ImportRow.state.in_(ENTRY_STATES)]
    if not principal.sees_whole_district:
        conds.append(ImportRow.dong_id.in_(principal.dong_ids))
    return conds


def rounds(session: Session, principal: Principal) -> dict:
    """Each round's progress in the caller's area: rows, contact results, outcomes, overdue entries."""
    _require_staff(principal)
    today = get_settings().today()
    r = ImportRow

    def n(cond):
        return func.count().filter(cond)

    found = session.execute(
        select(ImportBatch.id, ImportBatch.round, ImportBatch.created_at, ImportBatch.due_on, func.count(),
               n(r.state.in_(("applied", "placed"))), n(r.state == "queued"), n(r.contact == "reached"),
               n(r.contact == "unreachable"), n(r.contact == "absent"), n(r.contact.is_(None)),
               n(and_(r.result.is_(None), ImportBatch.due_on < today)))
        .join(r, r.import_id == ImportBatch.id).where(*_round_rows(principal))
        .group_by(ImportBatch.id).order_by(ImportBatch.id.desc())).all()
    outcomes: dict[int, dict[str, int]] = {}
    for import_id, result, count in session.execute(
            select(r.import_id, r.result, func.count()).join(ImportBatch, ImportBatch.id == r.import_id)
            .where(*_round_rows(principal), r.result.is_not(None)).group_by(r.import_id, r.result)):
        outcomes.setdefault(import_id, {})[result] = count
    keys = ("import_id", "round", "imported_at", "due_on", "rows", "placed", "queued", "reached", "unreachable",
            "absent", "not_contacted", "overdue")
    items = []
    for row in found:
        item = dict(zip(keys, row, strict=True))
        item["outcomes"] = {code: outcomes.get(item["import_id"], {}).get(code, 0) for code in DISCOVERY_OUTCOMES}
        items.append(item)
    return {"items": items}


def record(session: Session, principal: Principal, household_id: int, import_id: int, contact: str | None,
           outcome: str | None, note: str | None, version: int, resource: str) -> dict:
    """Record the 조사's contact result and outcome for one household's entry of one round."""
    _require_staff(principal)
    if contact is None and outcome is None:
        raise InvalidInput("연락 결과나 조사 결과 중 하나는 골라 주세요.")
    households.lock(session, principal, household_id)
    found = session.execute(
        select(ImportRow, ImportBatch).join(ImportBatch, ImportBatch.id == ImportRow.import_id)
        .where(ImportRow.household_id == household_id, ImportRow.import_id == import_id,
               ImportBatch.kind == "discovery_list", ImportBatch.status == "committed")
        .with_for_update(of=ImportRow)).first()
    if found is None:
        raise NotFound()
    row, batch = found
    if version != row.version:
        raise Conflict(STALE)
    row.contact, row.result, row.result_note = contact, outcome, note
    row.resolved_by, row.resolved_at = principal.user_id, get_settings().now()
    flush_versioned(session, STALE)
    access.record(session, principal, "update", resource, [household_id])
    return households.discovery_entry(row, batch)


# -- the results file -----------------------------------------------------------------------------------------

STATE_LABELS = {"applied": "지도에 있음", "placed": "지도에 있음", "queued": "위치 지정 대기"}


def _source_column(header: str, mapping: dict, reveal: bool) -> Column:
    value = ImportRow.cells[header].astext
    if not reveal and header == mapping.get("head_name"):
        value = masked_name(value)
    elif not reveal and header == mapping.get("phone"):
        value = masked_phone(value)
    return Column(header, max(8, min(30, len(header) * 2 + 4)), value)


def results_export(session: Session, principal: Principal, import_id: int, reveal: bool, purpose: str,
                   resource: str) -> tuple[Export, ImportBatch]:
    """The round in its own columns, then the outcome columns: keyed back into 발굴관리시스템 once."""
    _require_staff(principal)
    batch = session.execute(select(ImportBatch).where(ImportBatch.id == import_id,
                                                      ImportBatch.kind == "discovery_list",
                                                      ImportBatch.status == "committed")).scalar_one_or_none()
    conds = [ImportRow.import_id == import_id, ImportRow.state.in_(ENTRY_STATES)]
    if not principal.sees_whole_district:
        conds.append(ImportRow.dong_id.in_(principal.dong_ids))
    ids = [] if batch is None else list(session.scalars(select(ImportRow.household_id).where(*conds)))
    if batch is None or (not ids and not principal.sees_whole_district):
        raise NotFound()
    access.record(session, principal, "export", resource, [i for i in ids if i], purpose)
    columns = [_source_column(h, batch.mapping or {}, reveal) for h in batch.headers]
    columns += [
        Column("연락 결과", 10, label(ImportRow.contact, DISCOVERY_CONTACTS), "label"),
        Column("조사 결과", 14, label(ImportRow.result, DISCOVERY_OUTCOMES), "label"),
        Column("처리 메모", 30, ImportRow.result_note),
        Column("처리일시", 17, ImportRow.resolved_at, "datetime"),
        Column("처리자", 10, User.username),
        Column("행복-맵 가구번호", 10, ImportRow.household_id, "number"),
        Column("처리 상태", 12, label(ImportRow.state, STATE_LABELS), "label"),
        Column("원본 행", 8, ImportRow.row_no, "number"),
    ]
    rows = (select(ImportRow.id).outerjoin(User, User.id == ImportRow.resolved_by).where(*conds)
            .order_by(ImportRow.row_no))
    return Export(f"발굴 결과 {batch.round}", columns, rows), batch

