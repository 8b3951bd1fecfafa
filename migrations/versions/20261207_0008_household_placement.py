"""households record how their point was placed, so the map can say which points are only approximate

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07 04:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('households', sa.Column('placement', sa.String(12), nullable=False, server_default='manual'))
    op.execute("ALTER TABLE households ADD CONSTRAINT ck_households_placement "
               "CHECK (placement IN ('manual','report','address','approximate'))")
    # Households made from reports before this revision: their point is the report's own point or its geocode.
    op.execute("UPDATE households h SET placement = CASE r.location_source WHEN 'point' THEN 'report' "
               "ELSE 'approximate' END FROM reports r WHERE r.id = h.source_report_id")


def downgrade() -> None:
    op.execute("ALTER TABLE households DROP CONSTRAINT ck_households_placement")
    op.drop_column('households', 'placement')
