"""The pieces every chart shares: the palette, labels, error bars and hover titles.

A mark (bar, point, heatmap cell) gets a hover title with :func:`hover` (value, interval
and n in the report's language) through :func:`cxresearch.reporting.svg.mark`.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

import pandas as pd

from cxresearch.reporting import i18n, svg

if TYPE_CHECKING:  # matplotlib is imported by the functions that draw with it
    from matplotlib.axes import Axes


def label(code) -> str:
    """A coded value's display label in the report's language."""
    return i18n.current().label(code)


#: Colours of the three NPS groups, used by every chart.
PALETTE: dict[str, str] = {"promoters": "#0072B2", "passives": "#999999", "detractors": "#D55E00"}
ACCENT = "#0072B2"


def axes(ax: Axes | None, figsize: tuple[float, float] | None = None) -> Axes:
    """``ax``, or the axes of a new figure (``figsize``) when ``None``; the theme set first.

    The theme :func:`cxresearch.reporting.plots.set_theme` asked for before matplotlib was
    imported is applied here, by the first matplotlib chart.
    """
    import matplotlib.pyplot as plt

    from cxresearch.reporting import seabornstyle

    seabornstyle.apply_pending()
    if ax is None:
        _, ax = plt.subplots(figsize=figsize)
    return ax


def hover(name: str, row: Mapping[str, Any], **fmt) -> str:
    """``name: value (95% CI low to high; n = n)`` in the report's language."""
    row = {"n": None, **dict(row)}
    text = i18n.current().estimate(row, **fmt)
    return f"{name}: {text}" if name else text


def points(ax: Axes, xs: Iterable, ys: Iterable, titles: Iterable[str], **style) -> None:
    """One marker per point, each with its hover title."""
    style = {"marker": "o", "ms": 6, "ls": "none", "zorder": 3, **style}
    for x, y, title in zip(xs, ys, titles, strict=True):
        svg.mark(ax.plot([x], [y], **style)[0], title)


def wrap(text: str, width: int = 16) -> str:
    """``text`` wrapped into lines of at most ``width`` characters (words kept whole)."""
    return "\n".join(textwrap.wrap(str(text), width, break_long_words=False)) or str(text)


def yerr(table: pd.DataFrame, scale: float) -> list:
    """Error bar lengths below and above each estimate, from ``ci_low`` and ``ci_high``."""
    low = (table["estimate"] - table["ci_low"]).clip(lower=0) * scale
    high = (table["ci_high"] - table["estimate"]).clip(lower=0) * scale
    return [low, high]
