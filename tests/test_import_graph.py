"""The import graph: every package imports alone, data flows one way, no import circle.

A circle between modules (as `rules/` had: `rules.evaluate` imported the rule modules that
imported it back) may only break when the modules are imported in some order, e.g. a rule
module first in a fresh interpreter. (1) imports each package (and, in the slow run, each
module) alone in its own interpreter; (2) and (3) read the imports of every module with
`ast`, without importing anything, so they see a circle or a backward import on any path.
docs/internals.md states the stage order.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

#: The stages in data-flow order: a module may import its own stage and earlier ones only.
#: `alerts` reads what `report` composes (docs/internals.md); `flows` and `herstel` wire
#: everything and may import all; `sample_data` (the generator) imports no stage and no
#: stage imports it.
STAGES = ("parsers", "warehouse", "metrics", "rules", "report", "alerts")
WIRING = ("flows", "herstel")
STANDALONE = ("sample_data",)
PACKAGES = (*STAGES, *WIRING, *STANDALONE)


def _module_files() -> dict[str, Path]:
    """Dotted module name -> file, for every module of the project's packages."""
    mods: dict[str, Path] = {}
    for pkg in PACKAGES:
        for path in sorted((REPO / pkg).rglob("*.py")):
            parts = list(path.relative_to(REPO).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            mods[".".join(parts)] = path
    return mods


MODULES = _module_files()


def _resolve(name: str) -> str | None:
    """The project module that `import name` loads last (`a.b.func` -> `a.b`), if any."""
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(module: str, path: Path) -> set[str]:
    """Project modules `module` imports, at module level or inside a function (a circle
    hidden in a function is still a circle); imports under `if TYPE_CHECKING:` never run
    and are left out."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    skip = {
        id(inner)
        for node in ast.walk(tree)
        if isinstance(node, ast.If) and _is_type_checking(node)
        for stmt in node.body
        for inner in ast.walk(stmt)
    }
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: from .x import y
                anchor = package[: len(package) - (node.level - 1)]
                base = ".".join([*anchor, *([node.module] if node.module else [])])
            names = [f"{base}.{alias.name}" for alias in node.names]
        else:
            continue
        found.update(r for r in map(_resolve, names) if r is not None)
    found.discard(module)
    return found


GRAPH = {module: _imports(module, path) for module, path in MODULES.items()}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every back edge a depth-first walk finds, as the path that closes the circle."""
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    path: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                found.append([*path[path.index(nxt) :], nxt])
            elif nxt not in state:
                visit(nxt)
        path.pop()
        state[node] = 2

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10 * len(graph)))
    for node in sorted(graph):
        if node not in state:
            visit(node)
    return found


def test_cycle_finder_finds_the_old_rules_circle():
    """The checker itself: the shape `rules/` had before the registry (evaluate imports the
    rule modules at its end, each imports evaluate; labs also imports training)."""
    old = {
        "rules.evaluate": {"rules.catalogue", "rules.labs", "rules.training"},
        "rules.training": {"rules.evaluate", "rules.catalogue"},
        "rules.labs": {"rules.evaluate", "rules.training"},
        "rules.catalogue": set(),
    }
    assert _cycles(old) == [
        ["rules.evaluate", "rules.labs", "rules.evaluate"],
        ["rules.evaluate", "rules.labs", "rules.training", "rules.evaluate"],
    ]  # evaluate -> training -> evaluate is the same back edge, reported once
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": set()}) == []


def test_relative_and_from_imports_resolve():
    """`from rules import all` is the module `rules.all`; `from rules.registry import rule`
    is `rules.registry`; the graph is not empty by mistake."""
    assert "rules.registry" in GRAPH["rules.basics"]
    assert {"rules.basics", "rules.training", "rules.combined"} <= GRAPH["rules.all"]
    assert len(MODULES) > 100


def test_no_import_cycle():
    cycles = _cycles(GRAPH)
    assert cycles == [], "import circles:\n" + "\n".join(" -> ".join(c) for c in cycles)


def test_rule_modules_import_only_the_registry():
    """No rule module imports another rule module or the evaluator: only `rules.all` lists
    them, and `rules.evaluate` imports `rules.all`."""
    rule_modules = {m for m in GRAPH["rules.all"] if m.startswith("rules.")}
    assert len(rule_modules) >= 6
    for module in sorted(rule_modules):
        bad = GRAPH[module] & (rule_modules | {"rules.evaluate", "rules.all"})
        assert not bad, f"{module} imports {sorted(bad)}"
    assert not GRAPH["rules.registry"] & (rule_modules | {"rules.evaluate", "rules.all"})


def test_stages_import_no_later_stage():
    """parsers -> warehouse -> metrics -> rules -> report -> alerts; flows and herstel may
    import all; nothing but flows and herstel imports sample_data, which imports no stage."""
    order = {name: i for i, name in enumerate(STAGES)}
    wrong = []
    for module, targets in sorted(GRAPH.items()):
        src = module.split(".")[0]
        for target in sorted(targets):
            dst = target.split(".")[0]
            if src == dst or src in WIRING:
                continue
            if src in order and dst in order and order[dst] > order[src]:
                wrong.append(f"{module} -> {target} (a later stage)")
            elif dst in WIRING:
                wrong.append(f"{module} -> {target} (only flows/herstel wire the stages)")
            elif src in STANDALONE or dst in STANDALONE:
                wrong.append(f"{module} -> {target} (sample_data stands alone)")
    assert wrong == [], "\n".join(wrong)


def _import_alone(module: str) -> None:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]),
    }
    done = subprocess.run(
        [sys.executable, "-c", f"import {module}"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, f"import {module} alone failed:\n{done.stderr[-2000:]}"


@pytest.mark.parametrize("package", PACKAGES)
def test_each_package_imports_alone(package):
    _import_alone(package)


#: Each module alone: ~120 interpreters (~50 s on one core), so the slow run only, except
#: `rules/` where the circle was (the first thing a circle there would break).
_ENTRY_SCRIPTS = {m for m in MODULES if m.endswith(".__main__")}  # run, not imported


@pytest.mark.parametrize(
    "module",
    [
        m if m.startswith("rules.") else pytest.param(m, marks=pytest.mark.slow)
        for m in sorted(set(MODULES) - _ENTRY_SCRIPTS - set(PACKAGES))
    ],
)
def test_each_module_imports_alone(module):
    _import_alone(module)
