import numpy as np
import pandas as pd
import pytest
from scipy import stats

from cxresearch.stats import compare, metrics


def _nps_rows(det, pas, pro, **keys):
    return pd.DataFrame({"nps": [3] * det + [7] * pas + [10] * pro, **keys})


def test_holm_worked_example():
    # Holm (1979) step-down: sorted p x (m - rank + 1), made monotone
    p = [0.01, 0.04, 0.03, 0.005]
    assert compare.adjust_p(p, "holm").tolist() == pytest.approx([0.03, 0.06, 0.06, 0.02])


def test_benjamini_hochberg_worked_example():
    # Benjamini & Hochberg (1995), table 1: 15 p values, 4 discoveries at q = 0.05
    p = [
        0.0001,
        0.0004,
        0.0019,
        0.0095,
        0.0201,
        0.0278,
        0.0298,
        0.0344,
        0.0459,
        0.3240,
        0.4262,
        0.5719,
        0.6528,
        0.7590,
        1.000,
    ]
    adjusted = compare.adjust_p(p, "bh")
    assert (adjusted < 0.05).sum() == 4
    with pytest.raises(ValueError, match="method must be one of"):
        compare.adjust_p(p, "bonferroni")


def test_nps_difference_matches_hand_computation():
    a = metrics.nps(_nps_rows(20, 30, 50))  # NPS .30, var (.7 - .09)/100
    b = metrics.nps(_nps_rows(30, 30, 40))  # NPS .10, var (.7 - .01)/100
    row = compare.difference(a, b, adjust="none").iloc[0]
    se = np.sqrt(0.61 / 100 + 0.69 / 100)
    assert row["difference"] == pytest.approx(0.2)
    assert row["std_error"] == pytest.approx(se)
    assert row["p_value"] == pytest.approx(2 * stats.norm.sf(0.2 / se))
    assert row["p_value"] == row["p_adjusted"] and row["adjustment"] == "none"


def test_csat_difference_equals_unpooled_two_proportion_z():
    # oracle: statsmodels' two-proportion z test without pooling
    from statsmodels.stats.proportion import test_proportions_2indep

    a = metrics.csat(pd.DataFrame({"csat": [5] * 80 + [1] * 20}))
    b = metrics.csat(pd.DataFrame({"csat": [5] * 60 + [1] * 40}))
    row = compare.difference(a, b, adjust="none").iloc[0]
    ref = test_proportions_2indep(80, 100, 60, 100, method="wald", compare="diff")
    assert row["statistic"] == pytest.approx(ref.statistic)
    assert row["p_value"] == pytest.approx(ref.pvalue)


def test_change_by_group_adjusts_and_finds_only_real_change():
    rng = np.random.default_rng(0)
    frames = []
    for country, shift in (("DK", -3.0), ("SE", 0.0), ("FI", 0.0)):
        for period, date in (("before", "2026-01-15"), ("after", "2026-06-15")):
            mean = 8.0 + (shift if period == "after" else 0)
            scores = np.clip(np.rint(rng.normal(mean, 1.5, 800)), 0, 10)
            frames.append(
                pd.DataFrame(
                    {"nps": scores, "country": country, "responded_at": pd.Timestamp(date)}
                )
            )
    df = pd.concat(frames, ignore_index=True)
    out = compare.change(
        metrics.nps,
        df,
        current=("2026-06-01", "2026-06-30"),
        previous=("2026-01-01", "2026-01-31"),
        by="country",
    )
    sig = dict(zip(out["country"], out["significant"], strict=True))
    assert sig == {"DK": True, "FI": False, "SE": False}
    assert (out["p_adjusted"] >= out["p_value"]).all() and set(out["adjustment"]) == {"holm"}


def test_year_over_year_pairs_same_month():
    table = pd.DataFrame(
        {
            "segment": ["B2B"] * 3,
            "period_start": pd.to_datetime(["2025-07-01", "2025-08-01", "2026-07-01"]).date,
            "metric": "churn_month",
            "n": [1000] * 3,
            "estimate": [0.02, 0.03, 0.05],
            "std_error": [0.004] * 3,
        }
    )
    out = compare.year_over_year(table, by="segment")
    assert len(out) == 1
    row = out.iloc[0]
    assert str(row["period_start"]) == "2026-07-01" and str(row["previous_start"]) == "2025-07-01"
    assert row["difference"] == pytest.approx(0.03)


def _by_merge(a, b, on):
    """The pairing ``difference`` must give: pandas' inner merge, in ``a``'s order."""
    cols = [*on, "metric", "estimate", "std_error", "n"]
    return a[cols].merge(b[cols], on=[*on, "metric"], suffixes=("_a", "_b"), how="inner")


@pytest.mark.parametrize(
    ("keys_a", "keys_b"),
    [
        (["SE", "DK", "FI", "NO"], ["FI", "SE", "DE", "DK"]),  # reordered, one only in each
        (["SE", None, "FI"], ["FI", None, "SE"]),  # a missing key: merge pairs missing keys
        (["SE", "SE", "FI"], ["SE", "FI", "FI"]),  # repeated keys: merge multiplies rows
        ([], ["SE"]),
    ],
)
def test_difference_pairs_rows_as_an_inner_merge(keys_a, keys_b):
    rng = np.random.default_rng(len(keys_a) + 10 * len(keys_b))

    def table(keys):
        return pd.DataFrame({"country": pd.Series(keys, dtype=object), "metric": "nps",
                             "estimate": rng.uniform(-1, 1, len(keys)),
                             "std_error": rng.uniform(0.01, 0.1, len(keys)),
                             "n": rng.integers(5, 500, len(keys))})  # fmt: skip

    a, b = table(keys_a), table(keys_b)
    out = compare.difference(a, b, on="country", adjust="holm")
    merged = _by_merge(a, b, ["country"])
    assert len(out) == len(merged) and isinstance(out.index, pd.RangeIndex)
    for column in ("country", "estimate_a", "estimate_b", "n_a", "n_b"):
        pd.testing.assert_series_equal(out[column], merged[column], check_exact=True)
    difference = merged["estimate_a"] - merged["estimate_b"]
    se = np.sqrt(merged["std_error_a"] ** 2 + merged["std_error_b"] ** 2)
    assert out["difference"].tolist() == difference.tolist()
    assert out["std_error"].tolist() == se.tolist()
    p = 2 * stats.norm.sf(np.abs(difference / se))
    np.testing.assert_allclose(out["p_value"], p, rtol=1e-12)


def test_change_pairs_periods_as_difference_does_with_missing_and_one_sided_groups():
    rng = np.random.default_rng(7)
    rows = []
    for country, periods in (("SE", "ab"), ("DK", "ab"), (None, "ab"), ("FI", "a"), ("NO", "b")):
        for period in periods:
            date = pd.Timestamp("2026-06-15" if period == "a" else "2026-01-15")
            rows.append(pd.DataFrame({"nps": rng.integers(0, 11, 60).astype(float),
                                      "country": country, "responded_at": date}))  # fmt: skip
    df = pd.concat(rows, ignore_index=True)
    current, previous = ("2026-06-01", "2026-06-30"), ("2026-01-01", "2026-01-31")
    out = compare.change(metrics.nps, df, current=current, previous=previous, by="country")
    # oracle: each period's table on its own, paired by difference (a pandas merge here)
    now = metrics.nps(df[df["responded_at"] >= "2026-06-01"], by="country")
    before = metrics.nps(df[df["responded_at"] < "2026-06-01"], by="country")
    pd.testing.assert_frame_equal(out, compare.difference(now, before, on="country"),
                                  check_exact=True)  # fmt: skip
    assert out["country"].isna().sum() == 1 and set(out["country"].dropna()) == {"SE", "DK"}
