"""Kernel-side report helpers: what a notebook calls to build its report.

:func:`setup` starts a report, the ``show_*`` helpers display tables, charts, notes and key
findings. Everything here runs inside the notebook's kernel; the parent-side export (HTML,
PDF, index) is :mod:`cxresearch.running.publish`.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd
from IPython.display import HTML, display

from cxresearch.reporting import i18n, svg, tables
from cxresearch.reporting.context import Context as Context  # re-exported for notebooks
from cxresearch.reporting.context import setup as setup
from cxresearch.reporting.context import start as start
from cxresearch.reporting.tables import Table as Table  # the table formatter
from cxresearch.reporting.tables import table as table
from cxresearch.stats import comments


def lang() -> i18n.Language:
    """The language of the report being built (set by :func:`setup`)."""
    return i18n.current()


def fmt_number(value: float, decimals: int = 0) -> str:
    """Format a number for the report's locale (``1,234.5``; ``1 234,5``); NaN becomes ``–``."""
    return lang().number(value, decimals)


def fmt_p(p: float) -> str:
    """A p value for a table cell: ``0.012``, and ``< 0.001`` below that (never ``0.000``).

    Examples
    --------
    >>> _ = i18n.use("en")
    >>> fmt_p(0.0123), fmt_p(1e-8)
    ('0.012', '< 0.001')
    """
    if p is not None and not pd.isna(p) and p < 0.001:
        return "< " + fmt_number(0.001, 3)
    return fmt_number(p, 3)


def ci_label(confidence: float = 0.95) -> str:
    """``95% CI`` in the report's language."""
    return lang().ci_label(confidence)


def p_text(p: float) -> str:
    """A p value as a report prints it: ``p = 0.012``, and ``p < 0.001`` below that.

    Examples
    --------
    >>> _ = i18n.use("en")
    >>> p_text(0.0123), p_text(0.0000004), p_text(0.0005)
    ('p = 0.012', 'p < 0.001', 'p < 0.001')
    """
    t = lang()
    if p is None or pd.isna(p):
        return t.tr("p = {p}", p="–")
    if p < 0.001:
        return t.tr("p < {p}", p=t.number(0.001, 3))
    return t.tr("p = {p}", p=t.number(p, 3))


#: Most decimals :func:`interval_decimals` adds to keep an interval from collapsing.
MAX_EXTRA_DECIMALS = 3


def interval_decimals(values: Sequence[float], decimals: int = 0, *, format=None) -> int:
    """Fewest decimals, from ``decimals`` up, at which distinct values print distinctly.

    An estimate and its interval bounds (45.8, 46.2, 46.6) shown with too few decimals
    collapse to one value ("46 (95% CI 46 to 46)"); this picks the decimals from the
    interval's width instead, adding at most :data:`MAX_EXTRA_DECIMALS`.

    Parameters
    ----------
    values
        The numbers shown together (estimate, low, high), already on the display scale.
    decimals
        The least number of decimals.
    format
        ``format(value, decimals) -> str``; the report language's number format by default.

    Examples
    --------
    >>> interval_decimals([46.2, 45.8, 46.6])
    1
    >>> interval_decimals([46.24, 46.21, 46.27])
    2
    >>> interval_decimals([30, 15, 45])
    0
    """
    format = format or lang().number
    finite = [float(v) for v in values if v is not None and not pd.isna(v)]
    for d in range(decimals, decimals + MAX_EXTRA_DECIMALS + 1):
        texts = {}
        for v in finite:
            texts.setdefault(format(v, d), set()).add(round(v, 12))
        if all(len(group) == 1 for group in texts.values()):
            return d
    return decimals + MAX_EXTRA_DECIMALS


def estimate_text(
    row: Mapping[str, Any], *, scale: float = 100, decimals: int = 0, unit: str = ""
) -> str:
    r"""One estimate as stakeholders read it: value, interval and n.

    ``unit`` is ``""`` (``scale`` x the value: NPS points), ``"%"`` (a share shown as a
    percentage), ``"x"`` (a ratio, ``scale`` 1) or a currency code such as ``"EUR"``
    (money, ``scale`` 1, to 3 significant figures). ``decimals`` is the least number of
    decimals: more are shown when the interval would otherwise collapse to one value.

    Examples
    --------
    >>> _ = i18n.use("en")
    >>> estimate_text({"estimate": 0.3, "ci_low": 0.1469, "ci_high": 0.4531,
    ...                "confidence": 0.95, "n": 100})
    '30 (95% CI 15 to 45; n = 100)'
    >>> estimate_text({"estimate": 0.462, "ci_low": 0.458, "ci_high": 0.466, "n": 9000},
    ...               unit="%")
    '46.2% (95% CI 45.8% to 46.6%; n = 9,000)'
    >>> estimate_text({"estimate": 11068079, "ci_low": 10900838, "ci_high": 11236948,
    ...                "n": 900}, scale=1, unit="EUR")
    '€11.1M (95% CI €10.9M to €11.2M; n = 900)'
    >>> _ = i18n.use("sv")
    >>> estimate_text({"estimate": 0.325, "ci_low": 0.3, "ci_high": 0.35, "n": 1234},
    ...               decimals=1, unit="%")
    '32,5\xa0% (95\xa0% KI 30,0\xa0% till 35,0\xa0%; n = 1\xa0234)'
    >>> _ = i18n.use("en")
    """
    t = lang()
    values = [row["estimate"], row["ci_low"], row["ci_high"]]
    if unit == "%":
        shown = [v * 100 if v is not None else v for v in values]
        d = interval_decimals(shown, decimals)

        def fmt(value: float) -> str:
            return t.percent(value, d)
    elif unit in ("", "x"):
        shown = [v * scale if v is not None else v for v in values]
        d = interval_decimals(shown, decimals)

        def fmt(value: float) -> str:
            return t.number(value * scale, d) + ("×" if unit == "x" else "")
    else:
        figures = interval_decimals(values, 3, format=lambda v, k: t.money(v * scale, unit, k))

        def fmt(value: float) -> str:
            return t.money(value * scale, unit, figures)

    return t.tr(
        "{value} ({ci} {low} to {high}; n = {n})",
        value=fmt(row["estimate"]),
        ci=ci_label(row.get("confidence", 0.95)),
        low=fmt(row["ci_low"]),
        high=fmt(row["ci_high"]),
        n=t.number(row["n"]),
    )


def interval_text(table: pd.DataFrame, *, scale: float = 1.0, decimals: int = 0) -> list[str]:
    """``"low to high"`` for each row's ``ci_low`` and ``ci_high``, formatted for display.

    A row without an interval (suppressed) shows ``–``.
    """
    return [
        lang().tr("{low} to {high}", low=fmt_number(lo * scale, decimals),
                  high=fmt_number(hi * scale, decimals))
        if not (pd.isna(lo) and pd.isna(hi)) else fmt_number(float("nan"))
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

    The size of the change takes its plural form from the catalogue (``1 point``, ``2
    points``); the p value prints as :func:`p_text` does.

    Examples
    --------
    >>> _ = i18n.use("en")
    >>> now = {"estimate": 0.32, "ci_low": 0.28, "ci_high": 0.36, "n": 1234,
    ...        "confidence": 0.95}
    >>> ch = {"difference": 0.05, "p_adjusted": 0.01, "significant": True}
    >>> change_text("NPS", now, ch, since="Q2")
    'NPS 32 (95% CI 28 to 36; n = 1,234), up 5 points since Q2 (p = 0.010): a significant change.'
    >>> ch = {"difference": -0.01, "p_adjusted": 0.0001, "significant": True}
    >>> change_text("CSAT", now, ch, unit="%", since="Q2").split("), ")[-1]
    'down 1 percentage point since Q2 (p < 0.001): a significant change.'
    """
    t = lang()
    if current.get("suppressed", False):
        return t.tr("{label}: too few respondents to show.", label=label)
    head = f"{label} {estimate_text(current, scale=scale, unit=unit)}"
    diff = change.get("difference")
    if diff is None or pd.isna(diff):
        return head + "."
    size = round(abs(diff) * 100 if unit == "%" else abs(diff) * scale)
    p = p_text(change.get("p_adjusted", change.get("p_value")))
    values = {"head": head, "amount": t.number(size), "since": since or t.tr("the previous period"),
              "p": p}  # fmt: skip
    if size == 0:
        text = t.tr("{head}, unchanged since {since} ({p})", **values)
    elif unit == "%" and diff > 0:
        text = t.ntr(
            "{head}, up {amount} percentage point since {since} ({p})",
            "{head}, up {amount} percentage points since {since} ({p})",
            size,
            **values,
        )
    elif unit == "%":
        text = t.ntr(
            "{head}, down {amount} percentage point since {since} ({p})",
            "{head}, down {amount} percentage points since {since} ({p})",
            size,
            **values,
        )
    elif diff > 0:
        text = t.ntr(
            "{head}, up {amount} point since {since} ({p})",
            "{head}, up {amount} points since {since} ({p})",
            size,
            **values,
        )
    else:
        text = t.ntr(
            "{head}, down {amount} point since {since} ({p})",
            "{head}, down {amount} points since {since} ({p})",
            size,
            **values,
        )
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
    display(HTML(f'<p class="cx-note">{html.escape(comments.neutralise_bidi(text))}</p>'))


def show_headline(text: str) -> None:
    """Display a key finding (text is escaped).

    In JupyterLab it shows in a headline box where the cell runs; in the rendered report
    the findings are gathered into the executive summary at the top.
    """
    text = comments.neutralise_bidi(text)
    display(
        {"text/html": f'<p class="cx-headline">{html.escape(text)}</p>'},
        raw=True,
        metadata={"cx": {"finding": text}},
    )


def order_findings(findings: Sequence[tuple[float | None, str]]) -> list[str]:
    """Findings ordered by the size of their significant change, largest first.

    Parameters
    ----------
    findings
        ``(size, text)`` pairs: ``size`` the absolute size of a significant change on the
        scale it is reported on (points), ``None`` or 0 for a finding that is no
        significant change; those keep their order after the sized ones.

    Examples
    --------
    >>> order_findings([(None, "NPS 30."), (4.0, "CSAT down 4."), (25.0, "Denmark -25.")])
    ['Denmark -25.', 'CSAT down 4.', 'NPS 30.']
    """

    def key(item: tuple[int, tuple[float | None, str]]) -> tuple[float, int]:
        index, (size, _) = item
        return (-(abs(size) if size and not pd.isna(size) else 0.0), index)

    return [text for _, (_, text) in sorted(enumerate(findings), key=key)]


def show_findings(findings: Sequence[tuple[float | None, str]]) -> None:
    """Show headlines in the order of :func:`order_findings`."""
    for text in order_findings(findings):
        show_headline(text)
