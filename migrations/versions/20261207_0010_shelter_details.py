"""heat and cold shelters (무더위쉼터·한파쉼터): facilities of their own categories with an operating period,
capacity and night/holiday opening in shelter_details

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07 03:50:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'shelter_details',
        sa.Column('facility_id', sa.Integer(), nullable=False),
        sa.Column('capacity', sa.Integer(), nullable=True),
        sa.Column('open_from', sa.Date(), nullable=False),
        sa.Column('open_to', sa.Date(), nullable=False),
        sa.Column('night_open', sa.Boolean(), nullable=True),
        sa.Column('holiday_open', sa.Boolean(), nullable=True),
        sa.CheckConstraint('capacity IS NULL OR capacity >= 0', name=op.f('ck_shelter_details_capacity_not_negative')),
        sa.CheckConstraint('open_from <= open_to', name=op.f('ck_shelter_details_period_order')),
        sa.ForeignKeyConstraint(['facility_id'], ['facilities.id'], name=op.f('fk_shelter_details_facility_id_facilities'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('facility_id', name=op.f('pk_shelter_details')),
    )
    op.create_index('ix_shelter_details_period', 'shelter_details', ['open_from', 'open_to'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_shelter_details_period', table_name='shelter_details')
    op.drop_table('shelter_details')
