"""Interval formulas for proportions and for the Net Promoter Score, on plain arrays.

The metrics module aggregates counts in the engine and calls these on the small result.
"""

from __future__ import annotations

import math
from statistics import NormalDist

import numpy as np


def z_value(confidence: float) -> float:
    """Return the two-sided standard normal quantile for ``confidence`` (0.95 -> 1.96)."""
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must lie strictly between 0 and 1, got {confidence}")
    # the standard normal quantile (scipy.stats.norm.ppf) from the standard library: scipy
    # costs a report's kernel about half a second to import; it agrees to 1e-15
    return NormalDist().inv_cdf(0.5 + confidence / 2)


def two_sided_p(statistic) -> np.ndarray:
    """Two-sided p values of standard normal statistics: ``P(|Z| >= |z|)``.

    ``erfc(|z| / sqrt(2))``, the tail ``scipy.stats.norm.sf`` gives twice, without scipy;
    NaN stays NaN.

    Parameters
    ----------
    statistic
        z statistics (a scalar or an array).

    Returns
    -------
    numpy.ndarray
        One p value per statistic, float.
    """
    z = np.abs(np.asarray(statistic, dtype=float))
    return np.array([math.erfc(v / math.sqrt(2)) for v in z.ravel()], dtype=float).reshape(z.shape)


def wilson(successes, n, confidence: float = 0.95):
    r"""Wilson score interval for a binomial proportion.

    Parameters
    ----------
    successes, n
        Counts (scalars or arrays); ``n == 0`` gives NaN.
    confidence
        Two-sided confidence level.

    Returns
    -------
    tuple of arrays
        ``(estimate, std_error, ci_low, ci_high)``; ``std_error`` is the Wald
        ``sqrt(p (1 - p) / n)``.

    Notes
    -----
    With :math:`\hat p = x/n` and :math:`z` the normal quantile,

    .. math:: \frac{\hat p + z^2/2n \pm z\sqrt{\hat p(1-\hat p)/n + z^2/4n^2}}{1 + z^2/n}

    (Wilson 1927; Agresti & Coull 1998).
    """
    x = np.asarray(successes, dtype=float)
    n = np.asarray(n, dtype=float)
    z = z_value(confidence)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = x / n
        denom = 1 + z**2 / n
        centre = (p + z**2 / (2 * n)) / denom
        half = z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / denom
        se = np.sqrt(p * (1 - p) / n)
    # clip rounding noise so that ci_low <= estimate <= ci_high holds exactly
    return (
        p,
        se,
        np.minimum(np.maximum(centre - half, 0.0), p),
        np.maximum(np.minimum(centre + half, 1.0), p),
    )


def nps_centre(promoters, detractors, n, method: str = "wald"):
    """The NPS an interval is centred on, with the shares and n behind it.

    Parameters
    ----------
    promoters, detractors, n
        Counts of scores 9-10, of scores 0-6, and of all valid scores.
    method
        ``"wald"``: the observed shares; ``"adjusted_wald"``: 3/4 of a promoter and 3/4
        of a detractor added to 3 added respondents (Rocks 2016).

    Returns
    -------
    tuple of arrays
        ``(centre, promoter_share, detractor_share, n)``, all after the adjustment.
    """
    pro = np.asarray(promoters, dtype=float)
    det = np.asarray(detractors, dtype=float)
    n = np.asarray(n, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        if method == "wald":
            p_pro, p_det, n_eff = pro / n, det / n, n
        elif method == "adjusted_wald":
            n_eff = n + 3
            p_pro, p_det = (pro + 0.75) / n_eff, (det + 0.75) / n_eff
        else:
            raise ValueError(f"method must be 'wald' or 'adjusted_wald', got {method!r}")
    return p_pro - p_det, p_pro, p_det, n_eff


def nps_interval(promoters, detractors, n, confidence: float = 0.95, method: str = "wald"):
    """Net Promoter Score with its trinomial standard error and interval.

    Parameters
    ----------
    promoters, detractors, n
        Counts of scores 9-10, of scores 0-6, and of all valid scores.
    confidence
        Two-sided confidence level.
    method
        ``"wald"``: the normal interval around the observed NPS; ``"adjusted_wald"``:
        the same around an NPS computed after adding 3/4 of a promoter and 3/4 of a
        detractor to 3 added respondents (Rocks 2016), better behaved for small n and
        extreme scores (see :func:`nps_centre`).

    Returns
    -------
    tuple of arrays
        ``(estimate, std_error, ci_low, ci_high)`` on the proportion scale (-1 to 1);
        the estimate is always the observed NPS, the interval and standard error those
        of the method (centred on :func:`nps_centre`).

    Notes
    -----
    With :math:`p_+` and :math:`p_-` the promoter and detractor shares, the NPS is
    :math:`p_+ - p_-` and its variance per respondent is
    :math:`p_+ + p_- - (p_+ - p_-)^2` (the trinomial variance of a score coded +1, 0,
    -1); the standard error divides that by :math:`n` before the square root.
    """
    pro = np.asarray(promoters, dtype=float)
    det = np.asarray(detractors, dtype=float)
    n = np.asarray(n, dtype=float)
    z = z_value(confidence)
    centre, p_pro, p_det, n_eff = nps_centre(pro, det, n, method)
    with np.errstate(invalid="ignore", divide="ignore"):
        estimate = (pro - det) / n
        variance = p_pro + p_det - centre**2
        se = np.sqrt(variance / n_eff)
    return estimate, se, np.maximum(centre - z * se, -1.0), np.minimum(centre + z * se, 1.0)


def correlation(x, y, confidence: float = 0.95) -> dict[str, float]:
    r"""Pearson correlation with its Fisher-z interval and two-sided p value.

    Returns
    -------
    dict
        ``n, estimate, ci_low, ci_high, p_value`` (NaN where n < 4).

    Notes
    -----
    :math:`z = \operatorname{artanh} r` has standard error :math:`1/\sqrt{n - 3}`
    (Fisher 1921); the interval is transformed back with tanh.
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    ok = ~(np.isnan(x) | np.isnan(y))
    x, y = x[ok], y[ok]
    n = len(x)
    if n < 4 or np.std(x) == 0 or np.std(y) == 0:
        return {"n": n, "estimate": np.nan, "ci_low": np.nan, "ci_high": np.nan, "p_value": np.nan}
    from scipy import stats

    r, p = stats.pearsonr(x, y)
    z, se = np.arctanh(r), 1 / np.sqrt(n - 3)
    q = z_value(confidence)
    return {"n": n, "estimate": float(r), "ci_low": float(np.tanh(z - q * se)),
            "ci_high": float(np.tanh(z + q * se)), "p_value": float(p)}  # fmt: skip
