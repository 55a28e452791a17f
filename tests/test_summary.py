"""The per-day summary table: written with the data, and the same numbers as the rows.

Oracle: the row path (Ibis aggregates over ``responses`` joined with ``customers``, the
path every metric took before the summary existed), run under ``summary.rows_only()``.
Random filters, groupings, weights and periods from a seeded generator; DuckDB and a real
PostgreSQL server (tests/pgserver.py).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from cxresearch import compare, metrics, models
from cxresearch.data import db, demo, summary, summaryquery, summaryrows
from cxresearch.data.filters import filter_dates

CASES = 30


def _tables() -> dict[str, pd.DataFrame]:
    """Demo data with what real exports hold: missing weights, scores and answers, other
    scales, responses whose customer is not on file."""
    tables = demo.generate(3000, seed=5)
    r = tables["responses"].copy()
    rng = np.random.default_rng(3)
    pick = rng.random((6, len(r)))
    r["weight"] = r["weight"].where(pick[0] > 0.1)
    r["nps"] = r["nps"].astype("Int8").where(pick[1] > 0.05)
    r["csat"] = r["csat"].astype("Int8").where(pick[2] > 0.05)
    seven = pick[3] < 0.2
    r.loc[seven, "csat_max"] = 7
    r.loc[seven, "csat"] = (r.loc[seven, "csat"] + 2).clip(upper=7)
    r["csat_min"] = r["csat_min"].astype("Int8").where(pick[4] > 0.1)
    r["recommended_last_12m"] = r["recommended_last_12m"].where(pick[5] > 0.05)
    r.loc[r.index[:40], "customer_id"] = "not-on-file"
    tables["responses"] = r
    return tables


@pytest.fixture(scope="module")
def tables():
    return _tables()


@pytest.fixture(scope="module")
def duck_url(tmp_path_factory, tables) -> str:
    return db.write_tables(f"duckdb:///{tmp_path_factory.mktemp('sum') / 'cx.duckdb'}", tables)


@pytest.fixture(scope="module")
def pg_url(tables):
    from tests import pgserver

    server = pgserver.start()
    try:
        url = server.create_database("summary")
        db.write_tables(url, tables)
        yield url
    finally:
        server.stop()


def _same(a: pd.DataFrame, b: pd.DataFrame, what: str) -> None:
    try:
        pd.testing.assert_frame_equal(a, b, check_exact=False, rtol=1e-12, atol=1e-12)
    except AssertionError as err:
        raise AssertionError(f"summary and rows differ for {what}: {err}") from None


def _random_case(rng: np.random.Generator, tables) -> dict:
    days = pd.to_datetime(tables["responses"]["responded_at"]).dt.date
    first, last = days.min(), days.max()
    span = (last - first).days

    def day() -> dt.date:
        return first + dt.timedelta(days=int(rng.integers(0, span + 1)))

    start, end = sorted([day(), day()])
    if rng.random() < 0.4:  # whole months: read from the months' table
        start = start.replace(day=1)
        end = (end.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)
    segments = sorted(tables["customers"]["segment"].dropna().unique())
    countries = sorted(tables["customers"]["country"].dropna().unique())
    n_by = int(rng.integers(0, 3))
    return {
        "start": start if rng.random() < 0.6 else None,
        "end": end if rng.random() < 0.6 else None,
        "segment": list(rng.choice(segments, int(rng.integers(1, 3)), replace=False))
        if rng.random() < 0.4
        else None,
        "country": list(rng.choice(countries, int(rng.integers(1, 4)), replace=False))
        if rng.random() < 0.4
        else None,
        "by": list(rng.choice(summary.GROUPS, n_by, replace=False)),
        "weights": "weight" if rng.random() < 0.5 else None,
    }


@pytest.mark.parametrize("engine", ["duckdb", "postgres"])
def test_summary_gives_the_rows_numbers(engine, request, tables):
    url = request.getfixturevalue("duck_url" if engine == "duckdb" else "pg_url")
    con = db.connect(url)
    try:
        assert summary.usable(con), "write_tables must leave a summary of its responses"
        rng = np.random.default_rng(2026)
        read = set()
        for i in range(CASES):
            case = _random_case(rng, tables)
            by, weights = case.pop("by"), case.pop("weights")
            r = db.read_responses(con, **case)
            what = f"case {i}: {case}, by={by}, weights={weights}"
            assert summary.route(r, by, weights) is not None, what
            read.add(summaryquery.table(summary.route(r, by, weights)))
            for fn in (metrics.nps, metrics.csat, models.intent_counts):
                fast = fn(r, by=by, weights=weights)
                with summary.rows_only():
                    slow = fn(r, by=by, weights=weights)
                _same(fast, slow, f"{fn.__name__} {what}")
            current = (dt.date(2026, 4, 1), dt.date(2026, 6, 30))
            previous = compare.previous_period(*current)
            for fn in (metrics.nps, metrics.csat):
                fast = compare.change(fn, r, current=current, previous=previous, by=by,
                                      weights=weights)  # fmt: skip
                with summary.rows_only():
                    now = fn(filter_dates(r, "responded_at", *current), by=by, weights=weights)
                    before = fn(filter_dates(r, "responded_at", *previous), by=by,
                                weights=weights)  # fmt: skip
                _same(fast, compare.difference(now, before, on=by), f"change {fn} {what}")
        assert read == {f"{summaryrows.CELLS} s", f"{summaryrows.MONTHS} s"}  # both were read
    finally:
        con.disconnect()


def test_summary_counts_every_response(duck_url, tables):
    con = db.connect(duck_url)
    try:
        s = con.table(summary.SUMMARY).to_pandas()
        r = tables["responses"]
        nps, csat = (s["measure"] == summaryrows.MEASURES[m] for m in ("nps", "csat"))
        assert s.loc[nps, "n"].sum() == r["nps"].notna().sum()
        assert s.loc[csat, "n"].sum() == r["csat"].notna().sum()
        weighted = r.loc[r["nps"].notna(), "weight"]
        assert s.loc[nps, "sum_w"].sum() == pytest.approx(weighted.sum())
        assert s.loc[nps, "sum_w2"].sum() == pytest.approx((weighted**2).sum())
    finally:
        con.disconnect()


def test_stale_or_missing_summary_is_not_used(tmp_path, tables):
    url = db.write_tables(f"duckdb:///{tmp_path / 'cx.duckdb'}", tables)
    con = db.connect(url)
    expected = metrics.nps(db.read_responses(con), by="segment", weights="weight")
    con.disconnect()
    import duckdb

    raw = duckdb.connect(str(tmp_path / "cx.duckdb"))
    raw.execute("INSERT INTO responses SELECT * FROM responses LIMIT 100")
    raw.close()
    con = db.connect(url)
    try:
        assert not summary.usable(con)  # 100 rows written around the summary
        r = db.read_responses(con)
        got = metrics.nps(r, by="segment", weights="weight")
        with summary.rows_only():
            rows = metrics.nps(r, by="segment", weights="weight")
        _same(got, rows, "a stale summary")
        assert int(got["n"].sum()) == int(expected["n"].sum()) + 100 - int(
            tables["responses"].head(100)["nps"].isna().sum()
        )
    finally:
        con.disconnect()
    raw = duckdb.connect(str(tmp_path / "cx.duckdb"))
    raw.execute(f"DROP TABLE {summary.SUMMARY}")
    raw.close()
    con = db.connect(url)
    try:
        assert not summary.usable(con)
        _same(metrics.csat(db.read_responses(con), by="month"),
              _rows(metrics.csat, db.read_responses(con), by="month"), "no summary")  # fmt: skip
    finally:
        con.disconnect()


def test_older_database_without_scales_or_summary(tmp_path, tables):
    """A file written before ratings declared their scale (no ``csat_min``/``csat_max``, no
    summary): metrics answer from the rows, every rating on the default 1-5 scale.

    Oracle: the row path, and a hand count of 4s and 5s over 1-5 ratings."""
    import duckdb

    path = tmp_path / "old.duckdb"
    url = db.write_tables(f"duckdb:///{path}", tables)
    raw = duckdb.connect(str(path))
    for statement in (f"DROP TABLE {summary.SUMMARY}", f"DROP TABLE {summary.ROWS}",
                      "ALTER TABLE responses DROP COLUMN csat_min",
                      "ALTER TABLE responses DROP COLUMN csat_max",
                      "DELETE FROM responses WHERE csat > 5"):  # fmt: skip
        raw.execute(statement)
    hand = raw.execute("SELECT count(*) FILTER (WHERE csat >= 4), count(csat) FROM responses"
                       ).fetchone()  # fmt: skip
    raw.close()
    con = db.connect(url)
    try:
        r = db.read_responses(con)
        got = metrics.csat(r, by="segment")
        _same(got, _rows(metrics.csat, r, by="segment"), "an older file")
        assert (int(got["satisfied"].sum()), int(got["n"].sum())) == hand
        _same(metrics.nps(r, by="month"), _rows(metrics.nps, r, by="month"), "an older file")
    finally:
        con.disconnect()


def _rows(fn, data, **options):
    with summary.rows_only():
        return fn(data, **options)


def test_other_shapes_fall_back_to_rows(duck_url):
    con = db.connect(duck_url)
    try:
        r = db.read_responses(con)
        assert summary.route(r, ["industry"], None) is None  # not a summary column
        assert summary.route(r, [], "other_weight") is None
        assert summary.route(r.filter(r.nps > 3), [], None) is None  # a filter it cannot see
        custom = r.mutate(band=(r.nps >= 9).ifelse("top", "rest"))
        assert summary.route(custom, ["band"], None) is None
        _same(metrics.nps(custom, by="band"), _rows(metrics.nps, custom, by="band"), "custom")
    finally:
        con.disconnect()


def test_import_rebuilds_the_summary_in_its_transaction(tmp_path):
    from cxresearch.data import imports

    url = db.write_tables(f"duckdb:///{tmp_path / 'cx.duckdb'}", demo.generate(300, seed=2))
    header = ("response_id,customer_id,responded_at,nps,csat,recommended_last_12m,segment,"
              "country,industry,touchpoint,language,comment,weight")  # fmt: skip
    rows = ["r1,c1,2026-03-02,10,5,yes,B2C,SE,consumer,after_purchase,sv,,1.5",
            "r2,c2,2026-03-03 14:05,3,2,no,B2B,DK,retail,service_call,da,,0.5",
            "r3,c1,2026-03-04,8,,unknown,B2C,SE,consumer,website_visit,sv,,"]  # fmt: skip
    path = tmp_path / "wave.csv"
    path.write_text(header + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
    (report,) = imports.import_files([path], database=url)
    assert report.status == "imported"
    con = db.connect(url)
    try:
        assert summary.usable(con)
        r = db.read_responses(con, start="2026-03-01", end="2026-03-31", country=["SE", "DK"])
        for by in ([], ["segment"], ["month", "touchpoint"]):
            for weights in (None, "weight"):
                for fn in (metrics.nps, metrics.csat, models.intent_counts):
                    _same(fn(r, by=by, weights=weights), _rows(fn, r, by=by, weights=weights),
                          f"{fn.__name__} after an import, by={by}")  # fmt: skip
    finally:
        con.disconnect()


def test_report_start_asks_the_summary_first(duck_url):
    con = db.connect(duck_url)
    try:
        every = {"start": None, "end": None, "segment": [], "country": []}
        assert summary.has_responses(con, every)
        assert summary.has_responses(con, every | {"country": "SE"}, scored="nps")
        nobody = every | {"segment": ["nobody"]}
        assert not summary.has_responses(con, nobody)  # cannot tell: the rows are asked
        assert db.read_responses(con, segment="nobody").count().to_pyarrow().as_py() == 0
        with summary.rows_only():
            assert not summary.has_responses(con, every)
        r = con.table("responses")
        assert summary.last_response(con) == r.responded_at.max().to_pandas()
    finally:
        con.disconnect()


def test_change_asks_once_for_both_periods_on_the_row_path_too(duck_url):
    con = db.connect(duck_url)
    try:
        r = db.read_responses(con, country=["SE", "DK", "FI"])
        r = r.mutate(w=r.weight * 2)  # another weight column: rows, through Ibis
        assert summary.route(r, ["segment"], "w") is None
        current = (dt.date(2026, 1, 1), dt.date(2026, 3, 31))
        previous = compare.previous_period(*current)
        for fn in (metrics.nps, metrics.csat):
            for by in (None, "segment", ["touchpoint", "language"]):
                once = compare.change(fn, r, current=current, previous=previous, by=by,
                                      weights="w")  # fmt: skip
                now = fn(filter_dates(r, "responded_at", *current), by=by, weights="w")
                before = fn(filter_dates(r, "responded_at", *previous), by=by, weights="w")
                _same(once, compare.difference(now, before, on=by), f"{fn.__name__} by {by}")
    finally:
        con.disconnect()


def test_tables_read_as_ibis_reads_them(duck_url):
    """``db.tables`` (plain ``DESCRIBE``, types parsed once) gives the tables ``con.table``
    gives, and a missing table the error of ``db.table``."""
    from cxresearch.errors import DatabaseError

    con = db.connect(duck_url)
    try:
        names = ("responses", "customers", summary.SUMMARY)
        for got, name in zip(db.tables(con, names), names, strict=True):
            assert got.equals(con.table(name)), name
            assert got.schema() == con.table(name).schema()
        with pytest.raises(DatabaseError, match="no table 'nothing'"):
            db.tables(con, ["responses", "nothing"])
    finally:
        con.disconnect()


def test_summary_proves_answers_and_groups_only_when_the_rows_have_them(duck_url, tables):
    from cxresearch.reporting import notes

    con = db.connect(duck_url)
    try:
        rng = np.random.default_rng(11)
        for _ in range(12):
            case = _random_case(rng, tables)
            t = db.read_responses(con, start=case["start"], end=case["end"],
                                  segment=case["segment"], country=case["country"])  # fmt: skip
            for column in ("nps", "csat", "segment", "country", "touchpoint", "language"):
                with summary.rows_only():  # the oracle: count the rows
                    rows = (notes._count(t, column) if column in ("nps", "csat")
                            else notes.groups(t, column))  # fmt: skip
                for at_least in (1, 2, rows, rows + 1):
                    if summary.holds(t, column, at_least):
                        assert rows >= at_least, (case, column, at_least)
        t = db.read_responses(con)
        for column in ("nps", "csat", "segment", "country", "touchpoint", "language"):
            with summary.rows_only():
                rows = (notes._count(t, column) if column in ("nps", "csat")
                        else notes.groups(t, column))  # fmt: skip
            assert summary.holds(t, column, rows) and not summary.holds(t, column, rows + 1)
        # a filtered expression is not the read the summary describes: it cannot tell
        assert not summary.holds(t.filter(t.nps > 100), "nps", 1)
        assert not summary.holds(t, "month", 1) and not summary.holds(t, "comment", 1)
    finally:
        con.disconnect()
