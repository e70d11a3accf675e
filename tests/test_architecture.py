"""The package's floor plan: stages in data-flow order, no import circle, the CLI a leaf.

Stages, earliest first (a module may import its own stage, an earlier stage and the
foundation, never a later stage):

``sample`` (writes raw exports) → ``ingest`` → ``identity`` → ``prepare`` → ``journeys``
→ ``analysis`` → ``attribution`` → ``spark`` → ``export`` → ``plots`` → ``notebook`` → ``report`` → ``cli``.

The foundation (top-level modules: schema, errors, paths, config, ...) imports only the
foundation. Every import counts, including the ones inside functions: a deferred import
is still a dependency. The few deliberate exceptions are listed in ``ALLOWED`` with their
reason; the list may only shrink.
"""

from __future__ import annotations

import ast
from pathlib import Path

import workbench

ROOT = Path(workbench.__file__).parent
STAGES = (
    "sample",
    "ingest",
    "identity",
    "prepare",
    "journeys",
    "analysis",
    "attribution",
    "spark",
    "export",
    "plots",
    "notebook",
    "report",
    "cli",
)
# (importer, imported): why the foundation reaches into a stage.
ALLOWED: dict[tuple[str, str], str] = {
    ("workbench.config_sections", "workbench.attribution.settings"): (
        "[attribution] keys are the registry's model names and options (one place: the registry)"
    ),
    ("workbench.config", "workbench.attribution.calibration"): (
        "[[experiments]] rows are checked by the calibration's own reader"
    ),
}


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(p): p for p in sorted(ROOT.rglob("*.py"))}


def _imports(path: Path) -> set[str]:
    """Workbench modules imported anywhere in ``path`` (resolved to module names)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            out.add(node.module)
            out |= {
                f"{node.module}.{a.name}"
                for a in node.names
                if f"{node.module}.{a.name}" in MODULES
            }
    return {name for name in out if name in MODULES}


def _stage(module: str) -> int:
    """-1 for the foundation, else the stage's position."""
    parts = module.split(".")
    if len(parts) < 2 or parts[1] not in STAGES:
        return -1
    return STAGES.index(parts[1])


def test_every_subpackage_and_top_level_module_is_placed():
    """A new top-level package must be given a stage here (or be plain data)."""
    packages = {p.name for p in ROOT.iterdir() if (p / "__init__.py").exists()}
    assert packages <= set(STAGES)


def test_no_module_imports_a_later_stage():
    offenders = {}
    for name, path in MODULES.items():
        own = _stage(name)
        later = sorted(
            dep
            for dep in _imports(path)
            if _stage(dep) > own and (name, dep) not in ALLOWED and dep != "workbench"
        )
        if later:
            offenders[name] = later
    assert offenders == {}


def test_allowed_exceptions_are_still_needed():
    for importer, imported in ALLOWED:
        assert imported in _imports(MODULES[importer]), (importer, imported)


def test_no_import_circle_at_import_time():
    """Module-level imports (those that run on import) form no cycle."""
    graph = {}
    for name, path in MODULES.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        deps = set()
        for node in tree.body:
            if isinstance(node, ast.Import):
                deps |= {a.name for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module:
                deps.add(node.module)
                deps |= {f"{node.module}.{a.name}" for a in node.names}
        graph[name] = {
            d for d in deps if d in MODULES and d != name and not name.startswith(d + ".")
        }
    state: dict[str, int] = {}
    cycles = []

    def visit(node: str, trail: list[str]) -> None:
        state[node] = 1
        for dep in sorted(graph[node]):
            if state.get(dep) == 1:
                cycles.append([*trail[trail.index(dep) :], dep] if dep in trail else [node, dep])
            elif dep not in state:
                visit(dep, [*trail, dep])
        state[node] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])
    assert cycles == []


def test_no_package_module_imports_the_cli():
    offenders = {
        name: sorted(dep for dep in _imports(path) if dep.startswith("workbench.cli"))
        for name, path in MODULES.items()
        if not name.startswith("workbench.cli")
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_cli_modules_import_only_downwards():
    """main -> commands -> analysis, never back (the old circle)."""
    assert "workbench.cli.main" not in _imports(MODULES["workbench.cli.commands"])
    assert not _imports(MODULES["workbench.cli.analysis"]) & {
        "workbench.cli.main",
        "workbench.cli.commands",
    }


def test_tests_mirror_the_package():
    """Every test folder names a package folder (tests/attribution ↔ workbench/attribution)."""
    tests = Path(__file__).parent
    folders = {
        p.parent.relative_to(tests)
        for p in tests.rglob("test_*.py")
        if p.parent != tests and "data" not in p.parts
    }
    assert all((ROOT / folder).is_dir() for folder in folders), folders
