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

alembic upgrade head

if [ "${LOAD_DEMO_SEED:-0}" = "1" ]; then
  # The seed writes as the database owner, like the migrations.
  DATABASE_URL="${MIGRATION_DATABASE_URL:-${DATABASE_URL:-}}" python -m seed
fi

exec "$@"
