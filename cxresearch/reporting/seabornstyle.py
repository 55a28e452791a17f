"""Seaborn's ``whitegrid`` theme in the ``notebook`` context, applied without importing seaborn.

``import seaborn`` imports ``scipy.stats`` (for its kernel density estimates): about 1.2 s
of CPU that every report's kernel would pay only to set matplotlib's ``rcParams`` and to
read a palette. This module holds what ``seaborn.set_theme(style="whitegrid",
context="notebook")`` sets (seaborn 0.13: its ``axes_style``, ``plotting_context``,
``deep`` colour cycle and colour codes) and its ``colorblind`` palette.
``tests/test_seabornstyle.py`` compares every value with seaborn's own, so a seaborn
release that changes its theme fails the test instead of drifting silently.

Left out: ``image.cmap = "rocket"``, a colour map that exists only once seaborn is
imported; no cxresearch chart uses the default colour map.

Nothing here imports matplotlib until a theme is set: :func:`request_theme` sets it at
once when matplotlib is imported already, else keeps it for :func:`apply_pending`, which
the first matplotlib chart calls; a report whose charts are all drawn as SVG directly
(:mod:`cxresearch.reporting.trendsvg`) never imports matplotlib.
"""

from __future__ import annotations

import sys
from typing import Any

#: Seaborn's ``deep`` palette: the colour cycle and the colour codes of its theme.
DEEP = ("#4c72b0", "#dd8452", "#55a868", "#c44e52", "#8172b3", "#937860", "#da8bc3",
        "#8c8c8c", "#ccb974", "#64b5cd")  # fmt: skip

#: Seaborn's ``colorblind`` palette.
COLORBLIND = ("#0173b2", "#de8f05", "#029e73", "#d55e00", "#cc78bc", "#ca9161", "#fbafe4",
              "#949494", "#ece133", "#56b4e9")  # fmt: skip

#: The ``rcParams`` seaborn's ``whitegrid`` style and ``notebook`` context set.
RC: dict[str, Any] = {
    "axes.axisbelow": True, "axes.edgecolor": ".8", "axes.facecolor": "white",
    "axes.grid": True, "axes.labelcolor": ".15", "axes.labelsize": 12.0,
    "axes.linewidth": 1.25, "axes.spines.bottom": True, "axes.spines.left": True,
    "axes.spines.right": True, "axes.spines.top": True, "axes.titlesize": 12.0,
    "figure.facecolor": "white", "font.family": ["sans-serif"],
    "font.sans-serif": ["Arial", "DejaVu Sans", "Liberation Sans", "Bitstream Vera Sans",
                        "sans-serif"],
    "font.size": 12.0, "grid.color": ".8", "grid.linestyle": "-", "grid.linewidth": 1.0,
    "legend.fontsize": 11.0, "legend.title_fontsize": 12.0, "lines.linewidth": 1.5,
    "lines.markersize": 6.0, "lines.solid_capstyle": "round", "patch.edgecolor": "w",
    "patch.force_edgecolor": True, "patch.linewidth": 1.0, "text.color": ".15",
    "xtick.bottom": False, "xtick.color": ".15", "xtick.direction": "out",
    "xtick.labelsize": 11.0, "xtick.major.size": 6.0,
    "xtick.major.width": 1.25, "xtick.minor.size": 4.0, "xtick.minor.width": 1.0,
    "xtick.top": False, "ytick.color": ".15", "ytick.direction": "out",
    "ytick.labelsize": 11.0, "ytick.left": False, "ytick.major.size": 6.0,
    "ytick.major.width": 1.25, "ytick.minor.size": 4.0, "ytick.minor.width": 1.0,
    "ytick.right": False,
}  # fmt: skip

#: Seaborn's colour codes for the ``deep`` palette (``"b"`` is its first colour, ...).
CODES = {"b": DEEP[0], "g": DEEP[2], "r": DEEP[3], "m": DEEP[4], "y": DEEP[8], "c": DEEP[9],
         "k": (0.1, 0.1, 0.1)}  # fmt: skip


#: The theme asked for before matplotlib was imported: ``[rc]``, applied by the first chart.
_PENDING: list[dict[str, Any] | None] = []


def set_theme(rc: dict[str, Any] | None = None) -> None:
    """Set what ``seaborn.set_theme(style="whitegrid", context="notebook", rc=rc)`` sets."""
    import matplotlib as mpl
    from cycler import cycler
    from matplotlib import colors

    _PENDING.clear()
    mpl.rcParams.update(RC)
    mpl.rcParams["axes.prop_cycle"] = cycler("color", [colors.to_rgb(c) for c in DEEP])
    for code, colour in CODES.items():
        rgb = colors.to_rgb(colour)
        colors.colorConverter.colors[code] = rgb
        colors.colorConverter.cache[code] = rgb
    if rc:
        mpl.rcParams.update(rc)


def request_theme(rc: dict[str, Any] | None = None) -> None:
    """:func:`set_theme` now if matplotlib is imported, else by :func:`apply_pending`."""
    if "matplotlib" in sys.modules:
        set_theme(rc)
    else:
        _PENDING[:] = [rc]


def apply_pending() -> None:
    """Set the theme :func:`request_theme` kept, if any (before drawing with matplotlib)."""
    if _PENDING:
        set_theme(_PENDING[-1])


def _rgb(colour: str) -> tuple[float, float, float]:
    """``#rrggbb`` as matplotlib's RGB floats (``matplotlib.colors.to_rgb``)."""
    return tuple(int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5))  # type: ignore[return-value]


def colorblind(n_colors: int) -> list[tuple[float, float, float]]:
    """``seaborn.color_palette("colorblind", n_colors)``: RGB tuples, cycling after ten."""
    return [_rgb(COLORBLIND[i % len(COLORBLIND)]) for i in range(n_colors)]
