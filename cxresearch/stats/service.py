"""Service analyses: silent dissatisfaction and customer against agent satisfaction."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from cxresearch.config import DEFAULT_MIN_N, DEFAULT_SUPPRESS_BELOW
from cxresearch.stats import intervals
from cxresearch.stats._utils import (
    TableLike,
    aggregate,
    as_table,
    by_list,
    check_columns,
    small_group_rules,
)


def silent_dissatisfaction(
    interactions: TableLike,
    *,
    by: str | Sequence[str] | None = None,
    unhappy_below: int = 3,
    confidence: float = 0.95,
    min_n: int = DEFAULT_MIN_N,
    suppress_below: int = DEFAULT_SUPPRESS_BELOW,
) -> pd.DataFrame:
    """Silent unhappy customers for every complaint, with an interval.

    Parameters
    ----------
    interactions
        Service contacts with ``csat`` (1-5) and ``complaint`` (boolean).
    by
        Grouping column(s), such as ``"team"``.
    unhappy_below
        Ratings below this count as unhappy (default: 1 and 2).
    confidence
        Two-sided confidence level.
    min_n, suppress_below
        The small-group rule (:func:`cxresearch.stats.metrics.small_group_rules`), on the
        unhappy contacts.

    Returns
    -------
    pandas.DataFrame
        ``[*by, metric, n, complaints, estimate, ci_low, ci_high, confidence,
        complaint_rate, suppressed, unreliable]``: ``n`` unhappy contacts,
        ``complaints`` among them, ``estimate`` = (n - complaints) / complaints.

    Notes
    -----
    The ratio is a monotone transform of the complaint rate p = complaints / n,
    ``(1 - p) / p``, so its interval is the Wilson interval of p transformed (upper and
    lower ends swap). The often-quoted figure is about 26 silent customers for every one
    who complains.
    """
    t = as_table(interactions)
    groups = by_list(by)
    check_columns(t, ["csat", "complaint", *groups])
    t = t.filter(t.csat.notnull() & (t.csat < unhappy_below))
    counts = aggregate(t, groups, n=t.count(), complaints=t.complaint.ifelse(1, 0).sum())
    p, _, low, high = intervals.wilson(counts["complaints"], counts["n"], confidence)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = (1 - p) / p
        out = counts[groups].copy()
        out["metric"] = "silent_per_complaint"
        out["n"] = counts["n"]
        out["complaints"] = counts["complaints"]
        out["estimate"] = ratio
        out["ci_low"] = (1 - high) / high
        out["ci_high"] = np.where(low > 0, (1 - low) / low, np.inf)
    out["confidence"] = confidence
    out["complaint_rate"] = p
    return small_group_rules(out, min_n=min_n, suppress_below=suppress_below, value_range=None,
                             proportion=False, hide=["complaints", "complaint_rate"])  # fmt: skip


def agent_satisfaction_link(
    interactions: TableLike,
    agent_satisfaction: TableLike,
    *,
    by: str | Sequence[str] | None = None,
    confidence: float = 0.95,
    min_n: int = DEFAULT_MIN_N,
    suppress_below: int = DEFAULT_SUPPRESS_BELOW,
) -> pd.DataFrame:
    """Correlation of customer CSAT with agent satisfaction (ASAT), per agent and month.

    Parameters
    ----------
    interactions
        Service contacts (``agent_id``, ``occurred_at``, ``csat``).
    agent_satisfaction
        ``agent_id, team, month, asat``.
    by
        Grouping columns of the agent-month table (``"team"``, ``"month"``); ``None``:
        one correlation over all agent-months.
    confidence
        Two-sided confidence level.
    min_n, suppress_below
        The small-group rule (:func:`cxresearch.stats.metrics.small_group_rules`), on the
        agent-months.

    Returns
    -------
    pandas.DataFrame
        ``[*by, metric, n, estimate, ci_low, ci_high, confidence, p_value, suppressed,
        unreliable]``: ``n`` agent-months, ``estimate`` Pearson's r between the agent's
        mean customer CSAT in the month and their ASAT, with a Fisher-z interval.
    """
    i = as_table(interactions)
    a = as_table(agent_satisfaction)
    i = i.filter(i.csat.notnull()).mutate(month=i.occurred_at.truncate("M").cast("date"))
    per_agent = i.group_by(["agent_id", "month"]).aggregate(
        csat=i.csat.cast("float64").mean(), contacts=i.count()
    )
    a = a.mutate(month=a.month.cast("date"))
    joined = per_agent.inner_join(a, ["agent_id", "month"]).to_pandas()
    groups = by_list(by)
    rows = []
    for key, part in joined.groupby(groups) if groups else [((), joined)]:
        key = key if isinstance(key, tuple) else (key,)
        r = intervals.correlation(part["csat"], part["asat"], confidence)
        rows.append({**dict(zip(groups, key, strict=True)), "metric": "csat_asat_correlation",
                     **r, "confidence": confidence})  # fmt: skip
    cols = [*groups, "metric", "n", "estimate", "ci_low", "ci_high", "confidence", "p_value"]
    return small_group_rules(pd.DataFrame(rows)[cols], min_n=min_n, suppress_below=suppress_below,
                             value_range=2.0, proportion=False, hide=["p_value"])  # fmt: skip
