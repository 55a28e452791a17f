"""One call opens a report: connection, filters, options and language from its parameters.

A notebook's opening cell is ``cx = report.start(globals())``: the context reads the
parameters the notebook declares (``database``, ``period_start``, ``period_end``,
``segment``, ``country``, ``language``, ``min_n``, ``weights``), so empty strings and lists
mean "not set" in one place instead of ``x or None`` in every notebook.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import ibis
from babel.lists import format_list
from IPython.display import display

from cxresearch import config
from cxresearch.config import CONTEXT_MIME
from cxresearch.data import db, summary
from cxresearch.reporting import i18n
from cxresearch.reporting.notes import RUN_ENV as RUN_ENV  # set in rendering kernels
from cxresearch.reporting.notes import stop as stop


@dataclass(frozen=True)
class Context:
    """What a report's cells share: read it, never change it.

    Attributes
    ----------
    con
        The survey database connection.
    t
        The report's language: ``t.tr`` translates, ``t.number`` and friends format.
    report, plots
        The report helpers and chart functions, each called in the report's language:
        a notebook binds ``report, plots = cx.report, cx.plots`` after opening.
    period
        ``(first day, last day)`` the report covers, or ``None`` when there is no data.
    filters
        ``start``, ``end``, ``segment``, ``country``: keyword arguments of the
        ``db.read_*`` functions.
    opts
        ``weights`` and ``min_n``: keyword arguments of the metrics.
    """

    con: ibis.BaseBackend = field(repr=False)
    t: i18n.Language
    period: tuple[dt.date, dt.date] | None
    filters: dict[str, Any]
    opts: dict[str, Any]

    @property
    def tr(self):
        """Translate a message into the report's language (``t.tr``)."""
        return self.t.tr

    @property
    def report(self) -> i18n.InLanguage:
        """The report helpers (``table``, ``estimate_text``, ``show_*`` ...) in this language.

        Each call is made with this report's language current, so cells run out of order,
        or two reports in one kernel, never show another report's language.
        """
        from cxresearch.reporting import display, notes, tables, texts, themes

        return i18n.InLanguage(self.t, tables, themes, texts, display, notes)

    @property
    def plots(self) -> i18n.InLanguage:
        """The chart functions of :mod:`cxresearch.reporting.plots` in this language."""
        from cxresearch.reporting import plots

        return i18n.InLanguage(self.t, plots)

    @property
    def segment(self) -> list[str]:
        """The segments the report is filtered to (empty: all)."""
        return list(self.filters["segment"])

    @property
    def country(self) -> list[str]:
        """The countries the report is filtered to (empty: all)."""
        return list(self.filters["country"])


def setup(
    language: str = "en",
    *,
    period: tuple | None = None,
    segment: Sequence[str] | None = None,
    country: Sequence[str] | None = None,
) -> i18n.Language:
    """Start a report: set its language and theme, and tell the title block what it covers.

    Parameters
    ----------
    language
        Report language, one of :data:`cxresearch.reporting.i18n.LANGUAGES`.
    period
        ``(first day, last day)`` the report covers, if it covers a period.
    segment, country
        The segments and countries the report is filtered to (empty: all).

    Returns
    -------
    cxresearch.reporting.i18n.Language
        Use its ``tr`` to translate texts and its formatters for numbers and dates.
    """
    from cxresearch.reporting import plots

    language_ = i18n.use(language)
    plots.set_theme()
    scope = [*(segment or []), *(language_.country(c) for c in (country or []))]
    context = {
        "language": language,
        "period": language_.period(*period) if period else language_.tr("whole period"),
        "scope": ", ".join(scope) if scope else language_.tr("all customers"),
        "date": language_.date(dt.date.today()),
        # the index and the footer say the period in their own words
        "period_start": str(period[0]) if period else None,
        "period_end": str(period[1]) if period else None,
    }
    # JupyterLab shows the empty text/plain; the renderer reads the context and drops it
    display({CONTEXT_MIME: context, "text/plain": ""}, raw=True)
    return language_


def _listed(value: Any) -> list:
    if value is None or value == "":
        return []
    return [value] if isinstance(value, str | int) else list(value)


def start(
    params: Mapping[str, Any],
    *,
    period: Literal["responses", "recent", "data"] = "responses",
    needs: Sequence[str] = ("responses",),
) -> Context:
    """Open a report from its parameters: connect, filter, set language and title block.

    Parameters
    ----------
    params
        The notebook's parameters, usually ``globals()`` of the notebook.
    period
        What the report covers when ``period_start`` and ``period_end`` are empty:
        ``"responses"`` the first to last response under the filters, ``"recent"`` the last
        three whole months with responses (:func:`cxresearch.data.db.recent_period`),
        ``"data"`` the whole span of the data (:func:`cxresearch.data.db.data_period`).
    needs
        The tables the report cannot do without. When one holds no rows (responses: none
        under the filters), the report says what is missing and what to import, and the
        notebook's later code cells are skipped (:func:`stop`): a report, not a crash.

    Returns
    -------
    Context
    """
    _autoreload()
    con = db.connect(params.get("database") or None)
    start_, end_ = params.get("period_start") or None, params.get("period_end") or None
    segment, country = _listed(params.get("segment")), _listed(params.get("country"))
    filters = {"start": start_, "end": end_, "segment": segment, "country": country}
    missing = _missing(con, needs, filters)
    if start_ and end_:
        covered = (dt.date.fromisoformat(str(start_)), dt.date.fromisoformat(str(end_)))
    elif missing:
        covered = None
    elif period == "recent":
        covered = db.recent_period(con)
    elif period == "data":
        covered = db.data_period(con)
    else:
        covered = db.response_period(con, **filters)
    language = str(params.get("language") or config.LANGUAGES[0])
    t = setup(language, period=covered, segment=segment, country=country)
    if missing:
        stop(_missing_text(t, missing, filtered=bool(start_ or end_ or segment or country)))
        # the rest of the opening cell may still unpack the period; later cells are skipped
        covered = covered or (dt.date.today(), dt.date.today())
    opts = {
        "weights": params.get("weights") or None,
        "min_n": int(params.get("min_n") or config.DEFAULT_MIN_N),
    }
    return Context(con=con, t=t, period=covered, filters=filters, opts=opts)


def _what(t: i18n.Language, table: str) -> str:
    """What a table holds, in the report's language."""
    return {
        "responses": t.tr("survey responses"),
        "comments": t.tr("survey comments"),
        "nps": t.tr("recommend scores (0-10)"),
        "customers": t.tr("customer records"),
        "spend": t.tr("spend records"),
        "ratings": t.tr("attribute ratings"),
        "interactions": t.tr("service interactions"),
        "agent_satisfaction": t.tr("agent ratings"),
    }.get(table, table)


def _missing(con: ibis.BaseBackend, needs: Sequence[str], filters: Mapping[str, Any]) -> list:
    """The needed tables that are absent or hold no rows (responses: under the filters)."""
    present = None  # the catalogue is read only when the summary cannot tell (about 28 ms)
    missing = []
    for name in needs:
        if name in ("responses", "nps") and summary.has_responses(
            con, filters, scored="nps" if name == "nps" else None
        ):
            continue  # the per-day summary holds some: the table exists, no row query
        if present is None:
            present = set(con.list_tables())
        if (name if name not in ("comments", "nps") else "responses") not in present:
            missing.append(name)
            continue
        if name == "responses":
            rows = db.read_responses(con, **filters)
        elif name == "comments":
            rows = db.read_comments(con, **filters)
        elif name == "nps":
            rows = db.read_responses(con, **filters)
            rows = rows.filter(rows.nps.notnull())
        else:
            rows = con.table(name)
        if int(rows.limit(1).count().to_pandas()) == 0:
            missing.append(name)
    return missing


def _missing_text(t: i18n.Language, missing: Sequence[str], *, filtered: bool) -> str:
    what = format_list([_what(t, name) for name in missing], locale=t.locale)
    if filtered:
        return t.tr(
            "This report needs {what}, and the database holds none for these filters. "
            "Widen the filters, or import the data with cxresearch import (docs/import.md).",
            what=what,
        )
    return t.tr(
        "This report needs {what}, and the database holds none. Import them with "
        "cxresearch import (docs/import.md) and render the report again.",
        what=what,
    )


def _autoreload() -> None:
    """In an interactive session, pick up edits to the package without a restart."""
    if os.environ.get(RUN_ENV):
        return
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython comes with ipykernel
        return
    shell = get_ipython()
    if shell is None or "autoreload" in shell.extension_manager.loaded:
        return
    shell.run_line_magic("load_ext", "autoreload")
    shell.run_line_magic("autoreload", "2")
