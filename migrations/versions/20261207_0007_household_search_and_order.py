"""household search and list at district scale: a word-prefix index for one- and two-syllable searches, GIN
indexes without a pending list, and the urgency rank as a stored column indexed in the list's default order

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07 00:40:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

GIN_INDEXES = ("ix_households_open_needs", "ix_households_address_trgm", "ix_households_head_name_trgm")


def upgrade() -> None:
    op.add_column('households', sa.Column('urgency', sa.SmallInteger(), sa.Computed(
        "CASE risk_level WHEN 'high' THEN 0 WHEN 'medium' THEN 1 WHEN 'unvisited' THEN 2 WHEN 'low' THEN 3 END",
        persisted=True), nullable=True))
    op.create_index('ix_households_active_urgency', 'households', ['urgency', 'next_visit_due', 'id'],
                    postgresql_where=sa.text("status = 'active'"))
    op.execute("CREATE INDEX ix_households_search_words ON households USING gin "
               "(to_tsvector('simple'::regconfig, (head_name::text || ' '::text) || address::text)) "
               "WITH (fastupdate = off)")
    # A GIN index's pending list of fresh rows is read by every search until VACUUM: update in place instead,
    # and flush what is pending now.
    for index in GIN_INDEXES:
        op.execute(f"ALTER INDEX {index} SET (fastupdate = off)")
        op.execute(f"SELECT gin_clean_pending_list('{index}'::regclass)")


def downgrade() -> None:
    for index in GIN_INDEXES:
        op.execute(f"ALTER INDEX {index} RESET (fastupdate)")
    op.drop_index('ix_households_search_words', table_name='households')
    op.drop_index('ix_households_active_urgency', table_name='households')
    op.drop_column('households', 'urgency')
