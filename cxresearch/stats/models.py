"""Models of what satisfaction is worth: intent against action, satisfaction against spend.

Models are fitted on aggregates computed in the engine wherever that is exact: the intent
model on counts per score, the spend model on one row per response (spend in the months
after it) or per customer. Fitting functions
return the statsmodels result; :func:`tidy` turns a result into a DataFrame.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import statsmodels.api as sm
import statsmodels.formula.api as smf

from cxresearch.config import DEFAULT_MIN_N, DEFAULT_SUPPRESS_BELOW, NPS_BANDS
from cxresearch.stats import intervals
from cxresearch.stats._utils import (
    TableLike,
    aggregate,
    as_table,
    by_list,
    check_columns,
    small_group_rules,
)
from cxresearch.stats.spend import fit_spend, spend_uplift, stratified_sample  # noqa: F401 - re-exported


def intent_counts(
    data: TableLike,
    score: str = "nps",
    actual: str = "recommended_last_12m",
    *,
    by: str | Sequence[str] | None = None,
    weights: str | None = None,
) -> pd.DataFrame:
    """Count, per score (and group), respondents who did and did not recommend.

    Answers other than ``"yes"`` and ``"no"`` (such as ``"unknown"``) are counted in
    ``unknown`` and left out of ``n``.

    Parameters
    ----------
    data
        Responses: an Ibis table or a DataFrame.
    score, actual
        Columns of the 0-10 score and of the yes/no/unknown answer.
    by
        Grouping column(s).
    weights
        Column of respondent weights; ``None`` weighs every respondent equally.

    Returns
    -------
    pandas.DataFrame
        ``[*by, score, n, recommended, not_recommended, unknown]``, with the score
        column named ``score`` whatever its name in the data; with ``weights`` also
        ``weighted_recommended`` and ``weighted_n`` (sums of the weights of the yes and of
        the yes-or-no answers) and ``effective_n`` (Kish's ``(sum w)^2 / sum w^2`` over
        the yes-or-no answers).
    """
    t = as_table(data)
    groups = by_list(by)
    check_columns(t, [score, actual, *groups, *([weights] if weights else [])])
    t = t.filter(t[score].notnull())
    a = t[actual]
    answered = a.isin(["yes", "no"])
    extra = {}
    if weights:
        w = t[weights].cast("float64")
        extra = {
            "weighted_recommended": (a == "yes").ifelse(w, 0.0).sum(),
            "weighted_n": answered.ifelse(w, 0.0).sum(),
            "sum_w2": answered.ifelse(w * w, 0.0).sum(),
        }
    counts = aggregate(
        t.mutate(score=t[score].cast("int64")),
        [*groups, "score"],
        recommended=(a == "yes").ifelse(1, 0).sum(),
        not_recommended=(a == "no").ifelse(1, 0).sum(),
        unknown=(~a.isin(["yes", "no"]) | a.isnull()).ifelse(1, 0).sum(),
        **extra,
    )
    counts["n"] = counts["recommended"] + counts["not_recommended"]
    cols = [*groups, "score", "n", "recommended", "not_recommended", "unknown"]
    if weights:
        with np.errstate(invalid="ignore", divide="ignore"):
            counts["effective_n"] = counts["weighted_n"] ** 2 / counts["sum_w2"]
        cols += ["weighted_recommended", "weighted_n", "effective_n"]
    return counts[cols]


def _weighted_share(counts: pd.DataFrame, confidence: float) -> tuple:
    """Wilson interval of the (weighted) recommended share, with Kish's n when weighted."""
    if "weighted_n" in counts:
        n_eff = counts["effective_n"].astype(float)
        with np.errstate(invalid="ignore", divide="ignore"):
            share = counts["weighted_recommended"] / counts["weighted_n"]
        return n_eff, intervals.wilson(share * n_eff, n_eff, confidence)
    n = counts["n"].astype(float)
    return n, intervals.wilson(counts["recommended"], n, confidence)


def intent_calibration(
    data: TableLike | None = None,
    score: str = "nps",
    actual: str = "recommended_last_12m",
    *,
    by: str | Sequence[str] | None = None,
    weights: str | None = None,
    confidence: float = 0.95,
    min_n: int = DEFAULT_MIN_N,
    suppress_below: int = DEFAULT_SUPPRESS_BELOW,
    counts: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """P(actually recommended | stated score) per score level, with Wilson intervals.

    Parameters
    ----------
    data
        Responses (Ibis table or DataFrame); ignored when ``counts`` is given.
    score, actual
        Columns of the 0-10 score and of the yes/no/unknown answer.
    by
        Grouping column(s).
    weights
        Column of respondent weights: the share is weighted and its interval uses Kish's
        effective n; ``None`` weighs every respondent equally.
    confidence
        Two-sided confidence level.
    min_n, suppress_below
        The small-group rule (:func:`cxresearch.stats.metrics.small_group_rules`).
    counts
        Output of :func:`intent_counts`, to reuse counts already computed.

    Returns
    -------
    pandas.DataFrame
        ``[*by, score, metric, n, effective_n, estimate, std_error, ci_low, ci_high,
        confidence, suppressed, unreliable, recommended, unknown]``: ``metric`` is
        ``"recommended_share"``, ``n`` counts the yes and no answers, ``estimate`` is the
        (weighted) share of yes among them; suppressed rows keep ``n`` only.
    """
    if counts is None:
        if data is None:
            raise ValueError("give either data or counts")
        counts = intent_counts(data, score, actual, by=by, weights=weights)
    n_eff, (est, se, low, high) = _weighted_share(counts, confidence)
    out = counts[[*by_list(by), "score"]].copy()
    out["metric"] = "recommended_share"
    out["n"] = counts["n"]
    out["effective_n"] = n_eff.to_numpy()
    out["estimate"], out["std_error"], out["ci_low"], out["ci_high"] = est, se, low, high
    out["confidence"] = confidence
    out["recommended"] = counts["recommended"]
    out["unknown"] = counts["unknown"]
    out = small_group_rules(out, min_n=min_n, suppress_below=suppress_below, hide=["recommended"])
    first = [c for c in out.columns if c not in ("recommended", "unknown")]
    return out[[*first, "recommended", "unknown"]]


#: Score bands of the NPS groups.


def intent_by_group(
    counts: pd.DataFrame,
    *,
    confidence: float = 0.95,
    min_n: int = DEFAULT_MIN_N,
    suppress_below: int = DEFAULT_SUPPRESS_BELOW,
) -> pd.DataFrame:
    """Share who actually recommended among detractors, passives and promoters.

    Pools the per-score counts of :func:`intent_counts` (computed in the engine) by NPS
    group and gives each share a Wilson interval (weighted, with Kish's effective n, when
    the counts were weighted).

    Returns
    -------
    pandas.DataFrame
        ``[nps_group, metric, n, effective_n, estimate, std_error, ci_low, ci_high,
        confidence, suppressed, unreliable, recommended]``, detractors first.

    Examples
    --------
    >>> counts = pd.DataFrame({"score": [6, 9, 10], "n": [10, 20, 30],
    ...                        "recommended": [1, 6, 18]})
    >>> intent_by_group(counts)[["nps_group", "n", "recommended", "estimate"]]
       nps_group   n  recommended  estimate
    0  detractor  10            1      0.10
    1    passive   0         <NA>       NaN
    2   promoter  50           24      0.48
    """
    weighted = "weighted_n" in counts
    rows = []
    for group, (low, high) in NPS_BANDS.items():
        part = counts[(counts["score"] >= low) & (counts["score"] <= high)]
        row = {"nps_group": group, "n": int(part["n"].sum()),
               "recommended": int(part["recommended"].sum())}  # fmt: skip
        if weighted:
            # Kish's n of the pooled cells: (sum w)^2 / sum w^2, with sum w^2 = (sum w)^2 / n_eff
            w2 = (part["weighted_n"] ** 2 / part["effective_n"]).where(part["weighted_n"] > 0, 0.0)
            row.update(weighted_recommended=float(part["weighted_recommended"].sum()),
                       weighted_n=float(part["weighted_n"].sum()))  # fmt: skip
            with np.errstate(invalid="ignore", divide="ignore"):
                row["effective_n"] = row["weighted_n"] ** 2 / float(w2.sum())
        rows.append(row)
    pooled = pd.DataFrame(rows)
    n_eff, (est, se, lo, hi) = _weighted_share(pooled, confidence)
    out = pooled[["nps_group"]].copy()
    out["metric"] = "recommended_share"
    out["n"] = pooled["n"]
    out["effective_n"] = n_eff.to_numpy()
    out["estimate"], out["std_error"], out["ci_low"], out["ci_high"] = est, se, lo, hi
    out["confidence"] = confidence
    out["recommended"] = pooled["recommended"]
    return small_group_rules(out, min_n=min_n, suppress_below=suppress_below,
                             hide=["recommended"])  # fmt: skip


def fit_intent(
    data: TableLike | None = None,
    score: str = "nps",
    actual: str = "recommended_last_12m",
    *,
    by: str | None = None,
    weights: str | None = None,
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
    weights
        Column of respondent weights (a weighted, pseudo-likelihood fit); ignored when
        ``counts`` is given: weighted counts fit the weighted model.
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
    most 11 rows per group. With weights, the weighted share of each score is fitted with
    its sum of weights as variance weight, which gives exactly the weighted
    (pseudo-maximum-likelihood) estimates of the row-level model; the weights are scaled
    so that they sum to Kish's effective n, so that the standard errors carry the design
    effect of unequal weighting.
    """
    if counts is None:
        if data is None:
            raise ValueError("give either data or counts")
        counts = intent_counts(data, score, actual, by=by, weights=weights)
    counts = counts[counts["n"] > 0]
    right = "score" if by is None else f"0 + C({by}) + C({by}):score"
    if "weighted_n" not in counts:
        formula = f"recommended + not_recommended ~ {right}"
        return smf.glm(formula, data=counts, family=sm.families.Binomial()).fit()
    counts = counts.assign(_share=counts["weighted_recommended"] / counts["weighted_n"])
    w2 = counts["weighted_n"] ** 2 / counts["effective_n"]
    scale = counts["weighted_n"].sum() / w2.sum()  # Kish's n over the sum of weights
    return smf.glm(f"_share ~ {right}", data=counts, family=sm.families.Binomial(),
                   var_weights=(counts["weighted_n"] * scale).to_numpy()).fit()  # fmt: skip


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
    result,
    counts: pd.DataFrame,
    by: str,
    scores: Sequence[int] = (10, 9),
    confidence: float = 0.95,
    *,
    min_n: int = DEFAULT_MIN_N,
    suppress_below: int = DEFAULT_SUPPRESS_BELOW,
) -> pd.DataFrame:
    """Predicted P(recommended) per group from a model fitted with ``by``.

    Returns
    -------
    pandas.DataFrame
        ``[by, score, estimate, ci_low, ci_high, confidence, n, suppressed, unreliable]``:
        ``n`` the group's yes and no answers behind the model; the small-group rule of
        :func:`cxresearch.stats.metrics.small_group_rules` applies to it.
    """
    rows = []
    for group in sorted(counts[by].unique()):
        pred = predict_intent(result, scores=scores, confidence=confidence, **{by: group})
        pred.insert(0, by, group)
        pred["n"] = int(counts.loc[counts[by] == group, "n"].sum())
        rows.append(pred)
    return small_group_rules(pd.concat(rows, ignore_index=True), min_n=min_n,
                             suppress_below=suppress_below)  # fmt: skip


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
