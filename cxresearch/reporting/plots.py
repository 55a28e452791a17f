"""Plots that take metric tables, draw on ``ax`` and return it.

One palette for promoters, passives and detractors everywhere (colour-blind safe: the
Okabe-Ito blue, grey and vermillion).
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns
from matplotlib.axes import Axes
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from cxresearch import config
from cxresearch.reporting import i18n
from cxresearch.reporting.i18n import tr


def label(code) -> str:
    """A coded value's display label in the report's language."""
    return i18n.current().label(code)


#: Colours of the three NPS groups, used by every chart.
PALETTE: dict[str, str] = {"promoters": "#0072B2", "passives": "#999999", "detractors": "#D55E00"}
ACCENT = "#0072B2"


def set_theme() -> None:
    """Apply the house seaborn theme (call once at the top of a notebook)."""
    sns.set_theme(style="whitegrid", context="notebook", rc={"figure.figsize": (8, 4.5)})
    plt.rcParams["figure.dpi"] = 96


def _ax(ax: Axes | None) -> Axes:
    if ax is None:
        _, ax = plt.subplots()
    return ax


def _shown(table: pd.DataFrame) -> pd.DataFrame:
    """The rows a chart may draw: suppressed rows (too few respondents) are left out."""
    if "suppressed" not in table:
        return table
    return table[~table["suppressed"].fillna(True).astype(bool)]


def _yerr(table: pd.DataFrame, scale: float) -> list:
    low = (table["estimate"] - table["ci_low"]).clip(lower=0) * scale
    high = (table["ci_high"] - table["estimate"]).clip(lower=0) * scale
    return [low, high]


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
    ax = _ax(ax)
    calibration = _shown(calibration)
    colours = [
        PALETTE["promoters"]
        if s >= config.PROMOTER_MIN
        else PALETTE["passives"]
        if s >= config.PASSIVE_MIN
        else PALETTE["detractors"]
        for s in calibration["score"]
    ]
    ax.bar(
        calibration["score"],
        calibration["estimate"] * 100,
        color=colours,
        alpha=0.85,
        yerr=_yerr(calibration, 100),
        capsize=3,
    )
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
    ax.legend(handles=handles, loc="upper left", frameon=False)
    return ax


def plot_spend_uplift(uplift: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """Mean spend of each satisfaction level relative to the lowest, with intervals.

    Parameters
    ----------
    uplift
        Output of :func:`cxresearch.stats.models.spend_uplift`.
    ax
        Axes to draw on; a new figure when ``None``.

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax = _ax(ax)
    ax.bar(
        uplift["level"].astype(str),
        uplift["estimate"],
        color=ACCENT,
        alpha=0.85,
        yerr=_yerr(uplift, 1),
        capsize=4,
    )
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
    ax = _ax(ax)
    table = _shown(table).reset_index(drop=True)
    y = range(len(table))
    ax.errorbar(
        table["estimate"] * scale, y, xerr=_yerr(table, scale), fmt="o", color=ACCENT, capsize=4
    )
    ax.set_yticks(list(y), [i18n.current().value(group, v) for v in table[group]])
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
    ax: Axes | None = None,
) -> Axes:
    """A metric over time with its interval band, one line per ``hue`` group.

    Suppressed points are left out; the band is the interval of each point.

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax = _ax(ax)
    shown = _shown(table)
    groups = shown.groupby(hue) if hue else [(None, shown)]
    colours = sns.color_palette("colorblind", n_colors=max(1, shown[hue].nunique() if hue else 1))
    for colour, (name, part) in zip(colours, groups, strict=False):
        part = part.sort_values(x)
        ax.plot(
            part[x],
            part["estimate"] * scale,
            marker="o",
            ms=3,
            color=colour,
            label=i18n.current().value(hue, name) if hue else None,
        )
        ax.fill_between(
            part[x], part["ci_low"] * scale, part["ci_high"] * scale, color=colour, alpha=0.15, lw=0
        )
    ax.set_ylabel(label)
    ax.set_xlabel("")
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
    ax = _ax(ax)
    total = drivers["estimate"].sum()
    imp = drivers["estimate"] / total * 100
    err = [
        (drivers["estimate"] - drivers["ci_low"]).clip(lower=0) / total * 100,
        (drivers["ci_high"] - drivers["estimate"]).clip(lower=0) / total * 100,
    ]
    real = drivers.get("evidence", pd.Series("effect", index=drivers.index)) == "effect"
    for shown, colour, text in (
        (real, ACCENT, tr("effect")),
        (~real, PALETTE["passives"], tr("no evidence of an effect")),
    ):
        if shown.any():
            ax.errorbar(drivers["performance"][shown], imp[shown],
                        yerr=[e[shown] for e in err], fmt="o", color=colour, capsize=4,
                        label=text)  # fmt: skip
    for row, y in zip(drivers.itertuples(), imp, strict=True):
        ax.annotate(
            label(row.attribute),
            (row.performance, y),
            textcoords="offset points",
            xytext=(6, 4),
            fontsize=9,
        )
    ax.axhline(100 / len(drivers), color="grey", lw=0.8, ls="--")
    ax.axvline(drivers["performance"].mean(), color="grey", lw=0.8, ls="--")
    ax.set_xlabel(tr("Performance (mean rating, 1-5)"))
    ax.set_ylabel(tr("Importance (share of explained variance, %)"))
    if "evidence" in drivers:
        ax.legend(frameon=False)
    return ax


def plot_retention(curves: pd.DataFrame, group: str, *, ax: Axes | None = None) -> Axes:
    """Kaplan-Meier retention curves, coloured with the NPS palette when grouped by it.

    Suppressed groups (too few customers) are left out.

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax = _ax(ax)
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
    ax.set_xlabel(tr("Months"))
    ax.set_ylabel(tr("Still a customer (%)"))
    ax.legend(frameon=False)
    return ax


def plot_theme_shares(frequencies: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """Share of comments per theme for detractors, passives and promoters, with intervals.

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
    ax = _ax(ax)
    themes = list(dict.fromkeys(frequencies["theme"]))
    groups = ("detractor", "passive", "promoter")
    width = 0.8 / len(groups)
    for i, group in enumerate(groups):
        part = _shown(frequencies[frequencies["group"] == group]).set_index("theme")
        part = part.reindex([t for t in themes if t in part.index])
        x = [themes.index(t) + (i - 1) * width for t in part.index]
        ax.bar(
            x,
            part["estimate"] * 100,
            width,
            color=PALETTE[f"{group}s"],
            label=label(group),
            yerr=_yerr(part.reset_index(), 100),
            capsize=2,
        )
    ax.set_xticks(range(len(themes)), [label(t) for t in themes])
    ax.set_ylabel(tr("Comments mentioning the theme (%)"))
    ax.legend(frameon=False)
    return ax
