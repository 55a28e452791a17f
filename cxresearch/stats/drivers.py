"""Key drivers: which ratings move the NPS or CSAT, with bootstrap intervals and a test.

Johnson's relative weights split a regression's R² among correlated predictors; the
bootstrap gives each weight an interval. A weight is a share of R², never negative, so its
percentile interval can never include 0 and cannot say "no effect": a permutation test of
each attribute's regression coefficient (Freedman & Lane 1983) does, and every driver is
labelled ``"effect"`` or ``"no evidence of an effect"``. Plotted against the mean rating
of each attribute, the weights give the importance-against-performance chart.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from cxresearch.config import DEFAULT_MIN_N, DEFAULT_SUPPRESS_BELOW
from cxresearch.stats import compare
from cxresearch.stats._utils import small_group_rules

#: The two verdicts of :func:`key_drivers` (codes; reports translate them).
EFFECT = "effect"
NO_EVIDENCE = "no evidence of an effect"


def relative_weights(data: pd.DataFrame, outcome: str, predictors: Sequence[str]) -> pd.Series:
    """Johnson's (2000) relative weights of ``predictors`` for ``outcome``.

    Returns
    -------
    pandas.Series
        One weight per predictor; the weights sum to the R² of the linear regression of
        ``outcome`` on all predictors. Rows with a missing value are left out.

    Notes
    -----
    With R the predictors' correlation matrix, ``Λ = R^{1/2}`` (orthogonal counterparts
    Z of the predictors), β the regression of the outcome on Z, the weight of predictor j
    is ``Σ_k Λ_jk² β_k²`` (Johnson 2000, Multivariate Behavioral Research 35(1)).
    """
    cols = [outcome, *predictors]
    frame = data[cols].dropna().astype(float)
    if len(frame) <= len(predictors) + 1:
        raise ValueError(f"too few complete rows ({len(frame)}) for {len(predictors)} predictors")
    x = frame[list(predictors)].to_numpy()
    y = frame[outcome].to_numpy()
    if (x.std(axis=0) == 0).any():
        flat = [p for p, s in zip(predictors, x.std(axis=0), strict=True) if s == 0]
        raise ValueError(f"predictor(s) {flat} do not vary")
    rxx = np.corrcoef(x, rowvar=False)
    rxy = np.array([np.corrcoef(x[:, j], y)[0, 1] for j in range(x.shape[1])])
    evals, evecs = np.linalg.eigh(rxx)
    lam = evecs @ np.diag(np.sqrt(np.clip(evals, 0, None))) @ evecs.T
    beta = np.linalg.solve(lam, rxy)
    return pd.Series((lam**2) @ (beta**2), index=list(predictors), name="weight")


def permutation_test(
    data: pd.DataFrame,
    outcome: str,
    predictors: Sequence[str],
    *,
    n_perm: int = 499,
    seed: int = 0,
    block: int = 200,
) -> pd.Series:
    """Permutation p value of each predictor's regression coefficient against zero.

    Parameters
    ----------
    data
        Rows with ``outcome`` and ``predictors``; rows with a missing value are left out.
    outcome, predictors
        Column names.
    n_perm
        Permutations.
    seed
        Seed of the permutations.
    block
        Permutations computed at once (memory: rows x block numbers).

    Returns
    -------
    pandas.Series
        Two-sided p value per predictor, ``(1 + #{|t*| >= |t|}) / (1 + n_perm)``.

    Notes
    -----
    Freedman & Lane (1983): for predictor j, the outcome is regressed on the other
    predictors; its residuals are permuted and added back to that fit, and the t
    statistic of j in the full regression is recomputed. This holds the other predictors'
    effects fixed, so it tests j's own contribution, and it needs neither normal nor
    symmetric errors (Anderson & Legendre 1999; Winkler et al. 2014, NeuroImage 92).
    """
    cols = [outcome, *predictors]
    frame = data[cols].dropna().astype(float)
    x = frame[list(predictors)].to_numpy()
    y = frame[outcome].to_numpy()
    n, k = x.shape
    parts = []
    for j in range(k):
        # Frisch-Waugh-Lovell: with Z the intercept and the other predictors, r = x_j and
        # e = y, each residualised on Z, the full regression's coefficient of x_j on
        # y* = Zb + e[perm] is r'e[perm] / r'r and its RSS ||e||² - ||Q'e[perm]||² -
        # (r'e[perm])² / r'r (Q an orthonormal basis of Z)
        q = np.linalg.qr(np.column_stack([np.ones(n), np.delete(x, j, axis=1)]))[0]
        r = x[:, j] - q @ (q.T @ x[:, j])
        e = y - q @ (q.T @ y)
        parts.append((q, r, e, float(r @ r), float(e @ e)))

    def t_stat(j: int, permuted: np.ndarray) -> np.ndarray:
        q, r, _, rr, ee = parts[j]
        num = permuted @ r
        rss = ee - ((permuted @ q) ** 2).sum(axis=1) - num**2 / rr
        with np.errstate(invalid="ignore", divide="ignore"):
            return num / np.sqrt(np.maximum(rss, 0) / (n - k - 1) / rr)

    observed = [abs(float(t_stat(j, parts[j][2][None, :])[0])) for j in range(k)]
    rng = np.random.default_rng(seed)
    extreme = np.zeros(k, dtype=int)
    for start in range(0, n_perm, block):
        perms = rng.permuted(np.tile(np.arange(n), (min(block, n_perm - start), 1)), axis=1)
        for j in range(k):
            stats = np.abs(t_stat(j, parts[j][2][perms]))
            extreme[j] += int((stats >= observed[j] * (1 - 1e-9)).sum())
    return pd.Series((1 + extreme) / (1 + n_perm), index=list(predictors), name="p_value")


def key_drivers(
    data: pd.DataFrame,
    outcome: str,
    predictors: Sequence[str],
    *,
    n_boot: int = 200,
    n_perm: int = 499,
    confidence: float = 0.95,
    adjust: str = "holm",
    seed: int = 0,
    min_n: int = DEFAULT_MIN_N,
    suppress_below: int = DEFAULT_SUPPRESS_BELOW,
) -> pd.DataFrame:
    """Relative weights with bootstrap intervals, a test against zero, and each mean.

    Parameters
    ----------
    data
        One row per respondent with the ``outcome`` score and the attribute ratings.
    outcome, predictors
        Column names.
    n_boot
        Bootstrap resamples for the intervals of the weights.
    n_perm
        Permutations for the test of each attribute (:func:`permutation_test`).
    confidence
        Level of the intervals; ``1 - confidence`` is the level of the test.
    adjust
        Multiplicity adjustment of the p values across attributes: ``"holm"``, ``"bh"``
        or ``"none"``.
    seed
        Seed of the bootstrap and of the permutations.
    min_n, suppress_below
        The small-group rule (:func:`cxresearch.stats.metrics.small_group_rules`) on ``n``.

    Returns
    -------
    pandas.DataFrame
        ``[attribute, metric, n, estimate, ci_low, ci_high, confidence, share,
        performance, p_value, p_adjusted, evidence, suppressed, unreliable]``:
        ``estimate`` the raw relative weight (part of R²), ``share`` its part of the total
        (0-1), ``performance`` the attribute's mean rating, ``p_value`` the permutation p
        value of its regression coefficient, ``p_adjusted`` that adjusted across
        attributes, ``evidence`` ``"effect"`` when ``p_adjusted < 1 - confidence`` and
        ``"no evidence of an effect"`` otherwise; one row per predictor, most important
        first.

    Notes
    -----
    The percentile bootstrap interval of a relative weight is always above 0 (a weight is
    a share of R²), so it describes size, not whether there is an effect; ``evidence``
    comes from the permutation test. An attribute correlated with a real driver can carry
    a visible weight and still show no evidence of an effect of its own.
    """
    frame = data[[outcome, *predictors]].dropna()
    point = relative_weights(frame, outcome, predictors)
    rng = np.random.default_rng(seed)
    n = len(frame)
    draws = np.empty((n_boot, len(predictors)))
    values = frame.to_numpy(dtype=float)
    cols = [outcome, *predictors]
    for b in range(n_boot):
        sample = pd.DataFrame(values[rng.integers(0, n, n)], columns=cols)
        draws[b] = relative_weights(sample, outcome, predictors).to_numpy()
    alpha = (1 - confidence) / 2
    p = permutation_test(frame, outcome, predictors, n_perm=n_perm, seed=seed).to_numpy()
    p_adjusted = compare.adjust_p(p, adjust)
    out = pd.DataFrame(
        {
            "attribute": list(predictors),
            "metric": "relative_weight",
            "n": n,
            "estimate": point.to_numpy(),
            "ci_low": np.quantile(draws, alpha, axis=0),
            "ci_high": np.quantile(draws, 1 - alpha, axis=0),
            "confidence": confidence,
            "share": (point / point.sum()).to_numpy(),
            "performance": frame[list(predictors)].mean().to_numpy(),
            "p_value": p,
            "p_adjusted": p_adjusted,
            "evidence": np.where(p_adjusted < 1 - confidence, EFFECT, NO_EVIDENCE),
        }
    )
    out = small_group_rules(out, min_n=min_n, suppress_below=suppress_below, value_range=None,
                            proportion=False)  # fmt: skip
    return out.sort_values("estimate", ascending=False, ignore_index=True)
