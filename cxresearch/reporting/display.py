"""Kernel-side display: tables, charts, notes and key findings shown in a notebook.

Everything here runs inside the notebook's kernel; the parent-side export (HTML, PDF,
index) is :mod:`cxresearch.running.publish`.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

import pandas as pd
from IPython.display import HTML, display

from cxresearch.reporting import svg, tables
from cxresearch.reporting.tables import Table
from cxresearch.reporting.trendsvg import Chart
from cxresearch.stats import comments


def show_table(table: Table | pd.DataFrame, caption: str = "") -> None:
    """Display a table in the report's style, with its caption; cells are escaped.

    ``table`` is a :class:`~cxresearch.reporting.tables.Table` from
    :func:`~cxresearch.reporting.tables.table` (or a DataFrame of formatted strings). A
    by-group table with a single group is left out: a one-row "NPS by country" in a
    one-country report says nothing the headline does not.
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
        A matplotlib Axes (as the plot functions return) or Figure, or a chart drawn as
        SVG directly (:func:`cxresearch.reporting.plots.trend_chart`).
    alt
        What the chart shows, for readers who cannot see it.
    """
    if not alt.strip():
        raise ValueError("every chart needs alt text saying what it shows")
    if isinstance(ax_or_fig, Chart):
        display(HTML(ax_or_fig.to_html(alt)))
        return
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
