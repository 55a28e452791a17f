"""One method per number, one small-group rule: issue 14, items 2 and 3."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from cxresearch.stats import compare, intervals, metrics


def _nps_rows(det, pas, pro, **keys):
    return pd.DataFrame({"nps": [3] * det + [7] * pas + [10] * pro, **keys})


def test_adjusted_wald_difference_uses_adjusted_estimates_throughout():
    # Oracle, written out by hand (issue 14): Rocks (2016) adjusted Wald for each group
    # (n + 3, 0.75 added to promoters and to detractors), then as Agresti & Caffo (2000)
    # do for two proportions: the difference of the adjusted estimates over the standard
    # error of the adjusted shares. (50.75 - 20.75)/103 - (40.75 - 30.75)/103 = 20/103.
    a = metrics.nps(_nps_rows(20, 30, 50), method="adjusted_wald")
    b = metrics.nps(_nps_rows(30, 30, 40), method="adjusted_wald")
    row = compare.difference(a, b, adjust="none").iloc[0]
    assert row["difference"] == pytest.approx(0.194175, abs=1e-4)  # issue 14: 20/103
    assert row["statistic"] == pytest.approx(1.7323, abs=1e-4)  # issue 14
    assert row["p_value"] == pytest.approx(0.0832, abs=1e-4)  # issue 14
    # the same from the formula, independently of the package
    pa, da, pb, db_ = 50.75 / 103, 20.75 / 103, 40.75 / 103, 30.75 / 103
    var = (pa + da - (pa - da) ** 2) / 103 + (pb + db_ - (pb - db_) ** 2) / 103
    assert row["std_error"] == pytest.approx(np.sqrt(var))
    assert row["p_value"] == pytest.approx(2 * stats.norm.sf(20 / 103 / np.sqrt(var)))
    # the observed estimates stay what was observed
    assert (row["estimate_a"], row["estimate_b"]) == pytest.approx((0.30, 0.10))
    # and the single-sample adjusted interval of (20, 30, 50) is unchanged (issue 14)
    assert (a["ci_low"].iloc[0], a["ci_high"].iloc[0]) == pytest.approx(
        (0.140511, 0.442013), abs=1e-6
    )


def test_wald_difference_is_the_observed_one():
    # hand computation: NPS .30 and .10, variances (.7 - .09)/100 and (.7 - .01)/100
    a = metrics.nps(_nps_rows(20, 30, 50))
    b = metrics.nps(_nps_rows(30, 30, 40))
    row = compare.difference(a, b, adjust="none").iloc[0]
    assert row["difference"] == pytest.approx(0.2)
    assert row["std_error"] == pytest.approx(np.sqrt(0.61 / 100 + 0.69 / 100))


def test_three_of_forty_is_flagged_unreliable():
    # Wilson 3/40: 2.6% to 19.9% (Newcombe 1998 formula), width 0.173 = 230% of 0.075:
    # over the NCHS relative-width limit of 130% (Parker et al. 2017).
    table = metrics.csat(pd.DataFrame({"csat": [5] * 3 + [1] * 37}))
    row = table.iloc[0]
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((0.0259, 0.1989), abs=1e-3)
    assert (row["ci_high"] - row["ci_low"]) / row["estimate"] == pytest.approx(2.30, abs=0.01)
    assert row["n"] == 40 and bool(row["unreliable"]) and not bool(row["suppressed"])
    # 30 of 40 passes every rule (relative width 0.27 / 0.75 = 36%)
    ok = metrics.csat(pd.DataFrame({"csat": [5] * 30 + [1] * 10})).iloc[0]
    assert not bool(ok["unreliable"])


def test_rules_suppress_below_five_and_keep_n():
    table = pd.DataFrame({"g": ["a", "b", "c"], "n": [4, 5, 400], "estimate": [0.5, 0.6, 0.5],
                          "ci_low": [0.1, 0.2, 0.45], "ci_high": [0.9, 0.9, 0.55],
                          "count": [2, 3, 200]})  # fmt: skip
    out = metrics.small_group_rules(table, hide=["count"])
    assert out["suppressed"].tolist() == [True, False, False]
    assert out["unreliable"].tolist() == [False, True, False]
    assert out["n"].tolist() == [4, 5, 400]
    assert out.loc[0, ["estimate", "ci_low", "ci_high", "count"]].isna().all()
    assert out.loc[1:, "count"].tolist() == [3, 200]


def test_nps_relative_width_rule_does_not_apply():
    # an NPS near 0 is not small in the NCHS sense: only n and absolute width count
    rows = _nps_rows(300, 400, 305)
    row = metrics.nps(rows).iloc[0]
    assert abs(row["estimate"]) < 0.01 and not bool(row["unreliable"])


def test_nps_centre_matches_interval_midpoint():
    centre, *_ = intervals.nps_centre(50, 20, 100, "adjusted_wald")
    _, _, low, high = intervals.nps_interval(50, 20, 100, method="adjusted_wald")
    assert centre == pytest.approx((low + high) / 2) == pytest.approx(30 / 103)
