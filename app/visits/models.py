"""Visits and phone check-ins, what they found, and the services linked afterwards."""
from datetime import datetime

from sqlalchemy import (
    CheckConstraint,
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


class Visit(Base):
    __tablename__ = "visits"
    __table_args__ = (
        CheckConstraint("contact_type IN ('visit','phone','other')", name="contact_type"),
        CheckConstraint("risk_override IS NULL OR override_reason IS NOT NULL", name="override_reason"),
        # One visit per phone draft: a draft resent after a lost answer finds the visit it made.
        Index("uq_visits_recorded_by_client_key", "recorded_by", "client_key", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id"), index=True)
    visited_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    contact_type: Mapped[str] = mapped_column(String(10))
    notes: Mapped[str | None] = mapped_column(Text)
    risk_score: Mapped[int | None] = mapped_column(Integer)
    risk_level_after: Mapped[str] = mapped_column(String(10))  # the household's level this visit left
    risk_override: Mapped[str | None] = mapped_column(String(10))
    override_reason: Mapped[str | None] = mapped_column(Text)
    recorded_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    client_key: Mapped[str | None] = mapped_column(String(100))  # the Idempotency-Key its recorder sent


class VisitVisitor(Base):
    """One visitor type taking part in a visit (an official with a 복지통장 = two rows)."""

    __tablename__ = "visit_visitors"

    visit_id: Mapped[int] = mapped_column(ForeignKey("visits.id", ondelete="CASCADE"), primary_key=True)
    visitor_type: Mapped[str] = mapped_column(String(30), primary_key=True)


class VisitIndicator(Base):
    __tablename__ = "visit_indicators"

    visit_id: Mapped[int] = mapped_column(ForeignKey("visits.id", ondelete="CASCADE"), primary_key=True)
    indicator: Mapped[str] = mapped_column(String(30), primary_key=True)


class VisitNeed(Base):
    __tablename__ = "visit_needs"

    visit_id: Mapped[int] = mapped_column(ForeignKey("visits.id", ondelete="CASCADE"), primary_key=True)
    need: Mapped[str] = mapped_column(String(30), primary_key=True)


class ServiceLink(Base):
    __tablename__ = "service_links"
    __table_args__ = (
        CheckConstraint("status IN ('requested','in_progress','delivered','declined')", name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id"), index=True)
    visit_id: Mapped[int | None] = mapped_column(ForeignKey("visits.id"))
    type: Mapped[str] = mapped_column(String(30))
    need: Mapped[str | None] = mapped_column(String(30))  # the need this service answers, when known
    facility_id: Mapped[int | None] = mapped_column(ForeignKey("facilities.id"), index=True)
    status: Mapped[str] = mapped_column(String(20))
    note: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}


class ServiceLinkEvent(Base):
    """History of a service link's status changes."""

    __tablename__ = "service_link_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    service_link_id: Mapped[int] = mapped_column(ForeignKey("service_links.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(20))
    note: Mapped[str | None] = mapped_column(Text)
    changed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
