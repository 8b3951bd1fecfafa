"""HTTP hygiene: security headers, no-store, the body-size limit, closed CORS, gated API docs, empty 404s."""
import base64
import hashlib
import json
import re
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.config import get_settings
from app.households.models import Household
from app.middleware import content_security_policy, tile_origin


@pytest.fixture
def settings_env(monkeypatch):
    """Set HAPPYMAP_* variables for one test; the settings are re-read before and after. `production`
    brings the secrets production refuses to start without, and no demo password."""
    def _set(**values):
        if values.get("environment") == "production":
            values = {**PRODUCTION_SECRETS, **values}
            monkeypatch.delenv("HAPPYMAP_DEMO_PASSWORD", raising=False)
        for key, value in values.items():
            monkeypatch.setenv(f"HAPPYMAP_{key.upper()}", str(value))
        get_settings.cache_clear()

    yield _set
    monkeypatch.undo()
    get_settings.cache_clear()


PRODUCTION_SECRETS = {"kakao_skill_key": "k" * 40, "open311_api_keys": '["' + "o" * 40 + '"]',
                      "rrn_key_b64": base64.b64encode(bytes(32)).decode(),
                      "rrn_hash_key_b64": base64.b64encode(bytes(range(32))).decode()}


def _csp_directives(value: str) -> dict[str, list[str]]:
    return {part.split()[0]: part.split()[1:] for part in (p.strip() for p in value.split(";")) if part}


def _import_map_hash() -> str:
    """The one inline script the policy allows: the map page's import map, by the hash of its exact text."""
    page = (Path(__file__).resolve().parent.parent / "map_ui" / "index.html").read_text(encoding="utf-8")
    (block,) = re.findall(r'<script type="importmap">(.*?)</script>', page, re.S)
    return "'sha256-" + base64.b64encode(hashlib.sha256(block.encode()).digest()).decode() + "'"


SCRIPT_SOURCES = ["'self'", _import_map_hash()]


def test_security_headers_on_every_kind_of_answer(client, as_user):
    headers = as_user("dong01")
    answers = [client.get("/"), client.get("/healthz"), client.get("/api/v1/auth/me", headers=headers),
               client.get("/api/v1/households/2147483000", headers=headers), client.get("/api/v1/households"),
               client.get("/static/app/main.js"), client.get("/no-such-page")]
    for response in answers:
        h = response.headers
        csp = _csp_directives(h["content-security-policy"])
        assert csp["default-src"] == ["'self'"] and csp["frame-ancestors"] == ["'none'"]
        assert csp["script-src"] == SCRIPT_SOURCES and csp["object-src"] == ["'none'"]
        assert "'unsafe-inline'" not in h["content-security-policy"]
        assert "'unsafe-eval'" not in h["content-security-policy"]
        assert h["x-content-type-options"] == "nosniff" and h["x-frame-options"] == "DENY"
        assert h["referrer-policy"] == "no-referrer"
        assert "strict-transport-security" not in h  # only in production (served over HTTPS)


def test_no_store_on_everything_under_api_v1(client, as_user):
    headers = as_user("dong01")
    household = client.get("/api/v1/households?limit=1", headers=headers).json()["items"][0]["id"]
    for method, path, kwargs in [
        ("GET", "/api/v1/households?limit=1", {"headers": headers}),
        ("GET", f"/api/v1/households/{household}", {"headers": headers}),
        ("GET", "/api/v1/layers/households", {"headers": headers}),
        ("GET", "/api/v1/dongs", {"headers": headers}),
        ("GET", "/api/v1/stats", {"headers": headers}),
        ("GET", "/api/v1/households", {}),  # 401
        ("GET", "/api/v1/households/2147483000", {"headers": headers}),  # 404
        ("POST", "/api/v1/households", {"headers": headers, "json": {}}),  # 422
        ("POST", "/api/v1/auth/token", {"data": {"username": "dong01", "password": "x" * 12}}),
    ]:
        response = client.request(method, path, **kwargs)
        assert response.headers["cache-control"] == "no-store", (path, response.status_code)
        assert response.headers["pragma"] == "no-cache"


def test_tile_host_is_the_only_outside_image_source(settings_env):
    assert "img-src 'self' data:;" in content_security_policy()
    settings_env(tile_url="https://{s}.tile.openstreetmap.org/{z}/{x}/{y}.png")
    img = _csp_directives(content_security_policy())["img-src"]
    assert img == ["'self'", "data:", "https://*.tile.openstreetmap.org"]
    assert _csp_directives(content_security_policy())["script-src"] == SCRIPT_SOURCES
    assert tile_origin("javascript:alert(1)") is None and tile_origin("https://a.{s}.example.org/{z}") is None
    assert tile_origin("http://tiles.example.go.kr:8080/{z}/{x}/{y}.png") == "http://tiles.example.go.kr:8080"


def test_hsts_in_production(client, settings_env):
    settings_env(environment="production")
    assert client.get("/healthz").headers["strict-transport-security"].startswith("max-age=")


def _household_count(session) -> int:
    return session.execute(select(func.count()).select_from(Household)).scalar_one()


def test_body_over_the_limit_is_413_with_a_korean_message(client, as_user, session, settings_env):
    headers = as_user("dong01")
    settings_env(max_body_bytes=2000)
    before = _household_count(session)
    body = {"head_name": "김철수", "address": "가" * 1000, "lon": 126.95, "lat": 37.57, "notes": "x" * 3000}
    declared = client.post("/api/v1/households", headers=headers, json=body)
    assert declared.status_code == 413
    assert "너무 큽니다" in declared.json()["detail"] and "2,000" in declared.json()["detail"]

    def chunks():  # no Content-Length: the limit counts what arrives
        raw = json.dumps(body).encode()
        for i in range(0, len(raw), 500):
            yield raw[i:i + 500]

    chunked = client.post("/api/v1/households", headers={**headers, "Content-Type": "application/json"},
                          content=chunks())
    assert "content-length" not in chunked.request.headers
    assert chunked.status_code == 413 and "너무 큽니다" in chunked.json()["detail"]
    form = client.post("/api/v1/auth/token", data={"username": "dong01", "password": "p" * 3000})
    assert form.status_code == 413
    assert _household_count(session) == before
    small = client.post("/api/v1/households", headers=headers, json={**body, "address": "서대문구 1", "notes": ""})
    assert small.status_code != 413


def test_cors_is_closed(client, as_user):
    evil = "https://evil.example"
    preflight = client.options("/api/v1/households", headers={
        "Origin": evil, "Access-Control-Request-Method": "GET", "Access-Control-Request-Headers": "authorization"})
    assert "access-control-allow-origin" not in preflight.headers
    read = client.get("/api/v1/households?limit=1", headers={**as_user("dong01"), "Origin": evil})
    assert read.status_code == 200 and "access-control-allow-origin" not in read.headers
    assert "access-control-allow-credentials" not in read.headers


def test_docs_are_open_in_local_and_test_runs(client):
    schema = client.get("/openapi.json")
    assert schema.status_code == 200 and "/api/v1/households" in schema.json()["paths"]
    docs = client.get("/docs")
    assert docs.status_code == 200 and "swagger" in docs.text.lower()
    assert "cdn.jsdelivr" not in docs.text and "unpkg" not in docs.text  # nothing from the internet
    assert "'unsafe-inline'" not in _csp_directives(docs.headers["content-security-policy"])["script-src"]
    assert client.get("/redoc").status_code == 200  # redirects to the one offline page
    # The page's script and style come from the npm install, so the docs work without internet.
    for asset in ("/vendor/swagger-ui-dist/swagger-ui-bundle.js", "/vendor/swagger-ui-dist/swagger-ui.css"):
        assert client.get(asset).status_code == 200, asset


def test_docs_only_for_signed_in_admins_in_production(client, as_user, settings_env):
    admin, staff = as_user("admin"), as_user("district")  # signed in before the switch
    settings_env(environment="production")
    for path in ("/openapi.json", "/docs", "/redoc"):
        assert client.get(path).status_code == 401, path
        assert client.get(path, headers=staff).status_code == 403, path
        assert client.get(path, headers=admin).status_code == 200, path
    assert "paths" in client.get("/openapi.json", headers=admin).json()


def test_an_unknown_api_path_is_an_empty_404_but_pages_keep_their_json(client, as_user):
    api = client.get("/api/v1/nothing-here", headers=as_user("dong01"))
    assert api.status_code == 404 and api.content == b""
    page = client.get("/nothing-here")
    assert page.status_code == 404 and page.json()["detail"] == "찾을 수 없습니다."


def test_large_layers_are_compressed(client, as_user):
    layer = client.get("/api/v1/layers/households", headers={**as_user("admin"), "Accept-Encoding": "gzip"})
    assert layer.status_code == 200 and layer.headers["content-encoding"] == "gzip"
    assert len(layer.json()["features"]) == 10_497


def test_ui_config_has_no_tiles_by_default(client, as_user):
    body = client.get("/api/v1/ui-config", headers=as_user("dong01")).json()
    assert body == {"tile_url": None, "tile_attribution": "", "today": str(get_settings().today())}
