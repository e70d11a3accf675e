"""Lift-test calibration: attribution credit checked against, and scaled to, experiments.

An **experiment** (``[[experiments]]`` in the config, or a CSV with the same columns)
measured the incremental conversions of one channel (or one ad platform) over a
period, e.g. a platform conversion-lift study or a geo holdout, with an interval:

============  ===================================================================
column        meaning
============  ===================================================================
name          experiment name (unique)
channel       channel tested (or empty when ``platform`` is given)
platform      ad platform tested (its touches' channel credit is compared)
start, end    period, half-open ``[start, end)``, UTC dates or times
incremental   incremental conversions measured (point estimate, >= 0)
low, high     interval of ``incremental`` (``low <= incremental <= high``)
============  ===================================================================

:func:`experiment_comparison` puts each model's credit for the tested channel in the
experiment's period beside the experiment. :func:`calibrate_credits` builds the
calibrated model ``calibrated:MODEL``: each tested channel's credit is multiplied by
``incremental / credit in the experiment period`` (its ``low``/``high`` by the same
ratio with the interval ends); the other channels share the rest of the model's total
in proportion to their credit, so totals are kept. When tested channels would take more
than the total, they are scaled down together and the rest gets nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from workbench.errors import ValidationError
from workbench.schema import CHANNEL

__all__ = [
    "CALIBRATED_COLUMNS",
    "CALIBRATED_PREFIX",
    "COMPARISON_COLUMNS",
    "EXPERIMENT_COLUMNS",
    "RECOMMENDATION_COLUMNS",
    "calibrate_credits",
    "experiment_comparison",
    "experiments_frame",
    "read_experiments",
    "recommend_model",
]

#: Columns of an experiments table.
EXPERIMENT_COLUMNS = ("name", CHANNEL, "platform", "start", "end", "incremental", "low", "high")
#: Columns of :func:`experiment_comparison`.
COMPARISON_COLUMNS = (
    "experiment",
    "model",
    CHANNEL,
    "credited",
    "incremental",
    "low",
    "high",
    "ratio",
    "within_interval",
)
#: Columns of :func:`calibrate_credits`: the credit columns plus the interval.
CALIBRATED_COLUMNS = (
    "model",
    CHANNEL,
    "conversions",
    "value",
    "conversions_low",
    "conversions_high",
)
#: Columns of :func:`recommend_model`.
RECOMMENDATION_COLUMNS = ("model", "distance", "evidence", "recommended")
#: Prefix of a calibrated model's name.
CALIBRATED_PREFIX = "calibrated:"

_REQUIRED = ("name", "start", "end", "incremental", "low", "high")


def experiments_frame(
    rows: Iterable[Mapping[str, Any]], *, where: str = "experiments"
) -> pd.DataFrame:
    """Validate experiment rows (config tables or CSV records) into a typed frame.

    Every problem is collected and raised together, naming the row and the column.
    """
    problems: list[str] = []
    out = []
    for i, row in enumerate(rows):
        at = f"{where}[{i}]"
        unknown = sorted(set(row) - set(EXPERIMENT_COLUMNS))
        if unknown:
            problems.append(f"{at}: unknown key(s) {unknown}; allowed: {list(EXPERIMENT_COLUMNS)}")
        missing = [k for k in _REQUIRED if _empty(row.get(k))]
        if missing:
            problems.append(f"{at}: missing {missing}")
            continue
        channel, platform = row.get(CHANNEL), row.get("platform")
        if _empty(channel) == _empty(platform):
            problems.append(f"{at}: give exactly one of 'channel' or 'platform'")
        rec: dict[str, Any] = {
            "name": str(row["name"]),
            CHANNEL: _text(channel),
            "platform": _text(platform),
        }
        for key in ("start", "end"):
            try:
                rec[key] = pd.Timestamp(row[key])
                rec[key] = rec[key].tz_localize("UTC") if rec[key].tz is None else rec[key]
            except (ValueError, TypeError):
                problems.append(f"{at}: {key} = {row[key]!r}; expected a date like 2024-03-01")
        for key in ("incremental", "low", "high"):
            try:
                rec[key] = float(row[key])
            except (TypeError, ValueError):
                problems.append(f"{at}: {key} = {row[key]!r}; expected a number")
        if all(isinstance(rec.get(k), float) for k in ("incremental", "low", "high")):
            if not 0 <= rec["low"] <= rec["incremental"] <= rec["high"]:
                problems.append(f"{at}: expected 0 <= low <= incremental <= high, got {rec}")
        if isinstance(rec.get("start"), pd.Timestamp) and isinstance(rec.get("end"), pd.Timestamp):
            if rec["end"] <= rec["start"]:
                problems.append(f"{at}: end {rec['end']} is not after start {rec['start']}")
        out.append(rec)
    names = [r["name"] for r in out]
    problems += [
        f"{where}: name {n!r} is used twice"
        for n in sorted({n for n in names if names.count(n) > 1})
    ]
    if problems:
        raise ValidationError(problems, context=where)
    frame = pd.DataFrame(out, columns=list(EXPERIMENT_COLUMNS))
    return frame.astype({"name": "string", CHANNEL: "string", "platform": "string"})


def _empty(value: Any) -> bool:
    return (
        value is None or (isinstance(value, float) and np.isnan(value)) or str(value).strip() == ""
    )


def _text(value: Any) -> str | None:
    return None if _empty(value) else str(value).strip()


def read_experiments(path: str | Path) -> pd.DataFrame:
    """Experiments from a CSV file with :data:`EXPERIMENT_COLUMNS` headers."""
    raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    return experiments_frame(raw.to_dict("records"), where=str(path))


def _tested_channel(exp: pd.Series, touches: pd.DataFrame) -> str | None:
    if pd.notna(exp[CHANNEL]):
        return str(exp[CHANNEL])
    rows = touches[touches["platform"].astype("string") == exp["platform"]]
    counts = rows[CHANNEL].value_counts()
    return str(counts.index[0]) if len(counts) else None


def experiment_comparison(
    touches: pd.DataFrame,
    journeys: pd.DataFrame,
    experiments: pd.DataFrame,
    models: Iterable[str] | None = None,
    **options: Any,
) -> pd.DataFrame:
    """Each model's credit for the tested channel in each experiment's period.

    Journeys converting in ``[start, end)`` are attributed with
    :func:`~workbench.attribution.run_models`; a model fitted on every journey
    (``ModelSpec.fits_all_journeys``, the incrementality model) is fitted once on all
    journeys (fitted on converting journeys alone it would have nothing to compare them
    with), and its ``credited`` is what the experiment measures on the model's scale:
    the conversions of the period's converting journeys the model expects lost without
    the channel (``journey_credits`` column ``lost``). A
    platform experiment is compared with the channel most of that platform's touches
    belong to.

    Returns
    -------
    DataFrame
        :data:`COMPARISON_COLUMNS`; ``ratio`` = credited / incremental (NaN when
        ``incremental`` is 0), ``within_interval`` whether low <= credited <= high.
    """
    # registry knows calibrated names
    from workbench.attribution.registry import DEFAULT_MODELS, MODELS, run_models, split_options

    names = list(DEFAULT_MODELS if models is None else models)
    split_options(options, names)  # an unknown option is an error, as in run_models
    whole = [m for m in names if m in MODELS and MODELS[m].fits_all_journeys]
    per_period = [m for m in names if m not in whole]
    fitted = _journey_credits(touches, journeys, whole, options)
    rows = []
    for _, exp in experiments.iterrows():
        channel = _tested_channel(exp, touches)
        ts = pd.to_datetime(journeys["conversion_ts"], utc=True)
        inside = journeys["converted"].astype(bool) & (ts >= exp["start"]) & (ts < exp["end"])
        sub = journeys.loc[inside.to_numpy(bool)]
        sub_touches = touches[touches["journey_id"].isin(sub["journey_id"])]
        credits = None
        if len(sub) and per_period:
            credits = run_models(sub_touches, sub, per_period, **_options_for(per_period, options))
        for model in names:
            got = 0.0
            if model in fitted and channel is not None:
                jc = fitted[model]
                pick = jc["journey_id"].isin(sub["journey_id"]) & (jc[CHANNEL] == channel)
                got = float(jc.loc[pick, "lost"].sum())
            elif credits is not None and channel is not None:
                pick = (credits["model"] == model) & (credits[CHANNEL] == channel)
                got = float(credits.loc[pick, "conversions"].sum())
            inc = float(exp["incremental"])
            rows.append(
                {
                    "experiment": exp["name"],
                    "model": model,
                    CHANNEL: channel,
                    "credited": got,
                    "incremental": inc,
                    "low": float(exp["low"]),
                    "high": float(exp["high"]),
                    "ratio": got / inc if inc > 0 else np.nan,
                    "within_interval": bool(exp["low"] <= got <= exp["high"]),
                }
            )
    return pd.DataFrame(rows, columns=list(COMPARISON_COLUMNS))


def _options_for(models: list[str], options: Mapping[str, Any]) -> dict[str, Any]:
    """The options the path builder or one of ``models`` takes."""
    from workbench.attribution.settings import accepted_options

    accepted = accepted_options(models)
    return {k: v for k, v in options.items() if k in accepted}


def _journey_credits(
    touches: pd.DataFrame, journeys: pd.DataFrame, models: list[str], options: Mapping[str, Any]
) -> dict[str, pd.DataFrame]:
    """Per converting journey credits of models fitted on all journeys (fitted once)."""
    if not models:
        return {}
    from workbench.attribution.registry import run_models_detailed

    results = run_models_detailed(
        touches, journeys, models, with_touches=False, **_options_for(models, options)
    )
    return {m: r.details["journey_credits"] for m, r in results.items()}


def calibrate_credits(credits: pd.DataFrame, comparison: pd.DataFrame) -> pd.DataFrame:
    """Calibrated credits ``calibrated:MODEL`` for every model of ``comparison``.

    Parameters
    ----------
    credits
        Long credit frame (``model, channel, conversions, value``) over the whole period.
    comparison
        :func:`experiment_comparison` output (credit in the experiment period vs the
        experiment). Several experiments on one channel are pooled (sums of credited,
        incremental, low and high).

    Returns
    -------
    DataFrame
        :data:`CALIBRATED_COLUMNS`; per model, ``conversions`` sums to the model's total.
        ``value`` follows ``conversions`` by each channel's value per conversion.
    """
    out = []
    pooled = comparison.groupby(["model", CHANNEL], as_index=False)[
        ["credited", "incremental", "low", "high"]
    ].sum()
    for model, tests in pooled.groupby("model", sort=False):
        own = credits[credits["model"] == model]
        if own.empty:
            continue
        base = own.groupby(CHANNEL, sort=False)[["conversions", "value"]].sum()
        tests = tests[tests["credited"] > 0].set_index(CHANNEL)
        tests = tests[tests.index.isin(base.index)]
        frame = _calibrate_one(base, tests)
        out.append(frame.assign(model=f"{CALIBRATED_PREFIX}{model}"))
    if not out:
        return pd.DataFrame({c: [] for c in CALIBRATED_COLUMNS})
    return pd.concat(out, ignore_index=True)[list(CALIBRATED_COLUMNS)]


def _calibrate_one(base: pd.DataFrame, tests: pd.DataFrame) -> pd.DataFrame:
    """Scale tested channels (point, low, high), renormalize the others to the total."""
    total = float(base["conversions"].sum())
    tested = base.index.isin(tests.index)
    result = {}
    for end in ("incremental", "low", "high"):
        factor = (tests[end] / tests["credited"]).reindex(base.index).fillna(1.0)
        conv = base["conversions"] * factor
        take = float(conv[tested].sum())
        if take > total and take > 0:
            conv[tested] *= total / take
            take = total
        rest = float(base.loc[~tested, "conversions"].sum())
        conv[~tested] = base.loc[~tested, "conversions"] * ((total - take) / rest if rest else 0)
        result[end] = conv
    per_conv = (base["value"] / base["conversions"]).where(base["conversions"] > 0, 0.0)
    frame = pd.DataFrame(
        {
            CHANNEL: base.index.astype(str),
            "conversions": result["incremental"].to_numpy(),
            "value": (result["incremental"] * per_conv).to_numpy(),
            # a higher tested incrementality leaves less for the rest: untested ends swap
            "conversions_low": np.where(tested, result["low"], result["high"]),
            "conversions_high": np.where(tested, result["high"], result["low"]),
        }
    )
    return frame


def recommend_model(
    credits: pd.DataFrame,
    *,
    truth: pd.DataFrame | None = None,
    comparison: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The model closest to the available evidence, with the distance of every model.

    With ``truth`` (the sample's ``channel_contribution.csv``) the distance is the
    total-variation distance of channel shares (:func:`~workbench.attribution.compare.
    truthfulness`); otherwise, with an experiment ``comparison``, it is the mean over
    experiments of ``|credited - incremental| / incremental``. Without either the frame
    is empty: no model can be recommended from the data alone.

    Returns
    -------
    DataFrame
        ``model, distance, evidence, recommended`` sorted by distance; ``evidence`` is
        ``"truth"`` or ``"experiments"``; exactly one row is ``recommended``.
    """
    from workbench.attribution.compare import truthfulness  # compare imports registry

    if truth is not None:
        scores = truthfulness(credits, truth)
        out = pd.DataFrame({"model": scores["model"], "distance": scores["tv_conversions"]})
        evidence = "truth"
    elif comparison is not None and len(comparison):
        ok = comparison[comparison["incremental"] > 0]
        err = (ok["credited"] - ok["incremental"]).abs() / ok["incremental"]
        out = err.groupby(ok["model"], sort=False).mean().rename("distance").reset_index()
        evidence = "experiments"
    else:
        return pd.DataFrame({c: [] for c in RECOMMENDATION_COLUMNS})
    out = out.sort_values("distance", kind="stable").reset_index(drop=True)
    out["evidence"] = evidence
    out["recommended"] = out.index == 0
    return out[list(RECOMMENDATION_COLUMNS)]
