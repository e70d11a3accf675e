"""Figures rendered once: the same extent as ``bbox_inches="tight"``, one draw instead of two."""

from __future__ import annotations

import io

import numpy as np
from matplotlib.figure import Figure
from PIL import Image

from workbench.plots.render import figure_png


def _figure(layout: str | None = "constrained") -> Figure:
    fig = Figure(figsize=(4, 3), layout=layout)
    ax = fig.add_subplot()
    ax.bar(["a", "b"], [3, 1])
    ax.set_title("title")
    ax.set_xlabel("channel")
    return fig


def _size(png: bytes) -> tuple[int, int]:
    return Image.open(io.BytesIO(png)).size


def _tight(fig: Figure) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=fig.dpi, bbox_inches="tight")
    return buf.getvalue()


def _draws(fig: Figure) -> list[int]:
    seen: list[int] = []
    fig.canvas.mpl_connect("draw_event", lambda event: seen.append(1))
    return seen


def test_a_constrained_figure_is_drawn_once_and_trimmed_like_tight():
    fig = _figure()
    draws = _draws(fig)
    png = figure_png(fig)
    assert len(draws) == 1
    width, height = _size(png)
    tight_w, tight_h = _size(_tight(_figure()))
    assert abs(width - tight_w) <= 6 and abs(height - tight_h) <= 6


def test_the_trimmed_image_keeps_a_blank_margin_of_pad_inches():
    pixels = np.asarray(Image.open(io.BytesIO(figure_png(_figure(), pad_inches=0.1))))
    white = (pixels[..., :3] == 255).all(axis=2)
    assert white[:10].all() and white[-10:].all()
    assert white[:, :10].all() and white[:, -10:].all()
    assert not white[10:-10, 10:-10].all()


def test_a_label_running_off_the_canvas_is_kept_as_tight_keeps_it():
    def overflowing() -> Figure:
        fig = _figure()
        fig.text(0.9, 0.5, "a note that runs well past the right edge")  # outside any layout
        return fig

    fig = overflowing()
    draws = _draws(fig)
    width, _ = _size(figure_png(fig))
    assert width > 400  # wider than the canvas: the whole note is in the image
    assert abs(width - _size(_tight(overflowing()))[0]) <= 6
    assert len(draws) == 3  # a rare case: one draw more than savefig makes


def test_a_figure_without_layout_engine_is_saved_tight():
    fig = _figure(layout=None)
    assert _size(figure_png(fig)) == _size(_tight(_figure(layout=None)))


def test_the_figure_keeps_its_canvas_dpi_and_layout():
    fig = _figure()
    canvas, engine = fig.canvas, fig.get_layout_engine()
    width, _ = _size(figure_png(fig, dpi=50))
    assert fig.canvas is canvas and fig.dpi == 100 and fig.get_layout_engine() is engine
    assert width < 220  # drawn at 50 dpi: about half the 100-dpi width
    fig.text(0.9, 0.5, "a note that runs well past the right edge")
    figure_png(fig)  # the overflowing path switches the layout engine off while it draws
    assert fig.get_layout_engine() is engine


def test_an_axes_argument_renders_its_figure():
    fig = _figure()
    assert _size(figure_png(fig.axes[0])) == _size(figure_png(fig))
