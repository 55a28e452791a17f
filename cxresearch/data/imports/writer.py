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

from cxresearch.data import sqlsession, summaryupdate, urls
from cxresearch.data.schema import IMPORT_LOG, TABLES

#: Seconds to wait before COMMIT: lets tests kill an import mid-transaction. Never set it
#: in production.
PAUSE_ENV = "CX_IMPORT_PAUSE_BEFORE_COMMIT"


#: What each kind of file is written to, and the key whose rows an incoming file replaces
#: (responses and their ratings are replaced per source instead).
KEYS: dict[str, tuple[str, list[str]]] = {
    "spend": ("spend", ["customer_id", "month"]),
    "interactions": ("interactions", ["interaction_id"]),
    "agent_satisfaction": ("agent_satisfaction", ["agent_id", "month"]),
}


@dataclass
class Batch:
    """One validated file, ready to write."""

    source: str
    kind: str  # responses | customers | spend | interactions | agent_satisfaction
    file_name: str
    sha256: str
    encoding: str
    rows: int
    file_path: str = ""
    mapping_sha256: str = ""
    survey: dict = field(default_factory=dict)
    responses: pd.DataFrame | None = None
    customers: pd.DataFrame | None = None
    ratings: pd.DataFrame | None = None
    frame: pd.DataFrame | None = None  # spend, interactions or agent_satisfaction rows
    #: Instead of the frames: queries over temporary tables of the writing session giving
    #: the ``responses`` (without ``survey_id``), ``customers`` and ``ratings`` rows.
    staged: dict[str, str] | None = None


def read_log(url: str | None) -> pd.DataFrame:
    """The import log: one row per imported file (empty if nothing was imported yet).

    Returns
    -------
    pandas.DataFrame
        ``[source, kind, file_name, file_path, sha256, mapping_sha256]``; ``file_path``
        and ``mapping_sha256`` are missing for files logged before they were recorded.
    """
    columns = ["source", "kind", "file_name", "file_path", "sha256", "mapping_sha256"]
    url = urls.database_url(url)
    path = urls.duckdb_path(url)
    if path is not None and not path.exists():
        return pd.DataFrame(columns=columns)
    session = sqlsession.open_session(url)
    try:
        if "import_log" not in session.tables():
            return pd.DataFrame(columns=columns)
        names = {
            r[0]
            for r in session.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_name = 'import_log'"
            ).fetchall()
        }
        select = ", ".join(c if c in names else f"NULL AS {c}" for c in columns)
        rows = session.execute(f"SELECT {select} FROM import_log").fetchall()
    finally:
        session.close()
    return pd.DataFrame(rows, columns=columns)


def write(
    url: str | None, batches: list[Batch], session: sqlsession.Session | None = None
) -> dict[str, int]:
    """Write every batch in one transaction.

    Parameters
    ----------
    url
        The database.
    batches
        The validated files.
    session
        An open session on ``url`` to write with (the one whose temporary tables hold the
        staged batches' rows); the caller closes it. Default: a session of its own.

    Returns
    -------
    dict
        Rows replaced per source (rows of the same source that the import removed).
    """
    con = session or sqlsession.open_session(url)
    replaced: dict[str, int] = {}
    try:
        con.open_target()
        con.execute("BEGIN TRANSACTION")
        for name, schema in [*TABLES.items(), ("import_log", IMPORT_LOG)]:
            con.execute(con.ddl(name, schema))
            _add_missing_columns(con, name, schema)
        plan = summaryupdate.start(con)
        for batch in batches:
            replaced[batch.source] = _write_batch(con, batch, plan)
        summaryupdate.finish(con, plan)  # the per-day summary, in the same transaction
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
        if session is None:
            con.close()
    return replaced


def _add_missing_columns(con, name: str, schema) -> None:
    """Add columns that a database written by an earlier version lacks (values NULL)."""
    for column in schema.to_sqlglot_column_defs(con.dialect):
        con.execute(f'ALTER TABLE "{name}" ADD COLUMN IF NOT EXISTS {column.sql(con.dialect)}')


def _insert(con: sqlsession.Session, table: str, frame: pd.DataFrame) -> None:
    con.insert_frame(table, frame[list(TABLES[table].names)])


def _write_batch(con, batch: Batch, plan: summaryupdate.Plan) -> int:
    replaced = 0
    if batch.kind == "responses":
        replaced = con.execute(
            "SELECT count(*) FROM responses WHERE source = ?", [batch.source]
        ).fetchone()[0]
        summaryupdate.replaced(plan, replaced)
        con.execute("DELETE FROM responses WHERE source = ?", [batch.source])
        con.execute("DELETE FROM ratings WHERE source = ?", [batch.source])
        survey_id = _survey_id(con, batch.survey)
        # the rows carry the file's source as decided at writing (another file may have
        # held the name asked for, see imports._assign_sources)
        if batch.staged is not None:
            _write_staged(con, batch, survey_id, plan)
        else:
            _upsert_customers(con, batch.customers, plan)
            rows = batch.responses.assign(source=batch.source, survey_id=survey_id)
            _insert(con, "responses", rows)
            if batch.ratings is not None and len(batch.ratings):
                _insert(con, "ratings", batch.ratings.assign(source=batch.source))
        summaryupdate.added(plan, batch.source)
    elif batch.kind == "customers":
        replaced = _upsert_customers(con, batch.customers, plan)
    else:
        table, keys = KEYS[batch.kind]
        replaced = _replace_keys(con, table, batch.frame, keys)
    con.execute("DELETE FROM import_log WHERE source = ?", [batch.source])
    log = pd.DataFrame(
        [{
            "source": batch.source, "kind": batch.kind, "file_name": batch.file_name,
            "file_path": batch.file_path, "sha256": batch.sha256,
            "mapping_sha256": batch.mapping_sha256, "rows": batch.rows,
            "encoding": batch.encoding,
            "imported_at": dt.datetime.now(dt.UTC).replace(tzinfo=None),
        }]
    )  # fmt: skip
    con.insert_frame("import_log", log[list(IMPORT_LOG.names)])
    return int(replaced)


def _write_staged(con, batch: Batch, survey_id: int, plan: summaryupdate.Plan) -> None:
    """Copy a staged file's rows from the session's temporary tables, in SQL."""
    staged = batch.staged
    _upsert_customers(con, f"({staged['customers']})", plan)
    for table, extra in (("responses", [batch.source, survey_id]), ("ratings", [batch.source])):
        names = ", ".join(f'"{c}"' for c in TABLES[table].names if c not in ("source", "survey_id"))
        marks = ", ".join("?" * len(extra))
        added = "source, survey_id" if len(extra) == 2 else "source"
        con.execute(
            f"INSERT INTO {table} ({names}, {added}) SELECT {names}, {marks} "
            f"FROM ({staged[table]})",
            extra,
        )
    # the summary reads the rows just written from the staging tables (see summaryupdate)
    rows = f"SELECT * EXCLUDE (source), CAST({int(survey_id)} AS BIGINT) AS survey_id FROM "
    summaryupdate.staged(plan, batch.source, rows + f"({staged['rows']})")


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


def _upsert_customers(con, customers: pd.DataFrame | str, plan: summaryupdate.Plan) -> int:
    """Add new customers and fill in what the incoming rows know; return the rows updated.

    A value in the incoming rows overwrites the stored one; a missing value keeps it.
    ``customers`` is a frame, or a parenthesised query with the ``segment``, ``country``
    and ``industry`` of each ``customer_id`` (a staged file's).
    """
    if isinstance(customers, str):
        source, columns = customers, ["customer_id", "segment", "country", "industry"]
    else:
        source = "incoming_customers"
        columns = [c for c in TABLES["customers"].names if c in customers.columns]
        con.register(source, customers[columns])
    try:
        summaryupdate.customers(con, plan, source, columns)
        updated = con.execute(
            f"SELECT count(*) FROM customers JOIN {source} i USING (customer_id)"
        ).fetchone()[0]
        sets = ", ".join(
            f"{c} = coalesce(i.{c}, customers.{c})" for c in columns if c != "customer_id"
        )
        con.execute(
            f"UPDATE customers SET {sets} FROM {source} i "
            "WHERE customers.customer_id = i.customer_id"
        )
        names = ", ".join(columns)
        con.execute(
            f"INSERT INTO customers ({names}) SELECT {names} FROM {source} i "
            "WHERE i.customer_id NOT IN (SELECT customer_id FROM customers)"
        )
    finally:
        if source == "incoming_customers":
            con.unregister(source)
    return int(updated)
