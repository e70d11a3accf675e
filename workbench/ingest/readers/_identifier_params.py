"""Identifiers carried in event parameters, user properties and traits (``options.identifiers``).

Sites often send an identifier with an event: a SHA-256 e-mail as a GA4 event
parameter on lead forms (the enhanced-conversions pattern), a CRM id as a user
property, an e-mail in a Segment ``track`` call's ``properties``. The option

.. code-block:: toml

    [sources.options]
    identifiers = { email_sha256 = "email", user_email = "email", crm_id = "crm_contact_id" }

maps a parameter/trait key to a canonical identifier type
(:data:`workbench.schema.ID_TYPES`). Each value is normalized as its type
requires (:func:`normalize_identifier`): e-mails are trimmed, lower-cased and
SHA-256 hashed, phones parsed to E.164 (region ``options.phone_region``, else
US) and hashed, and a value that already is a SHA-256 hex digest (64 hex
characters, any case) is recognised as pre-hashed and kept (lower-cased), not
hashed again; ``fbclid`` values are reduced from ``fbc`` cookies; other types
are trimmed. Missing and empty values are no identifier; placeholders
(``(not set)``, ``undefined``, ``0`` ...) and values that are not a valid
identifier of their type (an e-mail without ``@``, an impossible phone) are
quarantined with the reason ``"placeholder identifier value"`` or
``"invalid <type> identifier value"`` (the event itself is still used).

Each valid value becomes an identity link from the event's ``anonymous_id``
and from its ``user_id`` (where present) to the identifier, one row per
distinct pair at its first observation (:func:`identifier_links`).
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping

import numpy as np
import pandas as pd

from workbench.config import SourceConfig
from workbench.errors import ConfigError
from workbench.identifiers import (
    blank_blocked,
    normalize_email,
    normalize_fbclid,
    normalize_phone,
)
from workbench.ingest.quarantine import Quarantine
from workbench.ingest.readers._common import first_links
from workbench.schema import ID_TYPES, SOURCE, SOURCE_FILE, SOURCE_ROW, TS

__all__ = ["identifier_links", "identifiers_option", "normalize_identifier"]

_SHA256 = r"[0-9a-fA-F]{64}"


def identifiers_option(source: SourceConfig, key: str = "identifiers") -> dict[str, str]:
    """Read ``options.identifiers``: ``{parameter key: identifier type}`` (default empty).

    Raises
    ------
    ConfigError
        When the option is not a table of names to names, or names an
        identifier type that does not exist (every problem at once, with a
        did-you-mean suggestion).
    """
    value = source.options.get(key, {})
    if not isinstance(value, Mapping) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise ConfigError(
            f"source {source.name!r}: options.{key} = {value!r}; expected a table of "
            'parameter names to identifier types, e.g. { email_sha256 = "email" }'
        )
    problems = []
    for param, id_type in value.items():
        if id_type not in ID_TYPES:
            close = difflib.get_close_matches(id_type, ID_TYPES, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            problems.append(
                f"source {source.name!r}: options.{key}.{param} = {id_type!r} is not an "
                f"identifier type{hint}; expected one of {', '.join(ID_TYPES)}"
            )
    if problems:
        raise ConfigError("\n".join(problems))
    return dict(value)


def normalize_identifier(values: pd.Series, id_type: str, *, phone_region: str = "US") -> pd.Series:
    """Canonical form of identifier values of one type (see the module docstring).

    Parameters
    ----------
    values
        Raw values (text; missing allowed).
    id_type
        One of :data:`workbench.schema.ID_TYPES`.
    phone_region
        Region of phone numbers written without a country code.

    Returns
    -------
    pandas.Series
        Normalized values (string dtype, same index); missing where the value
        is missing, a placeholder or invalid.
    """
    text = blank_blocked(values.astype("string"))
    if id_type == "email":
        return normalize_email(text)
    if id_type == "phone":
        hashed = text.str.fullmatch(_SHA256, na=False)
        parsed = normalize_phone(text.mask(hashed), default_region=phone_region)
        return parsed.mask(hashed, text.str.lower()).astype("string")
    if id_type == "fbclid":
        return normalize_fbclid(text).astype("string")
    return text


def _normalized_column(
    frame: pd.DataFrame,
    column: str,
    id_type: str,
    *,
    phone_region: str,
    quarantine: Quarantine,
    source: str,
    label: str,
) -> pd.Series:
    """Normalize one column (each distinct value once); quarantine unusable values."""
    raw = frame[column].astype("string")
    present = raw.str.strip().fillna("").ne("")
    codes, uniques = pd.factorize(raw.where(present))
    distinct = pd.Series(np.asarray(uniques, dtype=object), dtype="string")
    normalized = normalize_identifier(distinct, id_type, phone_region=phone_region)
    placeholder = blank_blocked(distinct).isna().to_numpy(dtype=bool)
    take = np.where(codes < 0, len(distinct), codes)
    padded = pd.concat([normalized, pd.Series([pd.NA], dtype="string")], ignore_index=True)
    values = pd.Series(padded.to_numpy()[take], index=frame.index, dtype="string")
    is_placeholder = np.append(placeholder, False)[take]
    unusable = (codes >= 0) & values.isna().to_numpy(dtype=bool)
    for mask, reason in (
        (unusable & is_placeholder, "placeholder identifier value"),
        (unusable & ~is_placeholder, f"invalid {id_type} identifier value"),
    ):
        quarantine.add(frame, mask, reason=reason, source=source, column=label, values=raw)
    return values


def identifier_links(
    frame: pd.DataFrame,
    identifiers: Mapping[str, str],
    *,
    places: Mapping[str, tuple[str, str]],
    anchors: Mapping[str, str],
    quarantine: Quarantine,
    source: SourceConfig,
) -> pd.DataFrame:
    """Identity links from each row's anchors to the identifiers found in it.

    Parameters
    ----------
    frame
        Events with ``ts``, ``source_file``, ``source_row``, the anchor columns
        and one raw text column ``<prefix>.<key>`` per place and identifier key.
    identifiers
        ``options.identifiers``: ``{key: identifier type}``.
    places
        ``{prefix: (where, link type)}``: where each column prefix was read
        from (e.g. ``"ident_param": ("event_params", "event_param")``); the
        label ``<where>.<key>`` names the value in quarantine.
    anchors
        ``{id_type: column}`` of the identifiers every link starts from
        (``anonymous_id``, ``user_id``); rows where an anchor is missing give
        no link from it.
    quarantine, source
        Where placeholder and invalid values go, and the source (name,
        ``options.phone_region``).

    Returns
    -------
    pandas.DataFrame
        Identity links (``ts, id_type_a, id_value_a, id_type_b, id_value_b,
        link_type, source, source_file, source_row``), one per distinct pair
        and link type, at its first observation.
    """
    region = str(source.options.get("phone_region", "US"))
    parts = []
    for prefix, (where, kind) in places.items():
        for key, id_type in identifiers.items():
            column = f"{prefix}.{key}"
            if column not in frame.columns:
                continue
            values = _normalized_column(
                frame,
                column,
                id_type,
                phone_region=region,
                quarantine=quarantine,
                source=source.name,
                label=f"{where}.{key}",
            )
            for anchor_type, anchor_col in anchors.items():
                both = (values.notna() & frame[anchor_col].notna()).to_numpy(dtype=bool)
                sub = frame.loc[both]
                parts.append(
                    pd.DataFrame(
                        {
                            TS: sub[TS],
                            "id_type_a": anchor_type,
                            "id_value_a": sub[anchor_col].astype("string"),
                            "id_type_b": id_type,
                            "id_value_b": values[both],
                            "link_type": kind,
                            SOURCE: source.name,
                            SOURCE_FILE: sub[SOURCE_FILE],
                            SOURCE_ROW: sub[SOURCE_ROW],
                        }
                    )
                )
    if not parts:
        return pd.DataFrame(
            columns=[TS, "id_type_a", "id_value_a", "id_type_b", "id_value_b", "link_type"]
        )
    return first_links(pd.concat(parts, ignore_index=True))
