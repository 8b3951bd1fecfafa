"""imported lists: batches previewed then committed once, their rows (placement queue, 발굴 outcomes, registry
inbox), saved column mappings per source; households keep the head's birth date, 보장구분 and the source's key

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 09:30:00
"""
import geoalchemy2
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


# app.addresses.normalise.normalised_sql over the address, as the model compiles it.
ADDRESS_KEY = ("replace(regexp_replace(regexp_replace(translate(lower(normalize(coalesce(address, ''), NFKC)), "
               "'‐‑‒–—―−', '-------'), '[^0-9a-z가-힣-]', '', 'g'), '^(서울특별시|서울시|서울)', ''), '번지', '')")


def upgrade() -> None:
    op.add_column('households', sa.Column('address_key', sa.Text(), sa.Computed(ADDRESS_KEY, persisted=True),
                                          nullable=False))
    op.create_index('ix_households_address_key', 'households', ['address_key'])
    op.add_column('households', sa.Column('head_birth_date', sa.Date(), nullable=True))
    op.add_column('households', sa.Column('support_status', sa.String(30), nullable=True))
    op.add_column('households', sa.Column('source_key', sa.String(60), nullable=True))
    op.create_index(op.f('ix_households_source_key'), 'households', ['source_key'])
    op.create_table(
        'imports',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(20), nullable=False),
        sa.Column('status', sa.String(10), nullable=False),
        sa.Column('file_name', sa.String(200), nullable=False),
        sa.Column('file_sha256', sa.String(64), nullable=False),
        sa.Column('content', sa.LargeBinary(), nullable=True),
        sa.Column('source', sa.String(100), nullable=False),
        sa.Column('round', sa.String(30), nullable=True),
        sa.Column('headers', postgresql.ARRAY(sa.String(200)), nullable=False),
        sa.Column('mapping', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column('rows_total', sa.Integer(), nullable=False),
        sa.Column('counts', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column('due_on', sa.Date(), nullable=True),
        sa.Column('dong_id', sa.Integer(), nullable=True),
        sa.Column('created_by', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.Column('committed_by', sa.Integer(), nullable=True),
        sa.Column('committed_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.CheckConstraint("kind IN ('households', 'discovery_list', 'registry_changes')", name=op.f('ck_imports_kind')),
        sa.CheckConstraint("status IN ('previewed', 'committed', 'discarded')", name=op.f('ck_imports_status')),
        sa.ForeignKeyConstraint(['dong_id'], ['dongs.id'], name=op.f('fk_imports_dong_id_dongs')),
        sa.ForeignKeyConstraint(['created_by'], ['users.id'], name=op.f('fk_imports_created_by_users')),
        sa.ForeignKeyConstraint(['committed_by'], ['users.id'], name=op.f('fk_imports_committed_by_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_imports')),
    )
    op.create_index(op.f('ix_imports_file_sha256'), 'imports', ['file_sha256'])
    op.create_index(op.f('ix_imports_round'), 'imports', ['round'])
    op.create_table(
        'import_rows',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('import_id', sa.Integer(), nullable=False),
        sa.Column('row_no', sa.Integer(), nullable=False),
        sa.Column('outcome', sa.String(12), nullable=False),
        sa.Column('state', sa.String(10), nullable=False),
        sa.Column('values', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column('cells', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column('errors', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column('note', sa.Text(), nullable=True),
        sa.Column('rrn_ciphertext', sa.LargeBinary(), nullable=True),
        sa.Column('rrn_lookup_hash', sa.String(64), nullable=True),
        sa.Column('household_id', sa.Integer(), nullable=True),
        sa.Column('suggestion_id', sa.Integer(), nullable=True),
        sa.Column('dong_id', sa.Integer(), nullable=True),
        sa.Column('geom', geoalchemy2.types.Geometry(geometry_type='POINT', srid=4326, spatial_index=False,
                                                     from_text='ST_GeomFromEWKT', name='geometry'), nullable=True),
        sa.Column('placement', sa.String(12), nullable=True),
        sa.Column('signals', postgresql.ARRAY(sa.String(40)), server_default='{}', nullable=False),
        sa.Column('contact', sa.String(12), nullable=True),
        sa.Column('result', sa.String(20), nullable=True),
        sa.Column('result_note', sa.Text(), nullable=True),
        sa.Column('change', sa.String(12), nullable=True),
        sa.Column('changed_on', sa.Date(), nullable=True),
        sa.Column('from_dong_id', sa.Integer(), nullable=True),
        sa.Column('to_dong_id', sa.Integer(), nullable=True),
        sa.Column('reason', sa.Text(), nullable=True),
        sa.Column('resolved_by', sa.Integer(), nullable=True),
        sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.CheckConstraint("outcome IN ('new', 'matched', 'unplaced', 'error', 'out_of_scope')",
                           name=op.f('ck_import_rows_outcome')),
        sa.CheckConstraint("state IN ('preview', 'applied', 'queued', 'placed', 'skipped', 'pending', 'dismissed', "
                           "'unmatched')", name=op.f('ck_import_rows_state')),
        sa.ForeignKeyConstraint(['import_id'], ['imports.id'], name=op.f('fk_import_rows_import_id_imports'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['household_id'], ['households.id'],
                                name=op.f('fk_import_rows_household_id_households')),
        sa.ForeignKeyConstraint(['suggestion_id'], ['households.id'],
                                name=op.f('fk_import_rows_suggestion_id_households')),
        sa.ForeignKeyConstraint(['dong_id'], ['dongs.id'], name=op.f('fk_import_rows_dong_id_dongs')),
        sa.ForeignKeyConstraint(['from_dong_id'], ['dongs.id'], name=op.f('fk_import_rows_from_dong_id_dongs')),
        sa.ForeignKeyConstraint(['to_dong_id'], ['dongs.id'], name=op.f('fk_import_rows_to_dong_id_dongs')),
        sa.ForeignKeyConstraint(['resolved_by'], ['users.id'], name=op.f('fk_import_rows_resolved_by_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_import_rows')),
    )
    op.create_index('ix_import_rows_import_outcome', 'import_rows', ['import_id', 'outcome', 'row_no'])
    op.create_index('ix_import_rows_state_dong', 'import_rows', ['state', 'dong_id'])
    op.create_index(op.f('ix_import_rows_household_id'), 'import_rows', ['household_id'])
    op.create_geospatial_index('idx_import_rows_geom', 'import_rows', ['geom'], unique=False,
                               postgresql_using='gist', postgresql_ops={})
    op.create_table(
        'import_mappings',
        sa.Column('kind', sa.String(20), nullable=False),
        sa.Column('source', sa.String(100), nullable=False),
        sa.Column('mapping', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column('updated_by', sa.Integer(), nullable=True),
        sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.ForeignKeyConstraint(['updated_by'], ['users.id'], name=op.f('fk_import_mappings_updated_by_users')),
        sa.PrimaryKeyConstraint('kind', 'source', name=op.f('pk_import_mappings')),
    )


def downgrade() -> None:
    op.drop_table('import_mappings')
    op.drop_table('import_rows')
    op.drop_table('imports')
    op.drop_index(op.f('ix_households_source_key'), table_name='households')
    op.drop_column('households', 'source_key')
    op.drop_column('households', 'support_status')
    op.drop_column('households', 'head_birth_date')
    op.drop_index('ix_households_address_key', table_name='households')
    op.drop_column('households', 'address_key')
