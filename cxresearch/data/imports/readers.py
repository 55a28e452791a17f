"""Read survey files into a table of text cells, recognising the tool that wrote them.

Every reader returns a :class:`RawTable`: the data as strings, the column keys, the
question text behind each column, and how many header rows preceded the data, so that
errors can name rows as the user counts them (row 1 is the file's first row).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import NoReturn

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from cxresearch.data.imports.encoding import decode
from cxresearch.errors import ImportValidationError

FORMATS = ("auto", "csv", "xlsx", "qualtrics", "surveymonkey", "spss")

#: Problems listed in one error; the count of the rest is given.
MAX_PROBLEMS = 50

#: The longest value accepted in one cell, in characters. A 150 KiB comment is accepted; a
#: value of a million characters is not a survey answer but a broken file (an unclosed
#: quote swallowing the rest, or binary data).
MAX_FIELD_CHARS = 1_000_000

#: Columns that identify the canonical files (see docs/import.md).
CANONICAL_RESPONSES = (
    "response_id", "customer_id", "responded_at", "nps", "csat", "recommended_last_12m",
    "segment", "country", "industry", "touchpoint", "language", "comment", "weight",
)  # fmt: skip
CANONICAL_SPEND = ("customer_id", "month", "amount", "currency")
CANONICAL_INTERACTIONS = (
    "interaction_id", "customer_id", "agent_id", "team", "occurred_at", "csat", "complaint",
)  # fmt: skip
CANONICAL_CUSTOMERS = (
    "customer_id", "segment", "country", "industry", "first_purchase_date", "churn_date",
    "churned",
)  # fmt: skip
CANONICAL_AGENTS = ("agent_id", "team", "month", "asat", "n")


@dataclass(frozen=True)
class Problem:
    """One bad cell: the file, the row as the user counts it, the column, the value."""

    file: str
    row: int
    column: str
    value: str
    expected: str

    def __str__(self) -> str:
        where = f"{self.file}, row {self.row}, column {self.column!r}"
        return f"{where}: {self.value!r}: expected {self.expected}"


def raise_problems(
    path: str | Path, problems: Sequence[Problem], total: int | None = None
) -> NoReturn:
    """Raise one :class:`ImportValidationError` listing ``problems`` (sorted by row, column).

    One problem gives one line; several give a header line and one line each.

    Parameters
    ----------
    path
        The file the problems were found in.
    problems
        The problems (at most :data:`MAX_PROBLEMS` are listed).
    total
        How many problems were found in all (default: ``len(problems)``).
    """
    shown_problems = sorted(problems, key=lambda p: (p.row, p.column))[:MAX_PROBLEMS]
    total = len(problems) if total is None else total
    head = f"{path}: {total} problem(s) found; nothing was imported"
    if total == 1:
        raise ImportValidationError(f"{head}: {shown_problems[0]}", shown_problems)
    shown = "\n".join(f"  - {p}" for p in shown_problems)
    more = f"\n  ... and {total - len(shown_problems)} more" if total > len(shown_problems) else ""
    raise ImportValidationError(f"{head}:\n{shown}{more}", shown_problems)


@dataclass
class RawTable:
    """A survey file read as text, before any mapping or validation."""

    path: Path
    frame: pd.DataFrame
    header_rows: int
    format: str
    encoding: str = "binary"
    delimiter: str | None = None
    questions: dict[str, str] = field(default_factory=dict)
    value_labels: dict[str, dict] = field(default_factory=dict)
    #: Time zone per column, where the file states one (Qualtrics' ImportId row).
    timezones: dict[str, str] = field(default_factory=dict)

    def row_number(self, index: int) -> int:
        """The row as the user counts it (header rows included, first row is 1)."""
        return self.header_rows + int(index) + 1

    @property
    def kind(self) -> str:
        """What the file holds, from its columns.

        ``spend``, ``interactions``, ``agent_satisfaction``, ``customers`` or (any other
        file) ``responses``.
        """
        cols = set(self.frame.columns)
        if {"response_id", "responded_at"} & cols:
            return "responses"
        if set(CANONICAL_SPEND[:3]) <= cols:
            return "spend"
        if {"interaction_id", "customer_id", "occurred_at"} <= cols:
            return "interactions"
        if {"agent_id", "month", "asat"} <= cols:
            return "agent_satisfaction"
        if "customer_id" in cols and cols <= set(CANONICAL_CUSTOMERS) and len(cols) > 1:
            return "customers"
        return "responses"


def read(path: str | Path, fmt: str = "auto") -> RawTable:
    """Read a survey file.

    Parameters
    ----------
    path
        A ``.csv`` / ``.txt`` / ``.tsv``, ``.xlsx`` or ``.sav`` file.
    fmt
        One of :data:`FORMATS`; ``auto`` recognises the format from the file.

    Returns
    -------
    RawTable
    """
    path = Path(path)
    if fmt not in FORMATS:
        raise ImportValidationError(f"{path}: unknown format {fmt!r}; expected one of {FORMATS}")
    if not path.is_file():
        raise ImportValidationError(f"{path}: no such file")
    suffix = path.suffix.lower()
    if fmt == "spss" or (fmt == "auto" and suffix in (".sav", ".zsav")):
        return _check_cells(_read_spss(path))
    if fmt == "xlsx" or (fmt == "auto" and suffix in (".xlsx", ".xlsm")):
        records = _read_excel(path)
        return _check_cells(_recognise(path, records, fmt, encoding="xlsx", delimiter=None))
    decoded = decode(path.read_bytes(), name=path)
    delimiter = _sniff_delimiter(decoded.text)
    text = decoded.text
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    _check_structure(path, text, delimiter)
    try:
        try:
            records = _parse_csv(text, delimiter)
        except pa.ArrowInvalid:  # ragged rows: pandas pads them
            records = pd.read_csv(
                io.StringIO(text),
                sep=delimiter,
                header=None,
                dtype=str,
                keep_default_na=False,
                engine="c",
            ).astype("string[pyarrow]")
    except (pa.ArrowInvalid, pd.errors.ParserError, ValueError) as exc:
        raise ImportValidationError(
            f"{path}: not a readable {delimiter!r}-separated file: {exc}"
        ) from None
    raw = _recognise(path, records, fmt, encoding=decoded.describe(), delimiter=delimiter)
    return _check_cells(raw)


def _parse_csv(text: str, delimiter: str) -> pd.DataFrame:
    """Parse CSV text into string columns with Arrow's multi-threaded reader.

    Quoted fields may hold delimiters and newlines; rows are padded to the longest row.
    """
    data = text.lstrip("\ufeff").encode("utf-8")
    width = _field_count(text, delimiter)
    table = pacsv.read_csv(
        io.BytesIO(data),
        read_options=pacsv.ReadOptions(
            column_names=[f"f{i}" for i in range(width)], block_size=1 << 24
        ),
        parse_options=pacsv.ParseOptions(
            delimiter=delimiter,
            newlines_in_values=True,
        ),
        convert_options=pacsv.ConvertOptions(
            column_types={f"f{i}": pa.string() for i in range(width)},
            strings_can_be_null=False,
            quoted_strings_can_be_null=False,
        ),
    )
    frame = table.to_pandas(types_mapper=lambda t: pd.StringDtype("pyarrow"))
    return frame.fillna("")


def _field_count(text: str, delimiter: str) -> int:
    """Fields in the widest of the first lines (header rows may be ragged)."""
    lines = io.StringIO(text.lstrip("\ufeff")[:200_000])
    with _field_limit():
        reader = csv.reader(lines, delimiter=delimiter)
        widths = [len(row) for _, row in zip(range(50), reader, strict=False)]
    return max(widths) if widths else 1


class _field_limit:  # noqa: N801 - a context manager read as a phrase
    """Let the csv module read fields up to 16 MiB (its default is 128 KiB).

    16 MiB is the block size of the Arrow reader, which cannot read a longer row anyway;
    values over :data:`MAX_FIELD_CHARS` are refused by :func:`_check_cells`.
    """

    def __enter__(self) -> None:
        self._old = csv.field_size_limit(_CSV_FIELD_LIMIT)

    def __exit__(self, *exc) -> None:
        csv.field_size_limit(self._old)


_CSV_FIELD_LIMIT = 1 << 24


def _excerpt(value: str, width: int = 40) -> str:
    return value if len(value) <= width else value[:width] + "…"


def _check_structure(path: Path, text: str, delimiter: str) -> None:
    """Refuse a CSV text that is not whole: every row as wide as the first, quotes closed.

    Raises :class:`ImportValidationError` naming row and column for a row with more or
    fewer fields than the header row (a last row cut short when the file ends without a
    line break is called truncated), a quoted value still open at the end of the file, a
    stray quote inside a quoted value, and a value longer than the csv reader's limit.
    Blank lines are skipped, as the parser skips them. Good rows cost one length check.
    """
    lines = text.lstrip("\ufeff").splitlines(keepends=True)
    problems: list[Problem] = []
    total = 0
    header: list[str] = []
    width = -1  # fields in the header row, once read
    blank = 0  # blank lines so far: rows are counted without them
    index = -1

    def column(i: int) -> str:
        name = header[i].strip() if i < len(header) else ""
        return name or f"column_{i + 1}"

    def add(row_no: int, i: int, value: str, expected: str) -> None:
        nonlocal total
        total += 1
        if len(problems) < MAX_PROBLEMS:
            problems.append(Problem(path.name, row_no, column(i), _excerpt(value), expected))

    with _field_limit():
        reader = csv.reader(lines, delimiter=delimiter, strict=True)
        try:
            for index, fields in enumerate(reader):
                if len(fields) == width:
                    continue
                if not fields:
                    blank += 1
                elif not header:
                    header, width = fields, len(fields)
                elif len(fields) > len(header):
                    n = len(fields)
                    expected = f"{len(header)} fields as in row 1, found {n}"
                    add(index + 1 - blank, len(header), fields[len(header)], expected)
                elif reader.line_num == len(lines) and not text.endswith("\n"):
                    expected = (
                        f"{len(header)} fields as in row 1: the last row stops after "
                        f"{len(fields)} fields and the file ends without a line break "
                        "(truncated: the file is cut short)"
                    )
                    add(index + 1 - blank, len(fields), "", expected)
                else:
                    expected = f"{len(header)} fields as in row 1, found {len(fields)}"
                    add(index + 1 - blank, len(fields), "", expected)
        except csv.Error as exc:
            index += 1  # the record that failed
            # the failing record starts on the line after the records read before it
            before = csv.reader(lines, delimiter=delimiter)
            for _ in zip(range(index), before, strict=False):
                pass
            first = lines[before.line_num].rstrip("\n") if before.line_num < len(lines) else ""
            if "field larger than field limit" in str(exc):
                csv.field_size_limit(len(first) + 2)  # restored when the block ends
                cells = next(csv.reader([first], delimiter=delimiter), [""])
                i = max(range(len(cells)), key=lambda k: len(cells[k]))
                add(index + 1 - blank, i, cells[i], _TOO_LONG)
            elif "unexpected end of data" in str(exc):
                i, value = _quote_problem(first, delimiter)
                add(index + 1 - blank, i, value, _UNTERMINATED)
            else:
                i, value = _quote_problem(first, delimiter)
                expected = 'a quote inside a quoted value written twice ("")'
                add(index + 1 - blank, i, value, expected)
    if total:
        raise_problems(path, problems, total)


_TOO_LONG = f"a value of at most {MAX_FIELD_CHARS:,} characters"
_UNTERMINATED = (
    "a closing quote: the quoted value opened here runs to the end of the file "
    "(an unterminated quote; the file may be cut short)"
)


def _quote_problem(line: str, delimiter: str) -> tuple[int, str]:
    """The index and text of the first field of ``line`` whose quoting is broken.

    A quoted field is broken when it never closes on this line or when its closing quote
    is followed by something other than the delimiter.
    """
    pos, index = 0, 0
    while pos <= len(line):
        if line.startswith('"', pos):
            end = pos + 1
            while True:
                end = line.find('"', end)
                if end == -1:
                    return index, line[pos + 1 :]
                if line.startswith('""', end):
                    end += 2
                    continue
                break
            if end + 1 < len(line) and line[end + 1] != delimiter:
                return index, line[pos + 1 :]
            pos = end + 2
        else:
            nxt = line.find(delimiter, pos)
            if nxt == -1:
                break
            pos = nxt + 1
        index += 1
    return max(index, 0), ""


def _check_cells(raw: RawTable) -> RawTable:
    """Refuse NUL bytes (databases cannot store them in text) and values over the limit.

    Checks every header and cell of a file of any format, a column at a time.
    """
    problems: list[Problem] = []
    total = 0
    no_nul = "text without NUL bytes (\\x00)"
    for key in raw.frame.columns:
        if "\x00" in str(key):
            total += 1
            problems.append(Problem(raw.path.name, raw.header_rows, str(key), str(key), no_nul))
    for key in raw.frame.columns:
        values = _arrow_text(raw.frame[key])
        nul = pc.fill_null(pc.match_substring(values, "\x00"), False).to_numpy(False)
        long = pc.fill_null(pc.greater(pc.utf8_length(values), MAX_FIELD_CHARS), False)
        long = long.to_numpy(False)
        for i in np.flatnonzero(nul | long):
            total += 1
            if len(problems) < MAX_PROBLEMS:
                value = _excerpt(str(values[int(i)]))
                expected = _TOO_LONG if long[i] else no_nul
                problems.append(Problem(raw.path.name, raw.row_number(i), key, value, expected))
    if total:
        raise_problems(raw.path, problems, total)
    return raw


def _arrow_text(values: pd.Series) -> pa.Array:
    """A column as an Arrow string array (zero-copy for the CSV reader's columns)."""
    try:
        return pa.array(values, type=pa.large_string(), from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return pa.array(values.astype(str), type=pa.large_string())


def _sniff_delimiter(text: str) -> str:
    """Choose `,`, `;` or tab: the one splitting the header line into most fields."""
    first = text.lstrip("\ufeff").split("\n", 1)[0]
    unquoted = re.sub(r'"[^"]*"', "", first)
    counts = {d: unquoted.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] > 0 else ","


def _read_excel(path: Path) -> pd.DataFrame:
    try:
        frame = pd.read_excel(path, header=None, dtype=object, sheet_name=0)
    except Exception as exc:
        raise ImportValidationError(f"{path}: not a readable Excel file: {exc}") from None
    return frame.map(_cell_text)


def _cell_text(value) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, pd.Timestamp):
        return value.isoformat(sep=" ")
    return str(value)


def _read_spss(path: Path) -> RawTable:
    import pyreadstat

    try:
        # user-defined missing codes and missing ranges become NaN (user_missing=False)
        frame, meta = pyreadstat.read_sav(str(path), user_missing=False)
    except Exception as exc:
        raise ImportValidationError(f"{path}: not a readable SPSS file: {exc}") from None
    text = frame.map(_cell_text) if len(frame) else frame.astype(str)
    return RawTable(
        path=path,
        frame=text.reset_index(drop=True),
        header_rows=0,
        format="spss",
        encoding=meta.file_encoding or "spss",
        questions={k: v for k, v in meta.column_names_to_labels.items() if v},
        value_labels=dict(meta.variable_value_labels),
    )


def _is_qualtrics_import_row(cells) -> bool:
    first = str(cells[0]).strip()
    return first.startswith(('{"ImportId"', "{'ImportId'", '{""ImportId'))


def _recognise(
    path: Path, records: pd.DataFrame, fmt: str, *, encoding: str, delimiter: str | None
) -> RawTable:
    if records.empty:
        raise ImportValidationError(f"{path}: the file is empty")
    rows = [[str(c) for c in records.iloc[i]] for i in range(min(3, len(records)))]
    head = [str(c).strip() for c in rows[0]]
    if fmt in ("auto", "qualtrics") and len(rows) >= 3 and _is_qualtrics_import_row(rows[2]):
        table = _table(path, records, 3, head, rows[1], "qualtrics", encoding, delimiter)
        table.timezones = _qualtrics_timezones(list(table.frame.columns), rows[2])
        return table
    if fmt in ("auto", "qualtrics") and head and head[0] == "V1" and len(rows) >= 2:
        # legacy Qualtrics: V1..Vn ids, question row, a trailing comma on every line
        if head[-1] == "":
            records = records.iloc[:, :-1]
            head, second = head[:-1], rows[1][:-1]
        else:
            second = rows[1]
        return _table(path, records, 2, head, second, "qualtrics", encoding, delimiter)
    if fmt == "qualtrics":
        raise ImportValidationError(
            f"{path}: not a Qualtrics export (expected an ImportId row 3 or V1..Vn ids in row 1)"
        )
    second = [str(c).strip() for c in rows[1]] if len(rows) >= 2 else []
    monkey = second and any(c in ("Response", "Open-Ended Response") for c in second)
    if fmt == "surveymonkey" or (fmt == "auto" and monkey):
        if not second:
            raise ImportValidationError(f"{path}: a SurveyMonkey export has 2 header rows")
        keys, questions = _surveymonkey_columns(head, second)
        frame = records.iloc[2:].reset_index(drop=True)
        frame.columns = keys
        return RawTable(path, frame, 2, "surveymonkey", encoding, delimiter, questions)
    return _table(path, records, 1, head, head, "csv", encoding, delimiter)


def _qualtrics_timezones(keys: list[str], cells: list[str]) -> dict[str, str]:
    """The ``timeZone`` each ImportId cell states (``{"ImportId":"endDate","timeZone":...}``)."""
    import ast
    import json

    zones = {}
    for key, cell in zip(keys, cells, strict=False):
        try:
            info = json.loads(cell)
        except ValueError:
            try:
                info = ast.literal_eval(cell)
            except (ValueError, SyntaxError):
                continue
        if isinstance(info, dict) and info.get("timeZone"):
            zones[key] = str(info["timeZone"])
    return zones


def _table(path, records, header_rows, keys, questions, fmt, encoding, delimiter) -> RawTable:
    keys = _unique([str(k).strip() or f"column_{i + 1}" for i, k in enumerate(keys)])
    frame = records.iloc[header_rows:].reset_index(drop=True)
    frame.columns = keys
    texts = {k: " ".join(str(q).split()) for k, q in zip(keys, questions, strict=False)}
    return RawTable(path, frame, header_rows, fmt, encoding, delimiter, texts)


def _surveymonkey_columns(first: list[str], second: list[str]) -> tuple[list[str], dict[str, str]]:
    """Column keys for SurveyMonkey's two header rows.

    A blank cell in the first row continues the question to its left; the second row
    holds ``Response``, ``Open-Ended Response`` or the option text.
    """
    keys, questions, current = [], {}, ""
    for i, top in enumerate(first):
        top = " ".join(str(top).split())
        current = top or current
        sub = second[i] if i < len(second) else ""
        key = current if sub in ("", "Response") else f"{current} | {sub}"
        keys.append(key)
    keys = _unique([k or f"column_{i + 1}" for i, k in enumerate(keys)])
    for key in keys:
        questions[key] = key
    return keys, questions


def _unique(keys: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for key in keys:
        if key in seen:
            seen[key] += 1
            out.append(f"{key} ({seen[key]})")
        else:
            seen[key] = 1
            out.append(key)
    return out
