"""/openapi.json, /docs and /redoc: open in local and test runs, for signed-in admins everywhere else."""
import base64
import hashlib
import re
from typing import Annotated

from fastapi import Depends, FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse

from app.auth.deps import current_principal, oauth2_scheme
from app.config import get_settings
from app.deps import SessionDep
from app.policy.principal import Principal

OPEN_DOCS_ENVIRONMENTS = ("local", "test")
# Served from map_ui/node_modules when installed (no CDN at run time).
SWAGGER_JS = "/vendor/swagger-ui-dist/swagger-ui-bundle.js"
SWAGGER_CSS = "/vendor/swagger-ui-dist/swagger-ui.css"


def docs_principal(request: Request, session: SessionDep,
                   token: Annotated[str | None, Depends(oauth2_scheme)]) -> Principal | None:
    """Nobody needs to sign in for the docs of a local or test run; elsewhere only an admin may read them."""
    if get_settings().environment in OPEN_DOCS_ENVIRONMENTS:
        return None
    return current_principal(request, session, token)


DocsUser = Annotated[Principal | None, Depends(docs_principal)]


def _with_script_hashes(response: HTMLResponse) -> HTMLResponse:
    """Allow exactly the page's own inline scripts by hash (the rest of the CSP stays strict)."""
    html = response.body.decode()
    hashes = " ".join(
        "'sha256-" + base64.b64encode(hashlib.sha256(s.encode()).digest()).decode() + "'"
        for s in re.findall(r"<script>(.*?)</script>", html, flags=re.S)
    )
    response.headers["Content-Security-Policy"] = (
        f"default-src 'self'; script-src 'self' {hashes}; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; worker-src 'self' blob:; connect-src 'self'; object-src 'none'; "
        "base-uri 'none'; frame-ancestors 'none'")
    return response


def install_docs(app: FastAPI) -> None:
    """Add the gated documentation routes (the app is built with FastAPI's own docs turned off)."""

    @app.get("/openapi.json", include_in_schema=False)
    def openapi_document(principal: DocsUser):
        return JSONResponse(app.openapi())

    @app.get("/docs", include_in_schema=False)
    def swagger_ui(principal: DocsUser):
        return _with_script_hashes(get_swagger_ui_html(
            openapi_url="/openapi.json", title=f"{app.title} - Swagger UI", swagger_js_url=SWAGGER_JS,
            swagger_css_url=SWAGGER_CSS, swagger_favicon_url="/static/favicon.png"))

    @app.get("/redoc", include_in_schema=False)
    def redoc(principal: DocsUser):
        """One offline documentation page is enough: ReDoc's npm package needs React, Swagger UI does not."""
        return RedirectResponse("/docs", status_code=307)
