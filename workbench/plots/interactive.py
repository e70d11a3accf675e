"""Interactive charts for the HTML reports: hover for numbers, a dropdown to switch views.

Drawn with `Bokeh <https://bokeh.org>`_. Why Bokeh: its JavaScript (``bokeh.min.js``
1.3 MB + ``bokeh-widgets.min.js`` 0.4 MB, inlined once per report) keeps a report
well under the 5 MB budget, while Plotly's single bundle is 4.8 MB by itself; hover
tooltips and dropdowns are built in (no hand-written chart code: only a few lines of
``CustomJS`` switch precomputed views); and tooltips insert data values as text, so a
campaign named ``<script>…`` is shown, never run.

Each chart is an :class:`InteractiveChart`: a ``<div>`` plus the chart's Bokeh
document as an inert ``<script type="application/json" class="wb-ichart-data">``
block (``<``, ``>`` and ``&`` escaped as JSON unicode escapes, so no value can close the
block). Nothing in it runs by itself: :func:`add_chart_runtime` (called by
:func:`workbench.report.html.notebook_to_html`) adds BokehJS and a fixed loader
once to a page that holds charts, so every report stays one offline file. The
static matplotlib figure stays in the report beside each chart, for print and
e-mail (print CSS hides the interactive one).

The flow chart precomputes every (anchor, steps) view and stores each view's links
as a ``ColumnDataSource`` named ``flow-links:<anchor>|<steps>`` with plain lists in
the columns of :func:`~workbench.analysis.flow.anchored_flow`, so a test can compare the
page with the analysis.
"""

from __future__ import annotations

import hashlib
import html
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from workbench.plots.colors import channel_color

__all__ = [
    "CHART_CLASS",
    "DATA_CLASS",
    "InteractiveChart",
    "add_chart_runtime",
    "interactive_credit",
    "interactive_flow",
    "interactive_funnel",
    "static_png",
]

#: Class of the ``<div>`` a chart is drawn into.
CHART_CLASS = "wb-ichart"
#: Class of the inert JSON block holding a chart's Bokeh document.
DATA_CLASS = "wb-ichart-data"
_LOADER = """(function () {
  function draw() {
    if (window.Bokeh) document.documentElement.classList.add('wb-js');
    var blocks = document.querySelectorAll('script.wb-ichart-data');
    for (var i = 0; i < blocks.length; i++) {
      var target = document.getElementById(blocks[i].getAttribute('data-target'));
      if (!target || !window.Bokeh) continue;
      target.textContent = '';
      Bokeh.embed.embed_item(JSON.parse(blocks[i].textContent), target);
    }
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', draw);
  else draw();
})();"""
_CSS = (
    ".wb-ichart { width: 100%; max-width: 1100px; margin: 6px 0 2px; display: none; }\n"
    ".wb-ichart-note { font-size: 12px; color: #666; display: none; }\n"
    ".wb-js .wb-ichart, .wb-js .wb-ichart-note { display: block; }\n"
    "@media screen { .wb-js .wb-ichart-static { display: none; } }\n"
    "@media print { .wb-ichart, .wb-ichart-note { display: none !important; }\n"
    "  .wb-ichart-static { display: block !important; } }\n"
)
_RIBBON_POINTS = 10


def _escape_json(obj: Any) -> str:
    text = json.dumps(obj, separators=(",", ":"), allow_nan=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


@dataclass
class InteractiveChart:
    """A Bokeh chart as report HTML (see the module docstring)."""

    item: dict[str, Any]
    note: str = ""

    def to_html(self) -> str:
        """``<div>`` + inert JSON block (+ an escaped note under the chart)."""
        data = _escape_json(self.item)
        target = f"wb-ichart-{hashlib.sha1(data.encode(), usedforsecurity=False).hexdigest()[:12]}"  # stable per chart
        note = f'<div class="wb-ichart-note">{html.escape(self.note)}</div>' if self.note else ""
        return (
            f'<div class="{CHART_CLASS}" id="{target}">(interactive chart: open the HTML '
            f"report in a browser)</div>{note}"
            f'<script type="application/json" class="{DATA_CLASS}" data-target="{target}">'
            f"{data}</script>"
        )

    def _repr_html_(self) -> str:
        return self.to_html()

    def show(self, static: Any = None) -> None:
        """Display in a notebook (the report adds the chart runtime).

        ``static`` (a matplotlib Figure or Axes) is embedded as a PNG beside the
        chart: shown in print and where scripts do not run (e-mail), hidden on a
        screen once the chart is drawn.
        """
        from IPython.display import HTML, display

        display(HTML(self.to_html() + (static_png(static) if static is not None else "")))


def static_png(figure_or_axes: Any, dpi: int = 100) -> str:
    """A matplotlib figure as an ``<img class="wb-ichart-static">`` with a ``data:`` PNG."""
    import base64

    from workbench.plots.render import figure_png

    data = base64.b64encode(figure_png(figure_or_axes, dpi=dpi)).decode("ascii")
    return f'<img class="wb-ichart-static" alt="static chart" src="data:image/png;base64,{data}">'


@cache
def _runtime() -> str:
    import bokeh

    js = Path(bokeh.__file__).parent / "server" / "static" / "js"
    parts = [
        (js / name).read_text(encoding="utf-8") for name in ("bokeh.min.js", "bokeh-widgets.min.js")
    ]
    for part in parts:
        if "</script" in part.lower():  # would end the inline script early
            raise RuntimeError("BokehJS holds '</script': it cannot be inlined")
    scripts = "".join(f"<script>{p}</script>" for p in parts)
    return f"<style>{_CSS}</style>{scripts}<script>{_LOADER}</script>"


def add_chart_runtime(page: str) -> str:
    """``page`` with BokehJS and the loader added once before ``</body>`` when it holds charts."""
    if f'class="{DATA_CLASS}"' not in page:
        return page
    cut = page.rfind("</body>")
    cut = len(page) if cut < 0 else cut
    return page[:cut] + _runtime() + page[cut:]


# --- the flow --------------------------------------------------------------------------


def _lists(frame: pd.DataFrame) -> dict[str, list[Any]]:
    out: dict[str, list[Any]] = {}
    for col in frame.columns:
        values = frame[col]
        if pd.api.types.is_float_dtype(values):
            out[col] = [round(float(v), 4) if np.isfinite(v) else 0.0 for v in values]
        elif pd.api.types.is_integer_dtype(values):
            out[col] = [int(v) for v in values]
        else:
            out[col] = [str(v) for v in values]
    return out


def _ribbons_xy(geo: pd.DataFrame) -> tuple[list[list[float]], list[list[float]]]:
    """Outline of every ribbon of ``geo`` (:func:`flow_geometry` links): xs and ys per link."""
    t = np.linspace(0.0, 1.0, _RIBBON_POINTS)
    ease = t * t * (3 - 2 * t)  # smoothstep: flat at both ends, like the static ribbons

    def col(name: str) -> np.ndarray:
        return geo[name].to_numpy(dtype=float)[:, None]

    x = col("x0") + (col("x1") - col("x0")) * t
    top = col("source_top") + (col("target_top") - col("source_top")) * ease
    bottom = col("source_bottom") + (col("target_bottom") - col("source_bottom")) * ease
    xs = np.concatenate([x, x[:, ::-1]], axis=1).round(3).tolist()
    ys = np.concatenate([top, bottom[:, ::-1]], axis=1).round(1).tolist()
    return xs, ys


def _node_values(links: pd.DataFrame) -> pd.Series:
    """Value per (step, node): the value leaving it (entering it, for the last column)."""
    src = links.groupby(["step", "source"], sort=False)["value"].sum()
    last = int(links["step"].max())
    tgt = links.loc[links["step"] == last].groupby("target", sort=False)["value"].sum()
    tgt.index = pd.MultiIndex.from_product([[last + 1], tgt.index])
    out = pd.concat([src, tgt])
    out.index.names = ["step", "node"]
    return out


def _flow_view(links: pd.DataFrame, headers: Sequence[str]) -> dict[str, Any]:
    # imported here: the report runner imports this module for add_chart_runtime only,
    # and the flow geometry pulls in matplotlib
    from workbench.plots.paths import flow_geometry

    nodes, geo = flow_geometry(links)
    total = int(nodes.loc[nodes["step"] == nodes["step"].min(), "journeys"].sum())
    values = _node_values(links).to_dict()
    nodes["value"] = [
        float(values.get((s, n), 0.0)) for s, n in zip(nodes["step"], nodes["node"], strict=True)
    ]
    nodes["share"] = nodes["journeys"] / total if total else 0.0
    nodes["rate"] = np.where(
        nodes["journeys"] > 0, nodes["conversions"] / nodes["journeys"].clip(lower=1), 0.0
    )
    nodes["color"] = [channel_color(n) for n in nodes["node"]]
    nodes["column"] = [headers[min(s - 1, len(headers) - 1)] for s in nodes["step"]]
    xs, ys = _ribbons_xy(geo)
    link_data = _lists(geo[["step", "source", "target", "journeys", "conversions", "value"]])
    link_data |= {
        "xs": xs,
        "ys": ys,
        "color": [channel_color(s) for s in geo["source"]],
        "rate": [
            round(c / j, 4) if j else 0.0
            for c, j in zip(geo["conversions"], geo["journeys"], strict=True)
        ],
    }
    shown = nodes["journeys"] >= 0.02 * max(total, 1)
    label_data = {
        "x": [float(x) + 0.03 for x in nodes.loc[shown, "x1"]],
        "y": [
            float(b + t) / 2
            for b, t in zip(nodes.loc[shown, "bottom"], nodes.loc[shown, "top"], strict=True)
        ],
        "text": [
            f"{n} ({j / max(total, 1):.0%})"
            for n, j in zip(nodes.loc[shown, "node"], nodes.loc[shown, "journeys"], strict=True)
        ],
    }
    steps = sorted(nodes["step"].unique())
    top = float(nodes["top"].max()) if len(nodes) else 1.0
    head = {
        "x": [float(s) for s in steps],
        "y": [top + 0.04 * max(top, 1)] * len(steps),
        "text": [headers[min(s - 1, len(headers) - 1)] for s in steps],
    }
    node_data = _lists(
        nodes[
            [
                "step",
                "node",
                "journeys",
                "conversions",
                "value",
                "share",
                "rate",
                "column",
                "color",
                "x0",
                "x1",
                "bottom",
                "top",
            ]
        ]
    )
    return {
        "links": link_data,
        "nodes": node_data,
        "labels": label_data,
        "heads": head,
        "x": [0.6, float(max(steps, default=1)) + 0.95],
        "y": [-0.02 * max(top, 1), top * 1.1 + 1],
        "total": total,
    }


def _headers(links: pd.DataFrame) -> list[str]:
    n = int(links["step"].max()) + 1 if len(links) else 1
    direction = (
        str(links["direction"].iloc[0]) if "direction" in links and len(links) else "forward"
    )
    anchor = str(links["anchor"].iloc[0]) if "anchor" in links and len(links) else ""
    if direction == "backward":
        return [f"{n - k} before" for k in range(1, n)] + [
            "Conversion" if anchor == "conversion" else "Anchor"
        ]
    heads = [f"Touch {k}" for k in range(1, n)] + ["Outcome"]
    if anchor and anchor != "journey start":
        heads = ["Anchor"] + [f"{k} after" for k in range(1, n - 1)] + ["Outcome"]
    return heads


def interactive_flow(
    views: Mapping[tuple[str, int], pd.DataFrame],
    *,
    title: str = "How journeys flow",
    currency: str = "",
    height: int = 520,
) -> InteractiveChart:
    """A flow chart with hover and dropdowns choosing the anchor and the number of steps.

    Parameters
    ----------
    views
        ``{(anchor label, steps): links}``; links from
        :func:`~workbench.analysis.flow.anchored_flow` (or
        :func:`~workbench.analysis.paths.flow`). Empty views are left out; the
        first view is shown first.
    title
        Shown above the chart; the view's anchor is added.
    currency
        Unit of the value in the tooltips.
    """
    from bokeh.embed import json_item
    from bokeh.layouts import column, row
    from bokeh.models import ColumnDataSource, CustomJS, HoverTool, LabelSet, Range1d, Select
    from bokeh.plotting import figure

    views = {k: v for k, v in views.items() if len(v)}
    if not views:
        raise ValueError("no flow to draw: every view is empty")
    built = {f"{a}|{s}": _flow_view(v, _headers(v)) for (a, s), v in views.items()}
    first_key = next(iter(built))
    first = built[first_key]
    shown = {
        part: ColumnDataSource(dict(first[part])) for part in ("links", "nodes", "labels", "heads")
    }
    p = figure(
        height=height,
        sizing_mode="stretch_width",
        x_range=Range1d(*first["x"]),
        y_range=Range1d(*first["y"]),
        toolbar_location=None,
        tools="",
        title=f"{title}: {first_key.split('|')[0]}, {first['total']:,} journeys",
        name="flow-plot",
    )
    p.axis.visible = False
    p.grid.visible = False
    p.outline_line_color = None
    links = p.patches(
        "xs",
        "ys",
        source=shown["links"],
        fill_color="color",
        fill_alpha=0.35,
        line_alpha=0,
        hover_fill_alpha=0.7,
        name="flow-links",
    )
    nodes = p.quad(
        left="x0",
        right="x1",
        bottom="bottom",
        top="top",
        source=shown["nodes"],
        fill_color="color",
        line_color="white",
        hover_line_color="black",
        name="flow-nodes",
    )
    p.add_layout(
        LabelSet(
            x="x",
            y="y",
            text="text",
            source=shown["labels"],
            text_font_size="10px",
            text_baseline="middle",
        )
    )
    p.add_layout(
        LabelSet(
            x="x",
            y="y",
            text="text",
            source=shown["heads"],
            text_font_size="11px",
            text_align="center",
            text_font_style="bold",
        )
    )
    money = f" ({currency})" if currency else ""
    p.add_tools(
        HoverTool(
            renderers=[links],
            tooltips=[
                ("From", "@source"),
                ("To", "@target"),
                ("Journeys", "@journeys{0,0}"),
                ("Conversions", "@conversions{0,0} (@rate{0.0%})"),
                (f"Value{money}", "@value{0,0}"),
            ],
        ),
        HoverTool(
            renderers=[nodes],
            tooltips=[
                ("Touch", "@node"),
                ("Column", "@column"),
                ("Journeys", "@journeys{0,0} (@share{0.0%})"),
                ("Conversions", "@conversions{0,0} (@rate{0.0%})"),
                (f"Value{money}", "@value{0,0}"),
            ],
        ),
    )
    stores: dict[str, Any] = {}
    for key, view in built.items():
        stores[key] = {
            "links": ColumnDataSource(view["links"], name=f"flow-links:{key}"),
            "nodes": ColumnDataSource(view["nodes"], name=f"flow-nodes:{key}"),
            "labels": ColumnDataSource(view["labels"]),
            "heads": ColumnDataSource(view["heads"]),
            "x": view["x"],
            "y": view["y"],
            "title": f"{title}: {key.split('|')[0]}, {view['total']:,} journeys",
        }
    anchors = list(dict.fromkeys(a for a, _ in views))
    steps = sorted({s for _, s in views})
    anchor = Select(
        title="Anchor", value=anchors[0], options=anchors, name="flow-anchor", width=230
    )
    nsteps = Select(
        title="Steps",
        value=str(next(iter(views))[1]),
        options=[str(s) for s in steps],
        name="flow-steps",
        width=90,
    )
    switch = CustomJS(
        args={"views": stores, "shown": shown, "plot": p, "anchor": anchor, "steps": nsteps},
        code="""
const v = views[anchor.value + '|' + steps.value];
if (!v) { plot.title.text = 'No journey for this choice'; return; }
for (const part of ['links', 'nodes', 'labels', 'heads']) shown[part].data = v[part].data;
plot.x_range.start = v.x[0]; plot.x_range.end = v.x[1];
plot.y_range.start = v.y[0]; plot.y_range.end = v.y[1];
plot.title.text = v.title;
""",
    )
    anchor.js_on_change("value", switch)
    nsteps.js_on_change("value", switch)
    layout = column(row(anchor, nsteps), p, sizing_mode="stretch_width")
    return InteractiveChart(
        json_item(layout),
        note="Hover a touch or a link for journeys, conversions and value; choose the anchor and the number of steps above the chart.",
    )


# --- bars and dots -------------------------------------------------------------------------


def interactive_funnel(
    funnel: pd.DataFrame, *, segment: str, title: str = "Stage funnel", height: int = 380
) -> InteractiveChart:
    """Funnel bars with hover: journeys reaching each stage, share kept, drop-off to the next.

    ``funnel`` from :func:`~workbench.analysis.funnels.stage_funnel`, optionally with the
    ``*_change`` columns of :func:`~workbench.analysis.comparisons.funnel_with_comparison`.
    """
    from bokeh.embed import json_item
    from bokeh.models import ColumnDataSource, HoverTool
    from bokeh.plotting import figure

    data = funnel.loc[funnel["segment"] == segment].sort_values("step")
    stages = [str(s).capitalize() for s in data["stage"]]
    cols = {
        "stage": stages,
        "entrants": [int(v) for v in data["entrants"]],
        "share": [float(v) if pd.notna(v) else 0.0 for v in data["share_of_first_step"]],
        "dropped": [int(v) if pd.notna(v) else 0 for v in data["dropped"]],
        "drop": [float(v) if pd.notna(v) else 0.0 for v in data["drop_off_rate"]],
    }
    tips = [
        ("Stage", "@stage"),
        ("Journeys", "@entrants{0,0} (@share{0%} of step 1)"),
        ("Lost before the next stage", "@dropped{0,0} (@drop{0%})"),
    ]
    if "entrants_change" in data:
        cols["before"] = [int(v) if pd.notna(v) else 0 for v in data["entrants_compare"]]
        cols["change"] = [float(v) if pd.notna(v) else 0.0 for v in data["entrants_change"]]
        tips.append(("Comparison period", "@before{0,0} (@change{+0%})"))
    source = ColumnDataSource(cols, name="funnel-bars")
    p = figure(
        x_range=stages,
        height=height,
        sizing_mode="stretch_width",
        title=title,
        toolbar_location=None,
        tools="",
    )
    bars = p.vbar(
        x="stage", top="entrants", width=0.6, source=source, color="#3182bd", hover_color="#08519c"
    )
    p.add_tools(HoverTool(renderers=[bars], tooltips=tips))
    p.y_range.start = 0
    p.yaxis.axis_label = "Journeys reaching the stage"
    p.xgrid.visible = False
    return InteractiveChart(
        json_item(p), note="Hover a bar for journeys, share of step 1 and the drop-off."
    )


def interactive_credit(
    credits: pd.DataFrame,
    *,
    models: Sequence[str] | None = None,
    labels: Mapping[str, str] | None = None,
    title: str = "Share of conversions credited, by model",
    height: int | None = None,
) -> InteractiveChart:
    """Dots of each channel's credit share under each model, with hover.

    ``credits`` from :func:`~workbench.attribution.run_models` (``model, channel,
    conversions, value``); ``labels`` maps model names to readable ones.
    """
    from bokeh.embed import json_item
    from bokeh.models import ColumnDataSource, HoverTool, Legend, LegendItem, NumeralTickFormatter
    from bokeh.palettes import Category10_10
    from bokeh.plotting import figure

    order = list(models) if models else list(dict.fromkeys(credits["model"]))
    data = credits.loc[credits["model"].isin(order)].copy()
    totals = data.groupby("model")["conversions"].transform("sum")
    data["share"] = (data["conversions"] / totals.where(totals > 0)).fillna(0.0)
    rank = data.groupby("channel")["share"].mean().sort_values(ascending=True, kind="stable")
    channels = [str(c) for c in rank.index]
    p = figure(
        y_range=channels,
        height=height or 28 * len(channels) + 120,
        sizing_mode="stretch_width",
        title=title,
        toolbar_location=None,
        tools="",
    )
    items, renderers = [], []
    markers = (
        "circle",
        "square",
        "triangle",
        "diamond",
        "inverted_triangle",
        "hex",
        "star",
        "plus",
    )
    for i, model in enumerate(order):
        part = data.loc[data["model"] == model]
        name = (labels or {}).get(model, model)
        src = ColumnDataSource(
            {
                "channel": [str(c) for c in part["channel"]],
                "model": [str(name)] * len(part),
                "share": [float(v) for v in part["share"]],
                "conversions": [float(v) for v in part["conversions"]],
                "value": [float(v) for v in part["value"]],
            },
            name=f"credit:{model}",
        )
        r = p.scatter(
            "share",
            "channel",
            source=src,
            size=10,
            marker=markers[i % len(markers)],
            color=Category10_10[i % 10],
            alpha=0.85,
        )
        renderers.append(r)
        items.append(LegendItem(label=str(name), renderers=[r]))
    p.add_tools(
        HoverTool(
            renderers=renderers,
            tooltips=[
                ("Channel", "@channel"),
                ("Model", "@model"),
                ("Share", "@share{0.0%}"),
                ("Conversions", "@conversions{0,0.0}"),
                ("Value", "@value{0,0}"),
            ],
        )
    )
    p.add_layout(Legend(items=items, location="center", click_policy="hide"), "right")
    p.xaxis.axis_label = "Share of conversions credited"
    p.xaxis.formatter = NumeralTickFormatter(format="0%")
    return InteractiveChart(
        json_item(p),
        note="Hover a dot for the model's credit; click a model in the legend to hide it.",
    )
