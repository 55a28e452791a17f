import numpy as np
import pandas as pd
import pytest

from cxresearch.stats import metrics, weights


def _sample(seed=0, n=2000):
    rng = np.random.default_rng(seed)
    segment = rng.choice(["B2B", "B2C"], size=n, p=[0.5, 0.5])
    country = rng.choice(["SE", "DK", "FI"], size=n, p=[0.6, 0.3, 0.1])
    nps = np.where(segment == "B2B", rng.integers(5, 11, n), rng.integers(0, 11, n))
    return pd.DataFrame({"segment": segment, "country": country, "nps": nps})


def test_kish_effective_n():
    # Kish (1965): n_eff = (sum w)^2 / sum w^2
    assert weights.kish_effective_n([2.0] * 10) == pytest.approx(10)
    assert weights.kish_effective_n([1, 2, 3]) == pytest.approx(36 / 14)
    with pytest.raises(ValueError, match="negative"):
        weights.kish_effective_n([1, -1])


def test_rake_matches_every_margin():
    df = _sample()
    margins = {"segment": {"B2B": 0.3, "B2C": 0.7}, "country": {"SE": 0.4, "DK": 0.4, "FI": 0.2}}
    w = weights.rake(df, margins)
    assert w.mean() == pytest.approx(1.0)
    for column, shares in margins.items():
        got = w.groupby(df[column]).sum() / w.sum()
        for value, share in shares.items():
            assert got[value] == pytest.approx(share, abs=1e-7)


def test_rake_on_one_margin_equals_poststratification():
    df = _sample(1)
    a = weights.rake(df, {"segment": {"B2B": 30, "B2C": 70}})
    b = weights.poststratify(df, "segment", {"B2B": 0.3, "B2C": 0.7})
    np.testing.assert_allclose(a.to_numpy(), b.to_numpy() / b.mean())


def test_poststratify_cells():
    df = _sample(2)
    pop = pd.DataFrame(
        {
            "segment": ["B2B", "B2B", "B2C", "B2C"] * 1 + ["B2B", "B2C"],
            "country": ["SE", "DK", "SE", "DK", "FI", "FI"],
            "share": [0.1, 0.1, 0.3, 0.3, 0.1, 0.1],
        }
    )
    w = weights.poststratify(df, ["segment", "country"], pop)
    got = w.groupby([df["segment"], df["country"]]).sum() / w.sum()
    assert got[("B2C", "SE")] == pytest.approx(0.3)


def test_margin_errors():
    df = _sample()
    with pytest.raises(ValueError, match=r"values \['FI'\] with no population share"):
        weights.rake(df, {"country": {"SE": 0.5, "DK": 0.5}})
    with pytest.raises(ValueError, match=r"no respondents with country in \['NO'\]"):
        weights.rake(df, {"country": {"SE": 0.4, "DK": 0.3, "FI": 0.2, "NO": 0.1}})


def test_weighted_nps_is_weighted_mean_of_coded_scores():
    # oracle: numpy's weighted mean of +1/0/-1 and Kish's n in the trinomial variance
    df = _sample(3)
    df["weight"] = weights.rake(df, {"segment": {"B2B": 0.2, "B2C": 0.8}})
    row = metrics.nps(df, weights="weight").iloc[0]
    coded = np.where(df["nps"] >= 9, 1, np.where(df["nps"] <= 6, -1, 0))
    w = df["weight"].to_numpy()
    est = np.average(coded, weights=w)
    p_pro, p_det = np.average(coded == 1, weights=w), np.average(coded == -1, weights=w)
    n_eff = weights.kish_effective_n(w)
    assert row["estimate"] == pytest.approx(est)
    assert row["effective_n"] == pytest.approx(n_eff)
    assert row["std_error"] == pytest.approx(np.sqrt((p_pro + p_det - est**2) / n_eff))
    assert row["n"] == len(df)
    unweighted = metrics.nps(df).iloc[0]
    assert unweighted["estimate"] > row["estimate"]  # B2B scores higher and was weighted down


def test_equal_weights_change_nothing():
    df = _sample(4)
    df["weight"] = 2.5
    a = metrics.csat(df.assign(csat=1 + df["nps"] % 5), weights="weight")
    b = metrics.csat(df.assign(csat=1 + df["nps"] % 5))
    pd.testing.assert_frame_equal(a, b)


def test_unreliable_uses_effective_n():
    df = pd.DataFrame({"nps": [10] * 40 + [0] * 40, "weight": [1.0] * 79 + [200.0]})
    row = metrics.nps(df, weights="weight").iloc[0]
    assert row["n"] == 80 and row["effective_n"] < 30
    assert row["unreliable"] and not row["suppressed"]
