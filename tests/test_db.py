import datetime as dt
import socket

import ibis
import pandas as pd
import pytest
import sqlglot

from cxresearch.data import db, demo, fingerprints, urls
from cxresearch.data.schema import TABLES
from cxresearch.data.tablenames import TABLE_NAMES
from cxresearch.errors import DatabaseError
from cxresearch.stats import metrics


def test_sqlglot_pin(tmp_path):
    # Ibis 12 with sqlglot >= 30.18 renders `DROP VIEW IF EXISTS` with no name on DuckDB,
    # so creating a table from a DataFrame fails. This is the call that breaks.
    con = ibis.duckdb.connect(str(tmp_path / "pin.duckdb"))
    frame = pd.DataFrame({"segment": ["B2B", "B2C", "B2C"], "nps": [10, 3, 9]})
    con.create_table("responses", frame, overwrite=True)
    con.create_table("responses", frame, overwrite=True)
    out = metrics.nps(con.table("responses"), by="segment", min_n=1, suppress_below=1)
    assert list(out["estimate"]) == [1.0, 0.0]
    major, minor = (int(p) for p in sqlglot.__version__.split(".")[:2])
    assert (major, minor) < (30, 18), f"sqlglot {sqlglot.__version__} is outside the pin"


def test_nps_sql_is_one_aggregate_query():
    t = ibis.table({"segment": "string", "nps": "int8"}, name="responses")
    expr = t.group_by("segment").aggregate(n=t.count(), promoters=(t.nps >= 9).cast("int64").sum())
    sql = ibis.to_sql(expr, dialect="duckdb")
    assert "GROUP BY" in sql and sql.count("SELECT") == 1


def test_table_names_are_the_schemas_tables():
    assert TABLE_NAMES == tuple(TABLES)


def test_redact_url():
    assert db.redact_url("postgresql://ana:s3cret@h:5432/cx") == "postgresql://ana:***@h:5432/cx"
    assert db.redact_url("duckdb:///data/cx.duckdb") == "duckdb:///data/cx.duckdb"


def test_duckdb_path_forms(tmp_path):
    assert str(db.duckdb_path("duckdb:///data/cx.duckdb")) == "data/cx.duckdb"
    assert str(db.duckdb_path("duckdb:////abs/cx.duckdb")) == "/abs/cx.duckdb"
    assert db.duckdb_path("postgresql://h/db") is None


def test_a_bare_path_is_a_duckdb_file_in_the_current_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert urls.database_url("wave.duckdb") == f"duckdb:///{tmp_path / 'wave.duckdb'}"
    assert urls.database_url(str(tmp_path / "x.duckdb")) == f"duckdb:///{tmp_path / 'x.duckdb'}"
    assert urls.database_url("postgresql://h/db") == "postgresql://h/db"


def test_connect_missing_file_says_what_to_do(tmp_path):
    with pytest.raises(DatabaseError, match="no survey database at .*cxresearch demo-data"):
        db.connect(f"duckdb:///{tmp_path}/nope.duckdb")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_connection_error_names_host_but_not_password():
    url = f"postgresql://ana:hunter2secret@127.0.0.1:{_free_port()}/cx"
    with pytest.raises(DatabaseError) as info:
        db.connect(url)
    message = str(info.value)
    assert "database 'cx' on 127.0.0.1" in message and "user 'ana'" in message
    assert "Connection refused" in message
    assert "hunter2secret" not in message


def test_connect_uses_environment(monkeypatch, tmp_path, demo_database):
    monkeypatch.setenv("CX_DATABASE_URL", demo_database(300, 2, tmp_path))
    con = db.connect()
    assert "responses" in con.list_tables()


def test_missing_table_is_a_clear_error(tmp_path):
    con = ibis.duckdb.connect(str(tmp_path / "other.duckdb"))
    with pytest.raises(DatabaseError, match="no table 'responses'"):
        db.read_responses(con)


def _written(tmp_path, responses: int, seed: int) -> tuple[str, dict, str]:
    """A demo database in ``tmp_path``: its URL, its tables and its fingerprint."""
    url = f"duckdb:///{tmp_path}/cx.duckdb"
    tables = demo.generate(responses, seed=seed)
    db.write_tables(url, tables)
    con = db.connect(url)
    try:
        return url, tables, fingerprints.fingerprint(con)
    finally:
        con.disconnect()


def test_write_tables_is_all_or_nothing(tmp_path):
    url, tables, before = _written(tmp_path, 500, seed=1)
    broken = dict(tables)
    broken["responses"] = tables["responses"].drop(columns=["nps"])
    with pytest.raises(KeyError):
        db.write_tables(url, broken)
    con = db.connect(url)
    assert fingerprints.fingerprint(con) == before
    assert con.table("responses").count().execute() == 500
    assert [p.name for p in tmp_path.iterdir()] == ["cx.duckdb"]  # no temporary left


def test_fingerprint_changes_with_content(tmp_path):
    url = f"duckdb:///{tmp_path}/cx.duckdb"
    tables = demo.generate(500, seed=1)
    db.write_tables(url, tables)
    con = db.connect(url)
    first = fingerprints.fingerprint(con)
    assert first == fingerprints.fingerprint(con) and len(first) == 12
    con.disconnect()
    tables["responses"].loc[0, "nps"] = (tables["responses"].loc[0, "nps"] + 1) % 11
    db.write_tables(url, tables)
    con = db.connect(url)
    assert fingerprints.fingerprint(con) != first


def test_fingerprint_of_a_file_matches_ibis_and_sees_dates(tmp_path):
    """The ``cxresearch run`` path (``fingerprint_url`` on a DuckDB file, plain ``duckdb``)
    gives the digits of an Ibis connection's, and moves when only a date moves. (That the
    Ibis path on PostgreSQL and Spark gives them too: tests/test_postgres.py, test_spark.py.)"""
    url, tables, first = _written(tmp_path, 300, seed=2)
    assert fingerprints.fingerprint_url(url) == first
    moved = tables["responses"].copy()
    moved.loc[moved["responded_at"].idxmax(), "responded_at"] += pd.Timedelta(days=1)
    db.write_tables(url, {**tables, "responses": moved})
    assert fingerprints.fingerprint_url(url) != first


def test_read_responses_filters(con):
    t = db.read_responses(
        con, start="2025-03-01", end="2025-03-31", segment="B2B", country=["SE", "DK"]
    )
    out = (
        t.aggregate(lo=t.responded_at.min(), hi=t.responded_at.max(), n=t.count())
        .to_pandas()
        .iloc[0]
    )
    assert out["lo"] >= pd.Timestamp("2025-03-01") and out["hi"] < pd.Timestamp("2025-04-01")
    assert set(t.segment.to_pandas()) == {"B2B"}
    assert set(t.country.to_pandas()) == {"SE", "DK"}
    assert "month" in t.columns
    with pytest.raises(ValueError, match="YYYY-MM-DD"):
        db.read_responses(con, start="March 2025")


def test_read_responses_reuses_its_join_until_a_table_changes(tmp_path):
    url = f"duckdb:///{tmp_path}/cx.duckdb"
    db.write_tables(url, demo.generate(300, seed=3))
    con = ibis.duckdb.connect(str(tmp_path / "cx.duckdb"))  # writable: the test alters tables
    try:
        everyone, some = db.read_responses(con), db.read_responses(con, country=["SE"])
        joined = db.responses_with_customers(con)
        assert db.responses_with_customers(con) is joined  # built once per connection
        assert set(some.country.to_pandas()) == {"SE"}
        assert everyone.count().execute() == 300  # filters stay per call
        con.raw_sql("ALTER TABLE customers ADD COLUMN tier VARCHAR")
        con.raw_sql("ALTER TABLE responses ADD COLUMN channel VARCHAR")
        again = db.responses_with_customers(con)
        assert again is not joined and "channel" in again.columns  # a new schema: a new join
        assert "channel" in db.read_responses(con).columns
    finally:
        con.disconnect()


def test_data_period(con):
    assert db.data_period(con) == (dt.date(2024, 11, 1), dt.date(2026, 10, 31))


def test_tables_match_schema(con):
    for name, schema in TABLES.items():
        assert con.table(name).schema().names == schema.names


def test_duckdb_threads_come_from_the_environment(tmp_path, monkeypatch):
    """CX_DUCKDB_THREADS caps a DuckDB connection's threads (batch kernels use 1); a value
    that is no whole number of threads is refused, naming the variable."""
    from cxresearch.config import DUCKDB_THREADS_ENV

    def threads(url):
        con = db.connect(url)
        try:
            return int(con.con.execute("SELECT current_setting('threads')").fetchone()[0])
        finally:
            con.disconnect()

    url = f"duckdb:///{tmp_path / 'threads.duckdb'}"
    ibis.duckdb.connect(str(tmp_path / "threads.duckdb")).disconnect()  # an empty file
    monkeypatch.delenv(DUCKDB_THREADS_ENV, raising=False)
    default = threads(url)
    monkeypatch.setenv(DUCKDB_THREADS_ENV, "1")
    assert threads(url) == 1 and threads("duckdb://") == 1
    monkeypatch.setenv(DUCKDB_THREADS_ENV, "2")
    assert threads(url) == 2
    monkeypatch.delenv(DUCKDB_THREADS_ENV)
    assert threads(url) == default
    monkeypatch.setenv(DUCKDB_THREADS_ENV, "many")
    with pytest.raises(DatabaseError, match=DUCKDB_THREADS_ENV):
        db.connect(url)


def test_batch_kernels_run_duckdb_on_one_thread_unless_the_batch_says_otherwise(monkeypatch):
    from cxresearch.config import DUCKDB_THREADS_ENV
    from cxresearch.running import workers

    monkeypatch.delenv(DUCKDB_THREADS_ENV, raising=False)
    assert workers.batch_kernel_env("duckdb://")[DUCKDB_THREADS_ENV] == "1"
    monkeypatch.setenv(DUCKDB_THREADS_ENV, "4")
    assert workers.batch_kernel_env("duckdb://")[DUCKDB_THREADS_ENV] == "4"
