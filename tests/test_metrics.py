import datetime as dt

import ibis
import numpy as np
import pandas as pd
import pytest

from cxresearch.data import db
from cxresearch.stats import metrics

METRIC_COLUMNS = [
    "metric",
    "n",
    "effective_n",
    "estimate",
    "std_error",
    "ci_low",
    "ci_high",
    "confidence",
    "suppressed",
    "unreliable",
]


def _scores(detractors, passives, promoters):
    return pd.DataFrame({"nps": [3] * detractors + [7] * passives + [10] * promoters})


def test_nps_worked_examples():
    out = metrics.nps(_scores(1, 2, 3), min_n=1)
    row = out.iloc[0]
    assert list(out.columns[: len(METRIC_COLUMNS)]) == METRIC_COLUMNS
    assert row["estimate"] == pytest.approx(1 / 3)
    assert row["std_error"] ** 2 * row["n"] == pytest.approx(5 / 9)
    assert (row["promoters"], row["passives"], row["detractors"]) == (3, 2, 1)
    row = metrics.nps(_scores(20, 30, 50)).iloc[0]
    assert (round(row["ci_low"], 4), round(row["ci_high"], 4)) == (0.1469, 0.4531)


def test_nps_boundaries_of_groups():
    df = pd.DataFrame({"nps": list(range(11))})
    row = metrics.nps(df).iloc[0]
    # 0-6 detractors, 7-8 passives, 9-10 promoters
    assert (row["detractors"], row["passives"], row["promoters"]) == (7, 2, 2)


def test_nps_by_group_flags_small_groups():
    df = pd.concat(
        [_scores(10, 10, 20).assign(country="SE"), _scores(1, 1, 2).assign(country="DK")]
    )
    out = metrics.nps(df, by="country", min_n=30)
    assert list(out["country"]) == ["DK", "SE"]
    assert list(out["unreliable"]) == [False, False]  # DK is suppressed, not shown
    assert list(out["suppressed"]) == [True, False]
    assert out.loc[0, ["estimate", "ci_low", "ci_high"]].isna().all()
    assert out.loc[0, "promoters"] is pd.NA
    assert list(out["n"]) == [4, 40]


def test_nps_ignores_missing_and_rejects_out_of_range():
    df = pd.DataFrame({"nps": [10, None, 0]})
    assert metrics.nps(df).iloc[0]["n"] == 2
    with pytest.raises(ValueError, match=r"'nps' must hold integers 0-10; found \[11\]"):
        metrics.nps(pd.DataFrame({"nps": [5, 11]}))
    with pytest.raises(ValueError, match="not in the data"):
        metrics.nps(pd.DataFrame({"score": [5]}))
    with pytest.raises(TypeError, match="Ibis table or a pandas DataFrame"):
        metrics.nps([1, 2, 3])


def test_nps_engine_side_equals_plain_pandas(con):
    # oracle: plain pandas on the rows
    responses = db.read_responses(con)
    out = metrics.nps(responses, by=["segment", "country"])
    rows = responses.select("segment", "country", "nps").to_pandas()
    grouped = rows.groupby(["segment", "country"])["nps"]
    expected = (grouped.apply(lambda s: (s >= 9).mean() - (s <= 6).mean())).reset_index(name="e")
    merged = out.merge(expected, on=["segment", "country"])
    assert len(merged) == len(expected) == rows.groupby(["segment", "country"]).ngroups
    np.testing.assert_allclose(merged["estimate"], merged["e"], rtol=0, atol=1e-12)


def test_csat_worked_example_and_scale():
    df = pd.DataFrame({"csat": [5] * 30 + [4] * 15 + [3, 2, 1, 1, 2]})
    row = metrics.csat(df).iloc[0]
    assert row["satisfied"] == 45
    assert (round(row["ci_low"], 4), round(row["ci_high"], 4)) == (0.7864, 0.9565)
    with pytest.raises(ValueError, match="integers 1-5"):
        metrics.csat(pd.DataFrame({"csat": [0, 5]}))
    seven = metrics.csat(
        pd.DataFrame({"csat": [7, 6, 5, 1]}), scale=(1, 7), satisfied=6, suppress_below=1
    )
    assert seven.iloc[0]["estimate"] == 0.5


def test_dataframe_and_ibis_table_agree():
    df = pd.DataFrame({"csat": [1, 2, 3, 4, 5, 5], "g": list("aabbbb")})
    a = metrics.csat(df, by="g")
    b = metrics.csat(ibis.memtable(df), by="g")
    pd.testing.assert_frame_equal(a, b)


def test_revenue_at_risk_worked_examples():
    # 100 customers x $100/month, 90 % satisfied, 95 % of the unhappy churn: $950
    assert metrics.revenue_at_risk_formula(100, 100, 0.90, 0.95) == 950.0
    assert metrics.revenue_at_risk_formula(100, 100, 0.75, 0.95) == 2375.0
    for share, expected in ((0.90, 950.0), (0.75, 2375.0)):
        happy = int(share * 100)
        df = pd.DataFrame({"csat": [5] * happy + [2] * (100 - happy), "monthly_spend": 100.0})
        row = metrics.revenue_at_risk(df).iloc[0]
        assert row["estimate"] == pytest.approx(expected)
        assert row["ci_low"] < expected < row["ci_high"]
    with pytest.raises(ValueError, match="churn_probability"):
        metrics.revenue_at_risk_formula(100, 100, 0.9, 1.5)


def test_revenue_at_risk_uses_spend_of_the_unhappy_and_customer_base():
    df = pd.DataFrame({"csat": [1, 5, 5, 5], "monthly_spend": [40.0, 1000.0, 1000.0, 1000.0]})
    row = metrics.revenue_at_risk(
        df, customers=400, churn_probability=0.5, min_n=1, suppress_below=1
    ).iloc[0]
    # 400 customers x 1/4 unhappy x 0.5 x $40
    assert row["estimate"] == pytest.approx(2000.0)


CHURN_FIXTURE = pd.DataFrame(
    {
        "customer_id": ["1", "2", "3", "4", "5"],
        "segment": ["B2B", "B2B", "B2C", "B2C", "B2C"],
        "first_purchase_date": [dt.date(2023, 5, 1)] * 3
        + [dt.date(2024, 1, 15), dt.date(2024, 3, 1)],
        "churn_date": [dt.date(2024, 1, 10), None, dt.date(2024, 2, 29), dt.date(2024, 2, 1), None],
    }
)


def test_churn_rate_by_month_hand_count():
    out = metrics.churn_rate(
        CHURN_FIXTURE, start="2024-01-01", end="2024-03-31", min_n=1, suppress_below=1
    )
    # Jan: at risk 1,2,3 (4 joins mid-month), churned 1. Feb: at risk 2,3,4; churned 3,4.
    # Mar: at risk 2 (5 joins on Mar 1, i.e. not before the month began).
    assert [str(d) for d in out["period_start"]] == ["2024-01-01", "2024-02-01", "2024-03-01"]
    assert list(out["n"]) == [3, 3, 1]
    assert list(out["churned"]) == [1, 2, 0]
    assert out["metric"].iloc[0] == "churn_month"


def test_churn_rate_by_quarter_and_group():
    out = metrics.churn_rate(
        CHURN_FIXTURE,
        start="2024-01-01",
        end="2024-06-30",
        period="quarter",
        by="segment",
        min_n=1,
        suppress_below=1,
    )
    q1 = out[out["period_start"] == dt.date(2024, 1, 1)].set_index("segment")
    assert q1.loc["B2B", "n"] == 2 and q1.loc["B2B", "churned"] == 1
    assert q1.loc["B2C", "n"] == 1 and q1.loc["B2C", "churned"] == 1


def test_period_starts_keeps_whole_periods_only():
    p = metrics.period_starts("2024-11-15", "2026-10-28", "quarter")
    assert str(p["period_start"].iloc[0]) == "2025-01-01"
    assert str(p["period_start"].iloc[-1]) == "2026-07-01"  # Q4 2026 is cut off on Oct 28
    with pytest.raises(ValueError, match="period must be one of"):
        metrics.period_starts("2024-01-01", "2024-12-31", "week")


def test_churn_higher_among_dissatisfied_in_demo(con):
    # generator truth: monthly churn hazard falls with the experience level
    cs = db.read_customer_spend(con).select("customer_id", "satisfaction_level")
    customers = db.read_customers(con).inner_join(cs, "customer_id")
    out = metrics.churn_rate(
        customers, start="2024-11-01", end="2026-10-31", period="year", by="satisfaction_level"
    )
    yearly = out.groupby("satisfaction_level")["estimate"].mean()
    assert yearly[1] > yearly[3] > yearly[5]
