import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from cxresearch.data import db, demo
from cxresearch.stats import models

TIDY_COLUMNS = ["term", "estimate", "std_error", "statistic", "p_value", "ci_low", "ci_high"]


def test_intent_calibration_counts_and_excludes_unknown():
    df = pd.DataFrame(
        {
            "nps": [10, 10, 10, 10, 9, 9, 0],
            "recommended_last_12m": ["yes", "no", "unknown", None, "yes", "yes", "no"],
        }
    )
    out = models.intent_calibration(df, suppress_below=1).set_index("score")
    assert out.loc[10, "n"] == 2 and out.loc[10, "recommended"] == 1
    assert out.loc[10, "unknown"] == 2
    assert out.loc[10, "estimate"] == 0.5
    assert out.loc[9, "estimate"] == 1.0 and out.loc[0, "estimate"] == 0.0


def test_intent_model_on_counts_equals_model_on_rows():
    # oracle: the same logit fitted by statsmodels on individual rows
    rng = np.random.default_rng(3)
    score = rng.integers(0, 11, 3000)
    y = rng.random(3000) < 1 / (1 + np.exp(-(-3 + 0.4 * score)))
    df = pd.DataFrame({"nps": score, "recommended_last_12m": np.where(y, "yes", "no")})
    on_counts = models.fit_intent(df)
    on_rows = sm.Logit(y.astype(float), sm.add_constant(score.astype(float))).fit(disp=0)
    np.testing.assert_allclose(on_counts.params.to_numpy(), on_rows.params, rtol=1e-6)
    np.testing.assert_allclose(on_counts.bse.to_numpy(), on_rows.bse, rtol=1e-5)


def test_intent_model_recovers_generator_truth(con):
    # generator truth: logit P(yes | score) = a + b * score, per segment (demo.INTENT_TRUTH)
    responses = db.read_responses(con)
    fit = models.fit_intent(responses, by="segment")
    tidy = models.tidy(fit).set_index("term")
    for segment, (a, b) in demo.INTENT_TRUTH.items():
        intercept = tidy.loc[f"C(segment)[{segment}]"]
        slope = tidy.loc[f"C(segment)[{segment}]:score"]
        assert intercept["ci_low"] < a < intercept["ci_high"], (segment, intercept)
        assert slope["ci_low"] < b < slope["ci_high"], (segment, slope)
    # about half of those who scored 10 actually recommended
    overall = models.predict_intent(models.fit_intent(responses), scores=[10]).iloc[0]
    assert 0.45 < overall["estimate"] < 0.56
    calibration = models.intent_calibration(responses)
    assert calibration["estimate"].iloc[2:].is_monotonic_increasing  # 0-1 are rare


def test_spend_model_recovers_the_140_percent(con):
    # generator truth: spend multiplier by the latest earlier answer (demo.SPEND_MULTIPLIER)
    response_spend = db.read_response_spend(con).to_pandas()
    fit = models.fit_spend(response_spend, cluster="customer_id")
    # four checks on one seed that share the reference level: 99% intervals
    uplift = models.spend_uplift(fit, confidence=0.99).set_index("level")
    for level, ratio in demo.SPEND_MULTIPLIER.items():
        row = uplift.loc[level]
        if level == 1:
            assert row["estimate"] == 1.0
            continue
        assert row["ci_low"] < ratio < row["ci_high"], (level, row.to_dict())
    assert uplift.loc[5, "uplift_pct"] == pytest.approx(140, abs=12)


def test_stratified_sample_in_the_engine_and_its_effect_on_intervals(con):
    spend = db.read_response_spend(con)
    full = models.stratified_sample(spend, "satisfaction_level", 10**9)
    assert full.attrs["fraction"] == 1 and (full["sample_weight"] == 1).all()
    sample = models.stratified_sample(spend, "satisfaction_level", len(full) // 4)
    assert sample.attrs["population"] == len(full)
    assert 0.22 < len(sample) / len(full) < 0.28
    # the weights add each stratum back up to its population
    population = full.groupby("satisfaction_level").size()
    weighted = sample.groupby("satisfaction_level")["sample_weight"].sum()
    np.testing.assert_allclose(weighted.to_numpy(), population.to_numpy())
    # the same seed gives the same sample
    again = models.stratified_sample(spend, "satisfaction_level", len(full) // 4)
    assert sorted(again["response_id"]) == sorted(sample["response_id"])
    on_all = models.spend_uplift(models.fit_spend(full, cluster="customer_id")).set_index("level")
    on_sample = models.spend_uplift(
        models.fit_spend(sample, weights="sample_weight", cluster="customer_id")
    ).set_index("level")
    widths = []
    for level, ratio in demo.SPEND_MULTIPLIER.items():
        if level == 1:
            continue
        row = on_sample.loc[level]
        assert row["ci_low"] < ratio < row["ci_high"], (level, row.to_dict())
        widths.append(
            np.log(row["ci_high"] / row["ci_low"])
            / np.log(on_all.loc[level, "ci_high"] / on_all.loc[level, "ci_low"])
        )
    # a quarter of the rows: intervals about 1 / sqrt(0.25) = 2 times as wide
    assert sample.attrs["widening"] == pytest.approx(2.0, rel=0.05)
    assert 1.6 < np.mean(widths) < 2.5, widths


def test_spend_model_rejects_non_positive_spend():
    df = pd.DataFrame(
        {"monthly_spend": [10.0, 0.0, 5.0], "satisfaction_level": [1, 2, 3], "segment": ["B2C"] * 3}
    )
    with pytest.raises(ValueError, match="must be positive; row 1 holds 0.0"):
        models.fit_spend(df)


def test_tidy_columns_and_exponentiate():
    rng = np.random.default_rng(5)
    x = rng.normal(size=200)
    df = pd.DataFrame({"x": x, "y": 1 + 2 * x + rng.normal(size=200)})
    result = sm.OLS.from_formula("y ~ x", df).fit()
    tidy = models.tidy(result)
    assert list(tidy.columns) == TIDY_COLUMNS
    assert list(tidy["term"]) == ["Intercept", "x"]
    np.testing.assert_allclose(tidy["estimate"], result.params)
    exp = models.tidy(result, exponentiate=True)
    np.testing.assert_allclose(exp["estimate"], np.exp(result.params))
