"""Problems found in a survey export: each names file, row, column and value."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

from cxresearch.errors import ImportValidationError

#: Problems listed in one error; the count of the rest is given.
MAX_PROBLEMS = 50


#: The longest value accepted in one cell, in characters. A 150 KiB comment is accepted; a
#: value of a million characters is not a survey answer but a broken file (an unclosed
#: quote swallowing the rest, or binary data).
MAX_FIELD_CHARS = 1_000_000


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
