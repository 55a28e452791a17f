"""Respondent weights: raking to population margins, post-stratification, effective n.

Weights make a sample stand for its population: if B2B customers are 30 % of the base but
45 % of respondents, each B2B answer should count for less. Every metric takes
``weights=`` and then uses Kish's effective n for its interval and its flags.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd


def kish_effective_n(weights) -> float:
    """Kish's effective sample size, ``(sum w)^2 / sum w^2``.

    Examples
    --------
    >>> kish_effective_n([1, 1, 1, 1])
    4.0
    >>> round(kish_effective_n([1, 1, 1, 3]), 3)
    3.0
    """
    w = np.asarray(weights, dtype=float)
    if (w < 0).any():
        raise ValueError("weights must not be negative")
    return float(w.sum() ** 2 / (w**2).sum()) if len(w) else 0.0


def _check_shares(column: str, shares: Mapping, observed: set) -> dict:
    total = float(sum(shares.values()))
    if total <= 0:
        raise ValueError(f"population shares for {column!r} must sum to a positive number")
    missing = observed - set(shares)
    if missing:
        raise ValueError(
            f"respondents have {column} values {sorted(missing, key=str)} with no population "
            f"share; give shares for every value present"
        )
    empty = [k for k in shares if k not in observed and shares[k] > 0]
    if empty:
        raise ValueError(
            f"no respondents with {column} in {sorted(empty, key=str)}: they cannot be weighted up"
        )
    return {k: v / total for k, v in shares.items()}


def poststratify(
    data: pd.DataFrame, cells: Sequence[str] | str, population: pd.DataFrame | Mapping
) -> pd.Series:
    """Post-stratification weights: each cell's population share over its sample share.

    Parameters
    ----------
    data
        Respondents.
    cells
        Column(s) defining the cells, such as ``["segment", "country"]``.
    population
        Population shares (or counts) per cell: a mapping from the cell value (a tuple
        for several columns) or a DataFrame with the cell columns and ``share``.

    Returns
    -------
    pandas.Series
        One weight per row of ``data``, averaging 1.
    """
    cells = [cells] if isinstance(cells, str) else list(cells)
    if isinstance(population, pd.DataFrame):
        keys = population[cells].itertuples(index=False, name=None)
        population = {
            k if len(cells) > 1 else k[0]: v for k, v in zip(keys, population["share"], strict=True)
        }
    key = data[cells].apply(tuple, axis=1) if len(cells) > 1 else data[cells[0]]
    shares = _check_shares("+".join(cells), population, set(key))
    sample = key.value_counts(normalize=True)
    weights = key.map(lambda k: shares[k] / sample[k]).astype(float)
    return weights.rename("weight")


def rake(
    data: pd.DataFrame,
    margins: Mapping[str, Mapping],
    *,
    base_weights: pd.Series | None = None,
    max_iter: int = 100,
    tol: float = 1e-8,
) -> pd.Series:
    """Raking (iterative proportional fitting) to population margins.

    Parameters
    ----------
    data
        Respondents.
    margins
        For each column, the population share (or count) of each value, e.g.
        ``{"segment": {"B2B": 0.3, "B2C": 0.7}, "country": {"SE": 0.4, ...}}``.
    base_weights
        Starting weights (design weights); default 1.
    max_iter, tol
        Stop when every weighted margin is within ``tol`` of its target, or raise after
        ``max_iter`` rounds.

    Returns
    -------
    pandas.Series
        One weight per row, averaging 1, whose weighted shares match every margin.

    Notes
    -----
    Deming and Stephan (1940): adjust the weights to each margin in turn until all hold.
    """
    targets = {c: _check_shares(c, m, set(data[c])) for c, m in margins.items()}
    w = np.ones(len(data)) if base_weights is None else np.asarray(base_weights, dtype=float)
    codes = {c: data[c].to_numpy() for c in targets}
    for _ in range(max_iter):
        worst = 0.0
        for column, shares in targets.items():
            values = codes[column]
            total = w.sum()
            current = pd.Series(w).groupby(values).sum() / total
            factor = {k: shares[k] / current[k] for k in current.index}
            worst = max(worst, max(abs(current[k] - shares[k]) for k in current.index))
            w = w * pd.Series(values).map(factor).to_numpy()
        if worst < tol:
            return pd.Series(w / w.mean(), index=data.index, name="weight")
    raise ValueError(f"raking did not converge in {max_iter} rounds (largest gap {worst:.2g})")
