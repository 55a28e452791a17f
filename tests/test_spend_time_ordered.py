"""Satisfaction against spend, time-ordered: each answer against the spend that follows it."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from cxresearch.data import db
from cxresearch.stats import models

#: Truth of the independent generator below: spend after an answer at CSAT k, relative to
#: spend after a CSAT-1 answer. Best against worst: 1.9.
TRUE_MULTIPLIER = {1: 1.0, 2: 1.15, 3: 1.35, 4: 1.6, 5: 1.9}
SIMULATIONS = 100
CUSTOMERS = 160
MONTHS = 18


def _month(index: int) -> dt.date:
    return dt.date(2025 + index // 12, index % 12 + 1, 1)


def _simulate(rng: np.random.Generator, sim: int) -> dict[str, pd.DataFrame]:
    """One simulated data set, written without the estimator's or the demo's code.

    Each customer has a lasting taste (B2B spends 20 times B2C) and answers CSAT now and
    then; a month's spend is taste x the multiplier of the latest answer given in an
    EARLIER month x log-normal noise (not gamma). Before the first answer the customer's
    own usual level sets spend.
    """
    customers, responses, spend = [], [], []
    for c in range(CUSTOMERS):
        cid = f"S{sim:03d}C{c:04d}"
        segment = "B2B" if rng.random() < 0.3 else "B2C"
        customers.append({"customer_id": cid, "segment": segment, "country": "SE",
                          "industry": "x", "first_purchase_date": dt.date(2024, 1, 1),
                          "churn_date": None})  # fmt: skip
        usual = int(rng.integers(1, 6))
        taste = (20.0 if segment == "B2B" else 1.0) * 100 * np.exp(rng.normal(0, 0.6))
        answers = {}  # month -> (time, CSAT) of the last answer in it
        for m in rng.choice(MONTHS, size=rng.integers(1, 6), replace=True):
            for _ in range(1 + int(rng.random() < 0.2)):
                csat = int(min(5, max(1, usual + rng.choice([-2, -1, 0, 1, 2]))))
                at = pd.Timestamp(_month(int(m))) + pd.Timedelta(hours=int(rng.integers(0, 648)))
                if int(m) not in answers or at > answers[int(m)][0]:
                    answers[int(m)] = (at, csat)
                responses.append({
                    "response_id": f"R{sim:03d}{len(responses):07d}", "source": "sim",
                    "customer_id": cid, "survey_id": 1, "responded_at": at,
                    "touchpoint": "relationship", "language": "en", "nps": 5, "csat": csat,
                    "recommended_last_12m": "no", "comment": None, "weight": 1.0,
                })  # fmt: skip
        latest = usual
        for m in range(MONTHS):
            noise = np.exp(rng.normal(-0.5 * 0.4**2, 0.4))  # log-normal, mean 1
            spend.append(
                {
                    "customer_id": cid,
                    "month": _month(m),
                    "amount": taste * TRUE_MULTIPLIER[latest] * noise,
                    "currency": "EUR",
                }
            )
            if m in answers:  # this month's last answer shapes the months after it
                latest = answers[m][1]
    return {
        "customers": pd.DataFrame(customers),
        "responses": pd.DataFrame(responses),
        "spend": pd.DataFrame(spend),
    }


@pytest.mark.slow
def test_time_ordered_spend_ratio_covers_an_independent_truth(tmp_path):
    # truth: TRUE_MULTIPLIER[5] / TRUE_MULTIPLIER[1] = 1.9 by construction of _simulate
    rng = np.random.default_rng(20261205)
    sims = [_simulate(rng, s) for s in range(SIMULATIONS)]
    tables = {name: pd.concat([s[name] for s in sims], ignore_index=True) for name in sims[0]}
    url = db.write_tables(f"duckdb:///{tmp_path / 'sim.duckdb'}", tables)
    con = db.connect(url)
    rows = db.read_response_spend(con, spend_window_months=3).to_pandas()
    con.disconnect()
    rows["sim"] = rows["customer_id"].str[1:4]
    covered, estimates = 0, []
    for _, part in rows.groupby("sim"):
        part = part.reset_index(drop=True)
        fit = models.fit_spend(part, cluster="customer_id")
        best = models.spend_uplift(fit).set_index("level").loc[5]
        estimates.append(best["estimate"])
        covered += best["ci_low"] <= 1.9 <= best["ci_high"]
    assert len(estimates) == SIMULATIONS
    assert covered >= 90, covered
    # and the estimator is not just wide: its mean sits near the truth
    assert np.mean(estimates) == pytest.approx(1.9, rel=0.04)


def _tiny_database(tmp_path) -> str:
    customers = pd.DataFrame({"customer_id": ["A", "B"], "segment": ["B2C", "B2C"],
                              "country": ["SE", "SE"], "industry": ["x", "x"],
                              "first_purchase_date": [dt.date(2024, 1, 1)] * 2,
                              "churn_date": [None, None]})  # fmt: skip
    answered = [("r1", "A", "2025-01-10", 2), ("r2", "A", "2025-03-05", 5),
                ("r3", "A", "2025-03-20", 4), ("r4", "B", "2025-06-30", 1)]  # fmt: skip
    responses = pd.DataFrame([
        {"response_id": rid, "source": "t", "customer_id": cid, "survey_id": 1,
         "responded_at": pd.Timestamp(at), "touchpoint": "relationship", "language": "en",
         "nps": 5, "csat": csat, "recommended_last_12m": "no", "comment": None, "weight": 1.0}
        for rid, cid, at, csat in answered
    ])  # fmt: skip
    months = [_month(m) for m in range(12)]
    spend = pd.DataFrame({"customer_id": ["A"] * 12 + ["B"] * 12, "month": months * 2,
                          "amount": [float(m + 1) for m in range(12)] + [10.0] * 12,
                          "currency": "EUR"})  # fmt: skip
    tables = {"customers": customers, "responses": responses, "spend": spend}
    return db.write_tables(f"duckdb:///{tmp_path / 'tiny.duckdb'}", tables)


def test_window_follows_the_answer_and_stops_at_the_next(tmp_path):
    con = db.connect(_tiny_database(tmp_path))
    out = db.read_response_spend(con, spend_window_months=3).to_pandas()
    out = out.set_index("response_id").sort_index()
    con.disconnect()
    # worked by hand: r1 (January): February and March (r2 answers in March) = (2 + 3) / 2;
    # r2 has a later answer in its own month, so no window; r3 (March): April-June
    # = (4 + 5 + 6) / 3; r4 (June): July-September of B = 10
    assert list(out.index) == ["r1", "r3", "r4"]
    assert out["months"].tolist() == [2, 3, 3]
    np.testing.assert_allclose(out["monthly_spend"], [2.5, 5.0, 10.0])
    assert out["satisfaction_level"].tolist() == [2, 4, 1]


def test_window_is_filtered_by_the_response_period_but_may_run_past_it(tmp_path):
    con = db.connect(_tiny_database(tmp_path))
    out = db.read_response_spend(con, spend_window_months=1, end="2025-06-30").to_pandas()
    con.disconnect()
    # r4 answered on the last day of the period; its window (July) lies after it
    row = out.set_index("response_id").loc["r4"]
    assert row["months"] == 1 and row["monthly_spend"] == 10.0


@pytest.mark.parametrize("window", [0, -1, 1.5])
def test_window_must_be_whole_months(tmp_path, window):
    con = db.connect(_tiny_database(tmp_path))
    with pytest.raises(ValueError, match="whole number of months >= 1"):
        db.read_response_spend(con, spend_window_months=window)
    con.disconnect()


def test_clustered_errors_match_statsmodels_cluster_sandwich():
    # oracle: statsmodels GLM with cov_type="cluster" on the same rows, fitted here directly
    import statsmodels.api as sm
    import statsmodels.formula.api as smf

    rng = np.random.default_rng(4)
    customer = np.repeat(np.arange(300), 4)
    level = rng.integers(1, 6, len(customer))
    taste = np.exp(rng.normal(0, 0.7, 300))[customer]
    spend = taste * level * rng.lognormal(0, 0.3, len(level))
    frame = pd.DataFrame({"customer_id": customer.astype(str), "satisfaction_level": level,
                          "segment": "B2C", "monthly_spend": spend})  # fmt: skip
    ours = models.fit_spend(frame, cluster="customer_id")
    oracle = smf.glm("monthly_spend ~ C(satisfaction_level)", data=frame,
                     family=sm.families.Gamma(link=sm.families.links.Log())).fit(
        cov_type="cluster", cov_kwds={"groups": customer})  # fmt: skip
    np.testing.assert_allclose(ours.bse.to_numpy(), oracle.bse.to_numpy(), rtol=1e-10)
    # a customer's answers share their taste: the intercept's clustered error is wider
    hc1 = models.fit_spend(frame)
    assert ours.bse["Intercept"] > 1.1 * hc1.bse["Intercept"]


def test_weighted_clustered_errors_match_a_hand_built_sandwich():
    # oracle: the cluster sandwich written out, (X'WX)^-1 (sum_g s_g s_g') (X'WX)^-1 x
    # G/(G-1) (N-1)/(N-K), with the weighted GLM scores s_i = w_i (y_i - mu_i) / mu_i x_i
    # of a gamma model with log link (Cameron & Miller 2015, eq. 11 and its small-sample
    # factor, statsmodels' default for cov_type="cluster")
    rng = np.random.default_rng(8)
    customer = np.repeat(np.arange(200), 3)
    level = rng.integers(1, 4, len(customer))
    weight = np.where(level == 1, 4.0, 1.5)
    frame = pd.DataFrame({"customer_id": customer, "satisfaction_level": level,
                          "segment": "B2C", "sample_weight": weight,
                          "monthly_spend": np.exp(rng.normal(0, 0.5, 200))[customer] * level
                          * rng.lognormal(0, 0.3, len(level))})  # fmt: skip
    fit = models.fit_spend(frame, weights="sample_weight", cluster="customer_id")
    x = np.column_stack([np.ones(len(level)), level == 2, level == 3]).astype(float)
    mu = np.exp(x @ fit.params.to_numpy())
    y = frame["monthly_spend"].to_numpy()
    scores = (weight * (y - mu) / mu)[:, None] * x
    bread = np.linalg.inv(x.T @ (weight[:, None] * x))
    summed = pd.DataFrame(scores).groupby(customer).sum().to_numpy()
    n, k, g = len(y), x.shape[1], 200
    cov = bread @ (summed.T @ summed) @ bread * g / (g - 1) * (n - 1) / (n - k)
    np.testing.assert_allclose(fit.bse.to_numpy(), np.sqrt(np.diag(cov)), rtol=1e-6)
