"""Write a whole survey database at once, all or nothing (demo data, test fixtures).

Imports add to a database through :mod:`cxresearch.data.imports`; this module replaces one
whole: DuckDB through a new file and one rename, PostgreSQL in one transaction, a Spark lake
through a new folder.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from cxresearch.data import sqlsession
from cxresearch.data.credentials import redact_url
from cxresearch.data.schema import TABLES
from cxresearch.data.urls import database_url, duckdb_path


def write_tables(url: str | None, tables: Mapping[str, pd.DataFrame]) -> str:
    """Write a whole survey database, all or nothing.

    For DuckDB the tables are written to a new file beside the target, which then
    replaces the target in one rename. For PostgreSQL the tables are dropped, created and
    filled with ``COPY`` inside one transaction. Either way a failure leaves the old
    database as it was.

    Parameters
    ----------
    url
        Target database URL (``None``: the configured default).
    tables
        One DataFrame per table of :data:`cxresearch.data.schema.TABLES`.

    Returns
    -------
    str
        The URL written, without any password.
    """
    url = database_url(url)
    unknown = set(tables) - set(TABLES)
    if unknown:
        raise ValueError(f"unknown tables {sorted(unknown)}; expected some of {list(TABLES)}")
    lake = duckdb_path(url, "pyspark")
    if lake is not None:
        _write_parquet_folder(lake, tables)
        return url
    path = duckdb_path(url)
    if path is None:
        session = sqlsession.open_session(url)
        try:
            session.execute("BEGIN TRANSACTION")
            _fill(session, tables, replace=True)
            session.execute("COMMIT")
        except BaseException:
            session.execute("ROLLBACK")
            raise
        finally:
            session.close()
        return redact_url(url)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    os.unlink(tmp)  # DuckDB wants to create the file itself
    try:
        session = sqlsession.DuckDBSession(tmp)
        try:
            _fill(session, tables, replace=False)
        finally:
            session.close()
        os.replace(tmp, path)
    finally:
        for leftover in (tmp, tmp + ".wal"):
            if os.path.exists(leftover):
                os.unlink(leftover)
    return redact_url(url)


def _write_parquet_folder(folder: Path, tables: Mapping[str, pd.DataFrame]) -> None:
    """Write one Parquet file per table into a new folder that then replaces ``folder``."""
    import shutil

    import pyarrow as pa
    import pyarrow.parquet as pq

    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=folder.parent))
    try:
        for name, frame in tables.items():
            schema = TABLES[name].to_pyarrow()
            arrow = pa.Table.from_pandas(_columns(frame, schema), preserve_index=False)
            pq.write_table(arrow.cast(schema), tmp / f"{name}.parquet")
        old = folder.with_name(f".{folder.name}.old")
        if folder.exists():
            folder.rename(old)
        tmp.rename(folder)
        shutil.rmtree(old, ignore_errors=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _fill(session, tables: Mapping[str, pd.DataFrame], *, replace: bool) -> None:
    for name, frame in tables.items():
        schema = TABLES[name]
        if replace:
            session.execute(f'DROP TABLE IF EXISTS "{name}"')
        session.execute(session.ddl(name, schema))
        session.insert_frame(name, _columns(frame, schema))


#: Columns a hand-built table may leave out: a null scale means the default scale.
OPTIONAL = ("csat_min", "csat_max", "rating_min", "rating_max")


def _columns(frame: pd.DataFrame, schema) -> pd.DataFrame:
    """``frame``'s columns in the schema's order; an optional column it lacks is written null.

    Tables built by hand (tests, scripts) need not spell out the optional columns, such as
    the declared scale of each rating (``csat_min``, ``csat_max``), whose null means the
    default scale.
    """
    missing = [c for c in OPTIONAL if c in schema.names and c not in frame.columns]
    return frame.assign(**dict.fromkeys(missing))[list(schema.names)]
