"""export_conversions end to end: inputs, models, since, result and files."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from workbench.errors import ValidationError
from workbench.export import ExportResult, export_conversions

NOW = "2026-03-10T12:00:00Z"


def utc(*values: str) -> pd.Series:
    return pd.Series(pd.to_datetime(list(values), utc=True, format="ISO8601"))


CONVERSIONS = pd.DataFrame(
    {
        "ts": utc("2026-03-01T10:00:00", "2026-03-02T10:00:00", "2026-03-09T10:00:00"),
        "conversion_type": ["purchase", "lead", "purchase"],
        "value": [100.0, 50.0, 70.0],
        "currency": ["USD", "USD", "USD"],
        "conversion_id": ["D-1", "L-2", "D-3"],
        "person_id": ["p1", "p2", "p3"],
        "email": ["Jane.Doe@gmail.com", "bob@example.com", "carol@example.com"],
        "phone": ["+1 (415) 555-0123", None, None],
        "gclid": ["G1", "G2", None],
    }
)
JOURNEYS = pd.DataFrame(
    {
        "journey_id": ["j1", "j2"],
        "person_id": ["p1", "p2"],
        "converted": [True, True],
        "conversion_type": ["purchase", "lead"],
        "conversion_ts": utc("2026-03-01T10:00:00", "2026-03-02T10:00:00"),
        "value": [100.0, 50.0],
    }
)
CREDITS = pd.DataFrame(
    {
        "journey_id": ["j1", "j1", "j2"],
        "position": [0, 1, 0],
        "channel": ["Paid Search - Generic", "Paid Social - LinkedIn", "Organic Search"],
        "model": ["linear", "linear", "linear"],
        "credit": [0.5, 0.5, 1.0],
        "value_credit": [50.0, 50.0, 50.0],
    }
)


def test_missing_columns_raise_one_validation_error_naming_each() -> None:
    with pytest.raises(ValidationError) as err:
        export_conversions(
            CONVERSIONS.drop(columns=["value", "conversion_type"]), platform="meta", write=False
        )
    message = str(err.value)
    assert "'value'" in message and "'conversion_type'" in message
    assert len(err.value.problems) == 2


def test_bad_arguments_are_validation_errors() -> None:
    with pytest.raises(ValidationError, match="not one of google_ads, meta, linkedin"):
        export_conversions(CONVERSIONS, platform="tiktok", write=False)
    with pytest.raises(ValidationError, match="pass credits= and journeys="):
        export_conversions(CONVERSIONS, platform="meta", model="linear", write=False)
    with pytest.raises(ValidationError, match="available: full, linear"):
        export_conversions(
            CONVERSIONS, platform="meta", model="markov", credits=CREDITS, journeys=JOURNEYS
        )
    with pytest.raises(ValidationError, match="'person_id'"):
        export_conversions(
            CONVERSIONS,
            platform="meta",
            touchpoints=pd.DataFrame({"ts": utc("2026-03-01T00:00:00")}),
            write=False,
        )
    naive = CONVERSIONS.assign(ts=pd.to_datetime(["2026-03-01"] * 3))
    with pytest.raises(ValidationError, match="tz-aware"):
        export_conversions(naive, platform="meta", write=False)


def test_model_values_go_into_the_file_and_zero_credit_is_reported(tmp_path: Path) -> None:
    out = tmp_path / "g.csv"
    result = export_conversions(
        CONVERSIONS,
        platform="google_ads",
        model="linear",
        credits=CREDITS,
        journeys=JOURNEYS,
        now=NOW,
        conversion_name="Offline Purchase",
        out=out,
    )
    assert isinstance(result, ExportResult)
    lines = out.read_text().splitlines()
    assert lines[2] == "G1,Offline Purchase,2026-03-01 10:00:00,50.00,USD"
    assert len(lines) == 3
    got = dict(zip(result.rejected["row"], result.rejected["reason"], strict=True))
    assert got[1] == "model credits this platform nothing"
    assert got[2].startswith("no journey found")
    linkedin = export_conversions(
        CONVERSIONS,
        platform="linkedin",
        model="linear",
        credits=CREDITS,
        journeys=JOURNEYS,
        now=NOW,
        write=False,
    )
    assert linkedin.sent["value_sent"].tolist() == [50.0]
    assert linkedin.paths == ()


def test_no_export_contains_the_raw_emails_or_phones(tmp_path: Path) -> None:
    for platform in ("google_ads", "meta", "linkedin"):
        frame = CONVERSIONS.assign(gclid=[None, "G2", None])
        result = export_conversions(
            frame, platform=platform, now=NOW, out=tmp_path / f"{platform}.out"
        )
        text = "".join(p.read_text() for p in result.paths).lower()
        for raw in ("jane", "bob@", "example.com", "555-0123", "4155550123"):
            assert raw not in text, (platform, raw)
        assert result.rows_written >= 1


def test_since_filters_and_is_counted() -> None:
    result = export_conversions(
        CONVERSIONS, platform="meta", since="2026-03-05", now=NOW, write=False
    )
    assert result.skipped_before_since == 2
    assert result.sent["row"].tolist() == [2]
    assert result.rejected.empty


def test_summary_and_rejection_summary() -> None:
    result = export_conversions(CONVERSIONS, platform="meta", now=NOW, write=False)
    table = result.rejection_summary()
    assert list(table.columns) == ["reason", "rows"]
    assert table["rows"].sum() == len(result.rejected)
    text = result.summary()
    assert text.startswith("meta (model full): 1 conversions written to (not written); 2 rejected")
    assert "x conversion older than 7 days" in text


def test_default_output_path_is_under_processed_exports(monkeypatch, tmp_path: Path) -> None:
    import workbench.export.pipeline as pipeline

    monkeypatch.setattr(pipeline, "PROCESSED_DIR", tmp_path)
    result = export_conversions(CONVERSIONS, platform="linkedin", now=NOW)
    assert result.paths == (tmp_path / "exports" / "linkedin_conversions_full.json",)
    assert result.paths[0].exists()


def test_derived_event_id_is_stable_with_or_without_journeys() -> None:
    frame = CONVERSIONS.assign(conversion_id=None)
    alone = export_conversions(frame, platform="linkedin", now=NOW, write=False)
    joined = export_conversions(frame, platform="linkedin", now=NOW, journeys=JOURNEYS, write=False)
    assert alone.sent["event_id"].tolist() == joined.sent["event_id"].tolist()
    assert alone.sent["event_id"].str.fullmatch(r"wb-[0-9a-f]{32}").all()


def test_unknown_timezone_is_a_config_error() -> None:
    with pytest.raises(ValidationError, match="not a known IANA timezone"):
        export_conversions(CONVERSIONS, platform="google_ads", timezone="Mars/Olympus")
