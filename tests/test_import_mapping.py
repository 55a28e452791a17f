"""Suggested mappings that lose nothing, unused-column warnings, idempotence per file."""

import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from cxresearch.data import db, imports
from cxresearch.errors import ImportValidationError
from cxresearch.running.params import read_yaml

ROOT = Path(__file__).resolve().parent.parent
HEADER = ("response_id,customer_id,responded_at,nps,csat,recommended_last_12m,segment,country,"
          "industry,touchpoint,language,comment,weight")  # fmt: skip
ROWS = [
    "r1,c1,2026-03-02,10,5,yes,B2C,SE,consumer,after_purchase,sv,Snabb leverans,1.5",
    "r2,c2,2026-03-03 14:05,3,2,no,B2B,DK,retail,service_call,da,For dyrt,0.5",
    "r3,c1,2026-03-04,8,4,unknown,B2C,SE,consumer,website_visit,sv,,2",
]


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def canonical(path: Path, rows=ROWS) -> Path:
    return write(path, HEADER + "\n" + "\n".join(rows) + "\n")


def responses(url: str) -> list[tuple]:
    con = duckdb.connect(str(db.duckdb_path(url)), read_only=True)
    try:
        return con.execute(
            "SELECT source, response_id, customer_id, recommended_last_12m, weight, touchpoint "
            "FROM responses ORDER BY source, response_id"
        ).fetchall()
    finally:
        con.close()


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "cxresearch.cli", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )


def test_canonical_csv_with_its_own_suggested_mapping_loses_nothing(tmp_path):
    wave = canonical(tmp_path / "wave.csv")
    draft = imports.suggest_mapping(wave)
    parsed = read_yaml(draft)
    assert parsed["columns"] == {c: c for c in HEADER.split(",")}
    assert "# guess" not in draft and "@row" not in draft
    mapping = write(tmp_path / "m.yaml", draft)
    plain, mapped = f"duckdb:///{tmp_path}/a.duckdb", f"duckdb:///{tmp_path}/b.duckdb"
    imports.import_files([wave], database=plain)
    (report,) = imports.import_files([wave], mapping_file=mapping, database=mapped)
    assert report.warnings == ()
    expected = [
        ("wave", "r1", "c1", "yes", 1.5, "after_purchase"),
        ("wave", "r2", "c2", "no", 0.5, "service_call"),
        ("wave", "r3", "c1", "unknown", 2.0, "website_visit"),
    ]
    assert responses(plain) == expected
    assert responses(mapped) == expected


def test_guesses_are_marked_and_long_questions_stay_valid_yaml_in_a_pipe(tmp_path):
    question = "How likely are you to recommend our company to a friend or colleague " * 3
    path = write(
        tmp_path / "export.csv",
        f'Q1,"{question}",Q3,Extra notes column with a long name that goes past eighty chars\n'
        "1,9,x,y\n",
    )
    done = cli("import", "--suggest-mapping", str(path))
    assert done.returncode == 0, done.stderr
    parsed = read_yaml(done.stdout)  # a pipe: no Rich wrapping at 80 columns
    assert parsed["columns"]["nps"] == question.strip()
    nps_line = next(line for line in done.stdout.splitlines() if line.startswith("  nps:"))
    assert "# guess" in nps_line
    rid = next(line for line in done.stdout.splitlines() if line.startswith("  response_id:"))
    assert "'@row'" in rid and "# guess" in rid
    assert "#   Extra notes column with a long name that goes past eighty chars" in done.stdout
    target = tmp_path / "mapping.yaml"
    done = cli("import", "--suggest-mapping", str(path), "-o", str(target))
    assert done.returncode == 0, done.stderr
    assert read_yaml(target.read_text(encoding="utf-8")) == parsed


def test_unused_columns_warn_and_strict_refuses(tmp_path):
    wave = canonical(tmp_path / "wave.csv")
    mapping = write(
        tmp_path / "m.yaml",
        "columns: {response_id: response_id, responded_at: responded_at, nps: nps}\n"
        "ignore: [comment]\n",
    )
    url = f"duckdb:///{tmp_path}/cx.duckdb"
    (report,) = imports.import_files([wave], mapping_file=mapping, database=url, dry_run=True)
    unused = [w.split("column '", 1)[1].split("'", 1)[0] for w in report.warnings]
    left = "customer_id csat recommended_last_12m segment country industry touchpoint language"
    assert unused == [*left.split(), "weight"]
    with pytest.raises(ImportValidationError, match="--strict: nothing was imported"):
        imports.import_files([wave], mapping_file=mapping, database=url, strict=True)
    assert not db.duckdb_path(url).exists()
    done = cli("import", str(wave), "--mapping", str(mapping), "--db", url, "--strict")
    assert done.returncode == 1 and "column 'weight' is not used" in done.stderr


def test_same_command_twice_is_unchanged_for_every_file(tmp_path):
    (tmp_path / "d1").mkdir()
    (tmp_path / "d2").mkdir()
    a = canonical(tmp_path / "d1" / "wave.csv")
    b = canonical(tmp_path / "d2" / "wave.csv", [r.replace("r", "s", 1) for r in ROWS[:2]])
    c = canonical(tmp_path / "other.csv", ROWS[2:])
    url = f"duckdb:///{tmp_path}/cx.duckdb"
    first = imports.import_files([a, b, c], survey="w", database=url)
    assert [r.status for r in first] == ["imported"] * 3
    assert len({r.source for r in first}) == 3  # one source per file
    assert [r.replaced for r in first] == [0, 0, 0]
    rows = responses(url)
    assert len(rows) == 6  # both wave.csv files and other.csv kept
    again = imports.import_files([a, b, c], survey="w", database=url)
    assert [r.status for r in again] == ["unchanged"] * 3
    assert [r.source for r in again] == [r.source for r in first]
    assert responses(url) == rows
    done = cli("import", str(a), str(b), str(c), "--survey", "w", "--db", url)
    assert done.returncode == 0, done.stderr
    assert [line.split()[0] for line in done.stdout.splitlines()] == ["unchanged"] * 3


def test_a_changed_mapping_reimports_and_replaces(tmp_path):
    wave = canonical(tmp_path / "wave.csv")
    url = f"duckdb:///{tmp_path}/cx.duckdb"
    m = tmp_path / "m.yaml"
    write(m, "columns: {response_id: response_id, responded_at: responded_at, nps: nps}\n")
    (first,) = imports.import_files([wave], mapping_file=m, database=url)
    assert {r[3] for r in responses(url)} == {"unknown"}  # recommend answers left out
    write(m, imports.suggest_mapping(wave))
    (second,) = imports.import_files([wave], mapping_file=m, database=url)
    assert (second.status, second.replaced, second.source) == ("imported", 3, first.source)
    assert [r[3] for r in responses(url)] == ["yes", "no", "unknown"]
    done = cli("import", str(wave), "--mapping", str(m), "--db", url)
    assert done.stdout.startswith("unchanged"), done.stdout
    write(m, "columns: {response_id: response_id, responded_at: responded_at, nps: csat}\n")
    done = cli("import", str(wave), "--mapping", str(m), "--db", url)
    assert "replacing 3 earlier rows" in done.stdout, done.stdout + done.stderr
    assert len(responses(url)) == 3


def test_qualtrics_time_zone_is_kept_and_stored_in_utc(tmp_path):
    path = write(
        tmp_path / "q.csv",
        "ResponseId,RecordedDate,Q1\n"
        "Response ID,Recorded Date,How likely are you to recommend us?\n"
        '"{""ImportId"":""_recordId""}","{""ImportId"":""recordedDate"",'
        '""timeZone"":""America/Denver""}","{""ImportId"":""QID1""}"\n'
        "R_1,2026-03-02 10:30:00,9\n"
        "R_2,2026-07-02 10:30:00,3\n",
    )
    mapping = write(
        tmp_path / "m.yaml",
        "columns: {response_id: ResponseId, responded_at: RecordedDate, nps: Q1}\n",
    )
    url = f"duckdb:///{tmp_path}/cx.duckdb"
    imports.import_files([path], mapping_file=mapping, database=url)
    con = duckdb.connect(str(db.duckdb_path(url)), read_only=True)
    got = con.execute("SELECT strftime(responded_at, '%H:%M') FROM responses ORDER BY 1").fetchall()
    con.close()
    # Denver is UTC-7 in winter (MST), UTC-6 in summer (MDT): IANA tz database
    assert got == [("16:30",), ("17:30",)]
