"""The phone app's shell (issue 16): the web app manifest and the hand-written service worker are served from the
origin's root, the worker keeps every file the map page loads (so the page opens without a signal) and never an
/api/ answer."""
import json
import re
from pathlib import Path

from app.middleware import UI_PAGES

MAP_UI = Path(__file__).resolve().parent.parent / "map_ui"


def _shell() -> list[str]:
    text = (MAP_UI / "sw.js").read_text()
    block = re.search(r"const SHELL = \[(.*?)\];", text, re.S).group(1)
    return re.findall(r"'([^']+)'", block)


def test_service_worker_served_from_the_root_and_revalidated(client):
    r = client.get("/sw.js")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/javascript")
    assert r.headers["cache-control"] == "no-cache"
    assert "Content-Security-Policy" in r.headers


def test_manifest_names_the_app_in_korean_with_its_icons(client):
    r = client.get("/manifest.webmanifest")
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/manifest+json")
    manifest = json.loads(r.content)
    assert manifest["lang"] == "ko" and manifest["short_name"] == "행복-맵" and manifest["scope"] == "/"
    for icon in manifest["icons"]:
        got = client.get(icon["src"])
        assert got.status_code == 200 and got.headers["content-type"] == "image/png"
        assert got.content[:8] == b"\x89PNG\r\n\x1a\n"


def test_service_worker_keeps_every_file_of_the_map_page_and_no_api_answer(client):
    shell = _shell()
    index = next(p for p in UI_PAGES if p.name == "index.html").read_text()
    loaded = set(re.findall(r'<link rel="(?:modulepreload|stylesheet|manifest)" href="([^"]+)"', index))
    loaded |= set(re.findall(r'<script type="module" src="([^"]+)"', index))
    imports = json.loads(re.search(r'<script type="importmap">(.*?)</script>', index, re.S).group(1))["imports"]
    loaded |= set(imports.values())
    assert loaded - set(shell) == set(), "the service worker would miss these offline"
    assert not [url for url in shell if url.startswith("/api/")]
    for url in shell:
        assert client.get(url).status_code == 200, url
    source = (MAP_UI / "sw.js").read_text()
    assert "pathname.startsWith('/api/')" in source  # the fetch handler leaves /api/ alone
