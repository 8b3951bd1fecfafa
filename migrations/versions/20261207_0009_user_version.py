"""accounts carry a version, so that edits from the administration page are optimistic-locked

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-08 00:10:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('users', sa.Column('version', sa.Integer(), server_default='1', nullable=False))


def downgrade() -> None:
    op.drop_column('users', 'version')
