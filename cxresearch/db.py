"""Data access: connect by URL, read survey tables as Ibis expressions, fingerprint data.

Queries stay Ibis expressions so that aggregation runs inside the engine (DuckDB,
PostgreSQL, or any other Ibis backend); pandas only sees the aggregates.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

import ibis
import ibis.expr.types as ir
import pandas as pd

from cxresearch import config, credentials
from cxresearch.errors import DatabaseError
from cxresearch.schema import DEFAULT_SCALE, TABLES

redact_url = credentials.redact_url


def duckdb_path(url: str, scheme: str = "duckdb") -> Path | None:
    """Return the file path of a ``duckdb:///`` URL, or ``None`` for other engines.

    ``duckdb:///data/cx.duckdb`` is relative to the current directory and
    ``duckdb:////abs/cx.duckdb`` is absolute, as in SQLAlchemy. ``scheme="pyspark"`` reads
    ``pyspark:///path`` URLs the same way.
    """
    if not url.startswith(f"{scheme}://"):
        return None
    rest = url[len(f"{scheme}://") :].split("?", 1)[0]
    if rest.startswith("/"):
        rest = rest[1:]
    if not rest or rest == ":memory:":
        return None
    return Path(rest)


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
    url = config.database_url(url)
    try:
        if url.startswith("duckdb://"):
            path = duckdb_path(url)
            if path is None:
                return ibis.duckdb.connect()
            if not path.exists():
                raise DatabaseError(
                    f"no survey database at {path}: create one with `cxresearch demo-data` "
                    f"or point CX_DATABASE_URL at yours"
                )
            return ibis.duckdb.connect(str(path), read_only=read_only)
        if url.startswith(("postgres://", "postgresql://")):
            return _connect_postgres(url)
        if url.startswith("pyspark://"):
            return _connect_spark(url)
        return ibis.connect(url)
    except DatabaseError:
        raise
    except Exception as exc:  # the driver's own error, with the password removed
        raise DatabaseError(credentials.connection_error(url, exc)) from None


def _connect_postgres(url: str) -> ibis.BaseBackend:
    """Connect with the password resolved from the URL, environment or secrets file."""
    return ibis.postgres.connect(**credentials.postgres_params(url))


def table(con: ibis.BaseBackend, name: str) -> ir.Table:
    """Return one survey table as an Ibis expression, with a clear error if it is missing."""
    if name not in con.list_tables():
        raise DatabaseError(
            f"the survey database has no table {name!r} (tables: {sorted(con.list_tables())}); "
            "is it a cxresearch database?"
        )
    return con.table(name)


def read_responses(
    con: ibis.BaseBackend,
    *,
    start: str | dt.date | None = None,
    end: str | dt.date | None = None,
    segment: Sequence[str] | str | None = None,
    country: Sequence[str] | str | None = None,
) -> ir.Table:
    """Return responses joined with their customer's segment, country and industry.

    Parameters
    ----------
    con
        A connection from :func:`connect`.
    start, end
        Inclusive dates bounding ``responded_at``; ``None`` leaves that side open.
    segment, country
        Keep only these segments / ISO country codes; ``None`` or empty keeps all.

    Returns
    -------
    ibis.expr.types.Table
        Columns of ``responses`` plus ``segment``, ``country``, ``industry`` and
        ``month`` (the first day of the response month). Nothing is executed.
    """
    r = table(con, "responses")
    c = table(con, "customers").select("customer_id", "segment", "country", "industry")
    t = r.inner_join(c, "customer_id")
    t = _filter_dates(t, "responded_at", start, end)
    t = _filter_in(t, "segment", segment)
    t = _filter_in(t, "country", country)
    return t.mutate(month=t.responded_at.truncate("M").cast("date"))


def read_customers(
    con: ibis.BaseBackend,
    *,
    segment: Sequence[str] | str | None = None,
    country: Sequence[str] | str | None = None,
) -> ir.Table:
    """Return the customers table, filtered like :func:`read_responses`."""
    t = table(con, "customers")
    t = _filter_in(t, "segment", segment)
    return _filter_in(t, "country", country)


def read_spend(
    con: ibis.BaseBackend,
    *,
    start: str | dt.date | None = None,
    end: str | dt.date | None = None,
) -> ir.Table:
    """Return monthly spend rows (``customer_id, month, amount, currency``) in a period."""
    return _filter_dates(table(con, "spend"), "month", start, end)


def read_comments(
    con: ibis.BaseBackend,
    *,
    start: str | dt.date | None = None,
    end: str | dt.date | None = None,
    segment: Sequence[str] | str | None = None,
    country: Sequence[str] | str | None = None,
) -> ir.Table:
    """Responses with a comment: ``[comment, language, nps, segment, country, touchpoint]``.

    No ids: comment analyses and verbatims never need them.
    """
    r = read_responses(con, start=start, end=end, segment=segment, country=country)
    r = r.filter(r.comment.notnull() & (r.comment != ""))
    return r.select("comment", "language", "nps", "segment", "country", "touchpoint")


def read_interactions(
    con: ibis.BaseBackend,
    *,
    start: str | dt.date | None = None,
    end: str | dt.date | None = None,
) -> ir.Table:
    """Return service contacts (``interactions``) in a period."""
    return _filter_dates(table(con, "interactions"), "occurred_at", start, end)


def _as_date(value: str | dt.date) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise ValueError(f"expected a date as YYYY-MM-DD, got {value!r}") from None


def _date_literal(value: dt.date) -> ir.DateScalar:
    """A date literal every engine reads: ``CAST('2026-03-01' AS DATE)``.

    Ibis compiles ``ibis.literal(date)`` to a date-from-parts call that PostgreSQL lacks.
    """
    return ibis.literal(value.isoformat()).cast("date")


def _filter_dates(t: ir.Table, column: str, start, end) -> ir.Table:
    col = t[column]
    if start:
        t = t.filter(col >= _date_literal(_as_date(start)).cast(col.type()))
    if end:
        # inclusive end date: everything before the next day
        nxt = _as_date(end) + dt.timedelta(days=1)
        t = t.filter(col < _date_literal(nxt).cast(col.type()))
    return t


def _filter_in(t: ir.Table, column: str, values) -> ir.Table:
    if not values:
        return t
    if isinstance(values, str):
        values = [values]
    return t.filter(t[column].isin(list(values)))


def fingerprint(con: ibis.BaseBackend) -> str:
    """Return a short fingerprint of the survey data's content.

    For each table the engine computes the row count and the sum, minimum and maximum
    of every numeric and date column; the fingerprint is the first 12 hex digits of the
    SHA-256 of those figures. It changes when rows are added, removed or edited in any
    of those columns, and costs one aggregate query per table.

    Returns
    -------
    str
        12 hexadecimal digits.
    """
    summary: dict[str, list] = {}
    for name in TABLES:
        if name not in con.list_tables():
            continue
        t = con.table(name)
        aggs = {"n": t.count()}
        for col, typ in t.schema().items():
            if typ.is_numeric() and not typ.is_boolean():
                aggs[f"{col}_sum"] = t[col].cast("float64").sum()
            if typ.is_numeric() or typ.is_temporal():
                aggs[f"{col}_min"] = t[col].min()
                aggs[f"{col}_max"] = t[col].max()
        row = t.aggregate(**aggs).to_pandas().iloc[0]
        summary[name] = [_stable(v) for v in row.tolist()]
    blob = json.dumps(summary, sort_keys=True).encode()
    return hashlib.sha256(blob).hexdigest()[:12]


def _stable(value) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return "null"
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


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
        One DataFrame per table of :data:`cxresearch.schema.TABLES`.

    Returns
    -------
    str
        The URL written, without any password.
    """
    from cxresearch import sqlsession

    url = config.database_url(url)
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
            arrow = pa.Table.from_pandas(frame[list(schema.names)], preserve_index=False)
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
        session.insert_frame(name, frame[list(schema.names)])


def read_customer_satisfaction(
    con: ibis.BaseBackend,
    *,
    start: str | dt.date | None = None,
    end: str | dt.date | None = None,
    segment: Sequence[str] | str | None = None,
    country: Sequence[str] | str | None = None,
) -> ir.Table:
    """Return one row per surveyed customer with their satisfaction and loyalty.

    Aggregated inside the engine over the customer's responses in the period.

    Returns
    -------
    ibis.expr.types.Table
        ``[customer_id, segment, country, industry, first_purchase_date, churn_date,
        responses, satisfaction_level, mean_nps, nps_group]``: ``satisfaction_level`` is
        the mean CSAT on a 1-5 scale rounded half up (1-5), ``nps_group`` the group of
        the mean NPS rounded half up (``promoter`` 9-10, ``passive`` 7-8, ``detractor``
        0-6).

    Notes
    -----
    CSAT given on another scale (1-7, 1-10, as each response declares) is first put on
    1-5 linearly, ``1 + 4 (csat - low) / (high - low)``, so that customers answering
    surveys on different scales share one set of levels.
    """
    r = read_responses(con, start=start, end=end, segment=segment, country=country)
    per = r.group_by("customer_id").aggregate(
        responses=r.count(),
        mean_csat=csat_on_five(r).mean(),
        mean_nps=r.nps.cast("float64").mean(),
    )
    c = table(con, "customers")
    j = per.inner_join(c, "customer_id")
    rounded = (j.mean_nps + 0.5).floor()
    return j.select(
        "customer_id",
        "segment",
        "country",
        "industry",
        "first_purchase_date",
        "churn_date",
        "responses",
        satisfaction_level=(j.mean_csat + 0.5).floor().cast("int64"),
        mean_nps=j.mean_nps,
        nps_group=ibis.cases(
            (rounded >= 9, "promoter"), (rounded >= 7, "passive"), else_="detractor"
        ),
    )


def csat_on_five(t: ir.Table, score: str = "csat") -> ir.FloatingValue:
    """CSAT on the 1-5 scale: ``1 + 4 (csat - low) / (high - low)`` on the row's scale.

    Rows without a declared scale (or tables without scale columns) are read as 1-5.
    """
    value = t[score].cast("float64")
    if f"{score}_min" not in t.columns or f"{score}_max" not in t.columns:
        return value
    low = t[f"{score}_min"].cast("float64").fill_null(DEFAULT_SCALE[0])
    high = t[f"{score}_max"].cast("float64").fill_null(DEFAULT_SCALE[1])
    return 1 + 4 * (value - low) / (high - low)


def read_customer_spend(
    con: ibis.BaseBackend,
    *,
    start: str | dt.date | None = None,
    end: str | dt.date | None = None,
    segment: Sequence[str] | str | None = None,
    country: Sequence[str] | str | None = None,
    rates: Mapping[str, float] | None = None,
) -> ir.Table:
    """Return one row per surveyed customer: satisfaction level and mean monthly spend.

    Aggregated inside the engine: the columns of :func:`read_customer_satisfaction`
    (customers with at least one CSAT answer) plus the mean of the customer's monthly
    spend in the period, in the currency :func:`spend_currency` names.

    Parameters
    ----------
    rates
        Conversion table for spend in several currencies: the value of one unit of each
        currency in the report currency (``{"EUR": 1, "SEK": 0.087}``). ``None``: the
        spend must be in one currency.

    Raises
    ------
    DatabaseError
        When the spend mixes currencies and no ``rates`` are given, or ``rates`` lacks
        one of them.

    Returns
    -------
    ibis.expr.types.Table
        ``[customer_id, segment, country, industry, satisfaction_level, nps_group,
        responses, months, monthly_spend]``.
    """
    sat = read_customer_satisfaction(con, start=start, end=end, segment=segment, country=country)
    sat = sat.filter(sat.satisfaction_level.notnull())
    s = read_spend(con, start=start, end=end)
    spend_currency(con, rates=rates)  # refuses mixed currencies without rates
    if rates:
        rate = ibis.cases(*((s.currency == c, float(v)) for c, v in rates.items()))
        s = s.mutate(amount=s.amount * rate)
    spent = s.group_by("customer_id").aggregate(monthly_spend=s.amount.mean(), months=s.count())
    j = sat.inner_join(spent, "customer_id")
    return j.select(
        "customer_id",
        "segment",
        "country",
        "industry",
        "satisfaction_level",
        "nps_group",
        "responses",
        "months",
        "monthly_spend",
    )


def spend_currency(con: ibis.BaseBackend, *, rates: Mapping[str, float] | None = None) -> str:
    """The currency of the spend amounts, for labels such as "At risk per month (SEK)".

    Parameters
    ----------
    rates
        Conversion table (see :func:`read_customer_spend`); the report currency is the
        one whose rate is 1.

    Returns
    -------
    str
        The ISO code of the one currency in the spend table (``""`` when it is empty), or,
        with ``rates``, the currency they convert to.

    Raises
    ------
    DatabaseError
        When the spend mixes currencies and no ``rates`` are given (amounts in different
        currencies are never added up), or ``rates`` lacks one of them.
    """
    s = table(con, "spend")
    found = sorted(c for c in s.select("currency").distinct().to_pandas()["currency"] if c)
    if rates:
        missing = sorted(set(found) - set(rates))
        base = [c for c, v in rates.items() if float(v) == 1.0]
        if missing or len(base) != 1:
            raise DatabaseError(
                f"the conversion table {dict(rates)} must give a rate for each currency of the "
                f"spend ({', '.join(found)}; missing: {', '.join(missing) or 'none'}) and "
                "rate 1 for exactly one, the report currency"
            )
        return base[0]
    if len(found) > 1:
        raise DatabaseError(
            f"the spend holds amounts in {', '.join(found)}: they are not added up without a "
            "conversion table (rates, e.g. currency_rates: {EUR: 1, SEK: 0.087})"
        )
    return found[0] if found else ""


def read_driver_ratings(
    con: ibis.BaseBackend,
    *,
    start: str | dt.date | None = None,
    end: str | dt.date | None = None,
    segment: Sequence[str] | str | None = None,
    country: Sequence[str] | str | None = None,
) -> ir.Table:
    """Return one row per response that rated attributes, one column per attribute.

    The long ``ratings`` table is pivoted inside the engine.

    Returns
    -------
    ibis.expr.types.Table
        ``[response_id, source, segment, country, touchpoint, nps, csat, <attribute>...]``.
    """
    ratings = table(con, "ratings")
    names = sorted(ratings.select("attribute").distinct().to_pandas()["attribute"].dropna())
    wide = ratings.group_by(["response_id", "source"]).aggregate(
        **{a: (ratings.attribute == a).ifelse(ratings.rating, None).max() for a in names}
    )
    r = read_responses(con, start=start, end=end, segment=segment, country=country)
    r = r.select("response_id", "source", "segment", "country", "touchpoint", "nps", "csat")
    return r.inner_join(wide, ["response_id", "source"])


def data_period(con: ibis.BaseBackend) -> tuple[dt.date, dt.date]:
    """Return the first and last day of the months the spend data covers.

    Spend is recorded per whole month, so this is the span over which customers are
    observed (churn dates after it are not yet known).
    """
    s = table(con, "spend")
    row = s.aggregate(first=s.month.min(), last=s.month.max()).to_pandas().iloc[0]
    if pd.isna(row["first"]):
        raise DatabaseError("the spend table is empty: no observation period")
    first = pd.Timestamp(row["first"])
    last = pd.Timestamp(row["last"]) + pd.offsets.MonthEnd(0)
    return first.date(), last.date()


def response_period(
    con: ibis.BaseBackend,
    *,
    start: str | dt.date | None = None,
    end: str | dt.date | None = None,
    segment: Sequence[str] | str | None = None,
    country: Sequence[str] | str | None = None,
) -> tuple[dt.date, dt.date] | None:
    """First and last day with responses under these filters (``None`` when there are none).

    Given ``start`` and ``end`` are returned as they are: that is the period asked for.
    """
    if start and end:
        return _as_date(start), _as_date(end)
    r = read_responses(con, start=start, end=end, segment=segment, country=country)
    row = r.aggregate(first=r.responded_at.min(), last=r.responded_at.max()).to_pandas().iloc[0]
    if pd.isna(row["first"]):
        return None
    return pd.Timestamp(row["first"]).date(), pd.Timestamp(row["last"]).date()


def recent_period(con: ibis.BaseBackend, months: int = 3) -> tuple[dt.date, dt.date]:
    """The last ``months`` whole calendar months that hold responses.

    A month counts as whole when responses continue into its last week, so that a wave
    still in the field is not compared with a complete one.
    """
    r = table(con, "responses")
    last = pd.Timestamp(r.responded_at.max().to_pandas())
    if pd.isna(last):
        raise DatabaseError("the responses table is empty")
    month_end = last + pd.offsets.MonthEnd(0)
    if (month_end - last).days > 7:
        month_end = last.replace(day=1) - pd.Timedelta(days=1)
    first = (month_end - pd.DateOffset(months=months) + pd.Timedelta(days=1)).normalize()
    return first.replace(day=1).date(), month_end.date()
