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
* ``unreliable``: an effective n under ``min_n`` (30 by default) or an interval wider than
  ``max_ci_width`` (0.30 of the metric's range), after the NCHS data presentation standards
  for proportions (Parker et al. 2017): shown, and marked.

With ``weights=``, estimates are weighted means and intervals use Kish's effective sample
size ``(sum w)^2 / sum w^2`` in place of n.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd

from cxresearch import intervals
from cxresearch.config import DEFAULT_MIN_N, DEFAULT_SUPPRESS_BELOW
from cxresearch.schema import DEFAULT_SCALE

TableLike = ir.Table | pd.DataFrame
PERIODS = ("month", "quarter", "year")


def as_table(data: TableLike) -> ir.Table:
    """Return ``data`` as an Ibis table (a DataFrame becomes an in-memory table)."""
    if isinstance(data, ir.Table):
        return data
    if isinstance(data, pd.DataFrame):
        return ibis.memtable(data)
    raise TypeError(f"expected an Ibis table or a pandas DataFrame, got {type(data).__name__}")


def _by_list(by: str | Sequence[str] | None) -> list[str]:
    if by is None:
        return []
    return [by] if isinstance(by, str) else list(by)


def _check_columns(t: ir.Table, columns: Sequence[str]) -> None:
    missing = [c for c in columns if c not in t.columns]
    if missing:
        raise ValueError(f"column(s) {missing} not in the data; it has {list(t.columns)}")


def _aggregate(t: ir.Table, by: list[str], **metrics) -> pd.DataFrame:
    expr = t.group_by(by).aggregate(**metrics) if by else t.aggregate(**metrics)
    out = expr.to_pandas()
    if by:
        out = out.sort_values(by, ignore_index=True)
    return out


def _finish(
    counts: pd.DataFrame,
    by: list[str],
    metric: str,
    values: tuple,
    confidence: float,
    min_n: int,
    extra: Sequence[str] = (),
    *,
    suppress_below: int = DEFAULT_SUPPRESS_BELOW,
    max_ci_width: float = 0.30,
) -> pd.DataFrame:
    estimate, se, low, high = values
    out = counts[by].copy()
    out["metric"] = metric
    out["n"] = counts["n"].astype("int64")
    out["effective_n"] = counts["effective_n"] if "effective_n" in counts else out["n"]
    out["estimate"] = estimate
    out["std_error"] = se
    out["ci_low"] = low
    out["ci_high"] = high
    out["confidence"] = confidence
    suppressed = out["n"] < suppress_below
    out["suppressed"] = suppressed
    width = out["ci_high"] - out["ci_low"]
    out["unreliable"] = ~suppressed & ((out["effective_n"] < min_n) | (width > max_ci_width))
    for col in extra:
        out[col] = counts[col].astype("Float64" if col.startswith("weighted_") else "Int64")
    hide = ["estimate", "std_error", "ci_low", "ci_high", *extra]
    out.loc[suppressed, hide] = pd.NA if len(extra) else np.nan
    for col in ("estimate", "std_error", "ci_low", "ci_high"):
        out[col] = out[col].astype(float)
    return out


def _weight_aggregates(t: ir.Table, weights: str | None) -> tuple[ir.Value, dict]:
    """The weight expression and the aggregates that give Kish's effective n."""
    if weights is None:
        w = ibis.literal(1.0)
        return w, {"n": t.count(), "sum_w": t.count().cast("float64"),
                   "sum_w2": t.count().cast("float64")}  # fmt: skip
    _check_columns(t, [weights])
    w = t[weights].cast("float64")
    return w, {"n": t.count(), "sum_w": w.sum(), "sum_w2": (w * w).sum()}


def _effective(counts: pd.DataFrame) -> pd.Series:
    with np.errstate(invalid="ignore", divide="ignore"):
        return counts["sum_w"] ** 2 / counts["sum_w2"]


def _out_of_range(t: ir.Table, column: str, low: int, high: int) -> ir.Value:
    """Aggregate counting values outside ``[low, high]``, to add to the main query."""
    col = t[column]
    return (col.notnull() & ((col < low) | (col > high))).ifelse(1, 0).sum()


def _check_range(t: ir.Table, column: str, low: int, high: int, invalid: int) -> None:
    """Raise if the main query counted invalid values (a second query finds examples)."""
    if not invalid:
        return
    col = t[column]
    bad = t.filter(col.notnull() & ((col < low) | (col > high)))
    found = bad.select(column).limit(3).to_pandas()[column].tolist()
    raise ValueError(f"column {column!r} must hold integers {low}-{high}; found {found}")


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
        ``"wald"`` or ``"adjusted_wald"`` (see :func:`cxresearch.intervals.nps_interval`).
    min_n
        Groups with a smaller effective n are flagged ``unreliable``.
    suppress_below
        Groups with fewer respondents are ``suppressed``.

    Returns
    -------
    pandas.DataFrame
        ``[*by, metric, n, effective_n, estimate, std_error, ci_low, ci_high, confidence,
        suppressed, unreliable, promoters, passives, detractors]``: ``metric`` is
        ``"nps"``; ``estimate`` is the (weighted) promoter share minus the detractor
        share (-1 to 1); the three counts are respondents, unweighted.

    Notes
    -----
    Promoters score 9-10, passives 7-8, detractors 0-6 (Reichheld 2003). The variance
    is the trinomial one; see :func:`cxresearch.intervals.nps_interval`. With weights
    the shares are weighted and n is Kish's effective n.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"nps": [0, 7, 8, 9, 10, 10]})
    >>> round(float(nps(df)["estimate"].iloc[0]), 4)
    0.3333
    """
    t = as_table(data)
    groups = _by_list(by)
    _check_columns(t, [score, *groups])
    valid = t.filter(t[score].notnull())
    s = valid[score]
    w, aggs = _weight_aggregates(valid, weights)
    counts = _aggregate(
        valid,
        groups,
        **aggs,
        invalid=_out_of_range(valid, score, 0, 10),
        promoters=(s >= 9).ifelse(1, 0).sum(),
        detractors=(s <= 6).ifelse(1, 0).sum(),
        w_pro=(s >= 9).ifelse(w, 0.0).sum(),
        w_det=(s <= 6).ifelse(w, 0.0).sum(),
    )
    _check_range(t, score, 0, 10, counts["invalid"].sum())
    counts["passives"] = counts["n"] - counts["promoters"] - counts["detractors"]
    counts["effective_n"] = _effective(counts)
    n_eff = counts["effective_n"]
    values = intervals.nps_interval(
        counts["w_pro"] / counts["sum_w"] * n_eff,
        counts["w_det"] / counts["sum_w"] * n_eff,
        n_eff,
        confidence,
        method,
    )
    return _finish(
        counts,
        groups,
        "nps",
        values,
        confidence,
        min_n,
        ("promoters", "passives", "detractors"),
        suppress_below=suppress_below,
        max_ci_width=0.60,
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
        ``<score>_min``/``<score>_max``, else :data:`cxresearch.schema.DEFAULT_SCALE`
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
    (:func:`cxresearch.intervals.wilson`), with Kish's effective n when weighted.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"csat": [5, 4, 3, 7, 6, 5], "csat_min": [1, 1, 1, 1, 1, 1],
    ...                    "csat_max": [5, 5, 5, 7, 7, 7]})
    >>> round(float(csat(df)["estimate"].iloc[0]), 4)
    0.6667
    """
    t = as_table(data)
    groups = _by_list(by)
    _check_columns(t, [score, *groups])
    valid = t.filter(t[score].notnull())
    low, high = _scale_bounds(valid, score, scale)
    top = high - 1 if satisfied is None else ibis.literal(satisfied)
    ok = valid[score] >= top
    w, aggs = _weight_aggregates(valid, weights)
    bad = valid[score].notnull() & ((valid[score] < low) | (valid[score] > high))
    counts = _aggregate(
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
    counts["effective_n"] = _effective(counts)
    share = counts["w_sat"] / counts["sum_w"]
    values = intervals.wilson(share * counts["effective_n"], counts["effective_n"], confidence)
    return _finish(
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
    groups = _by_list(by)
    _check_columns(t, ["first_purchase_date", "churn_date", *groups])
    periods = ibis.memtable(period_starts(start, end, period))
    j = t.cross_join(periods)
    first = j.first_purchase_date.cast("date")
    churn = j.churn_date.cast("date")
    at_risk = (first < j.period_start) & (churn.isnull() | (churn >= j.period_start))
    churned = at_risk & churn.notnull() & (churn < j.period_end)
    counts = _aggregate(
        j,
        [*groups, "period_start"],
        n=at_risk.ifelse(1, 0).sum(),
        churned=churned.ifelse(1, 0).sum(),
    )
    counts["period_start"] = pd.to_datetime(counts["period_start"]).dt.date
    values = intervals.wilson(counts["churned"], counts["n"], confidence)
    out = _finish(
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
        :func:`cxresearch.retention.durations`).

    Returns
    -------
    pandas.DataFrame
        ``[*by, metric, n, effective_n, estimate, std_error, ci_low, ci_high, confidence,
        suppressed, unreliable, churned]``.
    """
    t = as_table(customers)
    groups = _by_list(by)
    _check_columns(t, [churned, *groups])
    counts = _aggregate(t, groups, n=t.count(), churned=t[churned].ifelse(1, 0).sum())
    values = intervals.wilson(counts["churned"], counts["n"], confidence)
    return _finish(
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
    groups = _by_list(by)
    _check_columns(t, [score, spend, *groups])
    t = t.filter(t[score].notnull() & t[spend].notnull())
    unhappy = t[score] < satisfied
    w, aggs = _weight_aggregates(t, weights)
    counts = _aggregate(
        t,
        groups,
        **aggs,
        unhappy=unhappy.ifelse(1, 0).sum(),
        w_unhappy=unhappy.ifelse(w, 0.0).sum(),
        spend_unhappy=unhappy.ifelse(t[spend], 0).sum(),
    )
    counts["effective_n"] = _effective(counts)
    n_eff = counts["effective_n"]
    share, share_se, low, high = intervals.wilson(
        counts["w_unhappy"] / counts["sum_w"] * n_eff, n_eff, confidence
    )
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_spend = counts["spend_unhappy"] / counts["unhappy"]
    mean_spend = mean_spend.fillna(0.0)
    base = counts["n"] if customers is None else customers
    scale = base * churn_probability * mean_spend
    values = (share * scale, share_se * scale, low * scale, high * scale)
    out = _finish(
        counts,
        groups,
        "revenue_at_risk",
        values,
        confidence,
        min_n,
        ("unhappy",),
        suppress_below=suppress_below,
        max_ci_width=np.inf,
    )
    out["unhappy_share"] = pd.Series(share, index=out.index).where(~out["suppressed"])
    out["mean_spend_unhappy"] = mean_spend.where(~out["suppressed"])
    out["churn_probability"] = churn_probability
    out["customers"] = base
    return out
