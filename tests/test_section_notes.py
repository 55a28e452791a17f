"""Report sections without their optional data say so, in the report's language (issue 13).

A section whose data is missing (no segments, a single country, no churn dates, few
comments, no relational answers) shows a short note naming what is missing and what to
import, instead of an empty or one-row table; mixed CSAT scales are named.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from bs4 import BeautifulSoup

from cxresearch.data import db, demo
from cxresearch.data.schema import TABLES
from cxresearch.reporting import i18n, notes
from cxresearch.running import runner

pytestmark = pytest.mark.slow

LANGUAGES = ("en", "sv", "da", "fi", "nl")


def _write(path: Path, tables: dict[str, pd.DataFrame]) -> str:
    full = {name: tables.get(name, pd.DataFrame(columns=list(schema.names)))
            for name, schema in TABLES.items()}  # fmt: skip
    return db.write_tables(f"duckdb:///{path}", full)


def _notes(html_path: Path) -> dict[str, str]:
    soup = BeautifulSoup(html_path.read_text(encoding="utf-8"), "html.parser")
    return {p["data-missing"]: " ".join(p.get_text(" ").split())
            for p in soup.select("p.cx-missing")}  # fmt: skip


def _captions(html_path: Path) -> list[str]:
    soup = BeautifulSoup(html_path.read_text(encoding="utf-8"), "html.parser")
    return [" ".join(c.get_text(" ").split()) for c in soup.select("figcaption")]


def _expected(kind: str, language: str) -> str:
    i18n.use(language)
    try:
        return notes.missing_text(kind)
    finally:
        i18n.use("en")


@pytest.fixture(scope="module")
def responses_only(tmp_path_factory) -> str:
    t = demo.generate(2_000, seed=5)
    folder = tmp_path_factory.mktemp("notes")
    return _write(folder / "r.duckdb", {"responses": t["responses"], "surveys": t["surveys"]})


@pytest.mark.parametrize("language", LANGUAGES)
def test_overview_without_customers_names_missing_segments_and_countries(
    tmp_path, responses_only, language
):
    result = runner.run("nps_overview", overrides={"language": language},
                        database=responses_only, out_dir=tmp_path, update_index=False)  # fmt: skip
    found = _notes(result.html)
    assert found.get("segment") == _expected("segment", language)
    assert found.get("country") == _expected("country", language)
    assert "touchpoint" not in found  # the demo responses have five touchpoints
    assert "cxresearch import customers.csv" in found["segment"]
    i18n.use(language)
    segment_caption = i18n.tr("NPS by {group}: {now} against {before} (p adjusted: {method})")
    i18n.use("en")
    start = segment_caption.split("{group}")[0]
    # no empty "NPS by segment" table: only the touchpoint table is left of the three
    assert sum(c.startswith(start) for c in _captions(result.html)) == 1


@pytest.fixture(scope="module")
def sparse(tmp_path_factory) -> str:
    """Demo data with one segment, no churn dates, 4 comments, no relational answers,
    and CSAT half on 1-5 and half on 1-7."""
    t = demo.generate(2_000, seed=6)
    c = t["customers"]
    c["segment"], c["churn_date"] = "B2B", pd.NaT
    r = t["responses"]
    keep = r.index[r["comment"].notna()][:4]
    r.loc[~r.index.isin(keep), "comment"] = None
    r["touchpoint"] = r["touchpoint"].replace("relationship", "website_visit")
    seven = np.arange(len(r)) % 2 == 0
    r.loc[seven, "csat"] = (1 + (r.loc[seven, "csat"] - 1) * 6 // 4).astype("int8")
    r.loc[seven, "csat_max"] = 7
    return _write(tmp_path_factory.mktemp("sparse") / "s.duckdb", t)


def _run(notebook: str, database: str, out: Path, language: str = "en"):
    return runner.run(notebook, overrides={"language": language}, database=database,
                      out_dir=out, update_index=False)  # fmt: skip


def test_churn_report_without_churn_dates_says_so_and_ends(tmp_path, sparse):
    result = _run("churn_retention", sparse, tmp_path, "da")
    text = " ".join(BeautifulSoup(result.html.read_text("utf-8"), "html.parser").get_text().split())
    assert _expected("churn", "da") in text
    assert not _captions(result.html)  # no table of zero churn


def test_spend_report_names_missing_churn_and_single_segment(tmp_path, sparse):
    result = _run("satisfaction_spend", sparse, tmp_path, "nl")
    found = _notes(result.html)
    assert found.get("churn") == _expected("churn", "nl")
    assert found.get("segment") == _expected("segment", "nl")
    soup = BeautifulSoup(result.html.read_text("utf-8"), "html.parser")
    scales_note = " ".join(soup.select_one("p.cx-scales").get_text().split())
    assert "1-5, 1-7" in scales_note


def test_comments_report_with_four_comments_says_too_few(tmp_path, sparse):
    result = _run("comments", sparse, tmp_path, "fi")
    text = " ".join(BeautifulSoup(result.html.read_text("utf-8"), "html.parser").get_text().split())
    assert _expected("comments", "fi") in text
    assert not _captions(result.html)


def test_service_report_without_relational_answers_says_so(tmp_path, sparse):
    result = _run("service_agents", sparse, tmp_path, "sv")
    found = _notes(result.html)
    assert found.get("relational") == _expected("relational", "sv")


@pytest.mark.parametrize(
    ("values", "filtered", "noted"),
    [
        (["B2B", "B2B"], True, False),  # -P segment=B2B: one group is the reader's choice
        (["B2B", "B2B"], False, True),  # one segment in the whole database: say so
        ([None, None], True, True),  # no segments at all: say so whatever the filter
        (["B2B", "B2C"], False, False),  # two segments: the section is shown
    ],
)
def test_a_report_filtered_to_one_group_leaves_the_section_out_without_a_note(
    values, filtered, noted
):
    from IPython.core.interactiveshell import InteractiveShell
    from IPython.utils.capture import capture_output

    InteractiveShell.instance()  # a real IPython shell receives what display() shows
    i18n.use("en")
    data = pd.DataFrame({"segment": values})
    with capture_output() as shown_output:
        left_out = notes.lacks(data, "segment", filtered=filtered)
    shown = " ".join(o.data.get("text/html", "") for o in shown_output.outputs)
    assert left_out == (len(set(v for v in values if v)) < 2)
    assert ("Fewer than two segments" in shown) == noted
