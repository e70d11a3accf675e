"""Schedules: which notebooks to render with which parameters.

A schedule is a TOML file (e.g. ``reports.toml``) or the ``[reports]`` table of
``workbench.toml``::

    notebooks_dir = "notebooks"  # optional, relative to the schedule file

    [shared]  # given to every scheduled notebook that declares the name
    end_date = "2026-11-01"

    [journey_map]  # notebooks/journey_map.ipynb
    segment = ["all", "smb", "enterprise"]  # a list: one run per value,
    window_days = [30, 90]  # crossed with the other lists: 3 x 2 = 6 runs

    [[attribution]]  # an array of tables: several separate grids for one notebook
    model = "shapley"
    channels = [["paid_search", "email"], []]  # list-typed parameter: a list of lists = grid

    [[attribution]]
    model = ["last_touch", "first_touch"]

For a parameter declared as a list (``list[str]``), a flat list is one value
and a list of lists is a grid. Every problem (unknown notebook, unknown key,
ill-typed value, duplicated run) is reported together in one
:class:`~workbench.errors.ValidationError` before anything runs.
"""

from __future__ import annotations

import difflib
import hashlib
import itertools
import json
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from workbench.config import Config
from workbench.errors import ValidationError
from workbench.paths import notebooks_dir as project_notebooks
from workbench.report.params import Param, check_values, read_parameters

__all__ = [
    "RESERVED_KEYS",
    "SEGMENT_PARAMETERS",
    "ReportJob",
    "check_segment_values",
    "check_window_values",
    "expand_schedule",
    "job_slug",
    "load_schedule",
    "override_jobs",
]

#: Top-level schedule keys that are not notebook names.
RESERVED_KEYS = ("notebooks_dir", "shared")
_MAX_VALUE_CHARS = 40


@dataclass(frozen=True)
class ReportJob:
    """One notebook run: the notebook, its parameter values and an output name.

    ``name`` (the file stem of the HTML and executed notebook) defaults to
    :func:`job_slug` of the notebook stem and all parameters.
    """

    notebook: Path
    parameters: dict[str, Any] = field(default_factory=dict)
    name: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "notebook", Path(self.notebook))
        object.__setattr__(self, "parameters", dict(self.parameters))
        if self.name is None:
            object.__setattr__(self, "name", job_slug(self.notebook.stem, self.parameters))
        elif not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._+-]*", self.name):
            raise ValidationError(
                f"report name {self.name!r} must start with a letter or digit and contain only "
                "letters, digits and . _ + -"
            )

    @property
    def params_text(self) -> str:
        """Parameters as ``name=value`` pairs, for progress lines and logs."""
        return " ".join(f"{k}={_text(v)}" for k, v in self.parameters.items())


def job_slug(stem: str, parameters: Mapping[str, Any]) -> str:
    """A readable, stable file name: ``journey_map__segment-smb__window_days-30``."""
    parts = [_slug(stem) or "report"]
    parts += [f"{_slug(k)}-{_slug_value(v)}" for k, v in parameters.items()]
    return "__".join(parts)


def load_schedule(path: str | Path, *, notebooks_dir: str | Path | None = None) -> list[ReportJob]:
    """Read a schedule file and expand it into jobs.

    A file named ``workbench.toml`` contributes its ``[reports]`` table; any
    other file is a schedule as a whole. ``notebooks_dir`` (or the file's own
    ``notebooks_dir`` key) is resolved against the file's folder.
    """
    file = Path(path)
    if not file.is_file():
        raise ValidationError(f"schedule file {str(file)!r} does not exist")
    try:
        data = tomllib.loads(file.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ValidationError(f"{file}: not valid TOML: {exc}") from None
    if file.name == "workbench.toml":
        data = data.get("reports", {})
    return expand_schedule(
        data, notebooks_dir=notebooks_dir, base_dir=file.resolve().parent, where=str(file)
    )


def expand_schedule(
    spec: Mapping[str, Any] | Config,
    *,
    notebooks_dir: str | Path | None = None,
    base_dir: str | Path | None = None,
    where: str = "schedule",
) -> list[ReportJob]:
    """Expand a schedule (parsed TOML, or a Config's ``[reports]``) into jobs.

    Parameters
    ----------
    spec
        The schedule mapping, or a :class:`~workbench.config.Config` whose
        ``reports`` table is used.
    notebooks_dir
        Where ``<name>.ipynb`` files live. Defaults to the spec's
        ``notebooks_dir`` (relative to ``base_dir``), else ``base_dir``'s
        ``notebooks/`` if it holds notebooks, else the packaged ones
        (:func:`workbench.paths.notebooks_dir`).
    base_dir
        Folder that a relative ``notebooks_dir`` in the spec is resolved against.
    where
        Name used in error messages (the file).

    Returns
    -------
    list of ReportJob
        In file order; within one grid, the cross product in declaration order.
        Values are converted to the declared types.

    Raises
    ------
    ValidationError
        Listing every problem found in the spec.
    """
    if isinstance(spec, Config):
        if base_dir is None and spec.path is not None:
            base_dir = Path(spec.path).resolve().parent
        where = f"{spec.path or 'config'} [reports]"
        spec = spec.reports.schedule()
    problems: list[str] = []
    if not isinstance(spec, Mapping):
        raise ValidationError(f"{where}: a schedule must be a table, got {spec!r}")
    folder = _notebooks_dir(spec, notebooks_dir, base_dir, where, problems)
    shared = spec.get("shared", {})
    if not isinstance(shared, Mapping):
        problems.append(f"{where}: [shared] must be a table of parameters, got {shared!r}")
        shared = {}

    entries: list[tuple[str, Path, list[Param], list[Mapping[str, Any]]]] = []
    available = sorted(p.stem for p in folder.glob("*.ipynb")) if folder.is_dir() else []
    for key, value in spec.items():
        if key in RESERVED_KEYS:
            continue
        grids = _grids(key, value, where, problems)
        if grids is None:
            continue
        notebook = folder / f"{key}.ipynb"
        if not notebook.is_file():
            hint = difflib.get_close_matches(key, available, n=1)
            did = f" (did you mean {hint[0]!r}?)" if hint else ""
            problems.append(
                f"{where}: [{key}] names no notebook: {notebook} does not exist{did}; "
                f"notebooks in {folder}: " + (", ".join(available) or "(none)")
            )
            continue
        try:
            params = read_parameters(notebook)
        except ValidationError as exc:
            problems.extend(exc.problems)
            continue
        entries.append((key, notebook, params, grids))
    if not entries and not problems:
        problems.append(f"{where}: no notebooks are scheduled; add a [<notebook name>] table")

    declared = {p.name for _, _, params, _ in entries for p in params}
    for name in shared:
        if entries and name not in declared:
            hint = difflib.get_close_matches(str(name), sorted(declared), n=1)
            did = f" (did you mean {hint[0]!r}?)" if hint else ""
            problems.append(
                f"{where}: shared parameter {name!r} is declared by no scheduled notebook{did}; "
                "declared parameters: " + ", ".join(sorted(declared))
            )

    jobs: list[ReportJob] = []
    for key, notebook, params, grids in entries:
        jobs += _expand_notebook(key, notebook, params, grids, shared, where, problems)
    if problems:
        raise ValidationError(problems)
    return jobs


def _notebooks_dir(
    spec: Mapping[str, Any],
    explicit: str | Path | None,
    base_dir: str | Path | None,
    where: str,
    problems: list[str],
) -> Path:
    if explicit is not None:
        return Path(explicit)
    value = spec.get("notebooks_dir")
    if value is None:
        return project_notebooks(base_dir)
    if not isinstance(value, str):
        problems.append(f"{where}: notebooks_dir = {value!r}; expected a folder path string")
        return project_notebooks(base_dir)
    path = Path(value)
    if not path.is_absolute() and base_dir is not None:
        path = Path(base_dir) / path
    if not path.is_dir():
        problems.append(f"{where}: notebooks_dir = {value!r}: folder {path} does not exist")
    return path


def _grids(key: str, value: Any, where: str, problems: list[str]) -> list[Mapping[str, Any]] | None:
    if isinstance(value, Mapping):
        return [value]
    if isinstance(value, list) and value and all(isinstance(v, Mapping) for v in value):
        return list(value)
    problems.append(
        f"{where}: top-level key {key!r} = {value!r} is not a notebook table; parameters go "
        "in [shared] or in a [<notebook name>] table; other top-level keys: "
        + ", ".join(RESERVED_KEYS)
    )
    return None


def _expand_notebook(
    key: str,
    notebook: Path,
    params: list[Param],
    grids: list[Mapping[str, Any]],
    shared: Mapping[str, Any],
    where: str,
    problems: list[str],
) -> list[ReportJob]:
    by_name = {p.name: p for p in params}
    combos: list[dict[str, Any]] = []
    axes_keys: set[str] = set()
    n_problems = len(problems)
    for g, grid in enumerate(grids):
        label = f"[{key}]" if len(grids) == 1 else f"[[{key}]] #{g + 1}"
        merged = {k: v for k, v in shared.items() if k in by_name} | dict(grid)
        axes: dict[str, list[Any]] = {}
        for name, value in merged.items():
            if name not in by_name:  # let check_values word the unknown-name message
                _collect(problems, params, {name: value}, f"{where} {label}")
                continue
            values = _axis(value, by_name[name].type)
            if len(values) == 0:
                problems.append(
                    f"{where} {label}: {name} = [] gives no runs; list at least one value"
                )
                continue
            if isinstance(value, list) and values is value:
                axes_keys.add(name)
            converted = [_collect(problems, params, {name: v}, f"{where} {label}") for v in values]
            axes[name] = [c[name] for c in converted if c is not None]
        ordered = [p.name for p in params if p.name in axes]
        for values in itertools.product(*(axes[n] for n in ordered)):
            combos.append(dict(zip(ordered, values, strict=True)))
    if len(problems) > n_problems:
        return []

    varying = {
        name
        for name in by_name
        if len({json.dumps(c.get(name, "\0"), sort_keys=True) for c in combos}) > 1
    }
    name_keys = [p.name for p in params if p.name in axes_keys | varying]
    jobs: list[ReportJob] = []
    seen: dict[str, dict[str, Any]] = {}
    for combo in combos:
        slug = job_slug(key, {k: combo[k] for k in name_keys if k in combo})
        if slug in seen:
            if seen[slug] == combo:
                problems.append(
                    f"{where} [{key}]: the run with {_params_text(combo) or 'default parameters'} "
                    "is listed more than once"
                )
                continue
            slug += "-" + _digest(combo)
        seen[slug] = combo
        jobs.append(ReportJob(notebook=notebook, parameters=combo, name=slug))
    return jobs


def _axis(value: Any, type_name: str) -> list[Any]:
    """The values a schedule entry stands for (type-directed, see the module docstring)."""
    if type_name.startswith("list["):
        if isinstance(value, list) and value and all(isinstance(v, list) for v in value):
            return value
        return [value]
    return value if isinstance(value, list) else [value]


def _collect(
    problems: list[str], params: list[Param], given: dict[str, Any], where: str
) -> dict[str, Any] | None:
    try:
        return check_values(params, given, where=where)
    except ValidationError as exc:
        problems.extend(m for m in exc.problems if m not in problems)
        return None


def _params_text(params: Mapping[str, Any]) -> str:
    return " ".join(f"{k}={_text(v)}" for k, v in params.items())


def _text(value: Any) -> str:
    if isinstance(value, list):
        return ",".join(_text(v) for v in value)
    if value is None:
        return "None"
    return str(value).lower() if isinstance(value, bool) else str(value)


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._+-]+", "-", str(text)).strip("-.")


def _slug_value(value: Any) -> str:
    if isinstance(value, list):
        text = "+".join(_slug_value(v) for v in value) or "empty"
    elif value is None:
        text = "none"
    elif isinstance(value, bool):
        text = str(value).lower()
    else:
        text = _slug(str(value)) or "empty"
    if len(text) > _MAX_VALUE_CHARS:
        text = text[: _MAX_VALUE_CHARS - 9] + "-" + _digest(value)
    return text


def _digest(value: Any) -> str:
    blob = json.dumps(value, sort_keys=True, default=str).encode()
    return hashlib.sha1(blob, usedforsecurity=False).hexdigest()[:8]


def override_jobs(jobs: list[ReportJob], given: Mapping[str, Any]) -> list[ReportJob]:
    """Apply ``-p NAME=VALUE`` overrides to scheduled jobs.

    Each value goes to the jobs whose notebook declares the parameter and
    REPLACES the scheduled values there (it is not crossed with them): runs that
    become identical are kept once, and names are rebuilt from the parameters
    that still differ between a notebook's runs plus the overridden ones
    (``--notebook journey_map -p segment=smb`` gives one
    ``journey_map__segment-smb``). Jobs of notebooks that declare none of the
    names are unchanged.

    Raises
    ------
    ValidationError
        A name no selected notebook declares (with a suggestion), or a value
        that does not convert to a declaring notebook's type.
    """
    if not given:
        return list(jobs)
    declared = {job.notebook: read_parameters(job.notebook) for job in jobs}
    names = sorted({p.name for params in declared.values() for p in params})
    problems = []
    for name in given:
        if name not in names:
            hint = difflib.get_close_matches(str(name), names, n=1)
            did = f" (did you mean {hint[0]!r}?)" if hint else ""
            problems.append(
                f"-p {name}: no selected notebook declares {name!r}{did}; declared parameters: "
                + ", ".join(names)
            )
    changed: list[tuple[ReportJob, dict[str, Any], list[str]]] = []
    seen: set[tuple[Path, str]] = set()
    for job in jobs:
        params = declared[job.notebook]
        mine = {k: v for k, v in given.items() if k in {p.name for p in params}}
        converted = _collect(problems, params, mine, f"-p ({job.notebook.stem})") or {}
        merged = {**job.parameters, **converted}
        key = (job.notebook, json.dumps(merged, sort_keys=True, default=str))
        if key not in seen:
            seen.add(key)
            changed.append((job, merged, [p.name for p in params if p.name in converted]))
    if problems:
        raise ValidationError(problems)
    return [
        ReportJob(job.notebook, merged, name=_override_name(job, merged, keys, changed))
        if keys
        else job
        for job, merged, keys in changed
    ]


def _override_name(
    job: ReportJob,
    merged: dict[str, Any],
    keys: list[str],
    changed: list[tuple[ReportJob, dict[str, Any], list[str]]],
) -> str:
    siblings = [m for j, m, _ in changed if j.notebook == job.notebook]
    varying = [
        k
        for k in merged
        if len({json.dumps(s.get(k, "\0"), sort_keys=True, default=str) for s in siblings}) > 1
    ]
    order = [k for k in merged if k in keys or k in varying]
    return job_slug(job.notebook.stem, {k: merged[k] for k in order})


#: Notebook parameters whose value names a segment of the config.
SEGMENT_PARAMETERS = ("segment", "focus_segment")


def check_segment_values(jobs: list[ReportJob], segments: list[str], *, all_name: str) -> None:
    """Refuse, before anything runs, a job whose segment parameter names no segment.

    Only values set by the schedule or ``-p`` are checked (not notebook defaults).

    Raises
    ------
    ValidationError
        Listing each report, parameter and value, with the known segments.
    """
    known = [all_name, *segments]
    problems = []
    for job in jobs:
        for name in SEGMENT_PARAMETERS:
            value = job.parameters.get(name)
            if isinstance(value, str) and value not in known:
                hint = difflib.get_close_matches(value, known, n=1)
                did = f" (did you mean {hint[0]!r}?)" if hint else ""
                message = (
                    f"{job.notebook.stem}: {name} = {value!r} is not a segment of the config{did}; "
                    f"known segments: {', '.join(known)} (define it under [segments.{value}])"
                )
                if message not in problems:
                    problems.append(message)
    if problems:
        raise ValidationError(problems, context="reports not run")


def check_window_values(jobs: list[ReportJob]) -> None:
    """Refuse, before anything runs, a job whose period parameters cannot work.

    ``start`` / ``end`` / ``period_days`` / ``compare`` as
    :func:`workbench.periods.window_problems` checks them, and ``trend_by`` against
    :data:`workbench.analysis.funnels.TREND_FREQUENCIES`; every value is the job's own (the
    notebook defaults are valid).

    Raises
    ------
    ValidationError
        Listing each report with its problems and the allowed values.
    """
    from workbench.analysis.funnels import TREND_FREQUENCIES
    from workbench.periods import window_problems

    problems: list[str] = []
    for job in jobs:
        p = job.parameters  # ill-typed values are left to the parameter type check

        def text(name: str, default: str, p: dict = p) -> str:
            value = p.get(name, default)
            return value if isinstance(value, str) else default

        days = p.get("period_days", 0)
        found = window_problems(
            start=text("start", ""),
            end=text("end", ""),
            period_days=days if isinstance(days, int) and not isinstance(days, bool) else 0,
            compare=text("compare", "none"),
        )
        trend = p.get("trend_by")
        if isinstance(trend, str) and trend not in TREND_FREQUENCIES:
            found.append(f"trend_by = {trend!r}: expected one of {', '.join(TREND_FREQUENCIES)}")
        for problem in found:
            message = f"{job.notebook.stem}: {problem}"
            if message not in problems:
                problems.append(message)
    if problems:
        raise ValidationError(problems, context="reports not run")
