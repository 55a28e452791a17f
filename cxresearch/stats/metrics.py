"""CX metrics with their uncertainty: NPS, CSAT, churn rate and revenue at risk.

Every metric takes an Ibis table (aggregated inside its engine) or a pandas DataFrame,
optional grouping columns ``by``, and returns one tidy DataFrame with the columns

``[*by, metric, n, effective_n, estimate, std_error, ci_low, ci_high, confidence,
suppressed, unreliable]``

plus the counts behind the estimate. Proportions and the NPS are on the 0-1 (NPS: -1 to
1) scale; reports multiply by 100.

Small groups are never dropped silently:

* ``suppressed``: fewer than ``suppress_below`` respondents (5 by default): the estimate,
  its interval and the counts are blanked, so that no respondent can be singled out; ``n``
  stays.
* ``unreliable``: an effective n under ``min_n`` (30 by default), an interval wider than
  0.30 of the metric's range, or, for proportions, an interval wider than 0.05 and wider
  than 130% of the estimate, after the NCHS data presentation standards for proportions
  (Parker et al. 2017): shown, and marked.

Every table producer of the package applies these rules through :func:`small_group_rules`.

With ``weights=``, estimates are weighted means and intervals use Kish's effective sample
size ``(sum w)^2 / sum w^2`` in place of n.
"""

from __future__ import annotations

from collections.abc import Sequence

import ibis
import ibis.expr.types as ir
import pandas as pd

from cxresearch.config import (
    DEFAULT_MIN_N,
    DEFAULT_SUPPRESS_BELOW,
    DETRACTOR_MAX,
    PROMOTER_MIN,
)
from cxresearch.data.schema import DEFAULT_SCALE
from cxresearch.stats import intervals
from cxresearch.stats._utils import (
    TableLike,
    aggregate,
    as_table,
    by_list,
    check_columns,
    check_range,
    finish,
    kish_n,
    out_of_range,
    weight_aggregates,
)
from cxresearch.stats._utils import small_group_rules as small_group_rules  # public here
from cxresearch.stats.churn import (  # noqa: F401 - re-exported
    PERIODS,
    churn_rate,
    churn_share,
    period_starts,
    revenue_at_risk,
    revenue_at_risk_formula,
)


def nps(
    data: TableLike,
    score: str = "nps",
    *,
    by: str | Sequence[str] | None = None,
    weights: str | None = None,
    confidence: float = 0.95,
    method: str = "wald",
    min_n: int = DEFAULT_MIN_N,
    suppress_below: int = DEFAULT_SUPPRESS_BELOW,
) -> pd.DataFrame:
    """Net Promoter Score per group, with trinomial standard error and interval.

    Parameters
    ----------
    data
        Responses: an Ibis table or a DataFrame.
    score
        Column of 0-10 recommend scores; missing scores are left out.
    by
        Grouping column(s).
    weights
        Column of respondent weights; ``None`` weighs every respondent equally.
    confidence
        Two-sided confidence level.
    method
        ``"wald"`` or ``"adjusted_wald"`` (see :func:`cxresearch.stats.intervals.nps_interval`).
    min_n
        Groups with a smaller effective n are flagged ``unreliable``.
    suppress_below
        Groups with fewer respondents are ``suppressed``.

    Returns
    -------
    pandas.DataFrame
        ``[*by, metric, n, effective_n, estimate, std_error, ci_low, ci_high, confidence,
        suppressed, unreliable, promoters, passives, detractors, centre]``:
        ``metric`` is ``"nps"``; ``estimate`` is the (weighted) promoter share minus the
        detractor share (-1 to 1); ``centre`` the NPS the interval is centred on (the
        estimate for Wald, the adjusted NPS for adjusted Wald, which
        :func:`cxresearch.stats.compare.difference` uses); the three counts are respondents,
        unweighted.

    Notes
    -----
    Promoters score 9-10, passives 7-8, detractors 0-6 (Reichheld 2003). The variance
    is the trinomial one; see :func:`cxresearch.stats.intervals.nps_interval`. With weights
    the shares are weighted and n is Kish's effective n.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"nps": [0, 7, 8, 9, 10, 10]})
    >>> round(float(nps(df)["estimate"].iloc[0]), 4)
    0.3333
    """
    t = as_table(data)
    groups = by_list(by)
    check_columns(t, [score, *groups])
    valid = t.filter(t[score].notnull())
    s = valid[score]
    w, aggs = weight_aggregates(valid, weights)
    counts = aggregate(
        valid,
        groups,
        **aggs,
        invalid=out_of_range(valid, score, 0, 10),
        promoters=(s >= PROMOTER_MIN).ifelse(1, 0).sum(),
        detractors=(s <= DETRACTOR_MAX).ifelse(1, 0).sum(),
        w_pro=(s >= PROMOTER_MIN).ifelse(w, 0.0).sum(),
        w_det=(s <= DETRACTOR_MAX).ifelse(w, 0.0).sum(),
    )
    check_range(t, score, 0, 10, counts["invalid"].sum())
    counts["passives"] = counts["n"] - counts["promoters"] - counts["detractors"]
    counts["effective_n"] = kish_n(counts)
    n_eff = counts["effective_n"]
    shares = (
        counts["w_pro"] / counts["sum_w"] * n_eff,
        counts["w_det"] / counts["sum_w"] * n_eff,
        n_eff,
    )
    values = intervals.nps_interval(*shares, confidence, method)
    counts["centre"] = intervals.nps_centre(*shares, method)[0]
    out = finish(
        counts,
        groups,
        "nps",
        values,
        confidence,
        min_n,
        ("promoters", "passives", "detractors"),
        suppress_below=suppress_below,
        value_range=2.0,
        proportion=False,
    )
    centre = counts["centre"].where(~out["suppressed"])
    out["centre"] = centre.astype(float)
    return out


def csat(
    data: TableLike,
    score: str = "csat",
    *,
    by: str | Sequence[str] | None = None,
    weights: str | None = None,
    satisfied: int | None = None,
    scale: tuple[int, int] | None = None,
    confidence: float = 0.95,
    min_n: int = DEFAULT_MIN_N,
    suppress_below: int = DEFAULT_SUPPRESS_BELOW,
) -> pd.DataFrame:
    """Customer satisfaction (CSAT): the share of satisfied respondents, Wilson interval.

    Parameters
    ----------
    data
        Responses: an Ibis table or a DataFrame. When it holds ``<score>_min`` and
        ``<score>_max`` columns (the scale each response was given on, as imports store
        it), every row is read on its own scale.
    score
        Column of satisfaction ratings; missing ratings are left out.
    by
        Grouping column(s).
    weights
        Column of respondent weights; ``None`` weighs every respondent equally.
    satisfied
        Lowest rating counted as satisfied; ``None``: the top two boxes of each row's
        scale (4 and 5 on 1-5, 6 and 7 on 1-7, 9 and 10 on 1-10).
    scale
        Lowest and highest valid rating for every row; ``None``: each row's
        ``<score>_min``/``<score>_max``, else :data:`cxresearch.data.schema.DEFAULT_SCALE`
        (1-5) for rows that declare none.
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
        suppressed, unreliable, satisfied]``: ``metric`` is ``"csat"``; ``estimate`` is
        the (weighted) share satisfied (0-1); ``satisfied`` counts respondents.

    Notes
    -----
    CSAT = satisfied / all x 100 in reports, satisfied being the top-two box of the scale
    (ACSI / the common CSAT definition); the interval is Wilson's
    (:func:`cxresearch.stats.intervals.wilson`), with Kish's effective n when weighted.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"csat": [5, 4, 3, 7, 6, 5], "csat_min": [1, 1, 1, 1, 1, 1],
    ...                    "csat_max": [5, 5, 5, 7, 7, 7]})
    >>> round(float(csat(df)["estimate"].iloc[0]), 4)
    0.6667
    """
    t = as_table(data)
    groups = by_list(by)
    check_columns(t, [score, *groups])
    valid = t.filter(t[score].notnull())
    low, high = _scale_bounds(valid, score, scale)
    top = high - 1 if satisfied is None else ibis.literal(satisfied)
    ok = valid[score] >= top
    w, aggs = weight_aggregates(valid, weights)
    bad = valid[score].notnull() & ((valid[score] < low) | (valid[score] > high))
    counts = aggregate(
        valid,
        groups,
        **aggs,
        satisfied=ok.ifelse(1, 0).sum(),
        w_sat=ok.ifelse(w, 0.0).sum(),
        invalid=bad.ifelse(1, 0).sum(),
    )
    if counts["invalid"].sum():
        found = valid.filter(bad).select(score).limit(3).to_pandas()[score].tolist()
        per_row = scale is None and {f"{score}_min", f"{score}_max"} <= set(t.columns)
        first, last = scale or DEFAULT_SCALE
        what = "on each row's declared scale" if per_row else f"{first}-{last}"
        raise ValueError(f"column {score!r} must hold integers {what}; found {found}")
    counts["effective_n"] = kish_n(counts)
    share = counts["w_sat"] / counts["sum_w"]
    values = intervals.wilson(share * counts["effective_n"], counts["effective_n"], confidence)
    return finish(
        counts,
        groups,
        "csat",
        values,
        confidence,
        min_n,
        ("satisfied",),
        suppress_below=suppress_below,
    )


def _scale_bounds(
    t: ir.Table, score: str, scale: tuple[int, int] | None
) -> tuple[ir.Value, ir.Value]:
    """Lowest and highest rating of each row: ``scale``, the row's own, else the default."""
    if scale is not None:
        return ibis.literal(int(scale[0])), ibis.literal(int(scale[1]))
    names = set(t.columns)
    low = ibis.literal(DEFAULT_SCALE[0])
    high = ibis.literal(DEFAULT_SCALE[1])
    if f"{score}_min" in names and f"{score}_max" in names:
        low = t[f"{score}_min"].cast("int64").fill_null(DEFAULT_SCALE[0])
        high = t[f"{score}_max"].cast("int64").fill_null(DEFAULT_SCALE[1])
    return low, high
