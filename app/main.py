"""The application: routers, error handlers, the static map page and /healthz."""
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from pydantic import ValidationError
from sqlalchemy import text
from starlette.middleware.gzip import DEFAULT_EXCLUDED_CONTENT_TYPES

from app.admin.router import router as admin_router
from app.apidocs import install_docs
from app.auth.router import router as auth_router
from app.config import get_settings
from app.db import get_engine
from app.discovery.router import router as discovery_router
from app.errors import install_error_handlers
from app.exports.router import router as exports_router
from app.exports.xlsx import XLSX_MEDIA_TYPE
from app.facilities.router import router as facilities_router
from app.households.router import router as households_router
from app.imports.router import router as imports_router
from app.integrations.kakao import router as kakao_router
from app.integrations.open311 import router as open311_router
from app.middleware import (
    AccessGuardMiddleware,
    BodyLimitMiddleware,
    FastGZipMiddleware,
    RetryOnceMiddleware,
    SecurityHeadersMiddleware,
)
from app.openapi import install_openapi
from app.printing.router import router as printing_router
from app.registry.router import router as registry_router
from app.reports.router import router as reports_router
from app.rounds.router import router as rounds_router
from app.stats.router import router as stats_router
from app.tiles.router import router as tiles_router
from app.tracts.router import router as tracts_router
from app.ui_config import public_router as vocabulary_router
from app.ui_config import router as ui_config_router
from app.visits.router import router as visits_router

API_ROUTERS = (auth_router, tracts_router, households_router, visits_router, facilities_router, reports_router,
               stats_router, exports_router, printing_router, ui_config_router, tiles_router, admin_router,
               rounds_router, imports_router, discovery_router, registry_router)
PUBLIC_INTEGRATIONS = (kakao_router, open311_router)  # authenticated by their own keys, not by a user
PUBLIC_ROUTERS = (vocabulary_router,)  # no personal data

ROOT = Path(__file__).resolve().parent.parent
MAP_UI = ROOT / "map_ui"


def _settings_or_exit() -> None:
    """Read the settings once at start: unsafe production settings stop the server with their reasons."""
    try:
        get_settings()
    except ValidationError as exc:
        raise SystemExit("\n".join(str(e["msg"]).removeprefix("Value error, ") for e in exc.errors())) from None


def create_app() -> FastAPI:
    """Build the app; every /api/v1 route passes the permission gate of its CurrentUser dependency."""
    _settings_or_exit()
    app = FastAPI(title="행복-맵 API", version="1.0", description="복지사각지대 위기가구 지도 API",
                  docs_url=None, redoc_url=None, openapi_url=None)  # gated copies: app/apidocs.py
    install_error_handlers(app)
    # Outermost last: headers on every answer, then the body limit, then one more run for a transaction that
    # lost a race (its body replayed), then the access-record guarantee.
    # No CORS middleware: cross-origin browser reads stay refused (same-origin UI only).
    app.add_middleware(AccessGuardMiddleware)
    app.add_middleware(RetryOnceMiddleware)
    app.add_middleware(BodyLimitMiddleware)
    app.add_middleware(SecurityHeadersMiddleware)
    # GeoJSON layers and CSV exports compress to about a tenth. ISA-L level 1: a 2,000-point layer (350 kB) takes
    # 0.2 ms and becomes as small as zlib level 3 made it in 1.2 ms (measured); exports run to 25 MB, so bodies up
    # to 1 MB compress inline rather than paying a worker-thread hop. XLSX is a zip already; tiles compress themselves.
    app.add_middleware(FastGZipMiddleware, minimum_size=2048, compresslevel=1, thread_minimum_size=1024 * 1024,
                       exclude_content_types=(*DEFAULT_EXCLUDED_CONTENT_TYPES, XLSX_MEDIA_TYPE))
    install_openapi(app)
    install_docs(app)
    for router in (*API_ROUTERS, *PUBLIC_INTEGRATIONS, *PUBLIC_ROUTERS):
        app.include_router(router)

    @app.get("/healthz", tags=["health"])
    def healthz():
        """Liveness and database reachability."""
        try:
            with get_engine().connect() as conn:
                conn.execute(text("SELECT 1"))
        except Exception:
            return JSONResponse({"status": "degraded", "database": "unavailable"}, status_code=503)
        return {"status": "ok", "database": "ok"}

    _mount_ui(app)
    return app


def _mount_ui(app: FastAPI) -> None:
    """Serve map_ui/ at / and the npm-installed Leaflet from /vendor (no CDN)."""
    vendor = MAP_UI / "node_modules"
    if vendor.exists():
        app.mount("/vendor", StaticFiles(directory=vendor), name="vendor")
    if (MAP_UI / "static").exists():
        app.mount("/static", StaticFiles(directory=MAP_UI / "static"), name="static")
    index = MAP_UI / "index.html"

    @app.get("/", include_in_schema=False)
    @app.get("/stats", include_in_schema=False)
    def map_page():
        """The map and, at /stats, its statistics view: one page, so the in-memory sign-in carries between them."""
        return FileResponse(index) if index.exists() else JSONResponse({"detail": "map_ui가 없습니다."}, 404)

    report_page = MAP_UI / "report.html"

    @app.get("/report", include_in_schema=False)
    def report_form():
        """The mobile blind-spot report form for 통장 and partners."""
        if report_page.exists():
            return FileResponse(report_page)
        return JSONResponse({"detail": "신고 화면이 없습니다."}, 404)

    worker = MAP_UI / "sw.js"

    @app.get("/sw.js", include_in_schema=False)
    def service_worker():
        """The service worker, from the origin's root so its scope is the whole app; it keeps only the app's own
        files (never an /api/ answer). Always revalidated, so a new deploy replaces it."""
        if not worker.exists():
            return JSONResponse({"detail": "서비스 워커가 없습니다."}, 404)
        return FileResponse(worker, media_type="text/javascript", headers={"Cache-Control": "no-cache"})

    manifest = MAP_UI / "manifest.webmanifest"

    @app.get("/manifest.webmanifest", include_in_schema=False)
    def web_app_manifest():
        """The web app manifest: the map installs on a phone's home screen."""
        if not manifest.exists():
            return JSONResponse({"detail": "앱 정보가 없습니다."}, 404)
        return FileResponse(manifest, media_type="application/manifest+json")

    admin_page = MAP_UI / "admin.html"

    @app.get("/admin", include_in_schema=False)
    def administration():
        """Accounts, permission history and the access-record review (admins and district staff)."""
        if admin_page.exists():
            return FileResponse(admin_page)
        return JSONResponse({"detail": "관리 화면이 없습니다."}, 404)

    imports_page = MAP_UI / "imports.html"

    @app.get("/imports", include_in_schema=False)
    def imports_screen():
        """Lists in (가구 명단, 발굴 대상자 명단, 주민등록 변동 자료), the placement queue, the registry changes inbox
        and the 발굴 rounds (staff)."""
        if imports_page.exists():
            return FileResponse(imports_page)
        return JSONResponse({"detail": "가져오기 화면이 없습니다."}, 404)


app = create_app()
