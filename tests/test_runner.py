"""Real Papermill and nbconvert runs of the core notebooks and of a failing fixture."""

import html as markup
import json
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from cxresearch.data import db
from cxresearch.errors import ParameterError, ReportError
from cxresearch.reporting import i18n, report
from cxresearch.running import runner
from cxresearch.stats import metrics, models
from tests.conftest import NOTEBOOKS

ROOT = Path(__file__).resolve().parent.parent
FAILING = ROOT / "tests" / "notebooks" / "failing.ipynb"

pytestmark = pytest.mark.slow


def _text(page: str) -> str:
    """The page's text as a reader sees it: tags dropped, entities (``&#x27;``) decoded."""
    page = re.sub(r"<style.*?</style>", " ", page, flags=re.DOTALL)
    return re.sub(r"\s+", " ", markup.unescape(re.sub(r"<[^>]+>", " ", page)))


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_report_is_clean_and_self_contained(rendered, name):
    result = rendered[name]
    html = result.html.read_text(encoding="utf-8")
    assert result.ipynb.exists() and result.ipynb.parent == result.html.parent
    # no code, no parameters cell, no stray reprs, no errors
    body = html.split("<body", 1)[1]
    assert "from cxresearch import" not in body and "jp-CodeMirrorEditor" not in body
    assert "jp-InputPrompt" not in body
    charts = re.findall(r"<svg [^>]*>", body)
    assert charts and all(re.search(r'aria-label="[A-Z][^"]{20,}"', svg) for svg in charts)
    assert "<img" not in body
    assert "injected-parameters" not in html and "min_n: int" not in html
    assert "&lt;Axes" not in html and "<Axes" not in html and " object at 0x" not in html
    assert "Traceback" not in html and "Error" not in _text(html)
    # charts inline, nothing fetched from the network
    assert '<figure class="cx-chart"' in html
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html)
    assert "require.js" not in html and "mathjax" not in html.lower()
    # provenance footer
    footer = html.split('class="cx-provenance"')[1]
    assert "Data fingerprint" in footer and "0.1.0" in footer and "min_n" in footer
    executed = nbformat.read(result.ipynb, as_version=4)
    assert any("injected-parameters" in c.metadata.get("tags", []) for c in executed.cells)


def test_recommend_intent_holds_headline_numbers(rendered, small_url):
    # independent recomputation in this process, then look for the sentences in the HTML
    con = db.connect(small_url)
    responses = db.read_responses(con)
    overall = metrics.nps(responses).iloc[0]
    tens = models.intent_calibration(responses).set_index("score").loc[10]
    text = _text(rendered["recommend_intent"].html.read_text(encoding="utf-8"))
    i18n.use("en")
    assert f"Net Promoter Score {report.estimate_text(overall, decimals=0)}." in text
    tens = {**tens.to_dict(), "n": tens["n"]}
    assert f"Of those who scored 10, {report.estimate_text(tens, decimals=0, unit='%')}" in text


def test_satisfaction_spend_holds_headline_numbers(rendered, small_url):
    con = db.connect(small_url)
    # the default estimand: each answer against the customer's spend in the 3 months after it
    rs = db.read_response_spend(con, spend_window_months=3).to_pandas()
    top = models.spend_uplift(models.fit_spend(rs, cluster="customer_id")).iloc[-1].to_dict()
    top["n"] = int((rs["satisfaction_level"] == 5).sum())
    text = _text(rendered["satisfaction_spend"].html.read_text(encoding="utf-8"))
    i18n.use("en")
    assert f"spend {report.estimate_text(top, scale=1, decimals=2, unit='x')}" in text
    assert "Revenue at risk" in text and "Quarterly churn rate" in text


def test_run_records_and_index(rendered):
    out_dir = rendered["recommend_intent"].html.parent
    record = json.loads((out_dir / "default.json").read_text())
    assert record["status"] == "ok" and record["html"] == "recommend_intent/default.html"
    index = (out_dir.parent / "index.html").read_text()
    assert 'href="recommend_intent/default.html"' in index


def test_unknown_parameter_rejected_before_any_kernel(tmp_path, small_url):
    with pytest.raises(ParameterError, match="unknown parameter 'segmnt'"):
        runner.run(
            "recommend_intent", overrides={"segmnt": ["B2B"]}, out_dir=tmp_path, database=small_url
        )
    assert list(tmp_path.iterdir()) == []


def test_failing_cell_names_notebook_and_cell_and_keeps_good_report(tmp_path, small_url):
    good = runner.run(
        FAILING, overrides={"fail": False}, out_dir=tmp_path, database=small_url, name="default"
    )
    before = good.html.read_bytes()
    assert "all good" in before.decode()
    with pytest.raises(
        ReportError,
        match=r"notebook failing \(default\) failed in cell 4 of the notebook \(.if fail:.\): "
        r"RuntimeError: planted failure in x",
    ):
        runner.run(FAILING, out_dir=tmp_path, database=small_url)
    assert good.html.read_bytes() == before  # the last good report is intact
    assert (tmp_path / "default.failed.ipynb").exists()
    record = json.loads((tmp_path / "default.json").read_text())
    assert record["status"] == "failed" and "planted failure" in record["error"]
    assert record["html"] == f"{tmp_path.name}/default.html"
    index = (tmp_path.parent / "index.html").read_text()
    assert "planted failure in x" in index and 'class="failed"' in index
    assert not list(tmp_path.glob(".*running*"))


def test_cli_run_rejects_mistyped_parameter(small_url):
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "cxresearch.cli",
            "run",
            "recommend_intent",
            "-P",
            "min_n=many",
            "--db",
            small_url,
        ],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    assert proc.returncode == 2
    assert "parameter 'min_n'" in proc.stderr and "expects int" in proc.stderr


def test_cli_demo_data_and_run(tmp_path):
    url = f"duckdb:///{tmp_path}/cli.duckdb"
    cli = [sys.executable, "-m", "cxresearch.cli"]
    made = subprocess.run(
        [*cli, "demo-data", "--responses", "2000", "--seed", "4", "--db", url],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    assert "2,000 responses" in made.stdout
    ran = subprocess.run(
        [
            *cli,
            "run",
            "recommend_intent",
            "-P",
            "segment=B2C",  # one value for a list parameter: the list [B2C]
            "--out",
            str(tmp_path / "out"),
            "--db",
            url,
        ],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    # the report is named after what makes it different, not after the English default
    assert (tmp_path / "out" / "default-segment_B2C.html").exists(), ran.stdout
    html = (tmp_path / "out" / "default-segment_B2C.html").read_text()
    assert "segment = ['B2C']" in _text(html)


def test_foundation_notebook_takes_weights(tmp_path, small_url):
    result = runner.run(
        "satisfaction_spend",
        overrides={"weights": "weight", "segment": ["B2B"]},
        out_dir=tmp_path,
        database=small_url,
    )
    html = result.html.read_text(encoding="utf-8")
    assert "weights = &#39;weight&#39;" in html or "weights = 'weight'" in html


def test_nps_overview_headline_and_significance(rendered, small_url):
    from cxresearch.stats import compare

    con = db.connect(small_url)
    current = db.recent_period(con)
    previous = compare.previous_period(*current)
    responses = db.read_responses(con)
    now = metrics.nps(db.read_responses(con, start=current[0], end=current[1])).iloc[0]
    change = compare.change(
        metrics.nps, responses, current=current, previous=previous, adjust="none"
    ).iloc[0]
    since = i18n.use("en").period(*previous)
    text = _text(rendered["nps_overview"].html.read_text(encoding="utf-8"))
    assert report.change_text("NPS", now, change, since=since) in text
    assert "(p adjusted: Holm's method)" in text  # the method named in words, not its code
