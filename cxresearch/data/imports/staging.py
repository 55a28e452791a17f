"""Canonical CSV responses checked in DuckDB: loaded as text, validated and typed in SQL.

A canonical responses CSV (plain UTF-8, canonical column names, no mapping) is loaded with
DuckDB's ``read_csv`` (every column as text) into a temporary table of the connection
that later writes the import (:func:`stage_in`). Every check of
:func:`cxresearch.data.imports.convert.responses` runs there as a set operation
(``TRY_CAST``, joins with the allowed vocabularies, ``count(DISTINCT ...)``), and the writer
copies the typed rows with ``INSERT ... SELECT`` in the same connection: the rows never
leave the engine. :func:`stage` does the same in a connection of its own and returns the
rows as DataFrames (for tests and comparisons).

The staging path accepts a subset of what the per-column path accepts (ISO dates, plain
numbers, the vocabularies) and converts those values the same way. When the file is not
one it understands, or when any check finds a problem, :func:`stage` returns ``None`` and
the file is read the per-column way, whose error names file, row, column and value.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyarrow as pa

from cxresearch.data.imports.csvcheck import field_limit, sniff_delimiter
from cxresearch.data.imports.mapping import DEFAULT_MISSING, RECOMMENDED_WORDS, is_field
from cxresearch.data.imports.problems import MAX_FIELD_CHARS
from cxresearch.data.imports.values import country_names
from cxresearch.data.schema import DEFAULT_SCALE, normalise_label

#: Characters :meth:`str.strip` removes (Unicode whitespace), for SQL ``trim``.
WHITESPACE = "".join(chr(c) for c in range(sys.maxunicode + 1) if chr(c).isspace())

#: Bytes read to recognise the file before staging it.
HEAD_BYTES = 1 << 16

#: ``2026-03-31``, ``2026-03-31 14:05``, ``2026-03-31T14:05:09.5`` (years 1900-2099).
NAIVE_TIME = (
    r"(19|20)[0-9]{2}-[0-9]{2}-[0-9]{2}"
    r"([T ]([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]{1,6})?)?)?"
)
#: ``2026-03-31T14:05:00+02:00`` or ``...Z``: a time with its offset, stored in UTC.
AWARE_TIME = (
    r"(19|20)[0-9]{2}-[0-9]{2}-[0-9]{2}"
    r"[T ]([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]{1,6})?)?(Z|[+-][0-9]{2}:[0-9]{2})"
)
PLAIN_NUMBER = r"-?[0-9]+(\.[0-9]+)?"
UNSIGNED_NUMBER = r"[0-9]+(\.[0-9]+)?"


@dataclass(frozen=True)
class Header:
    """What the first rows of a file say: its delimiter, columns and encoding."""

    path: Path
    delimiter: str
    columns: tuple[str, ...]
    encoding: str

    @property
    def unused(self) -> list[str]:
        """Columns that are not canonical response fields (the import warns about them)."""
        return [c for c in self.columns if not is_field(c)]


@dataclass
class Staged:
    """A canonical responses file validated and typed in DuckDB.

    ``sql``: per table, a query over the staging tables giving its rows in the file's order
    (responses without ``survey_id``; ``rows``: them unordered). :func:`stage` fills frames.
    """

    rows: int
    starts_on: object
    ends_on: object
    sql: dict[str, str]
    responses: pd.DataFrame | None = None
    customers: pd.DataFrame | None = None
    ratings: pd.DataFrame | None = None


def header(path: Path, fmt: str) -> Header | None:
    """The header of a file the staging path can load, else ``None``.

    The file must be a plain (not Qualtrics or SurveyMonkey) CSV in UTF-8 whose columns
    include ``response_id``, ``customer_id`` and ``responded_at`` and are unique, without
    blanks, NUL bytes or line breaks.
    """
    suffix = path.suffix.lower()
    if fmt not in ("auto", "csv") or suffix in (".xlsx", ".xlsm", ".sav", ".zsav"):
        return None
    if not path.is_file():
        return None
    with path.open("rb") as f:
        data = f.read(HEAD_BYTES)
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or b"\x00" in data:
        return None
    encoding = "utf-8-sig" if data.startswith(codecs.BOM_UTF8) else "utf-8"
    try:
        text = data.decode("utf-8-sig", errors="strict")
    except UnicodeDecodeError as exc:
        if exc.start < len(data) - 4:  # not just a character cut at the end of the block
            return None
        text = data[: exc.start].decode("utf-8-sig")
    if "\n" not in text or "\r" in text.split("\n", 1)[0]:
        return None
    delimiter = sniff_delimiter(text)
    with field_limit():
        try:
            rows = [
                r
                for _, r in zip(
                    range(3),
                    csv.reader(io.StringIO(text), strict=True, delimiter=delimiter),
                    strict=False,
                )
            ]
        except csv.Error:
            return None
    if len(rows) < 2:
        return None
    head = tuple(c.strip() for c in rows[0])
    plain = not (
        (head and head[0] == "V1")
        or any(c.strip() in ("Response", "Open-Ended Response") for c in rows[1])
        or (len(rows) >= 3 and rows[2] and rows[2][0].strip().startswith(("{", "{'")))
    )
    if (
        not plain
        or len(set(head)) != len(head)
        or any(c == "" or "\n" in c or "\x00" in c for c in head)
        or not {"response_id", "customer_id", "responded_at"} <= set(head)
        or not {"nps", "csat", "recommended_last_12m", "comment"} & set(head)
    ):
        return None
    return Header(path, delimiter, head, encoding)


def _text(value: str) -> str:
    """A SQL string literal."""
    return "'" + value.replace("'", "''") + "'"


def _score(col: str, low: int, high: int) -> str:
    """SQL: the integer score of text ``col`` on ``[low, high]``; NULL for blanks and bad."""
    exact = ", ".join(_text(str(i)) for i in range(low, high + 1))
    number = f"TRY_CAST({col} AS DOUBLE)"
    return (
        f"CASE WHEN {col} IN ({exact}) THEN CAST({col} AS TINYINT) "
        f"WHEN regexp_full_match({col}, '{PLAIN_NUMBER}') AND {number} = floor({number}) "
        f"AND {number} BETWEEN {low} AND {high} THEN CAST({number} AS TINYINT) END"
    )


UNSURE = "\x00"  # a lookup's answer for a value the staging path leaves to the per-column path


def _cell(value: str | None) -> str | None:
    """A cell as the per-column path reads it (trimmed, missing markers blank).

    ``None`` for a value it reads otherwise (NUL, carriage return, over the length limit).
    """
    value = value or ""
    if "\x00" in value or "\r" in value or len(value) > MAX_FIELD_CHARS:
        return None
    value = value.strip()
    return "" if value in DEFAULT_MISSING else value


def _label(value: str) -> str | None:
    """A free label as stored; blank (or nothing left after normalising) is missing."""
    return (normalise_label(value) if value else "") or None


def _language(value: str) -> str | None:
    """A language code as stored (``sv`` for ``sv-FI``), ``None`` for a blank."""
    if not value:
        return None
    lang = value.lower()
    return lang[:2] if re.fullmatch(r"[a-z]{2}(-[a-z]{2})?", lang) else UNSURE


def _vocabulary(words: dict[str, str], blank: str | None):
    """A decision for a closed vocabulary: its code, ``blank`` for a blank, else unsure."""

    def decide(value: str) -> str | None:
        return words.get(value.lower(), UNSURE) if value else blank

    return decide


#: The stored value of each lookup column for a blank cell (SQL).
LOOKUP_BLANKS = {
    "recommended_last_12m": "'unknown'",
    "country": "NULL::VARCHAR",
    "segment": "NULL::VARCHAR",
    "industry": "NULL::VARCHAR",
    "touchpoint": "NULL::VARCHAR",
    "language": "NULL::VARCHAR",
}


#: Columns whose distinct values are decided in Python, exactly as the per-column path
#: decides them, and joined back: a factory of each column's decision.
LOOKUPS = {
    "recommended_last_12m": lambda: _vocabulary(RECOMMENDED_WORDS, "unknown"),
    "country": lambda: _vocabulary(country_names(), None),
    "segment": lambda: _label,
    "industry": lambda: _label,
    "touchpoint": lambda: _label,
    "language": lambda: _language,
}


def _lookup(con, key: str, column: str, blank: str) -> str | None:
    """SQL for the stored value of lookup ``column`` of table ``r``; ``None`` if unsure.

    The distinct values are decided in Python. When each is stored as it is (or, blank,
    as ``blank``), the SQL is a ``CASE``; otherwise table ``lk_<column>(raw, value)`` is
    registered and the SQL names its ``value``, which needs the join :func:`_join` gives.
    ``key`` tells the tables of one staged file from another's.
    """
    decide = LOOKUPS[column]()
    values = [r[0] for r in con.execute(f'SELECT DISTINCT "{column}" FROM typed_{key}').fetchall()]
    decided = []
    for value in values:
        cell = _cell(value)
        decided.append(UNSURE if cell is None else decide(cell))
    if UNSURE in decided:
        return None
    blanks = [v for v in values if _cell(v) == ""]
    if all(d == v for v, d in zip(values, decided, strict=True) if v not in blanks):
        listed = ", ".join(_text(v) for v in blanks) or "NULL"
        return f'CASE WHEN r."{column}" IN ({listed}) THEN {blank} ELSE r."{column}" END'
    schema = pa.schema([("raw", pa.string()), ("value", pa.string())])
    con.register(f"lk_{key}_{column}", pa.table([values, decided], schema=schema))
    return f"lk_{key}_{column}.value"


def _join(key: str, column: str) -> str:
    return f'LEFT JOIN lk_{key}_{column} ON lk_{key}_{column}.raw = r."{column}"'


def stage(head: Header, source: str) -> Staged | None:
    """Load, check and type a canonical responses file in DuckDB; the rows as frames.

    Like :func:`stage_in` in an in-memory connection of its own, with
    :attr:`Staged.responses`, :attr:`Staged.customers` and :attr:`Staged.ratings` filled.
    """
    import duckdb

    con = duckdb.connect()
    try:
        staged = stage_in(con, head, source, "0")
        if staged is not None:
            staged.responses, staged.customers, staged.ratings = (
                _frame(con, staged.sql[t]) for t in ("responses", "customers", "ratings")
            )
        return staged
    finally:
        con.close()


def stage_in(con, head: Header, source: str, key: str) -> Staged | None:
    """Load, check and type a canonical responses file into temporary tables of ``con``.

    ``con`` is a DuckDB connection (the one that later writes the rows); ``key`` names this
    file's tables (``typed_<key>``, ``customers_<key>``, ``lk_<key>_<column>``). Returns
    ``None``, leaving none of them behind, when DuckDB cannot read the file as the
    per-column reader would (ragged rows, broken quotes, bytes that are not UTF-8) or when
    any check fails; the caller then reads it the per-column way, which names every problem.
    """
    import duckdb

    con.execute("SET SESSION enable_progress_bar = false")
    con.execute("SET SESSION TimeZone = 'UTC'")
    try:
        staged = _stage(con, head, source, key)
    except duckdb.Error:
        staged = None
    if staged is None:
        drop(con, key)
    return staged


def drop(con, key: str) -> None:
    """Remove the temporary tables and registered lookups of staged file ``key``."""
    con.execute(f"DROP TABLE IF EXISTS temp.typed_{key}")
    con.execute(f"DROP TABLE IF EXISTS temp.customers_{key}")
    for column in LOOKUPS:
        con.execute(f"DROP VIEW IF EXISTS temp.lk_{key}_{column}")


def _stage(con, head: Header, source: str, key: str) -> Staged | None:
    con.execute(_load_sql(head, source, key))
    rows, bad, distinct = con.execute(
        "SELECT count(*), count(*) FILTER (WHERE bad), count(DISTINCT response_id) "
        f"FROM typed_{key}"
    ).fetchone()
    if rows == 0 or bad or distinct != rows:
        return None
    looked = {}
    for column, blank in LOOKUP_BLANKS.items():
        looked[column] = _lookup(con, key, column, blank) if column in head.columns else blank
        if looked[column] is None:
            return None
    return _result(con, head, source, key, rows, looked)


def _rating_columns(head: Header) -> list[str]:
    """The ``rating_<attribute>`` fields, in the file's order."""
    return [c for c in head.columns if c.startswith("rating_") and is_field(c)]


def _load_sql(head: Header, source: str, key: str) -> str:
    """SQL creating table ``typed_<key>``: the file read by ``read_csv``, typed, ``bad`` per row.

    Lookup columns stay as read (see :data:`LOOKUPS`); every other field is trimmed of
    spaces, missing markers become blanks, and each is typed with a pattern that admits
    only values the per-column path reads the same way. Free text (ids, comments) with a
    NUL byte, a carriage return or other blanks at its ends marks the row ``bad``.
    """
    table = f"typed_{key}"
    keys = {c: f"c{i}" for i, c in enumerate(head.columns)}
    columns = "{" + ", ".join(f"'{k}': 'VARCHAR'" for k in keys.values()) + "}"
    missing = ", ".join(_text(m) for m in DEFAULT_MISSING)
    edge = "".join(f"\\x{{{ord(c):x}}}" for c in WHITESPACE if c != " ")
    trimmed, cleaned, unsafe = [], [], []
    for name, key in keys.items():
        if not is_field(name):
            unsafe.append(f"contains({key}, chr(0)) OR strlen({key}) > {MAX_FIELD_CHARS}")
        elif name in LOOKUPS:
            cleaned.append(f"coalesce({key}, '') AS \"{name}\"")
        else:
            trimmed.append(
                f"CASE WHEN starts_with({key}, ' ') OR ends_with({key}, ' ') THEN trim({key}) "
                f"ELSE {key} END AS t{key}"
            )
            cleaned.append(
                f"CASE WHEN t{key} IS NULL OR t{key} IN ({missing}) THEN '' ELSE t{key} END "
                f'AS "{name}"'
            )
            if name in FREE_TEXT:
                unsafe.append(
                    f"regexp_matches({key}, '[\\x00\\r]|^ *[{edge}]|[{edge}] *$') "
                    f"OR strlen({key}) > {MAX_FIELD_CHARS}"
                )
    typed, problems = _typed(head, source)
    keep = ", ".join(f'"{n}"' for n in typed if not n.startswith("in_"))
    select = ", ".join(f'{sql} AS "{name}"' for name, sql in typed.items())
    return (
        f"CREATE TEMP TABLE {table} AS SELECT {keep}, ({' OR '.join(problems)}) IS TRUE AS bad "
        f"FROM (SELECT {select}, j.unsafe FROM ("
        f"SELECT {', '.join(cleaned)}, ({' OR '.join(unsafe) or 'false'}) AS unsafe FROM ("
        f"SELECT {', '.join(trimmed)}, * FROM read_csv({_text(str(head.path))}, "
        f"columns = {columns}, header = true, delim = {_text(head.delimiter)}, quote = '\"', "
        "escape = '\"', auto_detect = false, strict_mode = true, null_padding = false, "
        f"encoding = 'utf-8', max_line_size = {4 * MAX_FIELD_CHARS + 2})"
        ") j) j) t"
    )


#: Free-text fields: any value is accepted, so blanks other than spaces at their ends,
#: NUL bytes and carriage returns are left to the per-column path.
FREE_TEXT = ("response_id", "customer_id", "comment")


def _typed(head: Header, source: str) -> tuple[dict[str, str], list[str]]:
    """SQL for each typed column (over the cleaned text ``j``) and for each problem."""
    present = set(head.columns)

    def text(name: str) -> str:
        return f'j."{name}"' if name in present else "''"

    low, high = DEFAULT_SCALE
    when = text("responded_at")
    weight = text("weight") if head.delimiter == "," else f"replace({text('weight')}, ',', '.')"
    ratings = _rating_columns(head)
    typed = {
        "response_id": text("response_id"),
        "customer_id": f"CASE WHEN {text('customer_id')} = '' THEN {_text(source + ':')} || "
        f"{text('response_id')} ELSE {text('customer_id')} END",
        "responded_at": f"CASE WHEN regexp_full_match({when}, '{NAIVE_TIME}') "
        f"THEN TRY_CAST({when} AS TIMESTAMP) WHEN regexp_full_match({when}, '{AWARE_TIME}') "
        f"THEN CAST(TRY_CAST({when} AS TIMESTAMPTZ) AS TIMESTAMP) END",
        "nps": _score(text("nps"), 0, 10),
        "csat": _score(text("csat"), low, high),
        "comment": f"nullif({text('comment')}, '')",
        "weight": f"CASE WHEN {weight} = '' THEN 1.0 WHEN regexp_full_match({weight}, "
        f"'{UNSIGNED_NUMBER}') THEN TRY_CAST({weight} AS DOUBLE) END",
        **{c: text(c) for c in LOOKUPS if c in present},
        **{c: _score(text(c), low, high) for c in ratings},
    }
    checked = ["response_id", "nps", "csat", *ratings]
    typed.update({f"in_{c}": text(c) for c in checked})
    problems = [
        "unsafe",
        "in_response_id = ''",
        "responded_at IS NULL",
        *(f'("in_{c}" <> \'\' AND "{c}" IS NULL)' for c in ("nps", "csat", *ratings)),
        "weight IS NULL OR weight <= 0",
    ]
    return typed, problems


def _frame(con, sql: str) -> pd.DataFrame:
    """A query's result as an Arrow-backed DataFrame (no copy into Python objects)."""
    return con.execute(sql).fetch_arrow_table().to_pandas(types_mapper=pd.ArrowDtype)


def _result(con, head: Header, source: str, key: str, rows: int, looked: dict[str, str]) -> Staged:
    """The queries giving the typed rows in the file's order; the customers as a table."""
    low, high = DEFAULT_SCALE
    src = _text(source)
    joins = " ".join(_join(key, c) for c, sql in looked.items() if sql.startswith("lk_"))
    order = "ORDER BY r.rowid" if joins else ""
    body = (
        f"SELECT response_id, {src} AS source, customer_id, responded_at, "
        f"{looked['touchpoint']} AS touchpoint, {looked['language']} AS language, nps, csat, "
        f"CAST({low} AS TINYINT) AS csat_min, CAST({high} AS TINYINT) AS csat_max, "
        f"{looked['recommended_last_12m']} AS recommended_last_12m, "
        f"comment, weight FROM typed_{key} r {joins}"
    )
    last = ", ".join(
        f"max_by({looked[c]}, r.rowid) FILTER (WHERE {looked[c]} IS NOT NULL) AS {c}"
        for c in ("segment", "country", "industry")
    )
    con.execute(
        f"CREATE TEMP TABLE customers_{key} AS SELECT customer_id, {last} FROM typed_{key} r "
        f"{joins} GROUP BY customer_id ORDER BY min(r.rowid)"
    )
    parts = [
        f"SELECT response_id, {src} AS source, {_text(c[len('rating_') :])} AS attribute, "
        f'"{c}" AS rating, CAST({low} AS TINYINT) AS rating_min, '
        f"CAST({high} AS TINYINT) AS rating_max, {i} AS part, rowid AS rn "
        f'FROM typed_{key} WHERE "{c}" IS NOT NULL'
        for i, c in enumerate(_rating_columns(head))
    ] or [
        "SELECT NULL::VARCHAR AS response_id, NULL::VARCHAR AS source, "
        "NULL::VARCHAR AS attribute, NULL::TINYINT AS rating, NULL::TINYINT AS rating_min, "
        "NULL::TINYINT AS rating_max, 0 AS part, 0 AS rn WHERE false"
    ]
    ratings = f"SELECT * EXCLUDE (part, rn) FROM ({' UNION ALL '.join(parts)}) ORDER BY part, rn"
    starts, ends = con.execute(
        f"SELECT min(responded_at)::DATE, max(responded_at)::DATE FROM typed_{key}"
    ).fetchone()
    sql = {
        "responses": f"{body} {order}",
        "rows": body,
        "customers": f"SELECT * FROM customers_{key} ORDER BY rowid",
        "ratings": ratings,
    }
    return Staged(rows, starts, ends, sql)
