"""Dense identifier columns coded by string hashes stitch exactly as Arrow's codes (issue 16).

:mod:`workbench.intcodes` codes an identifier type with millions of values by 64-bit
hashes (:mod:`workbench._strhash`), falling back to Arrow's ``dictionary_encode``
when a second hash shows a collision. Here the threshold is lowered so a small
table takes that path, and every output must equal the exact path's.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import workbench._strhash as strhash
from workbench.config import IdentityConfig
from workbench.identity.stitch import StitchResult, stitch


def _data(seed: int) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    n = 4000
    person = rng.integers(0, 300, n)
    device = person * 3 + rng.integers(0, 3, n)
    device[rng.random(n) < 0.02] = 7  # a shared device
    anon = pd.Series([f"GA1.{d}" for d in device], dtype="string")
    anon[rng.random(n) < 0.05] = None
    anon[rng.random(n) < 0.01] = " GA1.5 "  # trimmed to another id's value
    user = pd.Series([f"u{p}" for p in person], dtype="string")
    user[rng.random(n) < 0.6] = None
    user[rng.random(n) < 0.01] = "null"
    tp = pd.DataFrame(
        {"ts": pd.Timestamp("2026-01-01", tz="UTC"), "anonymous_id": anon, "user_id": user}
    )
    cv = tp.iloc[::40].reset_index(drop=True)
    people = np.unique(person)[:50]
    links = pd.DataFrame(
        {
            "id_type_a": pd.array(["user_id"] * len(people), dtype="string"),
            "id_value_a": pd.array([f"u{p}" for p in people], dtype="string"),
            "id_type_b": pd.array(["anonymous_id"] * len(people), dtype="string"),
            "id_value_b": pd.array([f"GA1.{p * 3 + 2}" for p in people], dtype="string"),
            "link_type": pd.array(["identify"] * len(people), dtype="string"),
        }
    )
    return tp, cv, links


def _run(seed: int) -> StitchResult:
    tp, cv, links = _data(seed)
    return stitch(tp, cv, links, IdentityConfig(test_ids=("u3",)))


def _same(a: StitchResult, b: StitchResult) -> None:
    for name in ("touchpoints", "conversions", "identities", "people"):
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name))
    assert a.diagnostics.keys() == b.diagnostics.keys()
    for key in a.diagnostics:
        pd.testing.assert_frame_equal(a.diagnostics[key], b.diagnostics[key])


@pytest.mark.parametrize("seed", range(2))
def test_hashed_and_exact_codes_stitch_alike(monkeypatch, seed):
    monkeypatch.setattr(strhash, "HASH_MIN_ROWS", 10**12)
    exact = _run(seed)
    monkeypatch.setattr(strhash, "HASH_MIN_ROWS", 0)
    calls = []
    real = strhash.factorize_hashed
    monkeypatch.setattr(
        "workbench.intcodes.factorize_hashed", lambda *a: calls.append(a) or real(*a)
    )
    _same(exact, _run(seed))
    assert calls  # the dense columns went through the hashes


def test_a_collision_falls_back_and_stitches_alike(monkeypatch):
    exact = _run(0)
    real = strhash.hash_lanes
    monkeypatch.setattr(strhash, "HASH_MIN_ROWS", 0)
    monkeypatch.setattr(strhash, "hash_lanes", lambda v: (real(v)[0] % 5, real(v)[1]))
    _same(exact, _run(0))
