"""Raw exports -> canonical, channel-grouped, stitched tables (``workbench prepare``).

:func:`prepare` reads every configured source, validates and quarantines rows,
assigns channels, stitches identities and returns a :class:`Prepared` bundle;
:func:`write_prepared` / :func:`load_prepared` store and reload it as Parquet
files in ``data/processed/`` (atomically, with a manifest: :mod:`workbench.store`).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from workbench.config import Config
from workbench.errors import ValidationError, WorkbenchError
from workbench.ingest.quarantine import Quarantine, quarantine_summary
from workbench.ingest.validation import conform, keep_rows_releasing, quarantine_mask
from workbench.intcodes import with_plain_strings
from workbench.partitioned import read_table, table_exists, write_table
from workbench.schema import CHANNEL, CONVERSIONS, IDENTITY_LINKS, PERSON_ID, SPEND, TOUCHPOINTS

__all__ = ["TABLE_FILES", "Prepared", "Steps", "load_prepared", "prepare", "write_prepared"]

#: The Parquet files ``prepare`` writes, by table name.
TABLE_FILES: tuple[str, ...] = (
    "touchpoints",
    "conversions",
    "spend",
    "identities",
    "identity_links",
    "people",
    "accounts",
    "quarantine",
    "sources",
)


@dataclass
class Prepared:
    """Everything ``prepare`` produces.

    Attributes
    ----------
    touchpoints, conversions, spend, identities, identity_links, quarantine
        Canonical tables (see :mod:`workbench.schema`); touchpoints and
        conversions carry ``person_id`` and ``account_id``.
    people
        One row per person: ``person_id``, ``account_id``, ``is_known``,
        ``is_internal``, ``is_shared`` and identifier counts.
    accounts
        CRM company attributes by ``account_id`` (may be empty).
    sources
        One row per source file: ``source``, ``format``, ``file``, ``rows``,
        ``first_ts``, ``last_ts``.
    diagnostics
        Stitching diagnostics tables by name.
    warnings
        Notes from the readers (schema drift, skipped summary rows, ...).
    """

    touchpoints: pd.DataFrame
    conversions: pd.DataFrame
    spend: pd.DataFrame
    identities: pd.DataFrame
    identity_links: pd.DataFrame
    quarantine: pd.DataFrame
    people: pd.DataFrame = field(default_factory=pd.DataFrame)
    accounts: pd.DataFrame = field(default_factory=pd.DataFrame)
    sources: pd.DataFrame = field(default_factory=pd.DataFrame)
    diagnostics: dict[str, pd.DataFrame] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def summary(self) -> pd.DataFrame:
        """Headline numbers as a long frame (``metric``, ``value``)."""
        known = self.touchpoints["person_id"].notna().mean() if len(self.touchpoints) else 0.0
        rows = [
            ("rows read", int(self.sources["rows"].sum()) if len(self.sources) else 0),
            ("touchpoints", len(self.touchpoints)),
            ("conversions", len(self.conversions)),
            ("spend rows", len(self.spend)),
            ("quarantined rows", len(self.quarantine)),
            ("people", int(self.identities["person_id"].nunique()) if len(self.identities) else 0),
            ("touchpoints with a person", round(float(known), 4)),
        ]
        return pd.DataFrame(
            {
                "metric": [m for m, _ in rows],
                "value": pd.Series([v for _, v in rows], dtype=object),
            }
        )


@dataclass(frozen=True)
class Steps:
    """The stages an engine may run elsewhere; ``None`` runs a stage in this process.

    The rules stay in one place: an engine distributes the same functions
    (e.g. ``workbench.spark``, chosen by the CLI), it does not reimplement them.

    Attributes
    ----------
    read
        Reads every source: ``read(sources) -> [ReadResult, ...]`` in the same order.
    channels
        ``channels(touchpoints, rules) -> touchpoints`` with the channel column set
        (:func:`workbench.ingest.channels.assign_channels` semantics).
    components
        Connected components of the identity graph:
        ``components(a, b, n_nodes) -> (labels, n_components)`` with labels numbered
        like scipy's (see :func:`workbench.identity.graph.build_graph`).
    """

    read: Callable[[list], list] | None = None
    channels: Callable[[pd.DataFrame, tuple], pd.DataFrame] | None = None
    components: Callable | None = None


def _progress_noop(message: str) -> None:
    return None


def prepare(
    config: Config,
    *,
    progress: Callable[[str], None] | None = None,
    previous: pd.DataFrame | None = None,
    strict: bool = False,
    steps: Steps | None = None,
) -> Prepared:
    """Read, validate, channel-group and stitch every enabled source of ``config``.

    Parameters
    ----------
    config
        The validated project configuration.
    progress
        Called with a short message as each stage starts (for the CLI).
    previous
        The ``identities`` table of an earlier run: people keep their
        ``person_id`` when new data arrives (see :func:`workbench.identity.stitch.stitch`).
    strict
        Fail (:class:`~workbench.errors.ValidationError`) instead of warning when a
        source loses more than its ``options.max_quarantine_share`` of rows to one
        quarantine reason (see :mod:`workbench.ingest.quarantine_checks`).
    steps
        Stages run by another engine (:class:`Steps`); ``None``: all in this process.

    Returns
    -------
    Prepared
    """
    from workbench.identity.stitch import stitch
    from workbench.ingest.channels import assign_channels
    from workbench.ingest.currency import unify_currencies
    from workbench.ingest.quarantine_checks import quarantine_alerts
    from workbench.ingest.readers import read_source
    from workbench.ingest.readers.options import check_options

    say = progress or _progress_noop
    steps = steps or Steps()
    parts: dict[str, list[pd.DataFrame]] = {"accounts": []}
    pending: dict[str, list[tuple[pd.DataFrame, np.ndarray]]] = {
        k: [] for k in ("touchpoints", "conversions", "identity_links", "spend")
    }
    quarantine = Quarantine()
    files: list[dict[str, object]] = []
    warnings: list[str] = []
    sources = [s for s in config.sources if s.enabled]
    if not sources:
        raise WorkbenchError(
            f"{config.path or 'config'}: no enabled [[sources]]; add at least one export"
        )
    check_options(sources, context=str(config.path or "config"))
    alerts: list[str] = []
    if steps.read is not None:
        say(f"reading {len(sources)} sources")
        results = iter(steps.read(sources))
    for i, source in enumerate(sources, 1):
        started = time.perf_counter()
        if steps.read is None:
            say(f"[{i}/{len(sources)}] reading {source.name} ({source.format})")
        result = read_source(source) if steps.read is None else next(results)
        for name, table in (
            ("touchpoints", TOUCHPOINTS),
            ("conversions", CONVERSIONS),
            ("identity_links", IDENTITY_LINKS),
            ("spend", SPEND),
        ):
            frame = getattr(result, name)
            if len(frame):  # rows are dropped once, when the tables are concatenated
                keep = quarantine_mask(frame, table, quarantine, source=source.name)
                pending[name].append((frame, keep))
        accounts = getattr(result, "accounts", None)
        if accounts is not None and len(accounts):
            parts["accounts"].append(accounts)
        quarantine.extend(result.quarantine)
        read = sum(int(f.get("rows", 0)) for f in result.files)
        alerts += quarantine_alerts(source, result.quarantine, read)
        warnings.extend(result.warnings)
        for entry in result.files:
            files.append({"source": source.name, "format": source.format, **entry})
        say(
            f"      {source.name}: {sum(int(f.get('rows', 0)) for f in result.files):,} rows "
            f"in {time.perf_counter() - started:.1f}s"
        )

    if alerts and strict:
        raise ValidationError(alerts, context=f"{config.path or 'config'} (prepare --strict)")
    warnings[:0] = alerts
    result = None  # the tables are handed to _concat, which releases them as it filters
    touchpoints = _concat(pending.pop("touchpoints"), TOUCHPOINTS)
    conversions = _concat(pending.pop("conversions"), CONVERSIONS)
    links = _concat(pending.pop("identity_links"), IDENTITY_LINKS)
    spend = _concat(pending.pop("spend"), SPEND)
    money, notes = unify_currencies(
        {"conversions": conversions, "spend": spend},
        currency=config.currency,
        rates=config.exchange_rates,
    )
    conversions, spend = money["conversions"], money["spend"]
    warnings.extend(notes)

    say("grouping channels")
    touchpoints = (steps.channels or assign_channels)(touchpoints, config.channel_rules)
    if len(spend):
        spend = _spend_channels(spend, touchpoints, config.channel_rules)

    say("stitching identities")
    stitched = stitch(
        touchpoints,
        conversions,
        links,
        config.identity,
        previous=previous,
        components=steps.components,
    )
    defined = define_conversions(stitched, config, quarantine)

    return Prepared(
        touchpoints=stitched.touchpoints,
        conversions=defined,
        spend=spend,
        identities=stitched.identities,
        identity_links=links,
        quarantine=quarantine.to_frame(),
        people=stitched.people,
        accounts=pd.concat(parts["accounts"], ignore_index=True)
        if parts["accounts"]
        else pd.DataFrame(),
        sources=_source_table(files),
        diagnostics=dict(stitched.diagnostics),
        warnings=warnings,
    )


def define_conversions(stitched, config: Config, quarantine: Quarantine) -> pd.DataFrame:
    """Apply the config's ``[conversions]`` definitions (see :mod:`workbench.ingest.conversions`).

    The merged duplicates go to ``stitched.diagnostics["conversion_dedup"]`` and the
    people's conversion counts are recounted.
    """
    from workbench.ingest.conversions import apply_definitions

    if not config.conversions:
        return stitched.conversions
    defined, dedup = apply_definitions(stitched.conversions, config.conversions, quarantine)
    stitched.diagnostics["conversion_dedup"] = dedup
    people = stitched.people
    people["conversions"] = _rows_per_person(defined[PERSON_ID], people[PERSON_ID])
    return defined


def _rows_per_person(person: pd.Series, ids: pd.Series) -> pd.Series:
    """How many rows of ``person`` each id of ``ids`` has (``int64``, aligned with ``ids``).

    Stitching's coded ``person_id`` has the people's ids as categories, in order:
    then the codes are counted directly (no string lookups).
    """
    if isinstance(person.dtype, pd.CategoricalDtype) and len(person.cat.categories) == len(ids):
        given = pa.array(person.cat.categories.array, type=pa.large_string())
        if pc.all(pc.equal(given, pa.array(ids.array, type=pa.large_string()))).as_py():
            codes = person.cat.codes.to_numpy()
            counts = np.bincount(codes[codes >= 0], minlength=len(ids))
            return pd.Series(counts.astype(np.int64), index=ids.index)
    return ids.map(person.value_counts()).fillna(0).astype("int64")


def _concat(parts: list[tuple[pd.DataFrame, np.ndarray]], table) -> pd.DataFrame:
    """The rows kept of every ``(frame, keep)`` part, concatenated and conformed to ``table``.

    Quarantined rows are dropped once, from the concatenated table, column by
    column (:func:`~workbench.ingest.validation.keep_rows_releasing`): the
    sources' tables are not copied to drop a few rows first. ``parts`` is
    emptied, so the frames are released as the filter goes when the caller
    holds no other reference to them.
    """
    if not parts:
        return conform(pd.DataFrame(), table)
    keep = np.concatenate([np.asarray(k, dtype=bool) for _, k in parts])
    frames = [frame for frame, _ in parts]
    parts.clear()
    whole = pd.concat(frames, ignore_index=True)
    frames.clear()
    return conform(keep_rows_releasing(whole, keep), table)


#: How a spend report's platform reads as traffic source / medium for channel grouping.
PLATFORM_TRAFFIC: dict[str, tuple[str, str]] = {
    "google_ads": ("google", "cpc"),
    "microsoft_ads": ("bing", "cpc"),
    "meta": ("facebook", "paid_social"),
    "linkedin": ("linkedin", "paid_social"),
    "tiktok": ("tiktok", "paid_social"),
}


def _spend_channels(
    spend: pd.DataFrame, touchpoints: pd.DataFrame, rules: tuple = ()
) -> pd.DataFrame:
    """Give spend rows the channel their campaign's visits were grouped into.

    A campaign's channel is the most common channel among touchpoints with the
    same campaign name (GA4 sessions carry the utm campaign, not the platform).
    Campaigns never seen in the touchpoints are grouped like a click from their
    platform (:data:`PLATFORM_TRAFFIC`) under the same channel rules; spend of a
    platform not listed there (and of an unseen campaign) is "Unassigned".
    """
    from workbench.ingest.channels import assign_channels

    # select the two columns first: dropna on the wide table copies every column
    seen = touchpoints[["campaign", CHANNEL]].dropna()
    top = (
        seen.groupby(["campaign", CHANNEL], observed=True)
        .size()
        .rename("n")
        .reset_index()
        .sort_values(["campaign", "n", CHANNEL], ascending=[True, False, True], kind="stable")
        .drop_duplicates(["campaign"])
        .rename(columns={CHANNEL: "_channel"})[["campaign", "_channel"]]
    )
    out = spend.merge(top, on="campaign", how="left")
    traffic = pd.DataFrame.from_dict(
        PLATFORM_TRAFFIC, orient="index", columns=["traffic_source", "traffic_medium"]
    )
    guessed = out[["platform"]].join(traffic, on="platform")
    guess = pd.DataFrame(
        {
            "traffic_source": guessed["traffic_source"],
            "traffic_medium": guessed["traffic_medium"],
            "campaign": out["campaign"],
            "platform": out["platform"],
            "touch_type": "ad_click",
            CHANNEL: pd.Series(pd.NA, index=out.index, dtype="string"),
        }
    )
    grouped = assign_channels(guess, rules)[CHANNEL].mask(
        guessed["traffic_source"].isna(), "Unassigned"
    )
    out[CHANNEL] = out["_channel"].fillna(out[CHANNEL]).fillna(grouped).astype("string")
    return out.drop(columns="_channel")


def _source_table(files: list[dict[str, object]]) -> pd.DataFrame:
    cols = ["source", "format", "file", "rows", "first_ts", "last_ts"]
    frame = pd.DataFrame(files)
    for c in cols:
        if c not in frame.columns:
            frame[c] = pd.NA
    return frame[cols]


def write_prepared(
    prepared: Prepared,
    out_dir: Path,
    *,
    config_path: Path | None = None,
    extra: dict[str, object] | None = None,
    tables: Callable[[Path], dict[str, pd.DataFrame]] | None = None,
) -> list[Path]:
    """Write every table of ``prepared`` as Parquet into ``out_dir``; return the paths.

    The set is written into a new sibling folder and switched in atomically,
    with ``_manifest.json`` (the files, and ``config_path``'s path and hash)
    written last (see :mod:`workbench.store`): readers of ``out_dir`` see the
    complete old set or the complete new set. ``extra`` is added to the manifest;
    ``tables(folder)``, called once the prepared tables are in the new folder
    (so it may read them from there), returns further Parquet files of the set
    (file name -> frame).
    """
    from workbench.store import write_set

    def write(folder: Path) -> list[Path]:
        written = _write_tables(prepared, folder)
        for name, frame in (tables(folder) if tables else {}).items():
            written += write_table(_stored(frame), folder / name)
        return written

    return write_set(
        Path(out_dir),
        write,
        config_path=config_path,
        extra=extra,
    )


def _stored(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` as stored: a coded (categorical) ``person_id`` becomes its strings.

    Stitching hands ``person_id`` on as integer codes over the person ids; the
    Parquet files keep the documented plain string column.
    """
    return with_plain_strings(frame, PERSON_ID)


def _write_tables(prepared: Prepared, out_dir: Path) -> list[Path]:
    written = []
    for name in TABLE_FILES:
        frame = getattr(prepared, name)
        written += write_table(_stored(frame), out_dir / f"{name}.parquet")
    diag_dir = out_dir / "diagnostics"
    diag_dir.mkdir(exist_ok=True)
    for name, frame in prepared.diagnostics.items():
        written += write_table(_stored(frame), diag_dir / f"{name}.parquet")
    meta = {
        "warnings": prepared.warnings,
        "quarantine": quarantine_summary(prepared.quarantine).to_dict(orient="records"),
    }
    (out_dir / "prepare_meta.json").write_text(json.dumps(meta, indent=2, default=str))
    written.append(out_dir / "prepare_meta.json")
    return written


def load_prepared(out_dir: Path) -> Prepared:
    """Reload what :func:`write_prepared` wrote.

    Raises
    ------
    WorkbenchError
        When the folder has not been prepared yet (naming the command to run),
        or a file its ``_manifest.json`` lists is missing or has another size.
    """
    from workbench.store import MANIFEST_FILE, verify_manifest

    out_dir = Path(out_dir)
    missing = [n for n in TABLE_FILES if not table_exists(out_dir / f"{n}.parquet")]
    if missing:
        raise WorkbenchError(
            f"{out_dir} has no prepared tables ({', '.join(missing)} missing); "
            "run `workbench prepare` first"
        )
    damaged = verify_manifest(out_dir) if (out_dir / MANIFEST_FILE).is_file() else []
    if damaged:
        raise WorkbenchError(
            f"the prepared tables in {out_dir} are incomplete ({'; '.join(damaged[:3])}); "
            "run `workbench prepare` again"
        )
    tables = {n: read_table(out_dir / f"{n}.parquet") for n in TABLE_FILES}
    diagnostics = {
        p.stem: read_table(p) for p in sorted((out_dir / "diagnostics").glob("*.parquet"))
    }
    meta_path = out_dir / "prepare_meta.json"
    meta = json.loads(meta_path.read_text()) if meta_path.is_file() else {}
    return Prepared(**tables, diagnostics=diagnostics, warnings=list(meta.get("warnings", [])))
