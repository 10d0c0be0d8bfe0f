"""The house rules of fluxweb/, checked from the source: apps import only apps below them,
no module imports itself back through others, and no file grows past 400 lines.

Imports are read with ``ast`` (function-local ones too), so a rule cannot be dodged by
importing inside a function. Migrations are generated code and left out.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "fluxweb"

# Lowest first: an app may import the apps before it, never one after it.
LAYERS = [
    "core",
    "queue",
    "providers",
    "providerstatus",
    "budgets",
    "accounts",
    "team",
    "generations",
    "usage",
    "gallery",
    "api",
    "ops",
]
MAX_LINES = 400


def _modules() -> dict[str, Path]:
    """Dotted module name → file, for every module of fluxweb/ but migrations."""
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


MODULES = _modules()


def _imports(name: str, path: Path) -> set[str]:
    """The fluxweb modules that module ``name`` imports (relative imports resolved)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    targets: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            candidates = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            # "from pkg import mod" imports the module pkg.mod when there is one.
            candidates = [base] + [f"{base}.{alias.name}" for alias in node.names]
        else:
            continue
        targets.update(c for c in candidates if c in MODULES)
    targets.discard(name)
    return targets


GRAPH = {name: _imports(name, path) for name, path in MODULES.items()}


def _app(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 2 or (len(parts) == 2 and parts[1] in LAYERS) else None


def test_every_app_has_a_layer():
    apps = {path.parent.name for path in PACKAGE.glob("*/apps.py")}
    assert apps <= set(LAYERS), f"place these apps in LAYERS: {sorted(apps - set(LAYERS))}"


def test_apps_import_only_apps_below_them():
    upward = []
    for module, targets in GRAPH.items():
        source = _app(module)
        if source not in LAYERS:
            continue  # settings, urls, asgi: the top of the house
        for target in targets:
            app = _app(target)
            if app in LAYERS and LAYERS.index(app) > LAYERS.index(source):
                upward.append(f"{module} imports {target} ({source} is below {app})")
    assert not upward, "\n".join(upward)


def test_no_import_circles():
    # Tarjan's strongly connected components: any component of more than one module is a circle.
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    circles: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in GRAPH[node]:
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                circles.append(sorted(component))

    for module in GRAPH:
        if module not in index:
            visit(module)
    assert not circles, f"modules that import each other: {circles}"


@pytest.mark.parametrize("path", sorted(MODULES.values()), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_file_is_over_400_lines(path):
    lines = len(path.read_text().splitlines())
    assert lines <= MAX_LINES, f"{path.relative_to(ROOT)} has {lines} lines"
