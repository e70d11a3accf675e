"""Journeys as the sample's causal model saw them (for ``bench_truth.py --oracle``).

Built from ``_truth/touches.csv`` (every model touch with its true person and
channel), ``people.csv`` and ``conversions.csv``: one journey per causal unit (an
SMB person, or an enterprise account with every contact's touches), made of the
unit's journey-phase touches up to its counted conversion. No reader, stitching,
journey rule or lookback is involved, so the distance of a model on these journeys
is what the model itself misses; the difference to the distance on the prepared
journeys is what the data pipeline adds. A benchmark aid only: nothing in the
package reads the truth this way.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd


def oracle_journeys(truth_dir: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``(touches, journeys)`` frames in the shape :func:`workbench.attribution.run_models` takes."""
    t = pd.read_csv(truth_dir / "touches.csv", dtype={"person_id": str, "account_id": str})
    people = pd.read_csv(truth_dir / "people.csv", dtype=str)
    conv = pd.read_csv(truth_dir / "conversions.csv", dtype={"person_id": str, "account_id": str})
    segment = people.set_index("person_id")["segment"]
    t = t[t["phase"] == "journey"].copy()
    enterprise = segment.reindex(t["person_id"]).to_numpy() == "enterprise"
    t["unit"] = np.where(enterprise, t["account_id"], t["person_id"])
    conv = conv[conv["counted"].astype(str).str.lower() == "true"].copy()
    conv["unit"] = np.where(
        conv["conversion_type"] == "deal_won", conv["account_id"], conv["person_id"]
    )
    conv["ts"] = pd.to_datetime(conv["ts"], utc=True)
    conv = conv.sort_values("ts").drop_duplicates("unit")
    when = conv.set_index("unit")["ts"]
    value = pd.to_numeric(conv.set_index("unit")["value"])
    t["ts"] = pd.to_datetime(t["ts"], utc=True)
    t["conversion_ts"] = t["unit"].map(when)
    t = t[t["conversion_ts"].isna() | (t["ts"] <= t["conversion_ts"])]
    t = t.sort_values(["unit", "ts"], kind="stable").reset_index(drop=True)
    end = t["conversion_ts"].fillna(t.groupby("unit")["ts"].transform("max"))
    touches = pd.DataFrame(
        {
            "journey_id": t["unit"],
            "position": t.groupby("unit").cumcount(),
            "ts": t["ts"],
            "channel": t["channel"],
            "touch_type": t["touch_type"],
            "campaign": t["detail"],
            "platform": pd.Series(pd.NA, index=t.index, dtype="string"),
            "days_to_conversion": (end - t["ts"]).dt.total_seconds() / 86400,
            "label": t["channel"],
        }
    )
    g = t.groupby("unit", sort=True)
    journeys = pd.DataFrame({"journey_id": g.size().index, "n_touches": g.size().to_numpy()})
    journeys["converted"] = journeys["journey_id"].isin(when.index)
    journeys["conversion_type"] = np.where(journeys["converted"], "conversion", None)
    journeys["conversion_ts"] = journeys["journey_id"].map(when)
    journeys["value"] = journeys["journey_id"].map(value).where(journeys["converted"], 0.0)
    journeys["path"] = g["channel"].agg(" > ".join).to_numpy()
    return touches, journeys
