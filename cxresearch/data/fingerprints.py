"""A short fingerprint of the survey data's content, to tell when reports are out of date."""

from __future__ import annotations

import hashlib
import json

import ibis

from cxresearch.data import db
from cxresearch.data.schema import TABLES


def fingerprint(con: ibis.BaseBackend) -> str:
    """Return a short fingerprint of the survey data's content.

    For each table the engine computes the row count and the sum, minimum and maximum
    of every numeric and date column; the fingerprint is the first 12 hex digits of the
    SHA-256 of those figures. It changes when rows are added, removed or edited in any
    of those columns, and costs one aggregate query per table.

    Returns
    -------
    str
        12 hexadecimal digits.
    """
    summary: dict[str, list] = {}
    for name in TABLES:
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
    blob = json.dumps(summary, sort_keys=True).encode()
    return hashlib.sha256(blob).hexdigest()[:12]


def fingerprint_url(url: str | None = None) -> str:
    """Connect to the database at ``url``, return its :func:`fingerprint` and disconnect."""
    con = db.connect(url)
    try:
        return fingerprint(con)
    finally:
        con.disconnect()


def _stable(value) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return "null"
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)
