"""The recommendation sentence of the attribution report and the executive summary."""

from __future__ import annotations

import pandas as pd

from workbench.attribution.calibration import RECOMMENDATION_COLUMNS
from workbench.notebook.findings import MODEL_QUESTIONS, evidence_sentence


def _evidence(rows: list[tuple[str, float]], kind: str) -> pd.DataFrame:
    out = pd.DataFrame(rows, columns=["model", "distance"])
    out["evidence"] = kind
    out["recommended"] = out.index == 0
    return out[list(RECOMMENDATION_COLUMNS)]


def test_names_the_closest_model_and_every_distance():
    ev = _evidence([("linear", 0.21), ("markov:1", 0.3), ("last", 0.62)], "truth")
    assert evidence_sentence(ev) == (
        "Closest to the known causal truth: Linear (equal split) (21% of credit misallocated); "
        "then Markov chain (order 1) 30%, Last touch 62%."
    )


def test_experiments_are_named_as_the_evidence():
    ev = _evidence([("shapley", 0.4)], "experiments")
    assert evidence_sentence(ev) == (
        "Closest to the lift tests: Shapley (40% mean relative error against the tests)."
    )


def test_without_evidence_it_says_so_and_what_each_family_answers():
    sentence = evidence_sentence(pd.DataFrame(columns=list(RECOMMENDATION_COLUMNS)))
    assert sentence.startswith("No evidence picks a model")
    assert MODEL_QUESTIONS in sentence
