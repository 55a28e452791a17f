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
           "currency", "comment"]  # fmt: skip
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
        ``monthly_spend`` is the mean monthly amount in ``currency`` (the customer's ISO
        code in the spend table; missing when their amounts are in several currencies).
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
    spend = s.group_by("customer_id").aggregate(
        monthly_spend=s.amount.mean(), currency=s.currency.max(), _currencies=s.currency.nunique()
    )
    rows = wanted.left_join(spend, "customer_id").to_pandas()
    rows["currency"] = rows["currency"].where(rows["_currencies"] == 1)
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
    """Write the lists as ``.csv`` (one file, a ``list`` column) or ``.xlsx`` (a sheet each).

    CSV is plain text; cells that would start a formula get a leading ``'``. Excel has typed
    columns: money as numbers in a currency format (the row's ``currency`` column, when
    there is one), dates and times as dates, whole numbers as numbers; a frozen, filtered
    header row and column widths that fit the content. Text is always stored as text, so a
    comment such as ``=HYPERLINK(...)`` is never a formula.
    """
    from cxresearch.running.publish import write_atomic

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix.lower() == ".csv":
        safe = lists.copy()
        for col in ("comment", "touchpoint", "customer_id", "response_id"):
            safe[col] = safe[col].map(_safe_cell)
        write_atomic(path, safe.to_csv(index=False))
    elif path.suffix.lower() == ".xlsx":
        tmp = path.with_name(f".{path.name}.tmp.xlsx")
        _workbook(lists).save(tmp)
        tmp.replace(path)
    else:
        raise ValueError(f"--out must end in .csv or .xlsx, got {path.name}")
    return path


#: Columns of money amounts, formatted in the row's ``currency``.
MONEY = ("monthly_spend",)
_WIDEST = 60  # characters; longer text wraps


def _workbook(lists: pd.DataFrame):
    """An openpyxl workbook with a sheet per list: typed cells, frozen filtered header."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    book = Workbook()
    book.remove(book.active)
    columns = list(lists.columns)
    for name in ("call_back", "referral"):
        part = lists[lists["list"] == name]
        sheet = book.create_sheet(name)
        sheet.append(columns)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for j, col in enumerate(columns, start=1):
            values = part[col]
            formats = _number_formats(part, col)
            widths = [len(col) + 3]  # room for the filter button
            for i, value in enumerate(values.tolist(), start=2):
                cell = sheet.cell(row=i, column=j, value=_excel_value(value))
                if isinstance(cell.value, str):
                    cell.data_type = "s"  # never a formula
                    cell.quotePrefix = cell.value.startswith(_FORMULA_START)
                    widths.append(len(cell.value))
                elif cell.value is not None:
                    cell.number_format = formats[i - 2]
                    widths.append(_shown_width(cell.value, cell.number_format))
            width = min(max(widths) + 2, _WIDEST)
            sheet.column_dimensions[get_column_letter(j)].width = width
            if width == _WIDEST:
                for (cell,) in sheet.iter_rows(min_row=2, min_col=j, max_col=j):
                    cell.alignment = Alignment(wrap_text=True, vertical="top")
        sheet.freeze_panes = "A2"
        sheet.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{len(part) + 1}"
    return book


def _number_formats(part: pd.DataFrame, col: str) -> list[str]:
    """The Excel number format of each cell of a column."""
    values = part[col]
    if col in MONEY:
        codes = part["currency"] if "currency" in part else pd.Series(None, index=part.index)
        return [f"#,##0.00 [${c}]" if isinstance(c, str) and c else "#,##0.00" for c in codes]
    if pd.api.types.is_datetime64_any_dtype(values):
        times = values.dropna()
        midnight = (times == times.dt.normalize()).all()
        return ["yyyy-mm-dd" if midnight else "yyyy-mm-dd hh:mm"] * len(values)
    if pd.api.types.is_integer_dtype(values) or pd.api.types.is_bool_dtype(values):
        return ["0"] * len(values)
    if pd.api.types.is_float_dtype(values):
        whole = values.dropna().eq(values.dropna().round()).all()
        return ["0" if whole else "0.00"] * len(values)
    return ["General"] * len(values)


def _excel_value(value):
    """A value openpyxl writes as the right type: naive datetimes, Python numbers, None."""
    if value is None or value is pd.NaT or (isinstance(value, float) and value != value):
        return None
    if value is pd.NA:
        return None
    if isinstance(value, pd.Timestamp):
        if value.tzinfo is not None:
            value = value.tz_convert("UTC").tz_localize(None)
        return value.to_pydatetime()
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return value.astimezone(dt.UTC).replace(tzinfo=None)
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    return value


def _shown_width(value, number_format: str) -> int:
    """About how many characters Excel shows for a number or date in ``number_format``."""
    if isinstance(value, dt.datetime | dt.date):
        return len(number_format)
    if isinstance(value, float) and "0.00" in number_format:
        return len(f"{value:,.2f}") + len(number_format.partition("[$")[2])
    return len(str(value))
