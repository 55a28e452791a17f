"""The rows of the per-day summary, computed from the responses in one SQL statement.

Both measures come from one pass: ``responses`` joined once with ``customers`` and grouped
by two grouping sets, the ``nps`` rows by recommend score and answer, the ``csat`` rows by
rating and scale. The same rows as the per-measure queries the summary's readers run when a
database has no summary (``tests/test_summary.py`` compares them with the rows).
"""

from __future__ import annotations

#: The columns :func:`rows_sql` fills, in its order.
NAMES = ("day", "segment", "country", "touchpoint", "language", "survey_id", "measure", "score",
         "scale_min", "scale_max", "recommended", "n", "sum_w", "sum_w2")  # fmt: skip

#: What a summary row is grouped by besides its measure's keys.
DIMS = ("CAST(r.responded_at AS DATE)", "c.segment", "c.country", "r.touchpoint", "r.language",
        "r.survey_id")  # fmt: skip


def rows_sql(where: str = "TRUE") -> str:
    """``(columns) SELECT ...``: the summary rows of the responses ``r`` that match ``where``.

    Summary rows add up (every query sums ``n``, ``sum_w`` and ``sum_w2``), so the rows of
    newly written responses may be appended to a summary of the others.
    """
    nps = "GROUPING(r.csat) = 1"  # a row of the nps grouping set
    w = "CAST(r.weight AS DOUBLE PRECISION)"
    dims = ", ".join(DIMS)
    return (
        f"({', '.join(NAMES)}) SELECT {dims}, CASE WHEN {nps} THEN 'nps' ELSE 'csat' END, "
        f"CAST(CASE WHEN {nps} THEN r.nps ELSE r.csat END AS INTEGER), "
        "CAST(r.csat_min AS INTEGER), CAST(r.csat_max AS INTEGER), r.recommended_last_12m, "
        f"count(*), sum({w}), sum({w} * {w}) "
        "FROM responses r LEFT JOIN customers c ON r.customer_id = c.customer_id "
        f"WHERE {where} GROUP BY GROUPING SETS (({dims}, r.nps, r.recommended_last_12m), "
        f"({dims}, r.csat, r.csat_min, r.csat_max)) "
        f"HAVING CASE WHEN {nps} THEN r.nps IS NOT NULL ELSE r.csat IS NOT NULL END"
    )
