"""The house rules of docs/ARCHITECTURE.md that import-linter's layers contract does not state.

- No import cycle anywhere in the package, between packages or inside one.
- No private name (``_x``) imported from another module.
- No module of the library imports Streamlit except those of ``sefreq.ui``.
"""

from __future__ import annotations

import ast
from pathlib import Path

import grimp
import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "sefreq"


@pytest.fixture(scope="module")
def graph():
    return grimp.build_graph("sefreq", include_external_packages=True)


def _cycles(graph) -> list[set[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    modules = sorted(m for m in graph.modules if m.startswith("sefreq"))
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[set[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for target in graph.find_modules_directly_imported_by(module):
            if not target.startswith("sefreq"):
                continue
            if target not in index:
                visit(target)
                low[module] = min(low[module], low[target])
            elif target in on_stack:
                low[module] = min(low[module], index[target])
        if low[module] == index[module]:
            component = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.add(member)
                if member == module:
                    break
            if len(component) > 1:
                found.append(component)

    for module in modules:
        if module not in index:
            visit(module)
    return found


def test_no_import_cycle(graph):
    assert _cycles(graph) == []


def test_cycle_finder_sees_a_cycle():
    class TwoModules:
        modules = frozenset({"sefreq.a", "sefreq.b"})

        @staticmethod
        def find_modules_directly_imported_by(module):
            return {"sefreq.a": {"sefreq.b"}, "sefreq.b": {"sefreq.a"}}[module]

    assert _cycles(TwoModules()) == [{"sefreq.a", "sefreq.b"}]


def _private_imports() -> list[str]:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("sefreq"):
                for alias in node.names:
                    if alias.name.startswith("_") and not alias.name.startswith("__"):
                        found.append(f"{path.relative_to(PACKAGE)}: {node.module}.{alias.name}")
    return found


def test_no_private_name_crosses_modules():
    assert _private_imports() == []


def test_only_the_ui_imports_streamlit(graph):
    importers = graph.find_modules_that_directly_import("streamlit")
    outside = sorted(m for m in importers if not m.startswith("sefreq.ui"))
    assert outside == []
