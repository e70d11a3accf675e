"""The notebooks' entry point: config + prepared tables + person attributes.

A notebook does ``ws = Workspace.load(config, processed_dir)`` and then asks
for journeys of a segment and period; everything else is a call into the
analysis modules. Empty strings mean "the default", so notebook parameters can
be plain ``str``; the environment variables ``WORKBENCH_CONFIG`` and
``WORKBENCH_PROCESSED_DIR`` override the defaults (the notebook tests use them
to point the notebooks at a small prepared sample).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

import pandas as pd

from workbench.analysis.segments import segment_mask
from workbench.attribution.calibration import experiments_frame, read_experiments
from workbench.config import Config, SegmentConfig, load_config
from workbench.errors import WorkbenchError
from workbench.identity.attributes import person_attributes
from workbench.journeys.build import JourneySet, build_journeys, touch_journey_index
from workbench.journeys.rules import apply_journey_rules
from workbench.periods import DateWindow, resolve_window
from workbench.prepare import Prepared, load_prepared
from workbench.schema import JOURNEY_ID, TS

__all__ = ["ALL", "INTERNAL_REASON", "Workspace", "drop_internal", "resolve_paths"]

#: The segment name meaning "every journey".
ALL = "all"


def resolve_paths(
    config: str | Path | None = "", processed_dir: str | Path | None = ""
) -> tuple[Path | None, Path | None]:
    """Turn notebook-style parameters ("" = default) into paths.

    ``$WORKBENCH_CONFIG`` stands in for an empty ``config``. ``$WORKBENCH_PROCESSED_DIR``
    stands in for an empty ``processed_dir`` only when ``config`` is empty too: a config
    named explicitly brings its own ``processed_dir``.
    """
    explicit = bool(config)
    cfg = str(config or os.environ.get("WORKBENCH_CONFIG", "")) or None
    out = str(processed_dir or ("" if explicit else os.environ.get("WORKBENCH_PROCESSED_DIR", "")))
    return (Path(cfg) if cfg else None, Path(out) if out else None)


@dataclass
class Workspace:
    """A loaded project: its config, prepared tables and person attributes."""

    config: Config
    prepared: Prepared
    people: pd.DataFrame
    _cache: dict[tuple, JourneySet] = field(default_factory=dict, repr=False)
    _rules_cache: dict[bool, tuple] = field(default_factory=dict, repr=False)

    @classmethod
    def load(
        cls, config: str | Path | None = "", processed_dir: str | Path | None = ""
    ) -> Workspace:
        """Load the config and the tables ``workbench prepare`` wrote.

        Parameters
        ----------
        config
            Config file; "" means ``$WORKBENCH_CONFIG`` or ``workbench.toml``.
        processed_dir
            Prepared tables; "" means ``$WORKBENCH_PROCESSED_DIR`` or the config's
            ``processed_dir``.
        """
        cfg_path, out = resolve_paths(config, processed_dir)
        cfg = load_config(cfg_path)
        folder = Path(out if out is not None else cfg.processed_dir)
        key = (repr(cfg), _stamp(cfg.path), _folder_stamp(folder))
        loaded = _LOADED.get(key)
        if loaded is None:
            prepared = load_prepared(folder)
            people = person_attributes(
                prepared.people,
                accounts=prepared.accounts,
                conversions=prepared.conversions,
                derived=cfg.attributes,
            )
            loaded = cls(config=cfg, prepared=prepared, people=people)
            _LOADED.clear()  # one project at a time
            _LOADED[key] = loaded
        return loaded._fresh(cfg)

    def _fresh(self, config: Config) -> Workspace:
        """A copy for another notebook: shallow copies of the tables, shared caches.

        Adding or replacing a column in a copy does not change the tables the
        next notebook of the kernel gets; the journeys cache hands out copies too.
        """
        prepared = replace(
            self.prepared,
            **{
                f.name: _copy(getattr(self.prepared, f.name))
                for f in fields(self.prepared)
                if isinstance(getattr(self.prepared, f.name), pd.DataFrame)
            },
            diagnostics={k: _copy(v) for k, v in self.prepared.diagnostics.items()},
            warnings=list(self.prepared.warnings),
        )
        return Workspace(
            config=config,
            prepared=prepared,
            people=_copy(self.people),
            _cache=self._cache,
            _rules_cache=self._rules_cache,
        )

    # --- periods and segments ----------------------------------------------------------
    def data_range(self) -> tuple[pd.Timestamp, pd.Timestamp]:
        """From the first touchpoint to the last touchpoint or conversion.

        CRM exports often carry old records (a contact created years ago), so the
        start is the first touchpoint (the first conversion when there is none);
        the end includes conversions that close after the last touch. A project
        with spend only (no touch, no conversion) spans its spend days.
        """
        touches = self.prepared.touchpoints[TS].dropna()
        conversions = self.prepared.conversions[TS].dropna()
        if touches.empty and conversions.empty:
            days = pd.to_datetime(self.prepared.spend.get("date"), utc=True).dropna()
            if days.empty:
                raise WorkbenchError("the prepared tables hold no timestamped rows")
            return days.min(), days.max() + pd.Timedelta(days=1) - pd.Timedelta("1us")
        first = touches.min() if len(touches) else conversions.min()
        return first, pd.concat([touches, conversions]).max()

    def period(
        self, period_days: int = 0, end: str = "", start: str = ""
    ) -> tuple[pd.Timestamp | None, pd.Timestamp | None]:
        """The half-open reporting period ``(start, stop)`` (see :mod:`workbench.periods`).

        ``start`` / ``end`` are inclusive ISO days ("" = not set); ``period_days``
        counts back from ``end`` (the end of the data when not set), 0 means no start.
        """
        return self.window(start=start, end=end, period_days=period_days).period

    def window(
        self,
        *,
        start: str = "",
        end: str = "",
        period_days: int = 0,
        compare: str = "none",
        lookback_days: int = 0,
    ) -> DateWindow:
        """The reporting window and its comparison window (:func:`workbench.periods.resolve_window`)."""
        return resolve_window(
            data_end=self.data_range()[1],
            start=start,
            end=end,
            period_days=period_days,
            compare=compare,
            lookback_days=lookback_days or self.config.journeys.lookback_days,
        )

    def segments(self) -> dict[str, SegmentConfig]:
        """The config's named segments."""
        return dict(self.config.segments)

    def segment_label(self, segment: str) -> str:
        """A readable name for ``segment`` ("All journeys" for ``all``)."""
        if segment == ALL:
            return "All journeys"
        return self._segment(segment).label or segment

    def _segment(self, segment: str) -> SegmentConfig:
        if segment not in self.config.segments:
            known = ", ".join([ALL, *self.config.segments])
            raise WorkbenchError(f"segment = {segment!r} is not defined; known segments: {known}")
        return self.config.segments[segment]

    # --- journeys ------------------------------------------------------------------------
    def journeys(
        self,
        *,
        segment: str = ALL,
        period_days: int = 0,
        end: str = "",
        start: str = "",
        period: tuple[pd.Timestamp | None, pd.Timestamp | None] | None = None,
        lookback_days: int | None = None,
        conversion_types: list[str] | None = None,
        unit: str | None = None,
        path_level: str | None = None,
        touch_types: list[str] | None = None,
        collapse_repeats: bool | None = None,
        include_internal: bool = False,
    ) -> JourneySet:
        """Journeys of a segment in a period (defaults from the config's ``[journeys]``).

        ``start`` / ``end`` / ``period_days`` give the window (see :meth:`window`);
        ``period`` (``(start, stop)`` timestamps, e.g. a comparison window) overrides
        them. Internal and test people are left out unless ``include_internal``; the
        count of what was left out is in the returned set's ``excluded``.
        """
        jc = self.config.journeys
        if period is None:
            period = self.period(period_days, end, start)
        unit = unit or jc.unit
        options: dict[str, Any] = dict(  # defaults resolved: equal requests share a cache entry
            lookback_days=lookback_days or jc.lookback_days,
            unit=unit,
            touch_types=touch_types or (list(jc.touch_types) if jc.touch_types else None),
            collapse_repeats=jc.collapse_repeats if collapse_repeats is None else collapse_repeats,
            path_level=path_level or jc.path_level,
            conversion_types=conversion_types
            or (list(jc.conversion_types) if jc.conversion_types else None),
            period=period,
        )
        key = (segment, include_internal, *(_hashable(v) for v in options.values()))
        if key in self._cache:
            return _copy_set(self._cache[key])
        seg = None if segment == ALL else self._segment(segment)
        if seg is None:
            out = self._all_journeys(options, include_internal)
        else:  # the segment's rows of every journey: built once for all segments
            everyone = self.journeys(
                segment=ALL, include_internal=include_internal, **options
            )  # resolved options resolve to themselves
            out = self._segment_set(everyone, seg, segment)
        self._cache[key] = out
        return _copy_set(out)

    def _all_journeys(self, options: dict[str, Any], include_internal: bool) -> JourneySet:
        """Every journey (no segment filter) with ``options`` resolved by :meth:`journeys`."""
        tp, conv, rule_counts, dropped = self._rules_applied(include_internal)
        dropped = dropped + [
            ("touchpoints", f"{r.step}: {r.rule}", int(r.touches)) for r in rule_counts.itertuples()
        ]
        js = build_journeys(
            tp,
            conv,
            **options,
            attributes=self.people.drop(columns=["account_id"], errors="ignore")
            if options["unit"] == "person"
            else None,
        )
        extra = pd.DataFrame(dropped, columns=["table", "reason", "rows"])
        excluded = pd.concat([js.excluded, extra[extra["rows"] > 0]], ignore_index=True)
        return JourneySet(
            journeys=js.journeys,
            touches=js.touches,
            excluded=excluded,
            settings={**js.settings, "segment": ALL},
        )

    @staticmethod
    def _segment_set(everyone: JourneySet, seg: SegmentConfig, segment: str) -> JourneySet:
        """The journeys of ``everyone`` in segment ``seg`` (named ``segment``), their touches."""
        journeys = everyone.journeys
        try:
            mask = segment_mask(journeys, seg)
        except Exception as exc:  # noqa: BLE001 - any failure is a config problem
            raise WorkbenchError(
                f"segments.{seg.name}.filter = {seg.filter!r} cannot be evaluated on the "
                f"journeys: {exc}; columns: {', '.join(map(str, journeys.columns))}"
            ) from None
        journeys = journeys.loc[mask].reset_index(drop=True)
        touches = everyone.touches
        touches = touches[touches[JOURNEY_ID].isin(journeys[JOURNEY_ID])].reset_index(drop=True)
        return JourneySet(
            journeys=journeys,
            touches=touches,
            excluded=everyone.excluded,
            settings={**everyone.settings, "segment": segment},
        )

    def _rules_applied(
        self, include_internal: bool
    ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, list[tuple[str, str, int]]]:
        """Touchpoints after the journey rules, conversions, rule counts and rows left out.

        Internal and test people's rows are left out first unless ``include_internal``;
        computed once per kernel (the tables do not change between notebooks).
        """
        if include_internal not in self._rules_cache:
            tp, conv = self.prepared.touchpoints, self.prepared.conversions
            dropped: list[tuple[str, str, int]] = []
            if not include_internal:
                tp, n_tp = drop_internal(tp)
                conv, n_conv = drop_internal(conv)
                dropped = [
                    (name, INTERNAL_REASON, n)
                    for name, n in (("touchpoints", n_tp), ("conversions", n_conv))
                ]
            tp, counts = apply_journey_rules(tp, conv, self.config.journey_rules)
            self._rules_cache[include_internal] = (tp, conv, counts, dropped)
        return self._rules_cache[include_internal]

    def journey_rule_counts(self, *, include_internal: bool = False) -> pd.DataFrame:
        """Touches merged and excluded by the journey rules, one row per rule.

        The ``[journeys.merge]`` / ``[journeys.exclude]`` rules; columns ``step,
        rule, touches``, for the data-health report.
        """
        return self._rules_applied(include_internal)[2].copy()

    def experiments(self) -> pd.DataFrame:
        """The config's lift-test experiments (``[[experiments]]`` or the CSV it names)."""
        if self.config.experiments_path is not None:
            return read_experiments(self.config.experiments_path)
        return experiments_frame(list(self.config.experiments), where="[[experiments]]")

    def touch_index(self, js: JourneySet) -> pd.Series:
        """Row position in ``js.journeys`` of each touch of ``js.touches``."""
        return pd.Series(touch_journey_index(js.touches, js.journeys), index=js.touches.index)

    def truth_contribution(self) -> pd.DataFrame | None:
        """The sample's true channel contributions, when the config names a ``truth_dir``."""
        truth = self.config.truth_dir
        if truth is None:
            return None
        path = Path(truth) / "channel_contribution.csv"
        return pd.read_csv(path) if path.is_file() else None


#: Workspaces loaded in this process (a report kernel runs many notebooks on the same
#: tables), by config and the prepared folder's files; see :meth:`Workspace.load`.
_LOADED: dict[tuple, Workspace] = {}


def _stamp(path: Path | str | None) -> tuple:
    """A file's identity for the cache: path, modification time and size (None if absent)."""
    if path is None:
        return (None,)
    try:
        st = os.stat(path)
    except OSError:
        return (str(path), None)
    return (str(Path(path).resolve()), st.st_mtime_ns, st.st_size)


def _folder_stamp(folder: Path) -> tuple:
    """:func:`_stamp` of every file in ``folder`` and its ``diagnostics`` folder."""
    files = [p for d in (folder, folder / "diagnostics") if d.is_dir() for p in d.iterdir()]
    return (str(folder.resolve()), *sorted(_stamp(p) for p in files if p.is_file()))


def _hashable(value: object) -> object:
    """A cache-key part: lists become tuples."""
    return tuple(value) if isinstance(value, list) else value


def _copy(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.copy(deep=False)


def _copy_set(js: JourneySet) -> JourneySet:
    """A cached journey set with its own (shallow) frames and settings."""
    return replace(
        js,
        journeys=_copy(js.journeys),
        touches=_copy(js.touches),
        excluded=_copy(js.excluded),
        settings=dict(js.settings),
    )


#: The reason internal and test people's rows are left out of journeys.
INTERNAL_REASON = "internal or test person"


def drop_internal(frame: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """The rows of ``frame`` not flagged ``is_internal`` (internal or test people).

    The one internal-person filter of the journeys, the reports and the exports.

    Returns
    -------
    tuple
        The kept rows (``frame`` itself when none is flagged) and how many were dropped.
    """
    if "is_internal" not in frame.columns:
        return frame, 0
    internal = frame["is_internal"].fillna(False).astype(bool).to_numpy()
    n = int(internal.sum())
    return (frame.loc[~internal] if n else frame), n
