"""A short fingerprint of the survey data's content, to tell when reports are out of date."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any

from cxresearch.data.tablenames import TABLE_NAMES
from cxresearch.data.urls import database_url, duckdb_path

#: DuckDB column types whose values are summed (as DOUBLE) and whose extremes are kept.
_NUMERIC = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT",
            "UINTEGER", "UBIGINT", "FLOAT", "REAL", "DOUBLE", "DECIMAL")  # fmt: skip
#: DuckDB column types whose extremes are kept.
_TEMPORAL = ("DATE", "TIME", "TIMESTAMP")


def fingerprint(con: Any) -> str:
    """Return a short fingerprint of the survey data's content.

    For each table the engine computes the row count and the sum, minimum and maximum
    of every numeric and date column; the fingerprint is the first 12 hex digits of the
    SHA-256 of those figures. It changes when rows are added, removed or edited in any
    of those columns, and costs one aggregate query per table.

    Parameters
    ----------
    con
        An Ibis backend. On DuckDB the queries go straight to its own connection, as
        :func:`fingerprint_url` does on a DuckDB file, so both give the same digits.

    Returns
    -------
    str
        12 hexadecimal digits.
    """
    if getattr(con, "name", "") == "duckdb":
        return _duckdb(con.con)
    summary: dict[str, list] = {}
    for name in TABLE_NAMES:
        if name not in con.list_tables():
            continue
        t = con.table(name)
        aggs = {"n": t.count()}
        for col, typ in t.schema().items():
            if typ.is_numeric() and not typ.is_boolean():
                aggs[f"{col}_sum"] = t[col].cast("float64").sum()
            if typ.is_numeric() or typ.is_temporal():
                aggs[f"{col}_min"] = t[col].min()
                aggs[f"{col}_max"] = t[col].max()
        row = t.aggregate(**aggs).to_pandas().iloc[0]
        summary[name] = [_stable(v) for v in row.tolist()]
    return _digest(summary)


def fingerprint_url(url: str | None = None) -> str:
    """Connect to the database at ``url``, return its :func:`fingerprint` and disconnect.

    A DuckDB file is read through the ``duckdb`` module (read-only), in plain SQL: no Ibis
    expression is built or compiled in the ``cxresearch run`` process.
    """
    url = database_url(url)
    path = duckdb_path(url)
    if path is not None and path.exists():
        import duckdb

        try:
            raw = duckdb.connect(str(path), read_only=True)
        except duckdb.Error:
            pass  # told in one line by db.connect below
        else:
            try:
                return _duckdb(raw)
            finally:
                raw.close()
    from cxresearch.data import db

    con = db.connect(url)
    try:
        return fingerprint(con)
    finally:
        con.disconnect()


def _duckdb(raw) -> str:
    """:func:`fingerprint` over a ``duckdb`` connection, in plain SQL."""
    found = raw.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'"
    ).fetchall()
    tables = {row[0] for row in found}
    summary: dict[str, list] = {}
    for name in TABLE_NAMES:
        if name not in tables:
            continue
        aggs = ["count(*)"]
        for column, kind, *_ in raw.execute(f'DESCRIBE "{name}"').fetchall():
            quoted = '"' + column.replace('"', '""') + '"'
            numeric = kind.startswith(_NUMERIC)
            if numeric:
                aggs.append(f"sum(CAST({quoted} AS DOUBLE))")
            if numeric or kind.startswith(_TEMPORAL):
                aggs += [f"min({quoted})", f"max({quoted})"]
        row = raw.execute(f'SELECT {", ".join(aggs)} FROM "{name}"').fetchone()
        summary[name] = [_stable(v) for v in row]
    return _digest(summary)


def _digest(summary: dict[str, list]) -> str:
    blob = json.dumps(summary, sort_keys=True).encode()
    return hashlib.sha256(blob).hexdigest()[:12]


def _stable(value) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return "null"
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, dt.datetime):  # pandas' Timestamp too
        return value.isoformat()
    if isinstance(value, dt.date):  # DuckDB's own date; pandas gives a midnight Timestamp
        return dt.datetime.combine(value, dt.time()).isoformat()
    return str(value)
