"""Notes for report sections whose optional data is missing, or whose scales differ.

A section that needs data the database lacks (no churn dates, no service interactions,
no segments, a single country, few comments) shows one short note in the report's
language naming what is missing and what to import, instead of an empty table or chart
(issue 13). The whole report stops only when a table it cannot do without is empty
(:func:`cxresearch.reporting.context.start`).
"""

from __future__ import annotations

import html
import os

import ibis
import ibis.expr.types as ir
import pandas as pd
from IPython.display import HTML, display

from cxresearch.config import RUN_ENV as RUN_ENV  # set in the kernels that render reports
from cxresearch.data import scales, summary
from cxresearch.reporting import i18n

#: The kinds of optional data a section may lack; :func:`missing_text` words each.
KINDS = ("segment", "country", "touchpoint", "nps", "csat", "churn", "interactions",
         "agent_satisfaction", "comments", "relational")  # fmt: skip

#: Fewer comments than this and a comments section says so.
MIN_COMMENTS = 5


def missing_text(kind: str) -> str:
    """What a section lacks and what to import, in the report's language."""
    tr = i18n.tr
    texts = {
        "segment": tr("Fewer than two segments to compare: import customers with their segment "
                      "(cxresearch import customers.csv; docs/import.md)."),
        "country": tr("Fewer than two countries to compare: import customers with their country "
                      "(cxresearch import customers.csv; docs/import.md)."),
        "touchpoint": tr("Fewer than two touchpoints to compare: import responses with a "
                         "touchpoint column (docs/import.md)."),
        "nps": tr("No recommend scores (0-10) to show: import responses with an nps column "
                  "(cxresearch import; docs/import.md)."),
        "csat": tr("No CSAT answers to show: import responses with a csat column (cxresearch "
                   "import; docs/import.md)."),
        "churn": tr("No churn dates in the data, so churn cannot be measured: import customers "
                    "with churn_date (cxresearch import customers.csv; docs/import.md)."),
        "interactions": tr("No service interactions: import them with cxresearch import "
                           "interactions.csv (docs/import.md)."),
        "agent_satisfaction": tr("No agent ratings: import them with cxresearch import "
                                 "agent_ratings.csv (agent_id, team, month, asat, n; "
                                 "docs/import.md)."),
        "comments": tr("Fewer than {n} comments, too few to analyse: import responses with a "
                       "comment column (cxresearch import; docs/import.md).", n=MIN_COMMENTS),
        "relational": tr("No customer answered both a relationship survey and a transactional "
                         "one with CSAT: import responses whose touchpoint is relationship "
                         "beside transactional touchpoints (docs/import.md)."),
    }  # fmt: skip
    if kind not in texts:
        raise ValueError(f"unknown kind of missing data {kind!r}; expected one of {KINDS}")
    return texts[kind]


def show_missing(kind: str) -> None:
    """Show, in place of a section's table or chart, what it lacks and what to import."""
    text = missing_text(kind)
    display(HTML(f'<p class="cx-note cx-missing" data-missing="{html.escape(kind)}">'
                 f"{html.escape(text)}</p>"))  # fmt: skip


def stop_missing(kind: str) -> None:
    """End the report here with what it lacks (:func:`stop`)."""
    stop(missing_text(kind))


def groups(data: pd.DataFrame | ir.Table, column: str) -> int:
    """How many known (non-missing) groups ``column`` holds; 0 when it is absent."""
    if column not in data.columns:
        return 0
    if isinstance(data, pd.DataFrame):
        return int(data[column].dropna().nunique())
    return int(data.filter(data[column].notnull())[column].nunique().to_pandas())


def lacks(
    data: pd.DataFrame | ir.Table,
    column: str,
    *,
    kind: str | None = None,
    at_least: int | None = None,
    stop: bool = False,
    filtered: bool = False,
) -> bool:
    """Whether a section lacks its data in ``column``; if so, show the note saying so.

    Parameters
    ----------
    data
        The rows the section reads.
    column
        Grouping columns (``segment``, ``country``, ``touchpoint``) need at least two known
        groups; answer columns (``nps``, ``csat``, ``churn_date``, ``comment``, ``interaction_id``,
        ``asat``) at least one answer (comments: :data:`MIN_COMMENTS`).
    kind
        The note to show (:data:`KINDS`); default: the one ``column`` names.
    at_least
        Overrides the least number of groups or answers.
    stop
        End the report with the note (:func:`stop_missing`): for data a report is about.
    filtered
        The report is filtered on ``column`` (``-P segment=B2B``): fewer than two groups is
        the reader's choice, not missing data, so the section is left out without a note.

    Returns
    -------
    bool
        ``True`` (and the note is shown) when the section should be left out.
    """
    kind = kind or _KIND_OF.get(column, column)
    counted = column in _KIND_OF or kind in _KIND_OF.values()
    if at_least is None:
        at_least = MIN_COMMENTS if kind == "comments" else 1 if counted else 2
    if isinstance(data, ir.Table) and summary.holds(data, column, at_least):
        return False  # the per-day summary shows enough without reading the rows
    found = _count(data, column) if counted else groups(data, column)
    if found < at_least:
        if not (filtered and not counted and found):
            (stop_missing if stop else show_missing)(kind)
        return True
    return False


def require(data: pd.DataFrame | ir.Table, *columns: str) -> None:
    """End the report with a note if ``data`` lacks any of ``columns`` (see :func:`lacks`).

    For the data a report is about (churn dates in a churn report); the first column
    lacking names the note. Returns nothing, so that a notebook cell shows no value.
    """
    for column in columns:
        if lacks(data, column, stop=True):
            return


#: Answer columns and the kind of data they are (the rest are grouping columns).
_KIND_OF = {"nps": "nps", "csat": "csat", "churn_date": "churn", "comment": "comments",
            "interaction_id": "interactions", "asat": "agent_satisfaction"}  # fmt: skip


def _count(data: pd.DataFrame | ir.Table, column: str) -> int:
    if column not in data.columns:
        return 0
    if isinstance(data, pd.DataFrame):
        return int(data[column].notna().sum())
    return int(data[column].count().to_pandas())


def show_scales(data: ir.Table | pd.DataFrame, score: str = "csat") -> None:
    """When answers were given on several scales, say how the report reads them.

    Shares (CSAT, unhappy) are read on each answer's own scale; means and satisfaction
    levels put every answer on 1-5 first (:func:`cxresearch.data.scales.on_common_scale`).
    Nothing is shown when every answer shares one scale.
    """
    table = data if isinstance(data, ir.Table) else ibis.memtable(data)
    found = scales.declared_scales(table, score)
    if len(found) < 2:
        return
    t = i18n.current()
    listed = ", ".join(f"{low}-{high}" for low, high in found)
    text = t.tr(
        "Answers were given on several scales ({scales}): CSAT is the top two boxes of each "
        "answer's own scale; mean ratings and satisfaction levels put every answer on 1-5 "
        "first (1 + 4 x (answer - lowest) / (highest - lowest)).",
        scales=listed,
    )
    display(HTML(f'<p class="cx-note cx-scales">{html.escape(text)}</p>'))


def stop(text: str) -> None:
    """Say why the report ends here, and skip the notebook's remaining code cells.

    The text is shown as a key finding; the rendered report leaves out every cell after it.
    In a rendering kernel the remaining code cells run as ``pass``; interactively nothing
    is skipped. Used when a report lacks the data it needs, so that a report on an
    empty or partial database says what is missing instead of failing.
    """
    display(
        {"text/html": f'<p class="cx-note cx-stop">{html.escape(text)}</p>', "text/plain": text},
        raw=True,
        metadata={"cx": {"finding": text, "stop": True}},
    )
    if not os.environ.get(RUN_ENV):
        return  # interactively, the researcher decides what to run next
    from IPython import get_ipython

    shell = get_ipython()
    if shell is not None:
        shell.input_transformers_post.append(_skip_cell)


def _skip_cell(lines: list[str]) -> list[str]:
    return ["pass\n"]
