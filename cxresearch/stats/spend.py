"""Satisfaction against spend: samples drawn in the engine, the spend model and its uplift.

Re-exported by :mod:`cxresearch.stats.models`, where reports and notebooks read them.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import ibis
import numpy as np
import pandas as pd
import statsmodels.api as sm
import statsmodels.formula.api as smf
from statsmodels.tools.sm_exceptions import SpecificationWarning

from cxresearch.stats import intervals
from cxresearch.stats._utils import (
    TableLike,
    as_table,
    check_columns,
)


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
    cluster: str | None = None,
):
    """Gamma GLM (log link) of monthly spend on satisfaction level.

    Two estimands, chosen by the rows given:

    * **time-ordered** (the default of the reports): one row per response from
      :func:`cxresearch.data.db.read_response_spend`, the response's CSAT level against the
      customer's mean monthly spend in the months AFTER it; pass ``cluster="customer_id"``
      because a customer's responses are not independent;
    * **per customer**: one row per customer from
      :func:`cxresearch.data.db.read_customer_spend`, the rounded mean CSAT over the period
      against mean spend over the same period (answers given after the spend count too).

    Parameters
    ----------
    data
        Rows with spend, satisfaction level and the ``adjust`` columns.
    spend
        Column of mean monthly spend (positive).
    satisfaction
        Column of satisfaction levels; the lowest level present is the reference.
    adjust
        Columns adjusted for (categorical), such as segment, whose spend differs a lot.
    weights
        Column of sampling weights (``sample_weight`` from :func:`stratified_sample`);
        with the robust errors this is the usual probability-weighted sandwich.
    cluster
        Column whose values are clusters (``customer_id``): standard errors are then
        cluster-robust (sandwich summed within clusters) instead of HC1.

    Returns
    -------
    statsmodels.genmod.generalized_linear_model.GLMResultsWrapper
        Fitted with heteroscedasticity-robust (HC1) or cluster-robust standard errors;
        ``exp`` of a level coefficient is that level's spend relative to the lowest level.

    Notes
    -----
    The log link models the mean directly, so ``exp(beta)`` is a ratio of mean spend
    with no retransformation bias; a log-linear OLS would need Duan's smearing to get
    back to means. The robust errors keep the intervals valid if spend is not gamma
    (Liang & Zeger 1986 for the clustered case).
    """
    frame = data.to_pandas() if not isinstance(data, pd.DataFrame) else data
    columns = [spend, satisfaction, *adjust, *([cluster] if cluster else [])]
    check_columns(as_table(frame.head(0)), columns)
    bad = frame[frame[spend].isna() | (frame[spend] <= 0)]
    if len(bad):
        raise ValueError(
            f"column {spend!r} must be positive; row {bad.index[0]} holds {bad[spend].iloc[0]}"
        )
    terms = [f"C({satisfaction})", *[f"C({c})" for c in adjust if frame[c].nunique() > 1]]
    formula = f"{spend} ~ " + " + ".join(terms)
    family = sm.families.Gamma(link=sm.families.links.Log())
    extra = {"var_weights": frame[weights].to_numpy(float)} if weights else {}
    model = smf.glm(formula, data=frame, family=family, **extra)
    if cluster is None:
        return model.fit(cov_type="HC1")
    groups = pd.factorize(frame[cluster])[0]
    with warnings.catch_warnings():
        # statsmodels warns that robust covariances with var_weights are "not fully
        # supported"; the clustered sandwich it computes from the weighted scores is the
        # usual one (tests/test_spend_time_ordered.py checks it against a hand-built one)
        warnings.filterwarnings("ignore", category=SpecificationWarning)
        return model.fit(cov_type="cluster", cov_kwds={"groups": groups})


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
