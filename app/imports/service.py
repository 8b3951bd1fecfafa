"""Imported lists: preview (nothing in the registry changes), a corrected mapping, commit once, the rows after.

Preview reads the file, plans every row (`planning.Planner`) and stores the plan with the file's bytes. Commit
applies exactly the stored plan in the request's one transaction, holding the batch's row lock, so two commits of
one preview give one 200 and one 409 and a failure leaves nothing half-written.
"""
import hashlib
import re
from datetime import date, timedelta

from geoalchemy2 import functions as gf
from sqlalchemy import delete, func, or_, select, update
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
from app.tracts.models import Dong, Tract

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


def _read(batch: ImportBatch) -> reading.Table:
    settings = get_settings()
    try:
        return reading.read_table(batch.file_name, batch.content or b"", max_bytes=settings.import_max_bytes,
                                  max_rows=settings.import_max_rows)
    except reading.ReadError as exc:
        raise InvalidInput(exc.message) from None


def _check_mapping(kind: str, mapping: dict, headers: tuple[str, ...]) -> None:
    try:
        fields.check_mapping(kind, mapping, headers)
    except reading.ReadError as exc:
        raise InvalidInput(exc.message) from None
    if mapping.get("rrn") and not rrn.keys_configured():
        raise InvalidInput("주민등록번호 열이 있지만 암호화 키가 설정되지 않아 받을 수 없습니다. 그 열의 연결을 "
                           "'사용 안 함'으로 바꾸거나 관리자에게 키 설정을 요청하세요.")


def _store_plan(session: Session, batch: ImportBatch, planned: list[PlannedRow]) -> None:
    session.execute(delete(ImportRow).where(ImportRow.import_id == batch.id))
    session.add_all(ImportRow(
        import_id=batch.id, row_no=p.row_no, outcome=p.outcome, state="preview", values=p.values, cells=p.cells,
        errors=p.errors, note=p.note, rrn_ciphertext=p.rrn_ciphertext, rrn_lookup_hash=p.rrn_lookup_hash,
        household_id=p.household_id, suggestion_id=p.suggestion_id, dong_id=p.dong_id,
        geom=places.point_wkt(p.lon, p.lat) if p.lon is not None else None, placement=p.placement,
        signals=p.signals, change=p.change, changed_on=p.changed_on,
        from_dong_id=p.dong_id if p.change else None, to_dong_id=p.to_dong_id) for p in planned)
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
    table = _read(batch)
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
    table = _read(batch)
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
    now = get_settings().now()
    planned = session.execute(select(ImportRow).where(ImportRow.import_id == batch.id)
                              .order_by(ImportRow.row_no)).scalars().all()
    applied = {"created": 0, "updated": 0, "queued": 0, "pending": 0, "unmatched": 0, "skipped": 0}
    touched: list[int] = []
    if batch.kind in PERSON_KINDS:
        _commit_people(session, principal, batch, planned, applied, touched)
    else:
        _commit_registry(planned, applied)
    for row in planned:
        if row.outcome in ("error", "out_of_scope"):
            row.state = "skipped"
            applied["skipped"] += 1
    batch.status, batch.content, batch.committed_at, batch.committed_by = "committed", None, now, principal.user_id
    batch.counts = {**batch.counts, "applied": applied}
    session.execute(update(ImportRow).where(ImportRow.import_id == batch.id, ImportRow.state == "preview")
                    .values(state="skipped"))
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


def _date(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None


def new_household(principal: Principal, values: dict, row: ImportRow, placement: places.Placement, lon: float,
                  lat: float, how: str) -> Household:
    """A household from an imported row, white and due from today like any new one."""
    today = get_settings().today()
    address = values["address"]
    detail = values.get("address_detail")
    return Household(
        dong_id=placement.dong_id, tract_id=placement.tract_id, head_name=values["head_name"],
        address=(f"{address} {detail}" if detail and detail not in address else address)[:200],
        members=values.get("members") or 1, phone=values.get("phone"), notes=values.get("notes"),
        head_birth_date=_date(values.get("birth_date")), support_status=values.get("support_status"),
        source_key=values.get("source_key"), geom=places.point_wkt(lon, lat), placement=how,
        risk_level="unvisited", next_visit_due=today, registered_on=today, open_needs=[], status="active",
        created_by=principal.user_id, rrn_ciphertext=row.rrn_ciphertext, rrn_lookup_hash=row.rrn_lookup_hash)


def _commit_people(session: Session, principal: Principal, batch: ImportBatch, planned: list[ImportRow],
                   applied: dict, touched: list[int]) -> None:
    placed = {row_id: (lon, lat, tract_id) for row_id, lon, lat, tract_id in _points(session, batch.id)}
    waiting = _already_queued(session, [r for r in planned if r.outcome == "unplaced"])
    created: list[tuple[ImportRow, Household]] = []
    matched = {r.household_id: r for r in planned if r.outcome == "matched"}
    households = {h.id: h for h in session.execute(
        select(Household).where(Household.id.in_(matched)).with_for_update()).scalars()} if matched else {}
    for row in planned:
        if row.outcome == "new":
            lon, lat, tract_id = placed[row.id]
            household = new_household(principal, row.values, row, places.Placement(row.dong_id, tract_id), lon, lat,
                                      row.placement or "building")
            session.add(household)
            created.append((row, household))
        elif row.outcome == "matched":
            household = households.get(row.household_id)
            if household is not None and _refresh(household, row.values, row):
                applied["updated"] += 1
            row.state = "applied"
            touched.append(row.household_id)
        elif row.outcome == "unplaced":
            if _person(row.values) in waiting:
                row.state, row.note = "skipped", "같은 행이 이미 위치 지정을 기다리고 있습니다."
                continue
            row.state = "queued"
            applied["queued"] += 1
    session.flush()
    for row, household in created:
        row.household_id, row.state = household.id, "applied"
        touched.append(household.id)
    applied["created"] = len(created)


def _points(session: Session, import_id: int):
    """The planned point of each new row, and the tract it falls in."""
    tract = (select(Tract.id).where(Tract.dong_id == ImportRow.dong_id, gf.ST_Covers(Tract.geom, ImportRow.geom))
             .order_by(Tract.id).limit(1).scalar_subquery())
    return session.execute(
        select(ImportRow.id, gf.ST_X(ImportRow.geom), gf.ST_Y(ImportRow.geom), tract)
        .where(ImportRow.import_id == import_id, ImportRow.outcome == "new", ImportRow.geom.is_not(None))).all()


def _already_queued(session: Session, rows: list[ImportRow]) -> set[tuple]:
    """Rows of earlier imports still waiting in the placement queue: the same person is not queued twice."""
    if not rows:
        return set()
    found = session.execute(select(ImportRow.values).where(ImportRow.state == "queued")).scalars()
    return {_person(v) for v in found}


def _person(values: dict) -> tuple:
    return values.get("head_name"), values.get("birth_date"), values.get("address"), values.get("address_detail")


def _refresh(household: Household, values: dict, row: ImportRow) -> bool:
    """A matched household takes what the list adds (contact details, 보장구분, key); its place stays."""
    changes = {"phone": values.get("phone"), "members": values.get("members"),
               "support_status": values.get("support_status"), "source_key": values.get("source_key"),
               "head_birth_date": _date(values.get("birth_date"))}
    changed = False
    for name, value in changes.items():
        if value is None:
            continue
        if getattr(household, name) != value:
            setattr(household, name, value)
            changed = True
    if row.rrn_lookup_hash and household.rrn_lookup_hash is None:
        household.rrn_ciphertext, household.rrn_lookup_hash = row.rrn_ciphertext, row.rrn_lookup_hash
        changed = True
    if changed:
        household.updated_at = get_settings().now()
    return changed


def _commit_registry(planned: list[ImportRow], applied: dict) -> None:
    """Registry changes are never applied here: matched rows wait for a person in the inbox."""
    for row in planned:
        if row.outcome == "matched":
            row.state = "pending"
            applied["pending"] += 1
        elif row.outcome in ("new", "unplaced"):
            row.state = "unmatched"
            applied["unmatched"] += 1


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
    household = new_household(principal, row.values, row, where, lon, lat, "manual")
    session.add(household)
    session.flush()
    row.household_id, row.state, row.dong_id = household.id, "placed", where.dong_id
    row.geom, row.placement = places.point_wkt(lon, lat), "manual"
    flush_versioned(session, STALE)
    access.record(session, principal, "create", resource, [household.id])
    return {"id": row.id, "household_id": household.id, "dong_id": where.dong_id, "tract_id": where.tract_id,
            "state": row.state, "version": row.version}
