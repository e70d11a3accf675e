"""Damaged exports: quote storms, unterminated quotes, truncated archives, NUL bytes,
duplicate and header-only files (issue 13): rows before the damage kept, the rest quarantined
with a reason, one warning line naming the file and line, no traceback."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from workbench.cli.main import main
from workbench.config import SourceConfig
from workbench.errors import ConfigError, ValidationError
from workbench.ingest.readers import read_source

COLUMNS = {"ts": ["when"], "anonymous_id": ["id"], "touch_type": ["kind"], "campaign": ["campaign"]}
HEADER = "when,id,kind,campaign\n"


def rows(n: int, start: int = 0) -> list[str]:
    return [f"2026-11-{1 + i % 28:02d} 10:00,c{i},visit,Campaign {i}" for i in range(start, n)]


def generic(tmp_path: Path, name: str, content: str | bytes) -> SourceConfig:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    return config(name, tmp_path)


def config(path: str, base: Path, **kw: object) -> SourceConfig:
    return SourceConfig(
        name="g",
        format="csv",
        path=path,
        base_dir=base,
        table="touchpoints",
        columns=COLUMNS,  # type: ignore[arg-type]
        **kw,  # type: ignore[arg-type]
    )


def by_reason(result) -> dict[str, list[int]]:
    out: dict[str, list[int]] = {}
    for reason, row in zip(
        result.quarantine["reason"], result.quarantine["source_row"], strict=True
    ):
        out.setdefault(reason, []).append(int(row))
    return out


def test_two_stray_quotes_do_not_swallow_rows_silently(tmp_path: Path):
    lines = rows(300)
    lines[9] = lines[9].replace("Campaign 9", '"Campaign 9')  # file line 11
    lines[109] = lines[109].replace("Campaign 109", 'Campaign" 109')  # file line 111
    result = read_source(generic(tmp_path, "t.csv", HEADER + "\n".join(lines) + "\n"))
    tp = result.touchpoints
    assert tp["campaign"].str.len().max() < 20  # no 9,000-character campaign title
    got = by_reason(result)
    assert got == {"unbalanced quote swallowed lines into one field": list(range(11, 112))}
    assert len(tp) == 300 - 101
    assert tp["anonymous_id"].iloc[9] == "c110"  # rows after the damage are read normally
    text = " | ".join(result.warnings)
    assert "t.csv: line 11: an unbalanced quote" in text


def test_legit_multiline_values_are_not_a_quote_storm(tmp_path: Path):
    lines = rows(20)
    lines[3] = '2026-11-04 10:00,c3,visit,"Spring\nsale"'
    result = read_source(generic(tmp_path, "t.csv", HEADER + "\n".join(lines) + "\n"))
    assert len(result.touchpoints) == 20 and result.quarantine.empty
    assert result.touchpoints["campaign"].iloc[3] == "Spring\nsale"


def test_unterminated_quote_keeps_the_rows_before_it(tmp_path: Path):
    lines = rows(10)
    lines[6] = '2026-11-07 10:00,c6,visit,"never closed'  # file line 8
    result = read_source(generic(tmp_path, "t.csv", HEADER + "\n".join(lines) + "\n"))
    assert result.touchpoints["anonymous_id"].tolist() == [f"c{i}" for i in range(6)]
    assert by_reason(result) == {"unterminated quote": [8, 9, 10, 11]}
    assert any(
        w.startswith("t.csv: line 8: a quote opened here is never closed") for w in result.warnings
    )


def test_truncated_csv_gz_keeps_complete_lines(tmp_path: Path):
    packed = gzip.compress((HEADER + "\n".join(rows(2000)) + "\n").encode())
    result = read_source(generic(tmp_path, "t.csv.gz", packed[: len(packed) // 2]))
    kept = len(result.touchpoints)
    assert 0 < kept < 2000
    assert by_reason(result) == {"truncated or corrupt compressed file": [kept + 2]}
    assert any("t.csv.gz: the compressed file ends early" in w for w in result.warnings)
    whole = read_source(generic(tmp_path, "t.csv.gz", packed))
    assert len(whole.touchpoints) == 2000 and whole.quarantine.empty


def test_truncated_ndjson_gz_keeps_complete_lines(tmp_path: Path):
    events = [
        {
            "event_timestamp": (1_793_000_000 + i) * 1_000_000,
            "event_name": "page_view",
            "event_params": [{"key": "ga_session_id", "value": {"int_value": i}}],
            "user_pseudo_id": f"u{i}",
        }
        for i in range(3000)
    ]
    packed = gzip.compress("\n".join(json.dumps(e) for e in events).encode() + b"\n")
    (tmp_path / "e.ndjson.gz").write_bytes(packed[: len(packed) * 2 // 3])
    result = read_source(
        SourceConfig(name="ga4", format="ga4", path="*.ndjson.gz", base_dir=tmp_path)
    )
    sessions = result.touchpoints.query("touch_type == 'session'")
    assert 0 < len(sessions) < 3000
    assert by_reason(result) == {"truncated or corrupt compressed file": [len(sessions) + 1]}
    assert any("e.ndjson.gz: the compressed file ends early" in w for w in result.warnings)


def test_nul_byte_is_reported_as_such_not_as_utf16(tmp_path: Path):
    text = HEADER + "\n".join(rows(5)) + "\n"
    data = text.encode().replace(b"c2,visit", b"c2\x00,visit")
    result = read_source(generic(tmp_path, "t.csv", data))
    assert result.touchpoints["anonymous_id"].tolist() == ["c0", "c1", "c3", "c4"]
    assert by_reason(result) == {"NUL byte in line (binary or corrupt data)": [4]}
    assert any("t.csv: NUL bytes" in w and "line(s) 4" in w for w in result.warnings)


def test_duplicate_header_column_is_an_error_when_read_and_a_warning_otherwise(tmp_path: Path):
    with pytest.raises(ValidationError, match="'campaign' more than once"):
        read_source(generic(tmp_path, "t.csv", "when,id,kind,campaign,campaign\n"))
    result = read_source(
        generic(tmp_path, "t.csv", "when,id,kind,campaign,notes,notes\n2026-11-01,a,visit,c,x,y\n")
    )
    assert any("'notes' more than once" in w for w in result.warnings)


def test_header_only_export_gives_zero_rows_with_a_warning(tmp_path: Path):
    result = read_source(generic(tmp_path, "t.csv", HEADER))
    assert len(result.touchpoints) == 0
    assert (
        "t.csv: the export has no data rows (0 rows read: empty or header only)" in result.warnings
    )
    (tmp_path / "e.ndjson").write_text("")
    ga4 = read_source(SourceConfig(name="ga4", format="ga4", path="e.ndjson", base_dir=tmp_path))
    assert "e.ndjson: the export has no data rows" in " ".join(ga4.warnings)


def test_prepare_on_a_damaged_file_exits_cleanly(tmp_path: Path, capsys):
    lines = rows(10)
    lines[4] = '2026-11-05 10:00,c4,visit,"open'
    (tmp_path / "t.csv").write_text(HEADER + "\n".join(lines) + "\n")
    (tmp_path / "workbench.toml").write_text(
        f'[project]\ndata_dir = "{tmp_path.as_posix()}"\n'
        f'processed_dir = "{(tmp_path / "out").as_posix()}"\n'
        '[[sources]]\nname = "g"\nformat = "csv"\npath = "t.csv"\ntable = "touchpoints"\n'
        '[sources.columns]\nts = "when"\nanonymous_id = "id"\ntouch_type = "kind"\n'
    )
    assert main(["prepare", "--config", str(tmp_path / "workbench.toml"), "--quiet"]) == 0
    err = capsys.readouterr().err
    assert "warning: t.csv: line 6: a quote opened here is never closed" in err
    assert "Traceback" not in err


def test_source_paths_must_resolve_inside_data_dir(tmp_path: Path):
    data = tmp_path / "data"
    data.mkdir()
    (tmp_path / "secret.csv").write_text(HEADER + "\n".join(rows(2)) + "\n")
    (data / "link.csv").symlink_to(tmp_path / "secret.csv")
    for path in ("../secret.csv", str(tmp_path / "secret.csv"), "link.csv"):
        source = config(path, data)
        with pytest.raises(ConfigError, match="outside data_dir .*allow_outside_data_dir = true"):
            read_source(source)
        allowed = config(path, data, allow_outside_data_dir=True)
        assert len(read_source(allowed).touchpoints) == 2


def test_long_legit_notes_in_a_multiline_column_are_kept(tmp_path: Path):
    lines = rows(20)
    for i in (2, 5, 8):  # a notes-like column: several values span lines
        lines[i] = f'2026-11-0{i} 10:00,c{i},visit,"Call notes:\nasked about pricing\nfollow up"'
    lines[12] = '2026-11-12 10:00,c12,visit,"' + "Long note. " * 400 + '\nsecond paragraph"'
    result = read_source(generic(tmp_path, "t.csv", HEADER + "\n".join(lines) + "\n"))
    assert len(result.touchpoints) == 20 and result.quarantine.empty


def test_plain_file_named_gz_is_read_and_corrupt_gz_is_a_clear_error(tmp_path: Path):
    plain = read_source(generic(tmp_path, "p.csv.gz", HEADER + "\n".join(rows(3)) + "\n"))
    assert len(plain.touchpoints) == 3
    with pytest.raises(ValidationError, match=r"g.csv.gz: corrupt compressed data .*nothing"):
        read_source(generic(tmp_path, "g.csv.gz", b"\x1f\x8bgarbage"))
