"""Is a difference real? Differences between periods or groups, with multiplicity control.

Works on any metric table (NPS, CSAT, churn): the difference of two independent estimates
has standard error ``sqrt(se_a^2 + se_b^2)``; the z statistic gives a two-sided p value.
When many differences are read at once (every country, every segment), p values are
adjusted with Holm's method (family-wise error) or Benjamini-Hochberg (false discovery
rate) and the table says which.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

from cxresearch.config import DEFAULT_CONFIDENCE
from cxresearch.data import summary
from cxresearch.stats import intervals, metrics
from cxresearch.stats._utils import TableLike, by_list

ADJUSTMENTS = {"holm": "holm", "bh": "fdr_bh", "none": None}
#: The level at which an adjusted p value counts as significant, unless a call says another.
ALPHA = 0.05


def adjust_p(p_values, method: str = "holm") -> np.ndarray:
    """Adjust p values for multiple comparisons.

    Parameters
    ----------
    p_values
        Unadjusted p values (NaN allowed: left out of the family and returned as NaN).
    method
        ``"holm"`` (Holm 1979, controls the family-wise error rate), ``"bh"``
        (Benjamini-Hochberg 1995, controls the false discovery rate) or ``"none"``.

    Returns
    -------
    numpy.ndarray

    Notes
    -----
    With the ``m`` p values sorted ascending, ``p(1) <= ... <= p(m)``, Holm's adjusted
    value of ``p(i)`` is ``max over j <= i of min(1, (m - j + 1) p(j))`` and
    Benjamini-Hochberg's is ``min over j >= i of min(1, m p(j) / j)``, each put back in
    the original order (Holm 1979; Benjamini & Hochberg 1995, section 3). The same
    arithmetic as statsmodels' ``multipletests``
    (``holm``, ``fdr_bh``), without the garbage collection that function forces on
    every call.
    """
    if method not in ADJUSTMENTS:
        raise ValueError(f"method must be one of {list(ADJUSTMENTS)}, got {method!r}")
    p = np.asarray(p_values, dtype=float)
    out = p.copy()
    ok = ~np.isnan(p)
    if ADJUSTMENTS[method] and ok.any():
        out[ok] = _holm(p[ok]) if method == "holm" else _benjamini_hochberg(p[ok])
    return out


def _holm(p: np.ndarray) -> np.ndarray:
    """Holm (1979) step-down adjusted p values, in the input order."""
    order = np.argsort(p)
    m = len(p)
    stepped = np.maximum.accumulate((m - np.arange(m)) * p[order])
    adjusted = np.empty(m)
    adjusted[order] = np.minimum(stepped, 1.0)
    return adjusted


def _benjamini_hochberg(p: np.ndarray) -> np.ndarray:
    """Benjamini-Hochberg (1995) step-up adjusted p values, in the input order."""
    order = np.argsort(p)
    m = len(p)
    scaled = p[order] / (np.arange(1, m + 1) / m)
    stepped = np.minimum.accumulate(scaled[::-1])[::-1]
    adjusted = np.empty(m)
    adjusted[order] = np.minimum(stepped, 1.0)
    return adjusted


def difference(
    a: pd.DataFrame,
    b: pd.DataFrame,
    *,
    on: str | Sequence[str] | None = None,
    confidence: float = DEFAULT_CONFIDENCE,
    adjust: str = "holm",
    alpha: float = ALPHA,
) -> pd.DataFrame:
    """Differences ``a - b`` between two metric tables, row by row.

    Parameters
    ----------
    a, b
        Metric tables with ``estimate`` and ``std_error`` (the current and the earlier
        period, or two segments), matched on the ``on`` columns.
    on
        Columns that pair rows (such as ``"country"``); ``None``: one row each.
    confidence
        Level of the interval of the difference.
    adjust
        Multiplicity adjustment across the rows: ``"holm"``, ``"bh"`` or ``"none"``.
    alpha
        Level at which an adjusted p value counts as significant.

    Returns
    -------
    pandas.DataFrame
        ``[*on, metric, estimate_a, estimate_b, n_a, n_b, difference, std_error, ci_low,
        ci_high, statistic, p_value, p_adjusted, adjustment, significant]``.

    Notes
    -----
    For independent samples the variance of the difference is the sum of the variances.
    For the NPS this is the trinomial variance of each (Rocks 2016). When both tables
    carry ``centre`` (NPS tables do), the difference is that of the centres, so that one
    method gives the whole result: with ``method="adjusted_wald"`` the difference of the
    adjusted NPS (3/4 of a promoter and of a detractor added to 3 added respondents in
    each group) over the standard error of the adjusted shares, as Agresti and Caffo
    (2000) do for two proportions; ``estimate_a`` and ``estimate_b`` stay observed.
    """
    return _difference(a, b, by_list(on), None, confidence, adjust, alpha)


def _difference(
    a: pd.DataFrame,
    b: pd.DataFrame,
    keys: list[str],
    rows: tuple[np.ndarray, np.ndarray] | None,
    confidence: float,
    adjust: str,
    alpha: float,
) -> pd.DataFrame:
    """:func:`difference` of the rows ``rows`` of ``a`` and ``b`` (``None``: all rows)."""
    centred = "centre" in a.columns and "centre" in b.columns
    cols = [*keys, "metric", "estimate", "std_error", "n", *(["centre"] if centred else [])]
    merged = _matched(a, b, [*keys, "metric"], cols, rows)
    z = intervals.z_value(confidence)
    at = "centre" if centred else "estimate"
    diff = _floats(merged[f"{at}_a"]) - _floats(merged[f"{at}_b"])
    se = np.sqrt(_floats(merged["std_error_a"]) ** 2 + _floats(merged["std_error_b"]) ** 2)
    with np.errstate(invalid="ignore", divide="ignore"):
        statistic = diff / se
    p = intervals.two_sided_p(statistic)
    p_adjusted = adjust_p(p, adjust)
    # one frame built from its columns at once (not column by column: each insert copies)
    out = {c: merged[c] for c in (*keys, "metric", "estimate_a", "estimate_b", "n_a", "n_b")}
    out.update(
        difference=diff,
        std_error=se,
        ci_low=diff - z * se,
        ci_high=diff + z * se,
        statistic=statistic,
        p_value=p,
        p_adjusted=p_adjusted,
        adjustment=adjust,
        significant=p_adjusted < alpha,
    )
    return pd.DataFrame(out, index=pd.RangeIndex(len(diff)))


def _floats(values) -> np.ndarray:
    """A column as a float array (a blanked ``Float64`` cell becomes NaN)."""
    return np.asarray(values, dtype=float)


def _matched(
    a: pd.DataFrame,
    b: pd.DataFrame,
    on: list[str],
    cols: list[str],
    rows: tuple[np.ndarray, np.ndarray] | None = None,
) -> dict:
    """The rows of ``a`` and ``b`` that share their ``on`` values, as columns ``<col>_a/_b``.

    As ``a[cols].merge(b[cols], on=on, how="inner", suffixes=("_a", "_b"))`` (the rows in
    ``a``'s order), paired by position without building the merged frame; when a key is
    missing or repeats (where merge would pair missing keys or multiply rows), merge itself.
    ``rows``: the positions of the rows of ``a`` and of ``b`` to pair (``None``: all), so
    that two periods of one table are paired without copying each out of it.
    """
    ra, rb = rows if rows is not None else (np.arange(len(a)), np.arange(len(b)))

    def keys(frame: pd.DataFrame, at: np.ndarray) -> list[tuple]:
        values = [frame[c].tolist() for c in on]
        return [tuple(column[i] for column in values) for i in at]

    key_a, key_b = keys(a, ra), keys(b, rb)
    where = {key: i for i, key in enumerate(key_b)}
    if (
        len(where) < len(key_b)
        or len(set(key_a)) < len(key_a)
        or any(pd.isna(v) for key in (*key_a, *key_b) for v in key)
    ):
        left, right = (a, b) if rows is None else (a.iloc[ra], b.iloc[rb])
        merged = left[cols].merge(right[cols], on=on, suffixes=("_a", "_b"), how="inner")
        return {c: merged[c] for c in merged.columns}
    pairs = [(i, where[key]) for i, key in enumerate(key_a) if key in where]
    ia = np.array([ra[i] for i, _ in pairs], dtype=np.intp)
    ib = np.array([rb[j] for _, j in pairs], dtype=np.intp)
    out = {c: a[c].array.take(ia) for c in on}
    for c in cols:
        if c not in on:
            out[f"{c}_a"] = a[c].array.take(ia)
            out[f"{c}_b"] = b[c].array.take(ib)
    return out


def change(
    metric: Callable[..., pd.DataFrame],
    data: TableLike,
    *,
    current: tuple[str | dt.date, str | dt.date],
    previous: tuple[str | dt.date, str | dt.date],
    date_column: str = "responded_at",
    by: str | Sequence[str] | None = None,
    adjust: str = "holm",
    **metric_options,
) -> pd.DataFrame:
    """A metric in the current period against an earlier one, per group, tested.

    Parameters
    ----------
    metric
        A metric function such as :func:`cxresearch.stats.metrics.nps`.
    data
        Responses (an Ibis table or DataFrame).
    current, previous
        ``(first day, last day)`` of each period, inclusive.
    date_column
        Column the periods refer to.
    by
        Grouping column(s): one comparison per group, adjusted together.
    adjust
        ``"holm"``, ``"bh"`` or ``"none"``.
    **metric_options
        Passed to ``metric`` (``weights=``, ``method=``, ``min_n=`` ...).

    Returns
    -------
    pandas.DataFrame
        As :func:`difference`, with ``a`` the current and ``b`` the previous period.
    """
    from cxresearch.data.db import filter_dates
    from cxresearch.stats._utils import as_table

    t = as_table(data)
    keys = by_list(by)
    both = None
    if metric in (metrics.nps, metrics.csat):  # both periods in one grouped query
        marked = summary.with_periods(t, date_column, current, previous)
        if marked is not None:
            both = metric(marked, by=[*keys, summary.PERIOD], **metric_options)
    if both is not None and (keys or set(both[summary.PERIOD]) == {"a", "b"}):
        period = both[summary.PERIOD].to_numpy()  # the periods' rows, paired in place
        rows = (np.flatnonzero(period == "a"), np.flatnonzero(period == "b"))
        return _difference(both, both, keys, rows, DEFAULT_CONFIDENCE, adjust, ALPHA)
    # an empty period still gives its one row of n = 0
    now = metric(filter_dates(t, date_column, *current), by=by, **metric_options)
    before = metric(filter_dates(t, date_column, *previous), by=by, **metric_options)
    return difference(now, before, on=by, adjust=adjust)


def year_over_year(
    table: pd.DataFrame, *, by: str | Sequence[str] | None = None, adjust: str = "holm"
) -> pd.DataFrame:
    """Each period of a churn (or any periodic) table against the same period a year before.

    Parameters
    ----------
    table
        Output of :func:`cxresearch.stats.metrics.churn_rate` (``period_start`` column).
    by
        The table's grouping columns.
    adjust
        Multiplicity adjustment across all compared periods.

    Returns
    -------
    pandas.DataFrame
        As :func:`difference`, keyed by ``[*by, period_start]`` (the later period), with
        ``previous_start`` the period a year before.
    """
    keys = by_list(by)
    earlier = table.copy()
    earlier["period_start"] = [
        d.replace(year=d.year + 1)
        if not (d.month == 2 and d.day == 29)
        else d.replace(year=d.year + 1, day=28)
        for d in pd.to_datetime(earlier["period_start"]).dt.date
    ]
    table = table.assign(period_start=pd.to_datetime(table["period_start"]).dt.date)
    out = difference(table, earlier, on=[*keys, "period_start"], adjust=adjust)
    out.insert(
        len(keys) + 1, "previous_start", [d.replace(year=d.year - 1) for d in out["period_start"]]
    )
    return out


def previous_period(start: str | dt.date, end: str | dt.date) -> tuple[dt.date, dt.date]:
    """The period of the same length that ends the day before ``start``.

    Whole calendar months map to the same number of months before (a quarter to the
    previous quarter); other spans to the same number of days.

    Examples
    --------
    >>> previous_period("2026-07-01", "2026-09-30")
    (datetime.date(2026, 4, 1), datetime.date(2026, 6, 30))
    """
    s, e = pd.Timestamp(start), pd.Timestamp(end)
    if s.day == 1 and (e + pd.Timedelta(days=1)).day == 1:
        months = (e.year - s.year) * 12 + e.month - s.month + 1
        first = s - pd.DateOffset(months=months)
        return first.date(), (s - pd.Timedelta(days=1)).date()
    length = e - s
    return (s - length - pd.Timedelta(days=1)).date(), (s - pd.Timedelta(days=1)).date()


def pairwise(
    table: pd.DataFrame,
    group: str,
    *,
    confidence: float = 0.95,
    adjust: str = "holm",
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Every pair of groups of one metric table compared, adjusted together.

    Parameters
    ----------
    table
        A metric table with one row per value of ``group`` (``estimate``, ``std_error``,
        ``n``; rows marked ``suppressed`` are left out).
    group
        The grouping column, such as ``"touchpoint"``.
    confidence, adjust, alpha
        As in :func:`difference`; the family is all pairs.

    Returns
    -------
    pandas.DataFrame
        ``[group_a, group_b, metric, estimate_a, estimate_b, n_a, n_b, difference,
        std_error, ci_low, ci_high, statistic, p_value, p_adjusted, adjustment,
        significant]``, one row per pair (``a`` before ``b`` in the table's order).

    Notes
    -----
    Each pair is tested with :func:`difference` as two independent samples (a respondent
    counted in two groups makes the test slightly conservative for positively correlated
    answers). With ``k`` groups there are ``k (k - 1) / 2`` pairs; Holm's adjustment keeps
    the chance of any false claim among them under ``alpha``.
    """
    shown = table
    if "suppressed" in table.columns:
        shown = table[~table["suppressed"].fillna(False).astype(bool)]
    shown = shown[shown["std_error"].notna()].reset_index(drop=True)
    pairs = [(i, j) for i in range(len(shown)) for j in range(i + 1, len(shown))]
    columns = ["group_a", "group_b", "metric", "estimate_a", "estimate_b", "n_a", "n_b",
               "difference", "std_error", "ci_low", "ci_high", "statistic", "p_value",
               "p_adjusted", "adjustment", "significant"]  # fmt: skip
    if not pairs:
        return pd.DataFrame(columns=columns)
    first = shown.iloc[[i for i, _ in pairs]].assign(pair=range(len(pairs)))
    second = shown.iloc[[j for _, j in pairs]].assign(pair=range(len(pairs)))
    out = difference(first, second, on="pair", confidence=confidence, adjust=adjust, alpha=alpha)
    out.insert(0, "group_a", first[group].to_numpy())
    out.insert(1, "group_b", second[group].to_numpy())
    return out[columns]
