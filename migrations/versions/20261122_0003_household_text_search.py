"""trigram indexes for the household free-text search

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 01:10:00
"""
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_households_address_trgm', 'households', ['address'], unique=False,
                    postgresql_using='gin', postgresql_ops={'address': 'gin_trgm_ops'})
    op.create_index('ix_households_head_name_trgm', 'households', ['head_name'], unique=False,
                    postgresql_using='gin', postgresql_ops={'head_name': 'gin_trgm_ops'})


def downgrade() -> None:
    op.drop_index('ix_households_head_name_trgm', table_name='households')
    op.drop_index('ix_households_address_trgm', table_name='households')
