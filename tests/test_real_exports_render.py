"""Every notebook renders on each real export in ``../shared/fixtures`` (issue 13).

Each export is imported with its committed mapping (``tests/mappings/``); a report names,
in its language, what the export lacks, and never shows a traceback.
"""

from __future__ import annotations

import re

import pytest

from cxresearch.reporting import i18n
from cxresearch.running import runner
from tests.test_any_database import NEEDS_MORE, NOTEBOOKS, ROOT, page_text

pytestmark = pytest.mark.slow

FIXTURES = ROOT.parent / "shared" / "fixtures"
REAL_EXPORTS = {
    "carpentries": FIXTURES / "carpentries_nps" / "2020-12-long-term-other_questions-no-open.csv",
    "qualtrics": FIXTURES / "qualtrics" / "sample.csv",
    "surveymonkey": FIXTURES / "surveymonkey" / "steak-risk-survey.csv",
}


@pytest.fixture(scope="module", params=sorted(REAL_EXPORTS))
def real_export(request, tmp_path_factory) -> tuple[str, str]:
    """A database holding one real export, imported with its committed mapping."""
    from cxresearch.data import imports

    url = f"duckdb:///{tmp_path_factory.mktemp(request.param)}/cx.duckdb"
    mapping = ROOT / "tests" / "mappings" / f"{request.param}.yaml"
    (done,) = imports.import_files([REAL_EXPORTS[request.param]], mapping_file=mapping,
                                   database=url)  # fmt: skip
    assert done.status == "imported" and done.rows > 0
    return request.param, url


@pytest.mark.parametrize("notebook", NOTEBOOKS)
def test_every_notebook_renders_on_each_real_export(tmp_path, real_export, notebook):
    name, url = real_export
    result = runner.run(notebook, overrides={"language": "fi"}, database=url, out_dir=tmp_path)
    text = page_text(result.html)
    assert "Traceback" not in text and not re.search(r"\b\w+Error\b", text)
    fi = i18n.Language("fi")
    # what a real export lacks, the report names, in the report's language
    if notebook in NEEDS_MORE or notebook == "service_agents":
        assert "cxresearch import" in text, (name, notebook)
    assert fi.tr("Executive summary") in text
