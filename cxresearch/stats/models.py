"""Models of what satisfaction is worth: intent against action, satisfaction against spend.

Models are fitted on aggregates computed in the engine wherever that is exact: the intent
model on counts per score, the spend model on one row per customer. Fitting functions
return the statsmodels result; :func:`tidy` turns a result into a DataFrame.
"""

from __future__ import annotations

from collections.abc import Sequence

import ibis
import numpy as np
import pandas as pd
import statsmodels.api as sm
import statsmodels.formula.api as smf

from cxresearch.config import NPS_BANDS
from cxresearch.stats import intervals
from cxresearch.stats._utils import TableLike, aggregate, as_table, by_list, check_columns


def intent_counts(
    data: TableLike,
    score: str = "nps",
    actual: str = "recommended_last_12m",
    *,
    by: str | Sequence[str] | None = None,
) -> pd.DataFrame:
    """Count, per score (and group), respondents who did and did not recommend.

    Answers other than ``"yes"`` and ``"no"`` (such as ``"unknown"``) are counted in
    ``unknown`` and left out of ``n``.

    Returns
    -------
    pandas.DataFrame
        ``[*by, score, n, recommended, not_recommended, unknown]``, with the score
        column named ``score`` whatever its name in the data.
    """
    t = as_table(data)
    groups = by_list(by)
    check_columns(t, [score, actual, *groups])
    t = t.filter(t[score].notnull())
    a = t[actual]
    counts = aggregate(
        t.mutate(score=t[score].cast("int64")),
        [*groups, "score"],
        recommended=(a == "yes").ifelse(1, 0).sum(),
        not_recommended=(a == "no").ifelse(1, 0).sum(),
        unknown=(~a.isin(["yes", "no"]) | a.isnull()).ifelse(1, 0).sum(),
    )
    counts["n"] = counts["recommended"] + counts["not_recommended"]
    return counts[[*groups, "score", "n", "recommended", "not_recommended", "unknown"]]


def intent_calibration(
    data: TableLike,
    score: str = "nps",
    actual: str = "recommended_last_12m",
    *,
    by: str | Sequence[str] | None = None,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """P(actually recommended | stated score) per score level, with Wilson intervals.

    Returns
    -------
    pandas.DataFrame
        ``[*by, score, metric, n, estimate, std_error, ci_low, ci_high, confidence,
        recommended, unknown]``: ``metric`` is ``"recommended_share"``, ``n`` counts
        the yes and no answers, ``estimate`` is yes / n.
    """
    counts = intent_counts(data, score, actual, by=by)
    est, se, low, high = intervals.wilson(counts["recommended"], counts["n"], confidence)
    out = counts[[*by_list(by), "score"]].copy()
    out["metric"] = "recommended_share"
    out["n"] = counts["n"]
    out["estimate"], out["std_error"], out["ci_low"], out["ci_high"] = est, se, low, high
    out["confidence"] = confidence
    out["recommended"] = counts["recommended"]
    out["unknown"] = counts["unknown"]
    return out


#: Score bands of the NPS groups.


def intent_by_group(counts: pd.DataFrame, *, confidence: float = 0.95) -> pd.DataFrame:
    """Share who actually recommended among detractors, passives and promoters.

    Pools the per-score counts of :func:`intent_counts` (computed in the engine) by NPS
    group and gives each share a Wilson interval.

    Returns
    -------
    pandas.DataFrame
        ``[nps_group, metric, n, estimate, std_error, ci_low, ci_high, confidence,
        recommended]``, detractors first.

    Examples
    --------
    >>> counts = pd.DataFrame({"score": [6, 9, 10], "n": [10, 20, 30],
    ...                        "recommended": [1, 6, 18]})
    >>> intent_by_group(counts)[["nps_group", "n", "recommended", "estimate"]]
       nps_group   n  recommended  estimate
    0  detractor  10            1      0.10
    1    passive   0            0       NaN
    2   promoter  50           24      0.48
    """
    rows = []
    for group, (low, high) in NPS_BANDS.items():
        part = counts[(counts["score"] >= low) & (counts["score"] <= high)]
        rows.append({"nps_group": group, "n": int(part["n"].sum()),
                     "recommended": int(part["recommended"].sum())})  # fmt: skip
    out = pd.DataFrame(rows)
    est, se, lo, hi = intervals.wilson(out["recommended"], out["n"], confidence)
    out.insert(1, "metric", "recommended_share")
    out["estimate"], out["std_error"], out["ci_low"], out["ci_high"] = est, se, lo, hi
    out["confidence"] = confidence
    return out[["nps_group", "metric", "n", "estimate", "std_error", "ci_low", "ci_high",
                "confidence", "recommended"]]  # fmt: skip


def fit_intent(
    data: TableLike | None = None,
    score: str = "nps",
    actual: str = "recommended_last_12m",
    *,
    by: str | None = None,
    counts: pd.DataFrame | None = None,
):
    """Binomial GLM of actually recommending on the stated score, fitted on counts.

    Parameters
    ----------
    data
        Responses (Ibis table or DataFrame); ignored when ``counts`` is given.
    score, actual
        Columns of the 0-10 score and of the yes/no/unknown answer.
    by
        One grouping column: each group gets its own intercept and slope.
    counts
        Output of :func:`intent_counts`, to reuse counts already computed.

    Returns
    -------
    statsmodels.genmod.generalized_linear_model.GLMResultsWrapper
        ``logit P(yes) = a + b * score``; terms ``Intercept`` and ``score``, or with
        ``by`` ``C(segment)[B2B]`` and ``C(segment)[B2B]:score`` per group.

    Notes
    -----
    Fitting the binomial likelihood to (yes, no) counts per score gives exactly the
    estimates of the same model fitted to individual rows, with the data reduced to at
    most 11 rows per group.
    """
    if counts is None:
        if data is None:
            raise ValueError("give either data or counts")
        counts = intent_counts(data, score, actual, by=by)
    counts = counts[counts["n"] > 0]
    if by is None:
        formula = "recommended + not_recommended ~ score"
    else:
        formula = f"recommended + not_recommended ~ 0 + C({by}) + C({by}):score"
    return smf.glm(formula, data=counts, family=sm.families.Binomial()).fit()


def predict_intent(
    result, scores: Sequence[int] = range(11), confidence: float = 0.95, **groups
) -> pd.DataFrame:
    """Predicted P(recommended) with an interval from a :func:`fit_intent` result.

    Parameters
    ----------
    result
        A fitted intent model.
    scores
        Scores to predict at.
    confidence
        Two-sided confidence level.
    **groups
        The group to predict for when the model was fitted with ``by``
        (``segment="B2B"``).

    Returns
    -------
    pandas.DataFrame
        ``[score, estimate, ci_low, ci_high, confidence]``.
    """
    new = pd.DataFrame({"score": list(scores), **{k: v for k, v in groups.items()}})
    frame = result.get_prediction(new).summary_frame(alpha=1 - confidence)
    return pd.DataFrame(
        {
            "score": new["score"],
            "estimate": frame["mean"].to_numpy(),
            "ci_low": frame["mean_ci_lower"].to_numpy(),
            "ci_high": frame["mean_ci_upper"].to_numpy(),
            "confidence": confidence,
        }
    )


def predict_intent_by(
    result, counts: pd.DataFrame, by: str, scores: Sequence[int] = (10, 9), confidence: float = 0.95
) -> pd.DataFrame:
    """Predicted P(recommended) per group from a model fitted with ``by``.

    Returns
    -------
    pandas.DataFrame
        ``[by, score, estimate, ci_low, ci_high, confidence, n]``: ``n`` the group's yes and
        no answers behind the model.
    """
    rows = []
    for group in sorted(counts[by].unique()):
        pred = predict_intent(result, scores=scores, confidence=confidence, **{by: group})
        pred.insert(0, by, group)
        pred["n"] = int(counts.loc[counts[by] == group, "n"].sum())
        rows.append(pred)
    return pd.concat(rows, ignore_index=True)


def _sampled(t, fraction: float, key: str, seed: int):
    """Rows of ``t`` kept with probability ``fraction``, reproducibly.

    Where the engine hashes (DuckDB, Spark), a row is kept when the hash of its key and
    the seed falls under the fraction: the same seed gives the same rows on every run.
    Elsewhere the engine's own seeded sampler is used (PostgreSQL's ``TABLESAMPLE
    BERNOULLI ... REPEATABLE``).
    """
    import ibis.common.exceptions as ibis_errors

    buckets = 1_000_003
    mixed = (t[key].cast("string") + ibis.literal(f"#{seed}")).hash()
    hashed = t.filter((mixed % buckets + buckets) % buckets < int(round(fraction * buckets)))
    try:
        return hashed.to_pandas()
    except (ibis_errors.OperationNotDefinedError, ibis_errors.UnsupportedOperationError):
        return t.sample(fraction, seed=seed).to_pandas()


def stratified_sample(
    data: TableLike, by: str, size: int, *, key: str = "customer_id", seed: int = 20261123
) -> pd.DataFrame:
    """Draw a proportional stratified random sample in the engine, with sampling weights.

    When ``data`` has more than ``size`` rows, every stratum (value of ``by``) is sampled
    at the same rate ``f = size / rows`` inside the engine (Ibis ``Table.sample``), so
    only the sample reaches pandas. Each sampled row gets ``sample_weight``, its stratum's
    rows / its stratum's sampled rows, so weighted estimates are unbiased for the whole.
    Intervals from a sample are about ``1 / sqrt(f)`` times as wide as from all rows; the
    returned frame says so in ``attrs``.

    Parameters
    ----------
    data
        Rows to sample from (one row per customer, say).
    by
        Stratum column.
    size
        Largest number of rows to bring back (about; the sample size is random).
    key
        Column identifying a row (hashed to draw the sample).
    seed
        Seed of the sample: the same seed draws the same rows.

    Returns
    -------
    pandas.DataFrame
        The sample (or all rows) with ``sample_weight``; ``attrs`` holds ``population``,
        ``fraction`` and ``widening`` (the expected factor on interval widths).
    """
    t = as_table(data)
    counts = t.group_by(by).aggregate(rows=t.count()).to_pandas().set_index(by)["rows"]
    population = int(counts.sum())
    fraction = min(1.0, size / population) if population else 1.0
    if fraction >= 1.0:
        frame = t.to_pandas().assign(sample_weight=1.0)
    else:
        parts = [
            _sampled(t.filter(t[by] == stratum), fraction, key, seed) for stratum in counts.index
        ]
        frame = pd.concat(parts, ignore_index=True)
        drawn = frame.groupby(by).size()
        frame["sample_weight"] = frame[by].map(counts / drawn).astype(float)
    frame.attrs.update(population=population, fraction=fraction, widening=fraction**-0.5)
    return frame


def fit_spend(
    data: TableLike,
    spend: str = "monthly_spend",
    satisfaction: str = "satisfaction_level",
    *,
    adjust: Sequence[str] = ("segment",),
    weights: str | None = None,
):
    """Gamma GLM (log link) of monthly spend on satisfaction level.

    Parameters
    ----------
    data
        One row per customer, e.g. from :func:`cxresearch.data.db.read_customer_spend`.
    spend
        Column of mean monthly spend (positive).
    satisfaction
        Column of satisfaction levels; the lowest level present is the reference.
    adjust
        Columns adjusted for (categorical), such as segment, whose spend differs a lot.
    weights
        Column of sampling weights (``sample_weight`` from :func:`stratified_sample`);
        with the robust errors this is the usual probability-weighted sandwich.

    Returns
    -------
    statsmodels.genmod.generalized_linear_model.GLMResultsWrapper
        Fitted with heteroscedasticity-robust (HC1) standard errors; ``exp`` of a level
        coefficient is that level's spend relative to the lowest level.

    Notes
    -----
    The log link models the mean directly, so ``exp(beta)`` is a ratio of mean spend
    with no retransformation bias; a log-linear OLS would need Duan's smearing to get
    back to means. The robust errors keep the intervals valid if spend is not gamma.
    """
    frame = data.to_pandas() if not isinstance(data, pd.DataFrame) else data
    check_columns(as_table(frame.head(0)), [spend, satisfaction, *adjust])
    bad = frame[frame[spend].isna() | (frame[spend] <= 0)]
    if len(bad):
        raise ValueError(
            f"column {spend!r} must be positive; row {bad.index[0]} holds {bad[spend].iloc[0]}"
        )
    terms = [f"C({satisfaction})", *[f"C({c})" for c in adjust if frame[c].nunique() > 1]]
    formula = f"{spend} ~ " + " + ".join(terms)
    family = sm.families.Gamma(link=sm.families.links.Log())
    extra = {"var_weights": frame[weights].to_numpy(float)} if weights else {}
    return smf.glm(formula, data=frame, family=family, **extra).fit(cov_type="HC1")


def spend_uplift(
    result, satisfaction: str = "satisfaction_level", confidence: float = 0.95
) -> pd.DataFrame:
    """Spend of each satisfaction level relative to the lowest, from :func:`fit_spend`.

    Returns
    -------
    pandas.DataFrame
        ``[level, metric, estimate, std_error, ci_low, ci_high, confidence, uplift_pct]``:
        ``estimate`` is the ratio of mean spend to the lowest level's (1 for the lowest
        itself), ``std_error`` that of the log ratio, ``uplift_pct`` = 100 (ratio - 1).
    """
    z = intervals.z_value(confidence)
    prefix = f"C({satisfaction})[T."
    rows = []
    levels = sorted(result.model.data.frame[satisfaction].unique())
    for level in levels:
        name = f"{prefix}{level}]"
        if name in result.params.index:
            beta, se = float(result.params[name]), float(result.bse[name])
        else:
            beta, se = 0.0, 0.0
        rows.append(
            {
                "level": int(level),
                "metric": "spend_ratio",
                "estimate": np.exp(beta),
                "std_error": se,
                "ci_low": np.exp(beta - z * se),
                "ci_high": np.exp(beta + z * se),
                "confidence": confidence,
            }
        )
    out = pd.DataFrame(rows)
    out["uplift_pct"] = 100 * (out["estimate"] - 1)
    return out


def tidy(result, confidence: float = 0.95, exponentiate: bool = False) -> pd.DataFrame:
    """Return a statsmodels result as one row per term.

    Returns
    -------
    pandas.DataFrame
        ``[term, estimate, std_error, statistic, p_value, ci_low, ci_high]``;
        with ``exponentiate`` the estimate and interval are ``exp`` of the coefficient
        (odds or mean ratios) while ``std_error`` stays on the link scale.
    """
    ci = result.conf_int(alpha=1 - confidence)
    out = pd.DataFrame(
        {
            "term": result.params.index,
            "estimate": result.params.to_numpy(),
            "std_error": result.bse.to_numpy(),
            "statistic": result.tvalues.to_numpy(),
            "p_value": result.pvalues.to_numpy(),
            "ci_low": ci.iloc[:, 0].to_numpy(),
            "ci_high": ci.iloc[:, 1].to_numpy(),
        }
    )
    if exponentiate:
        for col in ("estimate", "ci_low", "ci_high"):
            out[col] = np.exp(out[col])
    return out
