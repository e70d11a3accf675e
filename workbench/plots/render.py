"""A figure as PNG bytes, drawn once.

``Figure.savefig(..., bbox_inches="tight")`` (what Jupyter's inline backend does
for every displayed figure) draws a figure twice: once without output to run
the layout engine and measure the tight bounding box, once to render. The
plot functions make constrained-layout figures (:func:`~workbench.plots._helpers.axes_or_new`),
whose layout runs at the start of every draw, so one draw is enough:
:func:`figure_png` renders the figure once with Agg and trims the blank margin
from the rendered pixels (every row and column that holds only the colour of
the figure's background), then pads it by ``savefig.pad_inches`` as ``"tight"``
does. The figure's artists, layout and resolution are those ``savefig`` gives;
only the margin may differ by a pixel or two, because ``"tight"`` measures the
artists' boxes where this measures their ink.

When ink reaches the edge of the canvas (a label running past the layout's
margin), the tight bounding box is measured on that draw and the figure is
saved into it by ``savefig`` with the layout of that draw (one draw more than
``"tight"`` alone: a rare case). A figure without a layout engine is saved the
classic way.
"""

from __future__ import annotations

import io
from typing import Any

import numpy as np

__all__ = ["PNG_COMPRESS_LEVEL", "figure_png"]

#: zlib level of the PNGs: 3 is as fast as 1 and within ~1% of the size of the default 6.
PNG_COMPRESS_LEVEL = 3


def figure_png(
    fig: Any,
    *,
    dpi: float | None = None,
    pad_inches: float | None = None,
    compress_level: int = PNG_COMPRESS_LEVEL,
) -> bytes:
    """``fig`` (a Figure, or anything with a ``.figure``) as PNG bytes, its blank margin trimmed.

    Parameters
    ----------
    fig
        The figure to render.
    dpi
        Resolution; the figure's own ``dpi`` when None (as Jupyter's inline backend).
    pad_inches
        Blank margin kept around the drawing; ``savefig.pad_inches`` when None.
    compress_level
        zlib level of the PNG (0-9).

    Returns
    -------
    bytes
        The PNG file.
    """
    import matplotlib as mpl
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    fig = getattr(fig, "figure", fig)
    dpi = float(fig.dpi if dpi is None else dpi)
    pad = float(mpl.rcParams["savefig.pad_inches"] if pad_inches is None else pad_inches)
    engine = fig.get_layout_engine()
    if engine is None:
        return _savefig(fig, dpi, "tight", pad, compress_level)
    old_canvas, old_dpi = fig.canvas, fig.dpi
    canvas = FigureCanvasAgg(fig)  # attaches itself; the old canvas comes back below
    try:
        if dpi != old_dpi:
            fig.dpi = dpi
        canvas.draw()  # runs the layout engine, then renders
        cropped = _trim(np.asarray(canvas.buffer_rgba()), round(pad * dpi))
        if cropped is None:  # ink on the edge: measure what lies outside the canvas
            bbox = fig.get_tightbbox(canvas.get_renderer()).padded(pad)
    finally:
        if fig.dpi != old_dpi:
            fig.dpi = old_dpi
        fig.set_canvas(old_canvas)
    if cropped is not None:
        return _encode(cropped, compress_level)
    fig.set_layout_engine("none")  # keep the layout of the draw above
    try:
        return _savefig(fig, dpi, bbox, pad, compress_level)
    finally:
        fig.set_layout_engine(engine)


def _trim(pixels: np.ndarray, pad: int) -> np.ndarray | None:
    """``pixels`` cut to their ink plus ``pad`` pixels of background; None when ink is on the edge.

    The background is the colour of the top-left pixel (exactly); with a transparent
    figure, ink is whatever is not fully transparent.
    """
    if pixels[0, 0, 3] == 0:
        ink = pixels[..., 3] != 0
    else:
        packed = np.ascontiguousarray(pixels).view(np.uint32)[..., 0]
        ink = packed != packed[0, 0]
    rows, cols = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
    if not len(rows):
        return pixels.copy()
    height, width = ink.shape
    top, bottom, left, right = rows[0], rows[-1] + 1, cols[0], cols[-1] + 1
    if top == 0 or left == 0 or bottom == height or right == width:
        return None
    out = np.empty((bottom - top + 2 * pad, right - left + 2 * pad, 4), dtype=np.uint8)
    out[...] = pixels[0, 0]
    out[pad : pad + bottom - top, pad : pad + right - left] = pixels[top:bottom, left:right]
    return out


def _encode(pixels: np.ndarray, compress_level: int) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(pixels).save(buf, format="png", compress_level=compress_level)
    return buf.getvalue()


def _savefig(fig: Any, dpi: float, bbox: Any, pad: float, compress_level: int) -> bytes:
    buf = io.BytesIO()
    fig.savefig(
        buf,
        format="png",
        dpi=dpi,
        bbox_inches=bbox,
        pad_inches=pad,
        facecolor=fig.get_facecolor(),
        edgecolor=fig.get_edgecolor(),
        pil_kwargs={"compress_level": compress_level},
    )
    return buf.getvalue()
