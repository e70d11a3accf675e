"""``workbench attribute`` and ``workbench export-conversions``.

:func:`run_attribute` runs attribution models on the prepared journeys (or on a
path-aggregated table, ``--paths``), writes the long credit table
(``model, channel, conversions, value``) and prints a channel x model comparison.
:func:`run_export` values conversions by a model and writes the ad platforms'
upload files through :func:`workbench.export.export_conversions`.

Models that credit channels rather than touches (``markov:*``, ``shapley``) are
exported through :func:`workbench.attribution.spread_channel_credits`.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from workbench.attribution import (
    MODELS,
    compare_models,
    low_conversion_warnings,
    paths_from_aggregated,
    run_models,
    run_models_detailed,
    spread_channel_credits,
)
from workbench.attribution.aggregated import AGG_NULLS, AGG_VALUE
from workbench.attribution.settings import model_options, resolve_models
from workbench.config import Config, load_config
from workbench.csv_safety import write_csv
from workbench.errors import ConfigError, ValidationError, WorkbenchError
from workbench.export import export_conversions
from workbench.export.pipeline import default_export_path
from workbench.export.values import FULL_MODEL
from workbench.notebook.workspace import ALL, Workspace, drop_internal, resolve_paths
from workbench.paths import find_config
from workbench.schema import CHANNEL, CONVERSION_TYPE

__all__ = ["run_attribute", "run_export"]

_PARQUET = (".parquet", ".pq")
_OUT_SUFFIXES = (".csv", ".parquet")


def _note(message: str) -> None:
    print(message, file=sys.stderr)


# --- models and options ---------------------------------------------------------------
def _requested_models(args: argparse.Namespace, cfg: Config | None) -> tuple[list[str], bool]:
    """Model names and whether the user chose them (``--models``) or they are defaults."""
    chosen = bool(args.models and args.models.strip(","))
    where = "--models" if chosen else "[attribution].models"
    try:
        return resolve_models(args.models, cfg.attribution if cfg else None), chosen
    except ValueError as exc:
        raise WorkbenchError(f"{where}: {exc}") from None


def _model_options(cfg: Config | None, models: Iterable[str]) -> dict[str, Any]:
    """The config's ``[attribution]`` options that the path builder or a model accepts."""
    return model_options(cfg.attribution if cfg is not None else None, models)


def _min_conversions(cfg: Config | None) -> float:
    return cfg.attribution.min_conversions if cfg is not None else 30.0


def _run(call, *args, **kwargs):
    """Run an attribution call, turning option mistakes (ValueError) into user errors."""
    try:
        return call(*args, **kwargs)
    except ValueError as exc:
        raise WorkbenchError(f"attribution: {exc}") from None


# --- files ----------------------------------------------------------------------------
def _read_table(path: Path, option: str) -> pd.DataFrame:
    if not path.exists():  # a file, or a folder of Parquet part files
        raise WorkbenchError(f"{option} {path}: no such file")
    try:
        if path.suffix.lower() in _PARQUET:
            return pd.read_parquet(path)
        return pd.read_csv(path)
    except Exception as exc:  # noqa: BLE001 - any reader failure is a bad input file
        kind = "Parquet" if path.suffix.lower() in _PARQUET else "CSV"
        raise WorkbenchError(f"{option} {path}: cannot be read as {kind}: {exc}") from None


def _check_out(out: Path | None) -> None:
    if out is not None and out.suffix.lower() not in _OUT_SUFFIXES:
        raise WorkbenchError(
            f"--out {out}: unsupported extension {out.suffix or '(none)'!r}; "
            f"expected {' or '.join(_OUT_SUFFIXES)}"
        )


def _write_table(frame: pd.DataFrame, out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.suffix.lower() == ".parquet":
        frame.to_parquet(out, index=False)
    else:
        write_csv(frame, out)


# --- workbench attribute --------------------------------------------------------------
def _aggregated_credits(args: argparse.Namespace, cfg: Config | None) -> pd.DataFrame:
    segment = getattr(args, "segment", None)
    for flag, given in (("--conversion-types", args.conversion_types), ("--segment", segment)):
        if given:
            raise WorkbenchError(
                f"{flag} selects prepared journeys; it cannot filter a path-aggregated "
                "table (--paths): drop one of the two"
            )
    models, chosen = _requested_models(args, cfg)
    table = _read_table(args.paths, "--paths")
    timed = [m for m in models if MODELS[m].needs_timestamps]
    if timed and chosen:
        raise WorkbenchError(
            f"--models {', '.join(timed)}: these models weigh touches by their time before "
            f"the conversion, and a path-aggregated table (--paths {args.paths}) has no "
            "timestamps; drop them from --models, or run without --paths on prepared journeys"
        )
    if timed:
        _note(f"note: skipping {', '.join(timed)}: --paths {args.paths} has no timestamps")
        models = [m for m in models if m not in timed]
    columns = {
        "path": (args.path_col, "--path-col", True),
        "conversions": (args.conversions_col, "--conversions-col", True),
        "value": (args.value_col, "--value-col", args.value_col != AGG_VALUE),
        "nulls": (args.nulls_col, "--nulls-col", args.nulls_col != AGG_NULLS),
    }
    found = ", ".join(map(str, table.columns))
    problems, names = [], {}
    for key, (col, option, required) in columns.items():
        if col in table.columns:
            names[key] = col
        elif required:
            problems.append(f"column {col!r} not found (set {option}); columns: {found}")
        else:
            names[key] = None
            _note(f"note: --paths {args.paths} has no {col!r} column; {key} taken as 0")
    if not len(table):
        problems.append("the table has no rows: nothing to attribute")
    if problems:
        raise ValidationError(problems, context=f"--paths {args.paths}")
    try:
        paths = paths_from_aggregated(table, sep=args.sep, **names)
    except ValidationError as exc:
        raise ValidationError(exc.problems, context=f"--paths {args.paths}") from None
    print(
        f"{paths.n_paths:,} paths from {args.paths}: {paths.conversions.sum():,.1f} "
        f"conversions, {paths.nulls.sum():,.0f} non-converting"
    )
    return _run(run_models, paths, None, models, **_model_options(cfg, models))


def _journey_credits(args: argparse.Namespace) -> tuple[pd.DataFrame, Config]:
    ws = Workspace.load(args.config or "", "")
    cfg = ws.config
    models, _ = _requested_models(args, cfg)
    types = None
    if args.conversion_types:
        types = [t.strip() for t in args.conversion_types.split(",") if t.strip()]
        known = sorted(ws.prepared.conversions[CONVERSION_TYPE].dropna().astype(str).unique())
        unknown = [t for t in types if t not in known]
        if unknown:
            raise WorkbenchError(
                f"--conversion-types {', '.join(unknown)}: not in the prepared conversions; "
                f"known: {', '.join(known)}"
            )
    segment = getattr(args, "segment", None) or ALL
    js = ws.journeys(conversion_types=types, segment=segment)
    if not len(js.touches):
        raise WorkbenchError("the prepared journeys have no touches: nothing to attribute")
    converted = js.journeys["converted"].fillna(False).astype(bool)
    shown = types or list(cfg.journeys.conversion_types or ["all"])
    print(
        f"{len(js.journeys):,} journeys, {int(converted.sum()):,} converted "
        f"(conversion types: {', '.join(shown)})"
        + (f" in segment {ws.segment_label(segment)!r}" if segment != ALL else "")
    )
    options = _model_options(cfg, models)
    return _run(run_models, js.touches, js.journeys, models, **options), cfg


def _print_comparison(credits: pd.DataFrame, *, currency: str, min_conversions: float) -> None:
    models = list(dict.fromkeys(credits["model"].astype(str)))
    table = compare_models(credits, min_conversions=min_conversions).set_index(CHANNEL)
    conv = table[[f"conversions:{m}" for m in models]].set_axis(models, axis=1)
    value = table[[f"value:{m}" for m in models]].set_axis(models, axis=1)
    order = conv.mean(axis=1).sort_values(ascending=False, kind="stable").index
    conv, value = conv.loc[order], value.loc[order]
    share = (value / value.sum(axis=0).replace(0.0, np.nan) * 100).fillna(0.0)
    conv.loc["(total)"] = conv.sum(axis=0)
    conv.index.name = share.index.name = CHANNEL
    width = shutil.get_terminal_size((120, 24)).columns
    print("\nCredited conversions (channel x model):")
    print(conv.to_string(float_format=lambda x: f"{x:,.1f}", line_width=width))
    print("\nShare of credited value (%):")
    print(share.to_string(float_format=lambda x: f"{x:.1f}", line_width=width))
    totals = credits.groupby("model", sort=False)[["conversions", "value"]].sum()
    if np.allclose(totals.to_numpy(), totals.to_numpy()[:1], rtol=1e-9, atol=1e-6):
        c, v = totals.iloc[0]
        print(f"\nCredited by every model: {c:,.1f} conversions, {v:,.2f} {currency} value")
    else:
        print("\nCredited per model:")
        for model, (c, v) in totals.iterrows():
            print(f"  {model}: {c:,.1f} conversions, {v:,.2f} {currency} value")
    for warning in low_conversion_warnings(credits, min_conversions=min_conversions):
        _note(f"warning: {warning}")


def run_attribute(args: argparse.Namespace) -> int:
    """``workbench attribute``: run models, write the credit table, print the comparison.

    Parameters
    ----------
    args
        Parsed ``attribute`` arguments (``config, paths, sep, path_col, conversions_col,
        value_col, nulls_col, models, conversion_types, out``).

    Returns
    -------
    int
        0; user mistakes raise :class:`~workbench.errors.WorkbenchError`.
    """
    out = Path(args.out) if args.out is not None else None
    _check_out(out)
    if args.paths is not None:
        cfg = _optional_config(args.config)
        credits = _aggregated_credits(args, cfg)
    else:
        credits, cfg = _journey_credits(args)
    if out is not None:
        _write_table(credits, out)
    _print_comparison(
        credits,
        currency=cfg.currency if cfg is not None else "",
        min_conversions=_min_conversions(cfg),
    )
    if out is not None:
        print(f"\nwrote {len(credits):,} credit rows to {out}")
    return 0


def _optional_config(config: Path | None) -> Config | None:
    """The config for ``--paths`` runs: the one given, else the default one if it exists."""
    cfg_path, _ = resolve_paths(config or "")
    if cfg_path is not None:
        return load_config(cfg_path)
    try:
        found = find_config()
    except ConfigError:
        return None
    return load_config(found)


# --- workbench export-conversions -----------------------------------------------------
def _parse_since(text: str | None) -> pd.Timestamp | None:
    if text is None:
        return None
    try:
        ts = pd.Timestamp(text.strip())
    except (ValueError, TypeError):
        ts = pd.NaT
    if pd.isna(ts):
        raise WorkbenchError(
            f"--since {text!r} is not a date; expected e.g. 2026-01-31 or 2026-01-31T08:00"
        )
    return ts


def _touch_credits(ws: Workspace, model: str, journeys, touches) -> pd.DataFrame:
    names = [model] if model == "linear" else [model, "linear"]
    options = {"with_touches": True, "with_details": False, **_model_options(ws.config, names)}
    results = _run(run_models_detailed, touches, journeys, names, **options)
    result = results[model]
    if result.touch_credits is not None:
        return result.touch_credits
    _note(f"note: {model} credits channels; its credit is spread over each journey's touches")
    return spread_channel_credits(result.credits, results["linear"].touch_credits, model)


def _exportable(conversions: pd.DataFrame, types: Iterable[str] | None) -> pd.DataFrame:
    conversions, _ = drop_internal(conversions)
    keep = np.ones(len(conversions), dtype=bool)
    if types:
        keep &= conversions[CONVERSION_TYPE].astype(str).isin(list(types)).to_numpy()
    return conversions.loc[keep].reset_index(drop=True)


def run_export(args: argparse.Namespace) -> int:
    """``workbench export-conversions``: value conversions by a model, write upload files.

    Parameters
    ----------
    args
        Parsed ``export-conversions`` arguments (``config, platform, model, since, out``).

    Returns
    -------
    int
        0, also when rows are rejected (they are reported); user mistakes raise
        :class:`~workbench.errors.WorkbenchError`.
    """
    model = str(args.model).strip()
    if model != FULL_MODEL and model not in MODELS:
        raise WorkbenchError(
            f"--model {model!r} is not a value model; allowed: {FULL_MODEL}, {', '.join(MODELS)}"
        )
    since = _parse_since(args.since)
    as_of = getattr(args, "as_of", None)
    now = _parse_since(as_of) if as_of else None
    ws = Workspace.load(args.config or "", "")
    cfg = ws.config
    types = list(cfg.journeys.conversion_types or ())
    conversions = _exportable(ws.prepared.conversions, types)
    print(
        f"{len(conversions):,} conversions to consider"
        + (f" (conversion types: {', '.join(types)})" if types else "")
    )
    modeled: Mapping[str, Any] = {}
    if model != FULL_MODEL:
        js = ws.journeys()
        credits = _touch_credits(ws, model, js.journeys, js.touches)
        modeled = {"credits": credits, "journeys": js.journeys, "touches": js.touches}
    out = args.out or default_export_path(args.platform, model, cfg.processed_dir)
    result = export_conversions(
        conversions,
        platform=args.platform,
        model=model,
        touchpoints=ws.prepared.touchpoints,
        since=since,
        now=now,
        conversion_name=getattr(args, "conversion_name", None),
        timezone=cfg.timezone,
        out=out,
        default_currency=cfg.currency,
        default_region=cfg.default_phone_region,
        **modeled,
    )
    print(result.summary())
    for path in result.paths:
        print(f"wrote {path}")
    return 0
