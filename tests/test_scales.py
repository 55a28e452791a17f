"""Scales are data: every metric reads each row's declared scale (issue 13).

Oracles: hand counts of small tables whose truth is known by construction.
"""

from __future__ import annotations

from pathlib import Path

import ibis
import pandas as pd
import pytest

from cxresearch.data import db, scales
from cxresearch.data import imports as importer
from cxresearch.data.schema import TABLES
from cxresearch.stats import service, touchpoints


def _rated(values: list[int], low: int, high: int) -> pd.DataFrame:
    return pd.DataFrame({"csat": values, "csat_min": low, "csat_max": high})


def test_common_scale_top_two_and_dissatisfied_by_hand():
    t = ibis.memtable(pd.concat([_rated([1, 4, 7, 3, 6], 1, 7), _rated([1, 3, 5, 2], 1, 5)]))
    got = t.select(
        common=scales.on_common_scale(t), top=scales.top_two(t), low=scales.dissatisfied(t)
    ).to_pandas()
    # by hand: 1 + 4 (x - 1) / 6 on 1-7; 1-5 stays as it is
    assert got["common"].tolist() == pytest.approx([1, 3, 5, 1 + 8 / 6, 1 + 20 / 6, 1, 3, 5, 2])
    assert got["top"].tolist() == [False, False, True, False, True, False, False, True, False]
    # below the midpoint: 1-3 of 7, 1-2 of 5; 4 of 7 and 3 of 5 are neutral
    assert got["low"].tolist() == [True, False, False, True, False, True, False, False, True]
    assert scales.declared_scales(t) == [(1, 5), (1, 7)]


def test_rows_without_a_declared_scale_are_read_as_one_to_five():
    t = ibis.memtable(pd.DataFrame({"csat": [1, 2, 3, 4, 5]}))
    got = t.select(c=scales.on_common_scale(t), low=scales.dissatisfied(t)).to_pandas()
    assert got["c"].tolist() == [1, 2, 3, 4, 5]
    assert got["low"].tolist() == [True, True, False, False, False]


def _touchpoint_responses() -> pd.DataFrame:
    """Per customer one relational answer (nps) and one transactional CSAT answer.

    1-7 file: 6 customers answer 7 (level 5, satisfied), 6 answer 5 (1 + 4 x 4/6 = 3.67:
    level 4, neither: 5 of 7 is not top-two), 6 answer 3 (2.33: level 2, unhappy: below
    4). 1-5 file: 6 customers answer 4 (level 4, satisfied).
    """
    rows = []
    plan = [(7, 7, 10)] * 6 + [(5, 7, 8)] * 6 + [(3, 7, 3)] * 6 + [(4, 5, 9)] * 6
    for i, (csat, high, nps) in enumerate(plan):
        c = f"c{i}"
        rows.append({"customer_id": c, "touchpoint": "relationship", "nps": nps, "csat": None,
                     "csat_min": None, "csat_max": None})  # fmt: skip
        rows.append({"customer_id": c, "touchpoint": "delivery", "nps": None, "csat": csat,
                     "csat_min": 1, "csat_max": high})  # fmt: skip
    frame = pd.DataFrame(rows)
    return frame.astype({"nps": "Int64", "csat": "Int64", "csat_min": "Int64",
                         "csat_max": "Int64"})  # fmt: skip


def test_touchpoint_levels_and_shares_read_each_answers_own_scale():
    table, r = touchpoints.transactional_vs_relational(_touchpoint_responses(), min_n=1)
    got = table.set_index("transactional_csat")
    # hand count (see _touchpoint_responses); a 1-5 reading would give levels 7, 5 and 3
    assert sorted(got.index) == [2, 4, 5]
    assert got.loc[5, ["customers", "satisfied", "unhappy"]].tolist() == [6, 6, 0]
    assert got.loc[4, ["customers", "satisfied", "unhappy"]].tolist() == [12, 6, 0]
    assert got.loc[2, ["customers", "satisfied", "unhappy"]].tolist() == [6, 0, 6]
    assert got.loc[4, "mean_nps"] == pytest.approx((8 * 6 + 9 * 6) / 12)
    assert r["n"] == 24


def _interactions() -> pd.DataFrame:
    """1-7: 20 contacts at 3 (unhappy, 2 complaints), 10 at 4 (neutral, 1 complaint), 5 at
    7; 1-5: 10 at 3 (neutral, 1 complaint), 8 at 2 (unhappy, 2 complaints)."""
    parts = [("seven", 3, 7, 20, 2), ("seven", 4, 7, 10, 1), ("seven", 7, 7, 5, 0),
             ("five", 3, 5, 10, 1), ("five", 2, 5, 8, 2)]  # fmt: skip
    rows = [
        {"team": team, "csat": csat, "csat_min": 1, "csat_max": high, "complaint": k < complaints}
        for team, csat, high, n, complaints in parts
        for k in range(n)
    ]
    return pd.DataFrame(rows)


def test_silent_dissatisfaction_counts_unhappy_on_each_rows_scale():
    by_team = service.silent_dissatisfaction(_interactions(), by="team", min_n=1)
    got = by_team.set_index("team")
    # hand count: unhappy = below the midpoint of the row's scale (1-3 of 7, 1-2 of 5)
    assert got.loc["seven", ["n", "complaints"]].tolist() == [20, 2]
    assert got.loc["seven", "estimate"] == pytest.approx((20 - 2) / 2)
    assert got.loc["five", ["n", "complaints"]].tolist() == [8, 2]
    overall = service.silent_dissatisfaction(_interactions(), min_n=1).iloc[0]
    assert (overall["n"], overall["complaints"]) == (28, 4)
    assert overall["estimate"] == pytest.approx(24 / 4)


def test_a_fixed_threshold_still_applies_to_every_row():
    row = service.silent_dissatisfaction(_interactions(), unhappy_below=3, min_n=1).iloc[0]
    assert (row["n"], row["complaints"]) == (8, 2)  # only the 2s of the 1-5 rows


def test_imported_1_to_7_interactions_are_read_on_their_own_scale(tmp_path: Path):
    frame = _interactions()
    frame = frame[frame["csat_max"] == 7].reset_index(drop=True)
    frame = frame.assign(
        interaction_id=[f"i{k}" for k in range(len(frame))],
        customer_id="c1",
        agent_id=7,
        occurred_at="2026-03-01 10:00",
        complaint=frame["complaint"].map({True: "yes", False: "no"}),
    )
    columns = ["interaction_id", "customer_id", "agent_id", "team", "occurred_at", "csat"]
    frame = frame[[*columns, "complaint"]]
    path = tmp_path / "contacts.csv"
    frame.to_csv(path, index=False)
    mapping = tmp_path / "m.yaml"
    mapping.write_text("scales: {csat: [1, 7]}\n", encoding="utf-8")
    url = f"duckdb:///{tmp_path}/cx.duckdb"
    (done,) = importer.import_files([path], mapping_file=mapping, database=url)
    assert done.kind == "interactions" and done.status == "imported"
    con = db.connect(url)
    try:
        row = service.silent_dissatisfaction(db.read_interactions(con), min_n=1).iloc[0]
        assert scales.declared_scales(db.read_interactions(con)) == [(1, 7)]
    finally:
        con.disconnect()
    assert (row["n"], row["complaints"]) == (20, 2)  # 3 of 7 is unhappy; 4 of 7 is not


def test_revenue_at_risk_reads_each_rows_scale():
    from cxresearch.stats import metrics

    # 1-7: 6 and 7 satisfied, 5 unhappy; 1-5: 4 satisfied, 3 unhappy (hand count: 2 of 4)
    df = pd.DataFrame({"csat": [7, 5, 4, 3], "csat_min": 1, "csat_max": [7, 7, 5, 5],
                       "monthly_spend": [10.0, 30.0, 10.0, 50.0]})  # fmt: skip
    row = metrics.revenue_at_risk(df, churn_probability=1.0, min_n=1, suppress_below=1).iloc[0]
    assert row["unhappy"] == 2
    # 4 customers x 2/4 unhappy x 1.0 x mean spend of the unhappy (30 + 50) / 2
    assert row["estimate"] == pytest.approx(4 * 0.5 * 40.0)


def test_driver_ratings_and_csat_are_put_on_the_common_scale(tmp_path: Path):
    responses = pd.DataFrame({
        "response_id": ["a", "b"], "source": "s", "customer_id": ["c1", "c2"], "survey_id": 1,
        "responded_at": pd.Timestamp("2026-03-01"), "touchpoint": "relationship",
        "language": "en", "nps": [9, 3], "csat": [7, 2], "csat_min": [1, 1],
        "csat_max": [7, 5], "recommended_last_12m": "no", "comment": None, "weight": 1.0,
    })  # fmt: skip
    ratings = pd.DataFrame({
        "response_id": ["a", "a", "b", "b"], "source": "s",
        "attribute": ["price", "speed", "price", "speed"], "rating": [4, 10, 3, 1],
        "rating_min": 1, "rating_max": [7, 10, 5, 10],
    })  # fmt: skip
    tables = {name: pd.DataFrame(columns=list(schema.names)) for name, schema in TABLES.items()}
    tables.update(responses=responses, ratings=ratings)
    url = db.write_tables(f"duckdb:///{tmp_path}/cx.duckdb", tables)
    con = db.connect(url)
    try:
        got = db.read_driver_ratings(con).to_pandas().set_index("response_id").sort_index()
    finally:
        con.disconnect()
    # by hand: 1 + 4 (x - 1) / (high - 1): 4 of 7 -> 3, 10 of 10 -> 5, 1 of 10 -> 1
    assert got["price"].tolist() == pytest.approx([3.0, 3.0])
    assert got["speed"].tolist() == pytest.approx([5.0, 1.0])
    assert got["csat"].tolist() == pytest.approx([5.0, 2.0])


def test_declared_scales_from_the_summary_are_those_of_the_rows(tmp_path: Path):
    from cxresearch.data import summary
    from cxresearch.data.schema import DEFAULT_SCALE

    # by construction: March holds a 1-7 and an undeclared (1-5) answer, April a 0-10 one
    responses = pd.DataFrame({
        "response_id": ["a", "b", "c", "d"], "source": "s", "customer_id": ["c1", "c2", "c1", "c2"],
        "survey_id": 1, "touchpoint": "relationship", "language": "en",
        "responded_at": pd.to_datetime(["2026-03-01", "2026-03-02", "2026-04-01", "2026-04-02"]),
        "nps": [9, 3, 5, 7], "csat": [7, 2, 9, None], "csat_min": [1, None, 0, 1],
        "csat_max": [7, None, 10, 3], "recommended_last_12m": "no", "comment": None, "weight": 1.0,
    }).astype({"csat": "Int64", "csat_min": "Int64", "csat_max": "Int64"})  # fmt: skip
    customers = pd.DataFrame({"customer_id": ["c1", "c2"], "segment": ["B2B", "B2C"],
                              "country": "SE"})  # fmt: skip
    tables = {name: pd.DataFrame(columns=list(schema.names)) for name, schema in TABLES.items()}
    tables.update(responses=responses, customers=tables["customers"].combine_first(customers))
    con = db.connect(db.write_tables(f"duckdb:///{tmp_path}/cx.duckdb", tables))
    try:
        cases = [({}, [(0, 10), (1, 5), (1, 7)]), ({"end": "2026-03-31"}, [(1, 5), (1, 7)]),
                 ({"segment": ["B2B"]}, [(0, 10), (1, 7)]),
                 ({"start": "2026-04-02"}, [])]  # fmt: skip
        for filters, expected in cases:
            t = db.read_responses(con, **filters)
            assert summary.csat_scales(t, DEFAULT_SCALE) == expected  # from the summary
            assert scales.declared_scales(t) == expected
            with summary.rows_only():
                assert scales.declared_scales(t) == expected  # the rows agree
    finally:
        con.disconnect()
