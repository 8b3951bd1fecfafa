"""permission history is append-only for the app role

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 03:00:00
"""
import sqlalchemy as sa
from alembic import op

from app.config import get_settings

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

APP_ROLE = get_settings().app_db_role


def _app_role_exists() -> bool:
    return bool(op.get_bind().execute(sa.text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": APP_ROLE}).scalar())


def upgrade() -> None:
    # Grants and revokes of permissions are kept as history: like the access records, the app may only add rows.
    if _app_role_exists():
        op.execute(f"REVOKE UPDATE, DELETE, TRUNCATE ON permission_events FROM {APP_ROLE}")


def downgrade() -> None:
    if _app_role_exists():
        op.execute(f"GRANT UPDATE, DELETE ON permission_events TO {APP_ROLE}")
