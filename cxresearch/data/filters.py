"""Filters shared by the table readers: dates, inclusive of both ends, and lists of codes."""

from __future__ import annotations

import datetime as dt

import ibis
import ibis.expr.types as ir


def as_date(value: str | dt.date) -> dt.date:
    """``value`` as a date (an ISO string, a date or a datetime)."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise ValueError(f"expected a date as YYYY-MM-DD, got {value!r}") from None


def date_literal(value: dt.date) -> ir.DateScalar:
    """A date literal every engine reads: ``CAST('2026-03-01' AS DATE)``.

    Ibis compiles ``ibis.literal(date)`` to a date-from-parts call that PostgreSQL lacks.
    """
    return ibis.literal(value.isoformat()).cast("date")


def filter_dates(t: ir.Table, column: str, start, end) -> ir.Table:
    """Keep rows whose ``column`` lies from ``start`` to ``end``, both days included."""
    col = t[column]
    if start:
        t = t.filter(col >= date_literal(as_date(start)).cast(col.type()))
    if end:
        # inclusive end date: everything before the next day
        nxt = as_date(end) + dt.timedelta(days=1)
        t = t.filter(col < date_literal(nxt).cast(col.type()))
    return t


def filter_in(t: ir.Table, column: str, values) -> ir.Table:
    """Keep rows whose ``column`` is one of ``values`` (a single value or a list; empty: all)."""
    if not values:
        return t
    if isinstance(values, str):
        values = [values]
    return t.filter(t[column].isin(list(values)))
