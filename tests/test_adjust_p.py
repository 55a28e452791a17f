"""``compare.adjust_p`` against statsmodels' ``multipletests``, the reference it replaces."""

from __future__ import annotations

import gc

import numpy as np
import pytest
from statsmodels.stats.multitest import multipletests

from cxresearch.stats import compare

# oracle: statsmodels.stats.multitest.multipletests(p, method=...)[1]
STATSMODELS = {"holm": "holm", "bh": "fdr_bh"}


@pytest.mark.parametrize("method", ["holm", "bh"])
@pytest.mark.parametrize("seed", range(20))
def test_matches_statsmodels_to_1e12(method: str, seed: int) -> None:
    rng = np.random.default_rng(seed)
    m = int(rng.integers(1, 60))
    # a mix of tiny, moderate and tied p values, as real report families have
    p = np.concatenate([rng.uniform(0, 1, m), rng.uniform(0, 1e-4, m // 3)])
    p = np.round(p, int(rng.integers(2, 12)))  # rounding makes ties
    rng.shuffle(p)
    expected = multipletests(p, method=STATSMODELS[method])[1]
    np.testing.assert_allclose(compare.adjust_p(p, method), expected, rtol=0, atol=1e-12)


@pytest.mark.parametrize("method", ["holm", "bh"])
def test_nan_left_out_of_the_family(method: str) -> None:
    p = np.array([0.01, np.nan, 0.04, 0.03, np.nan, 0.5])
    ok = ~np.isnan(p)
    out = compare.adjust_p(p, method)
    assert np.isnan(out[~ok]).all()
    # oracle: statsmodels on the non-missing values only
    expected = multipletests(p[ok], method=STATSMODELS[method])[1]
    np.testing.assert_allclose(out[ok], expected, rtol=0, atol=1e-12)


def test_worked_example_holm_and_bh() -> None:
    p = [0.01, 0.04, 0.03, 0.005]
    # by hand, Holm: sorted 0.005, 0.01, 0.03, 0.04 times 4, 3, 2, 1 -> 0.02, 0.03, 0.06,
    # 0.04, running maximum 0.02, 0.03, 0.06, 0.06
    np.testing.assert_allclose(compare.adjust_p(p, "holm"), [0.03, 0.06, 0.06, 0.02])
    # by hand, BH: sorted times 4/1, 4/2, 4/3, 4/4 -> 0.02, 0.02, 0.04, 0.04, running
    # minimum from the top 0.02, 0.02, 0.04, 0.04
    np.testing.assert_allclose(compare.adjust_p(p, "bh"), [0.02, 0.04, 0.04, 0.02])
    assert compare.adjust_p(p, "none").tolist() == p


def test_unknown_method_is_refused() -> None:
    with pytest.raises(ValueError, match="holm"):
        compare.adjust_p([0.1], "bonferroni")


def test_no_forced_garbage_collection() -> None:
    """The reason for the replacement: statsmodels runs ``gc.collect()`` on every call."""
    collections = []

    def count(phase: str, info: dict) -> None:
        if phase == "start" and info["generation"] == 2:
            collections.append(info)

    gc.callbacks.append(count)
    try:
        for _ in range(20):
            compare.adjust_p([0.01, 0.2, 0.03], "holm")
            compare.adjust_p([0.01, 0.2, 0.03], "bh")
    finally:
        gc.callbacks.remove(count)
    assert not collections
