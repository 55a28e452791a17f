"""Follow-up lists as Excel files CX teams can use: typed cells, frozen filtered header, widths."""

from __future__ import annotations

import datetime as dt

import openpyxl
import pandas as pd
import pytest

from cxresearch.data import db, demo
from cxresearch.running import followup

LONG = "The parcel came two weeks late and nobody answered the phone. " * 3


def _lists() -> pd.DataFrame:
    """Three call-backs (EUR, SEK, mixed currencies) and no referral."""
    return pd.DataFrame(
        {
            "list": ["call_back"] * 3,
            "customer_id": ["C0000001", "C0000002", "-C0000003"],
            "response_id": ["R00000001", "R00000002", "R00000003"],
            "responded_at": pd.to_datetime(
                ["2026-10-03 08:51:29", "2026-10-02 17:05:00", "2026-09-30 09:00:00"]
            ),
            "days_since_response": [51, 52, 54],
            "nps": pd.Series([3, 0, 6], dtype="int8"),
            "recommended_last_12m": ["no", "no", None],
            "touchpoint": ["relationship", "service_call", "website_visit"],
            "segment": ["B2C", "B2B", "B2B"],
            "country": ["DK", "SE", "NL"],
            "monthly_spend": [9776.169583333334, 1234.5, float("nan")],
            "currency": ["EUR", "SEK", None],
            "comment": ['=HYPERLINK("http://x","click")', LONG, "Alt for dyrt."],
        }
    )


@pytest.fixture
def book(tmp_path):
    path = followup.write_follow_up(_lists(), tmp_path / "follow_up.xlsx")
    return openpyxl.load_workbook(path)


def _column(sheet, name: str) -> str:
    return next(c.column_letter for c in sheet[1] if c.value == name)


def test_sheets_have_a_frozen_filtered_bold_header(book):
    assert book.sheetnames == ["call_back", "referral"]
    calls, referrals = book["call_back"], book["referral"]
    assert calls.freeze_panes == "A2" and referrals.freeze_panes == "A2"
    assert calls.auto_filter.ref == "A1:M4"  # 13 columns, header and 3 rows
    assert referrals.auto_filter.ref == "A1:M1"  # an empty list keeps its header
    assert [c.value for c in calls[1]] == followup.COLUMNS
    assert all(c.font.bold for c in calls[1])


def test_money_is_a_number_in_its_currency(book):
    sheet = book["call_back"]
    col = _column(sheet, "monthly_spend")
    eur, sek, mixed = (sheet[f"{col}{row}"] for row in (2, 3, 4))
    assert eur.data_type == "n" and eur.value == pytest.approx(9776.169583333334)
    assert eur.number_format == "#,##0.00 [$EUR]"
    assert sek.value == 1234.5 and sek.number_format == "#,##0.00 [$SEK]"
    assert mixed.value is None  # no amount: an empty cell, not "nan"


def test_dates_are_dates_and_counts_are_whole_numbers(book):
    sheet = book["call_back"]
    when = sheet[f"{_column(sheet, 'responded_at')}2"]
    assert when.is_date and when.value == dt.datetime(2026, 10, 3, 8, 51, 29)
    assert when.number_format == "yyyy-mm-dd hh:mm"
    for name, expected in (("days_since_response", 51), ("nps", 3)):
        cell = sheet[f"{_column(sheet, name)}2"]
        assert cell.data_type == "n" and cell.value == expected and cell.number_format == "0"
    assert sheet[f"{_column(sheet, 'recommended_last_12m')}4"].value is None


def test_text_that_looks_like_a_formula_stays_text(book):
    sheet = book["call_back"]
    comment = sheet[f"{_column(sheet, 'comment')}2"]
    assert comment.data_type == "s" and comment.value == '=HYPERLINK("http://x","click")'
    assert comment.quotePrefix  # Excel shows and keeps it as text when edited
    customer = sheet[f"{_column(sheet, 'customer_id')}4"]
    assert customer.data_type == "s" and customer.value == "-C0000003" and customer.quotePrefix
    assert not sheet[f"{_column(sheet, 'customer_id')}2"].quotePrefix


def test_columns_are_as_wide_as_their_content(book):
    sheet = book["call_back"]
    width = {c.value: sheet.column_dimensions[c.column_letter].width for c in sheet[1]}
    assert width["customer_id"] >= len("customer_id") + 3  # header and its filter button
    assert width["responded_at"] >= len("2026-10-03 08:51")
    assert width["monthly_spend"] >= len("9,776.17 EUR")
    assert width["comment"] == 60  # capped: longer comments wrap
    assert width["nps"] < width["touchpoint"] < width["comment"]
    comment = sheet[f"{_column(sheet, 'comment')}3"]
    assert comment.value == LONG and comment.alignment.wrap_text


def test_timezone_aware_times_are_written_in_utc(tmp_path):
    lists = _lists()
    lists["responded_at"] = lists["responded_at"].dt.tz_localize("Europe/Stockholm")
    book = openpyxl.load_workbook(followup.write_follow_up(lists, tmp_path / "f.xlsx"))
    sheet = book["call_back"]
    # 08:51:29 CEST (UTC+2) is 06:51:29 UTC
    assert sheet[f"{_column(sheet, 'responded_at')}2"].value == dt.datetime(2026, 10, 3, 6, 51, 29)


def test_csv_stays_plain_with_its_formula_guard(tmp_path):
    path = followup.write_follow_up(_lists(), tmp_path / "f.csv")
    back = pd.read_csv(path)
    assert list(back.columns) == followup.COLUMNS
    assert back.loc[0, "monthly_spend"] == pytest.approx(9776.169583333334)  # not rounded
    assert back.loc[0, "comment"] == '\'=HYPERLINK("http://x","click")'
    assert back.loc[2, "customer_id"] == "'-C0000003"
    assert back.loc[0, "currency"] == "EUR"


def test_demo_lists_carry_the_spend_currency(tmp_path):
    url = db.write_tables(f"duckdb:///{tmp_path}/cx.duckdb", demo.generate(300, seed=8))
    con = db.connect(url)
    try:
        lists = followup.follow_up_lists(con, as_of=dt.date(2026, 11, 23))
    finally:
        con.disconnect()
    assert set(lists["currency"].dropna()) == {"EUR"}  # demo spend is all in EUR
    book = openpyxl.load_workbook(followup.write_follow_up(lists, tmp_path / "f.xlsx"))
    for name in ("call_back", "referral"):
        sheet = book[name]
        rows = (lists["list"] == name).sum()
        assert sheet.auto_filter.ref == f"A1:M{rows + 1}" and sheet.max_row == rows + 1
        spend = [c for (c,) in sheet.iter_rows(min_row=2, min_col=11, max_col=11)]
        assert all(c.number_format == "#,##0.00 [$EUR]" for c in spend if c.value is not None)
        assert all(isinstance(c.value, float) for c in spend if c.value is not None)
    back = pd.read_excel(tmp_path / "f.xlsx", sheet_name="call_back")
    assert pd.api.types.is_datetime64_any_dtype(back["responded_at"])


def test_a_customer_paying_in_several_currencies_has_no_currency(tmp_path):
    tables = demo.generate(300, seed=8)
    spend = tables["spend"]
    called = set(tables["responses"].loc[tables["responses"]["nps"] <= 6, "customer_id"])
    sek, mixed = [c for c in spend["customer_id"].drop_duplicates() if c in called][:2]
    spend.loc[spend["customer_id"] == sek, "currency"] = "SEK"
    first_row = spend.index[spend["customer_id"] == mixed][0]
    spend.loc[first_row, "currency"] = "DKK"
    url = db.write_tables(f"duckdb:///{tmp_path}/cx.duckdb", tables)
    con = db.connect(url)
    try:
        lists = followup.follow_up_lists(con, as_of=dt.date(2026, 11, 23))
    finally:
        con.disconnect()
    by_customer = lists.drop_duplicates("customer_id").set_index("customer_id")["currency"]
    assert by_customer[sek] == "SEK"
    assert pd.isna(by_customer[mixed])  # a mean of DKK and EUR amounts has no one currency
    others = by_customer.drop([sek, mixed])
    assert others.dropna().eq("EUR").all()
