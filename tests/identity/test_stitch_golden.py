"""Golden values: speed work (issue 16) must not change people, ids, journeys or credits.

The expected values below were computed on commit ab7abdd (before the issue-16
changes to stitching, journeys and the attribution input; the sample already with
product B) from the session's
``small_project`` fixture (``tests/nbdata.py``: sample of 1000 people, seed 11,
prepared with the shipped ``workbench.toml``)::

    p = load_prepared(processed)
    js = build_journeys(p.touchpoints, p.conversions, lookback_days=90)
    paths = paths_from_journeys(js.touches, js.journeys)
    credits = attribute(paths, model, with_touches=False, with_details=False).credits

Digests are the first 16 hex digits of sha256 over the values joined by newlines
(row order; missing as the empty string), so a changed person partition, person
id, identity or journey id changes them. Credits are conversions per channel
rounded to 6 decimals.
"""

from __future__ import annotations

import hashlib
import warnings

import pandas as pd
import pytest

from workbench.attribution import attribute, paths_from_journeys
from workbench.journeys.build import build_journeys
from workbench.prepare import load_prepared

EXPECTED_COUNTS = {"touchpoints": 26274, "people": 1056}
EXPECTED_DIGESTS = {
    "touch_person_ids": "60de0300ec27d242",
    "conversion_person_ids": "e3d2124395da6de6",
    "identities": "708bbb6492878089",
    "journey_ids": "76a28ebfc7817b5b",
}
EXPECTED_CREDITS = {
    "first": {
        "Direct": 30.0,
        "Display - Retargeting": 39.0,
        "Email": 170.0,
        "Events": 7.0,
        "Organic Search": 120.0,
        "Organic Social": 60.0,
        "Paid Search - Brand": 45.0,
        "Paid Search - Generic": 228.0,
        "Paid Social - LinkedIn": 139.0,
        "Paid Social - Meta": 144.0,
        "Referral": 86.0,
        "Sales": 40.0,
        "Webinar": 9.0,
        "(no known touch)": 258.0,
    },
    "last": {
        "Direct": 190.0,
        "Display - Retargeting": 124.0,
        "Email": 50.0,
        "Events": 0.0,
        "Organic Search": 118.0,
        "Organic Social": 19.0,
        "Paid Search - Brand": 159.0,
        "Paid Search - Generic": 141.0,
        "Paid Social - LinkedIn": 115.0,
        "Paid Social - Meta": 79.0,
        "Referral": 63.0,
        "Sales": 57.0,
        "Webinar": 2.0,
        "(no known touch)": 258.0,
    },
    "linear": {
        "Direct": 123.290343,
        "Display - Retargeting": 88.229113,
        "Email": 106.65885,
        "Events": 2.765301,
        "Organic Search": 130.727488,
        "Organic Social": 34.743982,
        "Paid Search - Brand": 89.458532,
        "Paid Search - Generic": 182.33131,
        "Paid Social - LinkedIn": 128.536206,
        "Paid Social - Meta": 111.899822,
        "Referral": 81.659442,
        "Sales": 33.010348,
        "Webinar": 3.689264,
        "(no known touch)": 258.0,
    },
    "time_decay": {
        "Direct": 132.09956,
        "Display - Retargeting": 97.911208,
        "Email": 79.642167,
        "Events": 2.054395,
        "Organic Search": 131.580143,
        "Organic Social": 32.304739,
        "Paid Search - Brand": 99.551165,
        "Paid Search - Generic": 179.448455,
        "Paid Social - LinkedIn": 129.187855,
        "Paid Social - Meta": 111.797615,
        "Referral": 82.788249,
        "Sales": 36.286418,
        "Webinar": 2.348031,
        "(no known touch)": 258.0,
    },
    "position": {
        "Direct": 113.501358,
        "Display - Retargeting": 82.501088,
        "Email": 108.925201,
        "Events": 3.397934,
        "Organic Search": 121.905797,
        "Organic Social": 38.53193,
        "Paid Search - Brand": 98.366363,
        "Paid Search - Generic": 183.888882,
        "Paid Social - LinkedIn": 128.271495,
        "Paid Social - Meta": 112.19016,
        "Referral": 76.26915,
        "Sales": 44.206531,
        "Webinar": 5.044111,
        "(no known touch)": 258.0,
    },
    "markov:1": {
        "Direct": 130.573757,
        "Display - Retargeting": 112.331024,
        "Email": 119.852155,
        "Events": 13.399079,
        "Organic Search": 116.840277,
        "Organic Social": 29.50493,
        "Paid Search - Brand": 108.895377,
        "Paid Search - Generic": 150.377226,
        "Paid Social - LinkedIn": 89.866371,
        "Paid Social - Meta": 105.877706,
        "Referral": 71.852217,
        "Sales": 52.731886,
        "Webinar": 14.897997,
        "(no known touch)": 258.0,
    },
}


def _digest(values: pd.Series) -> str:
    text = "\n".join("" if pd.isna(v) else str(v) for v in values)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


@pytest.fixture(scope="module")
def prepared(small_project):
    return load_prepared(small_project[1])


@pytest.fixture(scope="module")
def journeys(prepared):
    return build_journeys(prepared.touchpoints, prepared.conversions, lookback_days=90)


def test_people_and_ids_unchanged(prepared):
    ident = prepared.identities
    got = {
        "touch_person_ids": _digest(prepared.touchpoints["person_id"]),
        "conversion_person_ids": _digest(prepared.conversions["person_id"]),
        "identities": _digest(
            ident["id_type"] + ":" + ident["id_value"] + "=" + ident["person_id"].fillna("")
        ),
    }
    assert len(prepared.touchpoints) == EXPECTED_COUNTS["touchpoints"]
    assert prepared.people["person_id"].nunique() == EXPECTED_COUNTS["people"]
    assert got == {k: v for k, v in EXPECTED_DIGESTS.items() if k in got}


def test_journey_ids_unchanged(journeys):
    assert _digest(journeys.journeys["journey_id"]) == EXPECTED_DIGESTS["journey_ids"]


@pytest.mark.parametrize("model", sorted(EXPECTED_CREDITS))
def test_credits_unchanged(journeys, model):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # touchless conversions are announced
        paths = paths_from_journeys(journeys.touches, journeys.journeys)
    credits = attribute(paths, model, with_touches=False, with_details=False).credits
    got = dict(zip(credits["channel"], credits["conversions"].round(6), strict=True))
    assert got == pytest.approx(EXPECTED_CREDITS[model], abs=1e-6)
