"""The analysis set against known truths: published examples, oracles, planted effects."""

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats

from cxresearch.data import db, demo
from cxresearch.stats import (
    compare,
    drivers,
    intervals,
    metrics,
    retention,
    service,
    touchpoints,
    value,
)

# -- key drivers -------------------------------------------------------------------------


def _driver_data(seed=0, n=3000):
    rng = np.random.default_rng(seed)
    common = rng.normal(size=n)
    x1 = common + rng.normal(size=n)
    x2 = common + rng.normal(size=n)
    x3 = rng.normal(size=n)
    y = 1.0 * x1 + 0.5 * x2 + 0.0 * x3 + rng.normal(size=n)
    return pd.DataFrame({"y": y, "x1": x1, "x2": x2, "x3": x3})


def test_relative_weights_sum_to_r_squared():
    # oracle: statsmodels OLS R² (Johnson 2000: the weights decompose R²)
    df = _driver_data()
    w = drivers.relative_weights(df, "y", ["x1", "x2", "x3"])
    r2 = sm.OLS(df["y"], sm.add_constant(df[["x1", "x2", "x3"]])).fit().rsquared
    assert w.sum() == pytest.approx(r2, rel=1e-10)
    assert w["x1"] > w["x2"] > w["x3"] and w["x3"] < 0.002


def test_relative_weights_of_uncorrelated_predictors_are_squared_correlations():
    # with orthogonal predictors each weight is the squared correlation with the outcome
    rng = np.random.default_rng(1)
    x = np.linalg.qr(rng.normal(size=(500, 2)))[0] * np.sqrt(500)
    x -= x.mean(axis=0)
    q, _ = np.linalg.qr(x - x.mean(axis=0))
    df = pd.DataFrame({"a": q[:, 0], "b": q[:, 1]})
    df["y"] = 2 * df["a"] + df["b"] + rng.normal(size=500) * 0.01
    w = drivers.relative_weights(df, "y", ["a", "b"])
    for col in ("a", "b"):
        assert w[col] == pytest.approx(np.corrcoef(df[col], df["y"])[0, 1] ** 2, rel=1e-3)


def test_relative_weights_reject_constant_predictor():
    df = _driver_data().assign(x3=1.0)
    with pytest.raises(ValueError, match=r"\['x3'\] do not vary"):
        drivers.relative_weights(df, "y", ["x1", "x2", "x3"])


def test_key_drivers_find_planted_drivers(con):
    # demo truth: product_quality > support > delivery > price matter; website does not
    ratings = db.read_driver_ratings(con).to_pandas()
    out = drivers.key_drivers(ratings, "nps", list(demo.DRIVER_EFFECTS), n_boot=100)
    out = out.set_index("attribute")
    assert list(out.index[:2]) == ["product_quality", "support"]
    real = [a for a, e in demo.DRIVER_EFFECTS.items() if e > 0]
    assert out.loc["website", "share"] < 0.01
    assert out.loc["website", "ci_high"] < out.loc[real, "ci_low"].min()
    assert (out["ci_low"] <= out["estimate"]).all() and (out["estimate"] <= out["ci_high"]).all()


# -- significance on the demo's planted change -------------------------------------------


def test_nps_change_found_in_denmark_not_in_sweden(con):
    # demo truth: Denmark's NPS drops in the last CHANGE_MONTHS months; Sweden's does not
    current = db.recent_period(con, months=demo.CHANGE_MONTHS)
    previous = compare.previous_period(*current)
    responses = db.read_responses(con)
    out = compare.change(
        metrics.nps, responses, current=current, previous=previous, by="country", adjust="holm"
    )
    found = out.set_index("country")["significant"]
    assert found["DK"] and not found["SE"]
    dk = out.set_index("country").loc["DK"]
    assert dk["difference"] < 0 and dk["ci_high"] < 0


# -- churn, retention, revenue at risk ---------------------------------------------------


def test_kaplan_meier_worked_example():
    # hand product-limit: churn at 1, 3, 3 months; two customers stay to month 4 (censored):
    # S(1) = 4/5, S(3) = 4/5 x (1 - 2/4) = 2/5
    start = pd.Timestamp("2025-01-01")
    months = retention.DAYS_PER_MONTH
    customers = pd.DataFrame(
        {
            "first_purchase_date": [start - pd.Timedelta(days=30)] * 5,
            "churn_date": [
                start + pd.Timedelta(days=round(1 * months)),
                None,
                start + pd.Timedelta(days=round(3 * months)),
                start + pd.Timedelta(days=round(3 * months)),
                None,
            ],
        }
    )
    end = start + pd.Timedelta(days=round(4 * months))
    curve = retention.kaplan_meier(customers, start=start, end=end)
    assert curve["estimate"].tolist() == pytest.approx([4 / 5, 2 / 5])
    assert curve["at_risk"].tolist() == [5, 4]
    assert (curve["ci_low"] < curve["estimate"]).all()
    assert (curve["estimate"] < curve["ci_high"]).all()


def test_retention_worse_for_detractors(con):
    cs = db.read_customer_satisfaction(con).to_pandas()
    curves = retention.kaplan_meier(cs, start="2024-11-01", end="2026-10-31", by="nps_group")
    at12 = retention.retention_at(curves, 12, by="nps_group").set_index("nps_group")
    assert at12.loc["detractor", "ci_high"] < at12.loc["promoter", "ci_low"]


def test_revenue_at_risk_observed_hand_example():
    data = pd.DataFrame(
        {
            "satisfaction_level": [1] * 10 + [5] * 10,
            "monthly_spend": [100.0] * 10 + [300.0] * 10,
            "churned": [True] * 5 + [False] * 5 + [True] + [False] * 9,
        }
    )
    table, assumptions = value.revenue_at_risk_observed(data)
    rows = table.set_index("satisfaction_level")
    assert rows.loc[1, "estimate"] == pytest.approx(10 * 0.5 * 100)
    assert rows.loc[5, "estimate"] == pytest.approx(10 * 0.1 * 300)
    assert rows.loc["total unhappy", "estimate"] == pytest.approx(500)
    assert "Assumptions" in assumptions


# -- service -------------------------------------------------------------------------------


def test_silent_dissatisfaction_hand_example_and_demo_truth(con):
    df = pd.DataFrame({"csat": [1] * 27 + [5] * 10, "complaint": [True] + [False] * 36})
    row = service.silent_dissatisfaction(df).iloc[0]
    assert row["estimate"] == pytest.approx(26) and row["n"] == 27
    _, _, low, high = intervals.wilson(1, 27)
    assert row["ci_low"] == pytest.approx((1 - high) / high)
    assert row["ci_high"] == pytest.approx((1 - low) / low)
    demo_row = service.silent_dissatisfaction(con.table("interactions")).iloc[0]
    assert demo_row["ci_low"] < 26 < demo_row["ci_high"]  # truth: 1 complaint in 27


def test_correlation_matches_scipy():
    # oracle: scipy.stats.pearsonr(...).confidence_interval() (Fisher z)
    rng = np.random.default_rng(2)
    x = rng.normal(size=80)
    y = 0.4 * x + rng.normal(size=80)
    r = intervals.correlation(x, y)
    ref = stats.pearsonr(x, y)
    ci = ref.confidence_interval(0.95)
    assert r["estimate"] == pytest.approx(ref.statistic)
    assert (r["ci_low"], r["ci_high"]) == pytest.approx((ci.low, ci.high))


def test_agent_satisfaction_link_is_positive_in_demo(con):
    # demo truth: an agent's skill raises both their customers' CSAT and their ASAT
    out = service.agent_satisfaction_link(
        con.table("interactions"), con.table("agent_satisfaction")
    )
    assert out.loc[0, "ci_low"] > 0.2


def test_transactional_csat_tracks_relational_nps(con):
    table, r = touchpoints.transactional_vs_relational(db.read_responses(con))
    assert r["ci_low"] > 0.3
    assert table["mean_nps"].is_monotonic_increasing


def test_touchpoint_nps_differs_as_planted(con):
    out = metrics.nps(db.read_responses(con), by="touchpoint").set_index("touchpoint")
    # demo truth: service calls score lowest, after-purchase highest
    assert out["estimate"].idxmin() == "service_call"
    assert out["estimate"].idxmax() == "after_purchase"


# -- loyalty concentration ---------------------------------------------------------------


def test_revenue_concentration_hand_example():
    df = pd.DataFrame({"monthly_spend": [70.0] + [30.0 / 9] * 9})
    out = value.revenue_concentration(df, top_shares=[0.1, 0.5]).set_index("customer_share")
    assert out.loc[0.1, "revenue_share"] == pytest.approx(0.70)
    assert out.loc[0.5, "customers"] == 5
    with pytest.raises(ValueError, match="no positive spend"):
        value.revenue_concentration(pd.DataFrame({"monthly_spend": [0.0]}))
