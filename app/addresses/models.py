"""Building addresses from the official 도로명주소 files: entrances with their point, and the lots (지번) of each
도로명주소. Loaded by `python -m app.cli import-addresses`; matched by `app.addresses.service.match`."""
from datetime import datetime

from geoalchemy2 import Geometry
from sqlalchemy import CheckConstraint, DateTime, Index, SmallInteger, String, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base


class AddressEntrance(Base):
    """One row of 위치정보요약DB (`entrc_<시도>.txt`): a 도로명주소 with one entrance point."""

    __tablename__ = "address_entrances"
    __table_args__ = (
        UniqueConstraint("sigungu_code", "entrance_serial", name="uq_address_entrances_entrance"),
        CheckConstraint("underground IN (0, 1, 2, 3)", name="underground"),
        Index("ix_address_entrances_road_key", "road_key"),
        Index("ix_address_entrances_road_address_id", "road_address_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    sigungu_code: Mapped[str] = mapped_column(String(5))  # 시군구코드
    entrance_serial: Mapped[str] = mapped_column(String(10))  # 출입구일련번호 (unique within the 시군구)
    road_address_id: Mapped[str] = mapped_column(String(26))  # 도로명주소관리번호, derived (see app.addresses.layout)
    legal_dong_code: Mapped[str] = mapped_column(String(10))  # 법정동코드
    sido: Mapped[str] = mapped_column(String(40))  # 시도명
    sigungu: Mapped[str] = mapped_column(String(40))  # 시군구명
    legal_dong: Mapped[str] = mapped_column(String(40))  # 법정읍면동명
    road_code: Mapped[str] = mapped_column(String(12))  # 도로명코드: 시군구코드(5) + 도로명번호(7)
    road_name: Mapped[str] = mapped_column(String(80))  # 도로명
    underground: Mapped[int] = mapped_column(SmallInteger)  # 지하여부: 0 지상, 1 지하, 2 공중, 3 수상
    main_no: Mapped[int]  # 건물본번
    sub_no: Mapped[int]  # 건물부번 (0 when none)
    building_name: Mapped[str | None] = mapped_column(String(100))  # 건물명
    postcode: Mapped[str | None] = mapped_column(String(5))  # 우편번호 (기초구역번호)
    building_use: Mapped[str | None] = mapped_column(String(200))  # 건물용도분류
    building_group: Mapped[bool] = mapped_column(default=False)  # 건물군여부 (1: apartment complex and the like)
    admin_dong_code: Mapped[str | None] = mapped_column(String(10))  # 관할행정동 (reference only)
    sido_key: Mapped[str | None] = mapped_column(String(10))  # normalised keys the matcher joins on
    sigungu_key: Mapped[str] = mapped_column(String(40))
    road_key: Mapped[str] = mapped_column(String(120))
    geom = mapped_column(Geometry("POINT", srid=4326, spatial_index=True), nullable=False)  # from X, Y in 5179
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class AddressLot(Base):
    """One row of the 주소DB 관련지번 file (`jibun_rnaddrkor_<시도>.txt`): a lot (지번) of a 도로명주소."""

    __tablename__ = "address_lots"
    __table_args__ = (
        UniqueConstraint("road_address_id", "legal_dong_code", "mountain", "lot_main", "lot_sub",
                         name="uq_address_lots_lot"),
        Index("ix_address_lots_lot_key", "lot_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    road_address_id: Mapped[str] = mapped_column(String(26), index=True)  # 도로명주소관리번호
    legal_dong_code: Mapped[str] = mapped_column(String(10))  # 법정동코드
    sido: Mapped[str] = mapped_column(String(40))
    sigungu: Mapped[str] = mapped_column(String(40))
    legal_dong: Mapped[str] = mapped_column(String(40))  # 법정읍면동명
    legal_ri: Mapped[str | None] = mapped_column(String(40))  # 법정리명
    mountain: Mapped[bool] = mapped_column(default=False)  # 산여부
    lot_main: Mapped[int]  # 지번본번 (번지)
    lot_sub: Mapped[int]  # 지번부번 (호), 0 when none
    sido_key: Mapped[str | None] = mapped_column(String(10))
    sigungu_key: Mapped[str] = mapped_column(String(40))
    lot_key: Mapped[str] = mapped_column(String(120))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
