"""The incrementality model on tiny hand-computed journeys."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from workbench.attribution import paths_from_journeys, run_models, run_models_detailed
from workbench.attribution.calibration import experiment_comparison, experiments_frame
from workbench.attribution.compare import truthfulness
from workbench.attribution.incrementality import (
    BASELINE,
    control_features,
    fit_logistic,
    journey_parts,
)
from workbench.config import parse_config
from workbench.errors import ConfigError

EXACT = {"folds": 0, "penalty": 0.0, "controls": []}  # plain maximum likelihood


def cells(spec: list[tuple[tuple[str, ...], int, int]]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Journeys from ``(channels, converting, not converting)`` cells; value 10 each."""
    touches, journeys = [], []
    start = pd.Timestamp("2026-03-01", tz="UTC")
    n = 0
    for channels, conv, null in spec:
        for k in range(conv + null):
            jid = f"j{n:04d}"
            n += 1
            converted = k < conv
            for pos, ch in enumerate(channels):
                ts = start + pd.Timedelta(hours=pos)
                touches.append({"journey_id": jid, "position": pos, "channel": ch, "ts": ts})
            journeys.append(
                {
                    "journey_id": jid,
                    "converted": converted,
                    "value": 10.0 if converted else 0.0,
                    "conversion_ts": start + pd.Timedelta(days=1) if converted else pd.NaT,
                }
            )
    return pd.DataFrame(touches), pd.DataFrame(journeys)


def credit(credits: pd.DataFrame, channel: str) -> float:
    return float(credits.loc[credits["channel"] == channel, "conversions"].sum())


# B doubles the conversion probability (10 % -> 20 %); A changes nothing (with or
# without B the same rate): the logit fits the three cells exactly.
DOUBLES = [(("A",), 5, 45), (("B",), 10, 40), (("A", "B"), 10, 40)]


@pytest.mark.parametrize("method", ["removal", "shapley"])
def test_a_channel_that_doubles_conversion_gets_half_of_its_conversions(method):
    touches, journeys = cells(DOUBLES)
    out = run_models(touches, journeys, ["incrementality"], credit=method, **EXACT)
    # each of the 20 B conversions: p = 0.2 with B, 0.1 without -> (0.2 - 0.1) / 0.2 = 1/2
    assert credit(out, "B") == pytest.approx(10.0, abs=1e-4)
    # A is in converting and non-converting journeys at the same rate: no credit
    assert credit(out, "A") == pytest.approx(0.0, abs=1e-4)
    # the other half of B's conversions and all 5 A-only conversions happen anyway
    assert credit(out, BASELINE) == pytest.approx(15.0, abs=1e-4)
    assert out["conversions"].sum() == pytest.approx(25.0)
    assert out["value"].sum() == pytest.approx(250.0)


def test_the_fitted_coefficients_are_the_hand_computed_log_odds():
    touches, journeys = cells(DOUBLES)
    res = run_models_detailed(touches, journeys, ["incrementality"], **EXACT)["incrementality"]
    coef = res.details["coefficients"].set_index("term")["coefficient"]
    logit = lambda p: math.log(p / (1 - p))  # noqa: E731
    assert coef[BASELINE] == pytest.approx(logit(0.1), abs=1e-4)
    assert coef["B"] == pytest.approx(logit(0.2) - logit(0.1), abs=1e-4)
    assert coef["A"] == pytest.approx(0.0, abs=1e-4)


def test_a_channel_seen_more_in_failing_journeys_gets_no_negative_credit():
    # C lowers the rate (20 % -> 10 %): bounded at 0, it gets nothing and takes nothing
    touches, journeys = cells([(("B",), 10, 40), (("B", "C"), 5, 45), (("A",), 5, 45)])
    out = run_models(touches, journeys, ["incrementality"], **EXACT)
    assert credit(out, "C") == pytest.approx(0.0, abs=1e-6)
    assert (out["conversions"] >= -1e-9).all()
    neg = run_models(touches, journeys, ["incrementality"], nonnegative=False, **EXACT)
    coef_free = fit_logistic(
        paths_features(touches, journeys), *ys(touches, journeys), 0.0, nonnegative=False
    )
    assert coef_free[3] < 0  # C: unbounded, the fit finds the negative effect
    assert neg["conversions"].sum() == pytest.approx(20.0)


def paths_features(touches, journeys):
    from workbench.attribution.incrementality import path_features

    return path_features(paths_from_journeys(touches, journeys), "presence")


def ys(touches, journeys):
    p = paths_from_journeys(touches, journeys)
    return p.conversions, np.ones(p.n_paths)


def test_shapley_and_removal_parts_of_two_channels_by_hand():
    # logit 0 without marketing, ln 3 per channel: v() = 1/2, v(A) = v(B) = 3/4, v(AB) = 9/10
    c = np.array([[math.log(3), math.log(3)], [math.log(3), 0.0]])
    sh = journey_parts(c, 0.0, credit="shapley")
    assert sh[0] == pytest.approx([0.2, 0.2])  # 1/2 (1/4 + 3/20) each
    assert sh[1] == pytest.approx([0.25, 0.0])  # a channel with no effect: 0
    rm = journey_parts(c, 0.0, credit="removal")
    assert rm[0] == pytest.approx([0.2, 0.2])  # 0.15 each, rescaled to the gain 0.4
    # asymmetric: ln 3 and ln 9 -> v(A)=3/4, v(B)=9/10, v(AB)=27/28
    c2 = np.array([[math.log(3), math.log(9)]])
    phi = journey_parts(c2, 0.0, credit="shapley")[0]
    assert phi == pytest.approx([0.5 * (0.25 + 27 / 28 - 0.9), 0.5 * (0.4 + 27 / 28 - 0.75)])
    drops = np.array([27 / 28 - 0.9, 27 / 28 - 0.75])
    rem = journey_parts(c2, 0.0, credit="removal")[0]
    assert rem == pytest.approx(drops / drops.sum() * (27 / 28 - 0.5))


def test_many_channels_use_seeded_permutations_that_sum_to_the_gain():
    rng = np.random.default_rng(3)
    c = rng.uniform(0, 0.5, size=(4, 16))
    a = journey_parts(c, -1.0, credit="shapley", n_permutations=50, seed=1)
    b = journey_parts(c, -1.0, credit="shapley", n_permutations=50, seed=1)
    gain = 1 / (1 + np.exp(1.0 - c.sum(axis=1))) - 1 / (1 + math.e)
    assert np.array_equal(a, b)
    assert a.sum(axis=1) == pytest.approx(gain)


def random_journeys(seed: int = 0, n: int = 400):
    rng = np.random.default_rng(seed)
    lengths = rng.integers(1, 5, size=n)
    jid = np.repeat([f"j{i:04d}" for i in range(n)], lengths)
    channel = rng.choice(["A", "B", "C", "D"], size=lengths.sum())
    has_b = pd.Series(channel == "B").groupby(jid).any().to_numpy()
    converted = rng.random(n) < np.where(has_b, 0.4, 0.15)
    end = pd.Timestamp("2026-06-01", tz="UTC")
    back = np.concatenate([np.sort(rng.uniform(0, 20, k))[::-1] for k in lengths])
    touches = pd.DataFrame(
        {
            "journey_id": jid,
            "position": np.concatenate([np.arange(k) for k in lengths]),
            "channel": channel,
            "ts": end - pd.to_timedelta(back, unit="D"),
        }
    )
    journeys = pd.DataFrame(
        {
            "journey_id": [f"j{i:04d}" for i in range(n)],
            "converted": converted,
            "value": np.where(converted, 100.0, 0.0),
            "conversion_ts": end,
        }
    )
    return touches, journeys


def test_default_fit_is_deterministic_order_free_and_sums_to_the_conversions():
    touches, journeys = random_journeys()
    a = run_models_detailed(touches, journeys, ["incrementality"])["incrementality"]
    b = run_models(touches.sample(frac=1, random_state=4), journeys.sample(frac=1, random_state=5),
                   ["incrementality"])  # fmt: skip
    merged = a.credits.merge(b, on=["model", "channel"])
    assert merged["conversions_x"].to_numpy() == pytest.approx(merged["conversions_y"], abs=1e-6)
    assert a.credits["conversions"].sum() == pytest.approx(journeys["converted"].sum())
    assert a.credits["value"].sum() == pytest.approx(journeys["value"].sum())
    # B raises the rate, the others do not: B has the most credit
    ranked = a.credits[a.credits["channel"] != BASELINE].sort_values("conversions")
    assert ranked["channel"].iloc[-1] == "B"
    cv = a.details["cv"]
    assert cv["chosen"].sum() == 1 and cv["cv_log_loss"].notna().all()
    jc = a.details["journey_credits"]
    per = jc.groupby("journey_id")["conversions"].sum()
    assert per.to_numpy() == pytest.approx(1.0)


def test_touchless_conversions_stay_counted():
    touches, journeys = cells(DOUBLES)
    extra = pd.DataFrame(
        [{"journey_id": "none", "converted": True, "value": 7.0, "conversion_ts": pd.NaT}]
    )
    with pytest.warns(UserWarning, match="have no touches"):
        out = run_models(touches, pd.concat([journeys, extra]), ["incrementality"], **EXACT)
    assert credit(out, "(no known touch)") == 1.0
    assert out["conversions"].sum() == pytest.approx(26.0)


def test_bad_options_are_errors():
    touches, journeys = cells(DOUBLES)
    for bad, match in (
        ({"credit": "shaply"}, "credit must be one of"),
        ({"features": "count"}, "features must be one of"),
        ({"controls": ["lenght"]}, "controls must be among"),
        ({"folds": 1}, "folds must be"),
        ({"penalty": -1.0}, "penalty must be"),
        ({"horizon_days": -1.0}, "horizon_days must be"),
        ({"risk_set_cuts": -1}, "risk_set_cuts must be"),
    ):
        with pytest.raises(ValueError, match=match):
            run_models(touches, journeys, ["incrementality"], **bad)


def test_config_options_are_checked_with_a_suggestion():
    with pytest.raises(ConfigError, match="did you mean 'controls'"):
        parse_config({"attribution": {"models": ["incrementality"], "control": ["length"]}})
    cfg = parse_config({"attribution": {"models": ["incrementality"], "credit": "shapley"}})
    assert cfg.attribution.options["credit"] == "shapley"


def test_experiment_comparison_reads_the_fit_on_all_journeys():
    touches, journeys = cells(DOUBLES)
    exp = experiments_frame(
        [
            {
                "name": "B test",
                "channel": "B",
                "start": "2026-03-01",
                "end": "2026-04-01",
                "incremental": 10,
                "low": 5,
                "high": 15,
            }
        ]
    )
    cmp = experiment_comparison(touches, journeys, exp, ["incrementality", "linear"], **EXACT)
    ours = cmp.set_index("model").loc["incrementality"]
    # fitted on every journey: each of the 20 B conversions is lost with probability 1/2
    assert ours["credited"] == pytest.approx(10.0, abs=1e-4)
    lin = cmp.set_index("model").loc["linear"]
    assert lin["credited"] == pytest.approx(15.0)  # 10 B-only + 10 x 1/2


def test_truthfulness_compares_the_incremental_split_only():
    credits = pd.DataFrame(
        {
            "model": ["incrementality"] * 3,
            "channel": ["A", "B", BASELINE],
            "conversions": [30.0, 10.0, 60.0],
            "value": [3.0, 1.0, 6.0],
        }
    )
    truth = pd.DataFrame(
        {"channel": ["A", "B"], "conversions_lost": [3.0, 1.0], "revenue_lost": [3.0, 1.0]}
    )
    assert truthfulness(credits, truth)["tv_conversions"].iloc[0] == pytest.approx(0.0)


def test_bootstrap_intervals_include_the_baseline():
    from workbench.attribution import bootstrap_credits

    touches, journeys = cells(DOUBLES)
    out = bootstrap_credits(touches, journeys, ["incrementality"], n_boot=20, seed=0, **EXACT)
    row = out.set_index("channel").loc[BASELINE]
    assert row["conversions"] == pytest.approx(15.0, abs=1e-4)
    assert row["conversions_low"] <= row["conversions"] <= row["conversions_high"]
    assert set(out["channel"]) == {"A", "B", BASELINE}


def test_the_baseline_is_never_a_channel_last_click_undercredits():
    from workbench.attribution import undercredited_by_last_click

    touches, journeys = cells(DOUBLES)
    out = undercredited_by_last_click(run_models(touches, journeys, ["last", "incrementality"]))
    row = out[(out["model"] == "incrementality") & (out["channel"] == BASELINE)]
    assert len(row) == 1 and row["difference"].iloc[0] > 0
    assert not row["undercredited"].iloc[0]


def _two_strata() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Stratum "smb": DOUBLES (B doubles 10 % -> 20 %); stratum "ent": 30 % whatever it sees."""
    flat = [(("A",), 15, 35), (("B",), 15, 35), (("A", "B"), 15, 35)]
    frames = []
    for name, spec in (("smb", DOUBLES), ("ent", flat)):
        touches, journeys = cells(spec)
        touches["journey_id"] = name + touches["journey_id"]
        journeys["journey_id"] = name + journeys["journey_id"]
        frames.append((touches, journeys.assign(band=name)))
    return (
        pd.concat([t for t, _ in frames], ignore_index=True),
        pd.concat([j for _, j in frames], ignore_index=True),
    )


def test_strata_give_each_stratum_its_own_channel_effects():
    touches, journeys = _two_strata()
    out = run_models(touches, journeys, ["incrementality"], strata="band", **EXACT)
    # smb: B's 20 conversions, half incremental -> 10; ent: B changes nothing -> 0
    assert credit(out, "B") == pytest.approx(10.0, abs=1e-4)
    assert credit(out, "A") == pytest.approx(0.0, abs=1e-4)
    # smb: 15 would happen anyway (5 A-only, 10 of B's); ent: all 45
    assert credit(out, BASELINE) == pytest.approx(60.0, abs=1e-4)
    assert out["conversions"].sum() == pytest.approx(70.0)
    res = run_models_detailed(touches, journeys, ["incrementality"], strata="band", **EXACT)
    coef = res["incrementality"].details["coefficients"].set_index("term")["coefficient"]
    logit = lambda p: math.log(p / (1 - p))  # noqa: E731
    # strata sorted: "ent" first (the intercept's), then "smb" with its own indicator
    assert coef[BASELINE] == pytest.approx(logit(0.3), abs=1e-4)
    assert coef["stratum smb"] == pytest.approx(logit(0.1) - logit(0.3), abs=1e-4)
    assert coef["B | smb"] == pytest.approx(logit(0.2) - logit(0.1), abs=1e-4)
    assert coef["B | ent"] == pytest.approx(0.0, abs=1e-4)

    # per journey: B's credit sits on smb journeys only; pooled, it leaks into ent ones
    def b_on_ent(**options) -> float:
        res = run_models_detailed(touches, journeys, ["incrementality"], **options, **EXACT)
        per = res["incrementality"].details["journey_credits"]
        on_ent = per["journey_id"].str.startswith("ent") & (per["channel"] == "B")
        return float(per.loc[on_ent, "conversions"].sum())

    assert b_on_ent(strata="band") == pytest.approx(0.0, abs=1e-4)
    assert b_on_ent() > 1.0


def test_strata_name_a_missing_column_and_keep_missing_values_as_a_stratum():
    touches, journeys = _two_strata()
    with pytest.raises(Exception, match="nope"):
        run_models(touches, journeys, ["incrementality"], strata="nope", **EXACT)
    journeys.loc[journeys["band"] == "ent", "band"] = None
    paths = paths_from_journeys(touches, journeys, strata="band")
    assert paths.strata_names == ("(missing)", "smb")
    assert np.bincount(paths.strata).tolist() == [150, 150]
    assert paths.subset(paths.conversions > 0).strata is not None


def _entered(spec, days_before_end: float, prefix: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """:func:`cells` journeys whose first touch is ``days_before_end`` before 2026-03-10."""
    touches, journeys = cells(spec)
    shift = pd.Timestamp("2026-03-10", tz="UTC") - pd.Timedelta(days=days_before_end)
    shift -= pd.Timestamp("2026-03-01", tz="UTC")
    touches["ts"] += shift
    journeys["conversion_ts"] += shift
    touches["journey_id"] = prefix + touches["journey_id"]
    journeys["journey_id"] = prefix + journeys["journey_id"]
    return touches, journeys


def test_exposure_is_first_touch_to_the_end_of_the_observation():
    touches, journeys = cells([(("A", "B"), 1, 1)])  # first touch 03-01 00:00, conversion +1 day
    paths = paths_from_journeys(touches, journeys)
    assert paths.exposure_days.tolist() == pytest.approx([1.0, 1.0])  # end: the conversion
    paths = paths_from_journeys(touches, journeys, observation_end="2026-03-11")
    assert paths.exposure_days.tolist() == pytest.approx([10.0, 10.0])
    assert paths.subset(paths.conversions > 0).exposure_days.tolist() == pytest.approx([10.0])
    with pytest.raises(Exception, match="observation_end"):
        paths_from_journeys(touches, journeys, observation_end="soon")


def test_the_exposure_control_holds_entry_time_fixed_in_the_baseline():
    # late entrants (1 day to convert): DOUBLES' rates; early ones (9 days): odds x 3
    late = _entered(DOUBLES, 1, "late")
    early = _entered([(("A",), 25, 75), (("B",), 30, 40), (("A", "B"), 30, 40)], 9, "early")
    touches = pd.concat([late[0], early[0]], ignore_index=True)
    journeys = pd.concat([late[1], early[1]], ignore_index=True)
    options = {**EXACT, "controls": ["exposure"], "observation_end": "2026-03-10"}
    res = run_models_detailed(touches, journeys, ["incrementality"], **options)["incrementality"]
    coef = res.details["coefficients"].set_index("term")["coefficient"]
    # odds x 3 from log1p(1) = log 2 to log1p(9) = log 10 days
    assert coef["exposure"] == pytest.approx(math.log(3) / math.log(5), abs=1e-4)
    assert coef["B"] == pytest.approx(math.log(2.25), abs=1e-4)  # odds 1/9 -> 1/4
    out = res.credits
    # late B: (0.2 - 0.1) / 0.2 of 20; early B: p = 3/7, without B 1/4 -> 5/12 of 60
    assert credit(out, "B") == pytest.approx(10.0 + 25.0, abs=1e-3)
    assert credit(out, BASELINE) == pytest.approx(110.0 - 35.0, abs=1e-3)
    # capped at horizon_days = 2 the early entrants count 2 days, not 9
    paths = paths_from_journeys(touches, journeys, observation_end="2026-03-10")
    z, _ = control_features(paths, ("exposure",), horizon_days=2)
    assert sorted(set(np.round(z[:, 0], 9))) == pytest.approx([math.log(2), math.log(3)])


def test_first_channel_controls_are_indicators_of_the_opening_channel():
    touches, journeys = cells([(("A", "B"), 1, 2), (("B",), 1, 0), (("C", "A"), 0, 1)])
    paths = paths_from_journeys(touches, journeys)
    z, names = control_features(paths, ("first_channel", "span"))
    # A opens 3 journeys (the reference), B one, C one
    assert names == ("first B", "first C", "span")
    assert z[:, 0].tolist() == [0, 0, 0, 1, 0]
    assert z[:, 1].tolist() == [0, 0, 0, 0, 1]
    out = run_models(touches, journeys, ["incrementality"], controls=["first_channel"], folds=0)
    assert out["conversions"].sum() == pytest.approx(2.0)
