"""Charts of comment themes: shares per NPS group, and themes by group as a heatmap."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from cxresearch import config
from cxresearch.reporting import i18n, svg
from cxresearch.reporting.i18n import tr
from cxresearch.reporting.marks import PALETTE, axes, hover, label, wrap, yerr

if TYPE_CHECKING:  # matplotlib is imported by the functions that draw with it
    from matplotlib.axes import Axes


def plot_theme_shares(frequencies: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """Share of comments per theme for detractors, passives and promoters, with intervals.

    Horizontal bars, one group of bars per theme (labels wrapped); an NPS group without
    comments gets neither bars nor a legend entry.

    Parameters
    ----------
    frequencies
        Output of :func:`cxresearch.stats.comments.theme_frequencies`.
    ax
        Axes to draw on; a new figure when ``None``.

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax = axes(ax, figsize=(4.8, 1.4 + 0.75 * frequencies["theme"].nunique()))
    themes = list(dict.fromkeys(frequencies["theme"]))
    present = set(frequencies.loc[frequencies["estimate"] > 0, "group"])
    groups = [g for g in ("detractor", "passive", "promoter") if g in present]
    height = 0.8 / max(1, len(groups))
    for i, group in enumerate(groups):
        part = frequencies[frequencies["group"] == group].set_index("theme").loc[themes]
        y = [j + (i - (len(groups) - 1) / 2) * height for j in range(len(themes))]
        bars = ax.barh(
            y,
            part["estimate"] * 100,
            height,
            color=PALETTE[f"{group}s"],
            label=label(group),
            xerr=yerr(part.reset_index(), 100),
            capsize=2,
        )
        for bar, row in zip(bars, part.reset_index().to_dict("records"), strict=True):
            name = tr("{group}, {theme}", group=label(group), theme=label(row["theme"]))
            svg.mark(bar, hover(name, row, unit="%"))
    ax.set_yticks(range(len(themes)), [wrap(label(t)) for t in themes])
    ax.invert_yaxis()
    ax.set_xlabel(tr("Comments mentioning the theme (%)"))
    ax.legend(
        frameon=False,
        loc="lower left",
        bbox_to_anchor=(0, 1),
        ncol=3,
        borderaxespad=0.2,
        handlelength=1,
        columnspacing=1,
    )
    return ax


def plot_theme_heatmap(
    found: pd.DataFrame, group: str, *, min_n: int = config.DEFAULT_SUPPRESS_BELOW,
    ax: Axes | None = None,
) -> Axes:  # fmt: skip
    """Themes by group: how much more often detractors than promoters mention each theme.

    One cell per theme and group, coloured by the difference in percentage points (vermillion:
    detractors mention it more; blue: promoters), labelled with it, bold when significant;
    groups with fewer than ``min_n`` detractor or promoter comments are left out.

    Parameters
    ----------
    found
        Output of :func:`cxresearch.stats.comments.detractor_themes` with ``by=group``.
    group
        The grouping column (``segment``, ``touchpoint``).
    min_n
        Smallest number of detractor and of promoter comments a group needs to be shown.
    ax
        Axes to draw on; a new figure when ``None``.

    Returns
    -------
    matplotlib.axes.Axes
    """
    from matplotlib.colors import LinearSegmentedColormap
    from matplotlib.patches import Rectangle

    t = i18n.current()
    kept = found[(found["n_detractors"] >= min_n) & (found["n_promoters"] >= min_n)]
    names = sorted(kept[group].unique(), key=lambda v: t.value(group, v))
    themes = list(kept.groupby("theme")["difference"].mean().sort_values(ascending=False).index)
    ax = axes(ax, figsize=(4.8, 1.4 + 0.6 * max(1, len(themes))))
    cmap = LinearSegmentedColormap.from_list("cx", [PALETTE["promoters"], "#ffffff",
                                                    PALETTE["detractors"]])  # fmt: skip
    top = max(0.01, float(kept["difference"].abs().max())) if len(kept) else 1.0
    for row in kept.to_dict("records"):
        x, y, diff = names.index(row[group]), themes.index(row["theme"]), row["difference"]
        cell = ax.add_patch(Rectangle((x - 0.5, y - 0.5), 1, 1, lw=1, ec="white",
                                      fc=cmap(0.5 + diff / top / 2)))  # fmt: skip
        values = {"value": t.signed(diff * 100), "ci": t.ci_label(row.get("confidence", 0.95)),
                  "low": t.signed(row["ci_low"] * 100), "high": t.signed(row["ci_high"] * 100),
                  "detractors": t.percent(row["share_detractors"]),
                  "promoters": t.percent(row["share_promoters"]),
                  "n_detractors": t.number(row["n_detractors"]),
                  "n_promoters": t.number(row["n_promoters"])}  # fmt: skip
        svg.mark(cell, tr(
            "{group}, {theme}: detractors {detractors}, promoters {promoters}; difference "
            "{value} points ({ci} {low} to {high}; n = {n_detractors} detractor and "
            "{n_promoters} promoter comments)",
            group=t.value(group, row[group]), theme=label(row["theme"]), **values))  # fmt: skip
        ax.text(x, y, values["value"], ha="center", va="center", fontsize=11,
                color="white" if abs(diff) > top * 0.6 else "black",
                fontweight="bold" if row.get("significant") else "normal")  # fmt: skip
    ax.set_xlim(-0.5, len(names) - 0.5)
    ax.set_ylim(len(themes) - 0.5, -0.5)
    rotate = len(names) > 3  # long group names side by side would collide on a phone
    ax.set_xticks(range(len(names)), [wrap(t.value(group, v), 30 if rotate else 10) for v in names])
    ax.set_yticks(range(len(themes)), [wrap(label(v)) for v in themes])
    ax.tick_params(length=0)
    if rotate:
        ax.tick_params(axis="x", labelrotation=35)
        for tick in ax.get_xticklabels():
            tick.set(ha="right", rotation_mode="anchor")
    ax.grid(False)
    ax.set_xlabel(wrap(tr("Detractors minus promoters mentioning the theme (points)"), 40))
    return ax
