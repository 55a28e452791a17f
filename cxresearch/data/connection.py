"""Connect to the survey database by URL: DuckDB, PostgreSQL or a Spark lake through Ibis.

Re-exported by :mod:`cxresearch.data.db` (``db.connect``, ``db.table``).
"""

from __future__ import annotations

import contextlib
import functools
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

import ibis
import ibis.expr.datatypes as dt
import ibis.expr.operations as ops
import ibis.expr.types as ir

from cxresearch.config import DUCKDB_THREADS_ENV
from cxresearch.data import credentials
from cxresearch.data.schema import TABLES
from cxresearch.data.urls import database_url, duckdb_open_error, duckdb_path
from cxresearch.errors import DatabaseError

#: Spark master for ``pyspark://`` URLs; ``local[2]`` runs Spark inside this machine.
SPARK_MASTER_ENV = "CX_SPARK_MASTER"


def _connect_spark(url: str) -> ibis.BaseBackend:
    """Start (or reuse) a Spark session and expose each ``<table>.parquet`` as a table.

    ``pyspark:///data/lake`` names a folder holding one Parquet file (or folder) per survey
    table, as :func:`write_tables` writes it; Spark reads them where they lie. The master
    comes from ``CX_SPARK_MASTER`` (default ``local[2]``).
    """
    from pyspark.sql import SparkSession

    folder = duckdb_path(url, "pyspark")
    if folder is None or not folder.is_dir():
        raise DatabaseError(f"no Spark table folder at {folder}: write one with write_tables")
    spark = (
        SparkSession.builder.master(os.environ.get(SPARK_MASTER_ENV, "local[2]"))
        .appName("cxresearch")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.shuffle.partitions", "8")
        # cxresearch never writes managed tables: keep Spark's folder out of the notebooks/
        .config("spark.sql.warehouse.dir", str(Path(tempfile.gettempdir()) / "cx-spark"))
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    con = ibis.pyspark.connect(spark)
    for name in TABLES:
        path = folder / f"{name}.parquet"
        if path.exists():
            con.read_parquet(str(path.resolve()), table_name=name)
    return con


def connect(url: str | None = None, *, read_only: bool = True) -> ibis.BaseBackend:
    """Connect to the survey database.

    Parameters
    ----------
    url
        ``duckdb:///path.duckdb`` or ``postgresql://user@host:port/db`` (any URL Ibis
        accepts). ``None`` uses ``CX_DATABASE_URL`` or the default ``data/cx.duckdb``.
    read_only
        Open DuckDB files read-only, so that several reports can read one file at once.

    Returns
    -------
    ibis.BaseBackend
        An Ibis connection.

    Raises
    ------
    DatabaseError
        When the database cannot be opened; the message names it without any password.
    """
    url = database_url(url)
    try:
        if url.startswith("duckdb://"):
            path = duckdb_path(url)
            options = _duckdb_options()
            if path is None:
                return ibis.duckdb.connect(**options)
            if not path.exists():
                raise DatabaseError(
                    f"no survey database at {path}: create one with `cxresearch demo-data` "
                    f"or point CX_DATABASE_URL at yours"
                )
            try:
                return ibis.duckdb.connect(str(path), read_only=read_only, **options)
            except Exception as exc:  # noqa: BLE001 - duckdb's errors, told in one line
                raise duckdb_open_error(path, exc) from None
        if url.startswith(("postgres://", "postgresql://")):
            return _connect_postgres(url)
        if url.startswith("pyspark://"):
            return _connect_spark(url)
        return ibis.connect(url)
    except DatabaseError:
        raise
    except Exception as exc:  # the driver's own error, with the password removed
        raise DatabaseError(credentials.connection_error(url, exc)) from None


def _duckdb_options() -> dict:
    """DuckDB settings from the environment: ``threads`` from ``CX_DUCKDB_THREADS``."""
    value = os.environ.get(DUCKDB_THREADS_ENV, "").strip()
    if not value:
        return {}
    if not value.isdigit() or int(value) < 1:
        raise DatabaseError(
            f"{DUCKDB_THREADS_ENV} must be a whole number of threads (1 or more), got {value!r}"
        )
    return {"threads": int(value)}


def _connect_postgres(url: str) -> ibis.BaseBackend:
    """Connect with the password resolved from the URL, environment or secrets file."""
    return ibis.postgres.connect(**credentials.postgres_params(url))


def table(con: ibis.BaseBackend, name: str) -> ir.Table:
    """Return one survey table as an Ibis expression, with a clear error if it is missing."""
    try:
        return con.table(name)
    except Exception:
        if name in con.list_tables():
            raise  # not a missing table: the engine's own error says what went wrong
    raise DatabaseError(
        f"the survey database has no table {name!r} (tables: {sorted(con.list_tables())}); "
        "is it a cxresearch database?"
    )


def tables(con: ibis.BaseBackend, names: Sequence[str]) -> list[ir.Table]:
    """Several survey tables, as :func:`table` returns them, their DuckDB schemas read cheaply.

    Ibis builds each DuckDB ``DESCRIBE`` through sqlglot and parses every column type anew
    (a few milliseconds a table: much of a summary-answered report's set-up). Here the
    ``DESCRIBE`` is plain SQL and each type string is parsed once per process. Other engines,
    and any name ``DESCRIBE`` does not find, go through :func:`table` (with its error).
    """
    out = []
    for name in names:
        schema = _duckdb_schema(con, name) if con.name == "duckdb" else None
        if schema is None:
            out.append(table(con, name))
            continue
        op = ops.DatabaseTable(name, schema=schema, source=con, namespace=ops.Namespace())
        out.append(op.to_expr())
    return out


def _duckdb_schema(con: ibis.BaseBackend, name: str) -> ibis.Schema | None:
    """The Ibis schema of a DuckDB table as ``con.table`` reads it (``None``: not found)."""
    try:
        rows = con.con.execute('DESCRIBE "' + name.replace('"', '""') + '"').fetchall()
    except Exception:  # noqa: BLE001 - missing (or not a table): table() tells why
        return None
    mapper = con.compiler.type_mapper
    schema = ibis.schema({row[0]: _parse_type(mapper, row[1], row[2] == "YES") for row in rows})
    return None if schema.geospatial else schema


@functools.lru_cache(maxsize=256)
def _parse_type(mapper, typ: str, nullable: bool) -> dt.DataType:
    """A DuckDB column type as Ibis reads it (``DESCRIBE``'s type strings, parsed once)."""
    return mapper.from_string(typ, nullable=nullable)


#: Where a connection keeps its last join of responses and customers (see below).
_JOINED = "_cx_responses_joined"


def responses_with_customers(con: ibis.BaseBackend) -> ir.Table:
    """Responses left-joined with their customer's segment, country and industry.

    Building the join is most of the cost of :func:`cxresearch.data.db.read_responses`
    (Ibis validates every column: several milliseconds), and a report reads its responses
    a few times: the connection keeps its last join with the two tables it was built from
    (their schemas included) and reuses it while they are the same (expressions are
    immutable).
    """
    r, customers = tables(con, ("responses", "customers"))
    key = (r.op(), customers.op())
    known = getattr(con, _JOINED, None)
    if known is not None and known[0] == key:
        return known[1]
    c = customers.select("segment", "country", "industry", _customer=customers.customer_id)
    # a response whose customer is not on file still counts (segment and country unknown)
    t = r.left_join(c, r.customer_id == c._customer).drop("_customer")
    with contextlib.suppress(AttributeError):  # a backend that takes no attributes: no reuse
        setattr(con, _JOINED, (key, t))
    return t
