"""First-use work done once, before any report: every forked kernel then starts warm.

The first chart, the first formatted number in a language, the first Ibis expression
compiled and the first pandas merge of a process each pay for loading data and filling
caches (the trend chart's text metrics, matplotlib's fonts and text metrics, Babel's
locale data, the message catalogues, sqlglot's dialect tables, pandas' lazily imported
code). :func:`warm` does such work on
made-up data, so that a process that forks report kernels (the fork server) pays once
and every kernel inherits the result.

It opens no database connection, starts no thread, reads no file outside the installed
packages and the message catalogues, and leaves no state a report could see: matplotlib's
settings are restored, charts get their own id prefix (the page's chart numbering is not
advanced), and the report language stays as it was.
"""

from __future__ import annotations

import datetime as dt
import functools
import sys
from collections.abc import Callable, Sequence

import ibis
import pandas as pd

from cxresearch.config import LANGUAGES
from cxresearch.data import summary
from cxresearch.reporting import i18n, plots, svg, tables
from cxresearch.stats import compare

#: The id prefix of the charts :func:`warm` draws (never shown).
PREFIX = "cx-warmup-"


def _metric_table(groups: list, column: str) -> pd.DataFrame:
    """A made-up metric table, one row per group, as the metrics return them."""
    k = len(groups)
    estimate = [0.1 + 0.05 * i for i in range(k)]
    return pd.DataFrame({
        column: groups, "metric": "nps", "estimate": estimate,
        "ci_low": [e - 0.08 for e in estimate], "ci_high": [e + 0.08 for e in estimate],
        "std_error": 0.04, "n": [400 + 10 * i for i in range(k)], "confidence": 0.95,
        "suppressed": False,
    })  # fmt: skip


def _chart(which: str) -> None:
    """Draw a monthly trend as SVG (``"trend"``) or a matplotlib chart through the SVG path.

    The trend (:func:`cxresearch.reporting.plots.trend_chart`) needs no matplotlib; the
    other charts of the reports do (a bar-like chart warms their fonts and layout).
    """
    if which == "trend":
        months = list(pd.date_range("2026-01-01", periods=6, freq="MS"))
        table = pd.concat([_metric_table(months, "month").assign(segment=s)
                           for s in ("B2B", "B2C")])  # fmt: skip
        plots.trend_chart(table, "month", label="NPS", target=0.3, hue="segment").to_html(
            "warm-up", prefix=PREFIX
        )
        return
    import matplotlib as mpl
    from matplotlib.figure import Figure

    with mpl.rc_context():  # the theme and anything else set here is undone on exit
        plots.set_theme()
        # a figure of its own, outside pyplot: no backend is chosen, none registered
        fig = Figure()
        plots.plot_estimates(_metric_table(["SE", "DK", "FI"], "country"), "country",
                             label="NPS", ax=fig.add_subplot())  # fmt: skip
        svg.figure_html(fig, "warm-up", prefix=PREFIX)


def _language(code: str) -> None:
    """Format numbers, dates, countries and a table in one report language."""
    changes = compare.difference(
        _metric_table(["SE", "DK", "FI"], "country"),
        _metric_table(["SE", "DK", "FI"], "country"), on="country",
    )  # fmt: skip
    estimates = _metric_table(["SE", "DK", "FI"], "country")
    language = i18n.Language(code)
    with i18n.using(language):  # the report's language is restored afterwards
        language.number(1234.5, 1)
        language.signed(-3.25, 1)
        language.percent(0.325, 1)
        language.money(1234.5)
        language.date(dt.date(2026, 3, 1))
        language.month(dt.date(2026, 3, 1))
        language.period(dt.date(2026, 1, 1), dt.date(2026, 3, 31))
        language.country("SE")
        i18n.plural_catalogue(code)  # what ntr reads
        tables.table(changes, {"country": "country"}, language=language).fmt_change()
        tables.table(estimates, {"country": "country"}, language=language).fmt_estimate(
            "NPS"
        ).to_html("warm-up")


def _ibis() -> None:
    """Build and compile (never run) queries like the reports', on unbound tables."""
    ibis.duckdb  # noqa: B018 - loads the default backend's module; connects nowhere
    responses = ibis.table(
        {"response_id": "int64", "customer_id": "string", "responded_at": "timestamp",
         "touchpoint": "string", "nps": "int64", "csat": "int64", "weight": "float64"},
        name="responses",
    )  # fmt: skip
    customers = ibis.table(
        {"customer_id": "string", "segment": "string", "country": "string"}, name="customers"
    )
    c = customers.select("segment", "country", _customer=customers.customer_id)
    t = responses.left_join(c, responses.customer_id == c._customer).drop("_customer")
    t = t.filter(
        (t.responded_at >= ibis.date(2026, 1, 1).cast("timestamp")) & t.country.isin(["SE"])
    )
    t = t.mutate(month=t.responded_at.truncate("M").cast("date"))
    marked = summary.with_periods(
        t, "responded_at", (dt.date(2026, 4, 1), dt.date(2026, 6, 30)),
        (dt.date(2026, 1, 1), dt.date(2026, 3, 31)),
    )  # fmt: skip
    for table in (t, marked):
        grouped = table.group_by(["month", "touchpoint"]).aggregate(
            n=table.count(),
            promoters=(table.nps >= 9).sum(),
            detractors=(table.nps <= 6).sum(),
            w=table.weight.sum(),
        )
        ibis.to_sql(grouped.order_by("month"), dialect="duckdb")


def steps(languages: Sequence[str] = LANGUAGES) -> list[Callable[[], None]]:
    """The first-use work of a report in small steps (each 0.1 s or less of CPU).

    A fork server that waits for its first request (``cxresearch run``) does them one by
    one while no request is waiting, and stops at the first that comes. A matplotlib chart
    is warmed only in a process that has imported matplotlib: a server for a report that
    never draws with it does not import it (about 0.5 s) for the warm-up.

    ``languages`` are the report languages to warm, the most likely first (a batch names
    those of its reports); by default all, English first.
    """
    first, *others = list(languages) or list(LANGUAGES[:1])
    charts = ["trend", "bars"] if "matplotlib" in sys.modules else ["trend"]
    return [
        functools.partial(_language, first),
        _ibis,
        *(functools.partial(_chart, which) for which in charts),
        *(functools.partial(_language, code) for code in others),
    ]


def warm(languages: Sequence[str] = LANGUAGES) -> None:
    """Do the first-use work of a report now: charts, languages, Ibis, pandas.

    Safe in a process that will fork: it starts no thread and opens no connection.
    Nothing it does changes what a report shows (see the module notes). ``languages``:
    as for :func:`steps`.
    """
    for step in steps(languages):
        step()
