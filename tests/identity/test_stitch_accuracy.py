"""End-to-end stitching accuracy on the synthetic sample, against its ground truth.

Generates a small sample with :func:`workbench.sample.generate_sample`, reads
every configured source with :func:`workbench.ingest.readers.read_source`, stitches,
and scores the ``identities`` against ``_truth/identifiers.csv``: pairwise
precision >= 0.99 and recall >= 0.95 over identifiers, and the shared device(s)
merge none of their users. Skipped until the sample generator and the readers
exist.

Recall is checked twice. Against all true pairs (the issue's acceptance
criterion): the sample's exports link most of a person's identifiers (users log
in on the browsers they use, forms capture the GA Client ID, people who never
log in mostly keep to one browser), and what they cannot link (a few browsers
that switch devices without logging in, cookieless browsers' click ids,
contacts who never submitted a form) stays under 5 % of the true pairs.
Against the *linkable* true pairs (same true person and linked by some
evidence, measured by stitching without any merge protection) recall must also
reach 0.95: that is what merge protection may cost.
"""

from __future__ import annotations

import dataclasses
import importlib

import pandas as pd
import pytest

from workbench.config import IdentityConfig
from workbench.identity.diagnostics import pairwise_scores
from workbench.paths import PROJECT_ROOT
from workbench.schema import CONVERSIONS, ID_TYPES, IDENTITY_LINKS, TOUCHPOINTS

pytestmark = pytest.mark.slow


def _sample_module():
    try:
        sample = importlib.import_module("workbench.sample")
    except ImportError:
        pytest.skip("workbench.sample is not available yet")
    if not hasattr(sample, "generate_sample"):
        pytest.skip("workbench.sample.generate_sample is not available yet")
    return sample


def _normalize_truth(truth: pd.DataFrame, phone_region: str) -> pd.DataFrame:
    from workbench.identifiers import normalize_email, normalize_fbclid, normalize_phone

    out = truth.astype({"id_type": "string", "id_value": "string", "person_id": "string"}).copy()
    out["id_value"] = out["id_value"].str.strip()
    for id_type, fn in (
        ("email", normalize_email),
        ("phone", lambda v: normalize_phone(v, default_region=phone_region)),
        ("fbclid", normalize_fbclid),
    ):
        sel = out["id_type"] == id_type
        if sel.any():
            out.loc[sel, "id_value"] = fn(out.loc[sel, "id_value"]).to_numpy()
    return out.dropna(subset=["id_value"])


@pytest.fixture(scope="module")
def stitched(tmp_path_factory):
    sample = _sample_module()
    readers = pytest.importorskip("workbench.ingest.readers")
    from workbench.config import load_config
    from workbench.identity.stitch import stitch
    from workbench.ingest.validation import conform

    config = load_config(PROJECT_ROOT / "workbench.toml")
    missing = sorted({s.format for s in config.sources if s.format not in readers.READERS})
    if missing:
        pytest.skip(f"no reader yet for: {', '.join(missing)}")
    out_dir = tmp_path_factory.mktemp("sample")
    sample.generate_sample(out_dir, people=400, seed=11)
    parts = {"touchpoints": [], "conversions": [], "identity_links": []}
    for source in config.sources:
        if not source.enabled:
            continue
        result = readers.read_source(dataclasses.replace(source, base_dir=out_dir))
        for name in parts:
            frame = getattr(result, name)
            if len(frame):
                parts[name].append(frame)

    def concat(name, table):
        frames = parts[name]
        return conform(pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(), table)

    tables = (
        concat("touchpoints", TOUCHPOINTS),
        concat("conversions", CONVERSIONS),
        concat("identity_links", IDENTITY_LINKS),
    )
    result = stitch(*tables, config.identity)
    # the evidence ceiling: every co-occurrence and link, no limits
    unlimited = {t: {o: 10**9 for o in ID_TYPES} for t in ID_TYPES}
    ceiling = stitch(*tables, IdentityConfig(limits=unlimited))
    truth = pd.read_csv(out_dir / "_truth" / "identifiers.csv", dtype=str)
    truth = _normalize_truth(truth, config.default_phone_region)
    owners = truth.groupby(["id_type", "id_value"])["person_id"].transform("nunique")
    return result, ceiling, truth, truth[owners == 1]


def test_pairwise_precision(stitched):
    result, _, _, single = stitched
    scores = pairwise_scores(result.identities, single)
    assert scores["identifiers_scored"] > 0.8 * len(single), scores
    assert scores["precision"] >= 0.99, scores


def test_recall_of_linkable_pairs(stitched):
    result, ceiling, _, single = stitched
    # true people cut along the evidence: pairs the exports link at all
    linked = single.merge(ceiling.identities, on=["id_type", "id_value"], suffixes=("", "_ev"))
    linked["person_id"] = linked["person_id"] + "|" + linked["person_id_ev"]
    scores = pairwise_scores(result.identities, linked[["id_type", "id_value", "person_id"]])
    assert scores["recall"] >= 0.95, scores


def test_raw_recall(stitched):
    # the acceptance criterion, over all true pairs (linkable or not)
    result, ceiling, truth, single = stitched
    scores = pairwise_scores(result.identities, single)
    best = pairwise_scores(ceiling.identities, single)["recall"]
    assert scores["precision"] >= 0.99, scores
    assert scores["recall"] >= 0.95, {**scores, "evidence_ceiling": best}
    shared = _shared(truth)
    assert not shared.empty, "the sample promises a shared kiosk device"
    assert _mixed(result, truth, shared) == []


def _shared(truth: pd.DataFrame) -> pd.DataFrame:
    """Truth rows of identifiers shared by several people (the kiosk)."""
    owners = truth.groupby(["id_type", "id_value"])["person_id"].transform("nunique")
    return truth[owners > 1]


def _mixed(result, truth: pd.DataFrame, shared: pd.DataFrame) -> list[pd.DataFrame]:
    """Per shared identifier: its users' rows when a predicted person holds 2+ of them."""
    owners = truth.groupby(["id_type", "id_value"])["person_id"].transform("nunique")
    own = truth[owners == 1].merge(
        result.identities, on=["id_type", "id_value"], suffixes=("_true", "_pred")
    )
    bad = []
    for (_, _), group in shared.groupby(["id_type", "id_value"]):
        users = own[own["person_id_true"].isin(group["person_id"])]
        # no predicted person holds identifiers of two different true people
        mixed = users.groupby("person_id_pred")["person_id_true"].nunique()
        if (mixed > 1).any():
            bad.append(users)
    return bad


def test_shared_devices_merge_none_of_their_users(stitched):
    result, _, truth, _ = stitched
    shared = _shared(truth)
    if shared.empty:
        pytest.skip("the sample has no identifier shared by several people")
    assert _mixed(result, truth, shared) == []
