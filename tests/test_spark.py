"""The metric queries and a notebook on Spark (Ibis's PySpark backend, local mode)."""

import nbformat
import pandas as pd
import pytest

from cxresearch.data import db, demo, fingerprints
from cxresearch.running import runner
from cxresearch.stats import compare, metrics, models

pytestmark = [pytest.mark.slow, pytest.mark.spark]

TOL = 1e-9


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    """The same demo data as a Parquet folder read by Spark and as a DuckDB file."""
    folder = tmp_path_factory.mktemp("spark")
    tables = demo.generate(20_000, seed=12)
    spark_url = f"pyspark:///{folder}/lake"
    duck_url = f"duckdb:///{folder}/cx.duckdb"
    db.write_tables(spark_url, tables)
    db.write_tables(duck_url, tables)
    return spark_url, duck_url


@pytest.fixture(scope="module")
def spark_con(pair):
    con = db.connect(pair[0])
    yield con
    con.disconnect()


def _compute(con) -> dict[str, pd.DataFrame]:
    r = db.read_responses(con)
    start, end = db.data_period(con)
    current = db.recent_period(con)
    return {
        "nps segment x month": metrics.nps(r, by=["segment", "month"]),
        "weighted csat": metrics.csat(r, by="country", weights="weight"),
        "churn": metrics.churn_rate(db.read_customers(con), start=start, end=end,
                                    period="quarter", by="segment"),  # fmt: skip
        "revenue at risk": metrics.revenue_at_risk(
            db.read_customer_spend(con), score="satisfaction_level", by="segment",
            churn_probability=0.95,
        ),  # fmt: skip
        "change": compare.change(metrics.nps, r, current=current,
                                 previous=compare.previous_period(*current), by="country"),
        "intent counts": models.intent_counts(r, by="segment"),
        "fingerprint": pd.DataFrame({"f": [fingerprints.fingerprint(con)]}),
    }  # fmt: skip


def test_spark_is_really_spark(spark_con):
    assert spark_con.name == "pyspark"
    assert spark_con._session.sparkContext.master.startswith("local")


def test_metrics_on_spark_equal_duckdb(pair, spark_con):
    duck = db.connect(pair[1])
    expected = _compute(duck)
    duck.disconnect()
    got = _compute(spark_con)
    for key, frame in expected.items():
        assert len(frame) > 0, key
        pd.testing.assert_frame_equal(
            got[key].reset_index(drop=True), frame.reset_index(drop=True),
            check_dtype=False, rtol=TOL, atol=TOL, obj=key,
        )  # fmt: skip


@pytest.mark.slow
def test_notebook_on_spark_renders_the_same_report(pair, tmp_path):
    results = {
        engine: runner.run(
            "recommend_intent", database=url, out_dir=tmp_path / engine, update_index=False
        )  # fmt: skip
        for engine, url in zip(("spark", "duck"), pair, strict=True)
    }

    def html_outputs(result):
        nb = nbformat.read(result.ipynb, as_version=4)
        return [
            out["data"]["text/html"]
            for cell in nb.cells
            if cell.cell_type == "code"
            for out in cell.get("outputs", [])
            if "text/html" in out.get("data", {})
        ]

    spark, duck = html_outputs(results["spark"]), html_outputs(results["duck"])
    assert len(spark) >= 3
    assert spark == duck
    assert "Spark tables in lake" in results["spark"].html.read_text(encoding="utf-8")


@pytest.mark.xdist_group("spark_cli")  # shares nothing with the others: another worker
def test_cli_renders_on_a_relative_lake_after_demo_data(tmp_path):
    # The README's commands: `demo-data --db pyspark:///data/<lake>` then
    # `run ... --db pyspark:///data/<lake>`; the relative path is the project's, not the
    # kernel's working folder (notebooks/).
    import os
    import shutil
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    lake = f"data/test-lake-{os.getpid()}"
    cli = [sys.executable, "-m", "cxresearch"]
    warehouse = root / "notebooks" / "spark-warehouse"
    had_warehouse = warehouse.exists()
    try:
        subprocess.run([*cli, "demo-data", "--responses", "3000", "--db", f"pyspark:///{lake}"],
                       cwd=root, check=True, capture_output=True, text=True)  # fmt: skip
        done = subprocess.run(
            [*cli, "run", "recommend_intent", "--db", f"pyspark:///{lake}", "--out",
             str(tmp_path)], cwd=root, capture_output=True, text=True,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        page = (tmp_path / "default.html").read_text(encoding="utf-8")
        assert "Spark" in page and "lake" in page  # the footer names the engine
        # Spark's own folder goes to the temporary directory, not into notebooks/
        assert had_warehouse or not warehouse.exists()
    finally:
        shutil.rmtree(root / lake, ignore_errors=True)
