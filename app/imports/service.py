"""Imported lists: preview (nothing in the registry changes), a corrected mapping, commit once, the rows after.

Preview reads the file, plans every row (`planning.Planner`) and stores the plan with the file's bytes. Commit
applies exactly the stored plan in the request's one transaction, holding the batch's row lock, so two commits of
one preview give one 200 and one 409 and a failure leaves nothing half-written.
"""
import hashlib
import json
import re
from datetime import date, timedelta

from sqlalchemy import Date, Float, Integer, LargeBinary, String, bindparam, delete, func, or_, select, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from app.access import service as access
from app.auth.models import User
from app.config import get_settings
from app.db import flush_versioned
from app.errors import Conflict, Forbidden, InvalidInput, NotFound
from app.households import rrn
from app.households.models import Household
from app.imports import fields, reading
from app.imports.models import ROW_OUTCOMES, ImportBatch, ImportMapping, ImportRow
from app.imports.planning import PERSON_KINDS, PlannedRow, Planner, source_of
from app.policy.masking import mask_name
from app.policy.principal import Principal
from app.tracts import service as places
from app.tracts.models import Dong

STALE = "다른 사용자가 먼저 이 가져오기를 바꿨습니다. 새로고침 후 다시 확인하세요."
ERRORS_SHOWN = 200  # row errors in the import's answer; all of them are in its rows
ROUND_IN_NAME = re.compile(r"(20\d\d)\s*(?:년|[-_. ])?\s*(\d{1,2})\s*차")


def require_staff(principal: Principal) -> None:
    if not principal.is_staff:
        raise Forbidden("가져오기는 담당 공무원만 할 수 있습니다.")


def _round_of(file_name: str, given: str | None) -> str:
    if given and given.strip():
        found = ROUND_IN_NAME.search(given)
        return f"{found.group(1)}-{int(found.group(2))}차" if found else given.strip()[:30]
    found = ROUND_IN_NAME.search(file_name)
    if not found:
        raise InvalidInput("발굴 차수를 입력하세요 (예: 2026-6차). 파일 이름에서 차수를 찾지 못했습니다.")
    return f"{found.group(1)}-{int(found.group(2))}차"


def _read(batch: ImportBatch, mapping: dict | None = None) -> reading.Table:
    """The file as a table; with no header recognised, the first row's texts go back for a person to map."""
    settings = get_settings()
    named = {h for h in (mapping or {}).values() if h}
    try:
        return reading.read_table(batch.file_name, batch.content or b"", max_bytes=settings.import_max_bytes,
                                  max_rows=settings.import_max_rows, named=named)
    except reading.ReadError as exc:
        if exc.first_row:
            raise MappingNeeded(exc.message + " 아래에서 열마다 무엇인지 골라 주세요.", batch.kind, exc.first_row,
                                {f.name: None for f in fields.FIELDS[batch.kind]}) from None
        raise InvalidInput(exc.message) from None


class MappingNeeded(InvalidInput):
    """The file's columns could not be told apart: the answer names them, so the screen offers the mapping form
    and the file goes up again with the person's choice."""

    code = "mapping_required"

    def __init__(self, message: str, kind: str, headers: tuple[str, ...], mapping: dict):
        super().__init__(message)
        self.kind, self.headers, self.mapping = kind, list(headers), mapping

    def body(self) -> dict:
        return super().body() | {
            "headers": self.headers, "mapping": self.mapping,
            "fields": [{"name": f.name, "label": f.label, "required": f.required} for f in fields.FIELDS[self.kind]]}


def _check_mapping(kind: str, mapping: dict, headers: tuple[str, ...]) -> None:
    try:
        fields.check_mapping(kind, mapping, headers)
    except reading.ReadError as exc:
        raise MappingNeeded(exc.message, kind, headers, mapping) from None
    if mapping.get("rrn") and not rrn.keys_configured():
        raise MappingNeeded("주민등록번호 열이 있지만 암호화 키가 설정되지 않아 받을 수 없습니다. 그 열의 연결을 "
                           "'사용 안 함'으로 바꾸거나 관리자에게 키 설정을 요청하세요.", kind, headers, mapping)


# The plan goes in with one statement: the ORM's per-object inserts took most of a 10,000-row preview.
INSERT_PLAN = text("""
INSERT INTO import_rows (import_id, row_no, outcome, state, values, cells, errors, note, rrn_ciphertext,
                         rrn_lookup_hash, household_id, suggestion_id, dong_id, geom, placement, signals, change,
                         changed_on, from_dong_id, to_dong_id, version)
SELECT :import_id, q.row_no, q.outcome, 'preview', q.vals::jsonb, q.cells::jsonb, q.errs::jsonb, q.note, q.rrn,
       q.rrn_hash, q.household_id, q.suggestion_id, q.dong_id,
       CASE WHEN q.lon IS NOT NULL THEN ST_SetSRID(ST_MakePoint(q.lon, q.lat), 4326) END, q.placement,
       ARRAY(SELECT jsonb_array_elements_text(q.signals::jsonb)), q.change, q.changed_on,
       CASE WHEN q.change IS NOT NULL THEN q.dong_id END, q.to_dong_id, 1
FROM unnest(:row_nos, :outcomes, :vals, :cells, :errs, :notes, :rrns, :rrn_hashes, :household_ids, :suggestion_ids,
            :dong_ids, :lons, :lats, :placements, :signals, :changes, :changed_ons, :to_dong_ids)
     AS q(row_no, outcome, vals, cells, errs, note, rrn, rrn_hash, household_id, suggestion_id, dong_id, lon, lat,
          placement, signals, change, changed_on, to_dong_id)
""").bindparams(*(bindparam(name, type_=ARRAY(kind)) for name, kind in (
    ("row_nos", Integer), ("outcomes", String), ("vals", String), ("cells", String), ("errs", String),
    ("notes", String), ("rrns", LargeBinary), ("rrn_hashes", String), ("household_ids", Integer),
    ("suggestion_ids", Integer), ("dong_ids", Integer), ("lons", Float), ("lats", Float), ("placements", String),
    ("signals", String), ("changes", String), ("changed_ons", Date), ("to_dong_ids", Integer))))


def _json(value) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)


def _store_plan(session: Session, batch: ImportBatch, planned: list[PlannedRow]) -> None:
    session.execute(delete(ImportRow).where(ImportRow.import_id == batch.id))
    if planned:
        session.execute(INSERT_PLAN, {
            "import_id": batch.id, "row_nos": [p.row_no for p in planned], "outcomes": [p.outcome for p in planned],
            "vals": [_json(p.values) for p in planned], "cells": [_json(p.cells) for p in planned],
            "errs": [_json(p.errors) for p in planned], "notes": [p.note for p in planned],
            "rrns": [p.rrn_ciphertext for p in planned], "rrn_hashes": [p.rrn_lookup_hash for p in planned],
            "household_ids": [p.household_id for p in planned], "suggestion_ids": [p.suggestion_id for p in planned],
            "dong_ids": [p.dong_id for p in planned], "lons": [p.lon for p in planned],
            "lats": [p.lat for p in planned], "placements": [p.placement for p in planned],
            "signals": [_json(p.signals) for p in planned], "changes": [p.change for p in planned],
            "changed_ons": [p.changed_on for p in planned], "to_dong_ids": [p.to_dong_id for p in planned]})
    counts = dict.fromkeys(ROW_OUTCOMES, 0)
    for p in planned:
        counts[p.outcome] += 1
    batch.rows_total, batch.counts = len(planned), counts


def _plan(session: Session, principal: Principal, batch: ImportBatch, table: reading.Table) -> None:
    planned = Planner(session, principal, batch.kind).plan(table, batch.mapping)
    _store_plan(session, batch, planned)
    access.record(session, principal, "list", f"POST /api/v1/imports/{batch.id}",
                  [p.household_id for p in planned if p.household_id], purpose=f"가져오기 미리보기: {batch.file_name}")


def preview(session: Session, principal: Principal, kind: str, file_name: str, content: bytes,
            mapping: dict | None, round_: str | None) -> dict:
    """Read and plan a file; nothing but the preview itself is written."""
    require_staff(principal)
    if kind not in fields.KINDS:
        raise InvalidInput(f"kind: {', '.join(fields.KINDS)} 중 하나여야 합니다.")
    settings = get_settings()
    batch = ImportBatch(kind=kind, status="previewed", file_name=(file_name or "파일")[:200], content=content,
                        file_sha256=hashlib.sha256(content).hexdigest(), created_by=principal.user_id,
                        dong_id=next(iter(principal.dong_ids)) if not principal.sees_whole_district
                        and len(principal.dong_ids) == 1 else None)
    table = _read(batch, mapping)
    if not table.rows:
        raise InvalidInput("머리글(열 이름)만 있고 가져올 행이 없습니다. 내용이 있는 파일인지 확인하세요.")
    batch.headers = list(table.headers)
    batch.source = source_of(kind, table.headers)
    if kind == "discovery_list":
        batch.round = _round_of(batch.file_name, round_)
        batch.due_on = settings.today() + timedelta(days=settings.discovery_due_days)
    saved = session.get(ImportMapping, (kind, batch.source))
    if mapping is not None:
        batch.mapping = {f.name: mapping.get(f.name) for f in fields.FIELDS[kind]}
    elif saved is not None:
        batch.mapping = saved.mapping
    else:
        batch.mapping = fields.detect_mapping(kind, table.headers)
    _check_mapping(kind, batch.mapping, table.headers)
    session.add(batch)
    session.flush()
    _plan(session, principal, batch, table)
    flush_versioned(session, STALE)
    return to_read(session, batch, saved_used=saved is not None and mapping is None)


def _batch(session: Session, principal: Principal, import_id: int, lock: bool = False) -> ImportBatch:
    query = select(ImportBatch).where(ImportBatch.id == import_id, _visible(principal))
    batch = session.execute(query.with_for_update() if lock else query).scalar_one_or_none()
    if batch is None:
        raise NotFound()
    return batch


def _visible(principal: Principal):
    """District staff see every import; a 동 담당 those made in their dong or by themselves."""
    if principal.sees_whole_district:
        return ImportBatch.id.is_not(None)
    if not principal.is_staff:
        return ImportBatch.id.is_(None)
    return or_(ImportBatch.created_by == principal.user_id, ImportBatch.dong_id.in_(principal.dong_ids))


def _check_version(batch: ImportBatch, version: int) -> None:
    if batch.status == "committed":
        raise Conflict("이미 반영된 가져오기입니다. 같은 파일을 다시 반영하려면 새로 올리세요.")
    if batch.status == "discarded":
        raise Conflict("취소된 가져오기입니다.")
    if version != batch.version:
        raise Conflict(STALE)


def remap(session: Session, principal: Principal, import_id: int, mapping: dict, version: int) -> dict:
    """Plan the same file again with a corrected mapping."""
    require_staff(principal)
    batch = _batch(session, principal, import_id, lock=True)
    _check_version(batch, version)
    table = _read(batch, mapping)
    batch.mapping = {f.name: mapping.get(f.name) for f in fields.FIELDS[batch.kind]}
    _check_mapping(batch.kind, batch.mapping, table.headers)
    _plan(session, principal, batch, table)
    flush_versioned(session, STALE)
    return to_read(session, batch)


def get(session: Session, principal: Principal, import_id: int) -> dict:
    require_staff(principal)
    return to_read(session, _batch(session, principal, import_id))


def list_(session: Session, principal: Principal, kind: str | None, limit: int, offset: int) -> dict:
    require_staff(principal)
    conds = [_visible(principal)] + ([ImportBatch.kind == kind] if kind else [])
    total = session.execute(select(func.count()).select_from(ImportBatch).where(*conds)).scalar_one()
    batches = session.execute(select(ImportBatch).where(*conds).order_by(ImportBatch.id.desc()).limit(limit)
                              .offset(offset)).scalars().all()
    return {"total": total, "items": [to_read(session, b, with_errors=False) for b in batches]}


def discard(session: Session, principal: Principal, import_id: int) -> None:
    require_staff(principal)
    batch = _batch(session, principal, import_id, lock=True)
    if batch.status != "previewed":
        raise Conflict("반영된 가져오기는 취소할 수 없습니다." if batch.status == "committed"
                       else "이미 취소된 가져오기입니다.")
    batch.status, batch.content = "discarded", None
    session.execute(delete(ImportRow).where(ImportRow.import_id == batch.id))
    flush_versioned(session, STALE)


def _row_scope(principal: Principal):
    """A 동 담당 sees rows of their dong(s) only."""
    if principal.sees_whole_district:
        return ImportRow.id.is_not(None)
    return ImportRow.dong_id.in_(principal.dong_ids)


def rows(session: Session, principal: Principal, import_id: int, outcome: str | None, limit: int, offset: int,
         resource: str) -> dict:
    """A page of the rows as preview planned them (and what became of them), names masked."""
    require_staff(principal)
    batch = _batch(session, principal, import_id)
    conds = [ImportRow.import_id == batch.id]
    if not principal.sees_whole_district:
        conds.append(or_(_row_scope(principal), ImportRow.outcome.in_(("out_of_scope", "error"))))
    if outcome:
        if outcome not in ROW_OUTCOMES:
            raise InvalidInput(f"outcome: {', '.join(ROW_OUTCOMES)} 중 하나여야 합니다.")
        conds.append(ImportRow.outcome == outcome)
    total = session.execute(select(func.count()).select_from(ImportRow).where(*conds)).scalar_one()
    found = session.execute(select(ImportRow, Dong.name).outerjoin(Dong, Dong.id == ImportRow.dong_id)
                            .where(*conds).order_by(ImportRow.row_no).limit(limit).offset(offset)).all()
    suggestions = _suggestions(session, [r.suggestion_id for r, _ in found if r.suggestion_id])
    items = [row_to_read(r, dong_name, batch, suggestions.get(r.suggestion_id)) for r, dong_name in found]
    access.record(session, principal, "list", resource,
                  [i["household_id"] for i in items if i["household_id"]]
                  + [i["suggestion"]["household_id"] for i in items if i["suggestion"]])
    return {"total": total, "items": items}


def _suggestions(session: Session, ids: list[int]) -> dict[int, dict]:
    if not ids:
        return {}
    found = session.execute(select(Household.id, Household.head_name, Household.address)
                            .where(Household.id.in_(ids))).all()
    return {i: {"household_id": i, "head_name": mask_name(name), "address": address} for i, name, address in found}


def row_to_read(row: ImportRow, dong_name: str | None, batch: ImportBatch, suggestion: dict | None = None) -> dict:
    v = row.values or {}
    return {
        "id": row.id, "import_id": row.import_id, "kind": batch.kind, "round": batch.round, "row": row.row_no,
        "outcome": row.outcome, "state": row.state, "head_name": mask_name(v.get("head_name")),
        "address": v.get("address"), "address_detail": v.get("address_detail"),
        "birth_year": int(v["birth_date"][:4]) if v.get("birth_date") else None,
        "dong_id": row.dong_id, "dong_name": dong_name, "household_id": row.household_id,
        "suggestion": suggestion, "placement": row.placement, "note": row.note, "errors": row.errors or [],
        "signals": list(row.signals or []), "change": row.change, "changed_on": row.changed_on,
        "version": row.version,
    }


def to_read(session: Session, batch: ImportBatch, with_errors: bool = True, saved_used: bool = False) -> dict:
    errors = []
    if with_errors:
        found = session.execute(select(ImportRow.row_no, ImportRow.errors)
                                .where(ImportRow.import_id == batch.id, ImportRow.outcome == "error")
                                .order_by(ImportRow.row_no).limit(ERRORS_SHOWN)).all()
        errors = [{"row": row_no, **e} for row_no, row_errors in found for e in row_errors][:ERRORS_SHOWN]
    creator = session.get(User, batch.created_by) if batch.created_by else None
    return {
        "id": batch.id, "kind": batch.kind, "status": batch.status, "file_name": batch.file_name,
        "source": batch.source, "round": batch.round, "due_on": batch.due_on, "rows_total": batch.rows_total,
        "counts": {o: (batch.counts or {}).get(o, 0) for o in ROW_OUTCOMES}, "errors": errors,
        "mapping": batch.mapping, "headers": list(batch.headers or []),
        "fields": [{"name": f.name, "label": f.label, "required": f.required} for f in fields.FIELDS[batch.kind]],
        "version": batch.version, "created_at": batch.created_at,
        "created_by_name": creator.display_name if creator else None, "committed_at": batch.committed_at,
        "mapping_saved": saved_used, "applied": (batch.counts or {}).get("applied"),
    }


# -- commit --------------------------------------------------------------------------------------------------

def commit(session: Session, principal: Principal, import_id: int, version: int, resource: str) -> dict:
    """Apply exactly the previewed rows, all in the caller's one transaction."""
    require_staff(principal)
    batch = _batch(session, principal, import_id, lock=True)
    _check_version(batch, version)
    applied = {"created": 0, "updated": 0, "queued": 0, "pending": 0, "unmatched": 0, "skipped": 0}
    touched: list[int] = []
    if batch.kind in PERSON_KINDS:
        _commit_people(session, principal, batch, applied, touched)
    else:
        _commit_registry(session, batch, applied, touched)
    session.expire_all()  # the rows changed in SQL: nothing cached may be written back over them
    batch.status, batch.content = "committed", None
    batch.committed_at, batch.committed_by = get_settings().now(), principal.user_id
    batch.counts = {**batch.counts, "applied": applied}
    _save_mapping(session, principal, batch)
    flush_versioned(session, STALE)
    access.record(session, principal, "create", resource, touched, purpose=f"가져오기 반영: {batch.file_name}")
    return to_read(session, batch)


def _save_mapping(session: Session, principal: Principal, batch: ImportBatch) -> None:
    saved = session.get(ImportMapping, (batch.kind, batch.source))
    if saved is None:
        session.add(ImportMapping(kind=batch.kind, source=batch.source, mapping=batch.mapping,
                                  updated_by=principal.user_id))
    else:
        saved.mapping, saved.updated_by, saved.updated_at = batch.mapping, principal.user_id, get_settings().now()


# New households straight from their rows (planned, or placed by hand from the queue), in one statement: white
# and due from today like any new one; ids drawn first, so each row learns its household.
CREATE_FROM_ROWS = text("""
WITH new AS (
    SELECT r.id AS row_id, nextval(pg_get_serial_sequence('households', 'id')) AS household_id, r.dong_id,
           (SELECT t.id FROM tracts t WHERE t.dong_id = r.dong_id AND ST_Covers(t.geom, r.geom)
            ORDER BY t.id LIMIT 1) AS tract_id, r.values AS v, r.geom, r.placement, r.rrn_ciphertext,
           r.rrn_lookup_hash
    FROM import_rows r
    WHERE r.id = ANY(:row_ids) AND r.geom IS NOT NULL AND r.dong_id IS NOT NULL
), created AS (
    INSERT INTO households (id, dong_id, tract_id, head_name, address, members, phone, notes, head_birth_date,
                            support_status, source_key, geom, placement, risk_level, next_visit_due, registered_on,
                            open_needs, status, created_by, rrn_ciphertext, rrn_lookup_hash, is_synthetic,
                            risk_overridden, version)
    SELECT household_id, dong_id, tract_id, v->>'head_name',
           left(CASE WHEN v->>'address_detail' IS NOT NULL AND strpos(v->>'address', v->>'address_detail') = 0
                     THEN (v->>'address') || ' ' || (v->>'address_detail') ELSE v->>'address' END, 200),
           coalesce((v->>'members')::int, 1), v->>'phone', v->>'notes', (v->>'birth_date')::date,
           v->>'support_status', v->>'source_key', geom, coalesce(placement, 'building'), 'unvisited', :today,
           :today, '{}', 'active', :user_id, rrn_ciphertext, rrn_lookup_hash, false, false, 1
    FROM new
    RETURNING id
)
UPDATE import_rows r SET household_id = new.household_id, state = :state, version = r.version + 1
FROM new WHERE r.id = new.row_id
RETURNING r.household_id
""").bindparams(bindparam("row_ids", type_=ARRAY(Integer)))


def _create_households(session: Session, principal: Principal, row_ids: list[int], state: str) -> list[int]:
    return session.execute(CREATE_FROM_ROWS, {"row_ids": row_ids, "state": state, "today": get_settings().today(),
                                              "user_id": principal.user_id}).scalars().all()

# What becomes of the other rows: matched ones are applied, unplaced ones wait in the placement queue (unless
# the same person already waits there from an earlier list), errors and other areas' rows are skipped.
SETTLE_ROWS = text("""
UPDATE import_rows r SET version = r.version + 1, state = CASE
        WHEN r.outcome = 'matched' THEN 'applied'
        WHEN r.outcome = 'unplaced' AND EXISTS (
            SELECT 1 FROM import_rows w
            WHERE w.state = 'queued' AND w.import_id <> r.import_id
              AND w.values->>'head_name' IS NOT DISTINCT FROM r.values->>'head_name'
              AND w.values->>'birth_date' IS NOT DISTINCT FROM r.values->>'birth_date'
              AND w.values->>'address' IS NOT DISTINCT FROM r.values->>'address'
              AND w.values->>'address_detail' IS NOT DISTINCT FROM r.values->>'address_detail') THEN 'skipped'
        WHEN r.outcome = 'unplaced' THEN 'queued'
        ELSE 'skipped' END
WHERE r.import_id = :import_id AND r.state = 'preview'
RETURNING r.state
""")


def _commit_people(session: Session, principal: Principal, batch: ImportBatch, applied: dict,
                   touched: list[int]) -> None:
    matched = {r.household_id: r for r in session.execute(
        select(ImportRow.household_id, ImportRow.values, ImportRow.rrn_ciphertext, ImportRow.rrn_lookup_hash)
        .where(ImportRow.import_id == batch.id, ImportRow.outcome == "matched"))}
    households = {h.id: h for h in session.execute(
        select(Household).where(Household.id.in_(matched)).with_for_update()).scalars()} if matched else {}
    for household_id, row in matched.items():
        household = households.get(household_id)
        if household is not None and _refresh(household, row.values, row.rrn_ciphertext, row.rrn_lookup_hash):
            applied["updated"] += 1
        touched.append(household_id)
    session.flush()
    new_rows = session.execute(select(ImportRow.id).where(ImportRow.import_id == batch.id,
                                                          ImportRow.outcome == "new")).scalars().all()
    created = _create_households(session, principal, list(new_rows), "applied")
    touched.extend(created)
    applied["created"] = len(created)
    states = session.execute(SETTLE_ROWS, {"import_id": batch.id}).scalars().all()
    applied["queued"] = states.count("queued")
    applied["skipped"] = states.count("skipped")


def _refresh(household: Household, values: dict, rrn_ciphertext: bytes | None, rrn_lookup_hash: str | None) -> bool:
    """A matched household takes what the list adds (contact details, 보장구분, key); its place stays."""
    changes = {"phone": values.get("phone"), "members": values.get("members"),
               "support_status": values.get("support_status"), "source_key": values.get("source_key"),
               "head_birth_date": date.fromisoformat(values["birth_date"]) if values.get("birth_date") else None}
    changed = False
    for name, value in changes.items():
        if value is None:
            continue
        if getattr(household, name) != value:
            setattr(household, name, value)
            changed = True
    if rrn_lookup_hash and household.rrn_lookup_hash is None:
        household.rrn_ciphertext, household.rrn_lookup_hash = rrn_ciphertext, rrn_lookup_hash
        changed = True
    if changed:
        household.updated_at = get_settings().now()
    return changed


# Registry changes are never applied at commit: matched rows wait for a person in the inbox, the rest are listed.
SETTLE_REGISTRY = text("""
UPDATE import_rows r SET version = r.version + 1, state = CASE
        WHEN r.outcome = 'matched' THEN 'pending'
        WHEN r.outcome IN ('new', 'unplaced') THEN 'unmatched'
        ELSE 'skipped' END
WHERE r.import_id = :import_id AND r.state = 'preview'
RETURNING r.state, r.household_id
""")


def _commit_registry(session: Session, batch: ImportBatch, applied: dict, touched: list[int]) -> None:
    for state, household_id in session.execute(SETTLE_REGISTRY, {"import_id": batch.id}):
        applied[state if state in applied else "skipped"] += 1
        if household_id:
            touched.append(household_id)


# -- the placement queue ---------------------------------------------------------------------------------------

def queue(session: Session, principal: Principal, dong_id: int | None, limit: int, offset: int,
          resource: str) -> dict:
    require_staff(principal)
    conds = [ImportRow.state == "queued", _row_scope(principal) if not principal.sees_whole_district
             else ImportRow.id.is_not(None)]
    if dong_id is not None:
        places.ensure_dong_visible(session, principal, dong_id)
        conds.append(ImportRow.dong_id == dong_id)
    total = session.execute(select(func.count()).select_from(ImportRow).where(*conds)).scalar_one()
    found = session.execute(select(ImportRow, Dong.name, ImportBatch).select_from(ImportRow)
                            .join(ImportBatch, ImportBatch.id == ImportRow.import_id)
                            .outerjoin(Dong, Dong.id == ImportRow.dong_id).where(*conds)
                            .order_by(ImportRow.import_id.desc(), ImportRow.row_no).limit(limit).offset(offset)).all()
    items = [row_to_read(r, dong_name, batch) for r, dong_name, batch in found]
    access.record(session, principal, "list", resource, [])
    return {"total": total, "items": items}


def place(session: Session, principal: Principal, row_id: int, lon: float, lat: float, version: int,
          resource: str) -> dict:
    """A person puts a queued row on the map: the household is created at that point."""
    require_staff(principal)
    row = session.execute(select(ImportRow).where(ImportRow.id == row_id, _row_scope(principal))
                          .with_for_update()).scalar_one_or_none()
    if row is None or row.state not in ("queued", "placed"):
        raise NotFound()
    if row.state == "placed":
        raise Conflict("이미 위치를 지정한 행입니다.")
    if version != row.version:
        raise Conflict(STALE)
    where = places.locate(session, lon, lat)
    if where is None:
        raise InvalidInput("좌표가 이 시스템의 관할 구역 밖에 있습니다. 위치를 확인하세요.")
    if not principal.may_see_dong(where.dong_id):
        raise Forbidden("담당 구역 밖에는 가구를 둘 수 없습니다.")
    row.dong_id, row.geom, row.placement = where.dong_id, places.point_wkt(lon, lat), "manual"
    flush_versioned(session, STALE)
    (household_id,) = _create_households(session, principal, [row.id], "placed")
    session.refresh(row)
    access.record(session, principal, "create", resource, [household_id])
    return {"id": row.id, "household_id": household_id, "dong_id": where.dong_id, "tract_id": where.tract_id,
            "state": row.state, "version": row.version}
