"""Shared checks and helpers of the statistics modules (private to :mod:`cxresearch.stats`)."""

from __future__ import annotations

from collections.abc import Sequence

import ibis
import ibis.expr.types as ir
import pandas as pd

#: What the statistics functions accept as data: an Ibis table or a DataFrame.
TableLike = ir.Table | pd.DataFrame


def as_table(data: TableLike) -> ir.Table:
    """Return ``data`` as an Ibis table (a DataFrame becomes an in-memory table)."""
    if isinstance(data, ir.Table):
        return data
    if isinstance(data, pd.DataFrame):
        return ibis.memtable(data)
    raise TypeError(f"expected an Ibis table or a pandas DataFrame, got {type(data).__name__}")


def by_list(by: str | Sequence[str] | None) -> list[str]:
    """``by`` as a list of column names (``None``: no grouping)."""
    if by is None:
        return []
    return [by] if isinstance(by, str) else list(by)


def check_columns(t: ir.Table, columns: Sequence[str]) -> None:
    """Raise ``ValueError`` naming the columns ``t`` lacks."""
    missing = [c for c in columns if c not in t.columns]
    if missing:
        raise ValueError(f"column(s) {missing} not in the data; it has {list(t.columns)}")


def aggregate(t: ir.Table, by: list[str], **metrics) -> pd.DataFrame:
    """Aggregate ``t`` by ``by`` in the engine; one sorted row per group as pandas."""
    expr = t.group_by(by).aggregate(**metrics) if by else t.aggregate(**metrics)
    out = expr.to_pandas()
    if by:
        out = out.sort_values(by, ignore_index=True)
    return out
