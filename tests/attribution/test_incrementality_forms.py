"""The incrementality model's feature forms, credit variants and covariates, by hand."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy.special import expit

from tests.attribution.test_incrementality import EXACT, cells, credit
from workbench.attribution import paths_from_journeys, run_models, run_models_detailed
from workbench.attribution.incrementality import (
    BASELINE,
    IncrementalityModel,
    control_features,
    journey_parts,
    path_features,
)
from workbench.config import parse_config
from workbench.errors import ConfigError, ValidationError


def test_decayed_features_count_each_later_touch_less():
    touches, journeys = cells([(("A", "B", "A", "A"), 1, 0), (("B",), 0, 1)])
    paths = paths_from_journeys(touches, journeys)
    x = path_features(paths, "decayed", 0.5).toarray()
    assert x.tolist() == [[1.75, 1.0], [0.0, 1.0]]  # A: 1 + 1/2 + 1/4
    assert path_features(paths, "decayed", 1.0).toarray().tolist() == [[3, 1], [0, 1]]
    with pytest.raises(ValueError, match="decay"):
        path_features(paths, "decayed", 0.0)
    with pytest.raises(ValueError, match="decay"):
        run_models(touches, journeys, ["incrementality"], features="decayed", decay=1.5)


def test_decay_zero_is_chosen_by_cross_validation_and_reported():
    # each further touch of A adds 0.8 times the one before (logit -3 + 1, 1.8, 2.44);
    # B adds nothing; 1,000 journeys per path, as weights
    spec = [("A",), ("A", "A"), ("A", "A", "A"), ("B", "A"), ("B", "A", "A"), ("B", "A", "A", "A")]
    touches, journeys = cells([(path, 1, 0) for path in spec])
    paths = paths_from_journeys(touches, journeys)
    p = expit(-3 + np.array([1, 1.8, 2.44, 1, 1.8, 2.44]))
    paths = paths.with_weights(1000 * p, 1000 * (1 - p), 10 * 1000 * p)
    model = IncrementalityModel(paths, features="decayed", decay=0.0, controls=(), folds=2)
    assert model.decay == 0.8
    assert model.cv["decay"].unique().tolist() == [0.8]
    assert model.theta[1:] == pytest.approx([1.0, 0.0], abs=0.05)  # A, B


def test_lost_credit_keeps_removal_effects_and_scales_them_once():
    # logit 0 without marketing, A adds ln 3, B ln 9 (exact fit of the three cells):
    # p(A) = 3/4, p(B) = 9/10, p(AB) = 27/28, v() = 1/2
    touches, journeys = cells([(("A",), 3, 1), (("B",), 9, 1), (("A", "B"), 27, 1)])
    lost = run_models(touches, journeys, ["incrementality"], credit="lost", **EXACT)
    # expected conversions lost without A: 3 (1/4)/(3/4) + 27 (27/28 - 9/10)/(27/28) = 2.8
    # without B: 9 (4/10)/(9/10) + 27 (27/28 - 3/4)/(27/28) = 10; incremental: 1 + 4 + 13
    assert credit(lost, "A") == pytest.approx(18 * 2.8 / 12.8, abs=1e-4)
    assert credit(lost, "B") == pytest.approx(18 * 10 / 12.8, abs=1e-4)
    assert credit(lost, BASELINE) == pytest.approx(39 - 18, abs=1e-4)
    assert lost["value"].sum() == pytest.approx(390.0)
    # rescaled per journey instead, A gets 1 + 27 (18/78)(13/27) = 4
    removal = run_models(touches, journeys, ["incrementality"], credit="removal", **EXACT)
    assert credit(removal, "A") == pytest.approx(4.0, abs=1e-4)
    c = np.array([[math.log(3), math.log(9)]])
    assert journey_parts(c, 0.0, credit="lost")[0] == pytest.approx([27 / 28 - 0.9, 27 / 28 - 0.75])
    # per journey, credits and value follow the same shares (value 10 a conversion)
    res = run_models_detailed(touches, journeys, ["incrementality"], credit="lost", **EXACT)
    per = res["incrementality"].details["journey_credits"]
    assert per["value"].to_numpy() == pytest.approx(10 * per["conversions"].to_numpy())


def _regions() -> tuple[pd.DataFrame, pd.DataFrame]:
    """eu: base odds 1/9, B x 2.25; us: base odds 1/3, B x 2.25 (and more A-only journeys)."""
    eu = cells([(("A",), 5, 45), (("B",), 10, 40), (("A", "B"), 10, 40)])
    us = cells([(("A",), 25, 75), (("B",), 30, 40), (("A", "B"), 30, 40)])
    for frame, name in ((eu, "eu"), (us, "us")):
        for table in frame:
            table["journey_id"] = name + table["journey_id"]
        frame[1]["region"] = name
    return (
        pd.concat([eu[0], us[0]], ignore_index=True),
        pd.concat([eu[1], us[1]], ignore_index=True),
    )


def test_covariates_are_indicator_controls_of_the_journey():
    touches, journeys = _regions()
    options = {**EXACT, "covariates": ["region"]}
    res = run_models_detailed(touches, journeys, ["incrementality"], **options)["incrementality"]
    coef = res.details["coefficients"].set_index("term")["coefficient"]
    # us has more journeys: the reference; eu's base odds are a third of it
    assert coef["region=eu"] == pytest.approx(-math.log(3), abs=1e-4)
    assert coef["B"] == pytest.approx(math.log(2.25), abs=1e-4)
    assert coef["A"] == pytest.approx(0.0, abs=1e-4)
    # eu B: (0.2 - 0.1) / 0.2 of 20; us B: p = 3/7, without B 1/4 -> 5/12 of 60
    assert credit(res.credits, "B") == pytest.approx(10.0 + 25.0, abs=1e-3)
    assert credit(res.credits, BASELINE) == pytest.approx(110.0 - 35.0, abs=1e-3)
    pooled = run_models(touches, journeys, ["incrementality"], **EXACT)
    assert credit(pooled, "B") != pytest.approx(35.0, abs=0.1)  # the regions confound it


def test_covariates_keep_missing_values_and_name_missing_columns():
    touches, journeys = _regions()
    journeys.loc[journeys["journey_id"].str.startswith("eu"), "region"] = None
    paths = paths_from_journeys(touches, journeys, covariates="region")
    assert paths.covariate_names == ("region=(missing)",)
    assert paths.covariates.sum() == 150
    assert paths.subset(paths.conversions > 0).covariates.shape == (110, 1)
    z, names = control_features(paths, ("span",))
    assert names == ("span", "region=(missing)") and z.shape == (390, 2)
    with pytest.raises(ValidationError, match="country"):
        paths_from_journeys(touches, journeys, covariates=["country"])
    # the risk-set copies carry their journey's covariates
    out = run_models(
        touches, journeys, ["incrementality"], covariates=["region"], risk_set_cuts=2, folds=0
    )
    assert out["conversions"].sum() == pytest.approx(110.0)


def test_the_new_options_are_attribution_config_keys():
    raw = {"credit": "lost", "features": "decayed", "decay": 0.0, "covariates": ["region"]}
    cfg = parse_config({"attribution": {"models": ["incrementality"], **raw}})
    assert {k: cfg.attribution.options[k] for k in raw} == raw
    with pytest.raises(ConfigError, match="did you mean 'covariates'"):
        parse_config({"attribution": {"models": ["incrementality"], "covariate": ["region"]}})
