"""Small projects of unusual shapes for the report robustness matrix.

Each project is a folder with its exports, a config and its own ``processed_dir``
and ``reports_dir``, prepared and ready for ``workbench report --config``. The
configs are built the way a new user builds one: the README's minimal config plus
source lines (GA4 shapes), or the bundled ``workbench.toml`` with sources, segments
or schedules taken out (sample shapes).

Run :func:`check_reports` on a finished run: every report rendered, no traceback,
warning or raw-Python text, and every figure output has data.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

PEOPLE = 300
SEED = 11
GA4_REAL = Path(__file__).resolve().parent / "data" / "ga4_real"

#: The README's minimal config (``## Pointing it at your own exports``) for one GA4 export.
README_CONFIG = """\
[project]
name = "{name}"
data_dir = "raw"
processed_dir = "processed"
reports_dir = "reports"

[[sources]]
name = "ga4"                 # any unique name
format = "ga4"               # which reader (see the table below)
path = "ga4/events_*.ndjson" # glob under data_dir
timezone = "UTC"             # timezone of naive timestamps in this export
"""

#: A segment label that would run script if a report did not escape it.
HOSTILE = "Nobody <script>alert(1)</script>"
SPEND_SOURCES = ("google_ads_spend", "meta_spend", "linkedin_spend")
SEGMENT_NOTEBOOKS = ("journey_map", "dropoffs", "attribution")
ALL_NOTEBOOKS = ("executive_summary", "data_health", "journey_map", "dropoffs", "attribution")


def toml_blocks(text: str) -> list[tuple[str, str]]:
    """Split a TOML file into (header, text) blocks; the preamble has header ""."""
    blocks: list[tuple[str, str]] = [("", "")]
    for line in text.splitlines(keepends=True):
        if re.match(r"^\[", line):
            blocks.append((line.strip(), line))
        else:
            header, body = blocks[-1]
            blocks[-1] = (header, body + line)
    return blocks


def sample_config(
    sample: Path,
    *,
    drop_sources: tuple[str, ...] = (),
    segments: str | None = None,
    reports: str | None = None,
) -> str:
    """The bundled config on ``sample``, without ``drop_sources``; ``segments`` / ``reports``
    (TOML text) replace the ``[segments.*]`` / ``[reports.*]`` tables when given."""
    from workbench.paths import default_config_path

    out, source = [], None
    for header, body in toml_blocks(default_config_path().read_text(encoding="utf-8")):
        if header == "[[sources]]":
            source = re.search(r'(?m)^name = "([^"]+)"', body).group(1)
        elif not header.startswith("[sources."):
            source = None
        if source in drop_sources:
            continue
        if segments is not None and header.startswith("[segments."):
            continue
        if reports is not None and header.startswith("[reports."):
            continue
        out.append(body)
    text = "".join(out) + (segments or "") + (reports or "")
    for key, value in (
        ("data_dir", sample.as_posix()),
        ("processed_dir", "processed"),
        ("truth_dir", (sample / "_truth").as_posix()),
        ("reports_dir", "reports"),
    ):
        text = re.sub(rf'(?m)^{key} = "[^"]*"', f'{key} = "{value}"', text)
    return text


def _schedule(notebooks: tuple[str, ...], **params: str) -> str:
    lines = []
    for name in notebooks:
        lines.append(f"\n[reports.{name}]\n")
        if name in SEGMENT_NOTEBOOKS:
            lines += [f'{k} = "{v}"\n' for k, v in params.items()]
    return "".join(lines)


def _ga4_project(folder: Path, name: str, files: list[Path], options: str = "") -> Path:
    raw = folder / "raw" / "ga4"
    raw.mkdir(parents=True)
    for i, file in enumerate(files):
        shutil.copy(file, raw / f"events_{i}.ndjson")
    config = folder / "workbench.toml"
    config.write_text(README_CONFIG.format(name=name) + options, encoding="utf-8")
    return config


def build_projects(folder: Path, shapes: list[str]) -> dict[str, tuple[Path, tuple[str, ...]]]:
    """Write and prepare the projects named in ``shapes`` under ``folder``.

    Returns ``{shape: (config, notebooks to run)}``. Shapes: ``ga4_web`` and ``ga4_app``
    (real GA4 slices, no conversions), ``ga4_purchases`` (the sample's GA4 export alone,
    purchases only), ``no_spend``, ``no_segments``, ``empty_segment`` (a segment that
    matches nobody), ``enterprise_only`` (reports of the enterprise segment only).
    """
    from workbench.config import load_config
    from workbench.prepare import prepare, write_prepared
    from workbench.sample import generate_sample

    folder = Path(folder)
    sample = folder / "sample"
    if any(not s.startswith("ga4_") or s == "ga4_purchases" for s in shapes):
        generate_sample(sample, people=PEOPLE, seed=SEED)
    empty = f'\n[segments.nobody]\nlabel = "{HOSTILE}"\nfilter = "customer_type == \'none\'"\n'
    enterprise = '\n[segments.enterprise]\nlabel = "Enterprise"\nfilter = "customer_type == \'enterprise\'"\n'
    out: dict[str, tuple[Path, tuple[str, ...]]] = {}
    for shape in shapes:
        home = folder / shape
        home.mkdir(parents=True)
        notebooks = ALL_NOTEBOOKS
        if shape == "ga4_web":
            config = _ga4_project(home, "GA4 web", [GA4_REAL / "web_events.ndjson"])
        elif shape == "ga4_app":
            config = _ga4_project(home, "GA4 app", [GA4_REAL / "app_events.ndjson"])
        elif shape == "ga4_purchases":
            files = sorted((sample / "ga4").glob("*.ndjson"))
            options = '\n[sources.options]\nconversion_events = { purchase = "purchase" }\n'
            config = _ga4_project(home, "GA4 purchases", files, options)
        else:
            if shape == "no_spend":
                text = sample_config(sample, drop_sources=SPEND_SOURCES, reports="")
                notebooks = ("executive_summary", "attribution")
            elif shape == "no_segments":
                text = sample_config(sample, segments="", reports="")
                notebooks = ("executive_summary", "journey_map", "dropoffs", "attribution")
            elif shape == "empty_segment":
                reports = _schedule(SEGMENT_NOTEBOOKS, segment="nobody")
                reports += '\n[reports.executive_summary]\nfocus_segment = "nobody"\n'
                text = sample_config(sample, segments=empty, reports=reports)
                notebooks = ("executive_summary", *SEGMENT_NOTEBOOKS)
            elif shape == "enterprise_only":
                reports = _schedule(SEGMENT_NOTEBOOKS, segment="enterprise")
                text = sample_config(sample, segments=enterprise, reports=reports)
                notebooks = SEGMENT_NOTEBOOKS
            else:
                raise ValueError(f"unknown project shape {shape!r}")
            config = home / "workbench.toml"
            config.write_text(text, encoding="utf-8")
        write_prepared(prepare(load_config(config)), home / "processed")
        out[shape] = (config, notebooks)
    return out


#: Text that must never reach a report: Python errors, warnings and raw values.
FORBIDDEN = (
    re.compile(r"Traceback|Error\b|Warning\b|/tmp/|site-packages"),
    re.compile(r"(?<![\w-])(nan|NaN|inf|-inf|NaT|None)(?![\w-])"),
    re.compile(r"Empty DataFrame|dtype:|<Figure size|<Axes"),
    re.compile(r"(?<![\d.,])1 (journeys|days|conversions|sources|touches|people)\b"),
)


def visible_text(html: str) -> str:
    """The text a reader sees (no styles or scripts)."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html, "html.parser")
    for tag in soup(["style", "script"]):
        tag.decompose()
    return soup.get_text(" ")


def report_problems(run_dir: Path, notebooks: tuple[str, ...]) -> list[str]:
    """Everything wrong with the reports of one run (empty when all is well)."""
    problems = []
    for name in notebooks:
        found = sorted(run_dir.glob(f"{name}*.html"))
        if not found:
            problems.append(f"{name}: no report")
            continue
        for html_path in found:
            raw = html_path.read_text(encoding="utf-8")
            if "<script>alert(1)" in raw:
                problems.append(f"{html_path.name}: a segment label reached the HTML unescaped")
            text = visible_text(raw)
            text = text.split("executed notebook", 1)[-1]  # past the run header
            for pattern in FORBIDDEN:
                for match in pattern.finditer(text):
                    context = text[max(0, match.start() - 60) : match.end() + 60]
                    problems.append(f"{html_path.name}: {match.group(0)!r} in …{context!r}…")
            problems += figure_problems(html_path.with_suffix(".ipynb"))
    return problems


def figure_problems(ipynb: Path) -> list[str]:
    """Figure outputs not drawn by ``workbench.report.display.chart`` with data on every axes."""
    nb = json.loads(ipynb.read_text(encoding="utf-8"))
    out = []
    for i, cell in enumerate(nb["cells"]):
        for output in cell.get("outputs", []):
            if "image/png" not in output.get("data", {}):
                continue
            meta = output.get("metadata", {}).get("workbench", {})
            if not meta.get("axes") or meta.get("axes_with_data") != meta.get("axes"):
                out.append(f"{ipynb.name} cell {i}: a figure with empty axes ({meta})")
    return out


def render_problems(config: Path, notebooks: tuple[str, ...]) -> tuple[int, list[str]]:
    """Render ``notebooks`` of the project at ``config`` with ``workbench report``.

    Returns the command's exit code and :func:`report_problems` of the run.
    """
    from workbench.cli.main import main

    out = config.parent / "reports"
    args = ["report", "--config", str(config), "--out", str(out), "--run-id", "m", "--quiet"]
    args += [arg for name in notebooks for arg in ("--notebook", name)]
    code = main(args)
    return code, report_problems(out / "m", notebooks) if code == 0 else []
