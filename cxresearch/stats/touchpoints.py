"""Touchpoints: transactional satisfaction against relational loyalty, per customer."""

from __future__ import annotations

from cxresearch.config import DEFAULT_MIN_N, DEFAULT_SUPPRESS_BELOW
from cxresearch.stats import intervals
from cxresearch.stats._utils import TableLike, as_table, small_group_rules


def transactional_vs_relational(
    responses: TableLike,
    *,
    confidence: float = 0.95,
    min_n: int = DEFAULT_MIN_N,
    suppress_below: int = DEFAULT_SUPPRESS_BELOW,
):
    """Relate each customer's transactional CSAT to their relational NPS.

    Parameters
    ----------
    responses
        Responses with ``customer_id``, ``touchpoint``, ``csat`` and ``nps``: the
        ``relationship`` touchpoint is the relational survey, every other one transactional.

    Returns
    -------
    (pandas.DataFrame, dict)
        Per rounded transactional CSAT: ``[transactional_csat, customers, mean_nps]``;
        and the correlation (``n, estimate, ci_low, ci_high, p_value``) between the
        customer's mean transactional CSAT and mean relational NPS. The table follows
        the small-group rule (:func:`cxresearch.stats.metrics.small_group_rules`): levels with
        fewer than ``suppress_below`` customers keep their count only (``suppressed``),
        those under ``min_n`` are flagged ``unreliable``.
    """
    t = as_table(responses)
    rel = t.filter(t.touchpoint == "relationship")
    tra = t.filter((t.touchpoint != "relationship") & t.csat.notnull())
    a = rel.group_by("customer_id").aggregate(relational_nps=rel.nps.cast("float64").mean())
    b = tra.group_by("customer_id").aggregate(transactional_csat=tra.csat.cast("float64").mean())
    per = a.inner_join(b, "customer_id").to_pandas()
    r = intervals.correlation(per["transactional_csat"], per["relational_nps"], confidence)
    per["level"] = (per["transactional_csat"] + 0.5).astype(int)
    table = (
        per.groupby("level")
        .agg(customers=("customer_id", "size"), mean_nps=("relational_nps", "mean"))
        .reset_index()
        .rename(columns={"level": "transactional_csat"})
    )
    table = small_group_rules(table, min_n=min_n, suppress_below=suppress_below, n="customers",
                              hide=["mean_nps"])  # fmt: skip
    return table, r
