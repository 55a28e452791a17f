"""The same numbers on a real PostgreSQL server as on DuckDB, and credentials kept secret.

A throwaway server is started on 127.0.0.1 with initdb and pg_ctl (tests/pgserver.py).
"""

import os
import subprocess
import sys
from pathlib import Path

import nbformat
import numpy as np
import pandas as pd
import pytest

from cxresearch import config
from cxresearch.data import db, demo, fingerprints, imports, sqlsession, summaryrows
from cxresearch.errors import DatabaseError, ImportValidationError, ParameterError
from cxresearch.running import runner, spec
from cxresearch.stats import compare, metrics, models
from tests import pgserver

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

ROOT = Path(__file__).resolve().parent.parent
TOL = 1e-9

WAVE = (
    "response_id,customer_id,responded_at,nps,csat,recommended_last_12m,segment,country,"
    "industry,touchpoint,language,comment,weight\n"
    + "".join(
        f"w{i},wc{i % 40},2025-11-{1 + i % 28:02d},{i % 11},{1 + i % 5},"
        f"{('yes', 'no', 'unknown')[i % 3]},{('B2B', 'B2C')[i % 2]},{('SE', 'DK', 'FI')[i % 3]},"
        f'retail,service_call,sv,"Kommentar {i}, med komma",{1 + (i % 4) / 4}\n'
        for i in range(300)
    )
)


@pytest.fixture(scope="module")
def server():
    srv = pgserver.start()
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def pair(server, tmp_path_factory):
    """The same demo data, plus one wave through the importer, in PostgreSQL and DuckDB."""
    tables = demo.generate(20_000, seed=11)
    folder = tmp_path_factory.mktemp("pg")
    wave = folder / "wave.csv"
    wave.write_text(WAVE, encoding="utf-8")
    pg_url = server.create_database("cx")
    duck_url = f"duckdb:///{folder}/cx.duckdb"
    for url in (pg_url, duck_url):
        db.write_tables(url, tables)
        reports = imports.import_files([wave], database=url)
        assert [r.status for r in reports] == ["imported"]
    return pg_url, duck_url


def _both(pair, fn):
    out = []
    for url in pair:
        con = db.connect(url)
        try:
            out.append(fn(con))
        finally:
            con.disconnect()
    return out


def _same(a: pd.DataFrame, b: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(
        a.reset_index(drop=True), b.reset_index(drop=True), check_dtype=False, rtol=TOL, atol=TOL
    )


def test_imported_wave_is_identical(pair):
    def wave(con):
        r = con.table("responses")
        return r.filter(r.source == "wave").order_by("response_id").to_pandas()

    pg, duck = _both(pair, wave)
    assert len(pg) == 300
    _same(pg, duck)
    assert pg["comment"].iloc[0] == "Kommentar 0, med komma"


def test_metrics_equal_duckdb(pair):
    def compute(con):
        r = db.read_responses(con)
        customers = db.read_customers(con)
        start, end = db.data_period(con)
        spend = db.read_customer_spend(con)
        current = db.recent_period(con)
        return {
            "nps segment x month": metrics.nps(r, by=["segment", "month"]),
            "weighted csat": metrics.csat(r, by="country", weights="weight"),
            "churn": metrics.churn_rate(customers, start=start, end=end, period="quarter",
                                        by="segment"),  # fmt: skip
            "revenue at risk": metrics.revenue_at_risk(
                spend, score="satisfaction_level", by="segment", churn_probability=0.95
            ),
            "change": compare.change(metrics.nps, r, current=current,
                                     previous=compare.previous_period(*current), by="country"),
            "intent": models.intent_calibration(r),
            "satisfaction": db.read_customer_satisfaction(con)
            .order_by("customer_id").to_pandas(),
            "fingerprint": pd.DataFrame({"f": [fingerprints.fingerprint(con)]}),
        }  # fmt: skip

    pg, duck = _both(pair, compute)
    for key in pg:
        assert len(pg[key]) > 0, key
        _same(pg[key], duck[key])


def test_models_equal_duckdb(pair):
    def fit(con):
        r = db.read_responses(con)
        intent = models.fit_intent(counts=models.intent_counts(r, by="segment"), by="segment")
        spend = models.fit_spend(db.read_customer_spend(con).to_pandas())
        return intent.params.sort_index(), models.spend_uplift(spend)

    (pg_intent, pg_spend), (duck_intent, duck_spend) = _both(pair, fit)
    np.testing.assert_allclose(pg_intent.to_numpy(), duck_intent.to_numpy(), rtol=1e-9)
    # the spend model sees customer rows in engine order: sort-independent to 1e-9
    _same(pg_spend, duck_spend)


@pytest.mark.slow
@pytest.mark.parametrize("notebook", ["recommend_intent", "satisfaction_spend"])
def test_core_notebooks_render_the_same_report(pair, server, tmp_path, notebook):
    pg_url, duck_url = pair
    results = {
        engine: runner.run(notebook, database=url, out_dir=tmp_path / engine, update_index=False)
        for engine, url in (("pg", pg_url), ("duck", duck_url))
    }

    def outputs(result):
        nb = nbformat.read(result.ipynb, as_version=4)
        return [
            out.get("data", {}).get("text/html") or out.get("data", {}).get("image/png")
            for cell in nb.cells
            if cell.cell_type == "code" and "parameters" not in cell.metadata.get("tags", [])
            for out in cell.get("outputs", [])
        ]

    pg, duck = outputs(results["pg"]), outputs(results["duck"])
    assert len(pg) >= 5
    html_pg = [o for o in pg if o and o.startswith("<")]
    html_duck = [o for o in duck if o and o.startswith("<")]
    assert html_pg == html_duck  # every table and headline, digit for digit
    assert server.password not in results["pg"].html.read_text(encoding="utf-8")


@pytest.mark.slow
def test_password_never_reaches_an_output(pair, server, tmp_path):
    """Issue 5: pass a URL with a password; search every output file and the logs for it."""
    pg_url, _ = pair
    assert server.password in pg_url
    out = tmp_path / "reports"
    env = {k: v for k, v in os.environ.items() if not k.startswith("CX_")}
    logs = []
    for notebook in ("recommend_intent", "nps_overview"):
        proc = subprocess.run(
            [sys.executable, "-m", "cxresearch", "run", notebook, "--db", pg_url,
             "--out", str(out / notebook)],
            capture_output=True, text=True, env=env, cwd=ROOT, check=False,
        )  # fmt: skip
        assert proc.returncode == 0, proc.stderr
        logs += [proc.stdout, proc.stderr]
    # a failing run too: its executed notebook and error message are outputs as well
    proc = subprocess.run(
        [sys.executable, "-m", "cxresearch", "run", "recommend_intent", "--db", pg_url,
         "--out", str(out / "failing"), "-P", "segment=[B2X]", "-P", "min_n=-1"],
        capture_output=True, text=True, env=env, cwd=ROOT, check=False,
    )  # fmt: skip
    logs += [proc.stdout, proc.stderr]
    files = [p for p in out.rglob("*") if p.is_file()]
    assert {p.suffix for p in files} >= {".html", ".ipynb", ".json"}
    for path in files:
        text = path.read_bytes().decode("utf-8", errors="replace")
        assert server.password not in text, path
        assert "postgresql://" not in text and "127.0.0.1" not in text, path
    for log in logs:
        assert server.password not in log


def test_password_in_a_parameter_is_refused(pair):
    pg_url, _ = pair
    with pytest.raises(ParameterError, match="holds a URL with a password"):
        spec.build("recommend_intent", overrides={"database": pg_url})


def test_wrong_password_names_host_and_database(server):
    url = server.database_url("cx").replace(server.password, "not-the-password-7")
    with pytest.raises(DatabaseError) as info:
        db.connect(url)
    message = str(info.value)
    assert f"database 'cx' on 127.0.0.1:{server.port} as user 'cx'" in message
    assert "password authentication failed" in message
    assert "not-the-password-7" not in message


def test_missing_database_is_named(server):
    with pytest.raises(DatabaseError, match="database 'nope' on 127.0.0.1.*does not exist"):
        db.connect(server.database_url("nope"))


def test_password_from_environment(pair, server, monkeypatch):
    monkeypatch.setenv("CX_DATABASE_PASSWORD", server.password)
    con = db.connect(server.database_url("cx", with_password=False))
    assert "responses" in con.list_tables()
    con.disconnect()


def test_password_from_pgpass(pair, server, monkeypatch, tmp_path):
    pgpass = tmp_path / "pgpass"
    pgpass.write_text(f"127.0.0.1:{server.port}:cx:cx:{server.password}\n")
    pgpass.chmod(0o600)
    monkeypatch.delenv("CX_DATABASE_PASSWORD", raising=False)
    monkeypatch.setenv("CX_SECRETS_FILE", "")
    monkeypatch.setenv("HOME", str(tmp_path))  # no ~/.config/cxresearch/secrets.env
    monkeypatch.setenv("PGPASSFILE", str(pgpass))
    con = db.connect(server.database_url("cx", with_password=False))
    assert con.table("responses").count().to_pandas() > 0
    con.disconnect()


def test_secrets_file_outside_the_project(pair, server, monkeypatch, tmp_path):
    secrets = tmp_path / "secrets.env"
    secrets.write_text(
        f"CX_DATABASE_URL={server.database_url('cx', with_password=False)}\n"
        f"CX_DATABASE_PASSWORD={server.password}\n"
    )
    secrets.chmod(0o600)
    monkeypatch.delenv("CX_DATABASE_URL", raising=False)
    monkeypatch.delenv("CX_DATABASE_PASSWORD", raising=False)
    monkeypatch.setenv("CX_SECRETS_FILE", str(secrets))
    con = db.connect()
    assert "responses" in con.list_tables()
    con.disconnect()
    secrets.chmod(0o644)
    with pytest.raises(DatabaseError, match="readable by others: chmod 600"):
        db.connect()


def test_secrets_file_inside_the_project_is_refused(monkeypatch):
    inside = config.PROJECT_ROOT / ".secrets-test.env"
    inside.write_text("CX_DATABASE_PASSWORD=x\n")
    inside.chmod(0o600)
    try:
        monkeypatch.setenv("CX_SECRETS_FILE", str(inside))
        monkeypatch.delenv("CX_DATABASE_PASSWORD", raising=False)
        with pytest.raises(DatabaseError, match="inside the project folder"):
            db.connect("postgresql://cx@127.0.0.1:1/cx")
    finally:
        inside.unlink()


def test_bad_import_leaves_postgres_unchanged(pair, tmp_path):
    pg_url, _ = pair

    def state(con):
        return {t: con.table(t).count().to_pandas() for t in ("responses", "customers")}

    before = _both((pg_url,), state)[0]
    bad = tmp_path / "bad.csv"
    bad.write_text(WAVE.splitlines()[0] + "\nb1,c1,2026-02-30,7,5,yes,B2C,SE,,,,,\n")
    good = tmp_path / "good.csv"
    good.write_text(WAVE.replace("\nw", "\ng").replace(",wc", ",gc"))
    with pytest.raises(ImportValidationError, match="row 2, column 'responded_at'"):
        imports.import_files([good, bad], database=pg_url)
    assert _both((pg_url,), state)[0] == before


def test_reimport_is_unchanged_on_postgres(pair, tmp_path):
    pg_url, _ = pair
    wave = tmp_path / "wave.csv"
    wave.write_text(WAVE, encoding="utf-8")
    assert [r.status for r in imports.import_files([wave], database=pg_url)] == ["unchanged"]


def test_revenue_at_risk_worked_example_on_postgres(server):
    """The brief's example, computed in the engine: 100 x $100, 90% satisfied, 95% churn."""
    url = server.create_database("worked")
    frame = pd.DataFrame({"satisfaction_level": [5] * 90 + [2] * 10, "monthly_spend": 100.0})
    import ibis

    con = db.connect(url)
    con.create_table("spend_example", ibis.memtable(frame))
    risk = metrics.revenue_at_risk(
        con.table("spend_example"), score="satisfaction_level", churn_probability=0.95
    )
    assert risk["estimate"].iloc[0] == pytest.approx(950.0)
    con.disconnect()


def test_stratified_sample_on_postgres(pair):
    pg_url, _ = pair
    con = db.connect(pg_url)
    spend = db.read_customer_spend(con)
    population = spend.group_by("satisfaction_level").aggregate(n=spend.count()).to_pandas()
    sample = models.stratified_sample(spend, "satisfaction_level", 500)
    again = models.stratified_sample(spend, "satisfaction_level", 500)
    con.disconnect()
    assert 0 < len(sample) < population["n"].sum()
    weighted = sample.groupby("satisfaction_level")["sample_weight"].sum()
    expected = population.set_index("satisfaction_level")["n"].loc[weighted.index]
    np.testing.assert_allclose(weighted.to_numpy(), expected.to_numpy())
    assert sorted(again["customer_id"]) == sorted(sample["customer_id"])


def test_failed_write_leaves_postgres_as_it_was(server):
    url = server.create_database("rollback")
    tables = demo.generate(500, seed=4)
    db.write_tables(url, tables)

    def counts():
        con = db.connect(url)
        try:
            return {name: con.table(name).count().to_pandas() for name in tables}
        finally:
            con.disconnect()

    before = counts()
    broken = dict(tables)
    broken["spend"] = broken["spend"].drop(columns=["currency"])  # fails after other tables
    with pytest.raises(KeyError, match="currency"):
        db.write_tables(url, {**demo.generate(900, seed=5), "spend": broken["spend"]})
    assert counts() == before


def test_the_summary_statement_plans_no_nested_loop(pair):
    """PostgreSQL judged the null-safe code joins to match one row and joined the customers
    again for every response (63 s for 20,000 responses); the summary's statement runs with
    nested loops off. Its plan, as the summary builder runs it, has none."""
    sql = summaryrows.rows_sql()
    select = sql[sql.index(") SELECT ") + 2 :]
    session = sqlsession.open_session(pair[0])
    try:
        with summaryrows.joins_as_written(session):
            plan = [row[0] for row in session.execute(f"EXPLAIN {select}")]
    finally:
        session.close()
    assert plan and not any("Nested Loop" in line for line in plan), "\n".join(plan)
