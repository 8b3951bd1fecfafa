"""Households at risk: one point on the map each."""
from datetime import date, datetime

from geoalchemy2 import Geometry
from sqlalchemy import (
    ARRAY,
    CheckConstraint,
    Computed,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    SmallInteger,
    String,
    Text,
    column,
    func,
    text,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Mapped, mapped_column

from app.addresses.normalise import normalised_sql
from app.db import Base
from app.risk.levels import URGENCY
from app.vocab import PLACEMENTS

# The words a short search matches the start of: the name and the address (the same text as migration 0007).
# Written as PostgreSQL prints it back, so Alembic sees the model and the migration as equal.
SEARCH_WORDS = "to_tsvector('simple'::regconfig, (head_name::text || ' '::text) || address::text)"

# The comparable form of the address (app.addresses.normalise), kept by PostgreSQL: imported lists match on it.
ADDRESS_KEY_SQL = str(normalised_sql(column("address")).compile(dialect=postgresql.dialect(),
                                                                 compile_kwargs={"literal_binds": True}))

NO_PENDING_LIST = {"fastupdate": "off"}
# The urgency rank of a risk level (app/risk/levels.URGENCY), kept by PostgreSQL beside the level.
URGENCY_SQL = "CASE risk_level " + " ".join(f"WHEN '{lvl}' THEN {rank}" for lvl, rank in URGENCY.items()) + " END"


class Household(Base):
    __tablename__ = "households"
    __table_args__ = (
        CheckConstraint("risk_level IN ('high','medium','low','unvisited')", name="risk_level"),
        CheckConstraint("status IN ('active','closed')", name="status"),
        CheckConstraint("members >= 1 AND members <= 50", name="members"),
        CheckConstraint(f"placement IN ({', '.join(repr(p) for p in PLACEMENTS)})", name="placement"),
        Index("ix_households_dong_risk", "dong_id", "risk_level"),
        # GIN indexes update in place (fastupdate off): a pending list of fresh rows is scanned by every search
        # until VACUUM, measured at 150,000 households as 300 ms on a one-syllable search.
        Index("ix_households_open_needs", "open_needs", postgresql_using="gin", postgresql_with=NO_PENDING_LIST),
        # Free-text search (`q`) is a substring match; trigram indexes keep it fast at district scale.
        Index("ix_households_address_trgm", "address", postgresql_using="gin",
              postgresql_ops={"address": "gin_trgm_ops"}, postgresql_with=NO_PENDING_LIST),
        Index("ix_households_head_name_trgm", "head_name", postgresql_using="gin",
              postgresql_ops={"head_name": "gin_trgm_ops"}, postgresql_with=NO_PENDING_LIST),
        # One or two syllables (`김`, `홍길`) have no trigram: they match the start of a word instead.
        Index("ix_households_search_words", text(SEARCH_WORDS), postgresql_using="gin",
              postgresql_with=NO_PENDING_LIST),
        # The list's default order (most urgent first) read from an index: a page of 50 never sorts 38,000 rows.
        Index("ix_households_address_key", "address_key"),
        Index("ix_households_active_urgency", "urgency", "next_visit_due", "id",
              postgresql_where=text("status = 'active'")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    dong_id: Mapped[int] = mapped_column(ForeignKey("dongs.id"), index=True)
    tract_id: Mapped[int | None] = mapped_column(ForeignKey("tracts.id"), index=True)
    head_name: Mapped[str] = mapped_column(String(50))
    address: Mapped[str] = mapped_column(String(200))  # where the household actually lives
    address_key: Mapped[str] = mapped_column(Text, Computed(ADDRESS_KEY_SQL, persisted=True))
    registered_address: Mapped[str | None] = mapped_column(String(200))  # 주민등록 주소, may differ
    members: Mapped[int] = mapped_column(Integer, default=1)
    head_birth_date: Mapped[date | None] = mapped_column(Date)  # 세대주 생년월일: matches imported lists
    support_status: Mapped[str | None] = mapped_column(String(30))  # 보장구분/자격 as the source list wrote it
    source_key: Mapped[str | None] = mapped_column(String(60), index=True)  # the source list's own key (관리번호)
    phone: Mapped[str | None] = mapped_column(String(20))
    notes: Mapped[str | None] = mapped_column(Text)
    # 주민등록번호: AES-GCM ciphertext and a keyed hash for exact lookup; never plain text.
    rrn_ciphertext: Mapped[bytes | None] = mapped_column(LargeBinary)
    rrn_lookup_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    geom = mapped_column(Geometry("POINT", srid=4326, spatial_index=True), nullable=False)
    placement: Mapped[str] = mapped_column(String(12), default="manual", server_default="manual")

    risk_level: Mapped[str] = mapped_column(String(10), default="unvisited", index=True)
    urgency: Mapped[int] = mapped_column(SmallInteger, Computed(URGENCY_SQL, persisted=True))  # 0 = most urgent
    risk_score: Mapped[int | None] = mapped_column(Integer)
    risk_reason: Mapped[str | None] = mapped_column(Text)
    risk_overridden: Mapped[bool] = mapped_column(default=False)
    last_visit_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    next_visit_due: Mapped[date] = mapped_column(Date, index=True)
    # Needs found on visits and not yet met by a delivered service (kept by the visits service).
    open_needs: Mapped[list[str]] = mapped_column(ARRAY(String(30)), default=list, server_default="{}")

    status: Mapped[str] = mapped_column(String(10), default="active")
    closed_reason: Mapped[str | None] = mapped_column(String(20))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    source_report_id: Mapped[int | None] = mapped_column(ForeignKey("reports.id", use_alter=True))
    is_synthetic: Mapped[bool] = mapped_column(default=False)

    registered_on: Mapped[date] = mapped_column(Date)  # unvisited households are due from this day
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}
