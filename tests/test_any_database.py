"""Every notebook renders on any valid database: empty, responses only, or the demo data.

A report that lacks the data it needs says what is missing and what to import, in the
report's language, instead of failing (issue 13). The real exports have their own file
(``test_real_exports_render.py``), so that pytest-xdist runs the two on different workers.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from bs4 import BeautifulSoup

from cxresearch.data import db, demo
from cxresearch.data.schema import TABLES
from cxresearch.reporting import i18n, notes
from cxresearch.running import runner

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted(p.stem for p in (ROOT / "notebooks").glob("*.ipynb"))
#: What a notebook cannot do without (report.start(needs=...)): on a responses-only
#: database these say what is missing; the others render in full.
NEEDS_MORE = {"satisfaction_spend", "churn_retention", "drivers"}
#: What each report's sections say they lack on a responses-only database (section notes).
SECTION_NOTES = {
    "nps_overview": ("segment", "country"),
    "service_agents": ("interactions",),
}


def _database(path: Path, keep: set[str]) -> str:
    full = demo.generate(2_000, seed=5)
    tables = {
        name: full[name] if name in keep else pd.DataFrame(columns=list(schema.names))
        for name, schema in TABLES.items()
    }
    return db.write_tables(f"duckdb:///{path}", tables)


@pytest.fixture(scope="module")
def databases(tmp_path_factory) -> dict[str, str]:
    folder = tmp_path_factory.mktemp("anydb")
    return {
        "empty": _database(folder / "empty.duckdb", set()),
        "responses": _database(folder / "responses.duckdb", {"responses", "surveys"}),
    }


def page_text(path: Path) -> str:
    """The visible text of a rendered report, whitespace collapsed."""
    soup = BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")
    return " ".join(soup.get_text(" ").split())


@pytest.mark.parametrize("notebook", NOTEBOOKS)
def test_empty_database_gives_a_report_that_says_what_to_import(tmp_path, databases, notebook):
    result = runner.run(
        notebook, overrides={"language": "sv"}, database=databases["empty"], out_dir=tmp_path
    )
    text = page_text(result.html)
    sv = i18n.Language("sv")
    assert "cxresearch import" in text
    needed = ("survey responses", "customer records", "service interactions",
              "survey comments", "recommend scores (0-10)")  # fmt: skip
    assert any(sv.tr(what) in text for what in needed)
    assert "Traceback" not in text


@pytest.mark.parametrize("notebook", NOTEBOOKS)
def test_responses_only(tmp_path, databases, notebook):
    result = runner.run(notebook, database=databases["responses"], out_dir=tmp_path)
    text = page_text(result.html)
    if notebook in NEEDS_MORE:
        assert "This report needs" in text and "cxresearch import" in text
    else:
        assert "This report needs" not in text
        assert "n = " in text  # real numbers with their n
    for kind in SECTION_NOTES.get(notebook, ()):
        assert notes.missing_text(kind) in text, (notebook, kind)
