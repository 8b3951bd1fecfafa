"""visits remember the Idempotency-Key of the phone draft that made them, unique per recording user, so a draft
sent again after a lost answer is recorded once

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 08:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('visits', sa.Column('client_key', sa.String(100), nullable=True))
    op.create_index('uq_visits_recorded_by_client_key', 'visits', ['recorded_by', 'client_key'], unique=True)


def downgrade() -> None:
    op.drop_index('uq_visits_recorded_by_client_key', table_name='visits')
    op.drop_column('visits', 'client_key')
