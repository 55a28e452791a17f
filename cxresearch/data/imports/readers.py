"""Read survey files into a table of text cells, recognising the tool that wrote them.

Every reader returns a :class:`RawTable`: the data as strings, the column keys, the
question text behind each column, and how many header rows preceded the data, so that
errors can name rows as the user counts them (row 1 is the file's first row).
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from cxresearch.data.imports.csvcheck import (
    TOO_LONG,
    check_structure,
    excerpt,
    parse_csv,
    sniff_delimiter,
)
from cxresearch.data.imports.encoding import decode
from cxresearch.data.imports.problems import (  # noqa: F401 - re-exported
    MAX_FIELD_CHARS,
    MAX_PROBLEMS,
    Problem,
    raise_problems,
)
from cxresearch.errors import ImportValidationError

FORMATS = ("auto", "csv", "xlsx", "qualtrics", "surveymonkey", "spss")


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
    delimiter = sniff_delimiter(decoded.text)
    text = decoded.text
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    check_structure(path, text, delimiter)
    try:
        try:
            records = parse_csv(text, delimiter)
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
                value = excerpt(str(values[int(i)]))
                expected = TOO_LONG if long[i] else no_nul
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
