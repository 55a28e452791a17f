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

import datetime as dt
from collections.abc import Sequence

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd

from cxresearch.config import (
    DEFAULT_MIN_N,
    DEFAULT_SUPPRESS_BELOW,
    DETRACTOR_MAX,
    MAX_CI_WIDTH,
    MAX_RELATIVE_CI_WIDTH,
    PROMOTER_MIN,
    RELATIVE_WIDTH_FROM,
)
from cxresearch.stats import intervals
from cxresearch.stats._utils import TableLike, aggregate, as_table, by_list, check_columns

PERIODS = ("month", "quarter", "year")


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
    value_range: float | None = 1.0,
    proportion: bool = True,
) -> pd.DataFrame:
    estimate, se, low, high = values
    out = counts[by].copy()
    out["metric"] = metric
    out["n"] = counts["n"].astype("int64")
    out["effective_n"] = counts["effective_n"] if "effective_n" in counts else out["n"]
    out["estimate"] = np.asarray(estimate, dtype=float)
    out["std_error"] = np.asarray(se, dtype=float)
    out["ci_low"] = np.asarray(low, dtype=float)
    out["ci_high"] = np.asarray(high, dtype=float)
    out["confidence"] = confidence
    for col in extra:
        out[col] = counts[col].astype("Float64" if col.startswith("weighted_") else "Int64")
    out = small_group_rules(out, min_n=min_n, suppress_below=suppress_below,
                            value_range=value_range, proportion=proportion, hide=extra)  # fmt: skip
    order = [c for c in out.columns if c not in (*extra, "suppressed", "unreliable")]
    return out[[*order, "suppressed", "unreliable", *extra]]


def _weight_aggregates(t: ir.Table, weights: str | None) -> tuple[ir.Value, dict]:
    """The weight expression and the aggregates that give Kish's effective n."""
    if weights is None:
        w = ibis.literal(1.0)
        return w, {"n": t.count(), "sum_w": t.count().cast("float64"),
                   "sum_w2": t.count().cast("float64")}  # fmt: skip
    check_columns(t, [weights])
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
    w, aggs = _weight_aggregates(valid, weights)
    counts = aggregate(
        valid,
        groups,
        **aggs,
        invalid=_out_of_range(valid, score, 0, 10),
        promoters=(s >= PROMOTER_MIN).ifelse(1, 0).sum(),
        detractors=(s <= DETRACTOR_MAX).ifelse(1, 0).sum(),
        w_pro=(s >= PROMOTER_MIN).ifelse(w, 0.0).sum(),
        w_det=(s <= DETRACTOR_MAX).ifelse(w, 0.0).sum(),
    )
    _check_range(t, score, 0, 10, counts["invalid"].sum())
    counts["passives"] = counts["n"] - counts["promoters"] - counts["detractors"]
    counts["effective_n"] = _effective(counts)
    n_eff = counts["effective_n"]
    shares = (
        counts["w_pro"] / counts["sum_w"] * n_eff,
        counts["w_det"] / counts["sum_w"] * n_eff,
        n_eff,
    )
    values = intervals.nps_interval(*shares, confidence, method)
    counts["centre"] = intervals.nps_centre(*shares, method)[0]
    out = _finish(
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
    satisfied: int = 4,
    scale: tuple[int, int] = (1, 5),
    confidence: float = 0.95,
    min_n: int = DEFAULT_MIN_N,
    suppress_below: int = DEFAULT_SUPPRESS_BELOW,
) -> pd.DataFrame:
    """Customer satisfaction (CSAT): the share of satisfied respondents, Wilson interval.

    Parameters
    ----------
    data
        Responses: an Ibis table or a DataFrame.
    score
        Column of satisfaction ratings on ``scale``; missing ratings are left out.
    by
        Grouping column(s).
    weights
        Column of respondent weights; ``None`` weighs every respondent equally.
    satisfied
        Lowest rating counted as satisfied (4 on a 1-5 scale: the top-two box).
    scale
        Lowest and highest valid rating.
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
    CSAT = satisfied / all x 100 in reports; the interval is Wilson's
    (:func:`cxresearch.stats.intervals.wilson`), with Kish's effective n when weighted.
    """
    t = as_table(data)
    groups = by_list(by)
    check_columns(t, [score, *groups])
    valid = t.filter(t[score].notnull())
    ok = valid[score] >= satisfied
    w, aggs = _weight_aggregates(valid, weights)
    counts = aggregate(
        valid,
        groups,
        **aggs,
        satisfied=ok.ifelse(1, 0).sum(),
        w_sat=ok.ifelse(w, 0.0).sum(),
        invalid=_out_of_range(valid, score, *scale),
    )
    _check_range(t, score, *scale, counts["invalid"].sum())
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
    groups = by_list(by)
    check_columns(t, [score, spend, *groups])
    t = t.filter(t[score].notnull() & t[spend].notnull())
    unhappy = t[score] < satisfied
    w, aggs = _weight_aggregates(t, weights)
    counts = aggregate(
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
    # the rules read the unhappy share's interval (a proportion); money is its multiple
    out = _finish(
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
