"""Imports that append to the per-day summary instead of rebuilding it.

Oracles: the row path (metrics over ``responses`` joined with ``customers`` under
``summary.rows_only()``, as in tests/test_summary.py), and a summary rebuilt from all rows
by :func:`cxresearch.data.summary.refresh` (their sums per key must be equal). Each test
also names the way the import took (appended, rebuilt, kept): the incremental way must be
taken where it is exact, and only there.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from cxresearch.data import db, demo, imports, sqlsession, summary, summaryrows, summaryupdate
from cxresearch.stats import metrics, models

HEADER = ("response_id,customer_id,responded_at,nps,csat,recommended_last_12m,segment,"
          "country,industry,touchpoint,language,comment,weight")  # fmt: skip
KEYS = ("day, segment, country, touchpoint, language, survey_id, measure, score, scale_min, "
        "scale_max, recommended")  # fmt: skip
LABELLED = summaryrows.decoded_sql()  # the summary's rows with their labels


@pytest.fixture()
def ways(monkeypatch) -> list[str]:
    """The way each import brought the summary up to date (the real function, recorded)."""
    seen: list[str] = []
    real = summaryupdate.finish

    def finish(session, plan):
        seen.append(real(session, plan))
        return seen[-1]

    monkeypatch.setattr(summaryupdate, "finish", finish)
    return seen


def _tables() -> dict[str, pd.DataFrame]:
    """Demo data with missing weights and scores, a 1-7 scale, and responses whose customer
    (``orphan``) is not on file."""
    tables = demo.generate(400, seed=11)
    r = tables["responses"].copy()
    pick = np.random.default_rng(4).random((3, len(r)))
    r["weight"] = r["weight"].where(pick[0] > 0.1) * np.where(pick[1] < 0.3, 1.7, 1.0)
    r["nps"] = r["nps"].astype("Int8").where(pick[2] > 0.05)
    r.loc[r.index[:25], "customer_id"] = "orphan"
    seven = r.index[25:60]
    r.loc[seven, "csat_max"] = 7
    tables["responses"] = r
    return tables


@pytest.fixture()
def url(tmp_path) -> str:
    return db.write_tables(f"duckdb:///{tmp_path / 'cx.duckdb'}", _tables())


def _customers(url: str) -> pd.DataFrame:
    con = duckdb.connect(str(db.duckdb_path(url)), read_only=True)
    try:
        return con.execute("SELECT * FROM customers ORDER BY customer_id").df()
    finally:
        con.close()


def _csv(path: Path, rows: list[dict]) -> Path:
    """A canonical responses CSV; every row on a day the database already holds."""
    columns = HEADER.split(",")
    lines = [HEADER]
    for i, row in enumerate(rows):
        base = {
            "response_id": f"N{i}", "customer_id": "",
            "responded_at": f"2025-06-0{1 + i % 9} 1{i % 10}:00", "nps": str(i % 11),
            "csat": str(1 + i % 5), "recommended_last_12m": ("yes", "no", "")[i % 3],
            "segment": "", "country": "", "industry": "",
            "touchpoint": ("relationship", "website")[i % 2], "language": ("sv", "fi")[i % 2],
            "comment": "", "weight": ("", "0.5", "2")[i % 3],
        }  # fmt: skip
        lines.append(",".join({**base, **row}[c] for c in columns))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _known(url: str, n: int) -> list[dict]:
    """Rows for ``n`` customers on file, with their stored segment and country (or blank)."""
    found = _customers(url).head(n)
    return [
        {"customer_id": c.customer_id, "segment": c.segment or "", "country": c.country or ""}
        for c in found.itertuples()
    ]


def _check(url: str, tmp_path: Path) -> None:
    """The summary is current, sums as a rebuilt one, and gives the row path's numbers."""
    path = db.duckdb_path(url)
    copy = tmp_path / "rebuilt.duckdb"
    shutil.copy(path, copy)
    session = sqlsession.DuckDBSession(copy)
    try:
        summary.refresh(session)
    finally:
        session.close()
    sums = f"SELECT {KEYS}, sum(n), sum(sum_w), sum(sum_w2) FROM ({LABELLED}) s GROUP BY ALL"
    got, want = (
        duckdb.connect(str(p), read_only=True).execute(f"{sums} ORDER BY ALL").df()
        for p in (path, copy)
    )
    pd.testing.assert_frame_equal(got, want, check_exact=False, rtol=1e-12)
    con = db.connect(url)
    try:
        assert summary.usable(con)
        r = db.read_responses(con)
        for by in ([], ["segment"], ["country", "month"], ["touchpoint", "survey_id"]):
            for weights in (None, "weight"):
                for fn in (metrics.nps, metrics.csat, models.intent_counts):
                    fast = fn(r, by=by, weights=weights)
                    with summary.rows_only():
                        slow = fn(r, by=by, weights=weights)
                    pd.testing.assert_frame_equal(
                        fast, slow, check_exact=False, rtol=1e-12, atol=1e-12
                    )
    finally:
        con.disconnect()


def _responding(url: str, n: int = 1) -> list[str]:
    """Customers on file whom earlier responses name."""
    con = duckdb.connect(str(db.duckdb_path(url)), read_only=True)
    try:
        return [r[0] for r in con.execute(
            "SELECT DISTINCT customer_id FROM responses JOIN customers USING (customer_id) "
            f"ORDER BY 1 LIMIT {n}"
        ).fetchall()]  # fmt: skip
    finally:
        con.close()


def test_two_imports_append_and_equal_a_rebuild(url, tmp_path, ways):
    newcomer = {"customer_id": "newcomer", "segment": "B2C"}  # new, and no earlier responses
    first = _csv(tmp_path / "a.csv", [{}] * 4 + _known(url, 30) + [newcomer] * 3)
    second = _csv(tmp_path / "b.csv", [{}] * 4 + [{"customer_id": "orphan"}] * 2 + _known(url, 5))
    for path in (first, second):
        (report,) = imports.import_files([path], database=url, survey="w")
        assert report.status == "imported"
    assert ways == ["appended", "appended"]
    _check(url, tmp_path)
    # both files' first rows fall on the same keys: appended, not merged, rows
    con = duckdb.connect(str(db.duckdb_path(url)), read_only=True)
    try:
        rows, keys = con.execute(
            f"SELECT count(*), count(DISTINCT ({KEYS})) FROM ({LABELLED}) s"
        ).fetchone()
    finally:
        con.close()
    assert rows > keys


def test_files_read_cell_by_cell_append_too(url, tmp_path, ways):
    rows = [r | {"responded_at": f"0{i + 1}.06.2025"} for i, r in enumerate(_known(url, 6))]
    (report,) = imports.import_files([_csv(tmp_path / "eu.csv", rows)], database=url)
    assert report.status == "imported" and report.rows == 6
    assert ways == ["appended"]
    _check(url, tmp_path)


@pytest.mark.parametrize("change", ["segment", "country"])
def test_a_changed_customer_rebuilds(url, tmp_path, ways, change):
    if change == "segment":  # responses name it, and now it is on file
        row = {"customer_id": "orphan", "segment": "B2B"}
    else:
        (who,) = _responding(url)
        stored = _customers(url).set_index("customer_id").loc[who, "country"]
        row = {"customer_id": who, "country": "NO" if stored != "NO" else "SE"}
    (report,) = imports.import_files([_csv(tmp_path / "c.csv", [row, {}])], database=url)
    assert report.status == "imported"
    assert ways == ["rebuilt"]
    _check(url, tmp_path)


def test_replaced_rows_and_customer_files(url, tmp_path, ways):
    path = _csv(tmp_path / "wave.csv", _known(url, 4))
    imports.import_files([path], database=url)
    _csv(path, _known(url, 3))  # corrected: replaces the rows it imported
    (report,) = imports.import_files([path], database=url)
    assert report.replaced == 4
    customers = tmp_path / "customers.csv"
    ids = _responding(url, 3)
    customers.write_text("customer_id,churn_date\n" + "".join(f"{c},2026-01-0{i + 1}\n"
                         for i, c in enumerate(ids)))  # fmt: skip
    imports.import_files([customers], database=url)
    customers.write_text(f"customer_id,segment\n{ids[0]},other\n")
    imports.import_files([customers], database=url)
    assert ways == ["appended", "rebuilt", "kept", "rebuilt"]
    _check(url, tmp_path)


def test_a_new_database_and_two_files_in_one_command(tmp_path, ways):
    url = f"duckdb:///{tmp_path / 'new' / 'cx.duckdb'}"
    a = _csv(tmp_path / "a.csv", [{"customer_id": "x1", "segment": "B2B"}, {}])
    b = _csv(tmp_path / "b.csv", [{"customer_id": "x1"}, {"customer_id": "x2", "country": "SE"}])
    imports.import_files([a, b], database=url)
    c = _csv(tmp_path / "c.csv", [{"customer_id": "x2"}, {"customer_id": "x3", "country": "FI"}])
    imports.import_files([c], database=url)
    assert ways == ["rebuilt", "appended"]
    _check(url, tmp_path)


def test_staged_rows_with_synonyms_build_the_summary_as_the_rows_do(tmp_path, ways):
    """The summary is built from the staged rows (values decided through lookup tables:
    synonyms, labels, language tags), into a new database and then appended."""
    url = f"duckdb:///{tmp_path / 'cx.duckdb'}"
    varied = [
        {"customer_id": "s1", "segment": "b2b", "country": "Sverige", "language": "SV",
         "touchpoint": "After purchase", "recommended_last_12m": "Ja"},
        {"customer_id": "s2", "segment": "B2C", "country": "finland", "language": "fi-FI",
         "touchpoint": "web shop", "recommended_last_12m": "nej"},
        {"customer_id": "s1", "segment": "", "country": "se", "language": "en-GB"},
        {"customer_id": "", "touchpoint": "", "language": "", "recommended_last_12m": "KYLLÄ"},
    ]  # fmt: skip
    imports.import_files([_csv(tmp_path / "a.csv", varied)], database=url)
    more = [{**r, "customer_id": r["customer_id"] and "t" + r["customer_id"]} for r in varied]
    (report,) = imports.import_files([_csv(tmp_path / "b.csv", more)], database=url)
    assert report.status == "imported" and ways == ["rebuilt", "appended"]
    con = duckdb.connect(str(db.duckdb_path(url)), read_only=True)
    try:
        stored = con.execute("SELECT DISTINCT touchpoint, language, recommended_last_12m "
                             "FROM responses ORDER BY ALL").fetchall()  # fmt: skip
    finally:
        con.close()
    assert ("after_purchase", "sv", "yes") in stored and ("web_shop", "fi", "no") in stored
    _check(url, tmp_path)


def test_a_summary_not_matching_the_rows_is_rebuilt(url, tmp_path, ways):
    raw = duckdb.connect(str(db.duckdb_path(url)))
    raw.execute("INSERT INTO responses SELECT * FROM responses LIMIT 7")  # around the summary
    raw.close()
    imports.import_files([_csv(tmp_path / "a.csv", _known(url, 3))], database=url)
    assert ways == ["rebuilt"]
    _check(url, tmp_path)


def test_postgres_appends(tmp_path, ways):
    from tests import pgserver

    server = pgserver.start()
    try:
        url = server.create_database("increments")
        db.write_tables(url, _tables())
        a = _csv(tmp_path / "a.csv", [{"customer_id": "orphan"}, {}])
        b = _csv(tmp_path / "b.csv", [{"customer_id": "orphan", "segment": "B2B"}])
        for path in (a, b):
            imports.import_files([path], database=url)
        assert ways == ["appended", "rebuilt"]
        con = db.connect(url)
        try:
            assert summary.usable(con)
            r = db.read_responses(con)
            for fn in (metrics.nps, metrics.csat):
                fast = fn(r, by=["segment", "month"], weights="weight")
                with summary.rows_only():
                    slow = fn(r, by=["segment", "month"], weights="weight")
                pd.testing.assert_frame_equal(fast, slow, check_exact=False, rtol=1e-12)
        finally:
            con.disconnect()
    finally:
        server.stop()


def test_rows_are_stored_under_the_source_the_import_reports(url, tmp_path, ways):
    """A second file asking for a taken name gets ``name:file``, and so do its rows (staged
    and cell by cell): a corrected first file then replaces its own rows only."""
    a = _csv(tmp_path / "a.csv", [{}] * 3)
    b = _csv(tmp_path / "b.csv", [{}] * 4)
    eu = _csv(tmp_path / "eu.csv", [{"responded_at": "01.06.2025"}] * 2)
    reports = imports.import_files([a, b, eu], database=url, survey="w")
    assert [r.source for r in reports] == ["w", "w:b.csv", "w:eu.csv"]

    def stored() -> dict:
        con = duckdb.connect(str(db.duckdb_path(url)), read_only=True)
        try:
            return dict(con.execute(
                "SELECT source, count(*) FROM responses WHERE source <> 'demo' GROUP BY 1"
            ).fetchall())  # fmt: skip
        finally:
            con.close()

    assert stored() == {"w": 3, "w:b.csv": 4, "w:eu.csv": 2}
    _csv(a, [{}] * 5)
    (again,) = imports.import_files([a], database=url, survey="w")
    assert (again.source, again.replaced) == ("w", 3)
    assert stored() == {"w": 5, "w:b.csv": 4, "w:eu.csv": 2}
    assert ways == ["appended", "rebuilt"]
    _check(url, tmp_path)


def test_an_older_summary_is_not_used_and_is_rebuilt(url, tmp_path, ways):
    """A file whose summary an earlier version wrote (``response_summary``, text labels):
    metrics read its rows until an import rebuilds the summary in this version's tables,
    dropping the old ones. Oracle: the row path, and a rebuilt summary (``_check``)."""
    raw = duckdb.connect(str(db.duckdb_path(url)))
    for name in (
        summary.SUMMARY,
        summaryrows.MONTHS,
        summaryrows.WHO,
        summaryrows.HOW,
        summary.ROWS,
    ):
        raw.execute(f"DROP TABLE {name}")
    raw.execute(
        "CREATE TABLE response_summary (day DATE, segment VARCHAR, country VARCHAR, "
        "touchpoint VARCHAR, language VARCHAR, survey_id BIGINT, measure VARCHAR, "
        "score INTEGER, scale_min INTEGER, scale_max INTEGER, recommended VARCHAR, n BIGINT, "
        "sum_w DOUBLE, sum_w2 DOUBLE)"
    )
    raw.execute(
        "INSERT INTO response_summary SELECT CAST(responded_at AS DATE), 'B2B', 'SE', "
        "touchpoint, language, survey_id, 'nps', nps, NULL, NULL, recommended_last_12m, "
        "count(*), sum(weight), sum(weight * weight) FROM responses GROUP BY ALL"
    )
    raw.execute("CREATE TABLE response_summary_rows AS SELECT count(*) AS responses FROM responses")
    raw.close()
    con = db.connect(url)
    try:
        assert not summary.usable(con)
        r = db.read_responses(con)
        for fn in (metrics.nps, models.intent_counts):
            fast = fn(r, by=["segment"], weights="weight")
            with summary.rows_only():
                slow = fn(r, by=["segment"], weights="weight")
            pd.testing.assert_frame_equal(fast, slow, check_exact=False, rtol=1e-12)
    finally:
        con.disconnect()
    imports.import_files([_csv(tmp_path / "a.csv", _known(url, 3))], database=url)
    assert ways == ["rebuilt"]
    raw = duckdb.connect(str(db.duckdb_path(url)), read_only=True)
    try:
        names = {row[0] for row in raw.execute("SHOW TABLES").fetchall()}
    finally:
        raw.close()
    assert not names & set(summary.OLD) and summary.ROWS in names
    _check(url, tmp_path)
