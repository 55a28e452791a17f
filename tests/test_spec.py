"""One run specification: built once, frozen, and what the CLI, batches and demo run."""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
from pathlib import Path

import pytest

from cxresearch import config
from cxresearch.data import urls
from cxresearch.errors import ParameterError
from cxresearch.running import spec

ROOT = Path(__file__).resolve().parent.parent


def _cli(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "cxresearch", *args],
        capture_output=True, text=True, env={**os.environ, **(env or {})}, cwd=ROOT,
    )  # fmt: skip


def test_a_single_segment_is_a_list_and_the_name_says_so():
    run = spec.build("recommend_intent", overrides={"segment": "B2B"})
    assert run.parameters["segment"] == ["B2B"]
    assert run.name == "default-segment_B2B"
    assert run.html == config.REPORTS_DIR / "recommend_intent" / "default-segment_B2B.html"


def test_a_swedish_run_never_takes_the_english_default_name():
    english = spec.build("nps_overview")
    swedish = spec.build("nps_overview", overrides={"language": "sv"})
    assert (english.name, english.language) == ("default", "en")
    assert (swedish.name, swedish.language) == ("default-language_sv", "sv")
    named = spec.build("nps_overview", ROOT / "params/nps_overview/sverige.yaml")
    assert (named.name, named.language) == ("sverige", "sv")


def test_the_spec_is_frozen_picklable_and_hides_the_database():
    run = spec.build("recommend_intent", database="postgresql://ana:S3cret@db.example.org/cx")
    with pytest.raises(AttributeError):
        run.name = "other"  # type: ignore[misc]
    run.parameters["segment"] = ["changed"]  # a copy: the spec stays as built
    assert "segment" not in run.parameters
    assert pickle.loads(pickle.dumps(run)) == run
    assert "S3cret" not in repr(run) and "database" not in run.parameters


def test_a_database_parameter_becomes_the_url_not_a_parameter(tmp_path):
    run = spec.build("recommend_intent", overrides={"database": f"duckdb:///{tmp_path}/x.duckdb"})
    assert run.database == f"duckdb:///{tmp_path}/x.duckdb"
    assert "database" not in run.parameters and "database" not in run.effective_parameters


def test_relative_file_urls_resolve_against_the_project_root():
    assert urls.database_url("pyspark:///data/lake") == f"pyspark:///{ROOT / 'data/lake'}"
    assert urls.database_url("duckdb:///data/cx.duckdb") == f"duckdb:///{ROOT}/data/cx.duckdb"
    assert urls.database_url("duckdb:////abs/cx.duckdb") == "duckdb:////abs/cx.duckdb"
    assert urls.database_url("postgresql://h/db") == "postgresql://h/db"


def test_unknown_notebook_is_a_parameter_error():
    with pytest.raises(ParameterError, match="no notebook 'nope'.*recommend_intent"):
        spec.build("nope")


def test_report_name_examples():
    assert spec.report_name("default", {"country": ["SE", "DK"]}) == "default-country_SE+DK"
    assert spec.report_name("q1", {"period_start": "2026-01-01"}) == "q1-period_start_2026-01-01"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-P", "period_start=2026-02-30"], "expects a date as YYYY-MM-DD, got '2026-02-30'"),
        (
            ["-P", "period_start=2026-03-01", "-P", "period_end=2026-02-01"],
            "is before 'period_start'",
        ),
        (["-P", 'country=["postgresql://u:pw@h/db"]'], "holds a URL with a password"),
        (["-P", "language=de"], "expects one of en, sv, da, fi, nl"),
    ],
)
def test_cli_refuses_bad_parameters_in_one_line_before_a_kernel(tmp_path, args, message):
    done = _cli("run", "recommend_intent", *args, "--out", str(tmp_path))
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], done.stderr
    assert "Traceback" not in done.stderr and "pw@" not in done.stderr + done.stdout
    assert list(tmp_path.iterdir()) == []  # nothing written, no kernel started


def test_cli_version_and_list():
    import cxresearch

    assert _cli("--version").stdout.strip() == f"cxresearch {cxresearch.__version__}"
    listed = _cli("list").stdout
    assert "recommend_intent" in listed and "segment: list = []" in listed
    assert "params sets: b2b_nordics, default" in listed


@pytest.mark.parametrize("notebook", ["churn_retention", "comments", "drivers"])
def test_a_notebook_that_cannot_use_weights_refuses_them_before_a_kernel(notebook):
    # issue 14: every parameter does something, or is refused
    with pytest.raises(ParameterError, match="unknown parameter 'weights'"):
        spec.build(notebook, overrides={"weights": "weight"})
