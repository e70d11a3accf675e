"""Hand-built journey tables shared by the journey-analysis tests.

Six journeys ending 2026-03-01 (touches are given as days before the end):

====  =========  =====  ==========  ======  =====================================
id    converted  value  type        region  touches (channel/touch type/days/page)
====  =========  =====  ==========  ======  =====================================
j1    yes        1000   smb         EMEA    Paid Search ad_click 10 /,
                                            Webinar webinar_attendance 5 /webinar/1,
                                            Email email_click 2 /pricing
j2    yes        3000   enterprise  US      Organic Search session 40 /blog/a,
                                            Webinar webinar_attendance 20 /webinar/1,
                                            Sales demo 3 /demo-request
j3    no         0      smb         US      Paid Search ad_click 6 /,
                                            Paid Search ad_click 5 /,
                                            Direct session 0 /compare/x-vs-y
j4    no         0      enterprise  EMEA    Organic Search session 0 /blog/b
j5    yes        500    smb         EMEA    (no touch)
j6    no         0      smb         US      Paid Search ad_click 1 /,
                                            Webinar webinar_attendance 0 /webinar/2
====  =========  =====  ==========  ======  =====================================
"""

from __future__ import annotations

import numpy as np
import pandas as pd

END = pd.Timestamp("2026-03-01", tz="UTC")

SPEC = [
    ("j1", True, 1000.0, "smb", "EMEA", [
        ("Paid Search", "ad_click", 10, "/"),
        ("Webinar", "webinar_attendance", 5, "/webinar/1"),
        ("Email", "email_click", 2, "/pricing"),
    ]),
    ("j2", True, 3000.0, "enterprise", "US", [
        ("Organic Search", "session", 40, "/blog/a"),
        ("Webinar", "webinar_attendance", 20, "/webinar/1"),
        ("Sales", "demo", 3, "/demo-request"),
    ]),
    ("j3", False, 0.0, "smb", "US", [
        ("Paid Search", "ad_click", 6, "/"),
        ("Paid Search", "ad_click", 5, "/"),
        ("Direct", "session", 0, "/compare/x-vs-y"),
    ]),
    ("j4", False, 0.0, "enterprise", "EMEA", [("Organic Search", "session", 0, "/blog/b")]),
    ("j5", True, 500.0, "smb", "EMEA", []),
    ("j6", False, 0.0, "smb", "US", [
        ("Paid Search", "ad_click", 1, "/"),
        ("Webinar", "webinar_attendance", 0, "/webinar/2"),
    ]),
]  # fmt: skip


def tables(spec: list | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``(journeys, touches)`` with the canonical columns, built from ``spec``."""
    spec = SPEC if spec is None else spec
    jrows, trows = [], []
    for jid, conv, value, ctype, region, touches in spec:
        days = [t[2] for t in touches]
        first = END - pd.Timedelta(days=max(days)) if touches else pd.NaT
        jrows.append(
            {
                "journey_id": jid,
                "person_id": "p" + jid[1:],
                "converted": conv,
                "conversion_type": "deal_won" if conv else None,
                "conversion_ts": END if conv else pd.NaT,
                "value": value,
                "n_touches": len(touches),
                "first_channel": touches[0][0] if touches else None,
                "last_channel": touches[-1][0] if touches else None,
                "duration_days": float(max(days)) if touches else np.nan,
                "path": " > ".join(t[0] for t in touches) or "(no touch)",
                "account_id": None,
                "conversion_id": None,
                "first_ts": first,
                "n_channels": len({t[0] for t in touches}),
                "customer_type": ctype,
                "region": region,
            }
        )
        for pos, (channel, ttype, d, page) in enumerate(touches):
            trows.append(
                {
                    "journey_id": jid,
                    "position": pos,
                    "ts": END - pd.Timedelta(days=d),
                    "channel": channel,
                    "touch_type": ttype,
                    "campaign": None,
                    "days_to_conversion": float(d),
                    "platform": None,
                    "page": page,
                    "event_name": None,
                    "label": channel,
                }
            )
    journeys = pd.DataFrame(jrows)
    touches = pd.DataFrame(trows)
    for col in ("conversion_ts", "first_ts"):
        journeys[col] = pd.to_datetime(journeys[col], utc=True)
    touches["ts"] = pd.to_datetime(touches["ts"], utc=True)
    text_j = ["journey_id", "person_id", "conversion_type", "first_channel", "last_channel",
              "path", "account_id", "conversion_id", "customer_type", "region"]  # fmt: skip
    text_t = ["journey_id", "channel", "touch_type", "campaign", "platform", "page",
              "event_name", "label"]  # fmt: skip
    journeys = journeys.astype({c: "string" for c in text_j})
    touches = touches.astype({c: "string" for c in text_t})
    return journeys, touches


STAGES = {
    "awareness": {"touch_types": ["ad_click", "session"]},
    "consideration": {"touch_types": ["webinar_attendance"], "pages": ["^/pricing"]},
    "decision": {"touch_types": ["demo"], "pages": ["^/compare/", "^/demo-request"]},
    "conversion": {"conversion_types": ["deal_won"]},
}
