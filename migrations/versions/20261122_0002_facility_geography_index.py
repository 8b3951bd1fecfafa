"""facility geography index for metre-based radius and nearest searches

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 01:00:00
"""
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("CREATE INDEX ix_facilities_geog ON facilities USING gist (geography(geom))")


def downgrade() -> None:
    op.execute("DROP INDEX IF EXISTS ix_facilities_geog")
