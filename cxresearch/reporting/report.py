"""Kernel-side report helpers: what a notebook calls to build its report.

:func:`setup` starts a report, the ``show_*`` helpers display tables, charts, notes and key
findings. Everything here runs inside the notebook's kernel; the parent-side export (HTML,
PDF, index) is :mod:`cxresearch.running.publish`.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from typing import Any

import pandas as pd
from IPython.display import HTML, display

from cxresearch.reporting import i18n, svg
from cxresearch.reporting.context import Context as Context  # re-exported for notebooks
from cxresearch.reporting.context import setup as setup
from cxresearch.reporting.context import start as start


def lang() -> i18n.Language:
    """The language of the report being built (set by :func:`setup`)."""
    return i18n.current()


def fmt_number(value: float, decimals: int = 0) -> str:
    """Format a number for the report's locale (``1,234.5``; ``1 234,5``); NaN becomes ``–``."""
    return lang().number(value, decimals)


def ci_label(confidence: float = 0.95) -> str:
    """``95% CI`` in the report's language."""
    return lang().ci_label(confidence)


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
    return lang().estimate(row, scale=scale, decimals=decimals, unit=unit)


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


def _group_columns(table: pd.DataFrame, labels: Mapping[str, str]) -> pd.DataFrame:
    t = lang()
    return pd.DataFrame(
        {head: [t.value(col, v) for v in table[col]] for col, head in labels.items()}
    )


def change_table(
    changes: pd.DataFrame, labels: Mapping[str, str], *, scale: float = 100, decimals: int = 1
) -> pd.DataFrame:
    """Format the output of :func:`cxresearch.stats.compare.difference` for display."""
    t = lang()
    out = _group_columns(changes, labels)
    out[t.tr("Now")] = [fmt_number(v * scale, decimals) for v in changes["estimate_a"]]
    out[t.tr("Before")] = [fmt_number(v * scale, decimals) for v in changes["estimate_b"]]
    out[t.tr("Change")] = [t.signed(v * scale, decimals) for v in changes["difference"]]
    out[t.tr("{ci} of change", ci=ci_label())] = interval_text(
        changes, scale=scale, decimals=decimals
    )
    out[t.tr("n now / before")] = [
        f"{fmt_number(a)} / {fmt_number(b)}"
        for a, b in zip(changes["n_a"], changes["n_b"], strict=True)
    ]
    out[t.tr("p (adjusted)")] = [fmt_number(p, 3) for p in changes["p_adjusted"]]
    out[t.tr("Significant")] = [t.tr("yes") if s else "" for s in changes["significant"]]
    return out


def _notes(table: pd.DataFrame) -> list[str]:
    t = lang()
    notes = []
    for _, row in table.iterrows():
        if row.get("suppressed", False):
            notes.append(t.tr("too few respondents to show"))
        elif row.get("unreliable", False):
            notes.append(t.tr("small group or wide interval: read with care"))
        else:
            notes.append("")
    return notes


def metric_table(
    table: pd.DataFrame,
    labels: Mapping[str, str],
    *,
    scale: float = 100,
    decimals: int = 1,
    estimate_label: str = "",
) -> pd.DataFrame:
    """Format a metric table for display: labels, estimate, interval, n and a note.

    Parameters
    ----------
    table
        A metric table (``estimate, ci_low, ci_high, n`` and optionally ``suppressed``
        and ``unreliable``).
    labels
        Group columns to show, mapped to their (translated) display headings. Countries,
        touchpoints, NPS groups, months and dates are shown in the report's language.
    scale, decimals
        Display scale (100: percent or NPS points) and decimals.
    estimate_label
        Heading of the estimate column (default: *Estimate*).

    Returns
    -------
    pandas.DataFrame
        Strings, one row per group, ready for :func:`show_table`.
    """
    t = lang()
    out = _group_columns(table, labels)
    conf = table["confidence"].iloc[0] if len(table) else 0.95
    out[estimate_label or t.tr("Estimate")] = [
        fmt_number(v * scale, decimals) for v in table["estimate"]
    ]
    out[ci_label(conf)] = interval_text(table, scale=scale, decimals=decimals)
    out["n"] = [fmt_number(v) for v in table["n"]]
    if "suppressed" in table or "unreliable" in table:
        out[t.tr("Note")] = _notes(table)
    return out


def show_table(table: pd.DataFrame, caption: str = "") -> None:
    """Display a table as escaped HTML with header cells, a caption and the report's style."""
    body = table.to_html(index=False, escape=True, classes="cx-table", border=0)
    body = body.replace("<th>", '<th scope="col">')
    if caption:
        body = re.sub(
            r"(<table[^>]*>)",
            lambda m: f"{m.group(1)}<caption>{html.escape(caption)}</caption>",
            body,
            count=1,
        )
    display(HTML(body))


def show_figure(ax_or_fig, alt: str) -> None:
    """Display a figure as an inline SVG chart with alt text and hover titles, then close it.

    The SVG keeps its text as text, scales to the width of the page (readable on a phone)
    and shows each mark's value, interval and n on hover (see :mod:`cxresearch.reporting.svg`).

    Parameters
    ----------
    ax_or_fig
        A matplotlib Axes (as the plot functions return) or Figure.
    alt
        What the chart shows, for readers who cannot see it.
    """
    if not alt.strip():
        raise ValueError("every chart needs alt text saying what it shows")
    fig = getattr(ax_or_fig, "figure", ax_or_fig)
    display(HTML(svg.figure_html(fig, alt)))


def show_note(text: str) -> None:
    """Display a short note in small print (assumptions, caveats); text is escaped."""
    display(HTML(f'<p class="cx-note">{html.escape(text)}</p>'))


def plain_table(table: pd.DataFrame, labels: Mapping[str, str], *, decimals: int = 2):
    """Rename and format a small table of counts, means and coded values for display."""
    t = lang()
    out = pd.DataFrame(index=table.index)
    for col, head in labels.items():
        values = table[col]
        if pd.api.types.is_integer_dtype(values):
            out[head] = [fmt_number(v) for v in values]
        elif pd.api.types.is_float_dtype(values):
            out[head] = [fmt_number(v, decimals) for v in values]
        else:
            out[head] = [t.value(col, v) for v in values]
    return out.reset_index(drop=True)


def share_table(concentration: pd.DataFrame) -> pd.DataFrame:
    """Format :func:`cxresearch.stats.value.revenue_concentration` for display."""
    t = lang()
    return pd.DataFrame({
        t.tr("Top customers by spend"): [t.percent(v) for v in concentration["customer_share"]],
        t.tr("Customers"): [fmt_number(v) for v in concentration["customers"]],
        t.tr("Share of revenue"): [t.percent(v) for v in concentration["revenue_share"]],
    })  # fmt: skip


def group_share_table(shares: pd.DataFrame, group: str, heading: str) -> pd.DataFrame:
    """Format :func:`cxresearch.stats.value.revenue_share_by_group` for display."""
    t = lang()
    return pd.DataFrame({
        heading: [t.value(group, v) for v in shares[group]],
        t.tr("Customers"): [fmt_number(v) for v in shares["customers"]],
        t.tr("Share of customers"): [t.percent(v) for v in shares["customer_share"]],
        t.tr("Share of revenue"): [t.percent(v) for v in shares["revenue_share"]],
    })  # fmt: skip


def risk_table(risk: pd.DataFrame, level: str = "satisfaction_level") -> pd.DataFrame:
    """Format :func:`cxresearch.stats.value.revenue_at_risk_observed` for display."""
    t = lang()
    return pd.DataFrame({
        t.tr("Satisfaction level"): risk[level].astype(str),
        t.tr("Customers"): [fmt_number(v) for v in risk["customers"]],
        t.tr("Left (%)"): [fmt_number(v * 100, 1) for v in risk["churn_rate"]],
        t.tr("Monthly revenue lost"): [fmt_number(v) for v in risk["estimate"]],
        ci_label(): interval_text(risk),
    })  # fmt: skip


def driver_table(drivers: pd.DataFrame) -> pd.DataFrame:
    """Format :func:`cxresearch.stats.drivers.key_drivers` for display."""
    t = lang()
    return pd.DataFrame({
        t.tr("Attribute"): [t.label(a) for a in drivers["attribute"]],
        t.tr("Relative weight"): [fmt_number(v, 3) for v in drivers["estimate"]],
        ci_label(): interval_text(drivers, decimals=3),
        t.tr("Share"): [t.percent(v) for v in drivers["share"]],
        t.tr("Mean rating"): [fmt_number(v, 2) for v in drivers["performance"]],
        "n": [fmt_number(v) for v in drivers["n"]],
    })  # fmt: skip


def silent_table(table: pd.DataFrame, labels: Mapping[str, str]) -> pd.DataFrame:
    """Format :func:`cxresearch.stats.service.silent_dissatisfaction` for display."""
    t = lang()
    out = _group_columns(table, labels)
    out[t.tr("Silent per complaint")] = [fmt_number(v) for v in table["estimate"]]
    out[ci_label()] = interval_text(table)
    out[t.tr("Unhappy contacts (n)")] = [fmt_number(v) for v in table["n"]]
    out[t.tr("Complaints")] = [fmt_number(v) for v in table["complaints"]]
    return out


def correlation_table(table: pd.DataFrame, labels: Mapping[str, str]) -> pd.DataFrame:
    """Format correlations (``estimate, ci_low, ci_high, n, p_value``) for display."""
    out = _group_columns(table, labels)
    out["r"] = [fmt_number(v, 2) for v in table["estimate"]]
    out[ci_label()] = interval_text(table, decimals=2)
    out["n"] = [fmt_number(v) for v in table["n"]]
    out["p"] = [fmt_number(p, 3) for p in table["p_value"]]
    return out


def theme_table(found: pd.DataFrame, labels: Mapping[str, str] | None = None) -> pd.DataFrame:
    """Format :func:`cxresearch.stats.comments.detractor_themes` for display."""
    t = lang()
    out = _group_columns(found, labels or {})
    out[t.tr("Theme")] = [t.label(v) for v in found["theme"]]
    out[t.tr("Detractors (%)")] = [fmt_number(v * 100, 1) for v in found["share_detractors"]]
    out[t.tr("Promoters (%)")] = [fmt_number(v * 100, 1) for v in found["share_promoters"]]
    out[t.tr("Difference")] = [t.signed(v * 100, 1) for v in found["difference"]]
    out[ci_label()] = interval_text(found, scale=100, decimals=1)
    out[t.tr("n (det. / prom.)")] = [
        f"{fmt_number(a)} / {fmt_number(b)}"
        for a, b in zip(found["n_detractors"], found["n_promoters"], strict=True)
    ]
    out[t.tr("p (adjusted)")] = [fmt_number(p, 3) for p in found["p_adjusted"]]
    out[t.tr("Over-represented")] = [t.tr("yes") if v else "" for v in found["over_represented"]]
    return out


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
