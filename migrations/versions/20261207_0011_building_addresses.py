"""building addresses from the official 도로명주소 files (위치정보요약DB entrances with a point, 주소DB 관련지번
lots) for offline address → point; households may be placed `building` or `entrance`

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 07:00:00
"""
import geoalchemy2
import sqlalchemy as sa
from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

OLD_PLACEMENTS = "'manual','report','address','approximate'"
NEW_PLACEMENTS = "'manual','report','address','approximate','building','entrance'"


def upgrade() -> None:
    op.create_table(
        'address_entrances',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('sigungu_code', sa.String(5), nullable=False),
        sa.Column('entrance_serial', sa.String(10), nullable=False),
        sa.Column('road_address_id', sa.String(26), nullable=False),
        sa.Column('legal_dong_code', sa.String(10), nullable=False),
        sa.Column('sido', sa.String(40), nullable=False),
        sa.Column('sigungu', sa.String(40), nullable=False),
        sa.Column('legal_dong', sa.String(40), nullable=False),
        sa.Column('road_code', sa.String(12), nullable=False),
        sa.Column('road_name', sa.String(80), nullable=False),
        sa.Column('underground', sa.SmallInteger(), nullable=False),
        sa.Column('main_no', sa.Integer(), nullable=False),
        sa.Column('sub_no', sa.Integer(), nullable=False),
        sa.Column('building_name', sa.String(100), nullable=True),
        sa.Column('postcode', sa.String(5), nullable=True),
        sa.Column('building_use', sa.String(200), nullable=True),
        sa.Column('building_group', sa.Boolean(), nullable=False),
        sa.Column('admin_dong_code', sa.String(10), nullable=True),
        sa.Column('sido_key', sa.String(10), nullable=True),
        sa.Column('sigungu_key', sa.String(40), nullable=False),
        sa.Column('road_key', sa.String(120), nullable=False),
        sa.Column('geom', geoalchemy2.types.Geometry(geometry_type='POINT', srid=4326, spatial_index=False,
                                                     from_text='ST_GeomFromEWKT', name='geometry'), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.CheckConstraint('underground IN (0, 1, 2, 3)', name=op.f('ck_address_entrances_underground')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_address_entrances')),
        sa.UniqueConstraint('sigungu_code', 'entrance_serial', name='uq_address_entrances_entrance'),
    )
    op.create_index('ix_address_entrances_road_key', 'address_entrances', ['road_key'])
    op.create_index('ix_address_entrances_road_address_id', 'address_entrances', ['road_address_id'])
    op.create_geospatial_index('idx_address_entrances_geom', 'address_entrances', ['geom'], unique=False,
                               postgresql_using='gist', postgresql_ops={})
    op.create_table(
        'address_lots',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('road_address_id', sa.String(26), nullable=False),
        sa.Column('legal_dong_code', sa.String(10), nullable=False),
        sa.Column('sido', sa.String(40), nullable=False),
        sa.Column('sigungu', sa.String(40), nullable=False),
        sa.Column('legal_dong', sa.String(40), nullable=False),
        sa.Column('legal_ri', sa.String(40), nullable=True),
        sa.Column('mountain', sa.Boolean(), nullable=False),
        sa.Column('lot_main', sa.Integer(), nullable=False),
        sa.Column('lot_sub', sa.Integer(), nullable=False),
        sa.Column('sido_key', sa.String(10), nullable=True),
        sa.Column('sigungu_key', sa.String(40), nullable=False),
        sa.Column('lot_key', sa.String(120), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_address_lots')),
        sa.UniqueConstraint('road_address_id', 'legal_dong_code', 'mountain', 'lot_main', 'lot_sub',
                            name='uq_address_lots_lot'),
    )
    op.create_index('ix_address_lots_lot_key', 'address_lots', ['lot_key'])
    op.create_index('ix_address_lots_road_address_id', 'address_lots', ['road_address_id'])
    op.execute("ALTER TABLE households DROP CONSTRAINT ck_households_placement")
    op.execute(f"ALTER TABLE households ADD CONSTRAINT ck_households_placement CHECK (placement IN ({NEW_PLACEMENTS}))")


def downgrade() -> None:
    op.execute("UPDATE households SET placement = 'address' WHERE placement IN ('building', 'entrance')")
    op.execute("ALTER TABLE households DROP CONSTRAINT ck_households_placement")
    op.execute(f"ALTER TABLE households ADD CONSTRAINT ck_households_placement CHECK (placement IN ({OLD_PLACEMENTS}))")
    op.drop_table('address_lots')
    op.drop_table('address_entrances')
