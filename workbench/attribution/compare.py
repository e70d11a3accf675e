"""Comparing attribution models: side by side, channel roles, cost, last-click gaps, truth.

All functions take the long credit frame of :func:`~workbench.attribution.run_models`
(``model, channel, conversions, value``).

Too few conversions
    A channel whose credited conversions are below ``min_conversions`` (default 30) in a
    model has a credit dominated by noise; :func:`compare_models` flags it in
    ``few_conversions`` and :func:`low_conversion_warnings` lists it as text.

Truthfulness
    :func:`truthfulness` compares each model's credit shares with the true incremental
    contribution shares of a ground truth (``channel, conversions_lost, revenue_lost``,
    each normalized to shares) by the total-variation distance
    ``TV = 0.5 * sum |share_model - share_truth|`` (0 = identical, 1 = disjoint); the
    score is ``1 - TV``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from workbench.attribution.base import CREDIT_COLUMNS
from workbench.attribution.incrementality import BASELINE
from workbench.attribution.inputs import Paths
from workbench.attribution.registry import secondary_paths
from workbench.errors import ValidationError
from workbench.schema import CHANNEL, CURRENCY, SPEND

__all__ = [
    "channel_roles",
    "compare_models",
    "cost_metrics",
    "low_conversion_warnings",
    "truthfulness",
    "undercredited_by_last_click",
]

_SPEND = SPEND["spend"].name


def _check_credits(credits: pd.DataFrame) -> None:
    missing = [c for c in CREDIT_COLUMNS if c not in credits.columns]
    if missing:
        raise ValidationError(
            [f"credits: missing column(s) {missing}; expected {list(CREDIT_COLUMNS)}"]
        )


def _models(credits: pd.DataFrame) -> list[str]:
    return list(dict.fromkeys(credits["model"].tolist()))


def compare_models(credits: pd.DataFrame, *, min_conversions: float = 30) -> pd.DataFrame:
    """Channel x model table of shares, conversions and values with the spread between models.

    Returns
    -------
    DataFrame
        One row per channel: ``channel``; for every model (in order of appearance)
        ``share:<model>`` (share of the model's conversions), ``conversions:<model>``,
        ``value:<model>``; then ``share_min``, ``share_max``, ``share_std`` (population
        std over models), ``share_range``, ``value_share_min``, ``value_share_max``,
        ``value_share_std`` and ``few_conversions`` (credited conversions below
        ``min_conversions`` in at least one model).
    """
    _check_credits(credits)
    models = _models(credits)
    conv = credits.pivot_table(
        index=CHANNEL, columns="model", values="conversions", aggfunc="sum", fill_value=0.0
    ).reindex(columns=models)
    val = credits.pivot_table(
        index=CHANNEL, columns="model", values="value", aggfunc="sum", fill_value=0.0
    ).reindex(columns=models)
    conv_tot = conv.sum(axis=0).replace(0.0, np.nan)
    val_tot = val.sum(axis=0).replace(0.0, np.nan)
    share = (conv / conv_tot).fillna(0.0)
    vshare = (val / val_tot).fillna(0.0)
    out = pd.DataFrame({CHANNEL: pd.Series(conv.index.astype("str"), dtype="str")})
    for prefix, table in (("share", share), ("conversions", conv), ("value", val)):
        for m in models:
            out[f"{prefix}:{m}"] = table[m].to_numpy(dtype=np.float64)
    s, vs = share.to_numpy(), vshare.to_numpy()
    out["share_min"] = s.min(axis=1) if models else np.nan
    out["share_max"] = s.max(axis=1) if models else np.nan
    out["share_std"] = s.std(axis=1) if models else np.nan
    out["share_range"] = out["share_max"] - out["share_min"]
    out["value_share_min"] = vs.min(axis=1) if models else np.nan
    out["value_share_max"] = vs.max(axis=1) if models else np.nan
    out["value_share_std"] = vs.std(axis=1) if models else np.nan
    out["few_conversions"] = (conv.to_numpy() < min_conversions).any(axis=1)
    return out.reset_index(drop=True)


def low_conversion_warnings(credits: pd.DataFrame, *, min_conversions: float = 30) -> list[str]:
    """One message per (model, channel) credited fewer than ``min_conversions``."""
    _check_credits(credits)
    low = credits[credits["conversions"] < min_conversions]
    return [
        f"{r.model}: channel {r.channel!r} is credited {r.conversions:.1f} conversions "
        f"(< {min_conversions:g}); its credit is too noisy to act on"
        for r in low.itertuples(index=False)
    ]


def channel_roles(
    touches: pd.DataFrame | Paths, journeys: pd.DataFrame | None = None, **columns
) -> pd.DataFrame:
    """How often each channel starts, assists and closes converting journeys.

    Parameters
    ----------
    touches, journeys
        Journey tables (or :class:`Paths` and ``None``).
    **columns
        Column names for :func:`~workbench.attribution.inputs.paths_from_journeys`.

    Returns
    -------
    DataFrame
        ``channel, converting_journeys`` (conversions of paths containing the channel),
        ``starts`` (first touch), ``assists`` (a touch that is neither first nor last),
        ``closes`` (last touch), the same divided by all conversions as
        ``start_share, assist_share, close_share``, and ``role``: ``opener``,
        ``assister`` or ``closer`` (largest share, ties in that order) or ``none``.
    """
    paths = secondary_paths(touches, journeys, **columns)
    n = paths.n_channels
    conv_mask = paths.conversions > 0
    p = paths.subset(conv_mask)
    w = p.conversions
    pt, pos, length = p.path_of_touch, p.index_in_path, p.lengths
    first = np.bincount(p.codes[p.starts], weights=w, minlength=n) if p.n_paths else np.zeros(n)
    last = (
        np.bincount(p.codes[p.offsets[1:] - 1], weights=w, minlength=n)
        if p.n_paths
        else np.zeros(n)
    )
    middle = (pos > 0) & (pos < length[pt] - 1)

    def per_path_presence(mask: np.ndarray) -> np.ndarray:
        key = np.unique(pt[mask] * max(n, 1) + p.codes[mask])
        return np.bincount(key % max(n, 1), weights=w[key // max(n, 1)], minlength=n)

    assists = per_path_presence(middle)
    present = per_path_presence(np.ones(len(p.codes), dtype=bool))
    total = w.sum()
    shares = np.stack([first, assists, last]) / total if total > 0 else np.zeros((3, n))
    role = np.where(
        shares.max(axis=0) > 0,
        np.array(["opener", "assister", "closer"])[shares.argmax(axis=0)],
        "none",
    )
    return pd.DataFrame(
        {
            CHANNEL: pd.Series(list(paths.channels), dtype="str"),
            "converting_journeys": present,
            "starts": first,
            "assists": assists,
            "closes": last,
            "start_share": shares[0],
            "assist_share": shares[1],
            "close_share": shares[2],
            "role": pd.Series(role, dtype="str"),
        }
    )


def cost_metrics(
    credits: pd.DataFrame,
    spend: pd.DataFrame,
    *,
    channel: str = CHANNEL,
    spend_col: str = _SPEND,
    currency: str = CURRENCY,
) -> pd.DataFrame:
    """CPA and ROAS per channel per model from the spend table.

    Spend is summed per channel (rows without a channel are not attributable and are
    reported as an error, as is a mix of currencies). Channels with credit but no spend
    get spend 0.

    Returns
    -------
    DataFrame
        ``model, channel, spend, conversions, value, cpa, roas``; ``cpa`` = spend /
        conversions (NaN without conversions), ``roas`` = value / spend (NaN without
        spend).
    """
    _check_credits(credits)
    missing = [c for c in (channel, spend_col) if c not in spend.columns]
    if missing:
        raise ValidationError(
            [f"spend: missing column(s) {missing}; expected [{channel!r}, {spend_col!r}]"]
        )
    problems = []
    if currency in spend.columns and spend[currency].dropna().nunique() > 1:
        problems.append(
            f"spend: column {currency!r} mixes currencies {sorted(spend[currency].dropna().unique())}; "
            "expected one currency (convert first)"
        )
    amount = pd.to_numeric(spend[spend_col], errors="coerce")
    bad = amount.isna() | (amount < 0)
    if bad.any():
        problems.append(
            f"spend: column {spend_col!r} must be a number >= 0; got rows "
            f"{np.flatnonzero(bad.to_numpy())[:5].tolist()}"
        )
    no_channel = spend[channel].isna() & (amount.fillna(0) > 0)
    if no_channel.any():
        problems.append(
            f"spend: rows with spend but no {channel!r} cannot be attributed: rows "
            f"{np.flatnonzero(no_channel.to_numpy())[:5].tolist()}"
        )
    if problems:
        raise ValidationError(problems)
    by_channel = amount.groupby(spend[channel].astype("str")).sum()
    out = credits[list(CREDIT_COLUMNS)].copy()
    out.insert(2, "spend", by_channel.reindex(out[CHANNEL].to_numpy()).fillna(0.0).to_numpy())
    conv, val, cost = (out[c].to_numpy(dtype=np.float64) for c in ("conversions", "value", "spend"))
    out["cpa"] = np.divide(cost, conv, out=np.full(len(out), np.nan), where=conv > 0)
    out["roas"] = np.divide(val, cost, out=np.full(len(out), np.nan), where=cost > 0)
    return out.reset_index(drop=True)


def undercredited_by_last_click(
    credits: pd.DataFrame, *, baseline: str = "last", tolerance: float = 1e-9
) -> pd.DataFrame:
    """Channels that other models credit more than last click does.

    Returns
    -------
    DataFrame
        ``model, channel, baseline_conversions, conversions, difference, ratio,
        undercredited`` for every model other than ``baseline``; ``difference`` =
        conversions - baseline conversions, ``ratio`` = conversions / baseline (NaN when
        the baseline gives 0), ``undercredited`` when difference > ``tolerance`` (never
        for :data:`~workbench.attribution.incrementality.BASELINE`, which is no channel).
        Sorted by model, then difference descending.
    """
    _check_credits(credits)
    if baseline not in set(credits["model"]):
        raise ValidationError(
            [f"credits: baseline model {baseline!r} not present; models: {_models(credits)}"]
        )
    base = credits[credits["model"] == baseline].groupby(CHANNEL)["conversions"].sum()
    other = credits[credits["model"] != baseline][["model", CHANNEL, "conversions"]].copy()
    b = base.reindex(other[CHANNEL].to_numpy()).fillna(0.0).to_numpy()
    c = other["conversions"].to_numpy(dtype=np.float64)
    other.insert(2, "baseline_conversions", b)
    other["difference"] = c - b
    other["ratio"] = np.divide(c, b, out=np.full(len(c), np.nan), where=b > 0)
    other["undercredited"] = (other["difference"] > tolerance) & (other[CHANNEL] != BASELINE)
    order = {m: i for i, m in enumerate(_models(credits))}
    other["_o"] = other["model"].map(order)
    other = other.sort_values(["_o", "difference"], ascending=[True, False], kind="stable")
    return other.drop(columns="_o").reset_index(drop=True)


def truthfulness(
    credits: pd.DataFrame,
    truth: pd.DataFrame,
    *,
    channel: str = CHANNEL,
    conversions_lost: str = "conversions_lost",
    revenue_lost: str = "revenue_lost",
) -> pd.DataFrame:
    """Total-variation distance between each model's credit shares and the true shares.

    Channels missing on one side count as share 0 there. Credit to
    :data:`~workbench.attribution.incrementality.BASELINE` (the conversions a model
    estimates would have happened without marketing) is left out of the model's shares:
    both truths split only the conversions marketing caused over the channels, so the
    model's split of its incremental conversions is what is compared.

    Returns
    -------
    DataFrame
        ``model, tv_conversions, tv_value, truthfulness_conversions, truthfulness_value``
        (truthfulness = 1 - TV), sorted by ``tv_conversions``.
    """
    _check_credits(credits)
    missing = [c for c in (channel, conversions_lost, revenue_lost) if c not in truth.columns]
    if missing:
        raise ValidationError(
            [
                f"truth: missing column(s) {missing}; expected [{channel!r}, {conversions_lost!r}, {revenue_lost!r}]"
            ]
        )
    problems = []
    for col in (conversions_lost, revenue_lost):
        x = pd.to_numeric(truth[col], errors="coerce")
        if x.isna().any() or (x < 0).any() or x.sum() <= 0:
            problems.append(f"truth: column {col!r} must be numbers >= 0 with a positive total")
    if problems:
        raise ValidationError(problems)
    t = truth.groupby(truth[channel].astype("str"))[[conversions_lost, revenue_lost]].sum()
    rows = []
    for m in _models(credits):
        own = credits[(credits["model"] == m) & (credits[CHANNEL] != BASELINE)]
        c = own.groupby(CHANNEL)[["conversions", "value"]].sum()
        idx = t.index.union(c.index)
        tv = []
        for ours, theirs in (("conversions", conversions_lost), ("value", revenue_lost)):
            a = c[ours].reindex(idx).fillna(0.0).to_numpy(dtype=np.float64)
            b = t[theirs].reindex(idx).fillna(0.0).to_numpy(dtype=np.float64)
            a = a / a.sum() if a.sum() > 0 else a
            tv.append(0.5 * np.abs(a - b / b.sum()).sum())
        rows.append((m, tv[0], tv[1]))
    out = pd.DataFrame(rows, columns=["model", "tv_conversions", "tv_value"])
    out["model"] = out["model"].astype("str")
    out["truthfulness_conversions"] = 1.0 - out["tv_conversions"]
    out["truthfulness_value"] = 1.0 - out["tv_value"]
    return out.sort_values("tv_conversions", kind="stable").reset_index(drop=True)
