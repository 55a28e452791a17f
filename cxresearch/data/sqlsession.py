"""One write session on DuckDB or PostgreSQL, with the same SQL and transactions on both.

Imports and :func:`cxresearch.data.db.write_tables` write through a :class:`Session`: plain
SQL with ``?`` placeholders, explicit ``BEGIN``/``COMMIT``/``ROLLBACK``, and DataFrames
made visible to SQL under a name with :meth:`Session.register`. On DuckDB the frame is
scanned as Arrow; on PostgreSQL it is copied into a temporary table with ``COPY``, inside
the same transaction.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

import ibis
import pandas as pd
import pyarrow as pa

from cxresearch.data import credentials, urls
from cxresearch.data.schema import IMPORT_LOG, TABLES
from cxresearch.errors import DatabaseError

#: The SQL type of every column name used in the schema (names mean the same everywhere).
_COLUMN_TYPES = {
    name: typ for schema in (*TABLES.values(), IMPORT_LOG) for name, typ in schema.items()
}


class Session:
    """A connection that writes: ``execute``, ``register``, ``unregister``, ``close``."""

    dialect = "duckdb"

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any:
        """Run one statement; return an object with ``fetchone`` and ``fetchall``."""
        raise NotImplementedError

    def register(self, name: str, frame: pd.DataFrame) -> None:
        """Make ``frame`` readable as table ``name`` until :meth:`unregister`."""
        raise NotImplementedError

    def unregister(self, name: str) -> None:
        """Forget a registered frame."""
        raise NotImplementedError

    def tables(self) -> set[str]:
        """Names of the tables in the database's default schema."""
        raise NotImplementedError

    def close(self) -> None:
        """Close the connection."""
        raise NotImplementedError

    def insert_frame(self, table: str, frame: pd.DataFrame) -> None:
        """Append the rows of ``frame`` to ``table`` (columns matched by name)."""
        self.register("incoming_rows", frame)
        try:
            cols = ", ".join(f'"{c}"' for c in frame.columns)
            self.execute(f'INSERT INTO "{table}" ({cols}) SELECT {cols} FROM incoming_rows')
        finally:
            self.unregister("incoming_rows")

    def ddl(self, name: str, schema, *, temporary: bool = False) -> str:
        """``CREATE [TEMP] TABLE IF NOT EXISTS`` for an Ibis schema in this dialect."""
        cols = ", ".join(c.sql(self.dialect) for c in schema.to_sqlglot_column_defs(self.dialect))
        temp = "TEMP " if temporary else ""
        return f'CREATE {temp}TABLE IF NOT EXISTS "{name}" ({cols})'


class DuckDBSession(Session):
    """A DuckDB file opened for writing."""

    dialect = "duckdb"

    def __init__(self, path) -> None:
        import duckdb

        self._path = path
        try:
            self._con = duckdb.connect(str(path))
        except duckdb.Error as exc:  # locked by another process, damaged, not DuckDB
            raise urls.duckdb_open_error(path, exc) from None

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any:
        """Run one statement; a damaged file's read error names the file in one line."""
        import duckdb

        try:
            return self._con.execute(sql, list(params))
        except (duckdb.IOException, duckdb.InternalException, duckdb.SerializationException) as exc:
            raise urls.duckdb_open_error(self._path, exc) from None

    def register(self, name: str, frame: pd.DataFrame) -> None:
        """Make ``frame`` readable as table ``name``."""
        self._con.register(name, pa.Table.from_pandas(frame, preserve_index=False))

    def unregister(self, name: str) -> None:
        """Forget a registered frame."""
        self._con.unregister(name)

    def tables(self) -> set[str]:
        """Names of the tables."""
        rows = self._con.execute("SELECT table_name FROM information_schema.tables").fetchall()
        return {r[0] for r in rows}

    def close(self) -> None:
        """Close the connection."""
        self._con.close()


class PostgresSession(Session):
    """A PostgreSQL connection in autocommit mode: transactions are explicit SQL."""

    dialect = "postgres"

    def __init__(self, url: str) -> None:
        import psycopg

        try:
            self._con = psycopg.connect(credentials.libpq_dsn(url), autocommit=True)
        except psycopg.Error as exc:
            raise DatabaseError(credentials.connection_error(url, exc)) from None

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any:
        """Run one statement."""
        cur = self._con.cursor()
        cur.execute(sql.replace("?", "%s"), list(params) or None)
        return cur

    def register(self, name: str, frame: pd.DataFrame) -> None:
        """Make ``frame`` readable as table ``name``."""
        columns = {c: _COLUMN_TYPES[c] for c in frame.columns}
        self.execute(self.ddl(name, ibis.schema(columns), temporary=True))
        copy_frame(self._con, name, frame)

    def unregister(self, name: str) -> None:
        """Forget a registered frame."""
        self.execute(f'DROP TABLE IF EXISTS "{name}"')

    def insert_frame(self, table: str, frame: pd.DataFrame) -> None:
        """Append the rows of ``frame`` to ``table`` with ``COPY``."""
        copy_frame(self._con, table, frame)

    def tables(self) -> set[str]:
        """Names of the tables."""
        rows = self.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()"
        ).fetchall()
        return {r[0] for r in rows}

    def close(self) -> None:
        """Close the connection."""
        self._con.close()


def copy_frame(con, table: str, frame: pd.DataFrame) -> None:
    r"""Copy a DataFrame into a PostgreSQL table with ``COPY ... FROM STDIN`` (CSV).

    Missing values travel as ``\N`` so that an empty comment stays an empty string.
    """
    names = ", ".join(f'"{c}"' for c in frame.columns)
    buffer = io.StringIO()
    frame.to_csv(buffer, index=False, header=False, na_rep="\\N", date_format="%Y-%m-%d %H:%M:%S")
    sql = f"COPY \"{table}\" ({names}) FROM STDIN WITH (FORMAT csv, NULL '\\N')"
    with con.cursor() as cur, cur.copy(sql) as copy:
        copy.write(buffer.getvalue())


def open_session(url: str | None) -> Session:
    """Open a write session on the survey database at ``url`` (``None``: the default).

    Raises
    ------
    DatabaseError
        For engines other than DuckDB and PostgreSQL, or when the connection fails.
    """
    url = urls.database_url(url)
    path = urls.duckdb_path(url)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        return DuckDBSession(path)
    if url.startswith(("postgres://", "postgresql://")):
        return PostgresSession(url)
    raise DatabaseError(
        f"writing is supported for DuckDB files and PostgreSQL, not {credentials.redact_url(url)}"
    )
