"""Database URLs: which database to use, and where an embedded one lies on disk.

One place turns ``--db``, ``CX_DATABASE_URL``, a secrets file or the embedded default into
one URL, with relative DuckDB and Spark paths made absolute against the project root, so
that a notebook kernel (which runs in ``notebooks/``) reads the same files as the command.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from cxresearch import config
from cxresearch.data import credentials
from cxresearch.errors import DatabaseError

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
        ``data/cx.duckdb``. A value without ``://`` is the path of a DuckDB file,
        relative to the current folder (``--db /tmp/cx.duckdb``, ``--db wave.duckdb``).

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
    if "://" not in url and not url.startswith(":"):  # a file path: a DuckDB file
        url = f"duckdb:///{Path(url).expanduser().resolve()}"
    for scheme in FILE_SCHEMES:
        path = duckdb_path(url, scheme)
        if path is not None and not path.is_absolute():
            query = url.partition("?")[2]
            absolute = (config.PROJECT_ROOT / path).resolve()
            return f"{scheme}:///{absolute}" + (f"?{query}" if query else "")
    return url


_LOCK_PID = re.compile(r"Conflicting lock is held in .*?\(PID (\d+)\)")


def duckdb_open_error(path: str | Path, exc: BaseException) -> DatabaseError:
    """Turn DuckDB's error on opening or reading ``path`` into a one-line :class:`DatabaseError`.

    A file locked by another process gives "the database <path> is in use by another
    process (pid N); try again" (the pid when DuckDB reports it); any other failure (a
    damaged file, or one that is not a DuckDB database) names the file and DuckDB's reason.

    Parameters
    ----------
    path
        The DuckDB file.
    exc
        The exception DuckDB raised.

    Returns
    -------
    DatabaseError
        The error to raise (``raise duckdb_open_error(path, exc) from None``).
    """
    reason = " ".join(str(exc).split())
    if "Could not set lock" in reason or "Conflicting lock" in reason:
        found = _LOCK_PID.search(reason)
        pid = f"pid {found.group(1)}" if found else "pid unknown"
        return DatabaseError(f"the database {path} is in use by another process ({pid}); try again")
    reason = reason.removeprefix("IO Error: ")
    return DatabaseError(
        f"the database {path} cannot be read: it is damaged or not a DuckDB database ({reason})"
    )
