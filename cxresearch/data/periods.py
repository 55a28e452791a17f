"""Two periods in one expression: each response marked as the current or the earlier one.

A comparison of two periods (:func:`cxresearch.stats.compare.change`) asks its metric for
both at once, grouped by :data:`PERIOD`; through the per-day summary
(:mod:`cxresearch.data.summary`) that is one query.
"""

from __future__ import annotations

import datetime as dt

import ibis
import ibis.expr.types as ir

from cxresearch.data.filters import as_date, date_literal, note_origin, origin

#: The column :func:`with_periods` adds: ``"a"`` for the current period, ``"b"`` the earlier.
PERIOD = "_period"

#: Recent :func:`with_periods` results by (operation, column, periods): a report compares
#: the same two periods for several metrics and groupings, and building the expression is
#: most of the cost of asking the summary. Expressions are immutable; a small bounded memo.
_MARKED: dict = {}
_MAX_MARKED = 64


def with_periods(t: ir.Table, column: str, current: tuple, previous: tuple) -> ir.Table | None:
    """``t`` cut to two periods, each row marked ``a`` (current) or ``b`` in :data:`PERIOD`.

    One grouped query then gives a metric for both periods (through the summary when ``t``
    fits it, else through Ibis). ``None`` when the periods overlap (a row would belong to
    both) or ``t`` has no such column.
    """
    if column not in t.columns:
        return None
    (a0, a1), (b0, b1) = ((as_date(x), as_date(y)) for x, y in (current, previous))
    if a0 <= b1 and b0 <= a1:
        return None
    key = (t.op(), column, a0, a1, b0, b1)
    out = _MARKED.get(key)
    if out is None:
        col = t[column]

        def inside(first: dt.date, last: dt.date) -> ir.BooleanValue:
            nxt = last + dt.timedelta(days=1)
            return (col >= date_literal(first).cast(col.type())) & (
                col < date_literal(nxt).cast(col.type())
            )

        in_a = inside(a0, a1)
        out = t.filter(in_a | inside(b0, b1)).mutate(**{PERIOD: ibis.ifelse(in_a, "a", "b")})
        if len(_MARKED) >= _MAX_MARKED:
            _MARKED.pop(next(iter(_MARKED)))
        _MARKED[key] = out
    found = origin(t)
    if found is not None and column == "responded_at":
        note_origin(out, (*found[:5], ((a0, a1), (b0, b1))))
    return out
