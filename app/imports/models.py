"""Imported lists: one batch per uploaded file (previewed, then committed once) and one row per spreadsheet row.

A row is the unit of work that follows the list: a household to create or update, an address waiting to be
placed on the map (the placement queue), a 발굴 list entry waiting for its 조사 outcome, or a registry change
waiting for a person to apply or dismiss it (the inbox). Rows keep the source's own columns so results go back
out in them.
"""
from datetime import date, datetime

from geoalchemy2 import Geometry
from sqlalchemy import (
    ARRAY,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base

IMPORT_KINDS = ("households", "discovery_list", "registry_changes")
IMPORT_STATUSES = ("previewed", "committed", "discarded")
ROW_OUTCOMES = ("new", "matched", "unplaced", "error", "out_of_scope")
# What became of a row: `preview` until commit; then `applied` (written), `queued` (waits for a person to place
# it on the map), `placed` (placed from the queue), `skipped` (error or out of scope, never written); registry
# changes wait as `pending` in the inbox until `applied` or `dismissed`, or are listed as `unmatched`.
ROW_STATES = ("preview", "applied", "queued", "placed", "skipped", "pending", "dismissed", "unmatched")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class ImportBatch(Base):
    __tablename__ = "imports"
    __table_args__ = (
        CheckConstraint(_in("kind", IMPORT_KINDS), name="kind"),
        CheckConstraint(_in("status", IMPORT_STATUSES), name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(10), default="previewed")
    file_name: Mapped[str] = mapped_column(String(200))
    file_sha256: Mapped[str] = mapped_column(String(64), index=True)
    # The uploaded bytes, kept while previewed so a corrected mapping reads them again; dropped at commit.
    content: Mapped[bytes | None] = mapped_column(LargeBinary)
    source: Mapped[str] = mapped_column(String(100))  # whose layout: names the saved mapping
    round: Mapped[str | None] = mapped_column(String(30), index=True)  # 발굴 차수, e.g. 2026-6차
    headers: Mapped[list[str]] = mapped_column(ARRAY(String(200)), default=list)
    mapping: Mapped[dict] = mapped_column(JSONB, default=dict)
    rows_total: Mapped[int] = mapped_column(Integer, default=0)
    counts: Mapped[dict] = mapped_column(JSONB, default=dict)
    due_on: Mapped[date | None] = mapped_column(Date)  # 조사 기한 of a 발굴 list
    dong_id: Mapped[int | None] = mapped_column(ForeignKey("dongs.id"))  # a 동 담당's import: their dong only
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    committed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    committed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}


class ImportRow(Base):
    __tablename__ = "import_rows"
    __table_args__ = (
        CheckConstraint(_in("outcome", ROW_OUTCOMES), name="outcome"),
        CheckConstraint(_in("state", ROW_STATES), name="state"),
        Index("ix_import_rows_import_outcome", "import_id", "outcome", "row_no"),
        Index("ix_import_rows_state_dong", "state", "dong_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    import_id: Mapped[int] = mapped_column(ForeignKey("imports.id", ondelete="CASCADE"))
    row_no: Mapped[int] = mapped_column(Integer)  # the row number the user sees in the file
    outcome: Mapped[str] = mapped_column(String(12))
    state: Mapped[str] = mapped_column(String(10), default="preview")
    values: Mapped[dict] = mapped_column(JSONB, default=dict)  # normalised by field name; never an RRN
    cells: Mapped[dict] = mapped_column(JSONB, default=dict)  # the source's columns as written (RRN masked)
    errors: Mapped[list] = mapped_column(JSONB, default=list)  # [{column, message}]
    note: Mapped[str | None] = mapped_column(Text)  # how it matched or why it was not placed, for a person
    rrn_ciphertext: Mapped[bytes | None] = mapped_column(LargeBinary)
    rrn_lookup_hash: Mapped[str | None] = mapped_column(String(64))
    household_id: Mapped[int | None] = mapped_column(ForeignKey("households.id"), index=True)
    suggestion_id: Mapped[int | None] = mapped_column(ForeignKey("households.id"))  # a similar name: ask a person
    dong_id: Mapped[int | None] = mapped_column(ForeignKey("dongs.id"))
    geom = mapped_column(Geometry("POINT", srid=4326, spatial_index=True))
    placement: Mapped[str | None] = mapped_column(String(12))
    # 발굴 list: crisis-data signals (not what a visit found), the 조사 기한 and its outcome.
    signals: Mapped[list[str]] = mapped_column(ARRAY(String(40)), default=list, server_default="{}")
    contact: Mapped[str | None] = mapped_column(String(12))  # reached | unreachable | absent
    result: Mapped[str | None] = mapped_column(String(20))  # DISCOVERY_OUTCOMES
    result_note: Mapped[str | None] = mapped_column(Text)
    # Registry changes: what happened when, and what a person decided.
    change: Mapped[str | None] = mapped_column(String(12))  # death | moved_out | moved_in | merged
    changed_on: Mapped[date | None] = mapped_column(Date)
    from_dong_id: Mapped[int | None] = mapped_column(ForeignKey("dongs.id"))
    to_dong_id: Mapped[int | None] = mapped_column(ForeignKey("dongs.id"))
    reason: Mapped[str | None] = mapped_column(Text)  # why a change was dismissed
    resolved_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}


class ImportMapping(Base):
    """The column mapping last used for a source's layout: the next round of the same list needs no clicks."""

    __tablename__ = "import_mappings"

    kind: Mapped[str] = mapped_column(String(20), primary_key=True)
    source: Mapped[str] = mapped_column(String(100), primary_key=True)
    mapping: Mapped[dict] = mapped_column(JSONB)
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
