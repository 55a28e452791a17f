"""Kernel-side report helpers: what a notebook calls to build its report.

:func:`setup` starts a report, the ``show_*`` helpers display tables, charts, notes and key
findings. Everything here runs inside the notebook's kernel; the parent-side export (HTML,
PDF, index) is :mod:`cxresearch.running.publish`.
"""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Mapping
from typing import Any

import matplotlib.pyplot as plt
import pandas as pd
from IPython.display import HTML, display

from cxresearch.reporting import i18n, tables
from cxresearch.reporting.context import Context as Context  # re-exported for notebooks
from cxresearch.reporting.context import setup as setup
from cxresearch.reporting.context import start as start
from cxresearch.reporting.tables import Table as Table  # the table formatter
from cxresearch.reporting.tables import table as table


def lang() -> i18n.Language:
    """The language of the report being built (set by :func:`setup`)."""
    return i18n.current()


def fmt_number(value: float, decimals: int = 0) -> str:
    """Format a number for the report's locale (``1,234.5``; ``1 234,5``); NaN becomes ``–``."""
    return lang().number(value, decimals)


def ci_label(confidence: float = 0.95) -> str:
    """``95% CI`` in the report's language."""
    return lang().tr("{confidence} CI", confidence=lang().percent(confidence))


def estimate_text(
    row: Mapping[str, Any], *, scale: float = 100, decimals: int = 0, unit: str = ""
) -> str:
    r"""One estimate as stakeholders read it: value, interval and n.

    ``unit`` is ``""`` (``scale`` x the value: NPS points), ``"%"`` (a share shown as a
    percentage) or ``"x"`` (a ratio, ``scale`` 1).

    Examples
    --------
    >>> _ = i18n.use("en")
    >>> estimate_text({"estimate": 0.3, "ci_low": 0.1469, "ci_high": 0.4531,
    ...                "confidence": 0.95, "n": 100})
    '30 (95% CI 15 to 45; n = 100)'
    >>> _ = i18n.use("sv")
    >>> estimate_text({"estimate": 0.325, "ci_low": 0.3, "ci_high": 0.35, "n": 1234},
    ...               decimals=1, unit="%")
    '32,5\xa0% (95\xa0% KI 30,0\xa0% till 35,0\xa0%; n = 1\xa0234)'
    >>> _ = i18n.use("en")
    """

    def fmt(value: float) -> str:
        if unit == "%":
            return lang().percent(value, decimals)
        if unit == "x":
            return lang().number(value * scale, decimals) + "×"
        return lang().number(value * scale, decimals)

    return lang().tr(
        "{value} ({ci} {low} to {high}; n = {n})",
        value=fmt(row["estimate"]),
        ci=ci_label(row.get("confidence", 0.95)),
        low=fmt(row["ci_low"]),
        high=fmt(row["ci_high"]),
        n=lang().number(row["n"]),
    )


def interval_text(table: pd.DataFrame, *, scale: float = 1.0, decimals: int = 0) -> list[str]:
    """``"low to high"`` for each row's ``ci_low`` and ``ci_high``, formatted for display."""
    return [
        lang().tr("{low} to {high}", low=fmt_number(lo * scale, decimals),
                  high=fmt_number(hi * scale, decimals))
        for lo, hi in zip(table["ci_low"], table["ci_high"], strict=True)
    ]  # fmt: skip


def change_text(
    label: str,
    current: Mapping[str, Any],
    change: Mapping[str, Any],
    *,
    scale: float = 100,
    unit: str = "",
    since: str = "",
) -> str:
    """A headline: the current value with its interval and n, and the tested change.

    Examples
    --------
    >>> _ = i18n.use("en")
    >>> now = {"estimate": 0.32, "ci_low": 0.28, "ci_high": 0.36, "n": 1234,
    ...        "confidence": 0.95}
    >>> ch = {"difference": 0.05, "p_adjusted": 0.01, "significant": True}
    >>> change_text("NPS", now, ch, since="Q2")
    'NPS 32 (95% CI 28 to 36; n = 1,234), up 5 points since Q2 (p = 0.010): a significant change.'
    """
    t = lang()
    if current.get("suppressed", False):
        return t.tr("{label}: too few respondents to show.", label=label)
    head = f"{label} {estimate_text(current, scale=scale, unit=unit)}"
    diff = change.get("difference")
    if diff is None or pd.isna(diff):
        return head + "."
    amount = t.number(abs(diff) * 100 if unit == "%" else abs(diff) * scale)
    p = t.number(change.get("p_adjusted", change.get("p_value")), 3)
    values = {"head": head, "amount": amount, "since": since or t.tr("the previous period"), "p": p}
    messages = {
        (True, "%"): t.tr(
            "{head}, up {amount} percentage points since {since} (p = {p})", **values
        ),
        (False, "%"): t.tr(
            "{head}, down {amount} percentage points since {since} (p = {p})", **values
        ),
        (True, ""): t.tr("{head}, up {amount} points since {since} (p = {p})", **values),
        (False, ""): t.tr("{head}, down {amount} points since {since} (p = {p})", **values),
    }
    if round(diff * 100) == 0:
        text = t.tr("{head}, unchanged since {since} (p = {p})", **values)
    else:
        text = messages[(diff > 0, "%" if unit == "%" else "")]
    verdict = (
        t.tr("a significant change")
        if change.get("significant")
        else t.tr("not a significant change")
    )
    return f"{text}: {verdict}."


def show_table(table: Table | pd.DataFrame, caption: str = "") -> None:
    """Display a table in the report's style, with its caption; cells are escaped.

    ``table`` is a :class:`~cxresearch.reporting.tables.Table` from :func:`table` (or a
    DataFrame of formatted strings). A by-group table with a single group is left out: a
    one-row "NPS by country" in a one-country report says nothing the headline does not.
    """
    if isinstance(table, pd.DataFrame):
        table = tables.plain(table)
    if table.single_group():
        return
    display(HTML(table.to_html(caption)))


def show_figure(ax_or_fig, alt: str, *, dpi: int = 110) -> None:
    """Display a figure as an embedded PNG with alt text, then close it.

    Parameters
    ----------
    ax_or_fig
        A matplotlib Axes (as the plot functions return) or Figure.
    alt
        What the chart shows, for readers who cannot see it.
    dpi
        Resolution of the PNG.
    """
    if not alt.strip():
        raise ValueError("every chart needs alt text saying what it shows")
    fig = getattr(ax_or_fig, "figure", ax_or_fig)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight")
    plt.close(fig)
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    display({"image/png": data}, raw=True, metadata={"image/png": {"alt": alt}})


def show_note(text: str) -> None:
    """Display a short note in small print (assumptions, caveats); text is escaped."""
    display(HTML(f'<p class="cx-note">{html.escape(text)}</p>'))


def show_headline(text: str) -> None:
    """Display a key finding (text is escaped).

    In JupyterLab it shows in a headline box where the cell runs; in the rendered report
    the findings are gathered into the executive summary at the top.
    """
    display(
        {"text/html": f'<p class="cx-headline">{html.escape(text)}</p>'},
        raw=True,
        metadata={"cx": {"finding": text}},
    )
