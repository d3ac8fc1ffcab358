"""The shape of the code is checked, not hoped for: layers point one way and no imports go in circles.

Layers, from the outside in: `bot.app` and `bot.__main__` (the process), `bot.cogs` (Discord in and
out), `bot.services` (live state, actions across storage and rules), `bot.db` (storage), `bot.core`
(rules). A module may import its own layer and the layers inside it, never one outside. Imports under
`if TYPE_CHECKING:` count too: they are how a cycle hides.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "bot"

# Outermost first; a module may import layers at its own index or later.
LAYERS = ("bot.app", "bot.cogs", "bot.services", "bot.db", "bot.core")
# Shared leaves every layer may use (no imports of the project's own beyond these).
SHARED = ("bot.errors", "bot.settings", "bot.log", "bot")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def project_modules() -> dict[str, Path]:
    return {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def imported_modules(path: Path, known: set[str]) -> Iterator[str]:
    """Every project module `path` imports, at any depth of the file (functions included)."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            targets = [f"{base}.{alias.name}" for alias in node.names] + [base]
        else:
            continue
        for target in targets:
            # The longest known module the target names (a `from x import name` names x.name or x).
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target and target != name:
                yield target


def import_graph() -> dict[str, set[str]]:
    modules = project_modules()
    known = set(modules)
    return {name: set(imported_modules(path, known)) for name, path in modules.items()}


def layer_of(module: str) -> int | None:
    if module in ("bot.__main__", "bot.cli"):
        return 0
    for index, prefix in enumerate(LAYERS):
        if module == prefix or module.startswith(prefix + "."):
            return index
    return None


def import_cycles() -> list[list[str]]:
    """Groups of modules that import each other, directly or round a longer circle."""
    graph = import_graph()
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(node: str) -> None:  # Tarjan's strongly connected components
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph[node]:
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
                cycles.append(sorted(component))

    for node in graph:
        if node not in index:
            visit(node)
    return cycles


def outward_imports() -> list[str]:
    """Imports from an inner layer to an outer one (core importing db, a service importing a cog...)."""
    wrong = []
    for module, targets in import_graph().items():
        layer = layer_of(module)
        if layer is None:
            continue
        for target in targets:
            target_layer = layer_of(target)
            if target_layer is not None and target_layer < layer:
                wrong.append(f"{module} imports {target}")
    return wrong


def test_the_import_graph_has_no_cycle() -> None:
    assert import_cycles() == []


def test_layers_only_import_inwards() -> None:
    assert outward_imports() == []


def test_no_cog_imports_the_bot_class() -> None:
    graph = import_graph()
    offenders = [m for m, targets in graph.items() if m.startswith("bot.cogs") and "bot.app" in targets]
    assert offenders == []


@pytest.mark.parametrize("shared", SHARED[:-1])
def test_shared_leaves_import_no_layer(shared: str) -> None:
    """`bot.errors`, `bot.settings` and `bot.log` sit under every layer, so they may use none."""
    targets = import_graph().get(shared, set())
    assert [t for t in targets if layer_of(t) is not None] == []


def test_the_checker_sees_a_planted_cycle() -> None:
    """The cycle finder itself works: two modules that import each other are reported."""
    first, second = PACKAGE / "core" / "_cycle_probe_a.py", PACKAGE / "core" / "_cycle_probe_b.py"
    first.write_text("from bot.core import _cycle_probe_b\n")
    second.write_text("from bot.core import _cycle_probe_a\n")
    try:
        assert ["bot.core._cycle_probe_a", "bot.core._cycle_probe_b"] in import_cycles()
    finally:
        first.unlink()
        second.unlink()


def test_the_checker_sees_a_planted_outward_import() -> None:
    """A core module importing a cog is reported (the layer rule itself works)."""
    probe = PACKAGE / "core" / "_layer_probe.py"
    probe.write_text("from bot.cogs import _context\n")
    try:
        assert "bot.core._layer_probe imports bot.cogs._context" in outward_imports()
    finally:
        probe.unlink()
