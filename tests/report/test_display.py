"""Display helpers: readable numbers, escaped sentences and tables, figures with data only."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from workbench.report.display import (
    bullets,
    chart,
    fmt_count,
    fmt_days,
    fmt_money,
    fmt_pct,
    fmt_ratio,
    label,
    metric_table,
    missing,
    plural,
    say,
    table,
)


@pytest.mark.parametrize("value", [np.nan, float("inf"), -np.inf, None, pd.NA, pd.NaT, "x"])
def test_missing_or_infinite_values_read_as_a_dash(value):
    assert {fmt_count(value), fmt_pct(value), fmt_ratio(value), fmt_days(value)} == {"–"}
    assert fmt_money(value, "USD") == "–"


def test_counts_rates_ratios_days_and_money():
    assert fmt_count(2998.0) == "2,998"
    assert fmt_count(np.int64(12)) == "12"
    assert fmt_pct(0.0834) == "8.3%"
    assert fmt_ratio(2.04) == "2.0×"
    assert fmt_days(1) == "1 day"
    assert fmt_days(3.5) == "3.5 days"
    assert fmt_days(0) == "0 days"
    assert fmt_money(1234.4, "USD") == "1,234 USD"


def test_plural_agrees_with_its_number():
    assert plural(1, "journey") == "1 journey"
    assert plural(1.0, "day") == "1 day"
    assert plural(0, "conversion") == "0 conversions"
    assert plural(2998, "journey") == "2,998 journeys"
    assert plural(1, "person", "people") == "1 person"
    assert plural(3, "person", "people") == "3 people"


def test_labels_are_readable():
    assert label("conversion_rate") == "conversion rate"
    assert label("median_days_from_previous") == "median days from previous stage"
    assert label("some_new_column") == "some new column"
    assert label("markov:1") == "markov:1"


def test_say_escapes_values_but_keeps_the_templates_markup():
    out = say(
        "**{who}** has {n} in `{where}`", who="<script>x</script>", n=1234, where="a&b", show=False
    )
    html = out.data
    assert "<strong>&lt;script&gt;x&lt;/script&gt;</strong>" in html
    assert "1,234" in html and "<code>a&amp;b</code>" in html
    assert "<script>" not in html


def test_missing_is_one_sentence():
    html = missing("No spend was read", "Add a spend export", show=False).data
    assert html.count(".") == 1 and "No spend was read; add a spend export." in html


def test_bullets_escape_each_item_and_show_nothing_when_empty():
    assert bullets([], show=False) is None
    html = bullets(["a <b>", "c"], show=False).data
    assert html.count("<li>") == 2 and "a &lt;b&gt;" in html


def test_table_formats_counts_rates_and_labels_and_escapes_cells():
    frame = pd.DataFrame(
        {
            "path": ["<img src=x onerror=alert(1)>", "Direct"],
            "journeys": [2998.0, 1.0],
            "conversion_rate": [0.08, np.nan],
            "lift": [np.inf, 1.5],
        }
    )
    html = table(frame, show=False).to_html()
    assert "&lt;img src=x onerror=alert(1)&gt;" in html and "<img" not in html
    assert "2,998" in html and "2,998.00" not in html
    assert "8.0%" in html and "nan" not in html and "inf" not in html
    assert "conversion rate" in html and "conversion_rate" not in html
    assert "1.5×" in html


def test_empty_table_is_a_sentence_or_nothing():
    assert table(pd.DataFrame({"a": []}), show=False) is None
    assert "No row" in table(pd.DataFrame({"a": []}), empty="No row", show=False).data


def test_metric_table_formats_each_metric_by_its_name():
    long = pd.DataFrame(
        {
            "segment": ["All journeys"] * 4,
            "metric": ["journeys", "conversion_rate", "value", "median_duration_days"],
            "value": [2998.0, 0.0834, 1200.0, 1.0],
        }
    )
    html = metric_table(long, currency="USD", show=False).to_html()
    for text in (
        "2,998",
        "8.3%",
        "1,200 USD",
        "1 day",
        "conversion rate",
        "median days to convert",
    ):
        assert text in html
    assert "2,998.00" not in html


def test_chart_drops_empty_axes_and_replaces_an_empty_figure_by_a_sentence():
    fig = Figure()
    a, b = fig.subplots(1, 2)
    a.bar([0, 1], [3, 4])
    b.set_title("nothing here")
    shown = chart(fig, show=False)
    assert shown is fig and fig.axes == [a]
    empty = Figure().subplots()
    empty.barh([], [])
    sentence = chart(empty, empty="No webinar in these journeys.", show=False)
    assert "No webinar in these journeys." in sentence.data
    assert chart(Figure().subplots(), show=False) is None


def test_a_shown_chart_is_one_png_with_the_axes_counts(monkeypatch):
    import base64
    import io

    import IPython.display
    from PIL import Image

    shown = []
    monkeypatch.setattr(
        IPython.display, "display", lambda obj, metadata: shown.append((obj, metadata))
    )
    fig = Figure(figsize=(4, 3), layout="constrained")
    fig.subplots().bar(["a", "b"], [3, 1])
    assert chart(fig) is None
    [(obj, metadata)] = shown
    assert metadata == {"workbench": {"axes": 1, "axes_with_data": 1}}
    bundle = obj._repr_mimebundle_()
    assert bundle["text/plain"] == repr(fig) == repr(obj)
    png = Image.open(io.BytesIO(base64.b64decode(bundle["image/png"])))
    assert png.format == "PNG" and 380 < png.size[0] < 430  # the 4-inch figure at 100 dpi


def test_a_chart_of_flat_bars_is_empty():
    ax = Figure().subplots()
    ax.bar(["a", "b"], [0, 0])
    assert chart(ax, empty="Nothing converted.", show=False).data.count("Nothing converted.") == 1
    ax = Figure().subplots()
    ax.bar(["a", "b"], [0, 2])
    assert chart(ax, show=False) is ax.figure


def test_say_renders_italic_from_the_template_only():
    html = say("level *{level}*", level="*x*", show=False).data
    assert "<em>*x*</em>" in html
