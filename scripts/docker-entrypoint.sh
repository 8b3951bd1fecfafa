#!/bin/sh
# Container start: wait for the database, migrate, optionally load the demo seed, then run the command (uvicorn).
set -eu

python - <<'PY'
import sys
import time

from sqlalchemy import create_engine, exc, text

from app.config import get_settings

engine = create_engine(get_settings().migration_url)
for attempt in range(60):
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        break
    except exc.OperationalError:
        if attempt == 0:
            print("waiting for the database ...", flush=True)
        time.sleep(2)
else:
    sys.exit("the database did not answer within 120 s")
PY

# The app's own login role (least privilege): created from DATABASE_URL's user and password when the
# owner's MIGRATION_DATABASE_URL differs, before the migrations grant it its rights.
python - <<'PY'
from sqlalchemy import make_url

from app.config import get_settings
from app.dev.pgcluster import prepare_database

settings = get_settings()
app_url, owner_url = make_url(settings.database_url), make_url(settings.migration_url)
if app_url.username != owner_url.username:
    admin = owner_url.set(drivername="postgresql", database="postgres").render_as_string(hide_password=False)
    prepare_database(admin, owner_url.database, app_url.username, app_password=app_url.password)
PY

alembic upgrade head

if [ "${LOAD_DEMO_SEED:-0}" = "1" ]; then
  # The seed writes as the database owner, like the migrations.
  DATABASE_URL="${MIGRATION_DATABASE_URL:-${DATABASE_URL:-}}" python -m seed
fi

exec "$@"
