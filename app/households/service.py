"""Household queries and writes, always inside the caller's area."""
import re
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from geoalchemy2 import functions as gf
from sqlalchemy import ARRAY, ColumnElement, Float, Select, String, and_, bindparam, case, cast, func, or_, select
from sqlalchemy import text as sql_text
from sqlalchemy.dialects.postgresql import array as pg_array
from sqlalchemy.orm import Session, aliased

from app.access import service as access
from app.config import get_settings
from app.db import flush_versioned
from app.errors import Conflict, Forbidden, InvalidInput, NotFound
from app.geo.validate import BBox
from app.households import rrn
from app.households.models import SEARCH_WORDS, Household
from app.households.schemas import HouseholdClose, HouseholdCreate, HouseholdUpdate
from app.imports.models import ImportBatch, ImportRow
from app.layers.geojson import collection_and_count
from app.policy.masking import mask_name, mask_phone
from app.policy.principal import Principal
from app.policy.scope import household_scope
from app.risk.levels import COLORS, RISK_LEVELS
from app.tracts import service as places
from app.tracts.models import Dong, Tract
from app.validation import lonlat_of
from app.vocab import HOUSEHOLD_SORTS, REGISTRY_CHANGES

SORTS = tuple(HOUSEHOLD_SORTS)
SEARCH_WORDS_QUALIFIED = SEARCH_WORDS.replace("(head_name", "(households.head_name").replace(
    "|| address", "|| households.address")
SEARCH_COUNT_CAP = 1000  # a search's total is exact up to here, then "1,000+" (counting 38,000 김s costs more)
STALE = "다른 사용자가 먼저 이 가구를 수정했습니다. 새로고침 후 다시 시도하세요."


@dataclass
class HouseholdFilter:
    dong_id: int | None = None
    tract_id: int | None = None
    risk: tuple[str, ...] = ()
    need: tuple[str, ...] = ()
    overdue: bool | None = None
    placement: tuple[str, ...] = ()  # how the point was placed (PLACEMENTS), e.g. ("approximate",)
    q: str | None = None
    status: str = "active"
    bbox: BBox | None = None
    round: str | None = None  # 발굴 차수: households of that round's list


@dataclass(frozen=True)
class AreaKey:
    """What a map read's households depend on (the caller's scope and the filter, as of a day), hashable: the
    map's statements are built once per key and kept (`@lru_cache`), their tile or bbox numbers bound later."""

    role: str
    dong_ids: frozenset[int]
    facility_id: int | None
    dong_id: int | None
    tract_id: int | None
    risk: tuple[str, ...]
    need: tuple[str, ...]
    overdue: bool | None
    placement: tuple[str, ...]
    round: str | None
    today: date

    @classmethod
    def of(cls, principal: Principal, f: HouseholdFilter) -> "AreaKey":
        return cls(principal.role, principal.dong_ids, principal.facility_id, f.dong_id, f.tract_id, f.risk, f.need,
                   f.overdue, f.placement, f.round, get_settings().today())

    def conditions(self) -> list:
        scope = Principal(user_id=0, username="", role=self.role, dong_ids=self.dong_ids,
                          facility_id=self.facility_id)
        f = HouseholdFilter(dong_id=self.dong_id, tract_id=self.tract_id, risk=self.risk, need=self.need,
                            overdue=self.overdue, placement=self.placement, round=self.round)
        return filter_conditions(scope, f, self.today)


def filter_conditions(principal: Principal, f: HouseholdFilter, today: date | None = None) -> list:
    """SQL conditions for a household filter, always inside the caller's area (overdue as of `today`)."""
    today = today or get_settings().today()
    conds = [household_scope(principal)]
    if f.status != "all":
        conds.append(Household.status == f.status)
    if f.dong_id is not None:
        conds.append(Household.dong_id == f.dong_id)
    if f.tract_id is not None:
        conds.append(Household.tract_id == f.tract_id)
    if f.risk:
        conds.append(Household.risk_level.in_(f.risk))
    if f.need:
        # && on varchar(30)[]: the model's generic ARRAY has no .overlap()
        conds.append(Household.open_needs.op("&&")(cast(pg_array(list(f.need)), ARRAY(String(30)))))
    if f.overdue is True:
        conds.append(Household.next_visit_due < today)
    elif f.overdue is False:
        conds.append(Household.next_visit_due >= today)
    if f.placement:
        conds.append(Household.placement.in_(f.placement))
    if f.q:
        conds.append(text_match(f.q))
    if f.round:
        conds.append(Household.id.in_(in_round(f.round)))
    if f.bbox is not None:
        b = f.bbox
        # ST_Intersects, not &&: index boxes are float4 and would let points just outside through.
        conds.append(func.ST_Intersects(Household.geom, func.ST_MakeEnvelope(b.west, b.south, b.east, b.north, 4326)))
    return conds


def in_round(round_: str) -> Select:
    """Households of a 발굴 round's list (a committed `discovery_list` import of that 차수)."""
    return (select(ImportRow.household_id).join(ImportBatch, ImportBatch.id == ImportRow.import_id)
            .where(ImportBatch.kind == "discovery_list", ImportBatch.status == "committed",
                   ImportBatch.round == round_, ImportRow.household_id.is_not(None)))


def discovery_entry(row: ImportRow, batch: ImportBatch) -> dict:
    """One 발굴 list entry of a household: the round, its data signals, the 조사 기한 and what was recorded."""
    return {"id": row.id, "import_id": batch.id, "round": batch.round, "signals": list(row.signals or []),
            "due_on": batch.due_on, "contact": row.contact, "outcome": row.result, "note": row.result_note,
            "recorded_at": row.resolved_at, "version": row.version}


def text_match(q: str) -> ColumnElement[bool]:
    """Free text against name and address. A word of three or more characters is a substring match that the
    trigram indexes answer; one- and two-syllable words (`김`, `홍길`) have no trigram and would scan every
    row, so they match the start of a name or address word instead (`김` → 김철수, `연희` → 연희로)."""
    words = re.findall(r"\w+", q)
    if words and max(len(w) for w in words) < 3:
        prefix = " & ".join(f"{w}:*" for w in words)  # \w only: nothing tsquery would read as an operator
        return sql_text(f"{SEARCH_WORDS_QUALIFIED} @@ to_tsquery('simple'::regconfig, :prefix)").bindparams(
            prefix=prefix)
    pattern = "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    return or_(Household.address.ilike(pattern, escape="\\"), Household.head_name.ilike(pattern, escape="\\"))


def order_by(sort: str) -> list:
    """ORDER BY terms of a household sort (see SORTS); the id last so pages never overlap."""
    if sort == "risk":
        return [Household.urgency, Household.next_visit_due, Household.id]
    if sort == "-last_visit_at":
        return [Household.last_visit_at.desc().nulls_last(), Household.id]
    if sort == "last_visit_at":
        return [Household.last_visit_at.asc().nulls_first(), Household.id]
    if sort == "next_visit_due":
        return [Household.next_visit_due, Household.urgency, Household.id]
    return [Household.address, Household.id]


def read_query(principal: Principal | None = None) -> Select:
    """Households with their point, dong and tract names (a partner gets the dong's point instead)."""
    if principal is not None and principal.role == "partner":
        # The address is cut to the dong, so the point is too: the dong office or a point inside the dong.
        point = func.coalesce(Dong.office_geom, gf.ST_PointOnSurface(Dong.geom))
    else:
        point = Household.geom
    return (select(Household, gf.ST_X(point).label("lon"), gf.ST_Y(point).label("lat"),
                   Dong.name.label("dong_name"), Tract.name.label("tract_name"))
            .join(Dong, Dong.id == Household.dong_id).outerjoin(Tract, Tract.id == Household.tract_id))


def to_read(row, principal: Principal, reveal: bool = False) -> dict:
    """The API shape of a household: masked unless revealed to staff; a partner's cut to the dong."""
    h: Household = row[0]
    today = get_settings().today()
    show = reveal and principal.is_staff
    partner = principal.role == "partner"
    return {
        "id": h.id,
        "head_name": h.head_name if show else mask_name(h.head_name),
        "address": (row.dong_name if partner else h.address),
        "registered_address": None if partner else h.registered_address,
        "lon": round(row.lon, 7),
        "lat": round(row.lat, 7),
        "dong_id": h.dong_id,
        "tract_id": None if partner else h.tract_id,
        "members": h.members,
        "phone": h.phone if show else mask_phone(h.phone),
        "risk_level": h.risk_level,
        "color": COLORS[h.risk_level],
        "risk_reason": None if partner else h.risk_reason,
        "last_visit_at": h.last_visit_at,
        "next_visit_due": h.next_visit_due,
        "overdue": h.next_visit_due < today,
        "placement": h.placement,
        "needs": list(h.open_needs or []),
        "status": h.status,
        "closed_reason": h.closed_reason,
        "version": h.version,
        "notes": None if partner else h.notes,
        "dong_name": row.dong_name,
        "tract_name": None if partner else row.tract_name,
        "masked": not show,
        "has_rrn": h.rrn_lookup_hash is not None and principal.is_staff,
    }


def list_(session: Session, principal: Principal, f: HouseholdFilter, sort: str, limit: int, offset: int,
          resource: str) -> dict:
    """A page of households in the caller's area, most urgent first by default; the read is recorded."""
    ensure_area_visible(session, principal, f)
    conds = filter_conditions(principal, f)
    counted = select(Household.id).where(*conds)
    if f.q:
        counted = counted.limit(SEARCH_COUNT_CAP + 1)
    total = session.execute(select(func.count()).select_from(counted.subquery())).scalar_one()
    rows = session.execute(read_query(principal).where(*conds).order_by(*order_by(sort)).limit(limit)
                           .offset(offset)).all()
    items = [to_read(r, principal) for r in rows]
    access.record(session, principal, "list", resource, [i["id"] for i in items])
    capped = total > SEARCH_COUNT_CAP and bool(f.q)
    return {"items": items, "total": SEARCH_COUNT_CAP if capped else total, "total_capped": capped}


def ensure_area_visible(session: Session, principal: Principal, f: HouseholdFilter) -> None:
    """A dong or tract filter outside the caller's area answers 404, like a missing one."""
    if f.dong_id is not None:
        places.ensure_dong_visible(session, principal, f.dong_id)
    if f.tract_id is not None:
        places.ensure_tract_visible(session, principal, f.tract_id)


def get_row(session: Session, principal: Principal, household_id: int):
    """A household row of read_query() inside the caller's area, or 404."""
    row = session.execute(read_query(principal).where(Household.id == household_id, household_scope(principal))
                          ).first()
    if row is None:
        raise NotFound("가구를 찾을 수 없습니다.")
    return row


def get(session: Session, principal: Principal, household_id: int, resource: str, reveal: bool = False,
        purpose: str | None = None) -> dict:
    """One household; `reveal` shows full name and phone to staff and is recorded as such."""
    if reveal and not principal.is_staff:
        raise Forbidden("실명·전화번호 열람 권한이 없습니다.")
    row = get_row(session, principal, household_id)
    access.record(session, principal, "unmask" if reveal else "read", resource, [household_id], purpose)
    return detail(session, row, principal, reveal=reveal)


def detail(session: Session, row, principal: Principal, reveal: bool = False) -> dict:
    """A household as its own page shows it: `to_read` plus, for staff, its 발굴 entries and applied moves."""
    found = to_read(row, principal, reveal=reveal)
    if principal.is_staff:
        found["discovery"], found["moves"] = list_entries(session, found["id"])
    return found


def list_entries(session: Session, household_id: int) -> tuple[list[dict], list[dict]]:
    """The household's rows of imported lists, in one read: its 발굴 entries (newest round first) and its applied
    주민등록 changes (newest first; a move names both dongs)."""
    left, joined = aliased(Dong), aliased(Dong)
    found = session.execute(
        select(ImportRow, ImportBatch, left.name, joined.name).join(ImportBatch, ImportBatch.id == ImportRow.import_id)
        .outerjoin(left, left.id == ImportRow.from_dong_id).outerjoin(joined, joined.id == ImportRow.to_dong_id)
        .where(ImportRow.household_id == household_id,
               or_(and_(ImportBatch.kind == "discovery_list", ImportBatch.status == "committed"),
                   and_(ImportBatch.kind == "registry_changes", ImportRow.state == "applied")))
        .order_by(ImportBatch.id.desc())).all()
    entries = [discovery_entry(r, batch) for r, batch, _, _ in found if batch.kind == "discovery_list"]
    applied = sorted((f for f in found if f[1].kind == "registry_changes"),
                     key=lambda f: (f[0].resolved_at, f[0].id), reverse=True)
    moves = [{"id": r.id, "change": r.change, "change_label": REGISTRY_CHANGES.get(r.change or "", r.change),
              "changed_on": r.changed_on, "from_dong_id": r.from_dong_id, "from_dong_name": from_name,
              "to_dong_id": r.to_dong_id, "to_dong_name": to_name, "address": (r.values or {}).get("address"),
              "previous_address": (r.values or {}).get("previous_address"), "resolved_at": r.resolved_at}
             for r, _, from_name, to_name in applied]
    return entries, moves


def _place(session: Session, principal: Principal, lon: float, lat: float) -> places.Placement:
    placement = places.locate(session, lon, lat)
    if placement is None:
        raise InvalidInput("좌표가 이 시스템의 관할 구역 밖에 있습니다. 위치를 확인하세요.")
    if not principal.may_see_dong(placement.dong_id) or principal.role == "partner":
        raise Forbidden("담당 구역 밖에는 가구를 등록하거나 옮길 수 없습니다.")
    return placement


def require_staff(principal: Principal) -> None:
    if not principal.is_staff:
        raise Forbidden()


def create(session: Session, principal: Principal, data: HouseholdCreate, resource: str,
           source_report_id: int | None = None, placement: str = "manual") -> dict:
    """Register a household (white, unvisited, due from today) at a point inside the caller's area;
    `placement` says how that point was found (PLACEMENTS)."""
    require_staff(principal)
    lon, lat = lonlat_of(data)
    where = _place(session, principal, lon, lat)
    today = get_settings().today()
    ciphertext, lookup = rrn.protect(data.rrn) if data.rrn else (None, None)
    household = Household(
        dong_id=where.dong_id, tract_id=where.tract_id, head_name=data.head_name, address=data.address,
        registered_address=data.registered_address, members=data.members, phone=data.phone, notes=data.notes,
        geom=places.point_wkt(lon, lat), placement=placement, risk_level="unvisited", next_visit_due=today,
        registered_on=today,
        open_needs=[], status="active", created_by=principal.user_id, source_report_id=source_report_id,
        rrn_ciphertext=ciphertext, rrn_lookup_hash=lookup,
    )
    session.add(household)
    session.flush()
    access.record(session, principal, "create", resource, [household.id])
    return to_read(get_row(session, principal, household.id), principal, reveal=True)


def lock(session: Session, principal: Principal, household_id: int) -> Household:
    """The household row locked FOR UPDATE until the operation commits (writers queue here), or 404."""
    household = session.execute(
        select(Household).where(Household.id == household_id, household_scope(principal)).with_for_update()
    ).scalar_one_or_none()
    if household is None:
        raise NotFound("가구를 찾을 수 없습니다.")
    return household


def check_version(household: Household, version: int | None) -> None:
    """The caller must send the version it read; a stale one is a 409."""
    if version is None:
        raise InvalidInput("version이 필요합니다 (본문의 version 또는 If-Match 헤더).")
    if version != household.version:
        raise Conflict(STALE)


def update(session: Session, principal: Principal, household_id: int, data: HouseholdUpdate, version: int | None,
           resource: str) -> dict:
    """Change details (and maybe the point) if the caller read the current version; else 409."""
    require_staff(principal)
    household = lock(session, principal, household_id)
    check_version(household, data.version if data.version is not None else version)
    if household.status != "active":
        raise InvalidInput("종결된 가구는 수정할 수 없습니다.")
    fields = data.model_dump(exclude_unset=True, exclude={"lon", "lat", "x", "y", "crs", "version", "rrn"})
    for required in ("head_name", "address", "members"):
        if required in fields and fields[required] is None:
            raise InvalidInput(f"{required}: 비울 수 없습니다")
    for name, value in fields.items():
        setattr(household, name, value)
    if "rrn" in data.model_fields_set:
        household.rrn_ciphertext, household.rrn_lookup_hash = rrn.protect(data.rrn) if data.rrn else (None, None)
    if data.has_location():
        lon, lat = lonlat_of(data)
        placement = _place(session, principal, lon, lat)
        household.geom = places.point_wkt(lon, lat)
        household.dong_id, household.tract_id = placement.dong_id, placement.tract_id
    household.updated_at = get_settings().now()
    return _saved(session, principal, household, resource)


def close(session: Session, principal: Principal, household_id: int, data: HouseholdClose, version: int | None,
          resource: str) -> dict:
    """Close a household with a reason; its visits and history stay."""
    require_staff(principal)
    household = lock(session, principal, household_id)
    check_version(household, data.version if data.version is not None else version)
    if household.status == "closed":
        raise Conflict("이미 종결된 가구입니다.")
    now = get_settings().now()
    household.status, household.closed_reason, household.closed_at, household.updated_at = \
        "closed", data.reason, now, now
    if data.note:
        household.notes = ((household.notes + "\n") if household.notes else "") + f"[종결] {data.note}"
    return _saved(session, principal, household, resource)


def _saved(session: Session, principal: Principal, household: Household, resource: str) -> dict:
    """The tail of every edit: flush, record the access, answer masked (full names only via unmask)."""
    flush_versioned(session, STALE)
    access.record(session, principal, "update", resource, [household.id])
    return to_read(get_row(session, principal, household.id), principal)


def layer(session: Session, principal: Principal, f: HouseholdFilter, resource: str) -> str:
    """Household points with only id, level, colour and overdue. The view is recorded as a map tile's is: its
    query (area, filters, bbox, as of now) and how many households it showed, not every id on every pan; the
    ids are what that query gave at that moment."""
    ensure_area_visible(session, principal, f)
    query = _layer_query(AreaKey.of(principal, f), f.bbox is not None)
    box = f.bbox
    params = {"west": box.west, "south": box.south, "east": box.east, "north": box.north} if box else {}
    text, shown = session.connection().execute(query, params).one()
    access.record(session, principal, "list", resource, (), household_count=shown)
    return text


_BBOX = tuple(bindparam(name, type_=Float) for name in ("west", "south", "east", "north"))


@lru_cache(maxsize=256)
def _layer_query(key: AreaKey, bbox: bool) -> Select:
    """The layer's statement for one caller scope and filter, the bbox as parameters: a map reads the layer
    often with the same filters, and building the statement cost as much CPU as a small layer's query."""
    conds = key.conditions()
    if bbox:
        # ST_Intersects, not &&: index boxes are float4 and would let points just outside through.
        conds.append(func.ST_Intersects(Household.geom, func.ST_MakeEnvelope(*_BBOX, 4326)))
    src = (select(Household.id, Household.geom, Household.risk_level, Household.next_visit_due)
           .where(*conds).subquery())
    color = case(*[(src.c.risk_level == lvl, hexcode) for lvl, hexcode in COLORS.items()])
    return collection_and_count(src, src.c.geom, {
        "id": src.c.id, "risk_level": src.c.risk_level, "color": color, "overdue": src.c.next_visit_due < key.today,
    }, precision=6)


def lookup_rrn(session: Session, principal: Principal, number: str, purpose: str | None, resource: str) -> dict:
    """Households in the caller's area holding this 주민등록번호 (exact match on the keyed hash); recorded."""
    require_staff(principal)
    digest = rrn.lookup_hash(number)
    ids = session.execute(select(Household.id).where(Household.rrn_lookup_hash == digest, household_scope(principal))
                          .order_by(Household.id)).scalars().all()
    access.record(session, principal, "lookup", resource, ids, purpose)
    return {"household_ids": list(ids)}


def parse_risk(text: str | None) -> tuple[str, ...]:
    """`high,medium` → ('high', 'medium'), refusing unknown levels."""
    if not text:
        return ()
    levels = tuple(dict.fromkeys(p.strip() for p in text.split(",") if p.strip()))
    unknown = [lvl for lvl in levels if lvl not in RISK_LEVELS]
    if unknown:
        raise InvalidInput(f"알 수 없는 위험도: {', '.join(unknown)} (high, medium, low, unvisited 중에서)")
    return levels
