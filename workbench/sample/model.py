"""Parameters of the sample's behaviour and causal conversion model.

The causal model (see ``_truth/README.md`` written by :mod:`workbench.sample.truth`)
-------------------------------------------------------------------------------
A *unit* is a self-serve SMB person or an enterprise account (all its contacts
together). Its conversion logit is::

    s = base[segment] + region_effect + product_effect + noise
        + sum over the unit's journey touches of
          delta[segment, channel(, sub-type)] * DECAY ** (earlier touches of that channel)
          + COMPARE_LIFT[segment] * (session viewed a /compare/ page)

and the unit converts iff ``u < sigmoid(s)`` with one uniform ``u`` per unit.
Removing a channel removes all of its touches (and the compare-page views made
in its sessions) from ``s``; with the same ``u`` (common random numbers) this
gives the conversions and revenue lost without the channel.

Channel roles are set by *where* a channel appears (position tables below) and
by *how much* it adds (``DELTA``): starters (Meta, LinkedIn, generic search,
organic) add a lot; closers (branded search, retargeting, direct) appear last
but add little, so last-click attribution over-credits them. The webinar adds
the most per touch, but only the webinar-goers of some accounts attend
(``WEBINAR_ACCOUNT_SHARE``, ``WEBINAR_CONTACT_SHARE``), so attendee accounts
convert far more often than the rest and the lift is visible in the data.
"""

from __future__ import annotations

import numpy as np

from workbench.platforms import DEFAULT_CLICK_WINDOWS
from workbench.sample.vocab import CHANNELS

__all__ = [
    "BASE_LOGIT",
    "BROWSER_SWITCH_PROB",
    "CHANNEL_TABLES",
    "COMPARE_LIFT",
    "COMPARE_PROB",
    "DECAY",
    "DELTA",
    "EMAIL_CLICK_PROB",
    "LANDING_WEIGHTS",
    "LOGIN_EVERYWHERE_DAYS",
    "MOBILE_AFFINITY",
    "PLATFORM_WINDOW_DAYS",
    "PRICING_PROB",
    "PRODUCT_EFFECT",
    "REGION_EFFECT",
    "SALES_DELTA",
    "SALES_KINDS",
    "SALES_SHARE",
    "WEBINAR_ACCOUNT_SHARE",
    "WEBINAR_ATTENDANCE",
    "WEBINAR_CONTACT_SHARE",
    "WEBINAR_DELTA",
]

C = len(CHANNELS)


def _vec(**weights: float) -> np.ndarray:
    """Channel vector from keyword names (spaces and dashes as underscores)."""
    keys = {
        name.replace(" - ", "_").replace(" ", "_").lower(): i for i, name in enumerate(CHANNELS)
    }
    out = np.zeros(C)
    for key, value in weights.items():
        out[keys[key.lower()]] = value
    return out


# --- channel choice by position: [segment][position class] ---------------------------------
# position class 0 = first touch, 1 = middle, 2 = last touch. Webinar and Events only occur
# in the middle (they are snapped to real webinar / show dates inside the journey). The Webinar
# column only applies to the webinar-goers (see WEBINAR_ACCOUNT_SHARE); everyone else draws
# from the row without it.
CHANNEL_TABLES: np.ndarray = np.stack(
    [
        np.stack(  # smb
            [
                _vec(
                    paid_social_meta=0.30,
                    paid_search_generic=0.22,
                    organic_search=0.17,
                    paid_social_linkedin=0.06,
                    referral=0.10,
                    organic_social=0.09,
                    direct=0.03,
                    paid_search_brand=0.03,
                ),
                _vec(
                    paid_search_generic=0.12,
                    organic_search=0.14,
                    paid_social_meta=0.10,
                    email=0.15,
                    display_retargeting=0.17,
                    direct=0.12,
                    paid_search_brand=0.10,
                    referral=0.07,
                    paid_social_linkedin=0.03,
                ),
                _vec(
                    paid_search_brand=0.30,
                    direct=0.28,
                    display_retargeting=0.18,
                    email=0.10,
                    organic_search=0.08,
                    paid_search_generic=0.06,
                ),
            ]
        ),
        np.stack(  # enterprise
            [
                _vec(
                    paid_social_linkedin=0.34,
                    paid_social_meta=0.10,
                    organic_search=0.15,
                    paid_search_generic=0.12,
                    referral=0.08,
                    organic_social=0.10,
                    email=0.05,
                    sales=0.06,
                ),
                _vec(
                    email=0.22,
                    webinar=0.10,
                    sales=0.18,
                    paid_social_linkedin=0.10,
                    organic_search=0.08,
                    display_retargeting=0.08,
                    direct=0.08,
                    paid_search_brand=0.05,
                    events=0.05,
                    paid_search_generic=0.03,
                    referral=0.03,
                ),
                _vec(
                    sales=0.40,
                    direct=0.20,
                    paid_search_brand=0.20,
                    email=0.10,
                    display_retargeting=0.10,
                ),
            ]
        ),
    ]
)
CHANNEL_TABLES = CHANNEL_TABLES / CHANNEL_TABLES.sum(axis=2, keepdims=True)

# --- causal increments to the conversion logit ---------------------------------------------
#: delta[segment, channel] for the first touch of that channel by the unit.
DELTA: np.ndarray = np.stack(
    [
        _vec(  # smb
            paid_search_brand=0.10,
            paid_search_generic=0.55,
            paid_social_meta=0.75,
            paid_social_linkedin=0.45,
            display_retargeting=0.05,
            organic_search=0.45,
            direct=0.02,
            referral=0.65,
            organic_social=0.30,
            email=0.30,
        ),
        _vec(  # enterprise (account level: many contacts add up)
            paid_search_brand=0.05,
            paid_search_generic=0.25,
            paid_social_meta=0.15,
            paid_social_linkedin=0.55,
            display_retargeting=0.03,
            organic_search=0.20,
            direct=0.01,
            referral=0.25,
            organic_social=0.15,
            email=0.25,
            events=0.45,
        ),
    ]
)
#: Webinar increments: (attended, registered but did not attend) per segment.
WEBINAR_DELTA: np.ndarray = np.array([[1.0, 0.2], [2.0, 0.25]])
#: Webinars are a minority habit: the share of enterprise accounts whose buying committee
#: follows the webinar programme, and the share of those accounts' contacts who do (only they
#: register for webinars).
WEBINAR_ACCOUNT_SHARE = 0.6
WEBINAR_CONTACT_SHARE = 0.5
#: Share of webinar registrations that are attended (the others are no-shows).
WEBINAR_ATTENDANCE = 0.6
#: Sales touch kinds (HubSpot activity) with their share and increment (enterprise).
SALES_KINDS: tuple[str, ...] = ("call", "email", "meeting", "demo")
SALES_SHARE: np.ndarray = np.array([0.45, 0.20, 0.15, 0.20])
SALES_DELTA: np.ndarray = np.array([0.15, 0.05, 0.30, 0.90])
#: Multiplier per earlier touch of the same channel by the same unit (diminishing returns).
DECAY = 0.6
#: Extra increment of a session that viewed a /compare/ page, per segment.
COMPARE_LIFT: np.ndarray = np.array([0.5, 0.3])
#: Base logit per segment (SMB person / enterprise account).
BASE_LOGIT: np.ndarray = np.array([-3.8, -8.3])
REGION_EFFECT: np.ndarray = np.array([0.2, 0.0, -0.2, -0.35])
PRODUCT_EFFECT: np.ndarray = np.array([0.0, -0.1, -0.25])

# --- session details -------------------------------------------------------------------------
#: Probability that a session of the channel views a /compare/ page (the helpful page).
COMPARE_PROB: np.ndarray = _vec(
    paid_search_brand=0.06,
    paid_search_generic=0.20,
    paid_social_meta=0.05,
    paid_social_linkedin=0.08,
    display_retargeting=0.05,
    organic_search=0.15,
    direct=0.08,
    referral=0.45,
    organic_social=0.05,
    email=0.10,
)
#: Probability that a session views /pricing (the friction point: most never sign up).
PRICING_PROB = 0.55
#: Probability that a session happens on the person's phone (when they have one).
MOBILE_AFFINITY: np.ndarray = _vec(
    paid_search_brand=0.30,
    paid_search_generic=0.30,
    paid_social_meta=0.75,
    paid_social_linkedin=0.45,
    display_retargeting=0.40,
    organic_search=0.35,
    direct=0.25,
    referral=0.25,
    organic_social=0.70,
    email=0.55,
)
#: Probability that a person who never gets a product login still browses on more than one of
#: their devices during the journey. Their browsers are never all linked: a login links a
#: browser to its user, a form links one browser (the HubSpot GA Client ID). Everyone else who
#: never logs in keeps to the browser of their first session.
BROWSER_SWITCH_PROB = 0.03
#: Product users (buyers, trial users, customers' contacts) log in on each other browser they
#: used in their journey within this many days of signing up / buying (unless the period ends).
LOGIN_EVERYWHERE_DAYS = 10
#: Probability that an e-mail open is followed by a click (and a GA4 session).
EMAIL_CLICK_PROB = 0.35
#: Landing page weights per channel over :data:`workbench.sample.vocab.PAGES` indices
#: 0..12 (home, pricing, 4 product pages, 5 blog posts, 2 compare pages).
LANDING_WEIGHTS: np.ndarray = np.array(
    [
        # home pricing prod x4             blog x5                 compare x2
        [6.0, 2.0, 1.0, 0.5, 0.5, 0.2, 0.0, 0.0, 0.0, 0.0, 0.0, 0.3, 0.0],  # brand
        [1.0, 0.5, 3.0, 2.0, 1.0, 0.5, 0.5, 0.3, 0.0, 0.0, 0.0, 0.6, 0.3],  # generic
        [1.0, 0.5, 2.0, 1.5, 0.5, 0.0, 1.0, 1.0, 0.0, 0.0, 1.0, 0.0, 0.0],  # meta
        [0.5, 0.0, 1.0, 1.0, 1.0, 0.0, 0.5, 0.0, 1.0, 0.0, 2.0, 0.0, 0.0],  # linkedin
        [1.0, 4.0, 1.0, 0.5, 0.5, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],  # retargeting
        [0.5, 0.2, 0.5, 0.5, 0.3, 0.3, 2.0, 2.0, 1.5, 1.5, 0.5, 0.4, 0.3],  # organic search
        [6.0, 2.0, 0.5, 0.5, 0.5, 0.2, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],  # direct
        [1.0, 0.5, 1.0, 0.5, 0.5, 0.5, 0.0, 0.0, 0.0, 0.0, 0.0, 2.0, 1.0],  # referral
        [0.5, 0.0, 0.5, 0.5, 0.0, 0.0, 2.0, 1.0, 1.0, 1.0, 1.0, 0.0, 0.0],  # organic social
        [1.0, 1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0],  # email (unused)
    ]
)
#: Self-reported conversion click windows (days) per ad platform (the platforms' defaults).
PLATFORM_WINDOW_DAYS: dict[str, int] = {p: int(d) for p, d in DEFAULT_CLICK_WINDOWS.items()}
