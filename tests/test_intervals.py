import numpy as np
import pytest
from statsmodels.stats.proportion import proportion_confint

from cxresearch.stats import intervals


def test_z_value():
    assert intervals.z_value(0.95) == pytest.approx(1.959964, abs=1e-6)
    with pytest.raises(ValueError, match="confidence"):
        intervals.z_value(95)


@pytest.mark.parametrize("confidence", [0.5, 0.8, 0.9, 0.95, 0.99, 0.999, 0.999999])
def test_z_value_is_scipys_normal_quantile(confidence):
    # oracle: scipy.stats.norm.ppf, the quantile the intervals used before scipy left them
    from scipy import stats

    expected = stats.norm.ppf(0.5 + confidence / 2)
    assert intervals.z_value(confidence) == pytest.approx(expected, rel=1e-15, abs=1e-15)


def test_two_sided_p_is_scipys_normal_tail():
    # oracle: 2 * scipy.stats.norm.sf(|z|); 0.05 at z = 1.959964 (the textbook value)
    from scipy import stats

    z = np.concatenate([np.linspace(-12, 12, 2401), [0.0, 37.5, np.inf, -np.inf]])
    got = intervals.two_sided_p(z)
    expected = 2 * stats.norm.sf(np.abs(z))
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=0)
    assert intervals.two_sided_p(1.959963984540054) == pytest.approx(0.05, abs=1e-15)
    assert np.isnan(intervals.two_sided_p([np.nan, 1.0])[0])
    assert intervals.two_sided_p(np.array([[1.0, 2.0]])).shape == (1, 2)


def test_wilson_worked_example():
    # Issue 2 worked example: 45 satisfied of 50 -> [0.7864, 0.9565]
    p, se, low, high = intervals.wilson(45, 50)
    assert p == pytest.approx(0.9)
    assert (round(float(low), 4), round(float(high), 4)) == (0.7864, 0.9565)
    assert se == pytest.approx(np.sqrt(0.9 * 0.1 / 50))


@pytest.mark.parametrize(
    ("x", "n", "conf"), [(0, 10, 0.95), (3, 7, 0.9), (99, 100, 0.99), (512, 1000, 0.8)]
)
def test_wilson_matches_statsmodels(x, n, conf):
    # oracle: statsmodels.stats.proportion.proportion_confint(method="wilson")
    _, _, low, high = intervals.wilson(x, n, conf)
    exp_low, exp_high = proportion_confint(x, n, alpha=1 - conf, method="wilson")
    assert low == pytest.approx(exp_low, abs=1e-12)
    assert high == pytest.approx(exp_high, abs=1e-12)


def test_wilson_zero_n_is_nan():
    p, se, low, high = intervals.wilson(0, 0)
    assert np.isnan([p, se, low, high]).all()


def test_nps_trinomial_variance_worked_example():
    # (detractors, passives, promoters) = (1, 2, 3): NPS 1/3, per-respondent variance 5/9
    est, se, _, _ = intervals.nps_interval(3, 1, 6)
    assert est == pytest.approx(1 / 3)
    assert se**2 * 6 == pytest.approx(5 / 9)


def test_nps_wald_worked_example():
    # (20, 30, 50): NPS 0.30, Wald 95% interval [0.1469, 0.4531]
    est, _, low, high = intervals.nps_interval(50, 20, 100)
    assert est == pytest.approx(0.3)
    assert (round(float(low), 4), round(float(high), 4)) == (0.1469, 0.4531)


def test_nps_variance_equals_variance_of_coded_scores():
    # independent oracle: the NPS is the mean of scores coded +1 / 0 / -1
    rng = np.random.default_rng(1)
    coded = rng.choice([-1, 0, 1], size=500, p=[0.25, 0.3, 0.45])
    est, se, _, _ = intervals.nps_interval((coded == 1).sum(), (coded == -1).sum(), coded.size)
    assert est == pytest.approx(coded.mean())
    assert se == pytest.approx(coded.std(ddof=0) / np.sqrt(coded.size))


def test_nps_adjusted_wald():
    # Rocks (2016): add 3 respondents, 3/4 of one promoter and 3/4 of one detractor
    est, se, low, high = intervals.nps_interval(5, 0, 5, method="adjusted_wald")
    n_adj = 8
    p_pro, p_det = 5.75 / n_adj, 0.75 / n_adj
    centre = p_pro - p_det
    se_exp = np.sqrt((p_pro + p_det - centre**2) / n_adj)
    assert est == 1.0  # the estimate stays the observed NPS
    assert se == pytest.approx(se_exp)
    assert low == pytest.approx(centre - 1.959964 * se_exp, abs=1e-6)
    assert high == pytest.approx(min(1.0, centre + 1.959964 * se_exp))
    # the plain Wald interval collapses to a point here; the adjusted one does not
    _, wse, wlow, whigh = intervals.nps_interval(5, 0, 5)
    assert wse == 0 and wlow == whigh == 1.0
    assert low < 0.8


def test_nps_bad_method():
    with pytest.raises(ValueError, match="adjusted_wald"):
        intervals.nps_interval(1, 1, 3, method="exact")
