"""nbformat is imported without jsonschema's IRI grammar, and nothing stays hidden after."""

from __future__ import annotations

import subprocess
import sys


def test_nbformat_import_skips_the_iri_grammar_and_restores_the_module() -> None:
    code = (
        "import sys\n"
        "from workbench.report._nbformat import nbformat\n"
        "assert 'rfc3987_syntax' not in sys.modules, 'the grammar was built'\n"
        "nb = nbformat.v4.new_notebook()\n"
        "nbformat.validate(nb)\n"
        "try:\n"
        "    import rfc3987_syntax\n"
        "except ModuleNotFoundError:\n"
        "    pass  # not installed: nothing to restore\n"
        "print('ok')\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, timeout=120
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"
