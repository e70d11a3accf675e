"""Shared formatting of outgoing values: amounts, event ids, batches, JSON text."""

from __future__ import annotations

import json
from collections.abc import Sequence

import numpy as np
import pandas as pd

from workbench.identifiers import hash_values
from workbench.schema import CONVERSION_ID, CONVERSION_TYPE, PERSON_ID, TS

__all__ = ["batches", "event_ids", "format_amount", "json_text"]


def format_amount(values: pd.Series) -> pd.Series:
    """Amounts as text with two decimals (``1234.5`` -> ``"1234.50"``); missing stays missing."""
    numbers = pd.to_numeric(values, errors="coerce").astype("float64")
    text = np.char.mod("%.2f", numbers.fillna(0.0).to_numpy())
    return pd.Series(text, index=values.index, dtype="string").where(numbers.notna())


def event_ids(conversions: pd.DataFrame) -> pd.Series:
    """Stable deduplication id per conversion.

    The ``conversion_id`` (order / deal id) when present: it is the id a
    browser tag most likely sent too, so the platform can deduplicate the two
    [M-DEDUP], [L-CAPI]. Otherwise ``wb-`` + the first 32 hex characters of
    SHA-256 over ``conversion_type|ts|person_id`` (person ids are stable
    across runs, see :data:`workbench.schema.IDENTITIES`), identical on every
    run for the same conversion whether or not journeys were passed.
    """
    index = conversions.index

    def text(column: str) -> pd.Series:
        if column not in conversions.columns:
            return pd.Series("", index=index, dtype="string")
        return conversions[column].astype("string").fillna("")

    ts = pd.to_datetime(conversions[TS], utc=True).dt.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    basis = text(CONVERSION_TYPE) + "|" + ts.astype("string").fillna("") + "|" + text(PERSON_ID)
    derived = "wb-" + hash_values(basis).str.slice(0, 32)
    own = text(CONVERSION_ID).str.strip()
    return own.mask(own.eq(""), derived).astype("string")


def batches(events: Sequence[dict], size: int, key: str) -> list[dict]:
    """Request bodies of at most ``size`` events each: ``[{key: [...]}, ...]``."""
    return [{key: list(events[i : i + size])} for i in range(0, len(events), size)]


def json_text(payload: object) -> str:
    """Pretty, stable JSON text (UTF-8, trailing newline)."""
    return json.dumps(payload, indent=2, ensure_ascii=False) + "\n"
