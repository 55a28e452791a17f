"""Currency: kept per row, shown in reports, never mixed in one total without rates."""

import pandas as pd
import pytest

from cxresearch.data import db, demo, imports
from cxresearch.errors import DatabaseError, ReportError
from cxresearch.running import runner


@pytest.fixture()
def sek(tmp_path) -> str:
    """Demo data whose spend is all in SEK."""
    tables = demo.generate(600, seed=6)
    tables["spend"] = tables["spend"].assign(currency="SEK")
    url = f"duckdb:///{tmp_path}/cx.duckdb"
    db.write_tables(url, tables)
    return url


def test_report_shows_the_datas_currency(sek, tmp_path):
    result = runner.run("satisfaction_spend", out_dir=tmp_path / "out", database=sek,
                        overrides={"min_n": 5}, update_index=False)  # fmt: skip
    html = result.html.read_text(encoding="utf-8")
    assert "At risk per month (SEK)" in html and "EUR" not in html


def test_mixed_currencies_are_refused_unless_converted(sek, tmp_path):
    con = db.connect(sek)
    cid = db.read_customer_spend(con).order_by("customer_id").limit(1).to_pandas()
    cid = cid["customer_id"].iloc[0]
    s = con.table("spend")
    month = pd.Timestamp(s.filter(s.customer_id == cid).month.min().to_pandas())
    con.disconnect()
    path = tmp_path / "eur.csv"
    path.write_text(f"customer_id,month,amount,currency\n{cid},{month:%Y-%m},100,eur\n")
    (report,) = imports.import_files([path], database=sek)
    assert report.replaced == 1  # the SEK row of that customer-month, replaced
    con = db.connect(sek)
    try:
        with pytest.raises(DatabaseError, match="amounts in EUR, SEK: they are not added up"):
            db.read_customer_spend(con)
        rates = {"SEK": 1.0, "EUR": 11.5}
        assert db.spend_currency(con, rates=rates) == "SEK"
        with pytest.raises(DatabaseError, match="missing: EUR"):
            db.spend_currency(con, rates={"SEK": 1.0})
        spent = db.read_customer_spend(con, rates=rates).to_pandas().set_index("customer_id")
        s = con.table("spend").to_pandas()
    finally:
        con.disconnect()
    mine = s[s["customer_id"] == cid]
    # by hand: the customer's months in SEK, the EUR month at 11.5 SEK per EUR
    expected = (mine["amount"] * mine["currency"].map(rates)).mean()
    assert spent.loc[cid, "monthly_spend"] == pytest.approx(expected)
    with pytest.raises(ReportError, match="not added up"):
        runner.run("satisfaction_spend", out_dir=tmp_path / "a", database=sek,
                   overrides={"min_n": 5}, update_index=False)  # fmt: skip
    result = runner.run("satisfaction_spend", out_dir=tmp_path / "b", database=sek,
                        overrides={"min_n": 5, "currency_rates": rates},
                        update_index=False)  # fmt: skip
    assert "At risk per month (SEK)" in result.html.read_text(encoding="utf-8")
