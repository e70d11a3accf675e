"""Findings sentences, derived attributes, coverage and the notebook workspace."""

from __future__ import annotations

import pandas as pd
import pytest

from workbench.errors import ConfigError, WorkbenchError
from workbench.identity.attributes import derive_attributes, person_attributes
from workbench.notebook.findings import (
    friction_sentence,
    lift_sentence,
    overclaim_sentence,
    segment_sentence,
    starter_sentence,
    truth_sentence,
    window_sentence,
)


def test_starter_sentence_picks_the_largest_gap_between_starts_and_last_click():
    roles = pd.DataFrame({"channel": ["LinkedIn", "Brand"], "start_share": [0.31, 0.10]})
    credits = pd.DataFrame(
        {
            "model": ["last", "last"],
            "channel": ["LinkedIn", "Brand"],
            "conversions": [4.0, 96.0],
            "value": [0.0, 0.0],
        }
    )
    assert starter_sentence(roles, credits, segment="enterprise") == (
        "LinkedIn starts 31% of enterprise converting journeys but gets 4% of last-click credit."
    )


def test_starter_sentence_says_nothing_without_a_gap():
    roles = pd.DataFrame({"channel": ["A"], "start_share": [0.2]})
    credits = pd.DataFrame(
        {"model": ["last"], "channel": ["A"], "conversions": [10.0], "value": [0.0]}
    )
    assert starter_sentence(roles, credits, segment="all") is None


def test_overclaim_sentence_uses_the_counts():
    counting = pd.DataFrame(
        {
            "metric": ["conversions"],
            "claimed": [395.0],
            "deduplicated": [289.0],
            "ratio": [395 / 289],
        }
    )
    claims = pd.DataFrame({"platform": ["meta", "google_ads"], "conversions": [97.0, 237.0]})
    assert overclaim_sentence(counting, claims) == (
        "The ad platforms together claim 395 conversions (google_ads alone claims 237); "
        "289 really happened, so they count 1.4x."
    )


def test_lift_sentence_needs_a_significant_lift_with_enough_journeys():
    lift = pd.DataFrame(
        {
            "touchpoint": ["a webinar attended", "a demo"],
            "significant": [True, False],
            "journeys_with": [107, 300],
            "lift": [2.9, 5.0],
            "rate_with": [0.22, 0.5],
            "rate_without": [0.076, 0.1],
        }
    )
    text = lift_sentence(lift)
    assert text.startswith("Journeys with a webinar attended convert at 2.9x the rate")
    assert "(22% vs 8%, 107 journeys with it)" in text
    assert lift_sentence(lift.assign(significant=False)) is None


def test_friction_window_segment_and_truth_sentences():
    friction = pd.DataFrame(
        {
            "from_stage": ["decision", "awareness"],
            "to_stage": ["conversion", "consideration"],
            "lost_journeys": [2018, 683],
            "drop_off_rate": [0.889, 0.2],
            "entrants": [2270, 3381],
        }
    )
    assert friction_sentence(friction, segment="all") == (
        "The biggest drop-off in all journeys is decision -> conversion: 89% of the 2,270 "
        "journeys that reach decision go no further."
    )
    rec = pd.DataFrame(
        {
            "segment": ["SMB", "Enterprise"],
            "recommended_days": [14.0, 90.0],
            "median_days": [2.8, 66.5],
        }
    )
    assert window_sentence(rec) == (
        "Attribution window that covers 90% of conversions: SMB 14 days (median journey 3 days); "
        "Enterprise 90 days (median journey 66 days)."
    )
    comparison = pd.DataFrame(
        {
            "segment": ["SMB"] * 3 + ["Ent"] * 3,
            "metric": ["median_path_length_converted", "median_duration_days", "conversion_rate"]
            * 2,
            "value": [4, 2.8, 0.24, 15, 66.5, 0.057],
        }
    )
    assert segment_sentence(comparison) == (
        "Typical converting journey - SMB: 4 touches over 3 days, 24% convert; "
        "Ent: 15 touches over 66 days, 6% convert."
    )
    scores = pd.DataFrame({"model": ["last", "markov:2"], "tv_conversions": [0.59, 0.24]})
    assert truth_sentence(scores) == (
        "Against the known causal truth, Markov chain (order 2) is closest (misallocates 24% "
        "of credit) and Last touch furthest (59%)."
    )


def test_derived_attributes_first_match_wins_then_default():
    frame = pd.DataFrame({"employees": [5000, 40, None], "country": ["France", "Japan", None]})
    out = derive_attributes(
        frame,
        {
            "customer_type": {
                "enterprise": "employees > 200",
                "smb": "employees <= 200",
                "default": "unknown",
            }
        },
    )
    assert out["customer_type"].tolist() == ["enterprise", "smb", "unknown"]


def test_bad_attribute_query_is_a_config_error_naming_the_key():
    with pytest.raises(ConfigError, match=r"attributes.tier.gold = 'revenue > 5' cannot be"):
        derive_attributes(pd.DataFrame({"employees": [1]}), {"tier": {"gold": "revenue > 5"}})


def test_person_attributes_join_accounts_and_latest_conversion_values():
    people = pd.DataFrame(
        {
            "person_id": ["p1", "p2"],
            "account_id": ["18", pd.NA],
            "is_known": [True, False],
            "is_internal": [False, False],
        }
    )
    accounts = pd.DataFrame({"crm_account_id": ["18"], "employees": [900.0], "country": ["Canada"]})
    conversions = pd.DataFrame(
        {
            "person_id": ["p1", "p1"],
            "ts": pd.to_datetime(["2026-01-01", "2026-02-01"], utc=True),
            "attr_product_line": ["Attribution", "Data Platform"],
        }
    )
    out = person_attributes(
        people,
        accounts=accounts,
        conversions=conversions,
        derived={"region": {"NA": "country == 'Canada'", "default": "?"}},
    )
    row = out.set_index("person_id").loc["p1"]
    assert (row["employees"], row["product_line"], row["region"]) == (900.0, "Data Platform", "NA")
    assert out.set_index("person_id").loc["p2", "region"] == "?"


@pytest.fixture(scope="module")
def workspace(small_project):
    from workbench.notebook.workspace import Workspace

    config, processed = small_project
    return Workspace.load(config, processed)


def test_workspace_segments_periods_and_coverage(workspace):
    from workbench.analysis.health import coverage, source_overview

    everyone = workspace.journeys()
    smb = workspace.journeys(segment="smb")
    assert 0 < len(smb.journeys) < len(everyone.journeys)
    assert set(smb.journeys["customer_type"]) == {"smb"}
    assert workspace.segment_label("smb") == "Self-serve SMB"
    start, end = workspace.period(30)
    assert end - start == pd.Timedelta(days=30)
    recent = workspace.journeys(period_days=30)
    assert recent.journeys["converted"].sum() < everyone.journeys["converted"].sum()
    cov = coverage(workspace.prepared, everyone).set_index("metric")
    converted = int(everyone.journeys["converted"].sum())
    assert cov.loc["converted journeys with at least one known touch", "value"] <= converted
    assert source_overview(workspace.prepared)["rows"].gt(0).all()
    reasons = set(everyone.excluded["reason"])
    assert "internal or test person" in reasons


def test_workspace_unknown_segment_lists_the_known_ones(workspace):
    with pytest.raises(
        WorkbenchError,
        match="segment = 'martians' is not defined; known segments: all, smb, enterprise",
    ):
        workspace.journeys(segment="martians")


def test_explore_builds_controls_and_renders_the_view(workspace):
    from workbench.notebook.widgets import explore

    calls = []
    box = explore(
        lambda **kw: calls.append(kw) or pd.DataFrame({"x": [1]}),
        workspace,
        segment="smb",
        models=["last", "markov:1"],
        path_level="channel",
    )
    controls = [w for row in box.children[:3] for w in row.children]
    assert [c.description for c in controls] == [
        "Segment",
        "Period",
        "Lookback (days)",
        "From",
        "To",
        "Model",
        "Path level",
    ]
    assert calls and calls[-1]["segment"] == "smb" and calls[-1]["model"] == "last"
    controls[0].value = "enterprise"
    assert calls[-1]["segment"] == "enterprise"
    controls[3].value = "2026-01-01"
    assert calls[-1]["start"] == "2026-01-01" and calls[-1]["end"] == ""
    n = len(calls)
    controls[4].value = "2025-12-01"  # before the start: an error, not a call
    assert len(calls) == n


def test_journeys_carry_lead_and_opportunity_times_for_w_shaped(workspace):
    from workbench.attribution import run_models

    js = workspace.journeys(segment="enterprise")
    won = js.journeys[js.journeys["converted"]]
    assert won["lead_ts"].notna().any() and won["opportunity_ts"].notna().any()
    for column in ("lead_ts", "opportunity_ts"):
        stamped = won.dropna(subset=[column])
        assert (stamped[column] <= stamped["conversion_ts"]).all()
    credits = run_models(js.touches, js.journeys, models=["position", "w_shaped"])
    wide = credits.pivot(index="channel", columns="model", values="conversions")
    assert wide["w_shaped"].sum() == pytest.approx(wide["position"].sum())
    assert not wide["w_shaped"].round(6).equals(wide["position"].round(6))


def test_largest_people_are_listed_whatever_their_size(workspace):
    from workbench.analysis.health import LARGEST_SHOWN, largest_people

    top = largest_people(workspace.prepared)
    assert len(top) == LARGEST_SHOWN
    sizes = top["identifiers"].tolist()
    assert sizes == sorted(sizes, reverse=True)
    assert sizes[0] == workspace.prepared.people["identifiers"].max()
    # listed although none of them is over the alert threshold
    assert not top["alert"].any()


def test_data_range_of_a_spend_only_project_spans_its_spend_days():
    from types import SimpleNamespace

    from workbench.notebook.workspace import Workspace

    empty = pd.DataFrame({"ts": pd.Series([], dtype="datetime64[us, UTC]")})
    spend = pd.DataFrame({"date": pd.to_datetime(["2026-03-02", "2026-03-01"])})
    prepared = SimpleNamespace(touchpoints=empty, conversions=empty, spend=spend)
    ws = Workspace(config=None, prepared=prepared, people=pd.DataFrame())  # type: ignore[arg-type]
    first, last = ws.data_range()
    assert first == pd.Timestamp("2026-03-01", tz="UTC")
    assert last == pd.Timestamp("2026-03-03", tz="UTC") - pd.Timedelta("1us")


def test_build_journeys_gives_the_workspace_w_shaped_credit(workspace):
    """Stage times are part of journey cutting: build_journeys alone credits W-shaped alike."""
    from workbench.attribution import run_models
    from workbench.journeys.build import build_journeys
    from workbench.journeys.rules import apply_journey_rules
    from workbench.notebook.workspace import drop_internal

    ws_js = workspace.journeys()
    jc = workspace.config.journeys
    conversions = drop_internal(workspace.prepared.conversions)[0]
    touches, _ = apply_journey_rules(
        drop_internal(workspace.prepared.touchpoints)[0],
        conversions,
        workspace.config.journey_rules,
    )
    plain = build_journeys(
        touches,
        conversions,
        lookback_days=jc.lookback_days,
        unit=jc.unit,
        touch_types=jc.touch_types,
        collapse_repeats=jc.collapse_repeats,
        path_level=jc.path_level,
        conversion_types=jc.conversion_types,
        period=workspace.period(),
        attributes=workspace.people.drop(columns=["account_id"], errors="ignore"),
    )
    assert plain.journeys["lead_ts"].notna().any()
    pd.testing.assert_series_equal(plain.journeys["lead_ts"], ws_js.journeys["lead_ts"])
    ours = run_models(plain.touches, plain.journeys, models=["w_shaped"])
    theirs = run_models(ws_js.touches, ws_js.journeys, models=["w_shaped"])
    pd.testing.assert_frame_equal(ours, theirs)


def test_a_kernel_loads_the_tables_once_and_each_notebook_gets_its_own_copy(
    small_project, monkeypatch, tmp_path
):
    """Report kernels run many notebooks: the second load reads nothing again."""
    import shutil

    from workbench.notebook import workspace as module

    config, processed = small_project
    reads = []
    real = module.load_prepared
    monkeypatch.setattr(module, "load_prepared", lambda d: reads.append(d) or real(d))
    monkeypatch.setattr(module, "_LOADED", {})
    first = module.Workspace.load(config, processed)
    first.prepared.touchpoints["added_by_a_notebook"] = 1
    js = first.journeys()
    js.journeys["score"] = 0.5
    second = module.Workspace.load(config, processed)
    assert len(reads) == 1
    assert "added_by_a_notebook" not in second.prepared.touchpoints.columns
    again = second.journeys()
    assert "score" not in again.journeys.columns
    pd.testing.assert_frame_equal(again.touches, js.touches)
    # other prepared tables (a new prepare, another folder) are read again
    copy = tmp_path / "processed"
    shutil.copytree(processed, copy)
    module.Workspace.load(config, copy)
    assert len(reads) == 2


def test_equal_journey_requests_build_once_and_segments_filter_every_journey(
    small_project, monkeypatch
):
    """Defaults spelled out or left out are one request; a segment is a filter of all."""
    from workbench.analysis.segments import segment_mask
    from workbench.notebook import workspace as module

    config, processed = small_project
    builds = []
    real = module.build_journeys
    monkeypatch.setattr(module, "build_journeys", lambda *a, **k: builds.append(k) or real(*a, **k))
    monkeypatch.setattr(module, "_LOADED", {})
    ws = module.Workspace.load(config, processed)
    jc = ws.config.journeys
    everyone = ws.journeys()
    spelled = ws.journeys(lookback_days=jc.lookback_days, path_level=jc.path_level, unit=jc.unit)
    smb = ws.journeys(segment="smb")
    enterprise = ws.journeys(segment="enterprise", lookback_days=jc.lookback_days)
    assert len(builds) == 1
    pd.testing.assert_frame_equal(spelled.journeys, everyone.journeys)
    mask = segment_mask(everyone.journeys, ws.config.segments["smb"])
    expected = everyone.journeys.loc[mask].reset_index(drop=True)
    pd.testing.assert_frame_equal(smb.journeys, expected)
    theirs = everyone.touches[everyone.touches["journey_id"].isin(expected["journey_id"])]
    pd.testing.assert_frame_equal(smb.touches, theirs.reset_index(drop=True))
    assert smb.settings["segment"] == "smb" and enterprise.settings["segment"] == "enterprise"
    pd.testing.assert_frame_equal(smb.excluded, everyone.excluded)
    ws.journeys(segment="smb", lookback_days=jc.lookback_days + 1)  # another request
    assert len(builds) == 2 and builds[1]["lookback_days"] == jc.lookback_days + 1
