"""Access records (접속기록): append-only, hash-chained log of every use of personal data."""
from datetime import datetime

from sqlalchemy import BigInteger, DateTime, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base
from app.idset import IdSet


class AccessRecord(Base):
    __tablename__ = "access_records"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    user_id: Mapped[int | None] = mapped_column(Integer, index=True)  # no FK: records outlive accounts
    username: Mapped[str] = mapped_column(String(60))
    role: Mapped[str | None] = mapped_column(String(20))
    client_ip: Mapped[str | None] = mapped_column(String(45))
    action: Mapped[str] = mapped_column(String(20))  # read | list | create | update | delete | print | export | unmask
    resource: Mapped[str] = mapped_column(String(200))  # method and path
    household_ids: Mapped[list[int]] = mapped_column(IdSet, default=list)  # packed: app/idset.py
    household_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    purpose: Mapped[str | None] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
