"""What customers are worth: revenue concentration and revenue at risk from observed churn."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from cxresearch.config import DEFAULT_MIN_N, DEFAULT_SUPPRESS_BELOW
from cxresearch.stats import intervals
from cxresearch.stats._utils import small_group_rules


def revenue_concentration(
    data: pd.DataFrame,
    spend: str = "monthly_spend",
    *,
    top_shares: Sequence[float] = (0.05, 0.10, 0.15, 0.20, 0.50),
) -> pd.DataFrame:
    """Share of revenue from the top customers by spend.

    Returns
    -------
    pandas.DataFrame
        ``[customer_share, customers, revenue_share]``: the top ``customer_share`` of
        customers bring ``revenue_share`` of the revenue (15 % bringing 70 %, say).
    """
    values = np.sort(data[spend].dropna().to_numpy(dtype=float))[::-1]
    if not len(values) or values.sum() <= 0:
        raise ValueError(f"column {spend!r} has no positive spend")
    cum = np.cumsum(values) / values.sum()
    rows = []
    for share in top_shares:
        k = max(1, int(np.ceil(share * len(values))))
        rows.append({"customer_share": share, "customers": k, "revenue_share": cum[k - 1]})
    return pd.DataFrame(rows)


def revenue_share_by_group(
    data: pd.DataFrame,
    group: str,
    spend: str = "monthly_spend",
    *,
    min_n: int = DEFAULT_MIN_N,
    suppress_below: int = DEFAULT_SUPPRESS_BELOW,
):
    """Share of customers and of revenue in each group (such as ``nps_group``).

    Returns
    -------
    pandas.DataFrame
        ``[group, customers, customer_share, revenue, revenue_share, suppressed,
        unreliable]``; groups of fewer than ``suppress_below`` customers keep their
        count only (:func:`cxresearch.stats.metrics.small_group_rules`).
    """
    g = data.groupby(group)[spend].agg(customers="size", revenue="sum").reset_index()
    g["customer_share"] = g["customers"] / g["customers"].sum()
    g["revenue_share"] = g["revenue"] / g["revenue"].sum()
    g = g[[group, "customers", "customer_share", "revenue", "revenue_share"]]
    return small_group_rules(g, min_n=min_n, suppress_below=suppress_below, n="customers",
                             hide=["revenue", "revenue_share"])  # fmt: skip


def revenue_at_risk_observed(
    data: pd.DataFrame,
    *,
    level: str = "satisfaction_level",
    spend: str = "monthly_spend",
    churned: str = "churned",
    unhappy_levels: Sequence = (1, 2, 3),
    confidence: float = 0.95,
    min_n: int = DEFAULT_MIN_N,
    suppress_below: int = DEFAULT_SUPPRESS_BELOW,
) -> tuple[pd.DataFrame, str]:
    """Monthly revenue at risk from observed churn by satisfaction level.

    Generalises ``customers x unhappy share x churn probability x spend``: each level
    contributes its customers x its observed churn rate x its mean monthly spend.

    Parameters
    ----------
    data
        One row per customer: ``level``, mean monthly ``spend`` and whether they
        ``churned`` in the observation window.
    unhappy_levels
        Levels counted as unhappy; their total is the headline figure.
    confidence
        Level of the intervals (Wilson on each churn rate, propagated).
    min_n, suppress_below
        The small-group rule (:func:`cxresearch.stats.metrics.small_group_rules`), read on
        each level's churn rate: suppressed levels keep their customer count only (the
        total still includes them).

    Returns
    -------
    (pandas.DataFrame, str)
        ``[level, customers, churn_rate, churn_ci_low, churn_ci_high, mean_spend,
        estimate, ci_low, ci_high, unhappy, suppressed, unreliable]`` per level plus a
        ``total unhappy`` row, and
        the assumptions in words, to print beside the figure.
    """
    g = data.groupby(level).agg(customers=(spend, "size"), churned=(churned, "sum"),
                                mean_spend=(spend, "mean")).reset_index()  # fmt: skip
    rate, se, low, high = intervals.wilson(g["churned"], g["customers"], confidence)
    g["churn_rate"], g["churn_ci_low"], g["churn_ci_high"] = rate, low, high
    money = g["customers"] * g["mean_spend"]
    g["estimate"] = money * rate
    g["ci_low"], g["ci_high"] = money * low, money * high
    g["unhappy"] = g[level].isin(list(unhappy_levels))
    z = intervals.z_value(confidence)
    unhappy = g[g["unhappy"]]
    total = unhappy["estimate"].sum()
    total_se = float(np.sqrt(((unhappy["customers"] * unhappy["mean_spend"] *
                               se[g["unhappy"].to_numpy()]) ** 2).sum()))  # fmt: skip
    total_row = {level: "total unhappy", "customers": unhappy["customers"].sum(),
                 "churned": unhappy["churned"].sum(), "estimate": total,
                 "ci_low": max(total - z * total_se, 0.0), "ci_high": total + z * total_se,
                 "unhappy": True}  # fmt: skip
    rates = g.rename(columns={"customers": "n", "estimate": "money", "ci_low": "money_low",
                              "ci_high": "money_high", "churn_rate": "estimate",
                              "churn_ci_low": "ci_low", "churn_ci_high": "ci_high"})  # fmt: skip
    flags = small_group_rules(rates, min_n=min_n, suppress_below=suppress_below)
    g["suppressed"], g["unreliable"] = flags["suppressed"], flags["unreliable"]
    hidden = ["churned", "churn_rate", "churn_ci_low", "churn_ci_high", "mean_spend",
              "estimate", "ci_low", "ci_high"]  # fmt: skip
    g[hidden] = g[hidden].astype(float)
    g.loc[g["suppressed"], hidden] = np.nan
    total_row.update(suppressed=False, unreliable=bool(total_row["customers"] < min_n))
    out = pd.concat([g, pd.DataFrame([total_row])], ignore_index=True)
    assumptions = (
        "Assumptions: over a period as long as the observation window, each satisfaction "
        "level keeps the churn rate observed in it; a customer who leaves takes their mean "
        "monthly spend with them (the figure is monthly revenue lost); customers and "
        "churn are independent within a level. The interval carries the sampling "
        "uncertainty of the churn rates only (Wilson, combined by the delta method)."
    )
    return out, assumptions
