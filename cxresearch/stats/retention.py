"""Retention: Kaplan-Meier curves by NPS group, and churn by satisfaction level."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import numpy as np
import pandas as pd
from statsmodels.duration.survfunc import SurvfuncRight

from cxresearch.config import DEFAULT_MIN_N, DEFAULT_SUPPRESS_BELOW
from cxresearch.stats import intervals
from cxresearch.stats._utils import TableLike, as_table, by_list, small_group_rules

DAYS_PER_MONTH = 365.25 / 12


def durations(customers: pd.DataFrame, *, start: str | dt.date, end: str | dt.date) -> pd.DataFrame:
    """Months each customer was observed from ``start`` (or joining) and whether they left.

    Returns
    -------
    pandas.DataFrame
        ``customers`` plus ``months`` (time observed, in months of 30.44 days) and
        ``churned`` (True if the churn date falls before ``end``; otherwise censored).
    """
    start, end = pd.Timestamp(start), pd.Timestamp(end)
    first = pd.to_datetime(customers["first_purchase_date"])
    churn = pd.to_datetime(customers["churn_date"])
    entry = first.where(first > start, start)
    churned = churn.notna() & (churn <= end) & (churn >= entry)
    exit_ = churn.where(churned, end)
    out = customers.copy()
    out["months"] = (exit_ - entry).dt.days / DAYS_PER_MONTH
    out["churned"] = churned
    return out[(out["months"] >= 0) & (entry <= end)]


def kaplan_meier(
    customers: TableLike,
    *,
    start: str | dt.date,
    end: str | dt.date,
    by: str | Sequence[str] | None = None,
    confidence: float = 0.95,
    min_n: int = DEFAULT_MIN_N,
    suppress_below: int = DEFAULT_SUPPRESS_BELOW,
) -> pd.DataFrame:
    """Kaplan-Meier retention curves from ``start``, per group.

    Parameters
    ----------
    customers
        One row per customer with ``first_purchase_date``, ``churn_date`` and the
        grouping columns (for example from :func:`cxresearch.data.db.read_customer_satisfaction`,
        grouped by ``nps_group``).
    start, end
        Observation window: customers enter at ``start`` (or when they join) and are
        censored at ``end`` if still customers.
    by
        Grouping column(s).
    confidence
        Level of the pointwise interval.
    min_n, suppress_below
        The small-group rule (:func:`cxresearch.stats.metrics.small_group_rules`): groups of
        fewer than ``suppress_below`` customers are suppressed; points with fewer than
        ``min_n`` customers at risk are flagged ``unreliable``.

    Returns
    -------
    pandas.DataFrame
        ``[*by, months, metric, n, at_risk, estimate, ci_low, ci_high, confidence,
        effective_n, suppressed, unreliable]``: one row per distinct churn time, ``n`` the
        group's customers, ``estimate`` the share still a customer, ``effective_n`` the
        customers at risk.

    Notes
    -----
    Product-limit estimator (Kaplan & Meier 1958) with Greenwood's variance and the
    log(-log) interval, computed by statsmodels' ``SurvfuncRight``.
    """
    frame = (
        as_table(customers).to_pandas() if not isinstance(customers, pd.DataFrame) else customers
    )
    data = durations(frame, start=start, end=end)
    groups = by_list(by)
    z = intervals.z_value(confidence)
    rows = []
    for key, part in data.groupby(groups) if groups else [((), data)]:
        key = key if isinstance(key, tuple) else (key,)
        if part["churned"].sum() == 0:
            continue
        sf = SurvfuncRight(part["months"].to_numpy(), part["churned"].astype(int).to_numpy())
        s, se = sf.surv_prob, sf.surv_prob_se
        with np.errstate(divide="ignore", invalid="ignore"):
            loglog = np.log(-np.log(s))
            half = z * se / (s * np.abs(np.log(s)))
            low, high = np.exp(-np.exp(loglog + half)), np.exp(-np.exp(loglog - half))
        frame_ = pd.DataFrame(
            {
                "months": sf.surv_times,
                "metric": "retention",
                "n": len(part),
                "at_risk": sf.n_risk.astype(int),
                "estimate": s,
                "ci_low": np.where(s >= 1, 1.0, low),
                "ci_high": np.where(s >= 1, 1.0, high),
                "confidence": confidence,
            }
        )
        for name, value in zip(groups, key, strict=True):
            frame_.insert(0, name, value)
        rows.append(frame_)
    if not rows:
        return pd.DataFrame()
    out = pd.concat(rows, ignore_index=True)
    out["effective_n"] = out["at_risk"]
    return small_group_rules(out, min_n=min_n, suppress_below=suppress_below)


def retention_at(curves: pd.DataFrame, months: float, *, by: str | Sequence[str] | None = None):
    """Read each curve at ``months`` (the last step at or before it)."""
    groups = by_list(by)
    rows = []
    for _, part in curves.groupby(groups) if groups else [((), curves)]:
        before = part[part["months"] <= months]
        row = before.iloc[-1] if len(before) else part.iloc[0].copy()
        if not len(before) and not row.get("suppressed", False):
            row[["estimate", "ci_low", "ci_high"]] = 1.0
        rows.append(row)
    out = pd.DataFrame(rows).reset_index(drop=True)
    out["months"] = months
    return out
