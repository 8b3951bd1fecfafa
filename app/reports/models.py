"""Blind-spot reports (사각지대 발굴 신고) from 통장, partners, the chat-bot and Open311."""
from datetime import datetime

from geoalchemy2 import Geometry
from sqlalchemy import (
    ARRAY,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base


class Report(Base):
    __tablename__ = "reports"
    __table_args__ = (
        CheckConstraint("status IN ('new','reviewing','converted','dismissed','duplicate')", name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    receipt_no: Mapped[str] = mapped_column(String(20), unique=True)  # shown to the reporter
    channel: Mapped[str] = mapped_column(String(20))  # web | api | kakao | open311
    status: Mapped[str] = mapped_column(String(12), default="new", index=True)
    description: Mapped[str] = mapped_column(Text)
    address: Mapped[str | None] = mapped_column(String(250))
    normalized_address: Mapped[str | None] = mapped_column(String(250), index=True)
    geom = mapped_column(Geometry("POINT", srid=4326, spatial_index=True), nullable=True)
    location_source: Mapped[str | None] = mapped_column(String(20))  # point | geocoded | none
    dong_id: Mapped[int | None] = mapped_column(ForeignKey("dongs.id"), index=True)
    tract_id: Mapped[int | None] = mapped_column(ForeignKey("tracts.id"))
    indicators: Mapped[list[str]] = mapped_column(ARRAY(String(30)), default=list, server_default="{}")
    category: Mapped[str | None] = mapped_column(String(40))  # Open311 service code / chat-bot category
    reporter_contact: Mapped[str | None] = mapped_column(String(120))
    reporter_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    external_user_id: Mapped[str | None] = mapped_column(String(120), index=True)  # Kakao user id, Open311 key
    dedup_key: Mapped[str | None] = mapped_column(String(64), index=True)  # same sender + same text
    household_id: Mapped[int | None] = mapped_column(ForeignKey("households.id"))
    duplicate_of_report_id: Mapped[int | None] = mapped_column(ForeignKey("reports.id"))
    status_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now(), index=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}


class ReportEvent(Base):
    """Who changed a report's status, when and why."""

    __tablename__ = "report_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(12))
    reason: Mapped[str | None] = mapped_column(Text)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class ReportPhoto(Base):
    __tablename__ = "report_photos"

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"), index=True)
    storage_name: Mapped[str] = mapped_column(String(80))  # file name under settings.upload_dir
    content_type: Mapped[str] = mapped_column(String(40))
    size_bytes: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
