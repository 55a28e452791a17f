"""Imports for every table: customers, ratings, spend with currency, interactions, agents."""

from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from cxresearch.data import db, demo, fingerprints, imports
from cxresearch.errors import ImportValidationError
from cxresearch.running import runner
from cxresearch.stats import metrics


def export_demo(folder: Path, responses: int = 1500, seed: int = 11) -> dict[str, Path]:
    """Demo tables written as the canonical CSV files a team would import."""
    t = demo.generate(responses, seed=seed)
    c = t["customers"].copy()
    c["churned"] = np.where(c["churn_date"].isna(), "no", "yes")
    c["segment"] = c["segment"].map({"B2B": "Business", "B2C": "Consumer"})
    r = t["responses"].drop(columns=["source", "survey_id", "csat_min", "csat_max"])
    wide = t["ratings"].pivot(index="response_id", columns="attribute", values="rating")
    wide.columns = [f"rating_{a}" for a in wide.columns]
    r = r.merge(wide.astype("Int64"), left_on="response_id", right_index=True, how="left")
    i = t["interactions"].drop(columns=["csat_min", "csat_max"])
    i["complaint"] = np.where(i["complaint"], "yes", "no")
    s = t["spend"].copy()
    s["month"] = pd.to_datetime(s["month"]).dt.strftime("%Y-%m")
    files = {
        "customers": c,
        "responses": r,
        "spend": s,
        "interactions": i,
        "agents": t["agent_satisfaction"],
    }
    paths = {}
    for name, frame in files.items():
        paths[name] = folder / f"{name}.csv"
        frame.to_csv(paths[name], index=False)
    return paths


@pytest.fixture(scope="module")
def imported(tmp_path_factory) -> tuple[str, dict[str, Path]]:
    folder = tmp_path_factory.mktemp("tables")
    paths = export_demo(folder)
    mapping = folder / "m.yaml"
    mapping.write_text(
        "labels: {segment: {Business: B2B, Consumer: B2C}}\n"
        "columns: {" + ", ".join(
            f"{c}: {c}" for c in pd.read_csv(paths["responses"], nrows=0).columns
        ) + "}\n",
        encoding="utf-8",
    )  # fmt: skip
    url = f"duckdb:///{folder}/cx.duckdb"
    reports = imports.import_files(list(paths.values()), mapping_file=mapping, database=url)
    assert [r.kind for r in reports] == [
        "customers", "responses", "spend", "interactions", "agent_satisfaction",
    ]  # fmt: skip
    assert all(r.warnings == () for r in reports)
    return url, {**paths, "mapping": mapping}


def test_every_table_round_trips(imported, tmp_path):
    url, _ = imported
    truth = demo.generate(1500, seed=11)
    con = duckdb.connect(str(db.duckdb_path(url)), read_only=True)
    try:
        got = {n: con.execute(f'SELECT * FROM "{n}"').df() for n in truth if n != "surveys"}
    finally:
        con.close()
    key = {
        "customers": ["customer_id"],
        "responses": ["response_id"],
        "ratings": ["response_id", "attribute"],
        "spend": ["customer_id", "month"],
        "interactions": ["interaction_id"],
        "agent_satisfaction": ["agent_id", "month"],
    }
    for name, frame in got.items():
        want = truth[name].sort_values(key[name], ignore_index=True)
        frame = frame.sort_values(key[name], ignore_index=True)
        assert len(frame) == len(want), name
        for col in ("customer_id", "segment", "country", "nps", "csat", "rating", "amount",
                    "currency", "agent_id", "asat", "n", "complaint"):  # fmt: skip
            if col in want.columns:
                assert frame[col].astype(str).tolist() == want[col].astype(str).tolist(), (
                    name,
                    col,
                )
    c = got["customers"].sort_values("customer_id", ignore_index=True)
    want = truth["customers"].sort_values("customer_id", ignore_index=True)
    assert c["churn_date"].isna().tolist() == want["churn_date"].isna().tolist()
    assert (pd.to_datetime(c["first_purchase_date"]) == pd.to_datetime(
        want["first_purchase_date"])).all()  # fmt: skip
    teams = set(got["interactions"]["team"])
    assert teams == {"nord", "syd", "öst", "väst"}  # free labels, lower case


def test_second_run_is_unchanged(imported):
    url, paths = imported
    files = [p for k, p in paths.items() if k != "mapping"]
    con = db.connect(url)
    before = fingerprints.fingerprint(con)
    con.disconnect()
    again = imports.import_files(files, mapping_file=paths["mapping"], database=url)
    assert [r.status for r in again] == ["unchanged"] * 5
    con = db.connect(url)
    assert fingerprints.fingerprint(con) == before
    con.disconnect()


@pytest.mark.parametrize("notebook", ["churn_retention", "drivers", "service_agents"])
def test_notebooks_render_from_imported_tables(imported, tmp_path, notebook):
    url, _ = imported
    result = runner.run(notebook, out_dir=tmp_path, database=url, overrides={"min_n": 5},
                        update_index=False)  # fmt: skip
    assert result.html.exists()


def test_imported_metrics_match_the_demo_database(imported, tmp_path):
    url, _ = imported
    demo_url = f"duckdb:///{tmp_path}/demo.duckdb"
    db.write_tables(demo_url, demo.generate(1500, seed=11))
    out = []
    for u in (url, demo_url):
        con = db.connect(u)
        try:
            r = db.read_responses(con)
            out.append(metrics.csat(r, by="segment")[["segment", "n", "estimate"]])
        finally:
            con.disconnect()
    pd.testing.assert_frame_equal(out[0], out[1])


BAD_FILES = {
    "customers": (
        "customer_id,segment,country,first_purchase_date,churned,churn_date\n"
        "k1,B2B,SE,2024-01-01,yes,\n"
        "k2,B2B,Narnia,2024-01-01,no,2024-05-01\n"
        "k1,B2C,SE,2025-01-01,no,\n",
        [
            "row 2, column 'churned': 'yes': expected a churn_date when churned is yes",
            "row 3, column 'country': 'Narnia': expected an ISO country code",
            "row 3, column 'churn_date': '2024-05-01': expected no date when churned is no",
            "row 4, column 'customer_id': 'k1': expected a unique customer_id",
        ],
    ),
    "agents": (
        "agent_id,team,month,asat,n\n7,North,2025-01,4.1,10\n7,North,2025-01,x,0\n",
        [
            "row 3, column 'asat': 'x': expected a number",
            "row 3, column 'month': '2025-01': expected one row per agent and month",
            "row 3, column 'n': '0': expected a positive whole number",
        ],
    ),
    "spend": (
        "customer_id,month,amount,currency\nk1,2025-01,10.5,EURO\nk1,2025-02,,SEK\n",
        [
            "row 2, column 'currency': 'EURO': expected an ISO currency code",
            "row 3, column 'amount': '': expected a number",
        ],
    ),
}


@pytest.mark.parametrize("name", list(BAD_FILES))
def test_bad_files_name_row_column_value_and_write_nothing(tmp_path, name):
    text, expected = BAD_FILES[name]
    good = tmp_path / "good.csv"
    good.write_text("customer_id,segment\ng1,B2B\n", encoding="utf-8")
    bad = tmp_path / f"{name}.csv"
    bad.write_text(text, encoding="utf-8")
    url = f"duckdb:///{tmp_path}/cx.duckdb"
    with pytest.raises(ImportValidationError) as info:
        imports.import_files([good, bad], database=url)
    message = str(info.value)
    assert f"{len(expected)} problem(s) found" in message, message
    for part in expected:
        assert f"{name}.csv, {part}" in message, message
    assert not db.duckdb_path(url).exists()  # all or nothing: the good file was not written


def test_documented_example_files_import_in_one_command(tmp_path):
    from cxresearch.data.imports import mapping

    examples = Path(__file__).resolve().parent.parent / "docs" / "examples"
    files = sorted(examples.glob("*.csv"))
    url = f"duckdb:///{tmp_path}/cx.duckdb"
    reports = imports.import_files(files, database=url)
    assert {r.kind for r in reports} == {
        "agent_satisfaction", "customers", "interactions", "responses", "spend",
    }  # fmt: skip
    assert all(r.status == "imported" and not r.warnings for r in reports)
    loaded = mapping.load(examples / "mapping.yaml")
    assert loaded.scales == {"csat": (1, 7), "ratings": (1, 10)}
    assert loaded.labels["touchpoint"]["Web shop"] == "website"
    con = duckdb.connect(str(db.duckdb_path(url)), read_only=True)
    try:
        times = con.execute("SELECT strftime(responded_at, '%H:%M') FROM responses ORDER BY 1")
        assert [t for (t,) in times.fetchall()] == ["00:00", "09:15", "13:05"]  # +01:00 -> UTC
        churned = con.execute("SELECT customer_id FROM customers WHERE churn_date IS NOT NULL")
        assert churned.fetchall() == [("c2",)]
    finally:
        con.close()
