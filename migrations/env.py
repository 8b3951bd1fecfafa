"""Alembic environment: the URL comes from settings (or `-x url=...`), the metadata from app.models."""
from alembic import context
from geoalchemy2 import alembic_helpers
from sqlalchemy import create_engine, pool

import app.models  # noqa: F401  (fills Base.metadata)
from app.config import get_settings
from app.db import Base
from app.dev.schema import include_object

config = context.config
target_metadata = Base.metadata

def run_migrations_online() -> None:
    url = context.get_x_argument(as_dictionary=True).get("url") or config.attributes.get("url") \
        or get_settings().migration_url
    connectable = config.attributes.get("connection") or create_engine(url, poolclass=pool.NullPool)
    if hasattr(connectable, "connect"):
        with connectable.connect() as connection:
            _run(connection)
    else:
        _run(connectable)


def _run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        include_object=include_object,
        process_revision_directives=alembic_helpers.writer,
        render_item=alembic_helpers.render_item,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations_online()
