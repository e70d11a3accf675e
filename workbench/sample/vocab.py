"""Fixed vocabulary of the synthetic sample: period, channels, campaigns, pages, names.

Everything here is a constant; the generator only draws indices into these
tables. Changing a value changes the sample for every seed.

UTM values per channel (what the bundled channel rules must map)
-----------------------------------------------------------------
=========================  =========================================================
Paid Search - Brand        utm_source=google, utm_medium=cpc,
                           utm_campaign=brand_search_{na,emea,apac,latam}, utm_term=<keyword>,
                           gclid; Google Ads campaign type "Search"
Paid Search - Generic      google / cpc, utm_campaign=generic_search_*, utm_term, gclid
Display - Retargeting      google / display, utm_campaign=display_retargeting_*, gclid;
                           Google Ads campaign type "Display"
Paid Social - Meta         facebook / paid_social, utm_campaign=meta_*, utm_content=<ad set>,
                           fbclid
Paid Social - LinkedIn     linkedin / paid_social, utm_campaign=li_*, li_fat_id
Organic Search             no UTM; referrer https://www.google.com/ -> google / organic
Direct                     no UTM, no referrer -> (direct) / (none)
Referral                   no UTM; referrer g2.com, capterra.com or martechweekly.example
                           -> <site> / referral
Organic Social             utm_source=linkedin.com or x.com, utm_medium=social,
                           utm_campaign=organic_social
Email                      utm_source=mailchimp, utm_medium=email, utm_campaign=<email slug>
                           (Mailchimp "Campaign Title" is the readable title)
Webinar                    Zoom registrants / attendees (no GA4 session)
Sales                      HubSpot engagements (no GA4 session)
Events                     trade-show badge scans (no GA4 session)
=========================  =========================================================

Click ids: every Google Ads click (search and display) carries a ``gclid`` that
is also in ``google_ads/click_view.csv``; Meta clicks carry ``fbclid``, LinkedIn
clicks ``li_fat_id`` (only on the GA4 landing URL).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = [
    "BROWSER_PROFILES",
    "CAMPAIGNS",
    "CHANNELS",
    "COMPANY_NOUNS",
    "COMPANY_PREFIXES",
    "COMPANY_SUFFIXES",
    "CONSUMER_DOMAINS",
    "EMAIL_CAMPAIGNS",
    "FIRST_NAMES",
    "GEO_PROFILES",
    "INDUSTRIES",
    "INTERNAL_ACCOUNT_ID",
    "INTERNAL_COMPANY",
    "INTERNAL_DOMAIN",
    "JOB_TITLES",
    "LAST_NAMES",
    "NEWSLETTERS",
    "PAGES",
    "PERIOD_END",
    "PERIOD_START",
    "PORTAL_TZ",
    "PRODUCT_LINES",
    "REFERRAL_SITES",
    "REGIONS",
    "SALES_REPS",
    "SEGMENTS",
    "SITE",
    "STREAM_ID",
    "TEST_USER_IDS",
    "TRADE_SHOWS",
    "WEBINAR_TOPICS",
    "Campaign",
    "EmailCampaign",
    "channel_code",
]

#: First instant of the sample period (UTC, microseconds since the epoch).
PERIOD_START: int = int(np.datetime64("2026-01-01T00:00:00", "us").astype(np.int64))
#: First instant after the sample period (exclusive end, 2026-07-01 00:00 UTC).
PERIOD_END: int = int(np.datetime64("2026-07-01T00:00:00", "us").astype(np.int64))
#: Timezone of the HubSpot portal, the Zoom webinars and the trade shows.
PORTAL_TZ = "America/New_York"

INTERNAL_COMPANY = "Northwind Analytics"
INTERNAL_DOMAIN = "northwind-analytics.com"
INTERNAL_ACCOUNT_ID = "A0000000"
SITE = "https://www.northwind-analytics.com"
STREAM_ID = 3817264501
#: Product user ids of the QA test accounts (internal people).
TEST_USER_IDS: tuple[str, ...] = ("test-user-001", "qa-user-002")

#: The sample's channel vocabulary (ground truth uses exactly these names).
CHANNELS: tuple[str, ...] = (
    "Paid Search - Brand",
    "Paid Search - Generic",
    "Paid Social - Meta",
    "Paid Social - LinkedIn",
    "Display - Retargeting",
    "Organic Search",
    "Direct",
    "Referral",
    "Organic Social",
    "Email",
    "Webinar",
    "Sales",
    "Events",
)


def channel_code(name: str) -> int:
    """Index of a channel name in :data:`CHANNELS`."""
    return CHANNELS.index(name)


SEGMENTS: tuple[str, ...] = ("smb", "enterprise", "internal")
REGIONS: tuple[str, ...] = ("NA", "EMEA", "APAC", "LATAM")
PRODUCT_LINES: tuple[str, ...] = ("Attribution", "Journey Analytics", "Data Platform")


@dataclass(frozen=True)
class Campaign:
    """One paid campaign: where it runs and how its clicks look."""

    name: str
    channel: str
    platform: str
    campaign_id: str
    campaign_type: str
    ad_groups: tuple[str, ...]
    keywords: tuple[str, ...] = ()
    region: str = ""
    weight_smb: float = 1.0
    weight_ent: float = 1.0
    cpc: float = 1.0
    ctr: float = 0.02
    group: str = ""


CAMPAIGNS: tuple[Campaign, ...] = (
    *(
        Campaign(
            f"brand_search_{r.lower()}",
            "Paid Search - Brand",
            "google_ads",
            f"2104873{i:04d}",
            "Search",
            ("Brand - Exact", "Brand - Phrase"),
            ("northwind analytics", "northwind attribution", "northwind analytics pricing"),
            region=r,
            cpc=1.6,
            ctr=0.22,
        )
        for i, r in enumerate(REGIONS, start=1)
    ),
    Campaign(
        "generic_search_attribution_software",
        "Paid Search - Generic",
        "google_ads",
        "21048730101",
        "Search",
        ("Attribution software", "Multi-touch attribution"),
        ("attribution software", "multi touch attribution tool", "marketing attribution platform"),
        weight_smb=1.0,
        weight_ent=1.2,
        cpc=7.4,
        ctr=0.045,
    ),
    Campaign(
        "generic_search_customer_journey_analytics",
        "Paid Search - Generic",
        "google_ads",
        "21048730102",
        "Search",
        ("Journey analytics", "Funnel analytics"),
        ("customer journey analytics", "journey mapping software", "b2b funnel analytics"),
        weight_smb=0.8,
        weight_ent=1.0,
        cpc=5.9,
        ctr=0.038,
    ),
    Campaign(
        "generic_search_competitor_alternatives",
        "Paid Search - Generic",
        "google_ads",
        "21048730103",
        "Search",
        ("Competitor alternatives",),
        ("pathmetrics alternative", "funnelly alternative", "attribution tool comparison"),
        weight_smb=0.5,
        weight_ent=0.4,
        cpc=9.1,
        ctr=0.051,
    ),
    Campaign(
        "display_retargeting_site_visitors",
        "Display - Retargeting",
        "google_ads",
        "21048730201",
        "Display",
        ("All visitors 30d",),
        cpc=0.9,
        ctr=0.004,
    ),
    Campaign(
        "display_retargeting_pricing_viewers",
        "Display - Retargeting",
        "google_ads",
        "21048730202",
        "Display",
        ("Pricing viewers 14d",),
        cpc=1.2,
        ctr=0.006,
    ),
    Campaign(
        "meta_prospecting_lookalike_customers",
        "Paid Social - Meta",
        "meta",
        "120214500000000101",
        "Conversions",
        ("LAL 1% customers US", "LAL 1% customers EU"),
        weight_ent=0.6,
        cpc=2.1,
        ctr=0.011,
    ),
    Campaign(
        "meta_prospecting_smb_interests",
        "Paid Social - Meta",
        "meta",
        "120214500000000102",
        "Conversions",
        ("Interest - Marketing analytics", "Interest - Small business owners"),
        weight_ent=0.3,
        cpc=1.7,
        ctr=0.009,
    ),
    Campaign(
        "meta_free_trial_offer",
        "Paid Social - Meta",
        "meta",
        "120214500000000103",
        "Conversions",
        ("Broad - Free trial", "Advantage+ audience"),
        weight_smb=0.7,
        weight_ent=0.2,
        cpc=2.4,
        ctr=0.013,
    ),
    Campaign(
        "li_abm_enterprise_accounts",
        "Paid Social - LinkedIn",
        "linkedin",
        "318774201",
        "Sponsored Content",
        ("ABM - Enterprise",),
        weight_smb=0.2,
        weight_ent=1.4,
        cpc=11.5,
        ctr=0.006,
        group="ABM - Enterprise",
    ),
    Campaign(
        "li_thought_leadership_webinars",
        "Paid Social - LinkedIn",
        "linkedin",
        "318774202",
        "Sponsored Content",
        ("Thought leadership",),
        weight_smb=0.6,
        weight_ent=1.0,
        cpc=8.2,
        ctr=0.005,
        group="Thought leadership",
    ),
    Campaign(
        "li_lead_gen_demo_offer",
        "Paid Social - LinkedIn",
        "linkedin",
        "318774203",
        "Lead Generation",
        ("Demand gen",),
        weight_smb=0.4,
        weight_ent=0.9,
        cpc=12.8,
        ctr=0.007,
        group="Demand gen",
    ),
)

#: Referral sites: (source, referrer URL).
REFERRAL_SITES: tuple[tuple[str, str], ...] = (
    ("g2.com", "https://www.g2.com/products/northwind-analytics/reviews"),
    ("capterra.com", "https://www.capterra.com/p/248113/Northwind-Analytics/"),
    ("martechweekly.example", "https://martechweekly.example/best-attribution-tools-2026"),
)

#: Site pages: (path, title). Index 0 must be the home page.
PAGES: tuple[tuple[str, str], ...] = (
    ("/", "Northwind Analytics | Customer journeys and attribution"),
    ("/pricing", "Pricing | Northwind Analytics"),
    ("/product/attribution", "Multi-touch attribution | Northwind Analytics"),
    ("/product/journey-analytics", "Journey analytics | Northwind Analytics"),
    ("/product/data-platform", "Data platform | Northwind Analytics"),
    ("/product/integrations", "Integrations | Northwind Analytics"),
    ("/blog/what-is-multi-touch-attribution", "What is multi-touch attribution? | Blog"),
    ("/blog/first-touch-vs-last-touch", "First touch vs last touch | Blog"),
    ("/blog/markov-chain-attribution-explained", "Markov chain attribution explained | Blog"),
    ("/blog/utm-naming-conventions", "UTM naming conventions that scale | Blog"),
    ("/blog/b2b-attribution-playbook", "The B2B attribution playbook (ebook) | Blog"),
    ("/compare/northwind-vs-pathmetrics", "Northwind vs Pathmetrics | Compare"),
    ("/compare/northwind-vs-spreadsheets", "Northwind vs spreadsheets | Compare"),
    ("/signup", "Start your free trial | Northwind Analytics"),
    ("/demo-request", "Request a demo | Northwind Analytics"),
    ("/webinar/live-attribution-clinic", "Live attribution clinic | Webinar"),
    ("/app/login", "Log in | Northwind Analytics"),
    ("/app/dashboard", "Dashboard | Northwind Analytics"),
    ("/app/journeys", "Journeys | Northwind Analytics"),
    ("/app/onboarding", "Welcome | Northwind Analytics"),
    ("/app/billing", "Billing | Northwind Analytics"),
)


#: Mailchimp automation e-mails: title, utm slug, landing path, segment ("smb"/"enterprise").
@dataclass(frozen=True)
class EmailCampaign:
    """One Mailchimp e-mail (automation step)."""

    title: str
    slug: str
    path: str
    segment: str


EMAIL_CAMPAIGNS: tuple[EmailCampaign, ...] = (
    EmailCampaign("Welcome series 1: Your first journey report", "welcome_series_1", "/", "smb"),
    EmailCampaign(
        "Welcome series 2: Connect your ad accounts",
        "welcome_series_2",
        "/product/integrations",
        "smb",
    ),
    EmailCampaign(
        "Ebook follow-up: The B2B attribution playbook",
        "ebook_followup_playbook",
        "/blog/b2b-attribution-playbook",
        "smb",
    ),
    EmailCampaign(
        "Trial tips: Build a funnel in 10 minutes", "trial_tips_funnel", "/pricing", "smb"
    ),
    EmailCampaign(
        "Enterprise nurture 1: Attribution maturity model",
        "ent_nurture_maturity",
        "/product/attribution",
        "enterprise",
    ),
    EmailCampaign(
        "Enterprise nurture 2: Customer story",
        "ent_nurture_customer_story",
        "/product/journey-analytics",
        "enterprise",
    ),
    EmailCampaign(
        "Webinar invitation: Live attribution clinic",
        "webinar_invite_clinic",
        "/webinar/live-attribution-clinic",
        "enterprise",
    ),
    EmailCampaign(
        "Analyst report: State of B2B attribution 2026",
        "ent_analyst_report",
        "/blog/b2b-attribution-playbook",
        "enterprise",
    ),
)

#: Monthly newsletters: (title, send time as ISO UTC). Send rows only (no causal effect).
NEWSLETTERS: tuple[tuple[str, str], ...] = (
    ("Monthly newsletter - January 2026", "2026-01-06T15:00:00"),
    ("Monthly newsletter - February 2026", "2026-02-03T15:00:00"),
    ("Monthly newsletter - March 2026", "2026-03-03T15:00:00"),
    ("Monthly newsletter - April 2026", "2026-04-07T14:00:00"),
    ("Monthly newsletter - May 2026", "2026-05-05T14:00:00"),
    ("Monthly newsletter - June 2026", "2026-06-02T14:00:00"),
)

#: Weekly webinar topics (rotating; every Thursday 11:00 New York time).
WEBINAR_TOPICS: tuple[str, ...] = (
    "Live attribution clinic",
    "Building B2B customer journeys from CRM data",
    "Beyond last click: data-driven attribution",
    "Measuring webinars and events in the funnel",
)

#: Trade shows: (name, day as YYYY-MM-DD in New York time, badge prefix).
TRADE_SHOWS: tuple[tuple[str, str, str], ...] = (
    ("Growth Analytics Summit 2026", "2026-01-20", "GAS26"),
    ("B2B Marketing Forum East 2026", "2026-02-17", "BMF26"),
    ("RevOps Live 2026", "2026-03-17", "ROL26"),
    ("Attribution World 2026", "2026-04-14", "ATW26"),
    ("SaaS Demand Conference 2026", "2026-05-12", "SDC26"),
    ("Data-Driven Marketing Expo 2026", "2026-06-09", "DME26"),
)

SALES_REPS: tuple[str, ...] = (
    "Jordan Blake",
    "Priya Raman",
    "Marcus Feld",
    "Elena Sokolova",
    "Tomas Rivera",
)

FIRST_NAMES: tuple[str, ...] = (
    "maria", "james", "li", "fatima", "noah", "olivia", "lucas", "emma", "arjun", "sofia",
    "liam", "ava", "mateo", "mia", "ethan", "amelia", "kenji", "isabella", "omar", "chloe",
    "daniel", "grace", "ibrahim", "hannah", "pedro", "zoe", "yusuf", "lena", "samuel", "nora",
    "diego", "ella", "felix", "aisha", "hugo", "julia", "ravi", "clara", "oscar", "maya",
    "leo", "ines", "victor", "anna", "kofi", "elena", "adam", "lucia", "theo", "sara",
)  # fmt: skip
LAST_NAMES: tuple[str, ...] = (
    "garcia", "smith", "chen", "khan", "mueller", "johnson", "silva", "kim", "patel", "rossi",
    "brown", "nguyen", "martin", "lopez", "wilson", "tanaka", "dubois", "novak", "ahmed", "jones",
    "fischer", "costa", "murphy", "singh", "wagner", "moreau", "olsen", "kowalski", "ali", "baker",
    "schmidt", "ferreira", "walsh", "gupta", "larsen", "romano", "cohen", "hughes", "sato", "diaz",
    "becker", "clarke", "lambert", "yilmaz", "nakamura", "reyes", "bianchi", "evans", "hansen",
    "park",
)  # fmt: skip
CONSUMER_DOMAINS: tuple[str, ...] = ("gmail.com", "outlook.com", "yahoo.com", "icloud.com")
COMPANY_PREFIXES: tuple[str, ...] = (
    "blue", "north", "bright", "silver", "iron", "cedar", "harbor", "summit", "pine", "stone",
    "river", "maple", "falcon", "coral", "amber", "granite", "lumen", "orbit", "vertex", "atlas",
    "crest", "delta", "ember", "fjord", "glacier", "helix", "indigo", "juniper", "keystone",
    "lattice",
)  # fmt: skip
COMPANY_NOUNS: tuple[str, ...] = (
    "peak", "field", "wave", "bridge", "forge", "path", "works", "point", "line", "gate",
    "leaf", "light", "stack", "mark", "grid", "loop", "yard", "spring", "rock", "trail",
)  # fmt: skip
COMPANY_SUFFIXES: tuple[str, ...] = (
    "Logistics", "Software", "Health", "Labs", "Retail", "Capital", "Media", "Foods",
)  # fmt: skip
#: Industry per company suffix (same order as :data:`COMPANY_SUFFIXES`).
INDUSTRIES: tuple[str, ...] = (
    "Logistics", "Software", "Healthcare", "Software", "Retail", "Financial Services", "Media",
    "Food & Beverage",
)  # fmt: skip
JOB_TITLES: dict[str, tuple[str, ...]] = {
    "smb": ("Founder", "Owner", "Marketing Manager", "Growth Lead", "Head of Marketing"),
    "enterprise": (
        "VP Marketing",
        "Director of Demand Generation",
        "Marketing Operations Manager",
        "CMO",
        "Head of Revenue Operations",
        "Data Analyst",
        "Procurement Manager",
    ),
    "internal": ("QA Engineer", "Product Manager", "Marketing Analyst"),
}

#: GA4 geo profiles: (region, continent, sub_continent, country, region name, city).
GEO_PROFILES: tuple[tuple[str, str, str, str, str, str], ...] = (
    ("NA", "Americas", "Northern America", "United States", "New York", "New York"),
    ("NA", "Americas", "Northern America", "United States", "Massachusetts", "Boston"),
    ("NA", "Americas", "Northern America", "United States", "Texas", "Austin"),
    ("NA", "Americas", "Northern America", "United States", "California", "San Francisco"),
    ("NA", "Americas", "Northern America", "United States", "Illinois", "Chicago"),
    ("NA", "Americas", "Northern America", "Canada", "Ontario", "Toronto"),
    ("EMEA", "Europe", "Northern Europe", "United Kingdom", "England", "London"),
    ("EMEA", "Europe", "Western Europe", "Germany", "Berlin", "Berlin"),
    ("EMEA", "Europe", "Western Europe", "France", "Ile-de-France", "Paris"),
    ("EMEA", "Europe", "Western Europe", "Netherlands", "North Holland", "Amsterdam"),
    ("APAC", "Oceania", "Australasia", "Australia", "New South Wales", "Sydney"),
    ("APAC", "Asia", "Southeast Asia", "Singapore", "Singapore", "Singapore"),
    ("APAC", "Asia", "Eastern Asia", "Japan", "Tokyo", "Tokyo"),
    ("APAC", "Asia", "Southern Asia", "India", "Karnataka", "Bengaluru"),
    ("LATAM", "Americas", "South America", "Brazil", "Sao Paulo", "Sao Paulo"),
    ("LATAM", "Americas", "Central America", "Mexico", "Mexico City", "Mexico City"),
)

#: GA4 device profiles: (category, brand, model, operating system, os version, browser,
#: browser version). Index ranges per category are used by the population.
BROWSER_PROFILES: tuple[tuple[str, str, str, str, str, str, str], ...] = (
    ("desktop", "Google", "Chrome", "Windows", "Windows 11", "Chrome", "131.0.0.0"),
    ("desktop", "Apple", "Safari", "Macintosh", "Macintosh", "Safari", "18.2"),
    ("desktop", "Google", "Chrome", "Macintosh", "Macintosh", "Chrome", "131.0.0.0"),
    ("desktop", "Microsoft", "Edge", "Windows", "Windows 10", "Edge", "131.0.2903.86"),
    ("mobile", "Apple", "iPhone", "iOS", "iOS 18.2", "Safari", "18.2"),
    ("mobile", "Google", "Pixel 8", "Android", "Android 15", "Chrome", "131.0.6778.135"),
    ("mobile", "Samsung", "SM-S921B", "Android", "Android 14", "Chrome", "131.0.6778.135"),
    ("tablet", "Apple", "iPad", "iOS", "iOS 18.2", "Safari", "18.2"),
)


def _check_json_safe() -> None:
    texts: list[str] = [t for page in PAGES for t in page]
    texts += [c.name for c in CAMPAIGNS] + [g for c in CAMPAIGNS for g in c.ad_groups]
    texts += [k for c in CAMPAIGNS for k in c.keywords]
    texts += [e.title for e in EMAIL_CAMPAIGNS] + [t for g in GEO_PROFILES for t in g]
    texts += [t for b in BROWSER_PROFILES for t in b]
    bad = [t for t in texts if '"' in t or "\\" in t or not t.isascii()]
    if bad:  # pragma: no cover - guards edits of this module
        raise ValueError(f"vocabulary values must be plain ASCII without quotes: {bad}")


_check_json_safe()
