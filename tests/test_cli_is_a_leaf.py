"""The command line is a leaf: no module of the package imports the CLI modules."""

from __future__ import annotations

import ast
from pathlib import Path

import workbench

CLI_MODULES = {"workbench.cli", "workbench.commands", "workbench.cli_analysis"}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            out.add(node.module)
            out |= {f"{node.module}.{a.name}" for a in node.names}
    return out


def test_no_package_module_imports_the_cli():
    root = Path(workbench.__file__).parent
    offenders = {}
    for path in sorted(root.rglob("*.py")):
        name = ".".join(path.relative_to(root.parent).with_suffix("").parts)
        if name in CLI_MODULES:
            continue
        hits = _imports(path) & CLI_MODULES
        if hits:
            offenders[name] = sorted(hits)
    assert offenders == {}


def test_cli_modules_import_only_downwards():
    """cli -> commands -> cli_analysis, never back (the old circle)."""
    root = Path(workbench.__file__).parent
    assert "workbench.cli" not in _imports(root / "commands.py")
    assert not _imports(root / "cli_analysis.py") & {"workbench.cli", "workbench.commands"}
