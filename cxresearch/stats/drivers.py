"""Key drivers: which ratings move the NPS or CSAT, with bootstrap intervals.

Johnson's relative weights split a regression's R² among correlated predictors; the
bootstrap gives each weight an interval. Plotted against the mean rating of each
attribute, they give the importance-against-performance chart.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd


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


def key_drivers(
    data: pd.DataFrame,
    outcome: str,
    predictors: Sequence[str],
    *,
    n_boot: int = 200,
    confidence: float = 0.95,
    seed: int = 0,
) -> pd.DataFrame:
    """Relative weights with percentile bootstrap intervals and each attribute's mean.

    Returns
    -------
    pandas.DataFrame
        ``[attribute, metric, n, estimate, ci_low, ci_high, confidence, share,
        performance]``: ``estimate`` the raw relative weight (part of R²), ``share`` its
        part of the total (0-1), ``performance`` the attribute's mean rating; one row per
        predictor, most important first.
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
        }
    )
    return out.sort_values("estimate", ascending=False, ignore_index=True)
