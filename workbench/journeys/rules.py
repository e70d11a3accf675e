"""Journey rules: one interaction = one touch, and marketing touches only.

Applied to the stitched touchpoints *before* journeys are cut
(:func:`apply_journey_rules`), so every model sees the same touches.

**Merges** (``[journeys.merge]``)

- *Ad click + its session*: an ``ad_click`` from a platform click log and the
  session carrying the same click id (gclid, fbclid, ...) are one interaction.
  The session row is kept (its page, device, time) and takes the click's
  ``platform`` and ``campaign``; the click row is removed. A paid click whose
  visit was not tracked (consent refused, blocked tag) has no session: it stays
  as an ``ad_click`` touch of the person its click id is linked to.
- *E-mail click + its session*: an ``email_click`` from the e-mail tool and
  the session it opened (same person, starting within
  ``email_click_window_minutes`` after the click, with the same campaign or an
  e-mail UTM medium) are one interaction; the session row is kept.

**Exclusions** (``[journeys.exclude]``), each counted by rule:

- ``hosts``: touches whose host (``host`` column, or the host of a full URL in
  ``page``) is listed (e.g. a QA or kiosk host).
- ``pages``: touches whose ``page`` fully matches one of these regexes.
- ``touch_types``: touch types that are not marketing interactions.
- ``product_pages`` + ``registered_after``: sessions of people who already
  have a conversion of a ``registered_after`` type, arriving *directly*
  (channel in ``direct_channels``) on a product page -- logged-in product
  usage, not marketing. Default: ``/app``, ``/login``, ``/account``,
  ``/dashboard``, ``/settings`` after a ``signup``.
- ``email_opens`` (default true): e-mail opens are left out. Since Apple
  Mail Privacy Protection (2021) the mail client pre-fetches every message's
  images, so a large share of "opens" are machine-generated and say nothing
  about the reader. Set ``email_opens = false`` to keep them.
- ``after_conversion`` (default true): touches of the same session as a
  conversion but timestamped after it (e.g. the thank-you page, the product
  tour that follows a sign-up) cannot have caused it.

Nothing here knows about any particular company: the defaults are the generic
rules an analyst would configure, and every rule can be switched off.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from workbench.config_sections import JourneyRules, parse_journey_rules
from workbench.schema import CAMPAIGN, CHANNEL, CLICK_ID_TYPES, PERSON_ID, PLATFORM, TOUCH_TYPE, TS

__all__ = [
    "RULE_COLUMNS",
    "JourneyRules",
    "apply_journey_rules",
    "exclude_touches",
    "merge_interactions",
    "parse_journey_rules",
]

#: Columns of the counts returned by the rules: ``step`` (merge/exclude),
#: ``rule`` (a readable rule name) and ``touches`` (rows merged or excluded).
RULE_COLUMNS = ("step", "rule", "touches")

AD_CLICK_RULE = "ad click + session with the same click id"
EMAIL_CLICK_RULE = "e-mail click + the session it opened"
_SESSION = "session"

# The touch columns each rule reads, declared once beside it: :data:`_RULE_INPUTS`
# (what :func:`apply_journey_rules` hands the rules) is their union, and a test
# records every column each rule reads against its declaration.

#: The columns the ad-click merge copies from the click to its session.
_MERGED = (PLATFORM, CAMPAIGN)
#: Touch columns :func:`_merge_ad_clicks` reads.
_AD_CLICK_READS = (TOUCH_TYPE, *CLICK_ID_TYPES, *_MERGED)
#: Touch columns :func:`_merge_email_clicks` reads.
_EMAIL_CLICK_READS = (TOUCH_TYPE, PERSON_ID, TS, CAMPAIGN, "traffic_medium")
#: Touch columns :func:`exclude_touches` reads (host, page, touch type, e-mail open,
#: product usage, after conversion).
_EXCLUDE_READS = (TOUCH_TYPE, "host", "page", CHANNEL, PERSON_ID, TS, "session_id")


def _counts(rows: list[tuple[str, str, int]]) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=list(RULE_COLUMNS))
    return df.astype({"step": "string", "rule": "string", "touches": "int64"})


def _text(df: pd.DataFrame, col: str) -> pd.Series:
    if col not in df.columns:
        return pd.Series(pd.NA, index=df.index, dtype="string")
    return df[col].astype("string")


def _merge_ad_clicks(tp: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """Drop ad clicks whose click id is carried by a session.

    The session takes the click's platform and campaign.
    """
    kind = _text(tp, TOUCH_TYPE)
    clicks = (kind == "ad_click").fillna(False).to_numpy(bool)
    sessions = (kind == _SESSION).fillna(False).to_numpy(bool)
    drop = np.zeros(len(tp), dtype=bool)
    out = tp.copy()
    for id_col in (c for c in CLICK_ID_TYPES if c in tp.columns):
        ids = _text(tp, id_col)
        has = ids.notna().to_numpy(bool)
        c_rows = np.flatnonzero(clicks & has & ~drop)
        s_rows = np.flatnonzero(sessions & has)
        if not len(c_rows) or not len(s_rows):
            continue
        first_click = pd.Series(c_rows, index=ids.iloc[c_rows].to_numpy()).groupby(level=0).first()
        match = pd.Index(first_click.index).get_indexer(ids.iloc[s_rows].to_numpy())
        s_hit, c_hit = s_rows[match >= 0], first_click.to_numpy()[match[match >= 0]]
        for col in _MERGED:
            if col in out.columns:
                col_pos = out.columns.get_loc(col)
                click_value = tp[col].iloc[c_hit].to_numpy()
                keep_own = pd.isna(click_value)
                own = out[col].iloc[s_hit].to_numpy()
                out.iloc[s_hit, col_pos] = np.where(keep_own, own, click_value)
        drop[c_hit] = True
    return out.loc[~drop], int(drop.sum())


def _merge_email_clicks(tp: pd.DataFrame, window_minutes: float) -> tuple[pd.DataFrame, int]:
    """Drop e-mail tool clicks followed within the window by their session.

    The session is the same person's, with the same campaign or an e-mail UTM
    medium (one session per click).
    """
    if PERSON_ID not in tp.columns or not len(tp):
        return tp, 0
    kind = _text(tp, TOUCH_TYPE)
    person = _text(tp, PERSON_ID)
    campaign = _text(tp, CAMPAIGN).str.strip().str.lower()
    medium = _text(tp, "traffic_medium").str.strip().str.lower()
    base = pd.DataFrame(
        {"row": np.arange(len(tp)), "p": person.to_numpy(), "t": tp[TS].array, "c": campaign}
    )
    clicks = base[(kind == "email_click").fillna(False).to_numpy(bool) & person.notna().to_numpy()]
    is_session = (kind == _SESSION).fillna(False).to_numpy(bool) & person.notna().to_numpy()
    email_like = is_session & (
        (medium == "email").fillna(False).to_numpy(bool)
        | campaign.isin(clicks["c"].dropna().unique()).fillna(False).to_numpy(bool)
    )
    sessions = base[email_like]
    if clicks.empty or sessions.empty:
        return tp, 0
    tol = pd.Timedelta(minutes=window_minutes)
    left = clicks.dropna(subset=["t"]).sort_values("t")
    right = sessions.dropna(subset=["t"]).sort_values("t").rename(columns={"row": "s_row"})
    m = pd.merge_asof(
        left,
        right.rename(columns={"c": "sc"}),
        on="t",
        by="p",
        direction="forward",
        tolerance=tol,
    )
    same = m["sc"].isna() | m["c"].isna() | (m["sc"] == m["c"]).fillna(False)
    s_medium = medium.to_numpy()[m["s_row"].fillna(0).astype(int).to_numpy()]
    ok = m["s_row"].notna() & (same | (pd.Series(s_medium, index=m.index) == "email"))
    hit = m.loc[ok.to_numpy(bool)].drop_duplicates("s_row")
    drop = np.zeros(len(tp), dtype=bool)
    drop[hit["row"].to_numpy(int)] = True
    return tp.loc[~drop], int(drop.sum())


def merge_interactions(
    touchpoints: pd.DataFrame, rules: JourneyRules | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Apply the merge rules; return the touches and the merge counts (RULE_COLUMNS)."""
    rules = rules or JourneyRules()
    tp, rows = touchpoints, []
    if rules.merge_ad_clicks:
        tp, n = _merge_ad_clicks(tp)
        rows.append(("merge", AD_CLICK_RULE, n))
    if rules.merge_email_clicks:
        tp, n = _merge_email_clicks(tp, rules.email_click_window_minutes)
        rows.append(("merge", EMAIL_CLICK_RULE, n))
    return tp, _counts(rows)


def _hosts(tp: pd.DataFrame) -> pd.Series:
    if "host" in tp.columns:
        host = _text(tp, "host")
    else:
        host = _text(tp, "page").str.extract(r"^[a-zA-Z][\w+.-]*://([^/:?#]+)", expand=False)
    return host.str.lower().str.removeprefix("www.")


def _full_match(values: pd.Series, patterns: tuple[str, ...]) -> np.ndarray:
    if not patterns:
        return np.zeros(len(values), dtype=bool)
    joined = "|".join(f"(?:{p})" for p in patterns)
    return values.str.fullmatch(joined).fillna(False).to_numpy(bool)


def _after_first(tp: pd.DataFrame, conversions: pd.DataFrame, types: tuple[str, ...]) -> np.ndarray:
    """Touches strictly after the person's first conversion of ``types``."""
    if not types or PERSON_ID not in conversions.columns or PERSON_ID not in tp.columns:
        return np.zeros(len(tp), dtype=bool)
    rows = conversions[conversions["conversion_type"].isin(list(types))]
    first = rows.groupby(rows[PERSON_ID].astype("string"))[TS].min()
    return _later(tp, first, _text(tp, PERSON_ID))


def _same_session_after(tp: pd.DataFrame, conversions: pd.DataFrame) -> np.ndarray:
    """Touches of a conversion's session timestamped after that conversion."""
    if "session_id" not in tp.columns or "session_id" not in conversions.columns:
        return np.zeros(len(tp), dtype=bool)
    conv = conversions.dropna(subset=["session_id"])
    first = conv.groupby(conv["session_id"].astype("string"))[TS].min()
    return _later(tp, first, _text(tp, "session_id"))


def _later(tp: pd.DataFrame, first: pd.Series, keys: pd.Series) -> np.ndarray:
    """Whether each touch is after ``first`` of its key (False without one)."""
    if first.empty:
        return np.zeros(len(tp), dtype=bool)
    since = pd.to_datetime(first, utc=True).reindex(keys.to_numpy())
    later = tp[TS].reset_index(drop=True) > since.reset_index(drop=True)
    return later.fillna(False).to_numpy(bool)


def exclude_touches(
    touchpoints: pd.DataFrame,
    conversions: pd.DataFrame,
    rules: JourneyRules | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Apply the exclusion rules; return the kept touches and counts per rule.

    A touch matched by several rules is counted once, under the first rule
    listed: host, page, touch type, e-mail open, product usage, after conversion.
    """
    rules = rules or JourneyRules()
    tp = touchpoints
    kind = _text(tp, TOUCH_TYPE)
    page = _text(tp, "page")
    checks = [
        ("host name excluded", _hosts(tp).isin(list(rules.hosts)).fillna(False).to_numpy(bool)),
        ("page excluded", _full_match(page, rules.pages)),
        ("touch type excluded", kind.isin(list(rules.touch_types)).fillna(False).to_numpy(bool)),
        (
            "e-mail open (machine opens since Apple Mail Privacy Protection)",
            rules.email_opens & (kind == "email_open").fillna(False).to_numpy(bool),
        ),
        (
            "registered user landing directly on a product page",
            (kind == _SESSION).fillna(False).to_numpy(bool)
            & _text(tp, CHANNEL).isin(list(rules.direct_channels)).fillna(False).to_numpy(bool)
            & _full_match(page, rules.product_pages)
            & _after_first(tp, conversions, rules.registered_after),
        ),
        (
            "after the conversion in its session",
            rules.after_conversion & _same_session_after(tp, conversions),
        ),
    ]
    drop = np.zeros(len(tp), dtype=bool)
    rows = []
    for rule, mask in checks:
        new = np.asarray(mask, dtype=bool) & ~drop
        rows.append(("exclude", rule, int(new.sum())))
        drop |= new
    return tp.loc[~drop], _counts(rows)


#: The touch columns the rules read, the union of their declarations (the merges change
#: :data:`_MERGED` of them); the other columns of a touch are carried along untouched.
_RULE_INPUTS = frozenset((*_AD_CLICK_READS, *_EMAIL_CLICK_READS, *_EXCLUDE_READS))


def apply_journey_rules(
    touchpoints: pd.DataFrame,
    conversions: pd.DataFrame,
    rules: JourneyRules | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Merges, then exclusions; returns the touches and one counts frame (RULE_COLUMNS).

    The same touches as :func:`merge_interactions` then :func:`exclude_touches` on the
    whole table, but the rules run on the columns they read (:data:`_RULE_INPUTS`) and
    the wide table is cut once, at the end: each cut of a wide table of Arrow strings
    costs a take per column.
    """
    narrow = touchpoints[[c for c in touchpoints.columns if c in _RULE_INPUTS]]
    narrow.index = pd.RangeIndex(len(narrow))  # labels = positions in ``touchpoints``
    narrow, merged = merge_interactions(narrow, rules)
    narrow, excluded = exclude_touches(narrow, conversions, rules)
    kept = narrow.index.to_numpy()
    if len(kept) == len(touchpoints):  # nothing left out (the rules keep the order)
        tp = touchpoints.copy(deep=False)
    else:
        tp = touchpoints.iloc[kept]
    for col in _MERGED:
        if col in narrow.columns:
            tp[col] = narrow[col].array
    return tp, pd.concat([merged, excluded], ignore_index=True)
