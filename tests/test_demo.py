import numpy as np
import pandas as pd
import pytest

from cxresearch.data import demo
from cxresearch.data.schema import LANGUAGES, RECOMMENDED, SEGMENTS, TABLES, TOUCHPOINTS


def test_same_seed_same_data():
    a, b = demo.generate(1000, seed=5), demo.generate(1000, seed=5)
    for name in TABLES:
        pd.testing.assert_frame_equal(a[name], b[name])
    c = demo.generate(1000, seed=6)
    assert not a["responses"]["nps"].equals(c["responses"]["nps"])


def test_tables_columns_and_codes(demo_tables):
    for name, schema in TABLES.items():
        assert list(demo_tables[name].columns) == list(schema.names), name
    r, c = demo_tables["responses"], demo_tables["customers"]
    assert r["nps"].between(0, 10).all() and r["csat"].between(1, 5).all()
    assert set(r["recommended_last_12m"]) == set(RECOMMENDED)
    assert set(r["touchpoint"]) == set(TOUCHPOINTS)
    assert set(r["language"]) == set(LANGUAGES)
    assert set(c["segment"]) == set(SEGMENTS)
    assert {"SE", "DK", "FI", "NL"} <= set(c["country"])
    assert r["response_id"].is_unique and r["customer_id"].isin(c["customer_id"]).all()
    months = pd.to_datetime(demo_tables["spend"]["month"]).dt.to_period("M").nunique()
    assert months == demo.MONTHS == 24


def test_no_response_after_churn(demo_tables):
    r = demo_tables["responses"].merge(demo_tables["customers"], on="customer_id")
    churned = r[r["churn_date"].notna()]
    month_of_churn = pd.to_datetime(churned["churn_date"]).dt.to_period("M")
    assert (pd.to_datetime(churned["responded_at"]).dt.to_period("M") <= month_of_churn).all()


def test_ground_truth_shows_in_raw_data(demo_tables):
    r = demo_tables["responses"]
    known = r[r["recommended_last_12m"] != "unknown"]
    share = known.groupby("nps")["recommended_last_12m"].apply(lambda s: (s == "yes").mean())
    assert share[10] == pytest.approx(0.5, abs=0.03)
    assert share.loc[2:].is_monotonic_increasing  # scores 0-1 are rare and noisy
    i = demo_tables["interactions"]
    unhappy = i["csat"] <= 2
    silent_per_complaint = (unhappy & ~i["complaint"]).sum() / (unhappy & i["complaint"]).sum()
    assert 15 < silent_per_complaint < 45  # truth: 26


def test_rejects_tiny_sizes():
    with pytest.raises(ValueError, match="at least 100"):
        demo.generate(10)


@pytest.mark.slow  # a million rows: minutes on a loaded machine
def test_one_million_responses():
    tables = demo.generate(1_000_000, seed=3)
    assert len(tables["responses"]) == 1_000_000
    assert tables["responses"]["response_id"].is_unique
    assert np.isfinite(tables["spend"]["amount"]).all()
