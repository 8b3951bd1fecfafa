"""Places: districts (구), dongs (행정동) and tracts (통)."""
from geoalchemy2 import Geometry
from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base


class District(Base):
    __tablename__ = "districts"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(5), unique=True)  # 시군구 code, e.g. 11410
    name: Mapped[str] = mapped_column(String(50))
    geom = mapped_column(Geometry("MULTIPOLYGON", srid=4326, spatial_index=True), nullable=False)


class Dong(Base):
    __tablename__ = "dongs"

    id: Mapped[int] = mapped_column(primary_key=True)
    district_id: Mapped[int] = mapped_column(ForeignKey("districts.id"), index=True)
    code: Mapped[str] = mapped_column(String(10), unique=True)  # 행정기관코드 (adm_cd2)
    stat_code: Mapped[str | None] = mapped_column(String(7))  # 통계청 code (adm_cd)
    name: Mapped[str] = mapped_column(String(50))
    geom = mapped_column(Geometry("MULTIPOLYGON", srid=4326, spatial_index=True), nullable=False)
    # 동 주민센터: the default start of a printed field round.
    office_geom = mapped_column(Geometry("POINT", srid=4326, spatial_index=False), nullable=True)


class Tract(Base):
    __tablename__ = "tracts"
    __table_args__ = (UniqueConstraint("dong_id", "number", name="uq_tracts_dong_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    dong_id: Mapped[int] = mapped_column(ForeignKey("dongs.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)  # 통 number within the dong
    name: Mapped[str] = mapped_column(String(60))  # e.g. "충현동 3통"
    geom = mapped_column(Geometry("MULTIPOLYGON", srid=4326, spatial_index=True), nullable=False)
