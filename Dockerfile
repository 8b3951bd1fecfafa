# 행복-맵 application image: migrations run at start, then uvicorn on 0.0.0.0:8000.
# Build: docker build -t happymap .      Run with a database: see docker-compose.yml.

# Front-end packages (Leaflet) come from npm at build time; the app serves them, nothing is fetched at run time.
FROM node:20-bookworm-slim AS ui
WORKDIR /ui
COPY map_ui/package*.json ./
RUN if [ -f package-lock.json ]; then npm ci --no-audit --no-fund; else npm install --no-audit --no-fund; fi

FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# NanumGothic is embedded in the Korean PDF printouts.
RUN apt-get update \
 && apt-get install -y --no-install-recommends fonts-nanum \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
# Dependencies first (a layer that survives source edits): install with empty packages, then drop them.
COPY pyproject.toml constraints.txt ./
RUN mkdir -p app seed && touch app/__init__.py seed/__init__.py \
 && pip install -c constraints.txt . \
 && pip uninstall -y happymap \
 && rm -rf app seed build *.egg-info

COPY . .
COPY --from=ui /ui/node_modules map_ui/node_modules
# Editable, so app/, seed/, migrations/ and map_ui/ are used in place as in a checkout.
RUN pip install --no-deps -e . \
 && useradd --system --home-dir /app --shell /usr/sbin/nologin happymap \
 && mkdir -p .var/uploads \
 && chown -R happymap:happymap .var

USER happymap
ENV HAPPYMAP_ENVIRONMENT=production
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"]
ENTRYPOINT ["sh", "/app/scripts/docker-entrypoint.sh"]
# Two worker processes (WEB_CONCURRENCY); rate limits and sessions are shared through PostgreSQL.
ENV WEB_CONCURRENCY=2
CMD ["uvicorn", "app.main:app", "--host", "0.0.0.0", "--port", "8000"]
