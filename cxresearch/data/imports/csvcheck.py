"""Check that a CSV file is whole before it is read: field counts, quotes, field sizes.

A file cut short, a quote never closed or a row with too few or too many fields is refused
with its row and column named, instead of being padded with blanks.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from cxresearch.data.imports.problems import MAX_FIELD_CHARS, MAX_PROBLEMS, Problem, raise_problems


def parse_csv(text: str, delimiter: str) -> pd.DataFrame:
    """Parse CSV text into string columns with Arrow's multi-threaded reader.

    Quoted fields may hold delimiters and newlines; rows are padded to the longest row.
    """
    data = text.lstrip("\ufeff").encode("utf-8")
    width = field_count(text, delimiter)
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


def field_count(text: str, delimiter: str) -> int:
    """Fields in the widest of the first lines (header rows may be ragged)."""
    lines = io.StringIO(text.lstrip("\ufeff")[:200_000])
    with field_limit():
        reader = csv.reader(lines, delimiter=delimiter)
        widths = [len(row) for _, row in zip(range(50), reader, strict=False)]
    return max(widths) if widths else 1


class field_limit:  # noqa: N801 - a context manager read as a phrase
    """Let the csv module read fields up to 16 MiB (its default is 128 KiB).

    16 MiB is the block size of the Arrow reader, which cannot read a longer row anyway;
    values over :data:`MAX_FIELD_CHARS` are refused by :func:`_check_cells`.
    """

    def __enter__(self) -> None:
        self._old = csv.field_size_limit(CSV_FIELD_LIMIT)

    def __exit__(self, *exc) -> None:
        csv.field_size_limit(self._old)


CSV_FIELD_LIMIT = 1 << 24


def excerpt(value: str, width: int = 40) -> str:
    """The first ``width`` characters of ``value``, with an ellipsis if cut."""
    return value if len(value) <= width else value[:width] + "…"


def check_structure(path: Path, text: str, delimiter: str) -> None:
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
            problems.append(Problem(path.name, row_no, column(i), excerpt(value), expected))

    with field_limit():
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
                add(index + 1 - blank, i, cells[i], TOO_LONG)
            elif "unexpected end of data" in str(exc):
                i, value = quote_problem(first, delimiter)
                add(index + 1 - blank, i, value, UNTERMINATED)
            else:
                i, value = quote_problem(first, delimiter)
                expected = 'a quote inside a quoted value written twice ("")'
                add(index + 1 - blank, i, value, expected)
    if total:
        raise_problems(path, problems, total)


TOO_LONG = f"a value of at most {MAX_FIELD_CHARS:,} characters"


UNTERMINATED = (
    "a closing quote: the quoted value opened here runs to the end of the file "
    "(an unterminated quote; the file may be cut short)"
)


def quote_problem(line: str, delimiter: str) -> tuple[int, str]:
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


def sniff_delimiter(text: str) -> str:
    """Choose `,`, `;` or tab: the one splitting the header line into most fields."""
    first = text.lstrip("\ufeff").split("\n", 1)[0]
    unquoted = re.sub(r'"[^"]*"', "", first)
    counts = {d: unquoted.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] > 0 else ","
