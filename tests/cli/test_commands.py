"""`workbench sample` and `workbench prepare` from the command line."""

from __future__ import annotations

import pandas as pd

from workbench.cli.main import main
from workbench.prepare import TABLE_FILES, load_prepared


def test_sample_then_prepare_writes_every_table_and_a_summary(small_project, tmp_path, capsys):
    config, _ = small_project
    out = tmp_path / "processed"
    assert main(["prepare", "--config", str(config), "--out", str(out), "--quiet"]) == 0
    printed = capsys.readouterr().out
    for line in (
        "rows read:",
        "touchpoints:",
        "quarantined rows:",
        "people:",
        "quarantined by reason:",
        "ga4: duplicate event",
    ):
        assert line in printed
    for name in TABLE_FILES:
        assert (out / f"{name}.parquet").is_file(), name
    assert (out / "diagnostics" / "summary.parquet").is_file()
    prepared = load_prepared(out)
    assert prepared.touchpoints["person_id"].notna().all()
    assert str(prepared.touchpoints["ts"].dtype).endswith("UTC]")
    # spend rows all got a channel from their campaign or platform
    assert prepared.spend["channel"].notna().all()


def test_prepare_twice_keeps_person_ids(small_project, tmp_path):
    config, _ = small_project
    out = tmp_path / "processed"
    assert main(["prepare", "--config", str(config), "--out", str(out), "--quiet"]) == 0
    first = pd.read_parquet(out / "identities.parquet")
    assert main(["prepare", "--config", str(config), "--out", str(out), "--quiet"]) == 0
    second = pd.read_parquet(out / "identities.parquet")
    merged = first.merge(second, on=["id_type", "id_value"], suffixes=("_1", "_2"))
    assert len(merged) == len(first)
    assert (merged["person_id_1"] == merged["person_id_2"]).all()


def test_sample_command_is_deterministic(tmp_path, capsys):
    a, b = tmp_path / "a", tmp_path / "b"
    assert main(["sample", "--out", str(a), "--people", "150", "--seed", "5"]) == 0
    assert main(["sample", "--out", str(b), "--people", "150", "--seed", "5"]) == 0
    assert "wrote the sample (150 people, seed 5)" in capsys.readouterr().out
    files = sorted(p.relative_to(a) for p in a.rglob("*") if p.is_file())
    assert files
    for rel in files:
        assert (a / rel).read_bytes() == (b / rel).read_bytes(), rel


def test_spend_channels_from_campaign_visits_then_platform():
    from workbench.config import load_config
    from workbench.prepare import _spend_channels

    spend = pd.DataFrame(
        {
            "platform": ["meta", "linkedin", "google_ads", "google_ads", "tiktokish"],
            "campaign": ["spring", "li_x", "brand_search_na", "seen_campaign", "z"],
            "channel": pd.array([pd.NA] * 5, dtype="string"),
        }
    )
    touches = pd.DataFrame(
        {
            "campaign": pd.array(["seen_campaign"] * 3 + ["spring"], dtype="string"),
            "channel": pd.array(["Display - Retargeting"] * 3 + ["Email"], dtype="string"),
        }
    )
    out = _spend_channels(spend, touches, load_config().channel_rules)
    assert out["channel"].tolist() == [
        "Email",  # the campaign's visits were grouped as Email
        "Paid Social - LinkedIn",
        "Paid Search - Brand",
        "Display - Retargeting",
        "Unassigned",
    ]
