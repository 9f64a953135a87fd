"""No import cycle in python/tkiseq: the graph is built from the source with ``ast``.

Module-level imports (run when a module is imported) and imports inside functions (run when
the function is called) are kept apart. A cycle of module-level imports, between modules or
between the packages below ``tkiseq`` (``tkiseq.expression`` -> ``tkiseq.response`` -> back),
fails; so does an import inside a function whose only effect is to hide such a cycle (the
imported module already reaches the importing one). Imports under ``if TYPE_CHECKING:`` never
run and are left out.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1] / "python"


@dataclass(frozen=True)
class Import:
    source: str  # the importing module, "tkiseq.expression.de"
    target: str  # the imported module (a package's __init__ is the package name)
    line: int
    at_module_level: bool


def modules() -> dict[str, Path]:
    """Dotted name -> file of every module of the package."""
    out = {}
    for path in sorted((ROOT / "tkiseq").rglob("*.py")):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


def _targets(node: ast.Import | ast.ImportFrom, source: str, known: dict[str, Path]) -> list[str]:
    """The tkiseq modules an import statement runs; ``from pkg import name`` names the
    submodule when ``name`` is one, else the package."""
    if isinstance(node, ast.Import):
        return [a.name for a in node.names if a.name.split(".")[0] == "tkiseq"]
    base = node.module or ""
    if node.level:
        package = source.split(".")
        if known[source].name != "__init__.py":
            package.pop()
        package = package[: len(package) - node.level + 1]
        base = ".".join([*package, base] if base else package)
    if base.split(".")[0] != "tkiseq":
        return []
    return [f"{base}.{a.name}" if f"{base}.{a.name}" in known else base for a in node.names]


def _is_type_checking(node: ast.If) -> bool:
    return "TYPE_CHECKING" in ast.unparse(node.test)


def _walk(
    body: Iterable[ast.stmt], source: str, known: dict[str, Path], module_level: bool
) -> Iterable[Import]:
    for node in body:
        if isinstance(node, ast.Import | ast.ImportFrom):
            for target in _targets(node, source, known):
                yield Import(source, target, node.lineno, module_level)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            yield from _walk(node.body, source, known, False)
        elif isinstance(node, ast.If) and _is_type_checking(node):
            yield from _walk(node.orelse, source, known, module_level)
        else:  # class bodies, if/try/with/for blocks run with their enclosing scope
            for name in ("body", "orelse", "finalbody", "handlers"):
                block = getattr(node, name, None)
                if isinstance(block, list):
                    yield from _walk(block, source, known, module_level)


def imports() -> list[Import]:
    known = modules()
    out = []
    for name, path in known.items():
        tree = ast.parse(path.read_text(), filename=str(path))
        out += [i for i in _walk(tree.body, name, known, True) if i.target != name]
    return out


def package(module: str) -> str:
    """``tkiseq.expression.de`` -> ``tkiseq.expression``; top-level modules stand alone."""
    return ".".join(module.split(".")[:2])


Graph = dict[str, set[str]]


def graph(edges: Iterable[tuple[str, str]]) -> Graph:
    out: Graph = {}
    for a, b in edges:
        if a != b:
            out.setdefault(a, set()).add(b)
            out.setdefault(b, set())
    return out


def reaches(g: Graph, start: str, goal: str) -> list[str] | None:
    """A path start -> ... -> goal in ``g``, or None."""
    seen = {start}
    paths = [[start]]
    while paths:
        path = paths.pop()
        for nxt in sorted(g.get(path[-1], ())):
            if nxt == goal:
                return [*path, nxt]
            if nxt not in seen:
                seen.add(nxt)
                paths.append([*path, nxt])
    return None


def cycles(g: Graph) -> list[list[str]]:
    """One cycle through each node that lies on one, each cycle reported once."""
    found: list[list[str]] = []
    covered: set[str] = set()
    for node in sorted(g):
        if node in covered:
            continue
        loop = next((p for b in sorted(g[node]) if (p := reaches(g, b, node))), None)
        if loop:
            found.append([node, *loop])
            covered.update(loop)
    return found


def _show(path: list[str]) -> str:
    return " -> ".join(p.removeprefix("tkiseq.") or "tkiseq" for p in path)


@pytest.fixture(scope="module")
def found() -> list[Import]:
    return imports()


def test_the_graph_sees_each_form_of_import() -> None:
    """Absolute, relative and ``from pkg import module`` forms resolve; imports in functions and
    under TYPE_CHECKING are told apart."""
    source = """
from typing import TYPE_CHECKING
import tkiseq.errors
from tkiseq.simulate import catalog
from . import figures
from .associations import Data
if TYPE_CHECKING:
    from tkiseq.runner import RunConfig
def later():
    from tkiseq.stages import STAGES
"""
    known = modules()
    found = {
        (i.target, i.at_module_level)
        for i in _walk(ast.parse(source).body, "tkiseq.stats.stage", known, True)
    }
    assert found == {
        ("tkiseq.errors", True),
        ("tkiseq.simulate.catalog", True),
        ("tkiseq.stats.figures", True),
        ("tkiseq.stats.associations", True),
        ("tkiseq.stages", False),
    }


def test_graph_helpers_find_a_cycle() -> None:
    g = graph([("a", "b"), ("b", "c"), ("c", "a"), ("c", "d")])
    assert cycles(g) == [["a", "b", "c", "a"]]
    assert cycles(graph([("a", "b"), ("b", "c")])) == []


def test_no_cycle_of_module_level_imports(found: list[Import]) -> None:
    g = graph((i.source, i.target) for i in found if i.at_module_level)
    assert not [_show(c) for c in cycles(g)]


def test_no_cycle_between_packages(found: list[Import]) -> None:
    """Packages form layers: a stage's package never imports one that imports it back."""
    g = graph((package(i.source), package(i.target)) for i in found if i.at_module_level)
    assert not [_show(c) for c in cycles(g)]


def test_no_import_inside_a_function_hides_a_cycle(found: list[Import]) -> None:
    """An import moved into a function to break a cycle still couples both ways: move what
    both sides need into a module both import instead."""
    top = [i for i in found if i.at_module_level]
    modules_g = graph((i.source, i.target) for i in top)
    packages_g = graph((package(i.source), package(i.target)) for i in top)
    hidden = []
    for i in found:
        if i.at_module_level:
            continue
        back = reaches(modules_g, i.target, i.source)
        if back is None and package(i.source) != package(i.target):
            back = reaches(packages_g, package(i.target), package(i.source))
        if back:
            hidden.append(f"{_show([i.source])}:{i.line} imports {_show(back)}")
    assert not hidden


def test_the_registry_is_a_leaf(found: list[Import]) -> None:
    """stages.py describes every stage and each stage may read it, so it imports none."""
    assert not [i.target for i in found if i.source == "tkiseq.stages" and i.at_module_level]
