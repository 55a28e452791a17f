"""Shared checks and helpers of the statistics modules (private to :mod:`cxresearch.stats`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd

from cxresearch.config import (
    DEFAULT_MIN_N,
    DEFAULT_SUPPRESS_BELOW,
    MAX_CI_WIDTH,
    MAX_RELATIVE_CI_WIDTH,
    RELATIVE_WIDTH_FROM,
)

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


def small_group_rules(
    table: pd.DataFrame,
    *,
    min_n: int = DEFAULT_MIN_N,
    suppress_below: int = DEFAULT_SUPPRESS_BELOW,
    value_range: float | None = 1.0,
    proportion: bool = True,
    n: str = "n",
    hide: Sequence[str] = (),
) -> pd.DataFrame:
    """Apply the package's one small-group rule to a table of estimates.

    Parameters
    ----------
    table
        One row per group with the count column ``n`` and, where present, ``effective_n``,
        ``estimate``, ``std_error``, ``ci_low`` and ``ci_high``.
    min_n
        Rows with a smaller effective n are flagged ``unreliable``.
    suppress_below
        Rows with fewer respondents are ``suppressed``.
    value_range
        Width of the metric's range (1 for a proportion, 2 for the NPS); an interval wider
        than 0.30 of it is flagged. ``None``: no absolute-width rule (ratios, money).
    proportion
        Whether the estimate is a proportion (or a proportion times a constant), so that
        the relative-width rule applies.
    n
        Name of the count column.
    hide
        Further columns blanked in suppressed rows (counts that would identify people).

    Returns
    -------
    pandas.DataFrame
        A copy of ``table`` with ``suppressed`` and ``unreliable`` set and, in suppressed
        rows, the estimate, its interval and the ``hide`` columns blanked; ``n`` stays.

    Notes
    -----
    ``suppressed``: n < ``suppress_below`` (:data:`cxresearch.config.DEFAULT_SUPPRESS_BELOW`).
    ``unreliable`` (not suppressed and any of): effective n < ``min_n``; interval width >
    :data:`~cxresearch.config.MAX_CI_WIDTH` x ``value_range``; for proportions, width >
    :data:`~cxresearch.config.RELATIVE_WIDTH_FROM` x ``value_range`` and width / estimate
    > :data:`~cxresearch.config.MAX_RELATIVE_CI_WIDTH`. These are the criteria of the NCHS
    Data Presentation Standards for Proportions (Parker et al. 2017, Vital Health Stat
    2(175)), which suppress where we flag: a CX table keeps the row and marks it.

    Examples
    --------
    3 of 40 (Wilson 2.6% to 19.9%: 230% of the estimate) is flagged:

    >>> t = pd.DataFrame({"n": [40], "estimate": [0.075], "ci_low": [0.0258],
    ...                   "ci_high": [0.1989]})
    >>> bool(small_group_rules(t)["unreliable"].iloc[0])
    True
    """
    out = table.copy()
    counts = pd.to_numeric(out[n], errors="coerce")
    eff = pd.to_numeric(out["effective_n"], errors="coerce") if "effective_n" in out else counts
    suppressed = (counts < suppress_below).fillna(True).astype(bool)
    unreliable = (eff < min_n).fillna(True).astype(bool)
    if {"ci_low", "ci_high"} <= set(out.columns):
        low = pd.to_numeric(out["ci_low"], errors="coerce").astype(float)
        high = pd.to_numeric(out["ci_high"], errors="coerce").astype(float)
        width = high - low
        if value_range is not None:
            unreliable |= (width > MAX_CI_WIDTH * value_range).fillna(False)
        if proportion:
            estimate = pd.to_numeric(out["estimate"], errors="coerce").astype(float).abs()
            with np.errstate(invalid="ignore", divide="ignore"):
                relative = width / estimate
            wide = width > RELATIVE_WIDTH_FROM * (value_range or 0.0)
            unreliable |= (wide & (relative > MAX_RELATIVE_CI_WIDTH)).fillna(False)
    out["suppressed"] = suppressed.to_numpy()
    out["unreliable"] = (~suppressed & unreliable).to_numpy()
    blank = [c for c in ("estimate", "std_error", "ci_low", "ci_high", *hide) if c in out]
    rows = suppressed.to_numpy()
    for col in blank if rows.any() else ():
        if pd.api.types.is_integer_dtype(out[col]):
            out[col] = out[col].astype("Int64")
        elif not pd.api.types.is_float_dtype(out[col]):
            out[col] = out[col].astype(object)
        out.loc[rows, col] = np.nan if pd.api.types.is_float_dtype(out[col]) else pd.NA
    return out


def finish(
    counts: pd.DataFrame,
    by: list[str],
    metric: str,
    values: tuple,
    confidence: float,
    min_n: int,
    extra: Sequence[str] = (),
    *,
    suppress_below: int = DEFAULT_SUPPRESS_BELOW,
    value_range: float | None = 1.0,
    proportion: bool = True,
    columns: Mapping[str, np.ndarray] | None = None,
    after: Mapping[str, np.ndarray] | None = None,
) -> pd.DataFrame:
    """A metric table from its counts and interval, with :func:`small_group_rules` applied.

    Built column by column as arrays and turned into one DataFrame at the end: the same
    table as ``small_group_rules`` on the assembled frame, without its per-column copies.
    ``columns`` holds arrays computed beside ``counts`` (``effective_n``, an ``extra``
    count), read before its own columns (adding them to ``counts`` would copy it);
    ``after`` float columns appended last, blanked (NaN) in suppressed rows.
    """
    columns = columns or {}

    def read(name: str) -> np.ndarray:
        return np.asarray(columns[name]) if name in columns else counts[name].to_numpy()

    estimate, se, low, high = (np.array(v, dtype=float) for v in values)
    n = counts["n"].to_numpy(dtype="int64")
    has_eff = "effective_n" in columns or "effective_n" in counts
    eff = read("effective_n").astype(float, copy=False) if has_eff else n
    suppressed = n < suppress_below
    with np.errstate(invalid="ignore", divide="ignore"):
        unreliable = eff < min_n
        width = high - low
        if value_range is not None:
            unreliable |= width > MAX_CI_WIDTH * value_range
        if proportion:
            relative = width / np.abs(estimate)
            wide = width > RELATIVE_WIDTH_FROM * (value_range or 0.0)
            unreliable |= wide & (relative > MAX_RELATIVE_CI_WIDTH)
    for column in (estimate, se, low, high):
        column[suppressed] = np.nan
    data = {c: counts[c].array for c in by}  # the columns' own types, by position
    data.update(metric=metric, n=n, effective_n=eff, estimate=estimate, std_error=se,
                ci_low=low, ci_high=high, confidence=float(confidence), suppressed=suppressed,
                unreliable=~suppressed & unreliable)  # fmt: skip
    for col in extra:  # as counts[col].astype(kind).mask(suppressed), without the Series
        kind = "Float64" if col.startswith("weighted_") else "Int64"
        values_ = pd.array(read(col), dtype=kind, copy=True)
        values_[suppressed] = pd.NA
        data[col] = values_
    for col, values_ in (after or {}).items():
        data[col] = np.where(suppressed, np.nan, np.asarray(values_, dtype=float))
    return pd.DataFrame(data, index=pd.RangeIndex(len(n)))


def weight_aggregates(t: ir.Table, weights: str | None) -> tuple[ir.Value, dict]:
    """The weight expression and the aggregates that give Kish's effective n."""
    if weights is None:
        w = ibis.literal(1.0)
        return w, {"n": t.count(), "sum_w": t.count().cast("float64"),
                   "sum_w2": t.count().cast("float64")}  # fmt: skip
    check_columns(t, [weights])
    w = t[weights].cast("float64")
    return w, {"n": t.count(), "sum_w": w.sum(), "sum_w2": (w * w).sum()}


def kish_n(counts: pd.DataFrame) -> pd.Series:
    with np.errstate(invalid="ignore", divide="ignore"):
        return counts["sum_w"] ** 2 / counts["sum_w2"]


def out_of_range(t: ir.Table, column: str, low: int, high: int) -> ir.Value:
    """Aggregate counting values outside ``[low, high]``, to add to the main query."""
    col = t[column]
    return (col.notnull() & ((col < low) | (col > high))).ifelse(1, 0).sum()


def check_range(t: ir.Table, column: str, low: int, high: int, invalid: int) -> None:
    """Raise if the main query counted invalid values (a second query finds examples)."""
    if not invalid:
        return
    col = t[column]
    bad = t.filter(col.notnull() & ((col < low) | (col > high)))
    found = bad.select(column).limit(3).to_pandas()[column].tolist()
    raise ValueError(f"column {column!r} must hold integers {low}-{high}; found {found}")
