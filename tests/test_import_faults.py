"""Faults on import: files that are not whole, undecodable bytes, locked and damaged databases.

Every case is refused with a named problem (file, row, column) or a one-line database error,
never a traceback, and the database content is the same afterwards (issue #16, item 2).
"""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from cxresearch.data import db, demo, imports
from cxresearch.data.imports import readers
from cxresearch.errors import DatabaseError, ImportValidationError

ROOT = Path(__file__).resolve().parent.parent
HEADER = ("response_id,customer_id,responded_at,nps,csat,recommended_last_12m,segment,country,"
          "industry,touchpoint,language,comment,weight")  # fmt: skip
GOOD = [
    "r1,c1,2026-03-02,10,5,yes,B2C,SE,consumer,after_purchase,sv,Snabb leverans,1",
    "r2,c2,2026-03-03,3,2,no,B2B,DK,retail,service_call,da,For dyrt,1",
    "r3,c1,2026-03-04,8,4,unknown,B2C,SE,consumer,website_visit,sv,,1",
]


@pytest.fixture()
def url(tmp_path) -> str:
    """A small demo database to import into."""
    return db.write_tables(f"duckdb:///{tmp_path}/cx.duckdb", demo.generate(300, seed=2))


def content(url: str) -> dict[str, list[tuple]]:
    """Every row of every table, sorted: the database content to compare before and after."""
    con = duckdb.connect(str(db.duckdb_path(url)), read_only=True)
    try:
        sql = "SELECT table_name FROM information_schema.tables"
        names = [r[0] for r in con.execute(sql).fetchall()]
        return {n: con.execute(f'SELECT * FROM "{n}" ORDER BY ALL').fetchall() for n in names}
    finally:
        con.close()


def csv_bytes(rows: list[str], *, end: str = "\n") -> bytes:
    return (HEADER + "\n" + "\n".join(rows) + end).encode()


def cli_import(path: Path, url: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "cxresearch.cli", "import", str(path), "--db", url],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )


def assert_one_error_line(proc: subprocess.CompletedProcess) -> str:
    """Non-zero exit, no traceback, and one `error:` line (progress lines say `import:`)."""
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr and "Traceback" not in proc.stdout
    lines = proc.stderr.splitlines()
    errors = [line for line in lines if not line.startswith("import: ")]
    assert len(errors) == 1 and errors[0].startswith("error: "), proc.stderr
    return errors[0]


# -- files that are not whole --------------------------------------------------------------

#: name -> (file bytes, the one problem expected, as printed)
BROKEN = {
    "truncated last row": (
        csv_bytes([*GOOD, "r4,c4,2026-03-05,9,5,yes,B2C,SE,consumer"], end=""),
        "broken.csv, row 5, column 'touchpoint': '': expected 13 fields as in row 1: the last "
        "row stops after 9 fields and the file ends without a line break (truncated: the file "
        "is cut short)",
    ),
    "unterminated quote": (
        csv_bytes([*GOOD, 'r4,c4,2026-03-05,9,5,yes,B2C,SE,,,sv,"Bra men', "dyrt,1"]),
        "broken.csv, row 5, column 'comment': 'Bra men': expected a closing quote: the quoted "
        "value opened here runs to the end of the file (an unterminated quote; the file may be "
        "cut short)",
    ),
    "a row with a field too many": (
        csv_bytes(
            [GOOD[0], "r2,c2,2026-03-03,3,2,no,B2B,DK,retail,service_call,da,dyrt, men ok,1"]
        ),
        "broken.csv, row 3, column 'column_14': '1': expected 13 fields as in row 1, found 14",
    ),
    "a short row in the middle": (
        csv_bytes([GOOD[0], "r2,c2,2026-03-03,3,2,no,B2B,DK", GOOD[2]]),
        "broken.csv, row 3, column 'industry': '': expected 13 fields as in row 1, found 8",
    ),
    "a NUL byte in a comment": (
        csv_bytes([GOOD[0], "r2,c2,2026-03-03,3,2,no,B2B,DK,retail,service_call,da,bad\x00byte,1"]),
        "broken.csv, row 3, column 'comment': 'bad\\x00byte': expected text without NUL bytes",
    ),
    "a value of more than a million characters": (
        csv_bytes([f"r1,c1,2026-03-02,10,5,yes,B2C,SE,,,sv,{'x' * 1_000_001},1"]),
        "broken.csv, row 2, column 'comment': '" + "x" * 40 + "…': expected a value of at most "
        "1,000,000 characters",
    ),
    "a stray quote inside a quoted value": (
        csv_bytes([GOOD[0], 'r2,c2,2026-03-03,3,2,no,B2B,DK,,,da,"sa "bra" ja",1']),
        "broken.csv, row 3, column 'comment': 'sa \"bra\" ja\",1': expected a quote inside a "
        'quoted value written twice ("")',
    ),
}


@pytest.mark.parametrize("case", list(BROKEN))
def test_broken_file_is_refused_with_row_and_column(tmp_path, url, case):
    data, expected = BROKEN[case]
    path = tmp_path / "broken.csv"
    path.write_bytes(data)
    before = content(url)
    with pytest.raises(ImportValidationError) as info:
        imports.import_files([path], database=url)
    message = str(info.value)
    assert message.startswith(f"{path}: 1 problem(s) found; nothing was imported: ")
    assert expected in message, message
    assert "\n" not in message  # one problem, one line
    assert len(info.value.problems) == 1
    assert content(url) == before


def test_cli_refuses_broken_files_in_one_line(tmp_path, url):
    before = content(url)
    for case, (data, expected) in BROKEN.items():
        path = tmp_path / "broken.csv"
        path.write_bytes(data)
        line = assert_one_error_line(cli_import(path, url))
        assert expected in line, (case, line)
    assert content(url) == before


def test_truncated_file_does_not_replace_good_data(tmp_path, url):
    # replace-by-source: a cut copy of the same file must not replace the good import
    path = tmp_path / "wave.csv"
    path.write_bytes(csv_bytes(GOOD))
    imports.import_files([path], database=url)
    good = content(url)
    path.write_bytes(csv_bytes(GOOD)[:-30])  # cut inside the last row
    with pytest.raises(ImportValidationError, match="row 4, .*truncated"):
        imports.import_files([path], database=url)
    assert content(url) == good


def test_every_structural_problem_is_listed(tmp_path):
    rows = [GOOD[0], "r2,c2", "r3,c3,2026-03-04,8,4,unknown,B2C,SE,,,,,,1", GOOD[2]]
    path = tmp_path / "two.csv"
    path.write_bytes(csv_bytes(rows))
    with pytest.raises(ImportValidationError) as info:
        readers.read(path)
    assert [(p.row, p.column) for p in info.value.problems] == [
        (3, "responded_at"),
        (4, "column_14"),
    ]
    assert str(info.value).startswith(f"{path}: 2 problem(s) found; nothing was imported:\n")


def test_a_large_comment_is_stored_whole(tmp_path, url):
    # 150 KiB is over the csv module's default field limit (128 KiB); it is a comment, kept
    comment = ("Leveransen kom sent och kundtjänst svarade inte. " * 3200)[: 150 * 1024]
    path = tmp_path / "long.csv"
    path.write_bytes(csv_bytes([f'r1,c1,2026-03-02,2,1,no,B2C,SE,,,sv,"{comment}",1']))
    (report,) = imports.import_files([path], database=url)
    assert report.status == "imported"
    con = duckdb.connect(str(db.duckdb_path(url)), read_only=True)
    stored = con.execute("SELECT comment FROM responses WHERE source = 'long'").fetchone()[0]
    con.close()
    assert stored == comment and len(stored) == 150 * 1024


def test_ending_without_a_line_break_is_fine_when_the_row_is_whole(tmp_path):
    path = tmp_path / "noeol.csv"
    path.write_bytes(csv_bytes(GOOD, end=""))
    assert readers.read(path).frame["response_id"].tolist() == ["r1", "r2", "r3"]


# -- encodings -------------------------------------------------------------------------------


def test_shift_jis_is_refused_not_stored_as_mojibake(tmp_path, url):
    text = HEADER + "\nr1,c1,2026-03-02,3,2,no,B2C,SE,,,en,配送が遅かったです。とても残念,1\n"
    path = tmp_path / "japan.csv"
    path.write_bytes(text.encode("shift_jis"))
    before = content(url)
    with pytest.raises(ImportValidationError) as info:
        imports.import_files([path], database=url)
    message = str(info.value)
    assert message.startswith(f"{path}: not UTF-8 from line 2 on")
    assert "save the file as UTF-8" in message and "cp932" in message
    line = assert_one_error_line(cli_import(path, url))
    assert str(path) in line and "not UTF-8" in line
    assert content(url) == before
    # the same text saved as UTF-8 imports and reads back as written
    path.write_bytes(text.encode())
    imports.import_files([path], database=url)
    con = duckdb.connect(str(db.duckdb_path(url)), read_only=True)
    stored = con.execute("SELECT comment FROM responses WHERE source = 'japan'").fetchone()[0]
    con.close()
    assert stored == "配送が遅かったです。とても残念"


@pytest.mark.parametrize(
    ("enc", "text"),
    [
        ("cp1251", "Доставка была очень медленной, и никто не ответил"),
        ("gb18030", "送货太慢了，客服也没有回复，非常失望"),
    ],
)
def test_other_scripts_in_legacy_code_pages_are_refused(tmp_path, enc, text):
    path = tmp_path / "other.csv"
    path.write_bytes(f"id,comment\n1,{text}\n".encode(enc))
    with pytest.raises(ImportValidationError, match=r"other\.csv: not UTF-8 from line 2 on"):
        readers.read(path)


def test_binary_data_is_refused(tmp_path):
    path = tmp_path / "photo.csv"
    path.write_bytes(bytes(range(256)) * 8)
    with pytest.raises(ImportValidationError, match=r"photo\.csv: not UTF-8 .*no encoding"):
        readers.read(path)


def test_western_legacy_files_still_decode(tmp_path):
    text = "id;comment\n1;Hyvää palvelua, kiitos – mycket bra för 10 €\n"
    for enc in ("cp1252", "mac_roman"):
        path = tmp_path / f"{enc}.csv"
        path.write_bytes(text.encode(enc))
        raw = readers.read(path)
        assert raw.encoding == enc
        assert raw.frame["comment"].tolist() == ["Hyvää palvelua, kiitos – mycket bra för 10 €"]


# -- NUL bytes in Excel and SPSS -------------------------------------------------------------


def test_nul_never_reaches_the_database_from_excel_or_spss(tmp_path, url):
    import pyreadstat

    # SPSS: readstat drops a NUL inside a string value itself
    sav = tmp_path / "wave.sav"
    frame = pd.DataFrame({"resp": [1.0, 2.0], "nps": [9.0, 3.0], "note": ["aQb", "ok"]})
    pyreadstat.write_sav(frame, str(sav))
    sav.write_bytes(sav.read_bytes().replace(b"aQb", b"a\x00b"))
    assert readers.read(sav).frame["note"].tolist() == ["ab", "ok"]
    # Excel: XML cannot hold NUL; the escape _x0000_ is read as its literal text
    rows = pd.read_csv(pd.io.common.StringIO(HEADER + "\n" + GOOD[0] + "\n"), dtype=str)
    plain = tmp_path / "plain.xlsx"
    rows.assign(comment="xNULy").to_excel(plain, index=False)
    xlsx = tmp_path / "wave.xlsx"
    with zipfile.ZipFile(plain) as src, zipfile.ZipFile(xlsx, "w") as dst:
        for item in src.infolist():
            dst.writestr(item, src.read(item.filename).replace(b"xNULy", b"x_x0000_y"))
    imports.import_files([xlsx], database=url)
    con = duckdb.connect(str(db.duckdb_path(url)), read_only=True)
    stored = con.execute("SELECT comment FROM responses WHERE source = 'wave'").fetchone()[0]
    nul = con.execute("SELECT count(*) FROM responses WHERE contains(comment, chr(0))").fetchone()
    con.close()
    assert stored == "x_x0000_y" and nul == (0,)


# -- locked and damaged databases ------------------------------------------------------------


def test_database_locked_by_another_process(tmp_path, url):
    path = tmp_path / "wave.csv"
    path.write_bytes(csv_bytes(GOOD))
    before = content(url)
    database = db.duckdb_path(url)
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys, time\n"
            f"con = duckdb.connect({str(database)!r})\n"
            "con.execute('SELECT count(*) FROM responses').fetchall()\n"
            "print('holding', flush=True)\n"
            "sys.stdin.read()\n",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "holding"
        expected = (
            f"the database {database} is in use by another process (pid {holder.pid}); try again"
        )
        with pytest.raises(DatabaseError) as info:
            imports.import_files([path], database=url)
        assert str(info.value) == expected
        with pytest.raises(DatabaseError) as info:
            db.connect(url)  # reading is refused the same way while a writer holds it
        assert str(info.value) == expected
        line = assert_one_error_line(cli_import(path, url))
        assert line == f"error: {expected}"
    finally:
        holder.stdin.close()
        holder.wait(timeout=30)
        holder.stdout.close()
    assert content(url) == before
    (report,) = imports.import_files([path], database=url)  # and it imports once released
    assert report.status == "imported"


@pytest.mark.parametrize("damage", ["not a database", "cut short"])
def test_damaged_database_gives_one_line(tmp_path, url, damage):
    path = tmp_path / "wave.csv"
    path.write_bytes(csv_bytes(GOOD))
    database = db.duckdb_path(url)
    if damage == "not a database":
        database.write_bytes(b"SQLite format 3\x00" + b"\x01" * 9000)
    else:
        database.write_bytes(database.read_bytes()[:5000])
    bytes_before = database.read_bytes()
    prefix = f"the database {database} cannot be read: it is damaged or not a DuckDB database ("
    with pytest.raises(DatabaseError) as info:
        imports.import_files([path], database=url)
    assert str(info.value).startswith(prefix) and "\n" not in str(info.value)
    with pytest.raises(DatabaseError) as info:
        db.connect(url)
    assert str(info.value).startswith(prefix)
    line = assert_one_error_line(cli_import(path, url))
    assert line.startswith(f"error: {prefix}")
    assert database.read_bytes() == bytes_before
