"""HTTP hygiene and the access-record guarantee, as pure ASGI middleware (no response leaves unchecked)."""
import base64
import hashlib
import json
import re
from functools import lru_cache
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import anyio
from isal import isal_zlib
from starlette.datastructures import Headers, MutableHeaders
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.gzip import GZipMiddleware, GZipResponder
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.access import context
from app.access.service import AccessLogUnavailable, record
from app.config import get_settings
from app.errors import RETRY_FLAG

UI_PAGES = tuple(Path(__file__).resolve().parent.parent / "map_ui" / page
                 for page in ("index.html", "admin.html", "imports.html"))

API_PREFIX = "/api/v1"
TOKEN_PATH = "/api/v1/auth/token"
UNGATED = "권한 확인을 거치지 않은 /api/v1 응답은 보내지 않습니다."


def is_api(path: str) -> bool:
    return path == API_PREFIX or path.startswith(API_PREFIX + "/")


def tile_origin(tile_url: str | None) -> str | None:
    """CSP source for a tile URL template: `https://{s}.tile.example.org/{z}/..` → `https://*.tile.example.org`."""
    if not tile_url:
        return None
    parts = urlsplit(tile_url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    labels = parts.netloc.split(".")
    labels = ["*" if "{" in label else label for label in labels]
    if "*" in labels[1:] or any(re.search(r"[^A-Za-z0-9.*:\-\[\]]", label) for label in labels):
        return None  # CSP only allows a wildcard as the leftmost label
    return f"{parts.scheme}://{'.'.join(labels)}"


@lru_cache
def import_map_sources() -> str:
    """CSP hash sources of the map page's import maps (bare npm module names → their /vendor files): the only
    inline scripts the pages have, allowed by their exact content and nothing else inline."""
    hashes = []
    for page in UI_PAGES:
        if page.exists():
            for block in re.findall(r'<script type="importmap">(.*?)</script>', page.read_text(encoding="utf-8"), re.S):
                digest = base64.b64encode(hashlib.sha256(block.encode()).digest()).decode()
                hashes.append(f"'sha256-{digest}'")
    return " ".join(hashes)


def content_security_policy() -> str:
    """Same-origin everything, no inline script but the import map, no framing; base-map tiles only from the
    configured host."""
    img = "'self' data:"
    origin = tile_origin(get_settings().tile_url)
    if origin:
        img += f" {origin}"
    scripts = " ".join(filter(None, ["'self'", import_map_sources()]))
    return (f"default-src 'self'; script-src {scripts}; style-src 'self'; "
            f"img-src {img}; connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
            "form-action 'self'; frame-ancestors 'none'")


class SecurityHeadersMiddleware:
    """Security headers on every answer; `Cache-Control: no-store` on everything under /api/v1."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        settings = get_settings()
        csp = content_security_policy()
        api = is_api(scope["path"])

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                own = headers.get("content-security-policy")
                if own is None:
                    headers["Content-Security-Policy"] = csp
                elif "frame-ancestors" not in own:  # a route's own policy (e.g. a sandboxed export) still
                    headers["Content-Security-Policy"] = own.rstrip("; ") + "; frame-ancestors 'none'"
                headers["X-Content-Type-Options"] = "nosniff"
                headers["X-Frame-Options"] = "DENY"
                headers["Referrer-Policy"] = "no-referrer"
                headers["Permissions-Policy"] = "camera=(), microphone=(), payment=(), usb=(), geolocation=(self)"
                headers["Cross-Origin-Opener-Policy"] = "same-origin"
                headers["Cross-Origin-Resource-Policy"] = "same-origin"
                if settings.environment == "production":
                    headers["Strict-Transport-Security"] = "max-age=63072000; includeSubDomains"
                if api and "cache-control" not in headers:  # a route that may be cached says so itself
                    headers["Cache-Control"] = "no-store"
                    headers["Pragma"] = "no-cache"
            await send(message)

        await self.app(scope, receive, send_with_headers)


class BodyTooLarge(StarletteHTTPException):
    """Raised from `receive` so FastAPI passes it through its body parsing unchanged."""

    def __init__(self, limit: int):
        super().__init__(413, f"요청 본문이 너무 큽니다 (최대 {limit:,}바이트).")


IMPORT_UPLOAD_PATH = "/api/v1/imports"
MULTIPART_SLACK = 64 * 1024  # the form's boundaries and other fields around an import file


def body_limit(path: str) -> int:
    """An imported list may be as large as settings.import_max_bytes; every other body settings.max_body_bytes."""
    settings = get_settings()
    if path == IMPORT_UPLOAD_PATH:
        return settings.import_max_bytes + MULTIPART_SLACK
    return settings.max_body_bytes


class BodyLimitMiddleware:
    """413 for bodies over their limit (`body_limit`), whether announced by Content-Length or sent chunked."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = body_limit(scope["path"])
        declared = dict(scope.get("headers") or ()).get(b"content-length")
        if declared is not None and declared.strip().isdigit() and int(declared) > limit:
            await self._refuse(scope, receive, send, BodyTooLarge(limit))
            return
        received = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except BodyTooLarge as exc:
            if started:
                raise
            await self._refuse(scope, receive, send, exc)

    @staticmethod
    async def _refuse(scope: Scope, receive: Receive, send: Send, exc: BodyTooLarge) -> None:
        response = JSONResponse({"detail": exc.detail}, status_code=413, headers={"Connection": "close"})
        await response(scope, receive, send)


class RetryOnceMiddleware:
    """A request whose transaction lost a race (serialization failure, deadlock) runs once more: PostgreSQL
    rolled it back, so nothing of the first run was committed, and the caller sees one answer. The body is
    read first so that it can be replayed; BodyLimitMiddleware, outside this one, bounds it."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        messages = []
        while True:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request" or not message.get("more_body"):
                break
        if not await self._attempt(dict(scope), messages, receive, send, may_retry=True):
            await self._attempt(dict(scope), messages, receive, send, may_retry=False)

    async def _attempt(self, scope: Scope, messages: list[Message], receive: Receive, send: Send,
                       may_retry: bool) -> bool:
        """Run the app once on the buffered body; False when its answer was held back to run it again."""
        replay = iter(messages)
        held_back = False

        async def replayed() -> Message:
            return next(replay, None) or await receive()  # after the body: wait for a disconnect

        async def send_or_hold(message: Message) -> None:
            nonlocal held_back
            if (message["type"] == "http.response.start" and may_retry and message["status"] == 503
                    and scope.get(RETRY_FLAG)):
                held_back = True
            if not held_back:
                await send(message)

        await self.app(scope, replayed, send_or_hold)
        return not held_back


class AccessGuardMiddleware:
    """Every 2xx answer under /api/v1 passed the permission gate, and every personal-data answer has its
    access record: if the route wrote none, one is written here; if that fails, the data is not sent (503)."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        audit, token = context.begin(scope["path"])
        try:
            if not is_api(scope["path"]) or scope["path"] == TOKEN_PATH:
                await self.app(scope, receive, send)
                return
            await self._guarded(scope, receive, send, audit)
        finally:
            context.end(token)

    async def _guarded(self, scope: Scope, receive: Receive, send: Send, audit: context.RequestAudit) -> None:
        mode = "pass"
        held: Message | None = None
        chunks: list[bytes] = []

        async def guarded_send(message: Message) -> None:
            nonlocal mode, held
            if message["type"] == "http.response.start":
                status = message["status"]
                op = audit.operation
                if 200 <= status < 300 and audit.principal is None:
                    mode, held = "ungated", message
                elif 200 <= status < 300 and op is not None and op.personal and audit.records == 0:
                    # Held until the fallback record is written; a route that recorded its read streams freely.
                    mode, held = "hold", message
                else:
                    await send(message)
                return
            if mode == "pass" or message["type"] != "http.response.body":
                if held is not None and mode == "hold":  # e.g. a file sent by path: keep it ordered
                    await send(held)
                    held, mode = None, "pass"
                await send(message)
                return
            chunks.append(message.get("body", b""))
            if message.get("more_body"):
                return
            body = b"".join(chunks)
            if mode == "ungated":
                await JSONResponse({"detail": UNGATED}, status_code=403)(scope, receive, send)
                return
            if audit.records == 0 and not await anyio.to_thread.run_sync(_fallback_record, audit, scope, body):
                await JSONResponse({"detail": AccessLogUnavailable().message}, status_code=503)(scope, receive, send)
                return
            await send(held)
            await send({"type": "http.response.body", "body": body, "more_body": False})

        await self.app(scope, receive, guarded_send)


def _household_ids(op_name: str, scope: Scope, body: bytes) -> set[int]:
    """Household ids a personal-data answer touched: its path, and the ids in its JSON."""
    ids: set[int] = set()
    raw = (scope.get("path_params") or {}).get("household_id")
    if str(raw).isdigit():
        ids.add(int(raw))
    try:
        data = json.loads(body) if body[:1] in (b"{", b"[") else None
    except ValueError:
        data = None
    items = data.get("items") if isinstance(data, dict) and isinstance(data.get("items"), list) else [data]
    for item in items:
        if not isinstance(item, dict):
            continue
        for key in ("household_id",) + (("id",) if op_name.startswith("households.") else ()):
            if isinstance(item.get(key), int):
                ids.add(item[key])
    return ids


def _fallback_record(audit: context.RequestAudit, scope: Scope, body: bytes) -> bool:
    """Write the record a personal-data route did not write itself; False when that is impossible."""
    if audit.session is None or audit.principal is None or audit.operation is None:
        return False
    op = audit.operation
    purpose = parse_qs((scope.get("query_string") or b"").decode("latin-1")).get("purpose", [None])[0]
    try:
        record(audit.session, audit.principal, op.action or "read", f"{scope['method']} {scope['path']}",
               _household_ids(op.name, scope, body), purpose)
        audit.session.commit()
    except Exception:
        audit.session.rollback()
        return False
    return True


class _IsalGZipResponder(GZipResponder):
    """Starlette's gzip responder with Intel ISA-L's deflate in place of zlib's."""

    @property
    def compressor(self):
        if self._compressor is None:
            self._compressor = isal_zlib.compressobj(self.compresslevel, isal_zlib.DEFLATED, 16 + isal_zlib.MAX_WBITS)
        return self._compressor


class FastGZipMiddleware(GZipMiddleware):
    """gzip as Starlette does it, about six times faster: ISA-L level 1 makes a 2,000-point layer (350 kB) as
    small as zlib level 3 does, in a sixth of the time (bench/bench_map_scale.py). ISA-L's levels are 0–3."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and "gzip" in Headers(scope=scope).get("Accept-Encoding", ""):
            responder = _IsalGZipResponder(self.app, self.minimum_size, compresslevel=self.compresslevel,
                                           thread_minimum_size=self.thread_minimum_size,
                                           exclude_content_types=self.exclude_content_types)
            await responder(scope, receive, send)
        else:
            await super().__call__(scope, receive, send)
