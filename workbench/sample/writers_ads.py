"""Ad platform exports: Google Ads click view and campaign report, Meta, LinkedIn.

Clicks come from the paid touches; spend reports are daily per campaign (Meta:
per ad set) over the whole sample period. Each platform's *self-reported*
conversions count every real conversion (SMB purchase, enterprise deal won)
that one of its clicks preceded within its click window (Google Ads 30 days,
Meta 7 days, LinkedIn 30 days; the last such click gets the credit, on its
click date), so the platforms together claim more conversions than happened.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from workbench.platforms import PLATFORMS
from workbench.sample._text import append_csv, frame
from workbench.sample.journeys import DAY, MATCH_TYPES
from workbench.sample.model import PLATFORM_WINDOW_DAYS
from workbench.sample.vocab import CAMPAIGNS, INTERNAL_COMPANY, PERIOD_END, PERIOD_START

__all__ = ["AdsWriter"]

_DEVICE_LABEL = {"desktop": "Computers", "mobile": "Mobile phones", "tablet": "Tablets"}
_TITLE = 'Click performance report\n"January 1, 2026 - June 30, 2026"\n'
_CAMPAIGN_TITLE = 'Campaign report\n"January 1, 2026 - June 30, 2026"\n'
_CLICK_COLUMNS = [
    "Google click ID",
    "Click date",
    "Campaign",
    "Campaign ID",
    "Ad group",
    "Keyword",
    "Match type",
    "Device",
    "Click type",
]
_N_DAYS = int((PERIOD_END - PERIOD_START) // DAY)


def _thousands(values: np.ndarray, decimals: int) -> list[str]:
    """Numbers with thousands separators, as the Google Ads UI writes them."""
    return [f"{v:,.{decimals}f}" for v in np.asarray(values, dtype=float)]


class AdsWriter:
    """Collects clicks and platform-claimed conversions per chunk; writes spend at the end."""

    def __init__(self, root: Path) -> None:
        self.root = root
        n_groups = max(len(c.ad_groups) for c in CAMPAIGNS)
        shape = (len(CAMPAIGNS), n_groups, _N_DAYS)
        self.clicks = np.zeros(shape)
        self.conversions = np.zeros(shape)
        self.value = np.zeros(shape)
        self.click_rows = 0
        self.negative_spend_rows = 0
        self.files: dict[str, int] = {}
        (root / "google_ads").mkdir(parents=True, exist_ok=True)
        append_csv(
            root / "google_ads" / "click_view.csv",
            pd.DataFrame(columns=_CLICK_COLUMNS),
            header=True,
            preamble=_TITLE,
        )

    def add_chunk(
        self,
        touches: pd.DataFrame,
        devices: pd.DataFrame,
        conversions: pd.DataFrame,
    ) -> pd.DataFrame:
        """Record one chunk's paid clicks and the conversions the platforms will claim.

        Parameters
        ----------
        touches
            The chunk's touches (paid clicks have ``campaign >= 0``).
        devices
            Population devices (``didx``, ``category``) for the click's device.
        conversions
            Real conversions: ``unit``, ``ts``, ``value``.

        Returns
        -------
        pandas.DataFrame
            Identifiers written (gclids of the click view).
        """
        paid = touches[(touches["campaign"] >= 0).to_numpy()]
        camp = paid["campaign"].to_numpy().astype(np.int64)
        group = paid["adgroup"].to_numpy().astype(np.int64)
        day = ((paid["ts"].to_numpy() - PERIOD_START) // DAY).astype(np.int64)
        np.add.at(self.clicks, (camp, group, day), 1.0)

        platform = np.array([c.platform for c in CAMPAIGNS])[camp]
        google = platform == "google_ads"
        g = paid[google]
        gc = camp[google]
        cats = devices.set_index("didx")["category"]
        didx = g["didx"].to_numpy()
        known = np.isin(didx, cats.index.to_numpy())
        category = np.full(len(g), "desktop", dtype=object)
        category[known] = cats.loc[didx[known]].to_numpy()
        keywords = np.array(
            [list(c.keywords) + [""] * (3 - len(c.keywords)) for c in CAMPAIGNS], dtype=object
        )
        groups = np.array(
            [list(c.ad_groups) + [""] * (2 - len(c.ad_groups)) for c in CAMPAIGNS], dtype=object
        )
        search = np.array([c.campaign_type == "Search" for c in CAMPAIGNS])[gc]
        kw = g["keyword"].to_numpy().astype(np.int64)
        rows = frame(
            {
                "Google click ID": g["click_id"].to_numpy(),
                "Click date": np.datetime_as_string(
                    (g["ts"].to_numpy() // DAY).astype("datetime64[D]")
                ),
                "Campaign": np.array([c.name for c in CAMPAIGNS])[gc],
                "Campaign ID": np.array([c.campaign_id for c in CAMPAIGNS])[gc],
                "Ad group": groups[gc, g["adgroup"].to_numpy().astype(np.int64)],
                "Keyword": np.where(search, keywords[gc, np.maximum(kw, 0)], ""),
                "Match type": np.where(
                    search, np.array(MATCH_TYPES)[g["match"].to_numpy().astype(np.int64)], ""
                ),
                "Device": pd.Series(category).map(_DEVICE_LABEL).to_numpy(),
                "Click type": np.where(
                    search,
                    np.where(g["tidx"].to_numpy() % 7 == 0, "Sitelink", "Headline"),
                    "Image",
                ),
            }
        )
        rows = rows.iloc[np.argsort(g["ts"].to_numpy(), kind="stable")]
        self.click_rows += append_csv(
            self.root / "google_ads" / "click_view.csv", rows, header=False
        )

        # platform-claimed conversions: last click of the platform within its window
        merged = frame(
            {
                "unit": paid["unit"].to_numpy(),
                "click_ts": paid["ts"].to_numpy(),
                "camp": camp,
                "group": group,
                "day": day,
                "platform": platform,
            }
        ).merge(conversions, on="unit", how="inner")
        window = merged["platform"].map(PLATFORM_WINDOW_DAYS).to_numpy() * DAY
        lag = merged["ts"].to_numpy() - merged["click_ts"].to_numpy()
        merged = merged[(lag >= 0) & (lag <= window)]
        merged = merged.sort_values(["unit", "platform", "click_ts"], kind="stable")
        last = merged.groupby(["unit", "platform"], sort=True).tail(1)
        idx = (last["camp"].to_numpy(), last["group"].to_numpy(), last["day"].to_numpy())
        np.add.at(self.conversions, idx, 1.0)
        np.add.at(self.value, idx, last["value"].to_numpy())
        return frame(
            {"id_type": "gclid", "id_value": g["click_id"].to_numpy(), "pidx": g["pidx"].to_numpy()}
        )

    def claimed(self) -> dict[str, float]:
        """Self-reported conversions per platform (before any malformed rows)."""
        platform = np.array([c.platform for c in CAMPAIGNS])
        totals = self.conversions.sum(axis=(1, 2))
        return {p: float(totals[platform == p].sum()) for p in PLATFORMS}

    def finish(self, rng: np.random.Generator) -> None:
        """Write the three spend reports (daily per campaign / ad set)."""
        days = np.datetime64("2026-01-01") + np.arange(_N_DAYS)
        cpc = np.array([c.cpc for c in CAMPAIGNS])[:, None, None]
        ctr = np.array([c.ctr for c in CAMPAIGNS])[:, None, None]
        clicks = self.clicks
        noise = np.exp(rng.normal(0.0, 0.25, clicks.shape))
        idle = rng.poisson(0.4 / ctr * np.ones_like(clicks))
        impressions = np.round(clicks / ctr * noise) + idle
        cost = clicks * cpc * np.exp(rng.normal(0.0, 0.2, clicks.shape)) + idle * ctr * cpc * 0.3
        cost = np.round(cost, 2)
        reach = np.round(impressions * rng.uniform(0.6, 0.9, clicks.shape))

        self._google(days, clicks, impressions, cost)
        self._meta(days, clicks, impressions, cost, reach)
        self._linkedin(days, clicks, impressions, cost)

    def _google(self, days, clicks, impressions, cost) -> None:
        rows = []
        idx = [i for i, c in enumerate(CAMPAIGNS) if c.platform == "google_ads"]
        for d in range(_N_DAYS):
            for i in idx:
                c = CAMPAIGNS[i]
                rows.append(
                    (
                        str(days[d]),
                        c.name,
                        c.campaign_id,
                        c.campaign_type,
                        "USD",
                        cost[i, :, d].sum(),
                        impressions[i, :, d].sum(),
                        clicks[i, :, d].sum(),
                        self.conversions[i, :, d].sum(),
                        self.value[i, :, d].sum(),
                    )
                )
        df = frame(
            rows,
            columns=[
                "Day",
                "Campaign",
                "Campaign ID",
                "Campaign type",
                "Currency code",
                "Cost",
                "Impr.",
                "Clicks",
                "Conversions",
                "Conv. value",
            ],
        )
        totals = df[["Cost", "Impr.", "Clicks", "Conversions", "Conv. value"]].sum()
        total = frame(
            [["Total: Account", "--", "--", "--", "USD", *totals.to_list()]], columns=df.columns
        )
        df = pd.concat([df, total], ignore_index=True)
        df["Cost"] = _thousands(df["Cost"].to_numpy(), 2)
        df["Impr."] = _thousands(df["Impr."].to_numpy(), 0)
        df["Clicks"] = _thousands(df["Clicks"].to_numpy(), 0)
        df["Conversions"] = _thousands(df["Conversions"].to_numpy(), 2)
        df["Conv. value"] = _thousands(df["Conv. value"].to_numpy(), 2)
        path = self.root / "google_ads" / "campaign_report.csv"
        self.files["google_ads/campaign_report.csv"] = (
            append_csv(path, df, header=True, preamble=_CAMPAIGN_TITLE) - 1
        )

    def _meta(self, days, clicks, impressions, cost, reach) -> None:
        rows = []
        idx = [i for i, c in enumerate(CAMPAIGNS) if c.platform == "meta"]
        for d in range(_N_DAYS):
            for i in idx:
                c = CAMPAIGNS[i]
                for g, group in enumerate(c.ad_groups):
                    rows.append(
                        (
                            str(days[d]),
                            str(days[d]),
                            c.name,
                            c.campaign_id,
                            group,
                            "USD",
                            f"{cost[i, g, d]:.2f}",
                            int(impressions[i, g, d]),
                            int(reach[i, g, d]),
                            int(clicks[i, g, d]),
                            int(self.conversions[i, g, d]),
                            "actions:offsite_conversion.fb_pixel_purchase",
                            f"{self.value[i, g, d]:.2f}",
                        )
                    )
        df = frame(
            rows,
            columns=[
                "Reporting starts",
                "Reporting ends",
                "Campaign name",
                "Campaign ID",
                "Ad set name",
                "Currency",
                "Amount spent (USD)",
                "Impressions",
                "Reach",
                "Link clicks",
                "Results",
                "Result indicator",
                "Purchases conversion value",
            ],
        )
        # a refund credited as negative spend (malformed for a spend table)
        bad = int(len(df) * 0.42)
        df.loc[bad, "Amount spent (USD)"] = "-37.12"
        self.negative_spend_rows = 1
        path = self.root / "meta" / "ads_manager_export.csv"
        path.parent.mkdir(parents=True, exist_ok=True)
        self.files["meta/ads_manager_export.csv"] = append_csv(path, df, header=True)

    def _linkedin(self, days, clicks, impressions, cost) -> None:
        header = [
            "Start Date (in UTC)",
            "Account Name",
            "Campaign Group Name",
            "Campaign Name",
            "Campaign ID",
            "Currency",
            "Total Spent",
            "Impressions",
            "Clicks",
            "Conversions",
            "Total Conversion Value",
        ]
        lines = [
            "Campaign Performance Report (in UTC)",
            "Report Start: 1/1/2026",
            "Report End: 6/30/2026",
            "Date Generated: 7/1/2026, 9:00 AM",
            "",
            "\t".join(header),
        ]
        idx = [i for i, c in enumerate(CAMPAIGNS) if c.platform == "linkedin"]
        n = 0
        for d in range(_N_DAYS):
            day = pd.Timestamp(days[d])
            us_date = f"{day.month}/{day.day}/{day.year}"
            for i in idx:
                c = CAMPAIGNS[i]
                values = [
                    us_date,
                    INTERNAL_COMPANY,
                    c.group,
                    c.name,
                    c.campaign_id,
                    "USD",
                    f"{cost[i, :, d].sum():.2f}",
                    str(int(impressions[i, :, d].sum())),
                    str(int(clicks[i, :, d].sum())),
                    str(int(self.conversions[i, :, d].sum())),
                    f"{self.value[i, :, d].sum():.2f}",
                ]
                lines.append("\t".join(values))
                n += 1
        path = self.root / "linkedin" / "campaign_performance.csv"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"\xff\xfe" + ("\n".join(lines) + "\n").encode("utf-16-le"))
        self.files["linkedin/campaign_performance.csv"] = n
