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
import numpy as np
import pandas as pd

from cxresearch.config import (
    DEFAULT_MIN_N,
    DEFAULT_SUPPRESS_BELOW,
    DETRACTOR_MAX,
    PROMOTER_MIN,
)
from cxresearch.data import summary
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
    counts = None
    if score == "nps":  # per-day summary: one query, no rows read
        counts = summary.nps_counts(t, groups, weights, low=0, high=10,
                                    promoter=PROMOTER_MIN, detractor=DETRACTOR_MAX)  # fmt: skip
    if counts is None or counts["invalid"].sum():
        counts = _nps_rows(t, score, groups, weights)
    check_range(t, score, 0, 10, counts["invalid"].sum())
    # the arithmetic on arrays (pandas' per-operation overhead is most of a small table's)
    # (the counts of an empty rows' aggregate can be missing: pandas' arithmetic keeps them so)
    passives = (counts["n"] - counts["promoters"] - counts["detractors"]).to_numpy()
    sum_w = counts["sum_w"].to_numpy(dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        n_eff = sum_w**2 / counts["sum_w2"].to_numpy(dtype=float)  # kish_n
        shares = (
            counts["w_pro"].to_numpy(dtype=float) / sum_w * n_eff,
            counts["w_det"].to_numpy(dtype=float) / sum_w * n_eff,
            n_eff,
        )
    values = intervals.nps_interval(*shares, confidence, method)
    centre = np.asarray(intervals.nps_centre(*shares, method)[0], dtype=float)
    return finish(
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
        columns={"effective_n": n_eff, "passives": passives},
        after={"centre": centre},
    )


def _nps_rows(t: ir.Table, score: str, groups: list[str], weights: str | None) -> pd.DataFrame:
    """The counts behind the NPS, aggregated from the rows in the engine."""
    valid = t.filter(t[score].notnull())
    s = valid[score]
    w, aggs = weight_aggregates(valid, weights)
    return aggregate(
        valid,
        groups,
        **aggs,
        invalid=out_of_range(valid, score, 0, 10),
        promoters=(s >= PROMOTER_MIN).ifelse(1, 0).sum(),
        detractors=(s <= DETRACTOR_MAX).ifelse(1, 0).sum(),
        w_pro=(s >= PROMOTER_MIN).ifelse(w, 0.0).sum(),
        w_det=(s <= DETRACTOR_MAX).ifelse(w, 0.0).sum(),
    )


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
    counts = None
    if score == "csat":  # per-day summary: one query, no rows read
        counts = summary.csat_counts(t, groups, weights, scale=scale, satisfied=satisfied,
                                     default=DEFAULT_SCALE)  # fmt: skip
    if counts is None or counts["invalid"].sum():  # the rows' expressions, built only here
        valid, ok, bad = _csat_terms(t, score, scale, satisfied)
        w, aggs = weight_aggregates(valid, weights)
        counts = aggregate(
            valid,
            groups,
            **aggs,
            satisfied=ok.ifelse(1, 0).sum(),
            w_sat=ok.ifelse(w, 0.0).sum(),
            invalid=bad.ifelse(1, 0).sum(),
        )
    if counts["invalid"].sum():
        valid, _, bad = _csat_terms(t, score, scale, satisfied)
        found = valid.filter(bad).select(score).limit(3).to_pandas()[score].tolist()
        per_row = scale is None and {f"{score}_min", f"{score}_max"} <= set(t.columns)
        first, last = scale or DEFAULT_SCALE
        what = "on each row's declared scale" if per_row else f"{first}-{last}"
        raise ValueError(f"column {score!r} must hold integers {what}; found {found}")
    sum_w = counts["sum_w"].to_numpy(dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        n_eff = sum_w**2 / counts["sum_w2"].to_numpy(dtype=float)  # kish_n
        share = counts["w_sat"].to_numpy(dtype=float) / sum_w
    values = intervals.wilson(share * n_eff, n_eff, confidence)
    return finish(
        counts,
        groups,
        "csat",
        values,
        confidence,
        min_n,
        ("satisfied",),
        suppress_below=suppress_below,
        columns={"effective_n": n_eff},
    )


def _csat_terms(
    t: ir.Table, score: str, scale: tuple[int, int] | None, satisfied: int | None
) -> tuple[ir.Table, ir.BooleanValue, ir.BooleanValue]:
    """The rated rows of ``t``, and which of them are satisfied and which out of range."""
    valid = t.filter(t[score].notnull())
    low, high = _scale_bounds(valid, score, scale)
    top = high - 1 if satisfied is None else ibis.literal(satisfied)
    ok = valid[score] >= top
    bad = valid[score].notnull() & ((valid[score] < low) | (valid[score] > high))
    return valid, ok, bad


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
