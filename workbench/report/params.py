"""Notebook parameters: read the ``parameters`` cell and validate values against it.

Every report notebook has exactly one code cell tagged ``parameters`` (the tag
Papermill looks for). Each line of that cell declares one parameter::

    segment: str = "all"  # segment name from [segments] in workbench.toml
    window_days: int = 90  # look-back window in days
    channels: list[str] = []  # channels to keep; empty keeps all
    end_date: str | None = None  # last day (YYYY-MM-DD); None = latest data

The cell is parsed with :mod:`ast`, never executed. Supported types are
``str``, ``int``, ``float``, ``bool``, ``list[str]``, ``list[int]``,
``list[float]`` and any of the scalar types ``| None``. Dates are written as
``str`` (ISO ``YYYY-MM-DD``).

:func:`validate_parameters` turns values from the command line or a schedule
file (strings such as ``"30"``, ``"true"`` or ``"smb,enterprise"``) into the
declared types and reports every unknown name and ill-typed value at once.
"""

from __future__ import annotations

import ast
import copy
import datetime as _dt
import difflib
import io
import math
import stat
import tokenize
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from workbench.errors import ValidationError
from workbench.report._nbformat import nbformat

__all__ = [
    "PARAMETERS_TAG",
    "SUPPORTED_TYPES",
    "Param",
    "check_values",
    "coerce_value",
    "find_parameters_cell",
    "parse_parameters_source",
    "read_parameters",
    "validate_parameters",
]

#: The cell tag Papermill (and this module) uses to find the parameters cell.
PARAMETERS_TAG = "parameters"

_SCALARS = ("str", "int", "float", "bool")
_LISTS = ("list[str]", "list[int]", "list[float]")
#: Every type annotation a parameter may use.
SUPPORTED_TYPES: tuple[str, ...] = (
    *_SCALARS,
    *_LISTS,
    *(f"{t} | None" for t in _SCALARS),
    *(f"{t} | None" for t in _LISTS),
)
_EXPECTED = {
    "str": "a string",
    "int": "a whole number, e.g. 30",
    "float": "a number, e.g. 0.5",
    "bool": "true or false",
}
_TRUE = {"true", "yes", "on", "1"}
_FALSE = {"false", "no", "off", "0"}
_NONE = {"", "none", "null"}


@dataclass(frozen=True)
class Param:
    """One declared notebook parameter.

    Attributes
    ----------
    name
        The variable name.
    type
        The normalized annotation, one of :data:`SUPPORTED_TYPES`.
    default
        The default value (a Python literal).
    help
        The trailing ``# comment`` of the declaration, without the ``#``.
    """

    name: str
    type: str
    default: Any
    help: str = ""


def find_parameters_cell(nb: nbformat.NotebookNode, where: str = "notebook") -> int:
    """Return the index of the one code cell tagged ``parameters``.

    Raises
    ------
    ValidationError
        When there is no such cell or more than one.
    """
    hits = [
        i
        for i, cell in enumerate(nb.cells)
        if cell.cell_type == "code" and PARAMETERS_TAG in cell.get("metadata", {}).get("tags", [])
    ]
    if not hits:
        raise ValidationError(
            f"{where}: no code cell is tagged {PARAMETERS_TAG!r}; every report notebook needs "
            "exactly one (in JupyterLab: select the cell, open the property inspector, add the tag)"
        )
    if len(hits) > 1:
        raise ValidationError(
            f"{where}: {len(hits)} cells are tagged {PARAMETERS_TAG!r} (cells "
            + ", ".join(str(i + 1) for i in hits)
            + "); exactly one is allowed"
        )
    return hits[0]


def read_parameters(notebook_path: str | Path) -> list[Param]:
    """Read the declared parameters of a notebook, in declaration order, without running it.

    Parameters
    ----------
    notebook_path
        An ``.ipynb`` file.

    Raises
    ------
    ValidationError
        When the file is missing or unreadable, has no (or several) ``parameters``
        cells, or a declaration in that cell is malformed.
    """
    path = Path(notebook_path)
    try:
        st = path.stat()
    except OSError:
        st = None
    if st is None or not stat.S_ISREG(st.st_mode):
        raise ValidationError(f"notebook {str(path)!r} does not exist")
    key = (str(path), st.st_ino, st.st_mtime_ns, st.st_size)
    if key in _READ:
        return copy.deepcopy(_READ[key])  # a default may be a list: each caller its own
    try:
        nb = nbformat.read(path, as_version=4)
    except Exception as exc:  # noqa: BLE001 - any read failure is a bad notebook file
        raise ValidationError(f"{path}: not a readable notebook ({exc})") from None
    index = find_parameters_cell(nb, str(path))
    params = parse_parameters_source(nb.cells[index].source, where=f"{path} (cell {index + 1})")
    if len(_READ) >= _READ_MAX:
        _READ.clear()
    _READ[key] = copy.deepcopy(params)
    return params


#: Parameters already read, by notebook path, inode, modification time and size: a run reads
#: each notebook's parameters for every job (a schedule expands one notebook into many
#: jobs) and again to validate them; parsing a notebook with nbformat takes ~20 ms.
_READ: dict[tuple[str, int, int, int], list[Param]] = {}
_READ_MAX = 256


def parse_parameters_source(source: str, where: str = "parameters cell") -> list[Param]:
    """Parse the text of a parameters cell into :class:`Param` objects.

    Each top-level statement must be ``name: type = literal``; every malformed
    line is reported together in one :class:`ValidationError`.
    """
    try:
        tree = ast.parse(source)
    except SyntaxError as exc:
        raise ValidationError(f"{where}: not valid Python (line {exc.lineno}: {exc.msg})") from None
    comments = _comments_by_line(source)
    problems: list[str] = []
    params: list[Param] = []
    seen: set[str] = set()
    for stmt in tree.body:
        line = stmt.lineno
        text = ast.get_source_segment(source, stmt) or ""
        if not (isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name)):
            problems.append(
                f"{where}, line {line}: {text!r} is not a parameter declaration; "
                "write `name: type = default  # help`"
            )
            continue
        name = stmt.target.id
        type_name = _normalize_type(stmt.annotation)
        if type_name not in SUPPORTED_TYPES:
            problems.append(
                f"{where}, line {line}: parameter {name!r} has unsupported type "
                f"{ast.unparse(stmt.annotation)!r}; supported: " + ", ".join(SUPPORTED_TYPES)
            )
            continue
        if stmt.value is None:
            problems.append(f"{where}, line {line}: parameter {name!r} has no default value")
            continue
        try:
            default = ast.literal_eval(stmt.value)
        except (ValueError, SyntaxError, TypeError):
            problems.append(
                f"{where}, line {line}: the default of {name!r} must be a literal "
                f"(number, string, list, True/False/None), got {ast.unparse(stmt.value)!r}"
            )
            continue
        ok, _, why = _coerce(default, type_name, strict=True)
        if not ok:
            problems.append(
                f"{where}, line {line}: the default {default!r} of {name!r} is not {why}"
            )
            continue
        if name in seen:
            problems.append(f"{where}, line {line}: parameter {name!r} is declared twice")
            continue
        seen.add(name)
        end = stmt.end_lineno or line
        help_text = next((comments[n] for n in range(end, line - 1, -1) if n in comments), "")
        params.append(Param(name=name, type=type_name, default=default, help=help_text))
    if problems:
        raise ValidationError(problems)
    return params


def validate_parameters(notebook_path: str | Path, given: Mapping[str, Any]) -> dict[str, Any]:
    """Check values against a notebook's declared parameters and convert them.

    Parameters
    ----------
    notebook_path
        The ``.ipynb`` whose ``parameters`` cell declares the names and types.
    given
        Values to pass, typically strings from the command line (``"30"``,
        ``"true"``, ``"a,b"``) or typed values from a TOML schedule.

    Returns
    -------
    dict
        The given names (in the notebook's declaration order) with values
        converted to the declared types. Names not given keep the notebook's
        defaults and are not included.

    Raises
    ------
    ValidationError
        Listing every unknown name (with a suggestion and the allowed names) and
        every value that cannot be converted (name, value, expected type).
    """
    path = Path(notebook_path)
    return check_values(read_parameters(path), given, where=path.name)


def check_values(
    params: list[Param], given: Mapping[str, Any], where: str = "notebook"
) -> dict[str, Any]:
    """Like :func:`validate_parameters` for already-read parameters (no file access)."""
    by_name = {p.name: p for p in params}
    allowed = ", ".join(by_name) or "(none declared)"
    problems: list[str] = []
    out: dict[str, Any] = {}
    for name in given:
        if name not in by_name:
            hint = difflib.get_close_matches(str(name), list(by_name), n=1)
            did = f" (did you mean {hint[0]!r}?)" if hint else ""
            problems.append(
                f"{where}: unknown parameter {name!r}{did}; allowed parameters: {allowed}"
            )
    for p in params:
        if p.name not in given:
            continue
        ok, value, why = _coerce(given[p.name], p.type, strict=False)
        if ok:
            out[p.name] = value
        else:
            problems.append(
                f"{where}: parameter {p.name} = {given[p.name]!r} is not {why} "
                f"(declared type {p.type})"
            )
    if problems:
        raise ValidationError(problems)
    return out


def coerce_value(value: Any, type_name: str) -> Any:
    """Convert one value (string or typed) to ``type_name``; raise ValueError if impossible."""
    if type_name not in SUPPORTED_TYPES:
        raise ValueError(f"unsupported parameter type {type_name!r}")
    ok, out, why = _coerce(value, type_name, strict=False)
    if not ok:
        raise ValueError(f"{value!r} is not {why}")
    return out


def _comments_by_line(source: str) -> dict[int, str]:
    comments: dict[int, str] = {}
    try:
        for tok in tokenize.generate_tokens(io.StringIO(source).readline):
            if tok.type == tokenize.COMMENT:
                comments[tok.start[0]] = tok.string.lstrip("#").strip()
    except (tokenize.TokenError, IndentationError):
        pass
    return comments


def _normalize_type(node: ast.expr) -> str:
    """Spell an annotation canonically: ``Optional[int]`` and ``None | int`` become ``int | None``."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        text = node.value
        try:
            node = ast.parse(text, mode="eval").body
        except SyntaxError:
            return text
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        left, right = _normalize_type(node.left), _normalize_type(node.right)
        if right == "None" and left != "None":
            return f"{left} | None"
        if left == "None" and right != "None":
            return f"{right} | None"
        return f"{left} | {right}"
    if (
        isinstance(node, ast.Subscript)
        and isinstance(node.value, ast.Name)
        and node.value.id in {"Optional", "List"}
    ):
        inner = _normalize_type(node.slice)
        return f"{inner} | None" if node.value.id == "Optional" else f"list[{inner}]"
    if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name):
        return f"{node.value.id}[{_normalize_type(node.slice)}]"
    if isinstance(node, ast.Constant) and node.value is None:
        return "None"
    return ast.unparse(node)


def _coerce(value: Any, type_name: str, *, strict: bool) -> tuple[bool, Any, str]:
    """Return ``(ok, converted, expected-description)``.

    ``strict`` (for notebook defaults) accepts only values already of the type;
    otherwise strings are parsed too.
    """
    if type_name.endswith(" | None"):
        base = type_name.removesuffix(" | None")
        if value is None or (
            not strict and isinstance(value, str) and value.strip().lower() in _NONE
        ):
            return True, None, ""
        ok, out, why = _coerce(value, base, strict=strict)
        return ok, out, f"{why} or None"
    if type_name.startswith("list["):
        item_type = type_name[5:-1]
        what = f"a list of {item_type} values"
        if not strict and isinstance(value, str):
            items: Any = [s.strip() for s in value.split(",") if s.strip()]
            what += " (comma-separated)"
        elif isinstance(value, list | tuple):
            items = list(value)
        else:
            return False, None, what
        out = []
        for item in items:
            ok, converted, _ = _coerce(item, item_type, strict=strict)
            if not ok:
                return False, None, what
            out.append(converted)
        return True, out, what
    return _coerce_scalar(value, type_name, strict=strict)


def _coerce_scalar(value: Any, type_name: str, *, strict: bool) -> tuple[bool, Any, str]:
    why = _EXPECTED[type_name]
    if type_name == "str":
        if isinstance(value, str):
            return True, value, why
        if not strict and isinstance(value, _dt.date | _dt.datetime | _dt.time):
            return True, value.isoformat(), why  # TOML dates
        return False, None, why
    if type_name == "bool":
        if isinstance(value, bool):
            return True, value, why
        if not strict and isinstance(value, str):
            text = value.strip().lower()
            if text in _TRUE:
                return True, True, why
            if text in _FALSE:
                return True, False, why
        return False, None, why
    if isinstance(value, bool):
        return False, None, why
    if type_name == "int":
        if isinstance(value, int):
            return True, value, why
        if not strict and isinstance(value, str):
            try:
                return True, int(value.strip()), why
            except ValueError:
                return False, None, why
        return False, None, why
    # float
    if isinstance(value, int | float):
        return True, float(value), why
    if not strict and isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            return False, None, why
        return (True, number, why) if math.isfinite(number) else (False, None, why)
    return False, None, why
