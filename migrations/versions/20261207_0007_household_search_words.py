"""word-prefix index for the household search's one- and two-syllable queries

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07 00:40:00
"""
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("CREATE INDEX ix_households_search_words ON households USING gin "
               "(to_tsvector('simple'::regconfig, (head_name::text || ' '::text) || address::text))")


def downgrade() -> None:
    op.drop_index('ix_households_search_words', table_name='households')
