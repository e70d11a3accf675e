"""Tests of workbench.journeys.build: windows, ordering, ids, attributes, exclusions."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from workbench.config import JourneyConfig
from workbench.errors import ValidationError
from workbench.journeys.build import (
    _join_paths,
    build_journeys,
    journeys_from_config,
    paths_from_touches,
)
from workbench.schema import JOURNEY_TOUCHES, JOURNEYS


def ts(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="UTC")


def touches_frame(rows: list[tuple]) -> pd.DataFrame:
    """rows: (person, ts, channel, touch_type[, campaign[, account]])."""
    df = pd.DataFrame(
        {
            "person_id": [r[0] for r in rows],
            "ts": pd.to_datetime([r[1] for r in rows], utc=True),
            "channel": [r[2] for r in rows],
            "touch_type": [r[3] for r in rows],
            "campaign": [r[4] if len(r) > 4 else None for r in rows],
            "account_id": [r[5] if len(r) > 5 else None for r in rows],
        }
    )
    return df.astype({"person_id": "string", "channel": "string", "campaign": "string"})


def conversions_frame(rows: list[tuple], **extra: list) -> pd.DataFrame:
    """rows: (person, ts, type, value)."""
    df = pd.DataFrame(
        {
            "person_id": [r[0] for r in rows],
            "ts": pd.to_datetime([r[1] for r in rows], utc=True),
            "conversion_type": [r[2] for r in rows],
            "value": [r[3] for r in rows],
            **extra,
        }
    )
    return df.astype({"person_id": "string"})


TP = touches_frame(
    [
        ("a", "2026-01-01", "Paid Search", "ad_click"),  # 40 days before a's lead: out
        ("a", "2026-01-11", "Organic Search", "session"),  # exactly 30 days: in
        ("a", "2026-02-01", "Email", "email_click"),
        ("a", "2026-02-10", "Webinar", "webinar_attendance"),  # at conversion time: in
        ("a", "2026-02-15", "Direct", "session"),  # after the lead: only in the deal
        ("a", "2026-02-20", "Sales", "demo"),
        ("b", "2026-02-05", "Direct", "session"),  # b never converts
        ("b", "2026-02-06", "Direct", "session"),
        ("b", "2026-02-07", "Email", "email_open"),
    ]
)
CV = conversions_frame(
    [
        ("a", "2026-02-10", "lead", 0.0),
        ("a", "2026-02-25", "deal_won", 5000.0),
        ("c", "2026-02-08", "lead", np.nan),  # no touches at all
    ]
)


def test_windows_paths_and_counts() -> None:
    js = build_journeys(TP, CV, lookback_days=30)
    j = js.journeys.set_index("path")
    assert list(js.journeys["person_id"]) == ["a", "a", "b", "c"]
    assert list(js.journeys["conversion_type"].fillna("-")) == ["lead", "deal_won", "-", "lead"]
    lead = js.journeys.iloc[0]
    assert lead["path"] == "Organic Search > Email > Webinar"
    assert lead["n_touches"] == 3
    assert lead["duration_days"] == pytest.approx(30.0)
    assert lead["first_channel"] == "Organic Search" and lead["last_channel"] == "Webinar"
    # deal_won: lookback from Feb 25 is Jan 26; the lead of another type does not cut it
    deal = js.journeys.iloc[1]
    assert deal["path"] == "Email > Webinar > Direct > Sales"
    assert deal["value"] == 5000.0 and deal["converted"]
    assert deal["n_channels"] == 4
    assert j.loc["Direct > Direct > Email", "converted"] == np.False_
    assert j.loc["Direct > Direct > Email", "value"] == 0.0
    assert pd.isna(j.loc["Direct > Direct > Email", "conversion_ts"])
    zero = js.journeys.iloc[3]
    assert zero["path"] == "(no touch)" and zero["n_touches"] == 0 and zero["converted"]
    assert np.isnan(zero["duration_days"]) and zero["value"] == 0.0
    # touches: positions and days to the journey end
    t = js.touches.loc[js.touches["journey_id"] == lead["journey_id"]]
    assert list(t["position"]) == [0, 1, 2]
    assert list(t["days_to_conversion"]) == [30.0, 9.0, 0.0]
    nc = js.touches.loc[js.touches["journey_id"] == js.journeys.iloc[2]["journey_id"]]
    assert list(nc["days_to_conversion"]) == [2.0, 1.0, 0.0]
    # the Jan 1 touch is outside every window and counted, not dropped silently
    ex = js.excluded.set_index("reason")["rows"]
    assert ex["outside every journey window"] == 1
    assert len(js.touches) == 3 + 4 + 3


def test_previous_conversion_of_same_type_bounds_the_window() -> None:
    tp = touches_frame(
        [
            ("a", "2026-01-01", "Email", "email_click"),
            ("a", "2026-01-05", "Direct", "session"),  # == first lead ts -> first lead only
            ("a", "2026-01-07", "Webinar", "webinar_attendance"),
        ]
    )
    cv = conversions_frame(
        [("a", "2026-01-05", "lead", 1.0), ("a", "2026-01-08", "lead", 2.0)],
    )
    js = build_journeys(tp, cv, lookback_days=90)
    assert js.journeys["path"].tolist() == ["Email > Direct", "Webinar"]


def test_duplicate_conversions_get_distinct_ids_and_zero_touch_second() -> None:
    tp = touches_frame([("a", "2026-01-01", "Email", "email_click")])
    cv = conversions_frame([("a", "2026-01-02", "lead", 1.0), ("a", "2026-01-02", "lead", 1.0)])
    js = build_journeys(tp, cv)
    assert js.journeys["path"].tolist() == ["Email", "(no touch)"]
    assert js.journeys["journey_id"].is_unique


def test_journey_ids_are_stable_and_order_independent() -> None:
    a = build_journeys(TP, CV, lookback_days=30)
    shuffled = build_journeys(
        TP.sample(frac=1, random_state=3), CV.sample(frac=1, random_state=4), lookback_days=30
    )
    pd.testing.assert_frame_equal(a.journeys, shuffled.journeys)
    pd.testing.assert_frame_equal(a.touches, shuffled.touches)
    ids = a.journeys["journey_id"]
    assert ids.is_unique and ids.str.fullmatch(r"j[0-9a-f]{16}").all()
    # a different lookback keeps the ids (they name the conversion, not the window)
    b = build_journeys(TP, CV, lookback_days=10)
    assert b.journeys["journey_id"].tolist() == ids.tolist()


def test_ties_keep_input_order() -> None:
    tp = touches_frame(
        [
            ("a", "2026-01-01 10:00", "Webinar", "webinar_attendance"),
            ("a", "2026-01-01 10:00", "Email", "email_click"),
            ("a", "2026-01-01 09:00", "Direct", "session"),
        ]
    )
    cv = conversions_frame([("a", "2026-01-02", "lead", 1.0)])
    assert build_journeys(tp, cv).journeys["path"].iloc[0] == "Direct > Webinar > Email"
    swapped = tp.iloc[[1, 0, 2]]
    assert build_journeys(swapped, cv).journeys["path"].iloc[0] == "Direct > Email > Webinar"


def test_collapse_repeats_and_path_levels() -> None:
    tp = touches_frame(
        [
            ("a", "2026-01-01", "Paid Search", "ad_click", "brand"),
            ("a", "2026-01-02", "Paid Search", "ad_click", "generic"),
            ("a", "2026-01-03", "Paid Search", "ad_click", None),
            ("a", "2026-01-04", None, "session", None),
        ]
    )
    cv = conversions_frame([("a", "2026-01-05", "lead", 1.0)])
    plain = build_journeys(tp, cv)
    assert plain.journeys["path"].iloc[0] == (
        "Paid Search > Paid Search > Paid Search > Unassigned"
    )
    collapsed = build_journeys(tp, cv, collapse_repeats=True)
    assert collapsed.journeys["path"].iloc[0] == "Paid Search > Unassigned"
    assert collapsed.journeys["n_touches"].iloc[0] == 2
    assert collapsed.touches["position"].tolist() == [0, 1]
    assert collapsed.touches["ts"].tolist() == [ts("2026-01-01"), ts("2026-01-04")]
    camp = build_journeys(tp, cv, path_level="campaign")
    assert camp.journeys["path"].iloc[0] == "brand > generic > (not set) > (not set)"
    assert camp.journeys["first_channel"].iloc[0] == "Paid Search"
    assert camp.journeys["last_channel"].iloc[0] == "Unassigned"
    tt = build_journeys(tp, cv, path_level="touch_type", collapse_repeats=True)
    assert tt.journeys["path"].iloc[0] == "ad_click > session"


def test_non_converters_lookback_is_anchored_at_their_last_touch() -> None:
    tp = touches_frame(
        [
            ("b", "2026-01-01", "Email", "email_click"),  # 45 days before last: out
            ("b", "2026-01-20", "Direct", "session"),
            ("b", "2026-02-15", "Webinar", "webinar_attendance"),
        ]
    )
    cv = conversions_frame([("z", "2026-03-01", "lead", 1.0)])
    js = build_journeys(tp, cv, lookback_days=30)
    row = js.journeys.loc[js.journeys["person_id"] == "b"].iloc[0]
    assert row["path"] == "Direct > Webinar" and not row["converted"]
    assert row["duration_days"] == pytest.approx(26.0)


def test_period_filters_and_excluded_reasons() -> None:
    js = build_journeys(TP, CV, lookback_days=30, period=("2026-02-09", "2026-02-21"))
    # only a's lead (Feb 10) ends in the period; the deal (Feb 25) and c (Feb 8) do not.
    # a converts in the period, so it has no non-converting journey; b's touches come
    # before the period start (inside the lookback zone), so b has no journey.
    assert js.journeys["conversion_type"].tolist() == ["lead"]
    assert js.journeys["path"].tolist() == ["Organic Search > Email > Webinar"]
    ex = js.excluded.set_index(["table", "reason"])["rows"]
    assert ex[("conversions", "conversion outside the period")] == 2
    assert ex[("touchpoints", "touch outside the period and its lookback")] == 1  # Jan 1
    # Feb 15 and Feb 20 (after the lead) and b's three touches are in no window
    assert ex[("touchpoints", "outside every journey window")] == 5


def test_type_filters() -> None:
    js = build_journeys(
        TP, CV, lookback_days=30, touch_types=["session"], conversion_types=["deal_won"]
    )
    # sessions only; a's deal window (Jan 26 - Feb 25) holds the Feb 15 session; c has
    # only a lead (not selected) and no touch, so no journey
    assert js.journeys["person_id"].tolist() == ["a", "b"]
    assert js.journeys["path"].tolist() == ["Direct", "Direct > Direct"]
    ex = js.excluded.set_index("reason")["rows"]
    assert ex["touch type not selected"] == 5
    assert ex["conversion type not selected"] == 2


def test_conversion_without_type_is_excluded_with_a_reason() -> None:
    # the type is part of a converting journey's key: an untyped conversion cannot end
    # one, so it is counted, and its person is a non-converter like one whose conversion
    # type is not selected (found crashing with an Arrow index error, 2026-12-04)
    tp = touches_frame(
        [("a", "2026-01-01", "Email", "email_click"), ("b", "2026-01-02", "Direct", "session")]
    )
    cv = conversions_frame([("a", "2026-01-05", "lead", 1.0), ("b", "2026-01-06", None, 2.0)])
    cv["conversion_type"] = cv["conversion_type"].astype("string")
    for types in (None, ["lead"]):
        js = build_journeys(tp, cv, lookback_days=30, conversion_types=types)
        j = js.journeys.set_index("person_id")
        assert j["converted"].to_dict() == {"a": True, "b": False}
        assert j.loc["b", "path"] == "Direct"
        ex = js.excluded.set_index(["table", "reason"])["rows"].to_dict()
        assert ex == {("conversions", "no conversion_type"): 1}


def test_attributes_come_from_conversion_then_table_then_latest_conversion() -> None:
    cv = conversions_frame(
        [
            ("a", "2026-02-10", "lead", 0.0),
            ("a", "2026-02-25", "deal_won", 5000.0),
            ("b", "2026-01-01", "signup", 0.0),
        ],
        customer_type=["smb", None, "enterprise"],
        region=["EMEA", "EMEA", None],
    )
    attrs = pd.DataFrame({"person_id": ["b"], "region": ["US"]})
    js = build_journeys(
        TP, cv, lookback_days=30, conversion_types=["lead", "deal_won"], attributes=attrs
    )
    j = js.journeys.set_index(
        js.journeys["person_id"] + ":" + js.journeys["conversion_type"].fillna("none")
    )
    assert j.loc["a:lead", "customer_type"] == "smb"
    assert j.loc["a:deal_won", "customer_type"] == "smb"  # filled from a's latest known value
    assert j.loc["b:none", "customer_type"] == "enterprise"  # from b's signup (not selected)
    assert j.loc["b:none", "region"] == "US"  # the attributes table wins
    assert list(js.journeys.columns[: len(JOURNEYS.names)]) == JOURNEYS.names


def test_account_unit_and_account_column() -> None:
    tp = touches_frame(
        [
            ("a", "2026-01-01", "Email", "email_click", None, "acme"),
            ("b", "2026-01-02", "Webinar", "webinar_attendance", None, "acme"),
            ("c", "2026-01-03", "Direct", "session", None, None),
        ]
    )
    cv = conversions_frame([("a", "2026-01-04", "deal_won", 9.0)])
    cv["account_id"] = ["acme"]
    person = build_journeys(tp, cv)
    accounts = person.journeys.set_index("person_id")["account_id"]
    assert accounts["a"] == "acme" and accounts["b"] == "acme" and pd.isna(accounts["c"])
    account = build_journeys(tp, cv, unit="account")
    assert account.journeys["person_id"].tolist() == ["acme"]
    assert account.journeys["path"].tolist() == ["Email > Webinar"]
    assert account.journeys["account_id"].tolist() == ["acme"]
    assert account.excluded.set_index("reason")["rows"]["no account_id or no timestamp"] == 1


def test_schema_columns_and_dtypes() -> None:
    js = build_journeys(TP, CV)
    assert list(js.touches.columns) == JOURNEY_TOUCHES.names
    assert str(js.journeys["conversion_ts"].dtype) == "datetime64[us, UTC]"
    assert js.journeys["n_touches"].dtype == np.int64
    assert js.touches["journey_id"].dtype == "string"
    summary = js.summary().set_index("metric")["value"]
    assert summary["journeys"] == 4 and summary["zero_touch_journeys"] == 1


def test_validation_lists_every_problem() -> None:
    bad_tp = TP.drop(columns=["channel"]).assign(ts=TP["ts"].dt.tz_localize(None))
    with pytest.raises(ValidationError) as err:
        build_journeys(bad_tp, CV.drop(columns=["conversion_type"]), unit="team", path_level="x")
    text = str(err.value)
    for part in ("unit = 'team'", "path_level = 'x'", "'channel' is missing",
                 "'conversion_type' is missing", "tz-aware"):  # fmt: skip
        assert part in text


def test_from_config_and_paths_from_touches() -> None:
    js = journeys_from_config(TP, CV, JourneyConfig(lookback_days=30, collapse_repeats=True))
    again = paths_from_touches(js.touches, js.journeys)
    assert again.tolist() == js.journeys["path"].tolist()


def _reference(tp: pd.DataFrame, cv: pd.DataFrame, lookback: float) -> dict:
    """Independent per-conversion loop: {(person, type or None, ts): [channel, ...]}."""
    look = pd.Timedelta(days=lookback)
    out = {}
    tp = tp.reset_index(drop=True)
    for p, g in cv.groupby("person_id"):
        for _, c in g.iterrows():
            prev = g.loc[(g["conversion_type"] == c["conversion_type"]) & (g["ts"] < c["ts"]), "ts"]
            lo = c["ts"] - look
            m = (tp["person_id"] == p) & (tp["ts"] >= lo) & (tp["ts"] <= c["ts"])
            if len(prev):
                m &= tp["ts"] > prev.max()
            sel = tp.loc[m].sort_values("ts", kind="stable")
            out[(p, c["conversion_type"], c["ts"])] = sel["channel"].tolist()
    for p, g in tp.groupby("person_id"):
        if p in set(cv["person_id"]):
            continue
        last = g["ts"].max()
        sel = g.loc[g["ts"] >= last - look].sort_values("ts", kind="stable")
        out[(p, None, None)] = sel["channel"].tolist()
    return out


@pytest.mark.parametrize("key_bits", [62, 8])  # 8 bits: coarse time buckets, many same-key runs
def test_matches_an_independent_loop(key_bits: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("workbench.journeys.build._KEY_BITS", key_bits)
    rng = np.random.default_rng(7)
    n, people, start = 400, 40, ts("2026-01-01")
    hours = rng.integers(0, 60 * 24, n)  # whole hours: plenty of same-time ties
    tp = touches_frame(
        [
            (f"p{rng.integers(people)}", start + pd.Timedelta(hours=int(h)), f"c{i}", "session")
            for i, h in enumerate(hours)
        ]  # fmt: skip
    )
    conv_hours = rng.integers(0, 60 * 24, 30)
    cv = conversions_frame(
        [
            (
                f"p{rng.integers(people - 5)}",
                start + pd.Timedelta(hours=int(h)),
                ["lead", "deal_won"][i % 2],
                1.0,
            )
            for i, h in enumerate(conv_hours)
        ]  # fmt: skip
    )
    js = build_journeys(tp, cv, lookback_days=7)
    ref = _reference(tp, cv, 7)
    got = {}
    for row in js.journeys.itertuples():
        key = (row.person_id, row.conversion_type, row.conversion_ts)
        if not row.converted:
            key = (row.person_id, None, None)
        got[key] = [] if row.path == "(no touch)" else row.path.split(" > ")
    assert got == ref
    assert len(js.touches) == sum(len(v) for v in ref.values())


def _as_categorical(values: pd.Series, categories: list[str]) -> pd.Series:
    """``values`` as a pandas Categorical over ``categories`` (missing -> code -1)."""
    return values.astype(pd.CategoricalDtype(categories))


def _assert_same_journeys(a, b) -> None:
    pd.testing.assert_frame_equal(a.journeys, b.journeys)
    pd.testing.assert_frame_equal(a.touches, b.touches)
    pd.testing.assert_frame_equal(a.excluded, b.excluded)


def test_categorical_person_ids_give_the_same_journeys_as_strings() -> None:
    tp = pd.concat(
        [TP, touches_frame([(None, "2026-02-01", "Email", "email_click")])], ignore_index=True
    )
    plain = build_journeys(tp, CV, lookback_days=30)
    # unsorted categories, one no row uses, and conversions coded over other categories
    cats = ["b", "zz", "a", "c"]
    coded_tp = tp.assign(person_id=_as_categorical(tp["person_id"], cats))
    coded_cv = CV.assign(person_id=_as_categorical(CV["person_id"], ["c", "a"]))
    assert coded_tp["person_id"].cat.codes.tolist()[-1] == -1
    _assert_same_journeys(plain, build_journeys(coded_tp, coded_cv, lookback_days=30))
    # one table categorical, the other strings
    _assert_same_journeys(plain, build_journeys(coded_tp, CV, lookback_days=30))
    _assert_same_journeys(plain, build_journeys(tp, coded_cv, lookback_days=30))
    assert plain.journeys["person_id"].tolist() == ["a", "a", "b", "c"]
    assert plain.excluded.set_index("reason")["rows"]["no person_id or no timestamp"] == 1


@pytest.mark.parametrize("path_level", ["channel", "campaign"])
def test_categorical_and_string_ids_agree_on_random_data(path_level: str) -> None:
    rng = np.random.default_rng(11)
    n, people, start = 300, 30, ts("2026-01-01")
    tp = touches_frame(
        [
            (
                f"p{rng.integers(people)}",
                start + pd.Timedelta(hours=int(h)),
                [f"c{rng.integers(4)}", None][int(rng.integers(8) == 0)],
                "session",
                f"k{rng.integers(3)}",
            )
            for h in rng.integers(0, 60 * 24, n)
        ]
    )
    cv = conversions_frame(
        [
            (f"p{rng.integers(people)}", start + pd.Timedelta(hours=int(h)), "lead", 1.0)
            for h in rng.integers(0, 60 * 24, 20)
        ]
    )
    cats = [f"p{i}" for i in rng.permutation(people + 3)]
    dtype = pd.CategoricalDtype(cats)
    kwargs = {"lookback_days": 7, "path_level": path_level, "collapse_repeats": True}
    plain = build_journeys(tp, cv, **kwargs)
    coded = build_journeys(
        tp.assign(person_id=tp["person_id"].astype(dtype)),
        cv.assign(person_id=cv["person_id"].astype(dtype)),
        **kwargs,
    )
    _assert_same_journeys(plain, coded)
    assert plain.journeys["person_id"].is_monotonic_increasing
    # text columns as categoricals too (taken through their codes)
    text = {c: tp[c].astype("category") for c in ("channel", "touch_type", "campaign")}
    _assert_same_journeys(plain, build_journeys(tp.assign(**text), cv, **kwargs))
    assert plain.touches["channel"].isna().sum() == 0
    assert (plain.touches["channel"] == "Unassigned").any()


def test_join_paths_empty_and_missing_labels() -> None:
    """Empty journeys read "(no touch)"; a journey with a missing label gets a missing path."""
    offsets = np.array([0, 2, 2, 3, 5, 5])
    plain = pa.array(["A", "B", "C", "D", "E"], pa.large_string())
    assert _join_paths(offsets, plain).to_pylist() == [
        "A > B", "(no touch)", "C", "D > E", "(no touch)",
    ]  # fmt: skip
    holed = pa.chunked_array([pa.array(["A", "B", None, "D", "E"], pa.large_string())])
    assert _join_paths(offsets, holed).to_pylist() == [
        "A > B",
        "(no touch)",
        None,
        "D > E",
        "(no touch)",
    ]
