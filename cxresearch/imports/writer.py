"""Write validated imports to the survey database in one transaction, with an import log.

DuckDB runs the whole import (table creation included) inside one transaction: a
failure, or the process being killed, leaves the database exactly as it was.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa

from cxresearch import config, db
from cxresearch.errors import DatabaseError
from cxresearch.schema import IMPORT_LOG, TABLES

#: Seconds to wait before COMMIT: lets tests kill an import mid-transaction. Never set it
#: in production.
PAUSE_ENV = "CX_IMPORT_PAUSE_BEFORE_COMMIT"


@dataclass
class Batch:
    """One validated file, ready to write."""

    source: str
    kind: str  # responses | spend | interactions
    file_name: str
    sha256: str
    encoding: str
    rows: int
    survey: dict = field(default_factory=dict)
    responses: pd.DataFrame | None = None
    customers: pd.DataFrame | None = None
    spend: pd.DataFrame | None = None
    interactions: pd.DataFrame | None = None


def _ddl(name: str, schema) -> str:
    cols = ", ".join(c.sql("duckdb") for c in schema.to_sqlglot_column_defs("duckdb"))
    return f'CREATE TABLE IF NOT EXISTS "{name}" ({cols})'


def already_imported(url: str | None, source: str, sha256: str) -> bool:
    """Whether this exact file was the last import of ``source``."""
    path = _path(url)
    if not path.exists():
        return False
    con = duckdb.connect(str(path), read_only=True)
    try:
        tables = {
            r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()
        }
        if "import_log" not in tables:
            return False
        row = con.execute(
            "SELECT sha256 FROM import_log WHERE source = ? ORDER BY imported_at DESC LIMIT 1",
            [source],
        ).fetchone()
        return row is not None and row[0] == sha256
    finally:
        con.close()


def _path(url: str | None) -> Path:
    url = config.database_url(url)
    path = db.duckdb_path(url)
    if path is None:
        raise DatabaseError(
            f"imports write to DuckDB files; {db.redact_url(url)} is not supported yet"
        )
    return path


def write(url: str | None, batches: list[Batch]) -> dict[str, int]:
    """Write every batch in one transaction.

    Returns
    -------
    dict
        Rows replaced per source (rows of the same source that the import removed).
    """
    path = _path(url)
    path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(path))
    replaced: dict[str, int] = {}
    try:
        con.execute("BEGIN TRANSACTION")
        for name, schema in TABLES.items():
            con.execute(_ddl(name, schema))
        con.execute(_ddl("import_log", IMPORT_LOG))
        for batch in batches:
            replaced[batch.source] = _write_batch(con, batch)
        pause = float(os.environ.get(PAUSE_ENV, "0") or 0)
        if pause:
            print(f"import: paused {pause} s before commit", flush=True)
            time.sleep(pause)
        con.execute("COMMIT")
    except BaseException:
        try:
            con.execute("ROLLBACK")
        except duckdb.Error:
            pass
        raise
    finally:
        con.close()
    return replaced


def _arrow(frame: pd.DataFrame) -> pa.Table:
    """Hand DuckDB an Arrow table: it scans that without copying through Python objects."""
    return pa.Table.from_pandas(frame, preserve_index=False)


def _insert(con, table: str, frame: pd.DataFrame) -> None:
    cols = list(TABLES[table].names)
    con.register("incoming", _arrow(frame[cols]))
    try:
        names = ", ".join(f'"{c}"' for c in cols)
        con.execute(f'INSERT INTO "{table}" ({names}) SELECT {names} FROM incoming')
    finally:
        con.unregister("incoming")


def _write_batch(con, batch: Batch) -> int:
    replaced = 0
    if batch.kind == "responses":
        replaced = con.execute(
            "SELECT count(*) FROM responses WHERE source = ?", [batch.source]
        ).fetchone()[0]
        con.execute("DELETE FROM responses WHERE source = ?", [batch.source])
        survey_id = _survey_id(con, batch.survey)
        _upsert_customers(con, batch.customers)
        _insert(con, "responses", batch.responses.assign(survey_id=survey_id))
    else:
        table = batch.kind
        frame = batch.spend if table == "spend" else batch.interactions
        keys = ["customer_id", "month"] if table == "spend" else ["interaction_id"]
        replaced = _replace_keys(con, table, frame, keys)
    con.execute("DELETE FROM import_log WHERE source = ?", [batch.source])
    log = pd.DataFrame(
        [{
            "source": batch.source, "kind": batch.kind, "file_name": batch.file_name,
            "sha256": batch.sha256, "rows": batch.rows, "encoding": batch.encoding,
            "imported_at": dt.datetime.now(dt.UTC).replace(tzinfo=None),
        }]
    )  # fmt: skip
    con.register("incoming_log", log)
    con.execute("INSERT INTO import_log SELECT * FROM incoming_log")
    con.unregister("incoming_log")
    return int(replaced)


def _replace_keys(con, table: str, frame: pd.DataFrame, keys: list[str]) -> int:
    """Delete the rows whose keys the incoming frame holds, then insert the frame."""
    cols = ", ".join(keys)
    con.register("incoming_keys", _arrow(frame[keys]))
    try:
        replaced = con.execute(
            f'SELECT count(*) FROM "{table}" JOIN incoming_keys USING ({cols})'
        ).fetchone()[0]
        con.execute(f'DELETE FROM "{table}" WHERE ({cols}) IN (SELECT ({cols}) FROM incoming_keys)')
    finally:
        con.unregister("incoming_keys")
    _insert(con, table, frame)
    return int(replaced)


def _survey_id(con, survey: dict) -> int:
    name = str(survey.get("name"))
    row = con.execute("SELECT survey_id FROM surveys WHERE name = ?", [name]).fetchone()
    if row:
        return int(row[0])
    new_id = con.execute("SELECT coalesce(max(survey_id), 0) + 1 FROM surveys").fetchone()[0]
    con.execute(
        "INSERT INTO surveys VALUES (?, ?, ?, ?, ?)",
        [
            new_id,
            name,
            survey.get("kind", "relational"),
            survey.get("starts_on"),
            survey.get("ends_on"),
        ],
    )
    return int(new_id)


def _upsert_customers(con, customers: pd.DataFrame) -> None:
    con.register("incoming_customers", _arrow(customers))
    try:
        con.execute(
            """
            UPDATE customers SET
                segment = coalesce(i.segment, customers.segment),
                country = coalesce(i.country, customers.country),
                industry = coalesce(i.industry, customers.industry)
            FROM incoming_customers i WHERE customers.customer_id = i.customer_id
            """
        )
        con.execute(
            """
            INSERT INTO customers (customer_id, segment, country, industry)
            SELECT i.customer_id, i.segment, i.country, i.industry FROM incoming_customers i
            WHERE i.customer_id NOT IN (SELECT customer_id FROM customers)
            """
        )
    finally:
        con.unregister("incoming_customers")
