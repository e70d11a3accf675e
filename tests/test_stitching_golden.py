"""Golden values: speed work (issue 16) must not change people, ids, journeys or credits.

The expected values below were computed on commit 07a9cc1 (before the issue-16
changes to stitching, journeys and the attribution input) from the session's
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
from workbench.journeys import build_journeys
from workbench.prepare import load_prepared

EXPECTED_COUNTS = {"touchpoints": 25185, "people": 1059}
EXPECTED_DIGESTS = {
    "touch_person_ids": "de6a9bad58a04b07",
    "conversion_person_ids": "a4b3407a34eee2b0",
    "identities": "05191bf9c9786257",
    "journey_ids": "e44b3029ad9c4dc9",
}
EXPECTED_CREDITS = {
    "first": {
        "Direct": 33.0,
        "Display - Retargeting": 43.0,
        "Email": 175.0,
        "Events": 4.0,
        "Organic Search": 116.0,
        "Organic Social": 57.0,
        "Paid Search - Brand": 46.0,
        "Paid Search - Generic": 224.0,
        "Paid Social - LinkedIn": 136.0,
        "Paid Social - Meta": 144.0,
        "Referral": 82.0,
        "Sales": 44.0,
        "Webinar": 9.0,
        "(no known touch)": 262.0,
    },
    "last": {
        "Direct": 161.0,
        "Display - Retargeting": 128.0,
        "Email": 49.0,
        "Events": 1.0,
        "Organic Search": 123.0,
        "Organic Social": 20.0,
        "Paid Search - Brand": 159.0,
        "Paid Search - Generic": 146.0,
        "Paid Social - LinkedIn": 117.0,
        "Paid Social - Meta": 84.0,
        "Referral": 63.0,
        "Sales": 59.0,
        "Webinar": 3.0,
        "(no known touch)": 262.0,
    },
    "linear": {
        "Direct": 95.522641,
        "Display - Retargeting": 93.034541,
        "Email": 94.505377,
        "Events": 2.489404,
        "Organic Search": 139.716552,
        "Organic Social": 35.440926,
        "Paid Search - Brand": 89.031313,
        "Paid Search - Generic": 185.769212,
        "Paid Social - LinkedIn": 131.376264,
        "Paid Social - Meta": 119.539197,
        "Referral": 85.797033,
        "Sales": 36.203631,
        "Webinar": 4.573908,
        "(no known touch)": 262.0,
    },
    "time_decay": {
        "Direct": 105.891685,
        "Display - Retargeting": 101.799831,
        "Email": 70.722833,
        "Events": 2.202099,
        "Organic Search": 139.875277,
        "Organic Social": 33.053427,
        "Paid Search - Brand": 97.695857,
        "Paid Search - Generic": 182.836475,
        "Paid Social - LinkedIn": 131.706018,
        "Paid Social - Meta": 118.708765,
        "Referral": 86.298849,
        "Sales": 39.25756,
        "Webinar": 2.951323,
        "(no known touch)": 262.0,
    },
    "position": {
        "Direct": 96.956151,
        "Display - Retargeting": 86.57116,
        "Email": 107.629511,
        "Events": 2.578578,
        "Organic Search": 124.641753,
        "Organic Social": 37.948617,
        "Paid Search - Brand": 98.718577,
        "Paid Search - Generic": 185.05912,
        "Paid Social - LinkedIn": 128.332742,
        "Paid Social - Meta": 115.805947,
        "Referral": 75.90319,
        "Sales": 47.246344,
        "Webinar": 5.608311,
        "(no known touch)": 262.0,
    },
    "markov:1": {
        "Direct": 101.893465,
        "Display - Retargeting": 117.101851,
        "Email": 124.844658,
        "Events": 10.884492,
        "Organic Search": 119.489263,
        "Organic Social": 29.976419,
        "Paid Search - Brand": 109.657876,
        "Paid Search - Generic": 154.001158,
        "Paid Social - LinkedIn": 92.52326,
        "Paid Social - Meta": 108.68763,
        "Referral": 72.984412,
        "Sales": 55.013406,
        "Webinar": 15.942109,
        "(no known touch)": 262.0,
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
