"""The shape of the code, read with `ast`: packages form no import cycle, the pure cores stay pure, shared
policy imports only models, and no package reaches into another's private names."""
import ast
import sys
from collections import defaultdict
from pathlib import Path

import pytest

APP = Path(__file__).resolve().parent.parent / "app"
FRAMEWORKS = ("sqlalchemy", "geoalchemy2", "fastapi", "starlette", "pydantic", "psycopg")
PURE_ALLOWED_APP = ("app.geo", "app.risk", "app.vocab")  # what geo and risk may import from the app
POLICY_ALLOWED_APP = ("app.policy", "app.config", "app.errors", "app.vocab")  # plus any app.<pkg>.models


def _module_name(path: Path) -> str:
    parts = path.relative_to(APP.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(p): p for p in sorted(APP.rglob("*.py"))}


def _imports(path: Path) -> list[tuple[str, list[str]]]:
    """(module, imported names) for every import in the file, function-level imports too."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(alias.name, []) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.module, [alias.name for alias in node.names]))
    return found


def _app_targets(module: str, names: list[str]) -> list[str]:
    """The app modules an import statement loads (`from app.x import service` loads app.x.service)."""
    if not module.startswith("app"):
        return []
    loaded = [f"{module}.{n}" for n in names if f"{module}.{n}" in MODULES]
    return loaded or ([module] if module in MODULES else [])


def node_of(module: str) -> str:
    """The package a module belongs to; a `models` module is a node of its own (the schema layer every
    package may read), so importing a model is not a dependency on the package's code."""
    parts = module.split(".")
    if len(parts) <= 2:
        return parts[-1]
    return f"{parts[1]}.models" if parts[-1] == "models" else parts[1]


def package_graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = defaultdict(set)
    for module, path in MODULES.items():
        for imported, names in _imports(path):
            for target in _app_targets(imported, names):
                a, b = node_of(module), node_of(target)
                if a != b:
                    graph[a].add(b)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one node (Tarjan)."""
    sys.setrecursionlimit(10_000)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(set(graph) | {w for ws in graph.values() for w in ws}):
        if v not in index:
            visit(v)
    return found


def test_the_cycle_finder_finds_a_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []
    assert node_of("app.households.models") == "households.models"
    assert node_of("app.households.service") == "households" and node_of("app.deps") == "deps"


def test_no_import_cycle_between_app_packages():
    assert cycles(package_graph()) == []


@pytest.mark.parametrize("package", ["geo", "risk"])
def test_pure_cores_import_no_framework_and_no_domain(package):
    offenders = []
    for module, path in MODULES.items():
        if not module.startswith(f"app.{package}"):
            continue
        for imported, _ in _imports(path):
            root = imported.split(".")[0]
            if root in FRAMEWORKS or (root == "app" and not imported.startswith(PURE_ALLOWED_APP)):
                offenders.append(f"{module} imports {imported}")
    assert offenders == []


def test_policy_imports_only_models():
    offenders = []
    for module, path in MODULES.items():
        if not module.startswith("app.policy"):
            continue
        for imported, names in _imports(path):
            for target in _app_targets(imported, names):
                if not (target.endswith(".models") or target.startswith(POLICY_ALLOWED_APP)):
                    offenders.append(f"{module} imports {target}")
    assert offenders == []


def _private_uses(module: str, path: Path) -> list[str]:
    """Private names of another package this module imports or reaches through a module alias."""
    own = node_of(module).split(".")[0]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    aliases: dict[str, str] = {}  # local name → app module of another package
    uses = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("app"):
            for alias in node.names:
                target = f"{node.module}.{alias.name}"
                if target in MODULES and node_of(target).split(".")[0] != own:
                    aliases[alias.asname or alias.name] = target
                elif alias.name.startswith("_") and node_of(node.module).split(".")[0] != own:
                    uses.append(f"{module}: from {node.module} import {alias.name}")
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name in MODULES and alias.asname and node_of(alias.name).split(".")[0] != own:
                    aliases[alias.asname] = alias.name
    for node in ast.walk(tree):
        if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in aliases
                and node.attr.startswith("_") and not node.attr.startswith("__")):
            uses.append(f"{module}: {aliases[node.value.id]}.{node.attr}")
    return uses


def test_no_package_uses_another_packages_private_names():
    uses = [use for module, path in MODULES.items() for use in _private_uses(module, path)]
    assert uses == []


def test_the_private_name_check_sees_both_forms(tmp_path):
    probe = tmp_path / "probe.py"
    probe.write_text("from app.households import service as households\n"
                     "from app.validation import _clean_text\n"
                     "households._locked(None, None, 1)\n", encoding="utf-8")
    assert sorted(_private_uses("app.visits.probe", probe)) == [
        "app.visits.probe: app.households.service._locked",
        "app.visits.probe: from app.validation import _clean_text",
    ]
