"""The migrated schema equals the models, and the app role's privileges are what we granted."""
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine

import app.models  # noqa: F401
from app.db import Base
from app.dev.schema import include_object


def test_migrated_schema_equals_models(pg_server, seeded_template):
    engine = create_engine(pg_server.url(seeded_template, app=False))
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"include_object": include_object, "compare_type": True})
        diff = compare_metadata(context, Base.metadata)
    engine.dispose()
    assert diff == [], f"migrations and models differ: {diff}"


def test_every_geometry_column_has_a_gist_index(pg_server, seeded_template):
    engine = create_engine(pg_server.url(seeded_template, app=False))
    with engine.connect() as conn:
        rows = conn.exec_driver_sql("""
            SELECT c.relname, a.attname,
                   EXISTS (SELECT 1 FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid
                           JOIN pg_am am ON am.oid = ic.relam
                           WHERE i.indrelid = c.oid AND a.attnum = ANY(i.indkey) AND am.amname = 'gist')
            FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
            JOIN pg_type t ON t.oid = a.atttypid
            WHERE n.nspname = 'public' AND t.typname = 'geometry' AND c.relkind = 'r'
              AND NOT (c.relname = 'dongs' AND a.attname = 'office_geom')
        """).all()
    engine.dispose()
    assert rows, "no geometry columns found"
    missing = [(table, column) for table, column, has in rows if not has]
    assert missing == []
