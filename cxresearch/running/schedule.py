"""Schedules: reading and checking the YAML, and its relative periods (``last_quarter``)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pandas as pd

from cxresearch.data import secrets
from cxresearch.errors import ParameterError
from cxresearch.running import params

RELATIVE_PERIODS = (
    "last_month", "last_quarter", "last_year", "same_month_last_year", "year_to_date",
)  # fmt: skip
_SCHEDULE_KEYS = {"name", "as_of", "timeout", "retries", "pdf", "reports"}
_REPORT_KEYS = {"notebook", "output", "period", "params", "matrix", "pdf"}


def resolve_period(period: str | dict | None, as_of: dt.date) -> tuple[str, str] | None:
    """Turn a relative period into ``(first day, last day)`` as ISO dates.

    Parameters
    ----------
    period
        One of :data:`RELATIVE_PERIODS`, a mapping ``{start: ..., end: ...}``, or None.
    as_of
        The day the batch runs for ("today").

    Examples
    --------
    >>> resolve_period("last_quarter", dt.date(2026, 11, 23))
    ('2026-07-01', '2026-09-30')
    >>> resolve_period("same_month_last_year", dt.date(2026, 3, 5))
    ('2025-02-01', '2025-02-28')
    """
    if period is None:
        return None
    if isinstance(period, dict):
        return str(period["start"]), str(period["end"])
    today = pd.Timestamp(as_of)
    this_month = today.replace(day=1)
    if period == "last_month":
        start = this_month - pd.DateOffset(months=1)
        end = this_month - pd.Timedelta(days=1)
    elif period == "same_month_last_year":
        start = this_month - pd.DateOffset(months=13)
        end = start + pd.offsets.MonthEnd(0)
    elif period == "last_quarter":
        q_start = today.to_period("Q").start_time
        start = q_start - pd.DateOffset(months=3)
        end = q_start - pd.Timedelta(days=1)
    elif period == "last_year":
        start = pd.Timestamp(year=today.year - 1, month=1, day=1)
        end = pd.Timestamp(year=today.year - 1, month=12, day=31)
    elif period == "year_to_date":
        start = pd.Timestamp(year=today.year, month=1, day=1)
        end = this_month - pd.Timedelta(days=1)
    else:
        raise ParameterError(
            f"unknown period {period!r}: use one of {', '.join(RELATIVE_PERIODS)} "
            "or {start: YYYY-MM-DD, end: YYYY-MM-DD}"
        )
    return start.date().isoformat(), end.date().isoformat()


def load_schedule(path: str | Path) -> dict[str, Any]:
    """Read and check a schedule YAML."""
    path = Path(path)
    data = params.load_params_file(path)
    found = secrets.find_secret(data)
    if found:  # parameters, matrices, names and patterns alike, at any depth
        raise ParameterError(
            f"schedule {path}: {found[0] or 'a key'} holds {found[1]}: pass no credentials in "
            "schedules; a database password goes in CX_DATABASE_PASSWORD, a secrets file or "
            "~/.pgpass"
        )
    unknown = set(data) - _SCHEDULE_KEYS
    if unknown:
        raise ParameterError(
            f"schedule {path}: unknown key(s) {sorted(unknown)}; "
            f"expected some of {sorted(_SCHEDULE_KEYS)}"
        )
    reports = data.get("reports")
    if not isinstance(reports, list) or not reports:
        raise ParameterError(f"schedule {path}: 'reports' must be a non-empty list")
    for i, entry in enumerate(reports, 1):
        if not isinstance(entry, dict) or "notebook" not in entry or "output" not in entry:
            raise ParameterError(f"schedule {path}: report {i} needs 'notebook' and 'output'")
        extra = set(entry) - _REPORT_KEYS
        if extra:
            raise ParameterError(
                f"schedule {path}: report {i} has unknown key(s) "
                f"{sorted(extra)}; expected some of {sorted(_REPORT_KEYS)}"
            )
    return data
