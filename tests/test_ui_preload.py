"""Each page names every module its entry point imports (statically, at any depth) as a modulepreload link,
so the browser fetches them all at once instead of one import level after another (measured: about 300 ms
less from navigation to a working sign-in form, bench/bench_map_scale.py --browser)."""
import json
import re
from pathlib import Path
from urllib.parse import urljoin

import pytest

MAP_UI = Path(__file__).resolve().parent.parent / "map_ui"
STATIC_IMPORT = re.compile(r"""^\s*(?:import|export)\b[^;'"]*?\bfrom\s*['"]([^'"]+)['"]"""  # import … from '…'
                           r"""|^\s*import\s*['"]([^'"]+)['"]""", re.M)  # import '…' (for its effects)


def served_file(url: str) -> Path | None:
    """The file behind a module URL, or None for one the server makes (the vocabulary)."""
    if url.startswith("/static/"):
        return MAP_UI / url.removeprefix("/")
    if url.startswith("/vendor/"):
        return MAP_UI / "node_modules" / url.removeprefix("/vendor/")
    return None


def static_graph(entry: str, import_map: dict[str, str]) -> set[str]:
    """Every module URL `entry` imports statically, at any depth (dynamic import() is left to load on demand)."""
    seen, todo = set(), [entry]
    while todo:
        url = todo.pop()
        if url in seen:
            continue
        seen.add(url)
        path = served_file(url)
        if path is None:
            continue
        for relative, bare in STATIC_IMPORT.findall(path.read_text(encoding="utf-8")):
            spec = relative or bare
            todo.append(import_map[spec] if spec in import_map else urljoin(url, spec))
    return seen


@pytest.mark.parametrize("page", ["index.html", "admin.html", "imports.html"])
def test_a_page_preloads_exactly_the_modules_its_entry_imports(page):
    html = (MAP_UI / page).read_text(encoding="utf-8")
    mapped = re.search(r'<script type="importmap">(.*?)</script>', html, re.S)
    import_map = json.loads(mapped.group(1))["imports"] if mapped else {}
    entry = re.search(r'<script type="module" src="([^"]+)"', html).group(1)
    preloaded = re.findall(r'<link rel="modulepreload" href="([^"]+)">', html)
    assert len(preloaded) == len(set(preloaded)), "a module is preloaded twice"
    assert set(preloaded) == static_graph(entry, import_map) - {entry}, f"{page}: modulepreload links are stale"
    if mapped:
        assert mapped.start() < html.index('rel="modulepreload"'), "the import map must come before any module"
