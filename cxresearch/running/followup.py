"""Follow-up lists for the CX team: detractors to call back, promoters to ask for referrals.

These lists carry customer ids. They are written as files beside the reports (CSV or
Excel) for the team's CRM, never embedded in a stakeholder report.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import ibis
import pandas as pd

from cxresearch import config
from cxresearch.data import db

COLUMNS = ["list", "customer_id", "response_id", "responded_at", "days_since_response", "nps",
           "recommended_last_12m", "touchpoint", "segment", "country", "monthly_spend",
           "comment"]  # fmt: skip
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def follow_up_lists(
    con: ibis.BaseBackend, *, since: str | dt.date | None = None, as_of: dt.date | None = None
) -> pd.DataFrame:
    """Detractors to call back and promoters who have not yet recommended.

    Parameters
    ----------
    con
        Survey database connection.
    since
        Only responses on or after this date.
    as_of
        The day ``days_since_response`` counts to (default today).

    Returns
    -------
    pandas.DataFrame
        :data:`COLUMNS`; ``list`` is ``call_back`` (scores 0-6) or ``referral`` (9-10 and
        answered *no* to having recommended), each newest first and, within a day, highest
        monthly spend first. A customer appears once per list, with their latest response.
    """
    r = db.read_responses(con, start=since)
    r = r.filter(r.nps.notnull())
    wanted = r.mutate(
        list=ibis.cases(
            (r.nps <= config.DETRACTOR_MAX, "call_back"),
            ((r.nps >= config.PROMOTER_MIN) & (r.recommended_last_12m == "no"), "referral"),
            else_=None,
        )
    )
    wanted = wanted.filter(wanted.list.notnull())
    s = db.table(con, "spend")
    spend = s.group_by("customer_id").aggregate(monthly_spend=s.amount.mean())
    rows = wanted.left_join(spend, "customer_id").to_pandas()
    as_of = pd.Timestamp(as_of or dt.date.today())
    rows["responded_at"] = pd.to_datetime(rows["responded_at"])
    rows = rows.sort_values("responded_at", ascending=False)
    rows = rows.drop_duplicates(["list", "customer_id"], keep="first")
    rows["days_since_response"] = (as_of - rows["responded_at"].dt.normalize()).dt.days
    rows["_day"] = rows["responded_at"].dt.normalize()
    rows = rows.sort_values(["list", "_day", "monthly_spend"], ascending=[True, False, False],
                            na_position="last")  # fmt: skip
    return rows[COLUMNS].reset_index(drop=True)


def _safe_cell(value):
    """Keep untrusted text from running as a spreadsheet formula (CSV injection)."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def write_follow_up(lists: pd.DataFrame, path: str | Path) -> Path:
    """Write the lists as ``.csv`` (one file, a ``list`` column) or ``.xlsx`` (a sheet each)."""
    from cxresearch.running.publish import write_atomic

    path = Path(path)
    safe = lists.copy()
    for col in ("comment", "touchpoint", "customer_id", "response_id"):
        safe[col] = safe[col].map(_safe_cell)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix.lower() == ".csv":
        write_atomic(path, safe.to_csv(index=False))
    elif path.suffix.lower() == ".xlsx":
        tmp = path.with_name(f".{path.name}.tmp.xlsx")
        with pd.ExcelWriter(tmp) as writer:
            for name in ("call_back", "referral"):
                safe[safe["list"] == name].to_excel(writer, sheet_name=name, index=False)
        tmp.replace(path)
    else:
        raise ValueError(f"--out must end in .csv or .xlsx, got {path.name}")
    return path
