"""Stage funnels over journeys: entrants, completion, drop-off and friction points.

Stages come from the ``[stages]`` config: each stage is reached by a touch whose
``touch_type`` is listed, whose ``page`` matches one of the ``pages`` regexes,
whose ``event_name`` is listed in ``events`` or whose ``channel`` is listed in
``channels`` -- or by the journey's own conversion when its type is in
``conversion_types`` (at ``conversion_ts``). A ``conversion`` stage without any
criterion is reached by every conversion. A touch may count for several stages.

A journey *continues* from step ``k`` to ``k+1`` with its first qualifying event
at or after the time it reached step ``k`` (within the step's time limit, if
any). Exclusion steps remove a journey at step ``k+1`` when an excluded touch
happens strictly between its step-``k`` time and its step-``k+1`` time.

* **closed** funnels: journeys enter at step 1 only;
* **open** funnels: a journey not at step ``k-1`` enters at step ``k`` (at its
  first qualifying event) -- counted in ``new_entrants``.

Every number counts journeys; ``journeys`` repeats the segment's total so that
the funnel reconciles with the journey table and the flow. Journeys end at the
conversion, so a ``retention`` stage is only reached by touches at the
conversion time or by conversion types mapped to it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from workbench.analysis.segments import Segments, segment_masks
from workbench.errors import ValidationError
from workbench.journeys.build import touch_journey_index
from workbench.schema import CHANNEL, CONVERSION_TYPE, TOUCH_TYPE, TS

__all__ = [
    "FUNNEL_COLUMNS",
    "STAGE_ORDER",
    "TREND_FREQUENCIES",
    "friction_points",
    "stage_funnel",
    "trended_funnel",
]

#: Default order of the stages.
STAGE_ORDER: tuple[str, ...] = ("awareness", "consideration", "decision", "conversion", "retention")
#: Columns of :func:`stage_funnel`.
FUNNEL_COLUMNS: tuple[str, ...] = (
    "segment",
    "step",
    "stage",
    "journeys",
    "entrants",
    "new_entrants",
    "completed",
    "dropped",
    "excluded",
    "completion_rate",
    "drop_off_rate",
    "share_of_first_step",
    "share_of_journeys",
    "median_days_from_previous",
    "conversions",
)
_CRITERIA = ("touch_types", "pages", "events", "channels", "conversion_types")
_NEVER = np.iinfo(np.int64).max
_US_PER_DAY = 86_400 * 1_000_000


def _us(values: pd.Series) -> np.ndarray:
    naive = values.dt.tz_convert("UTC").dt.tz_localize(None)
    return naive.to_numpy(dtype="datetime64[us]").view(np.int64)


def _touch_mask(touches: pd.DataFrame, spec: Mapping[str, Any]) -> np.ndarray:
    mask = np.zeros(len(touches), dtype=bool)
    for key, col in (("touch_types", TOUCH_TYPE), ("events", "event_name"), ("channels", CHANNEL)):
        if spec.get(key) and col in touches.columns:
            mask |= touches[col].isin(list(spec[key])).to_numpy(dtype=bool)
    if spec.get("pages") and "page" in touches.columns:
        pattern = "|".join(f"(?:{p})" for p in spec["pages"])
        hit = touches["page"].astype("string").str.contains(pattern, regex=True)
        mask |= hit.fillna(False).to_numpy(dtype=bool)
    return mask


def _validate(
    stages: Mapping[str, Mapping[str, Any]],
    steps: Sequence[str],
    mode: str,
    time_limits: Mapping[str, float],
    exclude: Mapping[str, Mapping[str, Any]],
) -> None:
    problems = []
    if mode not in ("closed", "open"):
        problems.append(f"mode = {mode!r}; expected 'closed' or 'open'")
    if not steps:
        problems.append("the funnel needs at least one step")
    for step in steps:
        if step not in stages and step != "conversion":
            problems.append(
                f"step {step!r} has no stage definition; defined: {', '.join(stages) or 'none'}"
            )
    for name, spec in stages.items():
        unknown = set(spec) - set(_CRITERIA)
        if unknown:
            problems.append(
                f"stage {name!r}: unknown keys {sorted(unknown)}; allowed: {', '.join(_CRITERIA)}"
            )
    for where, table in (("time_limits", time_limits), ("exclude", exclude)):
        for step in table:
            if step not in steps or step == steps[0]:
                problems.append(
                    f"{where}[{step!r}]: applies between a step and the one before it, so it "
                    f"must name one of {', '.join(steps[1:]) or 'no later step'}"
                )
    if problems:
        raise ValidationError(problems, context="stage_funnel")


def _step_times(
    journeys: pd.DataFrame,
    touches: pd.DataFrame,
    stages: Mapping[str, Mapping[str, Any]],
    steps: Sequence[str],
    mode: str,
    time_limits: Mapping[str, float],
    exclude: Mapping[str, Mapping[str, Any]],
) -> dict[str, np.ndarray]:
    """Per journey and step: reached, time, continued, fresh entry, excluded."""
    n_j, n_s = len(journeys), len(steps)
    j = touch_journey_index(touches, journeys)
    ok = j >= 0
    t = _us(touches[TS])
    conv = journeys["converted"].to_numpy(dtype=bool)
    conv_t = np.where(conv, _us(journeys["conversion_ts"].fillna(pd.Timestamp(0, tz="UTC"))), 0)
    at = np.zeros((n_j, n_s), dtype=bool)
    when = np.full((n_j, n_s), _NEVER, dtype=np.int64)
    cont = np.zeros((n_j, n_s), dtype=bool)
    fresh = np.zeros((n_j, n_s), dtype=bool)
    excl = np.zeros((n_j, n_s), dtype=bool)
    for k, step in enumerate(steps):
        spec = dict(stages.get(step, {}))
        m = _touch_mask(touches, spec) & ok
        ej, et = j[m], t[m]
        types = spec.get("conversion_types")
        if types or (step == "conversion" and not any(spec.get(c) for c in _CRITERIA)):
            hit = conv.copy()
            if types:
                hit &= journeys[CONVERSION_TYPE].isin(list(types)).to_numpy(dtype=bool)
            ej = np.concatenate([ej, np.flatnonzero(hit)])
            et = np.concatenate([et, conv_t[hit]])
        first = np.full(n_j, _NEVER, dtype=np.int64)
        np.minimum.at(first, ej, et)
        if k == 0:
            at[:, 0] = first < _NEVER
            when[:, 0] = first
            fresh[:, 0] = at[:, 0]
            continue
        prev_at, prev_t = at[:, k - 1], when[:, k - 1]
        good = prev_at[ej] & (et >= prev_t[ej])
        if step in time_limits:
            good &= et - prev_t[ej] <= int(time_limits[step] * _US_PER_DAY)
        nxt = np.full(n_j, _NEVER, dtype=np.int64)
        np.minimum.at(nxt, ej[good], et[good])
        cont[:, k] = nxt < _NEVER
        if step in exclude:
            xm = _touch_mask(touches, exclude[step]) & ok
            xj, xt = j[xm], t[xm]
            hitx = cont[xj, k] & (xt > prev_t[xj]) & (xt < nxt[xj])
            excl[np.unique(xj[hitx]), k] = True
            cont[:, k] &= ~excl[:, k]
        at[:, k] = cont[:, k]
        when[:, k] = np.where(cont[:, k], nxt, _NEVER)
        if mode == "open":
            fresh[:, k] = ~prev_at & (first < _NEVER)
            at[:, k] |= fresh[:, k]
            when[:, k] = np.where(fresh[:, k], first, when[:, k])
    return {"at": at, "when": when, "cont": cont, "fresh": fresh, "excl": excl}


def stage_funnel(
    journeys: pd.DataFrame,
    touches: pd.DataFrame,
    stages: Mapping[str, Mapping[str, Any]],
    *,
    steps: Sequence[str] | None = None,
    mode: str = "closed",
    time_limits: Mapping[str, float] | None = None,
    exclude: Mapping[str, Mapping[str, Any]] | None = None,
    segments: Segments = None,
    include_all: bool = True,
) -> pd.DataFrame:
    """Stage funnel per segment (see the module docstring for the rules).

    Parameters
    ----------
    journeys, touches
        Tables of a :class:`~workbench.journeys.build.JourneySet`.
    stages
        ``{stage: {touch_types, pages, events, channels, conversion_types}}``,
        e.g. ``config.stages``.
    steps
        Stage names in funnel order; default: the stages of
        :data:`STAGE_ORDER` that are defined, plus ``conversion``.
    mode
        ``"closed"`` (enter at step 1 only) or ``"open"`` (enter at any step).
    time_limits
        ``{step: days}``: most days allowed from the previous step to this one.
    exclude
        ``{step: criteria}``: journeys with such a touch between the previous
        step and this one are removed at this step.
    segments
        Breakdown (see :mod:`workbench.analysis.segments`); ``"All journeys"`` is added
        when ``include_all``.

    Returns
    -------
    pandas.DataFrame
        :data:`FUNNEL_COLUMNS`, one row per segment and step. ``completed``,
        ``dropped``, ``excluded`` and the rates describe the move to the *next*
        step (missing on the last step); ``median_days_from_previous`` is over
        journeys that continued into the step.
    """
    if steps is None:
        steps = [s for s in STAGE_ORDER if s in stages or s == "conversion"]
    steps, limits, excl = list(steps), dict(time_limits or {}), dict(exclude or {})
    _validate(stages, steps, mode, limits, excl)
    st = _step_times(journeys, touches, stages, steps, mode, limits, excl)
    masks = segment_masks(journeys, segments, include_all=include_all)
    at, when, cont, fresh, ex = st["at"], st["when"], st["cont"], st["fresh"], st["excl"]
    conv = journeys["converted"].to_numpy(dtype=bool)
    gap = np.full(at.shape, np.nan)
    gap[:, 1:] = np.where(
        cont[:, 1:], (when[:, 1:] - np.where(cont[:, 1:], when[:, :-1], 0)) / _US_PER_DAY, np.nan
    )
    rows = []
    last = len(steps) - 1
    for name, m in masks.items():
        total = int(m.sum())
        first_n = int((at[:, 0] & m).sum())
        for k, step in enumerate(steps):
            here = at[:, k] & m
            n = int(here.sum())
            done = int((here & cont[:, k + 1]).sum()) if k < last else None
            gone = int((here & ex[:, k + 1]).sum()) if k < last else None
            days = gap[cont[:, k] & m, k]
            rows.append(
                {
                    "segment": name,
                    "step": k + 1,
                    "stage": step,
                    "journeys": total,
                    "entrants": n,
                    "new_entrants": int((fresh[:, k] & m).sum()),
                    "completed": done,
                    "dropped": None if done is None else n - done,
                    "excluded": gone,
                    "completion_rate": done / n if done is not None and n else np.nan,
                    "drop_off_rate": (n - done) / n if done is not None and n else np.nan,
                    "share_of_first_step": n / first_n if first_n else np.nan,
                    "share_of_journeys": n / total if total else np.nan,
                    "median_days_from_previous": float(np.median(days)) if len(days) else np.nan,
                    "conversions": int((here & conv).sum()),
                }
            )
    out = pd.DataFrame(rows, columns=list(FUNNEL_COLUMNS))
    ints = ("completed", "dropped", "excluded")
    out = out.astype({c: "Int64" for c in ints} | {"segment": "string", "stage": "string"})
    return out.astype({"step": "int64", "journeys": "int64", "entrants": "int64"})


def friction_points(funnel: pd.DataFrame, *, n: int | None = None) -> pd.DataFrame:
    """Step transitions ranked by journeys lost, per segment.

    Returns
    -------
    pandas.DataFrame
        ``segment, rank, step, from_stage, to_stage, entrants, lost_journeys,
        drop_off_rate, share_of_lost, median_days_to_next``; ``share_of_lost``
        is the transition's share of all journeys lost in the segment's funnel.
    """
    f = funnel.sort_values(["segment", "step"], kind="stable")
    nxt = f.groupby("segment", sort=False).shift(-1)
    out = pd.DataFrame(
        {
            "segment": f["segment"],
            "step": f["step"],
            "from_stage": f["stage"],
            "to_stage": nxt["stage"],
            "entrants": f["entrants"],
            "lost_journeys": f["dropped"],
            "drop_off_rate": f["drop_off_rate"],
            "median_days_to_next": nxt["median_days_from_previous"],
        }
    )
    out = out.loc[out["to_stage"].notna()].copy()
    lost_total = out.groupby("segment")["lost_journeys"].transform("sum")
    out["share_of_lost"] = (out["lost_journeys"] / lost_total.where(lost_total > 0)).astype(float)
    order = list(dict.fromkeys(funnel["segment"]))
    out["_seg"] = out["segment"].map({s: i for i, s in enumerate(order)})
    out = out.sort_values(["_seg", "lost_journeys", "step"], ascending=[True, False, True])
    out["rank"] = out.groupby("segment", sort=False).cumcount() + 1
    if n is not None:
        out = out.loc[out["rank"] <= n]
    cols = ["segment", "rank", "step", "from_stage", "to_stage", "entrants", "lost_journeys"]
    out = out[[*cols, "drop_off_rate", "share_of_lost", "median_days_to_next"]]
    return out.astype({"rank": "int64", "lost_journeys": "int64"}).reset_index(drop=True)


#: Allowed ``freq`` of :func:`trended_funnel` and the pandas period behind each.
TREND_FREQUENCIES: dict[str, str] = {"week": "W-SUN", "month": "M"}


def trended_funnel(
    journeys: pd.DataFrame,
    touches: pd.DataFrame,
    stages: Mapping[str, Mapping[str, Any]],
    *,
    freq: str = "week",
    steps: Sequence[str] | None = None,
    mode: str = "closed",
) -> pd.DataFrame:
    """The stage funnel of each week's or month's cohort of journeys.

    A journey belongs to the week (starting Monday, UTC) or calendar month in which
    it ends: its conversion, or its last touch when it did not convert -- the time
    the reporting window selects journeys by, so every cohort is chosen the same
    way (cohorts by first touch would hold only the long, converting journeys that
    started before the window). Each cohort's funnel is :func:`stage_funnel` over
    its journeys, so the cohorts add up to the whole.

    Parameters
    ----------
    freq
        ``"week"`` or ``"month"`` (:data:`TREND_FREQUENCIES`).
    steps, mode
        As for :func:`stage_funnel`.

    Returns
    -------
    pandas.DataFrame
        ``period`` (first day of the cohort, UTC timestamp), ``step, stage,
        journeys, entrants, completion_rate, share_of_journeys, conversions``,
        one row per cohort and step, cohorts in time order (cohorts without a
        journey are not listed).
    """
    if freq not in TREND_FREQUENCIES:
        raise ValidationError(
            f"freq = {freq!r}; expected one of {', '.join(TREND_FREQUENCIES)}",
            context="trended_funnel",
        )
    cols = ["period", "step", "stage", "journeys", "entrants", "completion_rate"]
    cols += ["share_of_journeys", "conversions"]
    j = touch_journey_index(touches, journeys)
    ok = j >= 0
    last = np.full(len(journeys), np.iinfo(np.int64).min, dtype=np.int64)
    np.maximum.at(last, j[ok], _us(touches[TS])[ok])
    last_touch = pd.Series(
        pd.to_datetime(np.where(last > np.iinfo(np.int64).min, last, 0), unit="us", utc=True),
        index=journeys.index,
    ).where(last > np.iinfo(np.int64).min)
    converted = journeys["converted"].to_numpy(dtype=bool)
    when = pd.to_datetime(journeys["conversion_ts"], utc=True).where(converted, last_touch)
    naive = when.dt.tz_localize(None)
    cohort = naive.dt.to_period(TREND_FREQUENCIES[freq]).dt.start_time.dt.tz_localize("UTC")
    starts = sorted(cohort.dropna().unique())
    if not starts:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in cols})
    masks = {f"{t:%Y-%m-%d}": (cohort == t).to_numpy() for t in starts}
    out = stage_funnel(
        journeys, touches, stages, steps=steps, mode=mode, segments=masks, include_all=False
    )
    out["period"] = pd.to_datetime(out["segment"].astype(str)).dt.tz_localize("UTC")
    return out[cols].sort_values(["period", "step"], ignore_index=True)
