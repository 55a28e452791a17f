"""Database credentials: from the environment, ``.pgpass`` or a secrets file, never params.

A password may be given inside a URL on the command line, but it goes no further: the
runner moves it into the environment variable ``CX_DATABASE_PASSWORD`` and hands notebooks
the URL without it (:func:`split_password`), so it never reaches a notebook, a report, a
run record or a log. Where the password comes from, first match wins:

1. the URL itself (``postgresql://ana:pw@host/db``; discouraged outside one-off runs);
2. ``CX_DATABASE_PASSWORD`` in the environment;
3. the secrets file named by ``CX_SECRETS_FILE``, else ``~/.config/cxresearch/secrets.env``
   (``KEY=value`` lines, read for ``CX_DATABASE_URL`` and ``CX_DATABASE_PASSWORD``); it must
   lie outside the project folder and be readable by its owner only;
4. libpq's own ``PGPASSWORD`` and ``~/.pgpass`` (``PGPASSFILE``), used by the driver when
   no password is given.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from urllib.parse import unquote, urlsplit, urlunsplit

from cxresearch import config
from cxresearch.errors import DatabaseError

PASSWORD_ENV = "CX_DATABASE_PASSWORD"
SECRETS_FILE_ENV = "CX_SECRETS_FILE"
DEFAULT_SECRETS_FILE = Path("~/.config/cxresearch/secrets.env")


def redact_url(url: str) -> str:
    """Return ``url`` with any password replaced by ``***``.

    Examples
    --------
    >>> redact_url("postgresql://ana:s3cret@db.example.org:5432/cx")
    'postgresql://ana:***@db.example.org:5432/cx'
    """
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.netloc.rsplit("@", 1)[1]
    return urlunsplit(parts._replace(netloc=f"{parts.username or ''}:***@{host}"))


def split_password(url: str) -> tuple[str, str | None]:
    """Split a URL into the URL without its password, and the password.

    Examples
    --------
    >>> split_password("postgresql://ana:s%40cret@db:5432/cx")
    ('postgresql://ana@db:5432/cx', 's@cret')
    >>> split_password("duckdb:///data/cx.duckdb")
    ('duckdb:///data/cx.duckdb', None)
    """
    parts = urlsplit(url)
    if parts.password is None:
        return url, None
    host = parts.netloc.rsplit("@", 1)[1]
    user = parts.netloc.rsplit("@", 1)[0].split(":", 1)[0]
    return urlunsplit(parts._replace(netloc=f"{user}@{host}")), unquote(parts.password)


def secrets_file() -> Path | None:
    """The secrets file to read, or ``None`` when there is none.

    Raises
    ------
    DatabaseError
        When the file lies inside the project folder (it could be committed) or can be
        read by other users.
    """
    named = os.environ.get(SECRETS_FILE_ENV)
    path = Path(named or DEFAULT_SECRETS_FILE).expanduser()
    if not path.is_file():
        if named:
            raise DatabaseError(f"{SECRETS_FILE_ENV} names {path}, which does not exist")
        return None
    resolved = path.resolve()
    if resolved.is_relative_to(config.PROJECT_ROOT.resolve()):
        raise DatabaseError(
            f"the secrets file {path} lies inside the project folder, where it could be "
            "committed; move it outside, e.g. to ~/.config/cxresearch/secrets.env"
        )
    if resolved.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise DatabaseError(f"the secrets file {path} is readable by others: chmod 600 {path}")
    return resolved


def read_secrets() -> dict[str, str]:
    """``KEY=value`` pairs from the secrets file (empty when there is none)."""
    from dotenv import dotenv_values

    path = secrets_file()
    if path is None:
        return {}
    return {k: v for k, v in dotenv_values(path).items() if v is not None}


def password_for(url: str) -> str | None:
    """The password to use for ``url``, or ``None`` to let libpq look (``.pgpass``)."""
    _, password = split_password(url)
    if password:
        return password
    if os.environ.get(PASSWORD_ENV):
        return os.environ[PASSWORD_ENV]
    return read_secrets().get(PASSWORD_ENV) or None


def postgres_params(url: str) -> dict[str, object]:
    """Connection parameters of a ``postgresql://`` URL, with the resolved password.

    Keys ``host, port, user, database, password, connect_timeout``; those the URL leaves
    out are left out, so that libpq's defaults and ``.pgpass`` apply.
    """
    parts = urlsplit(url)
    params = {
        "host": parts.hostname,
        "port": parts.port,
        "user": unquote(parts.username) if parts.username else None,
        "database": unquote(parts.path.lstrip("/")) or None,
        "password": password_for(url),
        "connect_timeout": 10,
    }
    return {k: v for k, v in params.items() if v is not None}


def libpq_dsn(url: str) -> str:
    """A libpq connection string for a ``postgresql://`` URL, with the resolved password."""
    from psycopg.conninfo import make_conninfo

    params = postgres_params(url)
    if "database" in params:
        params["dbname"] = params.pop("database")
    return make_conninfo("", **params)


def describe(url: str) -> str:
    """``database 'cx' on 127.0.0.1:5432 as user 'ana'``: which connection, no password."""
    parts = urlsplit(url)
    if parts.scheme.startswith("duckdb"):
        return f"DuckDB file {parts.path.lstrip('/') or ':memory:'}"
    where = parts.hostname or "the local socket"
    if parts.port:
        where += f":{parts.port}"
    name = unquote(parts.path.lstrip("/")) or "(default)"
    user = f" as user {unquote(parts.username)!r}" if parts.username else ""
    return f"{parts.scheme} database {name!r} on {where}{user}"


def public_name(url: str) -> str:
    """What a report may say about its database: engine and name, no host, user or password.

    Examples
    --------
    >>> public_name("postgresql://ana:pw@db.internal:5432/cx")
    "PostgreSQL database 'cx'"
    >>> public_name("duckdb:////srv/data/cx.duckdb")
    'DuckDB file cx.duckdb'
    """
    parts = urlsplit(url)
    if parts.scheme.startswith("duckdb"):
        return f"DuckDB file {Path(parts.path).name or ':memory:'}"
    if parts.scheme == "pyspark":
        return f"Spark tables in {Path(parts.path).name}"
    engines = {"postgres": "PostgreSQL", "postgresql": "PostgreSQL"}
    engine = engines.get(parts.scheme, parts.scheme)
    name = unquote(parts.path.lstrip("/"))
    return f"{engine} database {name!r}" if name else engine


def connection_error(url: str, exc: BaseException) -> str:
    """A one-line connection error naming host and database, with every password removed."""
    reason = " ".join(str(exc).split())
    for secret in {split_password(url)[1], password_for(url)} - {None, ""}:
        reason = reason.replace(secret, "***")
    return f"cannot connect to {describe(url)}: {reason}"
