"""Plots: one function per figure, each drawing on a given matplotlib Axes.

Channel colours are the same in every figure: :mod:`workbench.plots.colors`
(``channel_color`` / ``channel_palette``). Journey analysis figures live in
:mod:`~workbench.plots.journeys`, :mod:`~workbench.plots.paths` (incl. the
flow figure), :mod:`~workbench.plots.funnels` and :mod:`~workbench.plots.windows`.
"""
