"""The package's layers, read from its source: no import cycles, no upward imports.

Plumbing tests: they check the shape of the code, not a statistic.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import cxresearch

PACKAGE = Path(cxresearch.__file__).parent
#: Lower layers never import higher ones; ``config`` and ``errors`` sit under all of them.
LAYERS = {"paths": 0, "config": 0, "errors": 0, "data": 1, "stats": 2, "reporting": 3,
          "running": 4, "cli": 5, "launch": 6}  # fmt: skip
MAX_LINES = 460  # "about 450" (issue 12)


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in PACKAGE.rglob("*.py")}


def _imports(path: Path) -> list[tuple[str, list[str]]]:
    """Every ``cxresearch`` import in a file, at any depth: (module, imported names)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(a.name, []) for a in node.names if a.name.startswith("cxresearch")]
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("cxresearch"):
            found.append((node.module, [a.name for a in node.names]))
    return found


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        for target, names in _imports(path):
            for sub in names or [None]:
                full = f"{target}.{sub}" if sub and f"{target}.{sub}" in modules else target
                if full in modules and full != name and not name.startswith(full + "."):
                    graph[name].add(full)
    return graph


def _layer(module: str) -> int | None:
    parts = module.split(".")
    return LAYERS.get(parts[1]) if len(parts) > 1 else None


def test_no_import_cycles():
    graph = _graph()
    state: dict[str, int] = {}
    cycles: list[list[str]] = []

    def visit(node: str, stack: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycles.append([*stack[stack.index(nxt) :], nxt])
            elif nxt not in state:
                visit(nxt, [*stack, nxt])
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node, [node])
    assert cycles == []


def test_lower_layers_never_import_higher_ones():
    upward = [
        (name, target)
        for name, targets in _graph().items()
        for target in targets
        if _layer(name) is not None and _layer(target) is not None and _layer(target) > _layer(name)
    ]
    assert upward == []


def test_no_private_names_across_modules():
    modules = _modules()
    leaks = [
        (name, target, sub)
        for name, path in modules.items()
        for target, names in _imports(path)
        for sub in names
        if sub.startswith("_") and not target.split(".")[-1].startswith("_")
    ]
    assert leaks == []


@pytest.mark.parametrize("path", sorted(PACKAGE.rglob("*.py")), ids=lambda p: p.name)
def test_modules_stay_small(path):
    assert len(path.read_text(encoding="utf-8").splitlines()) <= MAX_LINES
