"""Churn per month, quarter and year, and revenue at risk from unhappy customers.

Re-exported by :mod:`cxresearch.stats.metrics`, where reports and notebooks read them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import ibis
import numpy as np
import pandas as pd

from cxresearch.config import (
    DEFAULT_MIN_N,
    DEFAULT_SUPPRESS_BELOW,
)
from cxresearch.stats import intervals
from cxresearch.stats._utils import (
    TableLike,
    aggregate,
    as_table,
    by_list,
    check_columns,
    finish,
    kish_n,
    weight_aggregates,
)
from cxresearch.stats._utils import small_group_rules as small_group_rules  # public here

PERIODS = ("month", "quarter", "year")


def period_starts(start: str | dt.date, end: str | dt.date, period: str = "month") -> pd.DataFrame:
    """Return the whole calendar periods that lie inside ``[start, end]``.

    A period counts when its first day is on or after ``start`` and its last day on or
    before ``end``: partial periods at either edge would understate churn.

    Returns
    -------
    pandas.DataFrame
        ``[period_start, period_end]``: first day of each period and first day of the next.
    """
    if period not in PERIODS:
        raise ValueError(f"period must be one of {PERIODS}, got {period!r}")
    freq = {"month": "MS", "quarter": "QS", "year": "YS"}[period]
    offset = pd.tseries.frequencies.to_offset(freq)
    first, last = pd.Timestamp(start).normalize(), pd.Timestamp(end).normalize()
    starts = pd.date_range(first, last, freq=freq)
    ends = starts + offset
    keep = ends - pd.Timedelta(days=1) <= last
    return pd.DataFrame({"period_start": starts[keep].date, "period_end": ends[keep].date})


def churn_rate(
    customers: TableLike,
    *,
    start: str | dt.date,
    end: str | dt.date,
    period: str = "month",
    by: str | Sequence[str] | None = None,
    confidence: float = 0.95,
    min_n: int = DEFAULT_MIN_N,
    suppress_below: int = DEFAULT_SUPPRESS_BELOW,
) -> pd.DataFrame:
    """Churn rate per calendar month, quarter or year.

    Parameters
    ----------
    customers
        One row per customer with ``first_purchase_date`` and ``churn_date`` (null while
        the customer stays).
    start, end
        The whole periods inside these dates are reported (see :func:`period_starts`).
    period
        ``"month"``, ``"quarter"`` or ``"year"``.
    by
        Grouping column(s), such as ``"segment"``.
    confidence
        Two-sided confidence level.
    min_n
        Periods with fewer customers at risk are flagged ``unreliable``.
    suppress_below
        Periods with fewer customers at risk are ``suppressed``.

    Returns
    -------
    pandas.DataFrame
        ``[*by, period_start, metric, n, effective_n, estimate, std_error, ci_low,
        ci_high, confidence, suppressed, unreliable, churned]``: ``n`` is the customers
        at risk (customers before the period began and not yet churned), ``churned``
        those of them whose churn date falls in the period, ``estimate`` = churned / n
        with a Wilson interval.
    """
    t = as_table(customers)
    groups = by_list(by)
    check_columns(t, ["first_purchase_date", "churn_date", *groups])
    periods = ibis.memtable(period_starts(start, end, period))
    j = t.cross_join(periods)
    first = j.first_purchase_date.cast("date")
    churn = j.churn_date.cast("date")
    at_risk = (first < j.period_start) & (churn.isnull() | (churn >= j.period_start))
    churned = at_risk & churn.notnull() & (churn < j.period_end)
    counts = aggregate(
        j,
        [*groups, "period_start"],
        n=at_risk.ifelse(1, 0).sum(),
        churned=churned.ifelse(1, 0).sum(),
    )
    counts["period_start"] = pd.to_datetime(counts["period_start"]).dt.date
    values = intervals.wilson(counts["churned"], counts["n"], confidence)
    out = finish(
        counts,
        [*groups, "period_start"],
        f"churn_{period}",
        values,
        confidence,
        min_n,
        ("churned",),
        suppress_below=suppress_below,
    )
    return out


def churn_share(
    customers: TableLike,
    churned: str = "churned",
    *,
    by: str | Sequence[str] | None = None,
    confidence: float = 0.95,
    min_n: int = DEFAULT_MIN_N,
    suppress_below: int = DEFAULT_SUPPRESS_BELOW,
) -> pd.DataFrame:
    """Share of customers who left over a window, per group, with a Wilson interval.

    Parameters
    ----------
    customers
        One row per customer with a boolean ``churned`` column (for example from
        :func:`cxresearch.stats.retention.durations`).

    Returns
    -------
    pandas.DataFrame
        ``[*by, metric, n, effective_n, estimate, std_error, ci_low, ci_high, confidence,
        suppressed, unreliable, churned]``.
    """
    t = as_table(customers)
    groups = by_list(by)
    check_columns(t, [churned, *groups])
    counts = aggregate(t, groups, n=t.count(), churned=t[churned].ifelse(1, 0).sum())
    values = intervals.wilson(counts["churned"], counts["n"], confidence)
    return finish(
        counts,
        groups,
        "churn_share",
        values,
        confidence,
        min_n,
        ("churned",),
        suppress_below=suppress_below,
    )


def revenue_at_risk_formula(
    customers: float, monthly_spend: float, satisfied_share: float, churn_probability: float
) -> float:
    """Monthly revenue at risk from unhappy customers: the textbook formula.

    ``customers x (1 - satisfied_share) x churn_probability x monthly_spend``.

    Examples
    --------
    100 customers paying $100 a month, 90 % satisfied, 95 % of the unhappy likely to leave:

    >>> revenue_at_risk_formula(100, 100, 0.90, 0.95)
    950.0
    """
    for name, value in (
        ("satisfied_share", satisfied_share),
        ("churn_probability", churn_probability),
    ):
        if not 0 <= value <= 1:
            raise ValueError(f"{name} must lie between 0 and 1, got {value}")
    return float(round(customers * (1 - satisfied_share) * churn_probability * monthly_spend, 10))


def revenue_at_risk(
    data: TableLike,
    score: str = "csat",
    spend: str = "monthly_spend",
    *,
    customers: int | None = None,
    by: str | Sequence[str] | None = None,
    weights: str | None = None,
    satisfied: int = 4,
    churn_probability: float = 0.95,
    confidence: float = 0.95,
    min_n: int = DEFAULT_MIN_N,
    suppress_below: int = DEFAULT_SUPPRESS_BELOW,
) -> pd.DataFrame:
    """Monthly revenue at risk from unhappy customers, per group, with an interval.

    Parameters
    ----------
    data
        One row per surveyed customer with a satisfaction ``score`` and the customer's
        monthly ``spend``.
    score, spend
        Column names.
    customers
        Size of the customer base the survey stands for; ``None`` uses the respondents
        of each group (the survey is the whole base).
    by
        Grouping column(s).
    weights
        Column of respondent weights for the unhappy share; ``None``: equal weights.
    satisfied
        Lowest score counted as satisfied; lower scores are unhappy.
    churn_probability
        Assumed probability that an unhappy customer leaves.
    confidence
        Two-sided confidence level.
    min_n
        Groups with a smaller effective n are flagged ``unreliable``.
    suppress_below
        Groups with fewer respondents are ``suppressed``.

    Returns
    -------
    pandas.DataFrame
        ``[*by, metric, n, effective_n, estimate, std_error, ci_low, ci_high, confidence,
        suppressed, unreliable, unhappy, unhappy_share, mean_spend_unhappy,
        churn_probability, customers]``; ``estimate`` in currency units a month.

    Notes
    -----
    ``estimate = customers x unhappy_share x churn_probability x mean_spend_unhappy``.
    The interval carries the sampling uncertainty of the unhappy share (Wilson); the
    churn probability and the spend are taken as known, as the formula assumes.
    """
    if not 0 <= churn_probability <= 1:
        raise ValueError(f"churn_probability must lie between 0 and 1, got {churn_probability}")
    t = as_table(data)
    groups = by_list(by)
    check_columns(t, [score, spend, *groups])
    t = t.filter(t[score].notnull() & t[spend].notnull())
    unhappy = t[score] < satisfied
    w, aggs = weight_aggregates(t, weights)
    counts = aggregate(
        t,
        groups,
        **aggs,
        unhappy=unhappy.ifelse(1, 0).sum(),
        w_unhappy=unhappy.ifelse(w, 0.0).sum(),
        spend_unhappy=unhappy.ifelse(t[spend], 0).sum(),
    )
    counts["effective_n"] = kish_n(counts)
    n_eff = counts["effective_n"]
    share, share_se, low, high = intervals.wilson(
        counts["w_unhappy"] / counts["sum_w"] * n_eff, n_eff, confidence
    )
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_spend = counts["spend_unhappy"] / counts["unhappy"]
    mean_spend = mean_spend.fillna(0.0)
    base = counts["n"] if customers is None else customers
    scale = base * churn_probability * mean_spend
    # the rules read the unhappy share's interval (a proportion); money is its multiple
    out = finish(
        counts,
        groups,
        "revenue_at_risk",
        (share, share_se, low, high),
        confidence,
        min_n,
        ("unhappy",),
        suppress_below=suppress_below,
    )
    for col in ("estimate", "std_error", "ci_low", "ci_high"):
        out[col] = out[col] * np.asarray(scale, dtype=float)
    out["unhappy_share"] = pd.Series(share, index=out.index).where(~out["suppressed"])
    out["mean_spend_unhappy"] = mean_spend.where(~out["suppressed"])
    out["churn_probability"] = churn_probability
    out["customers"] = base
    return out
