"""The SQL of the per-day summary's readers: filters, groups and one grouped query.

:mod:`cxresearch.data.summary` decides whether a metric can be answered from the summary
and runs what this module writes. Every column is read through the alias ``s``: the
summary's cells (:data:`summaryrows.CELLS`, or :data:`summaryrows.MONTHS` when every
date bound falls on a month's edge), or, for a database without a summary, the same
labelled rows computed from the responses (:func:`per_measure`).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence

from cxresearch.data import summaryrows
from cxresearch.data.periods import PERIOD

#: Summary columns an aggregate may read besides the sums (``n``, ``sum_w``, ``sum_w2``).
CELL = ("score", "scale_min", "scale_max", "recommended")
#: The labels behind each code of the summary's cells, and the alias of their table.
CODED = {
    "who": ("w", summaryrows.WHO, ("segment", "country")),
    "how": ("h", summaryrows.HOW, ("touchpoint", "language", "survey_id")),
}


def per_measure(measure: str, *, scales: bool = True) -> str:
    """The labelled summary rows of one measure (:data:`summaryrows.LABELS`), from rows (SQL).

    For a database without a summary. ``scales=False`` reads a ``responses`` table without
    ``csat_min``/``csat_max`` (written by an older version, or by a team's own loader):
    every rating on the default scale.
    """
    none, said = "CAST(NULL AS INTEGER)", summaryrows.ANSWER
    scale = ["r.csat_min", "r.csat_max"] if scales else []
    cols, keys = {
        "nps": (["r.nps", none, none, said], ["r.nps", said]),
        "csat": (["r.csat", *(scale or [none, none]), "CAST(NULL AS SMALLINT)"],
                 ["r.csat", *scale]),
    }[measure]  # fmt: skip
    w = "CAST(r.weight AS DOUBLE PRECISION)"
    select = ", ".join(
        [*summaryrows.DIMS, str(summaryrows.MEASURES[measure]),
         *(f"CAST({c} AS INTEGER)" if i < 3 else c for i, c in enumerate(cols))]
    )  # fmt: skip
    rows = (
        f"SELECT {select}, count(*), sum({w}), sum({w} * {w}) "
        "FROM responses r LEFT JOIN customers c ON r.customer_id = c.customer_id "
        f"WHERE r.{measure} IS NOT NULL GROUP BY {', '.join([*summaryrows.DIMS, *keys])}"
    )
    return f"(SELECT * FROM ({rows}) AS s0 ({', '.join(summaryrows.LABELS)})) AS s"


def quote(value) -> str:
    """A SQL string literal."""
    return "'" + str(value).replace("'", "''") + "'"


def between(first: dt.date | None, last: dt.date | None) -> list[str]:
    """SQL conditions keeping the days from ``first`` to ``last``, both included."""
    out = []
    if first:
        out.append(f"s.day >= DATE '{first.isoformat()}'")
    if last:
        out.append(f"s.day < DATE '{(last + dt.timedelta(days=1)).isoformat()}'")
    return out


def table(found: tuple) -> str:
    """The summary table for ``found``'s dates, as ``s``.

    The months when every bound is a month's first or last day (or open), else the days.
    """
    bounds = [found[1:3], *(found[5] if len(found) > 5 else ())]
    whole = all(
        (first is None or first.day == 1)
        and (last is None or (last + dt.timedelta(days=1)).day == 1)
        for first, last in bounds
    )
    return f"{summaryrows.MONTHS if whole else summaryrows.CELLS} s"


def where(found: tuple, measure: str | None, *, coded: bool = True) -> list[str]:
    """SQL conditions of ``found``'s filters, over the summary's cells or labelled rows.

    In the cells (``coded``) customer groups are codes of :data:`summaryrows.WHO`.
    """
    _, start, end, segment, country = found[:5]
    code = summaryrows.MEASURES.get(measure or "")
    out = [f"s.measure = {code}" if code else "TRUE", *between(start, end)]
    if len(found) > 5:
        a, b = (" AND ".join(between(*p)) or "TRUE" for p in found[5])
        out.append(f"(({a}) OR ({b}))")
    labels = [
        f"{column} IN ({', '.join(quote(v) for v in values)})"
        for column, values in (("segment", segment), ("country", country)) if values
    ]  # fmt: skip
    if labels and coded:
        out.append(f"s.who IN (SELECT who FROM {summaryrows.WHO} WHERE {' AND '.join(labels)})")
    elif labels:
        out += [f"s.{label}" for label in labels]
    return out


def group_sql(column: str, found: tuple) -> str:
    """SQL of a grouping column over ``s``."""
    if column == PERIOD:
        first = " AND ".join(between(*found[5][0])) or "TRUE"
        return f"CASE WHEN {first} THEN 'a' ELSE 'b' END"
    if column == "month":
        return "(s.day - CAST(EXTRACT(DAY FROM s.day) - 1 AS INTEGER))"
    return f"s.{column}"


def labelled(columns: Sequence[str] = ()) -> str:
    """The summary's days as ``s``, with the labels of those of ``columns`` it codes."""
    return f"({summaryrows.decoded_sql(set(columns))}) AS s"


def grouped_sql(
    found: tuple, measure: str, by: Sequence[str], aggregates: dict[str, str], *,
    summary: bool, scales: bool = True,
) -> str:  # fmt: skip
    """One grouped query: ``[*by, *aggregates]``, one row per group.

    Over the summary (``summary``) the cells are grouped by the labels of their codes
    directly: the months hold few rows, and the days' codes are joined once per row.
    Over the responses (a database without a summary) rows are first summed per group and
    per cell the aggregates read, so ``CASE`` runs once per cell.
    """
    outputs = [f"{a} AS {name}" for name, a in aggregates.items()]
    if summary:
        labels, joins = {}, ""
        for code, (alias, name, names) in CODED.items():
            if any(c in names for c in by):
                labels.update({c: f"{alias}.{c}" for c in by if c in names})
                joins += f" LEFT JOIN {name} {alias} ON s.{code} = {alias}.{code}"
        # the cells hold each day's month: no date arithmetic per row
        labels.update({c: "s.month" if c == "month" else group_sql(c, found)
                       for c in by if c not in labels})  # fmt: skip
        sql = (
            f"SELECT {', '.join([*(f'{labels[c]} AS {c}' for c in by), *outputs])} "
            f"FROM {table(found)}{joins} WHERE {' AND '.join(where(found, measure))}"
        )
        return sql + (f" GROUP BY {', '.join(labels[c] for c in by)}" if by else "")
    text = " ".join(aggregates.values())
    read = [c for c in (*CELL, "n", "sum_w", "sum_w2") if re.search(rf"\b{c}\b", text)]
    cells = [c for c in CELL if c not in by and c in read]
    keys = [group_sql(c, found) for c in by]
    inner = [f"{k} AS {c}" for k, c in zip(keys, by, strict=True)] + cells
    inner += [f"sum({c}) AS {c}" for c in ("n", "sum_w", "sum_w2") if c in read]
    groups = f" GROUP BY {', '.join([*keys, *cells])}" if keys or cells else ""
    sql = (
        f"SELECT {', '.join([*by, *outputs])} "
        f"FROM (SELECT {', '.join(inner)} FROM {per_measure(measure, scales=scales)} "
        f"WHERE {' AND '.join(where(found, measure, coded=False))}{groups}) AS c"
    )
    return sql + (f" GROUP BY {', '.join(by)}" if by else "")
