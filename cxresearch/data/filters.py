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
    found = origin(t) if column == "responded_at" else None
    col = t[column]
    kept = []
    if start:
        kept.append(col >= date_literal(as_date(start)).cast(col.type()))
    if end:
        # inclusive end date: everything before the next day
        nxt = as_date(end) + dt.timedelta(days=1)
        kept.append(col < date_literal(nxt).cast(col.type()))
    if kept:  # one filter of both bounds (each Ibis filter costs a few milliseconds)
        t = t.filter(*kept)
    if found is not None:
        note_origin(t, _narrowed(found, start, end))
    return t


def filter_in(t: ir.Table, column: str, values) -> ir.Table:
    """Keep rows whose ``column`` is one of ``values`` (a single value or a list; empty: all)."""
    if not values:
        return t
    if isinstance(values, str):
        values = [values]
    return t.filter(t[column].isin(list(values)))


#: Where a responses expression came from: ``(backend, start, end, segment, country)`` per
#: expression, so that a metric can answer it from the per-day summary table
#: (:mod:`cxresearch.data.summary`). Keyed by the expression's operation (structural
#: equality: two reads with the same filters share an entry); a small bounded memo.
_ORIGINS: dict = {}
_MAX_ORIGINS = 512


def note_origin(t: ir.Table, origin: tuple) -> ir.Table:
    """Remember that ``t`` holds the responses described by ``origin``; return ``t``."""
    if len(_ORIGINS) >= _MAX_ORIGINS:
        _ORIGINS.pop(next(iter(_ORIGINS)))
    _ORIGINS[t.op()] = origin
    return t


def origin(t: ir.Table) -> tuple | None:
    """``(backend, start, end, segment, country)`` of a responses read, else ``None``."""
    try:
        return _ORIGINS.get(t.op())
    except TypeError:  # pragma: no cover - an unhashable operation
        return None


def _narrowed(found: tuple, start, end) -> tuple:
    """``found`` with its date range intersected with ``start``-``end``."""
    backend, first, last, segment, country = found
    if start:
        first = max(as_date(start), first) if first else as_date(start)
    if end:
        last = min(as_date(end), last) if last else as_date(end)
    return backend, first, last, segment, country
