"""Imports: real survey exports read in place, bad inputs, encodings, all-or-nothing."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from cxresearch.data import db, demo, fingerprints, imports
from cxresearch.data.imports import encoding, readers
from cxresearch.errors import ImportValidationError
from cxresearch.stats import metrics, models

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT.parent / "shared" / "fixtures"
CARPENTRIES = FIXTURES / "carpentries_nps" / "2020-12-long-term-other_questions-no-open.csv"
HEADER = ("response_id,customer_id,responded_at,nps,csat,recommended_last_12m,segment,country,"
          "industry,touchpoint,language,comment,weight")  # fmt: skip


@pytest.fixture()
def url(tmp_path) -> str:
    """A small demo database to import into."""
    target = f"duckdb:///{tmp_path}/cx.duckdb"
    db.write_tables(target, demo.generate(300, seed=2))
    return target


def state(url: str) -> tuple:
    """Row counts of every table and the data fingerprint."""
    path = db.duckdb_path(url)
    con = duckdb.connect(str(path), read_only=True)
    try:
        tables = [
            r[0]
            for r in con.execute(
                "SELECT table_name FROM information_schema.tables ORDER BY 1"
            ).fetchall()
        ]
        counts = {t: con.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}
    finally:
        con.close()
    ibis_con = db.connect(url)
    try:
        return counts, fingerprints.fingerprint(ibis_con)
    finally:
        ibis_con.disconnect()


def write(path: Path, text: str, enc: str = "utf-8", newline: str = "\n") -> Path:
    path.write_bytes(text.replace("\n", newline).encode(enc))
    return path


def canonical(rows: list[str]) -> str:
    return HEADER + "\n" + "\n".join(rows) + "\n"


GOOD = [
    "r1,c1,2026-03-02,10,5,yes,B2C,SE,consumer,after_purchase,sv,Snabb leverans,1",
    "r2,c2,2026-03-03 14:05,3,2,no,B2B,DK,retail,service_call,da,For dyrt,1",
    "r3,c1,2026-03-04,8,4,unknown,B2C,SE,consumer,website_visit,sv,,1",
]


def read_back(url: str, source: str) -> pd.DataFrame:
    con = db.connect(url)
    try:
        r = con.table("responses")
        return r.filter(r.source == source).order_by("response_id").to_pandas()
    finally:
        con.disconnect()


# -- the real exports under ../shared/fixtures ----------------------------------------------


def test_carpentries_survey_through_a_mapping(tmp_path, url):
    mapping = write(
        tmp_path / "carpentries.yaml",
        """
source: carpentries_2020
survey: {name: Carpentries long-term survey 2020, kind: relational}
columns:
  response_id: "@row"
  nps: recommendation_score
  recommended_last_12m: has_recommended
  country: workshop_country
constants: {responded_at: 2020-12-01, touchpoint: relationship}
values:
  recommended_last_12m: {"I don't remember": unknown}
missing: ["", "NA"]
""",
    )
    (report,) = imports.import_files([CARPENTRIES], mapping_file=mapping, database=url)
    assert (report.rows, report.status, report.format) == (87, "imported", "csv")
    con = db.connect(url)
    r = db.read_responses(con)
    r = r.filter(r.source == "carpentries_2020")
    row = metrics.nps(r).iloc[0]
    # the fixture's README: NPS = +47.1 (49 promoters, 8 detractors of 87)
    assert (row["n"], row["promoters"], row["detractors"]) == (87, 49, 8)
    assert round(row["estimate"] * 100, 1) == 47.1
    cal = models.intent_calibration(r).set_index("score")
    raw = pd.read_csv(CARPENTRIES, keep_default_na=False, dtype=str)
    tens = raw[raw["recommendation_score"] == "10"]["has_recommended"]
    assert cal.loc[10, "recommended"] == (tens == "Yes").sum()
    assert cal.loc[10, "n"] == tens.isin(["Yes", "No"]).sum()
    countries = set(con.table("customers").country.to_pandas().dropna())
    assert "US" in countries  # "United States" mapped to its ISO code
    con.disconnect()


def test_qualtrics_sample(tmp_path, url):
    mapping = write(
        tmp_path / "q.yaml",
        """
columns: {response_id: ResponseId, responded_at: RecordedDate, csat: Q1, comment: Q2,
          language: UserLanguage}
""",
    )
    raw = readers.read(FIXTURES / "qualtrics" / "sample.csv")
    assert (raw.format, raw.header_rows) == ("qualtrics", 3)
    assert raw.questions["Q1"] == "This is a multiple choice question."
    imports.import_files(
        [FIXTURES / "qualtrics" / "sample.csv"], mapping_file=mapping, database=url
    )
    out = read_back(url, "sample")
    assert out["response_id"].tolist() == ["R_2YPOQ602ER1jkf1"]
    assert out["csat"].tolist() == [2] and out["comment"].tolist() == ["Hello World!"]
    assert out["language"].tolist() == ["de"]
    assert str(out["responded_at"].iloc[0]) == "2017-07-18 08:28:48"


def test_surveymonkey_steak_survey(tmp_path, url):
    raw = readers.read(FIXTURES / "surveymonkey" / "steak-risk-survey.csv")
    assert (raw.format, raw.header_rows, len(raw.frame)) == ("surveymonkey", 2, 550)
    assert raw.frame.columns[1].startswith("Consider the following hypothetical situations")
    mapping = write(
        tmp_path / "steak.yaml",
        """
source: steak
columns: {response_id: RespondentID, comment: "How do you like your steak prepared?"}
constants: {responded_at: 2014-05-01}
""",
    )
    (report,) = imports.import_files([raw.path], mapping_file=mapping, database=url)
    assert report.rows == 550
    out = read_back(url, "steak")
    assert out["response_id"].str.fullmatch(r"\d+").all() and len(out) == 550
    assert "Medium rare" in set(out["comment"])


def test_suggest_mapping_recognises_five_languages(tmp_path):
    questions = {
        "en": "How likely are you to recommend us to a friend?",
        "sv": "Hur sannolikt är det att du skulle rekommendera oss till en vän?",
        "da": "Hvor sandsynligt er det, at du vil anbefale os til en ven?",
        "fi": "Kuinka todennäköisesti suosittelisit meitä ystävällesi?",
        "nl": "Hoe waarschijnlijk is het dat u ons zou aanbevelen aan een vriend?",
    }
    for lang, text in questions.items():
        path = write(tmp_path / f"{lang}.csv", f'id,"{text}",Kommentar\n1,9,x\n')
        draft = imports.suggest_mapping(path)
        assert f"nps: '{text}'" in draft or f"nps: {text}" in draft, (lang, draft)


def test_suggested_carpentries_mapping_is_loadable(tmp_path):
    draft = imports.suggest_mapping(CARPENTRIES)
    text = draft.replace("YYYY-MM-DD  # the field date: no date column found", "2020-12-01")
    path = write(tmp_path / "draft.yaml", text)
    url = f"duckdb:///{tmp_path}/x.duckdb"
    (report,) = imports.import_files([CARPENTRIES], mapping_file=path, database=url)
    assert report.rows == 87


# -- the canonical format, European files -------------------------------------------------


def test_canonical_csv_imports_without_mapping(tmp_path, url):
    before, _ = state(url)
    path = write(tmp_path / "wave.csv", canonical(GOOD))
    (report,) = imports.import_files([path], database=url)
    assert (report.status, report.source, report.kind) == ("imported", "wave", "responses")
    out = read_back(url, "wave")
    assert out["nps"].tolist() == [10, 3, 8]
    assert out["recommended_last_12m"].tolist() == ["yes", "no", "unknown"]
    after, _ = state(url)
    assert after["responses"] == before["responses"] + 3
    assert after["customers"] == before["customers"] + 2


@pytest.mark.parametrize(
    ("name", "enc", "newline", "sep", "bom"),
    [
        ("semicolon, decimal comma, CRLF", "utf-8", "\r\n", ";", b""),
        ("tab", "utf-8", "\n", "\t", b""),
        ("utf-8 with BOM", "utf-8", "\n", ",", b"\xef\xbb\xbf"),
        ("utf-16", "utf-16", "\r\n", ";", b""),
        ("cp1252", "cp1252", "\r\n", ";", b""),
        ("mac-roman", "mac_roman", "\r", ",", b""),
    ],
)
def test_european_files_round_trip(tmp_path, url, name, enc, newline, sep, bom):
    comment = 'Æble, øl og åbning; "citat"\nny linje: ä ö å Ø'
    weight = "0,5" if sep != "," else "0.5"
    quoted = '"' + comment.replace('"', '""') + '"'
    rows = [
        HEADER.replace(",", sep),
        sep.join(
            [
                "r1",
                "c1",
                "2026-03-02",
                "9",
                "4",
                "ja",
                "B2C",
                "DK",
                "consumer",
                "after_purchase",
                "da",
                quoted,
                f'"{weight}"' if sep == "," else weight,
            ]
        ),
    ]
    path = tmp_path / "eu.csv"
    text = "\n".join(rows) + "\n"
    path.write_bytes(
        bom + text.replace("\n", newline).encode(enc)
        if newline != "\r"
        else bom + text.replace("\n", "\r").encode(enc)
    )
    (report,) = imports.import_files([path], database=url)
    out = read_back(url, "eu")
    assert out["comment"].iloc[0].replace("\r\n", "\n").replace("\r", "\n") == comment
    assert out["weight"].iloc[0] == 0.5 and out["recommended_last_12m"].iloc[0] == "yes"
    expected_enc = {
        "utf-8": "utf-8",
        "utf-16": "utf-16",
        "cp1252": "cp1252",
        "mac_roman": "mac_roman",
    }[enc]
    if bom:
        expected_enc = "utf-8-sig"
    assert report.encoding == expected_enc


def test_mixed_encoding_lines_are_reported():
    data = (
        "x,y\n1,Göteborg\n".encode()
        + "2,Malmö\n".encode("cp1252")
        + "3,Århus\n".encode("mac_roman")
    )
    out = encoding.decode(data)
    assert out.text == "x,y\n1,Göteborg\n2,Malmö\n3,Århus\n"
    assert out.describe() == "UTF-8, except lines 3, 4, which were read as cp1252 or mac_roman"


def test_legacy_qualtrics_labels_and_multiline_questions(tmp_path, url):
    text = (
        "V1,V2,V8,Q1,Q2,Q3,\n"
        'ResponseID,ResponseSet,EndDate,"How likely are you\nto recommend us?",'
        '"Overall, how satisfied are you?",Anything else?,\n'
        "R_1,Default Response Set,2026-01-05 10:00:00,10 - Extremely likely,4 - Satisfied,Bra,\n"
        "R_2,Default Response Set,2026-01-06 11:00:00,0 - Not at all likely,1,Dåligt,\n"
    )
    path = write(tmp_path / "legacy.csv", text)
    raw = readers.read(path)
    assert (raw.format, raw.header_rows, list(raw.frame.columns)) == (
        "qualtrics",
        2,
        ["V1", "V2", "V8", "Q1", "Q2", "Q3"],
    )
    assert raw.questions["Q1"] == "How likely are you to recommend us?"
    mapping = write(
        tmp_path / "m.yaml",
        "columns: {response_id: V1, responded_at: V8, nps: Q1, csat: Q2, comment: Q3}\n",
    )
    imports.import_files([path], mapping_file=mapping, database=url)
    out = read_back(url, "legacy")
    assert out["nps"].tolist() == [10, 0] and out["csat"].tolist() == [4, 1]


def test_single_quoted_import_id_row(tmp_path):
    text = (
        "ResponseId,Q1\nResponse ID,How likely...\n"
        "\"{'ImportId': '_recordId'}\",\"{'ImportId': 'QID1'}\"\nR_1,9\n"
    )
    raw = readers.read(write(tmp_path / "single.csv", text))
    assert (raw.format, raw.header_rows, raw.frame["Q1"].tolist()) == ("qualtrics", 3, ["9"])


def test_surveymonkey_continuation_and_other_columns(tmp_path):
    text = (
        "Respondent ID,Collector ID,How likely are you to recommend us?,"
        "Which channels did you use?,,,Anything else?\n"
        ",,Response,Web,Phone,Other (please specify),Open-Ended Response\n"
        "111,9,10,Web,,Fax,Great\n"
    )
    raw = readers.read(write(tmp_path / "sm.csv", text))
    assert list(raw.frame.columns) == [
        "Respondent ID",
        "Collector ID",
        "How likely are you to recommend us?",
        "Which channels did you use? | Web",
        "Which channels did you use? | Phone",
        "Which channels did you use? | Other (please specify)",
        "Anything else? | Open-Ended Response",
    ]
    assert raw.frame.iloc[0, 5] == "Fax"


def test_excel_and_round_trip_of_nordic_letters(tmp_path, url):
    frame = pd.read_csv(pd.io.common.StringIO(canonical(GOOD)), dtype=str, keep_default_na=False)
    frame.loc[0, "comment"] = "Æ Ø Å ä ö – “bra”"
    path = tmp_path / "wave.xlsx"
    frame.to_excel(path, index=False)
    (report,) = imports.import_files([path], database=url)
    assert report.format == "csv" and report.encoding == "xlsx"
    assert read_back(url, "wave")["comment"].iloc[0] == "Æ Ø Å ä ö – “bra”"


def test_spss_value_labels_and_missing_codes(tmp_path, url):
    import pyreadstat

    df = pd.DataFrame(
        {"resp": [1.0, 2.0, 3.0, 4.0], "nps": [10.0, 99.0, 98.0, 6.0], "sat": [5.0, 4.0, 9.0, 1.0]}
    )
    path = tmp_path / "wave.sav"
    pyreadstat.write_sav(
        df,
        str(path),
        column_labels={"nps": "How likely are you to recommend us?", "sat": "How satisfied?"},
        variable_value_labels={"nps": {10.0: "Extremely likely", 99.0: "Refused"}},
        missing_ranges={"nps": [{"lo": 98.0, "hi": 99.0}], "sat": [9.0]},
    )
    raw = readers.read(path)
    assert raw.format == "spss" and raw.value_labels["nps"][10.0] == "Extremely likely"
    assert raw.frame["nps"].tolist() == ["10", "", "", "6"]  # user-missing codes are missing
    mapping = write(
        tmp_path / "m.yaml",
        "columns: {response_id: resp, nps: nps, csat: sat}\n"
        "constants: {responded_at: 2026-02-01}\n",
    )
    imports.import_files([path], mapping_file=mapping, database=url)
    out = read_back(url, "wave")
    assert out["nps"].isna().tolist() == [False, True, True, False]
    assert out["csat"].isna().tolist() == [False, False, True, False]


def test_companion_files(tmp_path, url):
    spend = write(
        tmp_path / "spend.csv",
        "customer_id;month;amount;currency\nc1;2026-03;1 234,50;sek\nc2;2026-03-01;99;EUR\n",
    )
    inter = write(
        tmp_path / "contacts.csv",
        "interaction_id,customer_id,agent_id,team,occurred_at,csat,complaint\n"
        "i1,c1,7,Nord,2026-03-02 09:00,2,yes\ni2,c2,8,Syd,2026-03-03,5,no\n",
    )
    reports = imports.import_files([spend, inter], database=url)
    assert [r.kind for r in reports] == ["spend", "interactions"]
    con = db.connect(url)
    s = con.table("spend")
    got = s.filter(s.customer_id == "c1").to_pandas()
    assert got["amount"].tolist() == [1234.5] and got["currency"].tolist() == ["SEK"]
    i = con.table("interactions")
    assert i.filter(i.interaction_id == "i1").complaint.to_pandas().tolist() == [True]
    con.disconnect()


# -- bad input: exact errors, nothing written --------------------------------------------


BAD_CASES = {
    "nps out of range": (
        ["r1,c1,2026-03-02,11,5,yes,B2C,SE,,,,,"],
        ["row 2, column 'nps': '11': expected an integer 0-10"],
    ),
    "nps not an integer": (
        ["r1,c1,2026-03-02,7.5,5,yes,B2C,SE,,,,,"],
        ["row 2, column 'nps': '7.5': expected an integer 0-10"],
    ),
    "csat out of range": (
        ["r1,c1,2026-03-02,7,6,yes,B2C,SE,,,,,"],
        ["row 2, column 'csat': '6': expected an integer 1-5"],
    ),
    "bad date": (
        ["r1,c1,2026-02-30,7,5,yes,B2C,SE,,,,,"],
        ["row 2, column 'responded_at': '2026-02-30': expected a date such as 2025-03-31"],
    ),
    "duplicate response id": (
        ["r1,c1,2026-03-02,7,5,yes,B2C,SE,,,,,", "r1,c2,2026-03-03,8,5,no,B2C,SE,,,,,"],
        ["row 3, column 'response_id': 'r1': expected a unique response id (row 2 has it too)"],
    ),
    "unknown coded values": (  # segment and touchpoint are free labels (B2X, phone pass)
        ["r1,c1,2026-03-02,7,5,maybe,B2X,Atlantis,,phone,,,"],
        [
            "row 2, column 'recommended_last_12m': 'maybe': expected yes, no or unknown",
            "row 2, column 'country': 'Atlantis': expected an ISO country code",
        ],
    ),
    "every problem listed": (
        [
            "r1,c1,2026-03-02,12,5,yes,B2C,SE,,,,,",
            "r2,c2,2026-03-02,5,0,yes,B2C,SE,,,,,",
            ",c3,yesterday,5,5,yes,B2C,SE,,,,,-1",
        ],
        [
            "row 2, column 'nps'",
            "row 3, column 'csat'",
            "row 4, column 'response_id'",
            "row 4, column 'responded_at': 'yesterday'",
            "row 4, column 'weight': '-1'",
        ],
    ),
}


@pytest.mark.parametrize("case", list(BAD_CASES))
def test_bad_input_exact_errors_and_database_unchanged(tmp_path, url, case):
    rows, expected = BAD_CASES[case]
    path = write(tmp_path / "bad.csv", canonical(rows))
    before = state(url)
    with pytest.raises(ImportValidationError) as info:
        imports.import_files([path], database=url)
    message = str(info.value)
    assert message.startswith(f"{path}: {len(expected)} problem(s) found; nothing was imported")
    for part in expected:
        assert f"bad.csv, {part}" in message, message
    assert state(url) == before


def test_missing_required_column(tmp_path, url):
    path = write(tmp_path / "nodate.csv", "response_id,customer_id,nps\nr1,c1,9\n")
    before = state(url)
    with pytest.raises(ImportValidationError, match="needs a mapping"):
        imports.import_files([path], database=url)
    mapping = write(tmp_path / "m.yaml", "columns: {response_id: response_id, nps: nps}\n")
    with pytest.raises(ImportValidationError, match="no column for responded_at"):
        imports.import_files([path], mapping_file=mapping, database=url)
    wrong = write(tmp_path / "w.yaml", "columns: {response_id: id, nps: nps}\n")
    with pytest.raises(ImportValidationError, match="puts response_id in column 'id', which the"):
        imports.import_files([path], mapping_file=wrong, database=url)
    assert state(url) == before


def test_problem_list_is_capped(tmp_path, url):
    rows = [f"r{i},c1,2026-03-02,11,5,yes,B2C,SE,,,,," for i in range(120)]
    path = write(tmp_path / "many.csv", canonical(rows))
    with pytest.raises(ImportValidationError) as info:
        imports.import_files([path], database=url)
    assert len(info.value.problems) == 50
    assert "120 problem(s) found" in str(info.value) and "and 70 more" in str(info.value)


def test_one_bad_file_stops_the_whole_import(tmp_path, url):
    good = write(tmp_path / "good.csv", canonical(GOOD))
    bad = write(tmp_path / "bad.csv", canonical(["r1,c1,2026-03-02,11,5,yes,B2C,SE,,,,,"]))
    before = state(url)
    with pytest.raises(ImportValidationError):
        imports.import_files([good, bad], database=url)
    assert state(url) == before


def test_dry_run_writes_nothing(tmp_path, url):
    path = write(tmp_path / "wave.csv", canonical(GOOD))
    before = state(url)
    (report,) = imports.import_files([path], database=url, dry_run=True)
    assert report.status == "validated" and report.rows == 3
    assert state(url) == before


# -- idempotent, all-or-nothing --------------------------------------------------------


def test_reimport_is_idempotent_and_corrected_file_replaces(tmp_path, url):
    path = write(tmp_path / "wave.csv", canonical(GOOD))
    imports.import_files([path], database=url)
    after_first = state(url)
    (again,) = imports.import_files([path], database=url)
    assert again.status == "unchanged" and state(url) == after_first
    write(path, canonical(GOOD[:2] + ["r4,c3,2026-03-05,9,5,yes,B2C,FI,,,fi,Hyvä,1"]))
    (corrected,) = imports.import_files([path], database=url)
    assert corrected.status == "imported" and corrected.replaced == 3
    assert read_back(url, "wave")["response_id"].tolist() == ["r1", "r2", "r4"]
    con = duckdb.connect(str(db.duckdb_path(url)), read_only=True)
    log = con.execute("SELECT source, rows FROM import_log WHERE source = 'wave'").fetchall()
    con.close()
    assert log == [("wave", 3)]


def test_killed_import_leaves_database_as_it_was(tmp_path, url):
    rows = [f"k{i},c{i % 50},2026-03-02,{i % 11},{1 + i % 5},yes,B2C,SE,,,,," for i in range(20000)]
    path = write(tmp_path / "big.csv", canonical(rows))
    before = state(url)
    env = {**os.environ, "CX_IMPORT_PAUSE_BEFORE_COMMIT": "30"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "cxresearch.cli", "import", str(path), "--db", url],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=env,
        cwd=ROOT,
        text=True,
    )
    deadline = time.time() + 60
    line = ""
    while time.time() < deadline:
        line = proc.stdout.readline()
        if "paused" in line or proc.poll() is not None:
            break
    assert "paused" in line, line
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    proc.stdout.close()
    assert state(url) == before
    (report,) = imports.import_files([path], database=url)  # and it imports fine afterwards
    assert (
        report.status == "imported" and state(url)[0]["responses"] == before[0]["responses"] + 20000
    )


def test_cli_import_error_exit_code(tmp_path, url):
    path = write(tmp_path / "bad.csv", canonical(["r1,c1,2026-03-02,11,5,yes,B2C,SE,,,,,"]))
    proc = subprocess.run(
        [sys.executable, "-m", "cxresearch.cli", "import", str(path), "--db", url],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert proc.returncode == 1
    assert "bad.csv, row 2, column 'nps': '11': expected an integer 0-10" in proc.stderr


def test_surveymonkey_excel_export(tmp_path):
    rows = pd.read_csv(
        FIXTURES / "surveymonkey" / "steak-risk-survey.csv",
        header=None,
        dtype=str,
        keep_default_na=False,
        nrows=12,
    )
    path = tmp_path / "steak.xlsx"
    rows.to_excel(path, header=False, index=False)
    raw = readers.read(path)
    assert (raw.format, raw.header_rows, len(raw.frame)) == ("surveymonkey", 2, 10)
    assert raw.frame["RespondentID"].iloc[0] == "3237565956"
