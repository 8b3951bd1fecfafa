"""initial schema

Revision ID: 0001
Revises: 
Create Date: 2026-11-22 00:01:20.080732
"""
import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


from app.config import get_settings

APP_ROLE = get_settings().app_db_role


def _app_role_exists() -> bool:
    return bool(op.get_bind().execute(sa.text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": APP_ROLE}).scalar())


def upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.create_table('access_records',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('username', sa.String(length=60), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=True),
    sa.Column('client_ip', sa.String(length=45), nullable=True),
    sa.Column('action', sa.String(length=20), nullable=False),
    sa.Column('resource', sa.String(length=200), nullable=False),
    sa.Column('household_ids', sa.ARRAY(sa.BigInteger()), nullable=False),
    sa.Column('purpose', sa.Text(), nullable=True),
    sa.Column('prev_hash', sa.String(length=64), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_access_records'))
    )
    op.create_index(op.f('ix_access_records_at'), 'access_records', ['at'], unique=False)
    op.create_index(op.f('ix_access_records_user_id'), 'access_records', ['user_id'], unique=False)
    op.create_geospatial_table('districts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=5), nullable=False),
    sa.Column('name', sa.String(length=50), nullable=False),
    sa.Column('geom', Geometry(geometry_type='MULTIPOLYGON', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry', nullable=False), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_districts')),
    sa.UniqueConstraint('code', name=op.f('uq_districts_code'))
    )
    op.create_geospatial_index('idx_districts_geom', 'districts', ['geom'], unique=False, postgresql_using='gist', postgresql_ops={})
    op.create_geospatial_table('dongs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('district_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=10), nullable=False),
    sa.Column('stat_code', sa.String(length=7), nullable=True),
    sa.Column('name', sa.String(length=50), nullable=False),
    sa.Column('geom', Geometry(geometry_type='MULTIPOLYGON', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry', nullable=False), nullable=False),
    sa.Column('office_geom', Geometry(geometry_type='POINT', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry'), nullable=True),
    sa.ForeignKeyConstraint(['district_id'], ['districts.id'], name=op.f('fk_dongs_district_id_districts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dongs')),
    sa.UniqueConstraint('code', name=op.f('uq_dongs_code'))
    )
    op.create_geospatial_index('idx_dongs_geom', 'dongs', ['geom'], unique=False, postgresql_using='gist', postgresql_ops={})
    op.create_index(op.f('ix_dongs_district_id'), 'dongs', ['district_id'], unique=False)
    op.create_geospatial_table('facilities',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('category', sa.String(length=40), nullable=False),
    sa.Column('source_type', sa.String(length=120), nullable=True),
    sa.Column('address', sa.String(length=250), nullable=True),
    sa.Column('phone', sa.String(length=30), nullable=True),
    sa.Column('hours', sa.String(length=120), nullable=True),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('needs_served', sa.ARRAY(sa.String(length=30)), server_default='{}', nullable=False),
    sa.Column('accepting_referrals', sa.Boolean(), nullable=False),
    sa.Column('referrals_confirmed_on', sa.Date(), nullable=True),
    sa.Column('dong_id', sa.Integer(), nullable=True),
    sa.Column('geom', Geometry(geometry_type='POINT', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry', nullable=False), nullable=False),
    sa.Column('location_quality', sa.String(length=12), nullable=False),
    sa.Column('source', sa.String(length=120), nullable=False),
    sa.Column('is_synthetic', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint("location_quality IN ('exact','approximate')", name=op.f('ck_facilities_location_quality')),
    sa.ForeignKeyConstraint(['dong_id'], ['dongs.id'], name=op.f('fk_facilities_dong_id_dongs')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_facilities')),
    sa.UniqueConstraint('code', name=op.f('uq_facilities_code'))
    )
    op.create_geospatial_index('idx_facilities_geom', 'facilities', ['geom'], unique=False, postgresql_using='gist', postgresql_ops={})
    op.create_index(op.f('ix_facilities_category'), 'facilities', ['category'], unique=False)
    op.create_index(op.f('ix_facilities_dong_id'), 'facilities', ['dong_id'], unique=False)
    op.create_index('ix_facilities_name_trgm', 'facilities', ['name'], unique=False, postgresql_using='gin', postgresql_ops={'name': 'gin_trgm_ops'})
    op.create_index('ix_facilities_needs_served', 'facilities', ['needs_served'], unique=False, postgresql_using='gin')
    op.create_geospatial_table('tracts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('dong_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=60), nullable=False),
    sa.Column('geom', Geometry(geometry_type='MULTIPOLYGON', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry', nullable=False), nullable=False),
    sa.ForeignKeyConstraint(['dong_id'], ['dongs.id'], name=op.f('fk_tracts_dong_id_dongs')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tracts')),
    sa.UniqueConstraint('dong_id', 'number', name='uq_tracts_dong_number')
    )
    op.create_geospatial_index('idx_tracts_geom', 'tracts', ['geom'], unique=False, postgresql_using='gist', postgresql_ops={})
    op.create_index(op.f('ix_tracts_dong_id'), 'tracts', ['dong_id'], unique=False)
    op.create_table('users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(length=60), nullable=False),
    sa.Column('display_name', sa.String(length=60), nullable=True),
    sa.Column('password_hash', sa.String(length=200), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.Column('district_id', sa.Integer(), nullable=True),
    sa.Column('facility_id', sa.Integer(), nullable=True),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('failed_logins', sa.Integer(), nullable=False),
    sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("role IN ('admin','district_staff','dong_staff','tongjang','partner')", name=op.f('ck_users_role')),
    sa.ForeignKeyConstraint(['district_id'], ['districts.id'], name=op.f('fk_users_district_id_districts')),
    sa.ForeignKeyConstraint(['facility_id'], ['facilities.id'], name=op.f('fk_users_facility_id_facilities')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
    sa.UniqueConstraint('username', name=op.f('uq_users_username'))
    )
    op.create_table('auth_sessions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('client_ip', sa.String(length=45), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_auth_sessions_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_auth_sessions')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_auth_sessions_token_hash'))
    )
    op.create_index(op.f('ix_auth_sessions_user_id'), 'auth_sessions', ['user_id'], unique=False)
    op.create_geospatial_table('households',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('dong_id', sa.Integer(), nullable=False),
    sa.Column('tract_id', sa.Integer(), nullable=True),
    sa.Column('head_name', sa.String(length=50), nullable=False),
    sa.Column('address', sa.String(length=200), nullable=False),
    sa.Column('registered_address', sa.String(length=200), nullable=True),
    sa.Column('members', sa.Integer(), nullable=False),
    sa.Column('phone', sa.String(length=20), nullable=True),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.Column('rrn_ciphertext', sa.LargeBinary(), nullable=True),
    sa.Column('rrn_lookup_hash', sa.String(length=64), nullable=True),
    sa.Column('geom', Geometry(geometry_type='POINT', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry', nullable=False), nullable=False),
    sa.Column('risk_level', sa.String(length=10), nullable=False),
    sa.Column('risk_score', sa.Integer(), nullable=True),
    sa.Column('risk_reason', sa.Text(), nullable=True),
    sa.Column('risk_overridden', sa.Boolean(), nullable=False),
    sa.Column('last_visit_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('next_visit_due', sa.Date(), nullable=False),
    sa.Column('open_needs', sa.ARRAY(sa.String(length=30)), server_default='{}', nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('closed_reason', sa.String(length=20), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('source_report_id', sa.Integer(), nullable=True),
    sa.Column('is_synthetic', sa.Boolean(), nullable=False),
    sa.Column('registered_on', sa.Date(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint("risk_level IN ('high','medium','low','unvisited')", name=op.f('ck_households_risk_level')),
    sa.CheckConstraint("status IN ('active','closed')", name=op.f('ck_households_status')),
    sa.CheckConstraint('members >= 1 AND members <= 50', name=op.f('ck_households_members')),
    sa.ForeignKeyConstraint(['created_by'], ['users.id'], name=op.f('fk_households_created_by_users')),
    sa.ForeignKeyConstraint(['dong_id'], ['dongs.id'], name=op.f('fk_households_dong_id_dongs')),
    sa.ForeignKeyConstraint(['tract_id'], ['tracts.id'], name=op.f('fk_households_tract_id_tracts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_households'))
    )
    op.create_geospatial_index('idx_households_geom', 'households', ['geom'], unique=False, postgresql_using='gist', postgresql_ops={})
    op.create_index(op.f('ix_households_dong_id'), 'households', ['dong_id'], unique=False)
    op.create_index('ix_households_dong_risk', 'households', ['dong_id', 'risk_level'], unique=False)
    op.create_index(op.f('ix_households_next_visit_due'), 'households', ['next_visit_due'], unique=False)
    op.create_index('ix_households_open_needs', 'households', ['open_needs'], unique=False, postgresql_using='gin')
    op.create_index(op.f('ix_households_risk_level'), 'households', ['risk_level'], unique=False)
    op.create_index(op.f('ix_households_rrn_lookup_hash'), 'households', ['rrn_lookup_hash'], unique=False)
    op.create_index(op.f('ix_households_tract_id'), 'households', ['tract_id'], unique=False)
    op.create_table('permission_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('action', sa.String(length=30), nullable=False),
    sa.Column('detail', sa.Text(), nullable=True),
    sa.Column('actor', sa.String(length=60), nullable=True),
    sa.Column('at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_permission_events_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_permission_events'))
    )
    op.create_index(op.f('ix_permission_events_user_id'), 'permission_events', ['user_id'], unique=False)
    op.create_table('user_dongs',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('dong_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['dong_id'], ['dongs.id'], name=op.f('fk_user_dongs_dong_id_dongs')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_user_dongs_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'dong_id', name=op.f('pk_user_dongs'))
    )
    op.create_table('user_tracts',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('tract_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['tract_id'], ['tracts.id'], name=op.f('fk_user_tracts_tract_id_tracts')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_user_tracts_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'tract_id', name=op.f('pk_user_tracts'))
    )
    op.create_geospatial_table('reports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('receipt_no', sa.String(length=20), nullable=False),
    sa.Column('channel', sa.String(length=20), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('address', sa.String(length=250), nullable=True),
    sa.Column('normalized_address', sa.String(length=250), nullable=True),
    sa.Column('geom', Geometry(geometry_type='POINT', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry'), nullable=True),
    sa.Column('location_source', sa.String(length=20), nullable=True),
    sa.Column('dong_id', sa.Integer(), nullable=True),
    sa.Column('tract_id', sa.Integer(), nullable=True),
    sa.Column('indicators', sa.ARRAY(sa.String(length=30)), server_default='{}', nullable=False),
    sa.Column('category', sa.String(length=40), nullable=True),
    sa.Column('reporter_contact', sa.String(length=120), nullable=True),
    sa.Column('reporter_user_id', sa.Integer(), nullable=True),
    sa.Column('external_user_id', sa.String(length=120), nullable=True),
    sa.Column('dedup_key', sa.String(length=64), nullable=True),
    sa.Column('household_id', sa.Integer(), nullable=True),
    sa.Column('duplicate_of_report_id', sa.Integer(), nullable=True),
    sa.Column('status_reason', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint("status IN ('new','reviewing','converted','dismissed','duplicate')", name=op.f('ck_reports_status')),
    sa.ForeignKeyConstraint(['dong_id'], ['dongs.id'], name=op.f('fk_reports_dong_id_dongs')),
    sa.ForeignKeyConstraint(['duplicate_of_report_id'], ['reports.id'], name=op.f('fk_reports_duplicate_of_report_id_reports')),
    sa.ForeignKeyConstraint(['household_id'], ['households.id'], name=op.f('fk_reports_household_id_households')),
    sa.ForeignKeyConstraint(['reporter_user_id'], ['users.id'], name=op.f('fk_reports_reporter_user_id_users')),
    sa.ForeignKeyConstraint(['tract_id'], ['tracts.id'], name=op.f('fk_reports_tract_id_tracts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reports')),
    sa.UniqueConstraint('receipt_no', name=op.f('uq_reports_receipt_no'))
    )
    op.create_geospatial_index('idx_reports_geom', 'reports', ['geom'], unique=False, postgresql_using='gist', postgresql_ops={})
    op.create_index(op.f('ix_reports_created_at'), 'reports', ['created_at'], unique=False)
    op.create_index(op.f('ix_reports_dedup_key'), 'reports', ['dedup_key'], unique=False)
    op.create_index(op.f('ix_reports_dong_id'), 'reports', ['dong_id'], unique=False)
    op.create_index(op.f('ix_reports_external_user_id'), 'reports', ['external_user_id'], unique=False)
    op.create_index(op.f('ix_reports_normalized_address'), 'reports', ['normalized_address'], unique=False)
    op.create_index(op.f('ix_reports_reporter_user_id'), 'reports', ['reporter_user_id'], unique=False)
    op.create_index(op.f('ix_reports_status'), 'reports', ['status'], unique=False)
    op.create_table('visits',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('household_id', sa.Integer(), nullable=False),
    sa.Column('visited_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('contact_type', sa.String(length=10), nullable=False),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.Column('risk_score', sa.Integer(), nullable=True),
    sa.Column('risk_level_after', sa.String(length=10), nullable=False),
    sa.Column('risk_override', sa.String(length=10), nullable=True),
    sa.Column('override_reason', sa.Text(), nullable=True),
    sa.Column('recorded_by', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("contact_type IN ('visit','phone','other')", name=op.f('ck_visits_contact_type')),
    sa.CheckConstraint('risk_override IS NULL OR override_reason IS NOT NULL', name=op.f('ck_visits_override_reason')),
    sa.ForeignKeyConstraint(['household_id'], ['households.id'], name=op.f('fk_visits_household_id_households')),
    sa.ForeignKeyConstraint(['recorded_by'], ['users.id'], name=op.f('fk_visits_recorded_by_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_visits'))
    )
    op.create_index(op.f('ix_visits_household_id'), 'visits', ['household_id'], unique=False)
    op.create_index(op.f('ix_visits_visited_at'), 'visits', ['visited_at'], unique=False)
    op.create_table('report_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('report_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_report_events_actor_id_users')),
    sa.ForeignKeyConstraint(['report_id'], ['reports.id'], name=op.f('fk_report_events_report_id_reports'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_report_events'))
    )
    op.create_index(op.f('ix_report_events_report_id'), 'report_events', ['report_id'], unique=False)
    op.create_table('report_photos',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('report_id', sa.Integer(), nullable=False),
    sa.Column('storage_name', sa.String(length=80), nullable=False),
    sa.Column('content_type', sa.String(length=40), nullable=False),
    sa.Column('size_bytes', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['report_id'], ['reports.id'], name=op.f('fk_report_photos_report_id_reports'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_report_photos'))
    )
    op.create_index(op.f('ix_report_photos_report_id'), 'report_photos', ['report_id'], unique=False)
    op.create_table('service_links',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('household_id', sa.Integer(), nullable=False),
    sa.Column('visit_id', sa.Integer(), nullable=True),
    sa.Column('type', sa.String(length=30), nullable=False),
    sa.Column('need', sa.String(length=30), nullable=True),
    sa.Column('facility_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint("status IN ('requested','in_progress','delivered','declined')", name=op.f('ck_service_links_status')),
    sa.ForeignKeyConstraint(['created_by'], ['users.id'], name=op.f('fk_service_links_created_by_users')),
    sa.ForeignKeyConstraint(['facility_id'], ['facilities.id'], name=op.f('fk_service_links_facility_id_facilities')),
    sa.ForeignKeyConstraint(['household_id'], ['households.id'], name=op.f('fk_service_links_household_id_households')),
    sa.ForeignKeyConstraint(['visit_id'], ['visits.id'], name=op.f('fk_service_links_visit_id_visits')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_service_links'))
    )
    op.create_index(op.f('ix_service_links_facility_id'), 'service_links', ['facility_id'], unique=False)
    op.create_index(op.f('ix_service_links_household_id'), 'service_links', ['household_id'], unique=False)
    op.create_table('visit_indicators',
    sa.Column('visit_id', sa.Integer(), nullable=False),
    sa.Column('indicator', sa.String(length=30), nullable=False),
    sa.ForeignKeyConstraint(['visit_id'], ['visits.id'], name=op.f('fk_visit_indicators_visit_id_visits'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('visit_id', 'indicator', name=op.f('pk_visit_indicators'))
    )
    op.create_table('visit_needs',
    sa.Column('visit_id', sa.Integer(), nullable=False),
    sa.Column('need', sa.String(length=30), nullable=False),
    sa.ForeignKeyConstraint(['visit_id'], ['visits.id'], name=op.f('fk_visit_needs_visit_id_visits'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('visit_id', 'need', name=op.f('pk_visit_needs'))
    )
    op.create_table('visit_visitors',
    sa.Column('visit_id', sa.Integer(), nullable=False),
    sa.Column('visitor_type', sa.String(length=30), nullable=False),
    sa.ForeignKeyConstraint(['visit_id'], ['visits.id'], name=op.f('fk_visit_visitors_visit_id_visits'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('visit_id', 'visitor_type', name=op.f('pk_visit_visitors'))
    )
    op.create_table('service_link_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('service_link_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('changed_by', sa.Integer(), nullable=True),
    sa.Column('changed_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['changed_by'], ['users.id'], name=op.f('fk_service_link_events_changed_by_users')),
    sa.ForeignKeyConstraint(['service_link_id'], ['service_links.id'], name=op.f('fk_service_link_events_service_link_id_service_links'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_service_link_events'))
    )
    op.create_index(op.f('ix_service_link_events_service_link_id'), 'service_link_events', ['service_link_id'], unique=False)
    # households and reports point at each other: this key can only come after both tables.
    op.create_foreign_key(op.f('fk_households_source_report_id_reports'), 'households', 'reports',
                          ['source_report_id'], ['id'])
    if _app_role_exists():
        # The app's role may read and write data but never change the schema;
        # access records are append-only for it (개인정보 접속기록).
        op.execute(f"GRANT USAGE ON SCHEMA public TO {APP_ROLE}")
        op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {APP_ROLE}")
        op.execute(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {APP_ROLE}")
        op.execute(f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {APP_ROLE}")
        op.execute(f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO {APP_ROLE}")
        op.execute(f"REVOKE UPDATE, DELETE, TRUNCATE ON access_records FROM {APP_ROLE}")


def downgrade() -> None:
    op.drop_constraint(op.f('fk_households_source_report_id_reports'), 'households', type_='foreignkey')
    op.drop_index(op.f('ix_service_link_events_service_link_id'), table_name='service_link_events')
    op.drop_table('service_link_events')
    op.drop_table('visit_visitors')
    op.drop_table('visit_needs')
    op.drop_table('visit_indicators')
    op.drop_index(op.f('ix_service_links_household_id'), table_name='service_links')
    op.drop_index(op.f('ix_service_links_facility_id'), table_name='service_links')
    op.drop_table('service_links')
    op.drop_index(op.f('ix_report_photos_report_id'), table_name='report_photos')
    op.drop_table('report_photos')
    op.drop_index(op.f('ix_report_events_report_id'), table_name='report_events')
    op.drop_table('report_events')
    op.drop_index(op.f('ix_visits_visited_at'), table_name='visits')
    op.drop_index(op.f('ix_visits_household_id'), table_name='visits')
    op.drop_table('visits')
    op.drop_index(op.f('ix_reports_status'), table_name='reports')
    op.drop_index(op.f('ix_reports_reporter_user_id'), table_name='reports')
    op.drop_index(op.f('ix_reports_normalized_address'), table_name='reports')
    op.drop_index(op.f('ix_reports_external_user_id'), table_name='reports')
    op.drop_index(op.f('ix_reports_dong_id'), table_name='reports')
    op.drop_index(op.f('ix_reports_dedup_key'), table_name='reports')
    op.drop_index(op.f('ix_reports_created_at'), table_name='reports')
    op.drop_geospatial_index('idx_reports_geom', table_name='reports', postgresql_using='gist', column_name='geom')
    op.drop_geospatial_table('reports')
    op.drop_table('user_tracts')
    op.drop_table('user_dongs')
    op.drop_index(op.f('ix_permission_events_user_id'), table_name='permission_events')
    op.drop_table('permission_events')
    op.drop_index(op.f('ix_households_tract_id'), table_name='households')
    op.drop_index(op.f('ix_households_rrn_lookup_hash'), table_name='households')
    op.drop_index(op.f('ix_households_risk_level'), table_name='households')
    op.drop_index('ix_households_open_needs', table_name='households', postgresql_using='gin')
    op.drop_index(op.f('ix_households_next_visit_due'), table_name='households')
    op.drop_index('ix_households_dong_risk', table_name='households')
    op.drop_index(op.f('ix_households_dong_id'), table_name='households')
    op.drop_geospatial_index('idx_households_geom', table_name='households', postgresql_using='gist', column_name='geom')
    op.drop_geospatial_table('households')
    op.drop_index(op.f('ix_auth_sessions_user_id'), table_name='auth_sessions')
    op.drop_table('auth_sessions')
    op.drop_table('users')
    op.drop_index(op.f('ix_tracts_dong_id'), table_name='tracts')
    op.drop_geospatial_index('idx_tracts_geom', table_name='tracts', postgresql_using='gist', column_name='geom')
    op.drop_geospatial_table('tracts')
    op.drop_index('ix_facilities_needs_served', table_name='facilities', postgresql_using='gin')
    op.drop_index('ix_facilities_name_trgm', table_name='facilities', postgresql_using='gin', postgresql_ops={'name': 'gin_trgm_ops'})
    op.drop_index(op.f('ix_facilities_dong_id'), table_name='facilities')
    op.drop_index(op.f('ix_facilities_category'), table_name='facilities')
    op.drop_geospatial_index('idx_facilities_geom', table_name='facilities', postgresql_using='gist', column_name='geom')
    op.drop_geospatial_table('facilities')
    op.drop_index(op.f('ix_dongs_district_id'), table_name='dongs')
    op.drop_geospatial_index('idx_dongs_geom', table_name='dongs', postgresql_using='gist', column_name='geom')
    op.drop_geospatial_table('dongs')
    op.drop_geospatial_index('idx_districts_geom', table_name='districts', postgresql_using='gist', column_name='geom')
    op.drop_geospatial_table('districts')
    op.drop_index(op.f('ix_access_records_user_id'), table_name='access_records')
    op.drop_index(op.f('ix_access_records_at'), table_name='access_records')
    op.drop_table('access_records')
