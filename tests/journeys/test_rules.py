"""Journey rules: merges (one interaction = one touch) and exclusions, on tiny hand-built touches."""

from __future__ import annotations

import pandas as pd
import pytest

from workbench.config import parse_config
from workbench.errors import ConfigError
from workbench.journeys import rules as rj
from workbench.journeys.rules import (
    JourneyRules,
    apply_journey_rules,
    exclude_touches,
    merge_interactions,
)
from workbench.schema import TOUCHPOINTS


def _tp(rows: list[dict]) -> pd.DataFrame:
    cols = ["person_id", "ts", "touch_type", "channel", "platform", "campaign", "page",
            "traffic_medium", "session_id", "gclid"]  # fmt: skip
    df = pd.DataFrame([{c: r.get(c) for c in cols} for r in rows])
    df["ts"] = pd.to_datetime(df["ts"], utc=True, format="ISO8601")
    return df.astype({c: "string" for c in cols if c != "ts"})


def _conv(rows: list[dict]) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=["person_id", "ts", "conversion_type", "session_id"])
    df["ts"] = pd.to_datetime(df["ts"], utc=True, format="ISO8601")
    return df


NONE = _conv([])


def _count(counts: pd.DataFrame, needle: str) -> int:
    return int(counts.loc[counts["rule"].str.contains(needle, regex=False), "touches"].sum())


def test_ad_click_and_its_session_are_one_touch_with_the_clicks_platform_and_campaign():
    tp = _tp(
        [
            {"person_id": "p1", "ts": "2024-01-01 10:00", "touch_type": "ad_click",
             "channel": "Paid Search", "platform": "google_ads", "campaign": "Brand", "gclid": "G1"},
            {"person_id": "p1", "ts": "2024-01-01 10:00:05", "touch_type": "session",
             "channel": "Paid Search", "page": "/pricing", "gclid": "G1"},
            # consent refused: no session carries G2, the click stays a touch
            {"person_id": "p2", "ts": "2024-01-02 09:00", "touch_type": "ad_click",
             "channel": "Paid Search", "platform": "google_ads", "campaign": "Generic",
             "gclid": "G2"},
        ]
    )  # fmt: skip
    out, counts = merge_interactions(tp)
    assert list(out["touch_type"]) == ["session", "ad_click"]
    session = out.iloc[0]
    assert (session["page"], session["platform"], session["campaign"]) == (
        "/pricing",
        "google_ads",
        "Brand",
    )
    assert out.iloc[1]["person_id"] == "p2"
    assert _count(counts, "ad click") == 1


def test_email_click_and_the_session_it_opened_are_one_touch_within_the_window():
    tp = _tp(
        [
            {"person_id": "p1", "ts": "2024-01-01 10:00", "touch_type": "email_click",
             "channel": "Email", "campaign": "Spring"},
            {"person_id": "p1", "ts": "2024-01-01 10:01", "touch_type": "session",
             "channel": "Email", "campaign": "spring", "traffic_medium": "email", "page": "/"},
            # too late for the second click (window 30 min): both stay
            {"person_id": "p1", "ts": "2024-01-03 10:00", "touch_type": "email_click",
             "channel": "Email", "campaign": "Spring"},
            {"person_id": "p1", "ts": "2024-01-03 11:00", "touch_type": "session",
             "channel": "Email", "campaign": "spring", "traffic_medium": "email"},
            # another person's session never merges with p1's click
            {"person_id": "p2", "ts": "2024-01-03 10:02", "touch_type": "session",
             "channel": "Email", "campaign": "spring", "traffic_medium": "email"},
        ]
    )  # fmt: skip
    out, counts = merge_interactions(tp, JourneyRules(email_click_window_minutes=30))
    assert list(out["touch_type"]) == ["session", "email_click", "session", "session"]
    assert _count(counts, "e-mail click") == 1
    wide, wide_counts = merge_interactions(tp, JourneyRules(email_click_window_minutes=90))
    assert _count(wide_counts, "e-mail click") == 2
    assert list(wide["touch_type"]) == ["session"] * 3


def test_email_click_does_not_merge_with_an_unrelated_session():
    tp = _tp(
        [
            {"person_id": "p1", "ts": "2024-01-01 10:00", "touch_type": "email_click",
             "campaign": "Spring"},
            {"person_id": "p1", "ts": "2024-01-01 10:05", "touch_type": "session",
             "channel": "Organic Search", "campaign": "(organic)", "traffic_medium": "organic"},
        ]
    )  # fmt: skip
    out, counts = merge_interactions(tp)
    assert len(out) == 2 and _count(counts, "e-mail click") == 0


def test_product_usage_of_registered_users_is_excluded_but_marketing_visits_stay():
    tp = _tp(
        [
            {"person_id": "p1", "ts": "2024-01-01", "touch_type": "session", "channel": "Direct",
             "page": "/app/dashboard"},  # before sign-up: kept
            {"person_id": "p1", "ts": "2024-01-05", "touch_type": "session", "channel": "Direct",
             "page": "/app/dashboard"},  # registered, direct, product page: excluded
            {"person_id": "p1", "ts": "2024-01-06", "touch_type": "session",
             "channel": "Paid Search", "page": "/app/dashboard"},  # paid: kept
            {"person_id": "p1", "ts": "2024-01-07", "touch_type": "session", "channel": "Direct",
             "page": "/pricing"},  # not a product page: kept
        ]
    )  # fmt: skip
    conv = _conv([{"person_id": "p1", "ts": "2024-01-02", "conversion_type": "signup"}])
    out, counts = exclude_touches(tp, conv)
    assert list(out["ts"].dt.day) == [1, 6, 7]
    assert _count(counts, "product page") == 1


def test_email_opens_are_out_by_default_and_can_be_kept():
    tp = _tp(
        [
            {"person_id": "p1", "ts": "2024-01-01", "touch_type": "email_open", "channel": "Email"},
            {"person_id": "p1", "ts": "2024-01-02", "touch_type": "email_click", "channel": "Email"},
        ]
    )  # fmt: skip
    out, counts = exclude_touches(tp, NONE)
    assert list(out["touch_type"]) == ["email_click"]
    assert _count(counts, "e-mail open") == 1
    kept, counts = exclude_touches(tp, NONE, JourneyRules(email_opens=False))
    assert len(kept) == 2 and _count(counts, "e-mail open") == 0


def test_host_page_and_touch_type_rules_count_each_touch_once():
    tp = _tp(
        [
            {"person_id": "p1", "ts": "2024-01-01", "touch_type": "session",
             "page": "https://kiosk.example.com/"},
            {"person_id": "p1", "ts": "2024-01-02", "touch_type": "session", "page": "/qa/test"},
            {"person_id": "p1", "ts": "2024-01-03", "touch_type": "crm_stage"},
            {"person_id": "p1", "ts": "2024-01-04", "touch_type": "session", "page": "/blog/x"},
        ]
    )  # fmt: skip
    rules = JourneyRules(hosts=("kiosk.example.com",), pages=("/qa/.*", "https?://kiosk.*"),
                         touch_types=("crm_stage",))  # fmt: skip
    out, counts = exclude_touches(tp, NONE, rules)
    assert list(out["page"]) == ["/blog/x"]
    by_rule = dict(zip(counts["rule"], counts["touches"], strict=True))
    assert by_rule["host name excluded"] == 1  # the kiosk page counts under host only
    assert by_rule["page excluded"] == 1
    assert by_rule["touch type excluded"] == 1
    assert counts["touches"].sum() == 3


def test_touches_after_the_conversion_in_its_session_are_excluded():
    tp = _tp(
        [
            {"person_id": "p1", "ts": "2024-01-01 10:00", "touch_type": "session",
             "session_id": "s1", "page": "/pricing"},
            {"person_id": "p1", "ts": "2024-01-01 10:10", "touch_type": "pageview",
             "session_id": "s1", "page": "/thank-you"},
        ]
    )  # fmt: skip
    conv = _conv([{"person_id": "p1", "ts": "2024-01-01 10:05", "conversion_type": "purchase",
                   "session_id": "s1"}])  # fmt: skip
    out, counts = exclude_touches(tp, conv)
    assert list(out["page"]) == ["/pricing"]
    assert _count(counts, "after the conversion") == 1
    kept, _ = exclude_touches(tp, conv, JourneyRules(after_conversion=False))
    assert len(kept) == 2


def test_apply_returns_one_tidy_counts_frame():
    tp = _tp([{"person_id": "p1", "ts": "2024-01-01", "touch_type": "email_open"}])
    out, counts = apply_journey_rules(tp, NONE)
    assert out.empty
    assert list(counts.columns) == ["step", "rule", "touches"]
    assert set(counts["step"]) == {"merge", "exclude"}
    assert counts["touches"].sum() == 1


#: An ad click, the session it opened and a page view in that session; an e-mail click
#: and its session; an e-mail open: touches on which both merges and the e-mail-open
#: exclusion fire (the first rows of the two tests below).
# fmt: off
_MIXED_ROWS = [
    {"person_id": "p1", "ts": "2024-01-01 10:00", "touch_type": "ad_click",
     "channel": "Paid Search", "platform": "google_ads", "campaign": "Brand", "gclid": "G1"},
    {"person_id": "p1", "ts": "2024-01-01 10:00:05", "touch_type": "session",
     "channel": "Paid Search", "page": "/pricing", "gclid": "G1", "session_id": "s1"},
    {"person_id": "p1", "ts": "2024-01-01 10:20", "touch_type": "pageview",
     "session_id": "s1", "page": "/thank-you"},
    {"person_id": "p2", "ts": "2024-01-02 09:00", "touch_type": "email_click",
     "channel": "Email", "campaign": "Spring"},
    {"person_id": "p2", "ts": "2024-01-02 09:01", "touch_type": "session",
     "channel": "Email", "campaign": "spring", "traffic_medium": "email", "page": "/"},
    {"person_id": "p2", "ts": "2024-01-03", "touch_type": "email_open", "channel": "Email"},
]
# fmt: on


def test_apply_keeps_every_column_and_label_and_equals_merges_then_exclusions():
    """Applied at once (rules on the columns they read, one cut) = the two steps in turn."""
    tp = _tp(
        [
            *_MIXED_ROWS,
            {"person_id": "p3", "ts": "2024-01-04", "touch_type": "session", "channel": "Direct"},
        ]
    )  # fmt: skip
    tp["note"] = pd.array([f"row {i}" for i in range(len(tp))], dtype="string")  # not read
    tp.index = [70, 10, 60, 20, 50, 30, 40]  # labels that are not positions
    conv = _conv([{"person_id": "p1", "ts": "2024-01-01 10:10", "conversion_type": "purchase",
                   "session_id": "s1"}])  # fmt: skip
    merged, merge_counts = merge_interactions(tp)
    expected, exclude_counts = exclude_touches(merged, conv)
    out, counts = apply_journey_rules(tp, conv)
    pd.testing.assert_frame_equal(out, expected)
    pd.testing.assert_frame_equal(
        counts, pd.concat([merge_counts, exclude_counts], ignore_index=True)
    )
    assert list(out.index) == [10, 50, 40] and list(out["note"]) == ["row 1", "row 4", "row 6"]
    assert (out.loc[10, "platform"], out.loc[10, "campaign"]) == ("google_ads", "Brand")


def test_config_sections_parse_and_reject_unknown_keys():
    cfg = parse_config(
        {"journeys": {"merge": {"email_click_window_minutes": 10},
                      "exclude": {"email_opens": False, "hosts": ["qa.example.com"]}}}
    )  # fmt: skip
    assert cfg.journey_rules.email_click_window_minutes == 10
    assert cfg.journey_rules.email_opens is False
    assert cfg.journey_rules.hosts == ("qa.example.com",)
    with pytest.raises(ConfigError) as err:
        parse_config({"journeys": {"exclude": {"host": ["x"], "pages": ["("]}}})
    text = str(err.value)
    assert "unknown key 'host'" in text and "did you mean 'hosts'" in text
    assert "not a valid regex" in text


# --- the rules' column needs: declared once, beside each rule ----------------------

_READ: set[str] = set()


class _Recording(pd.DataFrame):
    """A frame that records every column read by ``frame[...]`` (how the rules read)."""

    @property
    def _constructor(self):
        return _Recording

    def __getitem__(self, key):
        for k in key if isinstance(key, list) else [key]:
            if isinstance(k, str):
                _READ.add(k)
        return super().__getitem__(key)


def _wide() -> tuple[pd.DataFrame, pd.DataFrame, JourneyRules]:
    """Touches on which every rule fires, with every canonical touch column and more."""
    tp = _tp(
        [
            *_MIXED_ROWS,
            {"person_id": "p3", "ts": "2024-01-04", "touch_type": "session", "channel": "Direct",
             "page": "https://qa.example.com/"},
            {"person_id": "p3", "ts": "2024-01-05", "touch_type": "session", "channel": "Direct",
             "page": "/careers/1"},
            {"person_id": "p3", "ts": "2024-01-06", "touch_type": "chat", "channel": "Direct"},
            {"person_id": "p1", "ts": "2024-01-07", "touch_type": "session", "channel": "Direct",
             "page": "/app/home"},
            {"person_id": "p4", "ts": "2024-01-08", "touch_type": "session", "channel": "Direct",
             "page": "/"},
        ]
    )  # fmt: skip
    tp["host"] = pd.array(["qa.example.com" if "qa." in str(p) else "example.com"
                           for p in tp["page"]], dtype="string")  # fmt: skip
    filler = [
        c
        for c in (*TOUCHPOINTS.names, "note", "utm_content")
        if c not in tp.columns or tp[c].isna().all()
    ]
    for i, col in enumerate(filler):  # values a rule reading them would act on
        tp[col] = pd.array([f"x{(i + r) % 3}" for r in range(len(tp))], dtype="string")
    conv = _conv(
        [
            {"person_id": "p1", "ts": "2024-01-01 10:10", "conversion_type": "signup",
             "session_id": "s1"},
        ]
    )  # fmt: skip
    rules = JourneyRules(hosts=("qa.example.com",), pages=(r"/careers/.*",), touch_types=("chat",))
    return tp, conv, rules


def test_each_rule_reads_only_the_columns_declared_beside_it():
    wide, conv, rules = _wide()
    for tp, run, declared in (
        (wide, lambda t: rj._merge_ad_clicks(t)[1], rj._AD_CLICK_READS),
        (wide, lambda t: rj._merge_email_clicks(t, rules.email_click_window_minutes)[1],
         rj._EMAIL_CLICK_READS),
        (wide, lambda t: exclude_touches(t, conv, rules)[1]["touches"].tolist(),
         rj._EXCLUDE_READS),
        (wide.drop(columns=["host"]),  # the host rule then reads the page URLs
         lambda t: exclude_touches(t, conv, rules)[1]["touches"].tolist(), rj._EXCLUDE_READS),
    ):  # fmt: skip
        _READ.clear()
        fired = run(_Recording(tp))
        assert fired and (fired > 0 if isinstance(fired, int) else all(n > 0 for n in fired))
        assert _READ and _READ <= set(declared), sorted(_READ - set(declared))
    assert rj._RULE_INPUTS == {*rj._AD_CLICK_READS, *rj._EMAIL_CLICK_READS, *rj._EXCLUDE_READS}


def test_rules_give_the_same_touches_without_the_undeclared_columns():
    tp, conv, rules = _wide()
    for wide in (tp, tp.drop(columns=["host"])):
        narrow = wide[[c for c in wide.columns if c in rj._RULE_INPUTS]]
        for a, b in ((wide, narrow), (narrow, wide)):
            merged, m_counts = merge_interactions(a, rules)
            out, x_counts = exclude_touches(merged, conv, rules)
            merged_b, m_counts_b = merge_interactions(b, rules)
            out_b, x_counts_b = exclude_touches(merged_b, conv, rules)
            pd.testing.assert_frame_equal(out[narrow.columns], out_b[narrow.columns])
            pd.testing.assert_frame_equal(m_counts, m_counts_b)
            pd.testing.assert_frame_equal(x_counts, x_counts_b)
        assert x_counts["touches"].gt(0).all() and m_counts["touches"].gt(0).all()
