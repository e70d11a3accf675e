"""Channel grouping: every GA4 default rule, priority, click ids, user rules."""

from __future__ import annotations

import pandas as pd
import pytest

from workbench.config import ChannelRule
from workbench.ingest.channels import (
    CHANNEL_GROUPS,
    SOURCE_CATEGORIES_FILE,
    assign_channels,
    default_channel_group,
    source_categories,
    source_category,
)


def group(source, medium, campaign=None, **click_ids) -> str:
    """Channel of one row."""
    clicks = pd.DataFrame({k: [v] for k, v in click_ids.items()}) if click_ids else None
    out = default_channel_group(
        pd.Series([source], dtype="string"),
        pd.Series([medium], dtype="string"),
        pd.Series([campaign], dtype="string"),
        click_ids=clicks,
    )
    return out.iloc[0]


# one hand-written case per GA4 rule (source, medium, campaign) -> channel
RULE_CASES = [
    ("(direct)", "(none)", None, "Direct"),
    ("(direct)", "(not set)", None, "Direct"),
    ("newsletter", "email", "spring_cross-network_q2", "Cross-network"),
    ("amazon", "cpc", None, "Paid Shopping"),
    ("partner", "ppc", "summer-shopping", "Paid Shopping"),
    ("google", "cpc", "brand", "Paid Search"),
    ("bing", "paidsearch", None, "Paid Search"),
    ("facebook", "paid_social", None, "Paid Social"),
    ("linkedin", "retargeting", None, "Paid Social"),
    ("youtube", "cpv", None, "Paid Video"),
    ("dv360", "display", None, "Display"),
    ("network", "banner", None, "Display"),
    ("network", "interstitial", None, "Display"),
    ("someportal", "cpm", None, "Display"),
    ("someportal", "paid", None, "Paid Other"),
    ("someportal", "cpa", None, "Paid Other"),
    ("ebay", "referral", None, "Organic Shopping"),
    ("blog", "referral", "shop-launch", "Organic Shopping"),
    ("instagram", "referral", None, "Organic Social"),
    ("forum", "social-media", None, "Organic Social"),
    ("vimeo", "referral", None, "Organic Video"),
    ("partner", "video_embed", None, "Organic Video"),
    ("duckduckgo", "referral", None, "Organic Search"),
    ("partner", "organic", None, "Organic Search"),
    ("techcrunch.com", "referral", None, "Referral"),
    ("partner", "app", None, "Referral"),
    ("partner", "link", None, "Referral"),
    ("newsletter", "email", None, "Email"),
    ("e-mail", "(not set)", None, "Email"),
    ("partner", "e mail", None, "Email"),
    ("awin", "affiliate", None, "Affiliates"),
    ("spotify", "audio", None, "Audio"),
    ("sms", "(not set)", None, "SMS"),
    ("twilio", "sms", None, "SMS"),
    ("app", "web_push", None, "Mobile Push Notifications"),
    ("app", "mobile_alert", None, "Mobile Push Notifications"),
    ("app", "notification", None, "Mobile Push Notifications"),
    ("firebase", "(not set)", None, "Mobile Push Notifications"),
    ("partner", "print", None, "Unassigned"),
]


@pytest.mark.parametrize(("source", "medium", "campaign", "expected"), RULE_CASES)
def test_each_ga4_rule(source, medium, campaign, expected):
    assert group(source, medium, campaign) == expected


def test_every_channel_group_is_covered():
    assert {c[-1] for c in RULE_CASES} == set(CHANNEL_GROUPS)


def test_case_insensitive_like_ga4():
    assert group("Google", "CPC") == "Paid Search"
    assert group("FaceBook", "Social") == "Organic Social"


@pytest.mark.parametrize(
    ("source", "medium", "campaign", "expected", "why"),
    [
        ("google", "cpc", "cross-network-pmax", "Cross-network", "cross-network before search"),
        ("google", "cpc", "shopping-feed", "Paid Shopping", "shopping before search"),
        ("facebook", "cpm", None, "Paid Social", "paid social before display (cpm is paid)"),
        ("youtube", "display", None, "Display", "display medium is not PAID for youtube"),
        ("instagram", "email", None, "Organic Social", "organic social before email"),
        ("google", "referral", None, "Organic Search", "search site before referral"),
        ("partner", "video", "summer_shop", "Organic Shopping", "organic shopping before video"),
    ],
)
def test_priority_first_match_wins(source, medium, campaign, expected, why):
    assert group(source, medium, campaign) == expected, why


def test_shop_regex_needs_a_word_start():
    # ([^a-df-z]|^)shop: 'eshop' and 'e-shop' are shops, 'bishop' and 'workshop' are not
    assert group("partner", "referral", "eshop-deals") == "Organic Shopping"
    assert group("partner", "referral", "spring e-shop") == "Organic Shopping"
    assert group("partner", "referral", "bishop") == "Referral"
    assert group("partner", "referral", "workshop") == "Referral"


@pytest.mark.parametrize(
    ("source", "category"),
    [
        ("google", "search"),
        ("www.google.com", "search"),
        ("google.co.uk", "search"),
        ("https://www.bing.com/search?q=x", "search"),
        ("search.yahoo.com", "search"),
        ("ecosia.org", "search"),
        ("l.facebook.com", "social"),
        ("m.facebook.com", "social"),
        ("lnkd.in", "social"),
        ("t.co", "social"),
        ("x.com", "social"),
        ("reddit.com", "social"),
        ("tiktok", "social"),
        ("m.youtube.com", "video"),
        ("twitch.tv", "video"),
        ("Google Shopping", "shopping"),
        ("walmart.com", "shopping"),
    ],
)
def test_source_categories(source, category):
    assert bool(source_category(pd.Series([source]), category).iloc[0])


def test_source_category_rejects_other_subdomains():
    hits = source_category(pd.Series(["mail.google.com", "docs.google.com", "googlex"]), "search")
    assert hits.tolist() == [False, False, False]


def test_missing_values_follow_ga4():
    assert group(None, None) == "Direct"  # (direct) / (none)
    assert group("", "  ") == "Direct"
    assert group(None, "email") == "Email"  # (not set) / email
    assert group("google", None) == "Organic Search"  # google / (not set)
    assert group("partner", None) == "Unassigned"


@pytest.mark.parametrize(
    ("clicks", "expected"),
    [
        ({"gclid": "Cj0KCQ"}, "Paid Search"),
        ({"gbraid": "0AAAA"}, "Paid Search"),
        ({"wbraid": "1BBBB"}, "Paid Search"),
        ({"msclkid": "abc"}, "Paid Search"),
        ({"fbclid": "IwAR"}, "Paid Social"),
        ({"li_fat_id": "x-1"}, "Paid Social"),
        ({"ttclid": "E.C.P"}, "Paid Social"),
        ({"dclid": "CJ7"}, "Display"),
    ],
)
def test_click_id_implies_paid_channel(clicks, expected):
    assert group(None, None, **clicks) == expected


def test_click_id_only_when_medium_missing():
    assert group("newsletter", "email", gclid="x") == "Email"
    assert group("google", None, gclid="x") == "Paid Search"
    assert group(None, None, campaign="pmax cross-network", gclid="x") == "Cross-network"
    assert group(None, None, gclid=None) == "Direct"


def test_rows_map_back_to_their_combination():
    src = pd.Series(["google", "facebook", "google", None, "facebook"] * 3, index=range(10, 25))
    med = pd.Series(["cpc", "social", "organic", None, "social"] * 3, index=range(10, 25))
    out = default_channel_group(src, med)
    assert out.index.equals(src.index)
    assert (
        out.tolist()
        == [
            "Paid Search",
            "Organic Social",
            "Organic Search",
            "Direct",
            "Organic Social",
        ]
        * 3
    )


def _touchpoints(**cols) -> pd.DataFrame:
    n = len(next(iter(cols.values())))
    base = {
        "touch_type": ["session"] * n,
        "channel": [None] * n,
        "traffic_source": [None] * n,
        "traffic_medium": [None] * n,
        "campaign": [None] * n,
        "platform": [None] * n,
    }
    base.update(cols)
    return pd.DataFrame(base).astype("string")


def test_user_rules_come_first_and_in_order():
    tp = _touchpoints(
        traffic_source=["google", "google", "google", "bing"],
        traffic_medium=["cpc", "cpc", "organic", "cpc"],
        campaign=["Brand_US", "generic", None, "brand"],
    )
    rules = [
        ChannelRule(
            channel="Paid Search - Brand", source="google", medium="cpc", campaign=".*brand.*"
        ),
        ChannelRule(channel="Paid Search - Generic", source="google", medium="cpc|ppc"),
        ChannelRule(channel="never", source="google"),  # later rule loses to earlier ones
    ]
    out = assign_channels(tp, rules)
    assert out["channel"].tolist() == [
        "Paid Search - Brand",
        "Paid Search - Generic",
        "never",
        "Paid Search",
    ]


def test_user_rule_fields_full_match_case_insensitive():
    tp = _touchpoints(
        traffic_source=["GOOGLE", "googlemail"],
        traffic_medium=["cpc", "cpc"],
        touch_type=["ad_click", "ad_click"],
        platform=["google_ads", "google_ads"],
    )
    out = assign_channels(tp, [ChannelRule(channel="G", source="google", platform="Google_Ads")])
    assert out["channel"].tolist() == ["G", "Paid Other"]


def test_user_rule_on_touch_type_and_click_id():
    tp = _touchpoints(touch_type=["ad_click", "ad_click"])
    tp["gclid"] = pd.array(["g1", None], dtype="string")
    rules = [ChannelRule(channel="Google Ads click", touch_type="ad_click", click_id="gclid")]
    out = assign_channels(tp, rules)
    assert out["channel"].tolist() == ["Google Ads click", "Direct"]


def test_existing_channel_is_kept_unless_overwrite():
    tp = _touchpoints(
        touch_type=["webinar_attendance", "session"],
        channel=["Webinar", None],
        traffic_source=["zoom", "google"],
        traffic_medium=[None, "cpc"],
    )
    rule = [ChannelRule(channel="Zoom", source="zoom")]
    assert assign_channels(tp, rule)["channel"].tolist() == ["Webinar", "Paid Search"]
    assert assign_channels(tp, rule, overwrite=True)["channel"].tolist() == ["Zoom", "Paid Search"]


def test_untagged_non_visit_touches_are_not_direct():
    tp = _touchpoints(touch_type=["email_open", "sales_call", "session", "email_click"])
    tp.loc[3, "traffic_source"] = "newsletter"
    tp.loc[3, "traffic_medium"] = "referral"
    out = assign_channels(tp)
    assert out["channel"].tolist() == ["Email", "Unassigned", "Direct", "Referral"]


def test_assign_channels_keeps_columns_and_index():
    tp = _touchpoints(traffic_source=["google"], traffic_medium=["cpc"])
    tp.index = [42]
    tp["extra"] = [1]
    out = assign_channels(tp)
    assert list(out.columns) == list(tp.columns)
    assert out.index.tolist() == [42]
    assert tp["channel"].isna().all()  # input not modified
    assert out["channel"].dtype == "string"


def test_assign_channels_without_source_columns_and_empty():
    out = assign_channels(pd.DataFrame({"touch_type": ["session"]}))
    assert out["channel"].tolist() == ["Direct"]
    empty = assign_channels(_touchpoints(touch_type=[]))
    assert len(empty) == 0 and "channel" in empty.columns


@pytest.mark.parametrize(
    ("source", "category"),
    [
        ("duckduckgo", "search"),
        ("yandex.ru", "search"),
        ("naver.com", "search"),
        ("pinterest.com", "social"),
        ("whatsapp.com", "social"),
        ("news.ycombinator.com", "social"),
        ("etsy.com", "shopping"),
        ("mercadolibre.com.ar", "shopping"),
        ("vimeo.com", "video"),
        ("netflix.com", "video"),
    ],
)
def test_sources_from_googles_shipped_list(source, category):
    # entries of Google's full list (workbench/data/ga4_source_categories.csv) that the
    # earlier built-in lists lacked or that need the brand / public-suffix rule
    assert bool(source_category(pd.Series([source]), category).iloc[0])
    others = set(source_categories()) - {category}
    assert not any(bool(source_category(pd.Series([source]), o).iloc[0]) for o in others)


def test_shipped_source_category_file_is_googles_list():
    table = pd.read_csv(SOURCE_CATEGORIES_FILE, dtype=str, keep_default_na=False)
    assert list(table.columns) == ["source", "source_category", "origin"]
    counts = table[table["origin"] == "google"]["source_category"].value_counts().to_dict()
    assert counts == {
        "SOURCE_CATEGORY_SOCIAL": 592,
        "SOURCE_CATEGORY_SEARCH": 129,
        "SOURCE_CATEGORY_SHOPPING": 52,
        "SOURCE_CATEGORY_VIDEO": 46,
    }
    assert not table.duplicated(["source", "source_category"]).any()


def test_given_ga4_channel_group_wins_over_recomputing_but_not_over_user_rules():
    tp = pd.DataFrame(
        {
            "traffic_source": ["google", "google", "newsletter", "google"],
            "traffic_medium": ["cpc", "cpc", "email", "organic"],
            "campaign": ["brand_x", "generic", None, None],
            "touch_type": "session",
            "ga4_channel_group": ["Paid Search", "Cross-network", None, ""],
        }
    )
    rule = ChannelRule(channel="Brand", source="google", campaign="brand.*")
    out = assign_channels(tp, [rule])
    assert out["channel"].tolist() == ["Brand", "Cross-network", "Email", "Organic Search"]
