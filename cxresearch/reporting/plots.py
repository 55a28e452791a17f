"""Plots that take metric tables, draw on ``ax`` and return it; trend charts drawn as SVG.

:func:`trend_chart` draws a trend as SVG directly (:mod:`cxresearch.reporting.trendsvg`),
without matplotlib, which this module imports only when a ``plot_*`` function draws.

One palette for promoters, passives and detractors everywhere (colour-blind safe: the
Okabe-Ito blue, grey and vermillion). Every bar, point and heatmap cell carries a hover
title (value, interval and n in the report's language, :func:`cxresearch.reporting.svg.mark`)
that :func:`cxresearch.reporting.report.show_figure` writes into the SVG.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import pandas as pd

from cxresearch import config
from cxresearch.reporting import i18n, seabornstyle, svg
from cxresearch.reporting.i18n import tr
from cxresearch.reporting.marks import ACCENT as ACCENT
from cxresearch.reporting.marks import PALETTE as PALETTE
from cxresearch.reporting.marks import axes, hover, label, points, wrap, yerr
from cxresearch.reporting.themeplots import plot_theme_heatmap as plot_theme_heatmap
from cxresearch.reporting.themeplots import plot_theme_shares as plot_theme_shares
from cxresearch.reporting.trendsvg import Chart as Chart
from cxresearch.reporting.trendsvg import trend_chart as trend_chart

if TYPE_CHECKING:  # matplotlib is imported by the functions that draw with it
    from matplotlib.axes import Axes


def set_theme() -> None:
    """Apply the house seaborn theme (call once at the top of a notebook).

    Seaborn's ``whitegrid`` style in its ``notebook`` context, set by
    :mod:`cxresearch.reporting.seabornstyle` without importing seaborn (and ``scipy.stats``
    with it) into every report's kernel.

    Figures are narrow (4.8 x 3.4 inches) with 11-point text or larger, so that the SVG
    scaled to a phone's width keeps its text at 10 pixels or more; labels are plain text
    (no mathtext: survey labels may hold ``$``).

    When matplotlib is not imported yet, the theme is set by the first matplotlib chart
    (:func:`cxresearch.reporting.seabornstyle.request_theme`): a report whose charts are
    all :func:`trend_chart` never imports matplotlib.
    """
    seabornstyle.request_theme({
        "figure.figsize": (4.8, 3.4), "figure.constrained_layout.use": True,
        "text.parse_math": False, "svg.fonttype": "none", "legend.fontsize": 11,
        "figure.dpi": 96})  # fmt: skip


def _shown(table: pd.DataFrame) -> pd.DataFrame:
    """The rows a chart may draw: suppressed rows (too few respondents) are left out."""
    if "suppressed" not in table:
        return table
    return table[~table["suppressed"].fillna(True).astype(bool)]


def plot_intent_calibration(
    calibration: pd.DataFrame, *, fitted: pd.DataFrame | None = None, ax: Axes | None = None
) -> Axes:
    """Share who actually recommended, per stated score, with intervals.

    Suppressed scores (too few respondents) are left out.

    Parameters
    ----------
    calibration
        Output of :func:`cxresearch.stats.models.intent_calibration` (one group).
    fitted
        Optional output of :func:`cxresearch.stats.models.predict_intent`, drawn as a line
        with its band.
    ax
        Axes to draw on; a new figure when ``None``.

    Returns
    -------
    matplotlib.axes.Axes
    """
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    ax = axes(ax)
    calibration = _shown(calibration)
    colours = [
        PALETTE["promoters"]
        if s >= config.PROMOTER_MIN
        else PALETTE["passives"]
        if s >= config.PASSIVE_MIN
        else PALETTE["detractors"]
        for s in calibration["score"]
    ]
    bars = ax.bar(
        calibration["score"],
        calibration["estimate"] * 100,
        color=colours,
        alpha=0.85,
        yerr=yerr(calibration, 100),
        capsize=3,
    )
    for bar, row in zip(bars, calibration.to_dict("records"), strict=True):
        svg.mark(bar, hover(tr("Score {score}", score=row["score"]), row, unit="%"))
    if fitted is not None:
        ax.plot(fitted["score"], fitted["estimate"] * 100, color="black", lw=1.5)
        ax.fill_between(
            fitted["score"],
            fitted["ci_low"] * 100,
            fitted["ci_high"] * 100,
            color="black",
            alpha=0.15,
            lw=0,
        )
    ax.set_xticks(range(11))
    ax.set_xlabel(tr("Stated likelihood to recommend (0-10)"))
    ax.set_ylabel(tr("Actually recommended in last 12 months (%)"))
    ax.set_ylim(0, 100)
    handles = [
        Patch(color=PALETTE[f"{k}s"], label=tr("{group} (observed, 95% CI)", group=label(k)))
        for k in ("detractor", "passive", "promoter")
    ]
    if fitted is not None:
        handles.append(Line2D([], [], color="black", lw=1.5, label=tr("binomial model")))
    ax.legend(handles=handles, loc="upper left", frameon=False, fontsize=10)
    return ax


def plot_spend_uplift(uplift: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """Mean spend of each satisfaction level relative to the lowest, with intervals.

    Parameters
    ----------
    uplift
        Output of :func:`cxresearch.stats.models.spend_uplift`, with ``n`` (customers at
        each level) added for the hover titles.
    ax
        Axes to draw on; a new figure when ``None``.

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax = axes(ax)
    bars = ax.bar(
        uplift["level"].astype(str),
        uplift["estimate"],
        color=ACCENT,
        alpha=0.85,
        yerr=yerr(uplift, 1),
        capsize=4,
    )
    for bar, row in zip(bars, uplift.to_dict("records"), strict=True):
        name = tr("Satisfaction level {level}", level=row["level"])
        svg.mark(bar, hover(name, row, scale=1, decimals=2, unit="x"))
    ax.axhline(1, color="black", lw=0.8)
    ax.set_xlabel(tr("Satisfaction level (mean CSAT, rounded)"))
    ax.set_ylabel(tr("Spend relative to level 1 (x)"))
    return ax


def plot_estimates(
    table: pd.DataFrame, group: str, *, scale: float = 100, label: str = "", ax: Axes | None = None
) -> Axes:
    """Point estimates with intervals, one row per group (any metric table).

    Suppressed rows (too few respondents, see
    :func:`cxresearch.stats.metrics.small_group_rules`) are left out.

    Parameters
    ----------
    table
        A metric table with ``group``, ``estimate``, ``ci_low``, ``ci_high``.
    group
        Column naming the groups (drawn on the y axis).
    scale
        Multiplier for display (100 for NPS points and percentages).
    label
        Axis label of the estimate.
    ax
        Axes to draw on; a new figure when ``None``.

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax = axes(ax)
    table = _shown(table).reset_index(drop=True)
    y = range(len(table))
    names = [i18n.current().value(group, v) for v in table[group]]
    ax.errorbar(
        table["estimate"] * scale, y, xerr=yerr(table, scale), fmt="none", ecolor=ACCENT,
        capsize=4,
    )  # fmt: skip
    titles = [
        hover(n, r, scale=scale) for n, r in zip(names, table.to_dict("records"), strict=True)
    ]
    points(ax, table["estimate"] * scale, y, titles, color=ACCENT)
    ax.set_yticks(list(y), [wrap(n) for n in names])
    ax.invert_yaxis()  # the table's first row on top
    ax.set_xlabel(label)
    ax.set_ylabel("")
    return ax


def plot_trend(
    table: pd.DataFrame,
    x: str = "month",
    *,
    scale: float = 100,
    label: str = "",
    hue: str | None = None,
    target: float | None = None,
    target_label: str = "",
    ax: Axes | None = None,
) -> Axes:
    """A metric over time with its interval band, one line per ``hue`` group.

    Suppressed points are left out; the band is the interval of each point, and each point's
    hover title gives its value, interval and n.

    Parameters
    ----------
    table
        A metric table with ``x``, ``estimate``, ``ci_low``, ``ci_high`` and ``n``.
    x
        The time column.
    scale
        Multiplier for display (100 for NPS points and percentages).
    label
        Axis label of the estimate.
    hue
        Column of groups drawn as separate lines.
    target
        A target or benchmark on the table's scale (0.4 for an NPS of 40), drawn as a
        dashed, labelled line; ``None`` or NaN draws none.
    target_label
        The line's label (default: *Target*).
    ax
        Axes to draw on; a new figure when ``None``.

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax = axes(ax)
    t = i18n.current()
    shown = table[~table.get("suppressed", pd.Series(False, index=table.index)).astype(bool)]
    groups = shown.groupby(hue) if hue else [(None, shown)]
    colours = seabornstyle.colorblind(max(1, shown[hue].nunique() if hue else 1))
    for colour, (name, part) in zip(colours, groups, strict=False):
        part = part.sort_values(x)
        shown_name = t.value(hue, name) if hue else None
        ax.plot(part[x], part["estimate"] * scale, color=colour, label=shown_name)
        ax.fill_between(
            part[x], part["ci_low"] * scale, part["ci_high"] * scale, color=colour, alpha=0.15, lw=0
        )
        titles = [
            hover(", ".join(filter(None, [shown_name, t.value(x, row[x])])), row, scale=scale)
            for row in part.to_dict("records")
        ]
        points(ax, part[x], part["estimate"] * scale, titles, color=colour, ms=5)
    if target is not None and not pd.isna(target):
        text = target_label or tr("Target {value}", value=t.number(target * scale))
        ax.axhline(target * scale, color="black", lw=1, ls="--", zorder=2)
        ax.annotate(
            text,
            (0, target * scale),
            xycoords=("axes fraction", "data"),
            xytext=(3, 3),
            textcoords="offset points",
            va="bottom",
            fontsize=11,
        )
    ax.set_ylabel(label)
    ax.set_xlabel("")
    ax.tick_params(axis="x", labelrotation=30)
    if hue:
        ax.legend(frameon=False)
    return ax


def plot_importance_performance(drivers: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """Importance (relative weight share) against performance (mean rating) per attribute.

    Attributes whose ``evidence`` is ``"no evidence of an effect"`` are drawn in grey.

    Parameters
    ----------
    drivers
        Output of :func:`cxresearch.stats.drivers.key_drivers`.
    ax
        Axes to draw on; a new figure when ``None``.

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax = axes(ax)
    t = i18n.current()
    total = drivers["estimate"].sum()
    imp = drivers["estimate"] / total * 100
    err = [
        (drivers["estimate"] - drivers["ci_low"]).clip(lower=0) / total * 100,
        (drivers["ci_high"] - drivers["estimate"]).clip(lower=0) / total * 100,
    ]
    ax.errorbar(drivers["performance"], imp, yerr=err, fmt="none", ecolor=ACCENT, capsize=4)
    titles = []
    for row in drivers.to_dict("records"):
        share = {**row, **{k: row[k] / total for k in ("estimate", "ci_low", "ci_high")}}
        titles.append(tr("{attribute}: importance {importance}, mean rating {rating}",
                         attribute=label(row["attribute"]), rating=t.number(row["performance"], 2),
                         importance=t.estimate(share, unit="%")))  # fmt: skip
    evidence = drivers.get("evidence", pd.Series("effect", index=drivers.index))
    real = (evidence == "effect").to_numpy()
    for mask, colour, text in (
        (real, ACCENT, tr("effect")),
        (~real, PALETTE["passives"], tr("no evidence of an effect")),
    ):
        if mask.any():
            chosen = [title for title, keep in zip(titles, mask, strict=True) if keep]
            points(ax, drivers["performance"][mask], imp[mask], chosen, color=colour)
            if "evidence" in drivers:
                ax.plot([], [], "o", color=colour, label=text)  # legend entry
    for row, y in zip(drivers.itertuples(), imp, strict=True):
        ax.annotate(
            wrap(label(row.attribute), 14),
            (row.performance, y),
            textcoords="offset points",
            xytext=(6, 4),
            fontsize=11,
        )
    ax.axhline(100 / len(drivers), color="grey", lw=0.8, ls="--")
    ax.axvline(drivers["performance"].mean(), color="grey", lw=0.8, ls="--")
    ax.set_xlabel(wrap(tr("Performance (mean rating, 1-5)"), 36))
    ax.set_ylabel(wrap(tr("Importance (share of explained variance, %)"), 30))
    if "evidence" in drivers:
        ax.legend(frameon=False)
    return ax


def plot_retention(curves: pd.DataFrame, group: str, *, ax: Axes | None = None) -> Axes:
    """Kaplan-Meier retention curves, coloured with the NPS palette when grouped by it.

    Each whole month carries a point whose hover title gives the share still a customer,
    its interval and n (those of the last step at or before that month).
    Suppressed groups (too few customers) are left out.

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax = axes(ax)
    colours = {"promoter": PALETTE["promoters"], "passive": PALETTE["passives"],
               "detractor": PALETTE["detractors"]}  # fmt: skip
    for name, part in _shown(curves).groupby(group):
        colour = colours.get(name)
        ax.step(
            part["months"], part["estimate"] * 100, where="post", color=colour, label=label(name)
        )
        ax.fill_between(
            part["months"],
            part["ci_low"] * 100,
            part["ci_high"] * 100,
            step="post",
            color=colour,
            alpha=0.15,
            lw=0,
        )
        # the step curve's value at each whole month: the last estimate at or before it
        steps = part.sort_values("months")
        months = range(math.ceil(steps["months"].min()), math.floor(steps["months"].max()) + 1)
        at = [steps[steps["months"] <= m].iloc[-1].to_dict() | {"months": m} for m in months]
        whole = pd.DataFrame(at)
        titles = [
            hover(tr("{group}, month {months}", group=label(name), months=int(row["months"])),
                   row, unit="%")
            for row in whole.to_dict("records")
        ]  # fmt: skip
        points(ax, whole["months"], whole["estimate"] * 100, titles, color=colour, ms=3)
    ax.set_xlabel(tr("Months"))
    ax.set_ylabel(tr("Still a customer (%)"))
    ax.legend(frameon=False)
    return ax
