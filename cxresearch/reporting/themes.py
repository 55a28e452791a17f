"""How the comments report shows comment themes: one table for every theme comparison."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from cxresearch.reporting import i18n, tables


def theme_table(
    found: pd.DataFrame,
    by: Mapping[str, str] | None = None,
    *,
    language: i18n.Language | None = None,
) -> tables.Table:
    """The themes detractors and promoters mention, as a report table.

    Parameters
    ----------
    found
        :func:`cxresearch.stats.comments.detractor_themes` output (or some of its rows).
    by
        Group columns that label the rows, mapped to their (translated) headings, as in
        :func:`cxresearch.reporting.tables.table`.
    language
        The report language; default the one :func:`cxresearch.reporting.report.setup` set.

    Returns
    -------
    cxresearch.reporting.tables.Table
        Theme; difference in percentage points with its interval; detractor and promoter
        shares (%); their comment counts; the adjusted p value; and whether the theme is
        over-represented among detractors. Show it with ``report.show_table``.
    """
    t = language or i18n.current()
    return (
        tables.table(found, by, language=t)
        .fmt_label("theme", t.tr("Theme"))
        .fmt_number("difference", t.tr("Difference"), scale=100, decimals=1, signed=True, key=True)
        .fmt_interval(scale=100, decimals=1, signed=True)
        .fmt_number("share_detractors", t.tr("Detractors (%)"), scale=100, decimals=1)
        .fmt_number("share_promoters", t.tr("Promoters (%)"), scale=100, decimals=1)
        .fmt_n(["n_detractors", "n_promoters"], t.tr("n (det. / prom.)"))
        .fmt_p()
        .fmt_flag("over_represented", t.tr("Over-represented"))
    )
