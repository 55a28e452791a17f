"""The staging path: canonical CSV responses loaded by DuckDB's read_csv and checked in SQL.

Oracle: the per-column path (``readers.read`` then ``convert.responses``), which was the
only path before. On every file the staging path accepts it must give the same rows, value
for value; every file it does not accept must reach the per-column path, whose error names
file, row, column and value (issue #17, part 3).
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd
import pytest

from cxresearch.data import db, demo, imports
from cxresearch.data.imports import convert, mapping, readers, staging
from cxresearch.errors import ImportValidationError
from tests.test_import_faults import GOOD, HEADER, content  # the same rows, every table

#: Semicolons and decimal commas, attribute ratings, an unused column, synonyms in five
#: languages, missing markers, padding, times with offsets, a quoted line break, repeated
#: customers whose later rows leave some answers blank.
VARIED = """\
response_id;customer_id;responded_at;nps;csat;recommended_last_12m;segment;country;industry;touchpoint;language;comment;weight;rating_speed;rating_price;extra
R1;C1;2026-03-31;9;5;Ja;b2b;Sverige;Retail-Trade;After purchase;SV;"Bra, mycket bra";1,5;4;;x
R2;C1;2026-03-31 14:05;9.0;NA;nej;  ;se;;web shop;en-GB;NA;;5;3;y
R3;;2026-03-31T14:05:09.5;10;1;;B2C;Finland;  public sector ;;;;2;;1;
 R4 ;C2;2026-03-31T14:05:00+02:00;0;;don't know;B2B;DK;x;y;fi;" padded ";0,25;;;
R5;C2;2026-03-31 23:59:59Z;;3;unknown;;N/A;---;;NL;"multi
line";;1;2;
R6;C1;2026-04-01T00:00:00-05:00;5; 4 ;KYLLÄ;B2C;;;;;"";3;;;
"""  # noqa: E501 - one file row per line


@pytest.fixture()
def url(tmp_path) -> str:
    """A small demo database to import into."""
    return db.write_tables(f"duckdb:///{tmp_path}/cx.duckdb", demo.generate(300, seed=2))


def write(tmp_path: Path, text: str, name: str = "wave.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode())
    return path


def per_column(path: Path, source: str):
    raw = readers.read(path)
    return convert.responses(raw, mapping.identity(raw), source)


def staged(path: Path, source: str) -> staging.Staged | None:
    head = staging.header(path, "auto")
    assert head is not None, "a canonical CSV is read by the staging path"
    return staging.stage(head, source)


def plain(frame: pd.DataFrame) -> list[tuple]:
    """Rows as Python values (missing as None, times as Timestamps) to compare exactly."""
    out = frame.astype(object).where(frame.notna(), None)
    rows = []
    for row in out.itertuples(index=False):
        rows.append(
            tuple(pd.Timestamp(v) if hasattr(v, "year") and hasattr(v, "hour") else v for v in row)
        )
    return rows


def assert_same(path: Path, source: str = "wave") -> staging.Staged:
    expected = per_column(path, source)
    got = staged(path, source)
    assert got is not None
    for want, have in zip(expected, (got.responses, got.customers, got.ratings), strict=True):
        assert list(have.columns) == list(want.columns)
        assert plain(have) == plain(want)
    return got


def test_staged_rows_equal_the_per_column_rows(tmp_path):
    got = assert_same(write(tmp_path, VARIED))
    r = got.responses.set_index("response_id")
    assert r.loc["R4", "responded_at"] == pd.Timestamp("2026-03-31 12:05:00")  # +02:00 in UTC
    assert r.loc["R6", "recommended_last_12m"] == "yes"
    assert r.loc["R2", "language"] == "en" and r.loc["R1", "weight"] == 1.5
    assert r.loc["R3", "customer_id"] == "wave:R3"
    c = got.customers.set_index("customer_id")
    assert c.loc["C1", "country"] == "SE" and c.loc["C1", "segment"] == "B2C"
    assert len(got.ratings) == 6 and (got.starts_on, got.ends_on) == (
        pd.Timestamp("2026-03-31").date(),
        pd.Timestamp("2026-04-01").date(),
    )


def test_demo_export_is_staged_value_for_value(tmp_path):
    tables = demo.generate(3000, seed=4)
    frame = tables["responses"].merge(tables["customers"], on="customer_id")
    path = tmp_path / "demo.csv"
    frame[HEADER.split(",")].to_csv(path, index=False)
    got = assert_same(path)
    assert got.rows == 3000


def test_database_content_is_the_same_either_way(tmp_path):
    """The same file imported staged, and through an identity mapping (per-column path)."""
    path = write(tmp_path, VARIED)
    fields = [c for c in VARIED.splitlines()[0].split(";") if mapping.is_field(c)]
    mapping_file = tmp_path / "identity.yaml"
    mapping_file.write_text("columns:\n" + "".join(f"  {c}: {c}\n" for c in fields))
    contents = []
    for name, mapping_path in (("staged", None), ("per_column", mapping_file)):
        url = f"duckdb:///{tmp_path}/{name}.duckdb"
        imports.import_files([path], mapping_file=mapping_path, database=url)
        con = duckdb.connect(str(db.duckdb_path(url)), read_only=True)
        try:
            contents.append(
                {
                    t: con.execute(f"SELECT * FROM {t}").fetchall()
                    for t in ("responses", "customers", "ratings", "surveys")
                }
            )
        finally:
            con.close()
    assert contents[0] == contents[1]
    assert len(contents[0]["responses"]) == 6 and len(contents[0]["ratings"]) == 6


#: A bad third row for each check -> (column, value, what was expected).
BAD_ROWS = {
    "blank response id": (
        ",c2,2026-03-03,3,2,no,B2B,DK,retail,service_call,da,x,1",
        ("response_id", "", "a response id (no blanks)"),
    ),
    "duplicate response id": (
        "r1,c2,2026-03-03,3,2,no,B2B,DK,retail,service_call,da,x,1",
        ("response_id", "r1", "a unique response id (row 2 has it too)"),
    ),
    "impossible date": (
        "r2,c2,2026-02-30,3,2,no,B2B,DK,retail,service_call,da,x,1",
        ("responded_at", "2026-02-30", "a date such as 2025-03-31"),
    ),
    "hour 24": (
        "r2,c2,2026-03-03 24:00:00,3,2,no,B2B,DK,retail,service_call,da,x,1",
        ("responded_at", "2026-03-03 24:00:00", "a date such as 2025-03-31"),
    ),
    "blank date": (
        "r2,c2,,3,2,no,B2B,DK,retail,service_call,da,x,1",
        ("responded_at", "", "a date"),
    ),
    "nps out of range": (
        "r2,c2,2026-03-03,11,2,no,B2B,DK,retail,service_call,da,x,1",
        ("nps", "11", "an integer 0-10"),
    ),
    "nps not whole": (
        "r2,c2,2026-03-03,7.5,2,no,B2B,DK,retail,service_call,da,x,1",
        ("nps", "7.5", "an integer 0-10"),
    ),
    "csat off the scale": (
        "r2,c2,2026-03-03,3,6,no,B2B,DK,retail,service_call,da,x,1",
        ("csat", "6", "an integer 1-5"),
    ),
    "unknown recommendation": (
        "r2,c2,2026-03-03,3,2,maybe,B2B,DK,retail,service_call,da,x,1",
        ("recommended_last_12m", "maybe", "yes, no or unknown"),
    ),
    "unknown country": (
        "r2,c2,2026-03-03,3,2,no,B2B,Atlantis,retail,service_call,da,x,1",
        ("country", "Atlantis", "an ISO country code such as SE"),
    ),
    "language not a code": (
        "r2,c2,2026-03-03,3,2,no,B2B,DK,retail,service_call,danish,x,1",
        ("language", "danish", "a language code such as sv or en"),
    ),
    "zero weight": (
        "r2,c2,2026-03-03,3,2,no,B2B,DK,retail,service_call,da,x,0",
        ("weight", "0", "a positive number"),
    ),
    "negative weight": (
        "r2,c2,2026-03-03,3,2,no,B2B,DK,retail,service_call,da,x,-1.5",
        ("weight", "-1.5", "a positive number"),
    ),
}


@pytest.mark.parametrize("case", list(BAD_ROWS))
def test_each_check_names_row_column_and_value(tmp_path, url, case):
    row, (column, value, expected) = BAD_ROWS[case]
    path = write(tmp_path, "\n".join([HEADER, GOOD[0], row, GOOD[2]]) + "\n", "bad.csv")
    assert staged(path, "bad") is None  # the engine finds the problem ...
    with pytest.raises(ImportValidationError) as info:  # ... and the error names it
        imports.import_files([path], database=url)
    assert f"bad.csv, row 3, column {column!r}: {value!r}: expected {expected}" in str(info.value)
    assert [(p.row, p.column, p.value) for p in info.value.problems] == [(3, column, value)]


#: Values the per-column path reads that the staging path leaves to it -> (column, stored).
OTHER_FORMS = {
    "labelled score": ("r2,c2,2026-03-03,9 - Very likely,2,no,B2B,DK,,,da,x,1", ("nps", 9)),
    "day.month.year": (
        "r2,c2,31.03.2026,3,2,no,B2B,DK,,,da,x,1",
        ("responded_at", pd.Timestamp("2026-03-31")),
    ),
    "tab around an id": ("\tr2\t,c2,2026-03-03,3,2,no,B2B,DK,,,da,x,1", ("response_id", "r2")),
    "line break written CR LF inside a comment": (
        'r2,c2,2026-03-03,3,2,no,B2B,DK,,,da,"two\r\nlines",1',
        ("comment", "two\nlines"),
    ),
}


@pytest.mark.parametrize("case", list(OTHER_FORMS))
def test_other_forms_still_import_through_the_per_column_path(tmp_path, url, case):
    row, (column, stored) = OTHER_FORMS[case]
    path = write(tmp_path, "\n".join([HEADER, GOOD[0], row]) + "\n")
    assert staged(path, "wave") is None
    imports.import_files([path], database=url)
    con = duckdb.connect(str(db.duckdb_path(url)), read_only=True)
    try:
        value = con.execute(
            f"SELECT {column} FROM responses WHERE source = 'wave' ORDER BY response_id"
        ).fetchall()[-1][0]
    finally:
        con.close()
    assert value == stored


def test_an_error_in_the_second_file_leaves_the_database_unchanged(tmp_path, url):
    good = write(tmp_path, "\n".join([HEADER, *GOOD]) + "\n", "good.csv")
    bad = write(tmp_path, "\n".join([HEADER, GOOD[0], BAD_ROWS["nps out of range"][0]]), "bad.csv")
    assert staged(good, "good") is not None and staged(bad, "bad") is None
    before = content(url)
    with pytest.raises(ImportValidationError, match=r"bad\.csv, row 3, column 'nps': '11'"):
        imports.import_files([good, bad], database=url)
    assert content(url) == before
    assert imports.import_files([good], database=url)[0].status == "imported"
    assert content(url) != before


@pytest.mark.slow
def test_a_bad_value_on_row_900000_of_a_large_file_is_named(tmp_path):
    lines = [HEADER]
    lines += [
        f"r{i},c{i % 5000},2026-03-{1 + i % 28:02d} 10:{i % 60:02d}:00,{i % 11},{1 + i % 5},"
        f"yes,B2C,SE,retail,service_call,sv,,1"
        for i in range(2, 1_000_001)
    ]
    lines[899_999] = lines[899_999].replace(",yes,B2C,SE,", ",yes,B2C,Atlantis,")  # row 900,000
    path = write(tmp_path, "\n".join(lines) + "\n", "large.csv")
    url = f"duckdb:///{tmp_path}/cx.duckdb"
    with pytest.raises(ImportValidationError) as info:
        imports.import_files([path], database=url)
    assert "large.csv, row 900000, column 'country': 'Atlantis'" in str(info.value)
    assert not db.duckdb_path(url).exists() or content(url).get("responses", []) == []


def test_two_staged_files_into_a_new_database_in_a_new_folder(tmp_path):
    """Staged in memory, the database file attached only to write: a dry run creates none."""
    first = write(tmp_path, "\n".join([HEADER, *GOOD]) + "\n", "first.csv")
    second = write(tmp_path, "\n".join([HEADER, GOOD[0].replace("r1,", "r9,")]) + "\n", "b.csv")
    url = f"duckdb:///{tmp_path}/new/cx.duckdb"
    reports = imports.import_files([first, second], database=url, dry_run=True)
    assert [r.status for r in reports] == ["validated", "validated"]
    assert not db.duckdb_path(url).exists()
    reports = imports.import_files([first, second], database=url)
    assert [(r.status, r.rows) for r in reports] == [("imported", 3), ("imported", 1)]
    got = content(url)
    assert sorted(r[0] for r in got["responses"]) == ["r1", "r2", "r3", "r9"]
    assert {r[0] for r in got["customers"]} >= {"c1", "c2"}
    # into the existing file (staged in its own connection): unchanged, then a new file
    third = write(tmp_path, "\n".join([HEADER, GOOD[1].replace("r2,", "r7,")]) + "\n", "c.csv")
    reports = imports.import_files([first, third], database=url)
    assert [r.status for r in reports] == ["unchanged", "imported"]
    assert len(content(url)["responses"]) == 5
    assert staging.stage(staging.header(third, "auto"), "c").rows == 1
