"""Welfare facilities (복지관, 경로당, 푸드뱅크, ...) and what they offer."""
from datetime import date, datetime

from geoalchemy2 import Geometry
from sqlalchemy import (
    ARRAY,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base


class Facility(Base):
    __tablename__ = "facilities"
    __table_args__ = (
        CheckConstraint("location_quality IN ('exact','approximate')", name="location_quality"),
        Index("ix_facilities_needs_served", "needs_served", postgresql_using="gin"),
        Index("ix_facilities_name_trgm", "name", postgresql_using="gin", postgresql_ops={"name": "gin_trgm_ops"}),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)  # source facility code (시설코드) or synthetic
    name: Mapped[str] = mapped_column(String(120))
    category: Mapped[str] = mapped_column(String(40), index=True)  # code from app.vocab.FACILITY_CATEGORIES
    source_type: Mapped[str | None] = mapped_column(String(120))  # the source's own type text
    address: Mapped[str | None] = mapped_column(String(250))
    phone: Mapped[str | None] = mapped_column(String(30))
    hours: Mapped[str | None] = mapped_column(String(120))
    description: Mapped[str | None] = mapped_column(Text)
    needs_served: Mapped[list[str]] = mapped_column(ARRAY(String(30)), default=list, server_default="{}")
    accepting_referrals: Mapped[bool] = mapped_column(default=True)
    referrals_confirmed_on: Mapped[date | None] = mapped_column(Date)
    dong_id: Mapped[int | None] = mapped_column(ForeignKey("dongs.id"), index=True)
    geom = mapped_column(Geometry("POINT", srid=4326, spatial_index=True), nullable=False)
    location_quality: Mapped[str] = mapped_column(String(12), default="approximate")
    source: Mapped[str] = mapped_column(String(120))  # dataset the row came from, or "synthetic"
    is_synthetic: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}


class ShelterDetails(Base):
    """What the public heat and cold shelter lists (무더위쉼터·한파쉼터) say beyond a facility's own columns."""

    __tablename__ = "shelter_details"
    __table_args__ = (
        CheckConstraint("open_from <= open_to", name="period_order"),
        CheckConstraint("capacity IS NULL OR capacity >= 0", name="capacity_not_negative"),
        Index("ix_shelter_details_period", "open_from", "open_to"),
    )

    facility_id: Mapped[int] = mapped_column(ForeignKey("facilities.id", ondelete="CASCADE"), primary_key=True)
    capacity: Mapped[int | None] = mapped_column(Integer)  # 이용가능인원
    open_from: Mapped[date] = mapped_column(Date)  # 운영시작일 (inclusive)
    open_to: Mapped[date] = mapped_column(Date)  # 운영종료일 (inclusive)
    night_open: Mapped[bool | None] = mapped_column(Boolean)  # 야간개방여부
    holiday_open: Mapped[bool | None] = mapped_column(Boolean)  # 휴일개방여부


# Distances and radius searches run on the geography (metres on the WGS84 spheroid); this index serves
# ST_DWithin(geography(geom), ...) and KNN `geography(geom) <-> point`.
Index("ix_facilities_geog", func.geography(Facility.geom), postgresql_using="gist")
