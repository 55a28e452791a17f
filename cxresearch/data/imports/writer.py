"""Write validated imports to the survey database in one transaction, with an import log.

DuckDB and PostgreSQL run the whole import (table creation included) inside one
transaction: a failure, or the process being killed, leaves the database exactly as it was.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from dataclasses import dataclass, field

import pandas as pd

from cxresearch.data import sqlsession, urls
from cxresearch.data.schema import IMPORT_LOG, TABLES

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


def already_imported(url: str | None, source: str, sha256: str) -> bool:
    """Whether this exact file was the last import of ``source``."""
    url = urls.database_url(url)
    path = urls.duckdb_path(url)
    if path is not None and not path.exists():
        return False
    session = sqlsession.open_session(url)
    try:
        if "import_log" not in session.tables():
            return False
        row = session.execute(
            "SELECT sha256 FROM import_log WHERE source = ? ORDER BY imported_at DESC LIMIT 1",
            [source],
        ).fetchone()
        return row is not None and row[0] == sha256
    finally:
        session.close()


def write(url: str | None, batches: list[Batch]) -> dict[str, int]:
    """Write every batch in one transaction.

    Returns
    -------
    dict
        Rows replaced per source (rows of the same source that the import removed).
    """
    con = sqlsession.open_session(url)
    replaced: dict[str, int] = {}
    try:
        con.execute("BEGIN TRANSACTION")
        for name, schema in TABLES.items():
            con.execute(con.ddl(name, schema))
        con.execute(con.ddl("import_log", IMPORT_LOG))
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
        except Exception:  # noqa: BLE001 - the connection may be gone; the first error counts
            pass
        raise
    finally:
        con.close()
    return replaced


def _insert(con: sqlsession.Session, table: str, frame: pd.DataFrame) -> None:
    con.insert_frame(table, frame[list(TABLES[table].names)])


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
    con.insert_frame("import_log", log[list(IMPORT_LOG.names)])
    return int(replaced)


def _replace_keys(con, table: str, frame: pd.DataFrame, keys: list[str]) -> int:
    """Delete the rows whose keys the incoming frame holds, then insert the frame."""
    cols = ", ".join(keys)
    con.register("incoming_keys", frame[keys])
    try:
        replaced = con.execute(
            f'SELECT count(*) FROM "{table}" JOIN incoming_keys USING ({cols})'
        ).fetchone()[0]
        con.execute(f'DELETE FROM "{table}" WHERE ({cols}) IN (SELECT {cols} FROM incoming_keys)')
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
    con.register("incoming_customers", customers)
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
