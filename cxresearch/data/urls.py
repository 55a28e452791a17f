"""Database URLs: which database to use, and where an embedded one lies on disk.

One place turns ``--db``, ``CX_DATABASE_URL``, a secrets file or the embedded default into
one URL, with relative DuckDB and Spark paths made absolute against the project root, so
that a notebook kernel (which runs in ``notebooks/``) reads the same files as the command.
"""

from __future__ import annotations

import os
from pathlib import Path

from cxresearch import config
from cxresearch.data import credentials

#: URL schemes whose path names a file or folder on this machine.
FILE_SCHEMES = ("duckdb", "pyspark")


def duckdb_path(url: str, scheme: str = "duckdb") -> Path | None:
    """Return the file path of a ``duckdb:///`` URL, or ``None`` for other engines.

    ``duckdb:///data/cx.duckdb`` is relative and ``duckdb:////abs/cx.duckdb`` is absolute,
    as in SQLAlchemy. ``scheme="pyspark"`` reads ``pyspark:///path`` URLs the same way.
    """
    if not url.startswith(f"{scheme}://"):
        return None
    rest = url[len(f"{scheme}://") :].split("?", 1)[0]
    if rest.startswith("/"):
        rest = rest[1:]
    if not rest or rest == ":memory:":
        return None
    return Path(rest)


def database_url(url: str | None = None) -> str:
    """Return the survey database URL to use, with file paths made absolute.

    Parameters
    ----------
    url
        An explicit URL (from ``--db``). Empty or ``None`` falls back to
        ``CX_DATABASE_URL``, then to the secrets file, then to the embedded default
        ``data/cx.duckdb``.

    Returns
    -------
    str
        A URL such as ``duckdb:////abs/path/cx.duckdb`` or ``postgresql://host/db``;
        relative ``duckdb:///`` and ``pyspark:///`` paths are resolved against
        :data:`cxresearch.config.PROJECT_ROOT`.
    """
    url = (
        url
        or os.environ.get(config.DATABASE_URL_ENV)
        or credentials.read_secrets().get(config.DATABASE_URL_ENV)
        or f"duckdb:///{config.DEFAULT_DATABASE_PATH}"
    )
    for scheme in FILE_SCHEMES:
        path = duckdb_path(url, scheme)
        if path is not None and not path.is_absolute():
            query = url.partition("?")[2]
            absolute = (config.PROJECT_ROOT / path).resolve()
            return f"{scheme}:///{absolute}" + (f"?{query}" if query else "")
    return url
