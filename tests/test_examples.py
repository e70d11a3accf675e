"""The ready configs in examples/ work end to end on small data of their shape.

Each example is used as shipped, with only its [project] folders pointed at a
small data set built from `workbench sample` outputs (or the real GA4 slices in
tests/data/ga4_real): `prepare` succeeds and its config check prints what the
reports of that shape will lack; `report` renders every notebook.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from workbench.cli.demo import with_project_paths
from workbench.cli.main import main
from workbench.paths import PROJECT_ROOT
from workbench.store import read_manifest

EXAMPLES = PROJECT_ROOT / "examples"
GA4_REAL = Path(__file__).parent / "data" / "ga4_real"

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> Path:
    from workbench.sample import generate_sample

    folder = tmp_path_factory.mktemp("example-sample")
    generate_sample(folder, people=150, seed=5)
    return folder


def _copy(sample: Path, raw: Path, *parts: str) -> None:
    for part in parts:
        for src in sorted(sample.glob(part)):
            dst = raw / src.relative_to(sample)
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(src, dst)


def _ga4_events(sample: Path) -> list[dict]:
    events = []
    for path in sorted(sample.glob("ga4/*.ndjson")):
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                events.append(json.loads(line))
            except ValueError:
                continue  # the sample's deliberately broken lines
    return events


def _param(event: dict, key: str):
    for p in event.get("event_params") or []:
        if p["key"] == key:
            v = p["value"]
            return next((v[k] for k in v if v[k] is not None), None)
    return None


def _iso(us: int) -> str:
    return dt.datetime.fromtimestamp(us / 1e6, dt.UTC).isoformat()


def _segment_and_orders(sample: Path, raw: Path) -> None:
    """Segment page/track/identify calls and a Stripe-like payments CSV from the GA4 sample."""
    calls, orders = [], []
    for i, e in enumerate(_ga4_events(sample)):
        base = {"anonymousId": e["user_pseudo_id"], "timestamp": _iso(e["event_timestamp"])}
        base["messageId"] = f"m{i}"
        if e.get("user_id"):
            base["userId"] = e["user_id"]
        name = e["event_name"]
        if name == "page_view":
            calls.append(
                {**base, "type": "page", "context": {"page": {"url": _param(e, "page_location")}}}
            )
        elif name == "sign_up":
            calls.append({**base, "type": "track", "event": "Signed Up"})
        elif name == "generate_lead":
            calls.append({**base, "type": "track", "event": "Form Submitted"})
        elif name == "purchase" and e.get("user_id"):
            orders.append(
                {
                    "id": _param(e, "transaction_id"),
                    "Created date (UTC)": base["timestamp"][:19].replace("T", " "),
                    "Amount": _param(e, "value"),
                    "Currency": "usd",
                    "Customer ID": e["user_id"],
                    "Customer Email": "",
                    "Status": "Paid",
                }
            )
    (raw / "segment").mkdir(parents=True)
    (raw / "segment" / "calls.jsonl").write_text(
        "\n".join(json.dumps(c) for c in calls) + "\n", encoding="utf-8"
    )
    (raw / "orders").mkdir()
    pd.DataFrame(orders).to_csv(raw / "orders" / "payments.csv", index=False)
    assert calls and orders


def _data(shape: str, sample: Path, raw: Path) -> None:
    if shape == "ga4_only":
        _copy(sample, raw, "ga4/*.ndjson")
    elif shape == "ga4_only_real":
        (raw / "ga4").mkdir(parents=True)
        for name in ("web_events.ndjson", "app_events.ndjson"):
            shutil.copy(GA4_REAL / name, raw / "ga4" / name)
    elif shape == "ga4_hubspot":
        _copy(sample, raw, "ga4/*.ndjson", "hubspot/*.csv", "hubspot/activities/*.csv")
    elif shape == "segment_orders":
        _segment_and_orders(sample, raw)
    elif shape == "ads_spend_only":
        _copy(
            sample,
            raw,
            "google_ads/campaign_report.csv",
            "meta/ads_manager_export.csv",
            "linkedin/campaign_performance.csv",
        )


#: shape -> (example file, findings printed, findings NOT printed)
CASES = {
    "ga4_only": ("ga4_only", ["spend: no ad spend", "[segments]: no segments"], ["conversions:"]),
    "ga4_only_real": (
        "ga4_only",
        ["conversions: no conversions were found", "conversion_events of 'ga4'", "spend:"],
        [],
    ),
    "ga4_hubspot": (
        "ga4_hubspot",
        ["spend: no ad spend"],
        ["conversions:", "[segments]", "[attributes"],
    ),
    "segment_orders": (
        "segment_orders",
        ["spend: no ad spend", "[segments]: no segments"],
        ["conversions:"],
    ),
    "ads_spend_only": (
        "ads_spend_only",
        ["conversions: no conversions were found", "add a source with conversions"],
        ["spend:"],
    ),
}


def _project(shape: str, sample: Path, folder: Path) -> Path:
    example = CASES[shape][0]
    raw = folder / "raw"
    _data(shape, sample, raw)
    text = with_project_paths(
        (EXAMPLES / f"{example}.toml").read_text(encoding="utf-8"),
        data_dir=raw,
        processed_dir=folder / "processed",
        reports_dir=folder / "reports",
    )
    config = folder / f"{example}.toml"
    config.write_text(text, encoding="utf-8")
    return config


def test_every_example_is_tested():
    assert {v[0] for v in CASES.values()} == {p.stem for p in EXAMPLES.glob("*.toml")}


@pytest.fixture(scope="module")
def prepared(sample, tmp_path_factory):
    """shape -> (config, printed output of prepare)."""
    return {}


def _prepare(shape, sample, prepared, tmp_path_factory, capsys):
    if shape not in prepared:
        config = _project(shape, sample, tmp_path_factory.mktemp(shape))
        capsys.readouterr()
        code = main(["prepare", "--config", str(config), "--quiet"])
        prepared[shape] = (config, code, capsys.readouterr())
    return prepared[shape]


@pytest.mark.parametrize("shape", sorted(CASES))
def test_example_prepares_and_says_what_will_be_empty(
    shape, sample, prepared, tmp_path_factory, capsys
):
    config, code, captured = _prepare(shape, sample, prepared, tmp_path_factory, capsys)
    assert code == 0, captured.err
    manifest = read_manifest(config.parent / "processed")
    assert manifest["config"]["path"] == str(config.resolve())
    printed = captured.out
    _, present, absent = CASES[shape]
    for text in present:
        assert text in printed, (text, printed)
    summary = printed.split("what will be empty in the reports, and why:")[-1]
    for text in absent:
        assert text not in summary, (text, summary)
