"""Scales as data: 1-7 and 1-5 CSAT in one database, reversed SPSS scales, free labels."""

from pathlib import Path

import duckdb
import pandas as pd
import pyreadstat
import pytest

from cxresearch.data import db, demo, imports
from cxresearch.errors import ImportValidationError
from cxresearch.running import runner
from cxresearch.stats import metrics

HEADER = "response_id,customer_id,responded_at,nps,csat,segment,touchpoint"


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture()
def mixed(tmp_path) -> str:
    """Demo data plus a 1-7 CSAT file and a 1-5 file about the demo's customers."""
    url = f"duckdb:///{tmp_path}/cx.duckdb"
    tables = demo.generate(600, seed=4)
    db.write_tables(url, tables)
    customers = tables["customers"]["customer_id"].tolist()[:40]
    when = "2026-10-{:02d}"
    seven = [f"s{i},{c},{when.format(1 + i % 28)},{i % 11},{1 + i % 7},Small business,Onboarding"
             for i, c in enumerate(customers)]  # fmt: skip
    five = [f"f{i},{c},{when.format(1 + i % 28)},{i % 11},{1 + i % 5},b2c,Web shop"
            for i, c in enumerate(customers)]  # fmt: skip
    write(tmp_path / "seven.csv", HEADER + "\n" + "\n".join(seven) + "\n")
    write(tmp_path / "five.csv", HEADER + "\n" + "\n".join(five) + "\n")
    m7 = write(tmp_path / "m7.yaml", "scales: {csat: [1, 7]}\n" + _identity())
    m5 = write(tmp_path / "m5.yaml", "labels: {touchpoint: {Web shop: website}}\n" + _identity())
    imports.import_files([tmp_path / "seven.csv"], mapping_file=m7, database=url)
    imports.import_files([tmp_path / "five.csv"], mapping_file=m5, database=url)
    return url


def _identity() -> str:
    return "columns: {" + ", ".join(f"{c}: {c}" for c in HEADER.split(",")) + "}\n"


def test_csat_is_top_two_box_of_each_files_scale(mixed):
    con = db.connect(mixed)
    try:
        r = db.read_responses(con)
        by_source = metrics.csat(r.filter(r.source.isin(["seven", "five"])), by="source")
        stored = r.filter(r.source == "seven").select("csat", "csat_min", "csat_max").to_pandas()
        labels = r.filter(r.source != "demo").select("segment", "touchpoint").to_pandas()
    finally:
        con.disconnect()
    est = dict(zip(by_source["source"], by_source["satisfied"], strict=True))
    # by hand: 40 answers cycling 1..7: 6 and 7 appear 5 + 5 times; cycling 1..5: 4, 5: 8 + 8
    assert est == {"seven": 10, "five": 16}
    assert stored["csat"].max() == 7 and set(stored["csat_max"]) == {7}
    assert set(labels["touchpoint"]) == {"onboarding", "website"}
    # b2c is written B2C; the later file's segment replaces "Small business" (same customers)
    assert set(labels["segment"]) == {"B2C"}


def test_a_1_to_7_file_beside_1_to_5_renders_the_reports(mixed, tmp_path):
    for notebook in ("nps_overview", "satisfaction_spend"):
        result = runner.run(notebook, out_dir=tmp_path / notebook, database=mixed,
                            overrides={"min_n": 5}, update_index=False)  # fmt: skip
        assert result.html.exists()


def test_declared_scale_is_enforced_and_reversed_scale_turned_round(tmp_path):
    rows = ["a,c1,2026-03-01,9,1,,", "b,c2,2026-03-01,9,5,,", "c,c3,2026-03-01,9,2,,"]
    path = write(tmp_path / "w.csv", HEADER + "\n" + "\n".join(rows) + "\n")
    url = f"duckdb:///{tmp_path}/cx.duckdb"
    bad = write(tmp_path / "bad.yaml", "scales: {csat: [1, 4]}\n" + _identity())
    with pytest.raises(ImportValidationError, match=r"row 3, column 'csat': '5': expected an int"):
        imports.import_files([path], mapping_file=bad, database=url)
    rev = write(tmp_path / "rev.yaml", "scales: {csat: [5, 1]}\n" + _identity())
    imports.import_files([path], mapping_file=rev, database=url)
    con = duckdb.connect(str(db.duckdb_path(url)), read_only=True)
    got = con.execute("SELECT response_id, csat FROM responses ORDER BY 1").fetchall()
    con.close()
    assert got == [("a", 5), ("b", 1), ("c", 4)]


def test_spss_reversed_labels_are_detected(tmp_path):
    frame = pd.DataFrame(
        {"id": ["1", "2", "3"], "q_sat": [1.0, 5.0, 2.0], "q_nps": [10.0, 2.0, 9.0]}
    )
    path = tmp_path / "study.sav"
    pyreadstat.write_sav(
        frame,
        str(path),
        column_labels=[
            "Respondent id",
            "How satisfied are you overall?",
            "How likely are you to recommend us?",
        ],  # fmt: skip
        variable_value_labels={
            "q_sat": {
                1: "Very satisfied",
                2: "Satisfied",
                3: "Neutral",
                4: "Dissatisfied",
                5: "Very dissatisfied",
                9: "Don't know",
            },  # fmt: skip
        },
    )
    mapping = write(
        tmp_path / "m.yaml",
        "columns: {response_id: id, csat: q_sat, nps: q_nps}\n"
        "constants: {responded_at: 2026-03-01}\n",
    )
    url = f"duckdb:///{tmp_path}/cx.duckdb"
    imports.import_files([path], mapping_file=mapping, database=url)
    con = duckdb.connect(str(db.duckdb_path(url)), read_only=True)
    got = con.execute("SELECT csat, csat_min, csat_max FROM responses ORDER BY response_id")
    rows = got.fetchall()
    con.close()
    assert rows == [(5, 1, 5), (1, 1, 5), (4, 1, 5)]
