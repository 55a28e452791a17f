"""Demo data never replaces data it did not create."""

from __future__ import annotations

from cxresearch.data import connection, credentials, urls
from cxresearch.errors import DatabaseError


def check_replaceable(url: str | None) -> None:
    """Refuse to replace a database that holds data demo data did not create.

    ``demo-data`` replaces the whole database. It may do so only for a new DuckDB file or
    one that holds nothing but demo data: no imported file in ``import_log`` and no
    response from another source. A PostgreSQL (or other server) database is always
    refused, as are Spark folders with imports.

    Raises
    ------
    DatabaseError
        Naming the database (without password) and what it holds; pass ``--force`` to
        replace it anyway.
    """
    url = urls.database_url(url)
    name = credentials.redact_url(url)
    hint = "; pass --force to replace it anyway (its data will be lost)"
    path = urls.duckdb_path(url)
    if path is None and not url.startswith(("duckdb://", "pyspark://")):
        raise DatabaseError(f"demo-data would replace every survey table in {name}{hint}")
    if path is None or not path.exists():
        return
    con = connection.connect(url)
    try:
        tables = set(con.list_tables())
        imported = 0
        if "import_log" in tables:
            imported = int(con.table("import_log").count().to_pyarrow().as_py())
        others = 0
        if "responses" in tables:
            r = con.table("responses")
            others = int(r.filter(r.source != "demo").count().to_pyarrow().as_py())
    finally:
        con.disconnect()
    if imported or others:
        raise DatabaseError(
            f"{name} holds imported data ({imported:,} imported files, {others:,} imported "
            f"responses): demo-data would replace it{hint}"
        )
