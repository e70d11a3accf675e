"""``export_conversions``: the whole job from conversions to checked upload files.

Steps: validate inputs -> keep conversions since ``since`` -> value per
conversion by model (:mod:`~workbench.export.values`) -> click id
(:mod:`~workbench.export.clicks`) -> hashed identifiers
(:mod:`~workbench.export.hashing`) -> pre-send checks
(:mod:`~workbench.export.checks`) -> platform payload -> no-PII guard ->
write. Nothing is written when the guard fires; rejected rows are never
written and are listed, with reasons, in :attr:`ExportResult.rejected`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from workbench.errors import ValidationError
from workbench.export.checks import (
    assert_no_pii,
    check_rows,
    require_columns,
    walk_strings,
)
from workbench.export.clicks import select_clicks
from workbench.export.google_ads import (
    ENHANCED_LEADS,
    google_files,
    google_timezone_parameter,
    google_variants,
    resolve_timezone,
)
from workbench.export.hashing import hash_emails, hash_phones
from workbench.export.linkedin import linkedin_batches, linkedin_events
from workbench.export.meta import META_PASSTHROUGH, meta_batches, meta_events
from workbench.export.payload import event_ids, json_text
from workbench.export.rules import (
    CONVERSION_TYPE_EVENTS,
    LINKEDIN_URN_PLACEHOLDER,
    PLATFORM_RULES,
    PLATFORMS,
)
from workbench.export.values import FULL_MODEL, conversion_values
from workbench.paths import PROCESSED_DIR
from workbench.schema import (
    CONVERSION_ID,
    CONVERSION_TYPE,
    CURRENCY,
    JOURNEY_ID,
    PERSON_ID,
    TS,
    VALUE,
)

__all__ = [
    "PREPARED_COLUMNS",
    "ExportResult",
    "default_export_path",
    "export_conversions",
    "prepare_rows",
]

#: Columns of the prepared (and of the sent) rows, in order.
PREPARED_COLUMNS: tuple[str, ...] = (
    "row",
    CONVERSION_ID,
    CONVERSION_TYPE,
    TS,
    JOURNEY_ID,
    "value_sent",
    "value_reason",
    CURRENCY,
    "conversion_name",
    "event_id",
    "click_kind",
    "click_id",
    "click_ts",
    "first_seen",
    "click_from",
    "email_sha256",
    "phone_sha256",
    "email_problem",
    "phone_problem",
    *META_PASSTHROUGH,
    "event_source_url",
)

_CREDIT_COLUMNS = (JOURNEY_ID, "position", "channel", "model", "value_credit")


@dataclass(frozen=True)
class ExportResult:
    """What an export wrote and what it refused.

    Attributes
    ----------
    platform, model
        Platform key and value model.
    rows_written
        Conversions written, over all files.
    rejected
        One row per broken rule: ``row`` (0-based position in the
        conversions passed in), ``conversion_id``, ``platform``, ``reason``.
    paths
        Files written (empty when ``write=False``).
    sent
        The written rows, hashed identifiers only (columns
        :data:`PREPARED_COLUMNS`).
    warnings
        Things worth fixing that did not block rows (placeholder URN, hashes
        that could not be re-normalized ...).
    skipped_before_since
        Conversions left out because they happened before ``since``.
    """

    platform: str
    model: str
    rows_written: int
    rejected: pd.DataFrame
    paths: tuple[Path, ...]
    sent: pd.DataFrame
    warnings: tuple[str, ...] = field(default=())
    skipped_before_since: int = 0

    def rejection_summary(self) -> pd.DataFrame:
        """Rejected conversions per reason: columns ``reason``, ``rows``, most first."""
        counts = self.rejected.groupby("reason").size().rename("rows").reset_index()
        counts["rows"] = counts["rows"].astype("int64")
        return counts.sort_values(["rows", "reason"], ascending=[False, True]).reset_index(
            drop=True
        )

    def summary(self) -> str:
        """A few lines for the command line."""
        n_rejected = self.rejected["row"].nunique()
        where = ", ".join(str(p) for p in self.paths) or "(not written)"
        lines = [
            f"{self.platform} (model {self.model}): {self.rows_written} conversions "
            f"written to {where}; {n_rejected} rejected"
        ]
        lines += [f"  {r.rows} x {r.reason}" for r in self.rejection_summary().itertuples()]
        if self.skipped_before_since:
            lines.append(f"  ({self.skipped_before_since} before --since not considered)")
        lines += [f"warning: {w}" for w in self.warnings]
        return "\n".join(lines)


def _utc(value: object, timezone: str = "UTC") -> pd.Timestamp:
    ts = pd.Timestamp(value)  # type: ignore[arg-type]
    if ts.tzinfo is None:
        ts = ts.tz_localize(resolve_timezone(timezone))
    return ts.tz_convert("UTC")


def _validate(
    conversions: pd.DataFrame,
    *,
    platform: str,
    model: str,
    credits: pd.DataFrame | None,
    journeys: pd.DataFrame | None,
    touches: pd.DataFrame | None,
    touchpoints: pd.DataFrame | None,
    timezone: str,
) -> None:
    if platform not in PLATFORMS:
        raise ValidationError(f"platform {platform!r} is not one of {', '.join(PLATFORMS)}")
    google_timezone_parameter(timezone)  # raises ConfigError for an unknown zone
    problems = require_columns(
        conversions, (TS, CONVERSION_TYPE, VALUE), table="conversions", purpose="export"
    )
    if TS in conversions.columns and not isinstance(conversions[TS].dtype, pd.DatetimeTZDtype):
        problems.append(
            f"conversions: column {TS!r} has dtype {conversions[TS].dtype}; expected tz-aware "
            "UTC datetimes (use workbench.timestamps.parse_timestamps)"
        )
    if touchpoints is not None:
        problems += require_columns(
            touchpoints, (TS, PERSON_ID), table="touchpoints", purpose="finding the click to send"
        )
        if PERSON_ID not in conversions.columns:
            problems.append(
                "conversions: column 'person_id' is missing (needed to find the person's "
                "clicks in touchpoints; stitch identities first)"
            )
    if model != FULL_MODEL:
        purpose = f"model {model!r} values conversions from attribution credits"
        if credits is None or journeys is None:
            problems.append(f"{purpose}: pass credits= and journeys= (or use model='full')")
        else:
            problems += require_columns(credits, _CREDIT_COLUMNS, table="credits", purpose=purpose)
            problems += require_columns(journeys, (JOURNEY_ID,), table="journeys", purpose=purpose)
            by_id = CONVERSION_ID in journeys.columns and CONVERSION_ID in conversions.columns
            if not by_id:
                problems += require_columns(
                    journeys,
                    (PERSON_ID, CONVERSION_TYPE, "conversion_ts"),
                    table="journeys",
                    purpose="matching conversions to journeys",
                )
                problems += require_columns(
                    conversions,
                    (PERSON_ID,),
                    table="conversions",
                    purpose="matching conversions to journeys",
                )
            if "model" in credits.columns:
                models = sorted(credits["model"].dropna().astype(str).unique())
                if model not in models:
                    problems.append(
                        f"model {model!r} is not in credits; available: "
                        f"{', '.join([FULL_MODEL, *models])}"
                    )
        if touches is not None:
            problems += require_columns(
                touches, (JOURNEY_ID, "position"), table="touches", purpose=purpose
            )
    if problems:
        raise ValidationError(problems, context=f"export to {platform}")


def _names(
    types: pd.Series, platform: str, conversion_name: str | Mapping[str, str] | None
) -> pd.Series:
    if isinstance(conversion_name, str):
        return pd.Series(conversion_name, index=types.index, dtype="string")
    mapping = {**CONVERSION_TYPE_EVENTS[platform], **dict(conversion_name or {})}
    names = types.astype("string").map(mapping).astype("string")
    if platform == "linkedin":
        return names.fillna(LINKEDIN_URN_PLACEHOLDER)
    return names.fillna(types.astype("string"))


def _text(conversions: pd.DataFrame, column: str) -> pd.Series:
    if column not in conversions.columns:
        return pd.Series(pd.NA, index=conversions.index, dtype="string")
    text = conversions[column].astype("string").str.strip()
    return text.mask(text.eq(""))


def prepare_rows(
    conversions: pd.DataFrame,
    *,
    platform: str,
    model: str = FULL_MODEL,
    credits: pd.DataFrame | None = None,
    journeys: pd.DataFrame | None = None,
    touches: pd.DataFrame | None = None,
    touchpoints: pd.DataFrame | None = None,
    conversion_name: str | Mapping[str, str] | None = None,
    channel_platforms: Mapping[str, str] | None = None,
    click_window_days: float | None = None,
    default_currency: str | None = None,
    default_region: str = "US",
) -> tuple[pd.DataFrame, list[str]]:
    """One row per conversion with everything the checks and payloads need.

    ``conversions`` must carry a ``row`` column (position in the caller's
    frame). Returns the prepared frame (columns :data:`PREPARED_COLUMNS`)
    and warnings.
    """
    values = conversion_values(
        conversions,
        platform=platform,
        model=model,
        credits=credits,
        journeys=journeys,
        touches=touches,
        channel_platforms=channel_platforms,
    )
    clicks = select_clicks(
        conversions, touchpoints, platform=platform, window_days=click_window_days
    )
    email = hash_emails(
        conversions.get("email", pd.Series(pd.NA, index=conversions.index)), platform=platform
    )
    phone = hash_phones(
        conversions.get("phone", pd.Series(pd.NA, index=conversions.index)),
        platform=platform,
        default_region=default_region,
    )
    currency = _text(conversions, CURRENCY).str.upper()
    if default_currency is not None:
        currency = currency.fillna(default_currency.strip().upper())
    prepared = pd.DataFrame(
        {
            "row": conversions["row"].astype("int64"),
            CONVERSION_ID: _text(conversions, CONVERSION_ID),
            CONVERSION_TYPE: conversions[CONVERSION_TYPE].astype("string"),
            TS: conversions[TS],
            **values,
            CURRENCY: currency,
            "conversion_name": _names(conversions[CONVERSION_TYPE], platform, conversion_name),
            "event_id": event_ids(conversions),
            **clicks,
            "email_sha256": email.hashes,
            "phone_sha256": phone.hashes,
            "email_problem": email.problem,
            "phone_problem": phone.problem,
            **{c: _text(conversions, c) for c in (*META_PASSTHROUGH, "event_source_url")},
        },
        index=conversions.index,
    )[list(PREPARED_COLUMNS)]
    warnings = []
    if platform == "google_ads" and conversion_name is None:
        warnings.append(
            "Conversion Name defaults to the conversion type; it must equal the name of a "
            "Google Ads import conversion action (pass conversion_name=)"
        )
    leads = clicks["click_id"].isna() & email.prehashed
    if platform == "google_ads" and leads.any():
        warnings.append(
            f"{int(leads.sum())} email(s) arrived already hashed, so Google's gmail/googlemail "
            "dot removal could not be applied; such addresses with dots in the name will not match"
        )
    if phone.withheld.any():
        warnings.append(
            f"{int(phone.withheld.sum())} phone hash(es) not sent to Meta: stored hashes are of "
            "+E.164 numbers, Meta hashes digits without '+' (pass raw phones to include them)"
        )
    return prepared, warnings


def default_export_path(platform: str, model: str, processed_dir: str | Path | None = None) -> Path:
    """Where an export goes unless told: ``<processed_dir>/exports/<platform>_conversions_<model>``.

    ``.csv`` for Google Ads, ``.json`` otherwise; characters unsafe in file names
    (``markov:2``) become ``_``. ``processed_dir`` defaults to the project's
    ``data/processed``; ``workbench export-conversions`` passes the config's.
    """
    suffix = ".csv" if platform == "google_ads" else ".json"
    safe = re.sub(r"[^A-Za-z0-9_.-]", "_", model)
    folder = Path(processed_dir) if processed_dir is not None else PROCESSED_DIR
    return folder / "exports" / f"{platform}_conversions_{safe}{suffix}"


def _payload_files(
    accepted: pd.DataFrame, *, platform: str, out: Path, timezone: str
) -> tuple[dict[Path, str], list[tuple[str, str]], list[tuple[str, str]]]:
    """File texts, every outgoing string, and the must-be-hashed strings."""
    if platform == "google_ads":
        variants = google_variants(accepted, timezone=timezone)
        files = google_files(variants, out, timezone=timezone)
        tables = {name: frame.to_dict("list") for name, frame in variants.items()}
        leads = variants[ENHANCED_LEADS]
        hashed = [
            (f"$.{ENHANCED_LEADS}.{col}[{i}]", v)
            for col in ("Email", "Phone Number")
            for i, v in enumerate(leads[col].tolist())
            if not pd.isna(v)
        ]
        # Every cell, plus each file's parameters row and header.
        strings = list(walk_strings(tables)) + [
            (f"{path.name}:{n}", line)
            for path, text in files.items()
            for n, line in enumerate(text.splitlines(), start=1)
            if n <= 2
        ]
        return files, strings, hashed
    if platform == "meta":
        body = meta_batches(meta_events(accepted))
        strings = list(walk_strings(body))
        hashed = [(p, v) for p, v in strings if re.search(r"\.(em|ph)\[\d+\]$", p)]
    else:
        body = linkedin_batches(linkedin_events(accepted))
        strings = list(walk_strings(body))
        hashed = [
            (f"$[{b}].elements[{e}].user.userIds[{i}].idValue", uid["idValue"])
            for b, batch in enumerate(body)
            for e, event in enumerate(batch["elements"])
            for i, uid in enumerate(event["user"]["userIds"])
            if uid["idType"] == "SHA256_EMAIL"
        ]
    return {out: json_text(body)}, strings, hashed


def export_conversions(
    conversions: pd.DataFrame,
    *,
    platform: str,
    model: str = FULL_MODEL,
    credits: pd.DataFrame | None = None,
    journeys: pd.DataFrame | None = None,
    touches: pd.DataFrame | None = None,
    touchpoints: pd.DataFrame | None = None,
    since: object = None,
    now: object = None,
    timezone: str = "UTC",
    conversion_name: str | Mapping[str, str] | None = None,
    out: str | Path | None = None,
    channel_platforms: Mapping[str, str] | None = None,
    click_window_days: float | None = None,
    default_currency: str | None = None,
    default_region: str = "US",
    write: bool = True,
) -> ExportResult:
    """Check conversions against ``platform``'s rules and write its upload file(s).

    Parameters
    ----------
    conversions
        Canonical conversions: ``ts`` (tz-aware UTC), ``conversion_type``,
        ``value``, optionally ``currency``, ``conversion_id``, ``person_id``,
        ``email``/``phone`` (SHA-256 digests, or raw values which are then
        normalized per platform and hashed), click id columns, and for Meta
        ``fbp``, ``client_ip_address``, ``client_user_agent``,
        ``event_source_url``.
    platform
        ``"google_ads"`` (CSV), ``"meta"`` or ``"linkedin"`` (JSON).
    model
        ``"full"`` (the conversion's value) or an attribution model in
        ``credits`` (the value it credits this platform's touches), see
        :mod:`workbench.export.values`.
    credits, journeys, touches
        Attribution output (``journey_id, position, channel, model, credit,
        value_credit``), journeys and journey touches; needed for a model.
    touchpoints
        Stitched touchpoints with click ids, to find the most recent click
        (see :mod:`workbench.export.clicks`); without them the conversions'
        own click ids are used.
    since
        Only conversions at or after this time (naive values are read in
        ``timezone``).
    now
        Upload time the age rules count back from; default the current UTC time.
    timezone
        Zone of Google's ``Conversion Time`` column (IANA name or ``+HHMM``).
    conversion_name
        Google conversion action name, Meta event name or LinkedIn conversion
        rule URN: one string, or a mapping conversion type -> name (defaults:
        :data:`~workbench.export.rules.CONVERSION_TYPE_EVENTS`; Google falls back
        to the type, LinkedIn to a placeholder URN).
    out
        File to write; default :func:`default_export_path` (in ``data/processed``).
        Google iOS / enhanced-lead rows go to sibling files (see
        :mod:`workbench.export.google_ads`).
    channel_platforms
        Channel group -> platform map (default
        :data:`~workbench.export.rules.DEFAULT_CHANNEL_PLATFORMS`).
    click_window_days
        Click look-up window; default per platform.
    default_currency
        Currency for conversions without one.
    default_region
        Region for parsing raw phone numbers without a country code.
    write
        ``False`` to check and build without writing.

    Returns
    -------
    ExportResult

    Raises
    ------
    ValidationError
        Missing columns or unusable arguments (every problem listed).
    PIILeakError
        Something outgoing looks like a raw email or phone; nothing is written.
    """
    _validate(
        conversions,
        platform=platform,
        model=model,
        credits=credits,
        journeys=journeys,
        touches=touches,
        touchpoints=touchpoints,
        timezone=timezone,
    )
    now_ts = pd.Timestamp.now(tz="UTC") if now is None else _utc(now)
    frame = conversions.reset_index(drop=True).assign(row=np.arange(len(conversions)))
    skipped = 0
    if since is not None:
        early = (frame[TS] < _utc(since, timezone)).fillna(False).astype(bool)
        skipped = int(early.sum())
        frame = frame.loc[~early]
    prepared, warnings = prepare_rows(
        frame,
        platform=platform,
        model=model,
        credits=credits,
        journeys=journeys,
        touches=touches,
        touchpoints=touchpoints,
        conversion_name=conversion_name,
        channel_platforms=channel_platforms,
        click_window_days=click_window_days,
        default_currency=default_currency,
        default_region=default_region,
    )
    rejected = check_rows(prepared, platform=platform, now=now_ts)
    accepted = prepared[~prepared["row"].isin(rejected["row"])].reset_index(drop=True)
    if platform == "linkedin" and accepted["conversion_name"].eq(LINKEDIN_URN_PLACEHOLDER).any():
        warnings.append(
            f"conversion rule URN is the placeholder {LINKEDIN_URN_PLACEHOLDER!r}; replace it "
            "with your rule's urn:lla:llaPartnerConversion:<id> (conversion_name=) before sending"
        )
    path = Path(out) if out is not None else default_export_path(platform, model)
    files, strings, hashed = _payload_files(
        accepted, platform=platform, out=path, timezone=timezone
    )
    assert_no_pii(strings, hashed=hashed, where=f"{PLATFORM_RULES[platform].label} export")
    if write:
        for file, text in files.items():
            file.parent.mkdir(parents=True, exist_ok=True)
            file.write_text(text, encoding="utf-8")
    return ExportResult(
        platform=platform,
        model=model,
        rows_written=len(accepted),
        rejected=rejected,
        paths=tuple(files) if write else (),
        sent=accepted,
        warnings=tuple(warnings),
        skipped_before_since=skipped,
    )
