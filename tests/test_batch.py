"""Batches: a 12-report matrix with a failing and a hanging report, reruns, Dask."""

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from cxresearch.errors import ParameterError
from cxresearch.running import batch

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "tests" / "notebooks" / "batch_fixture.ipynb"
COUNTRIES = ["SE", "DK", "FI", "NL", "NO", "DE", "GB", "IS", "EE", "FAIL", "HANG", "LV"]

pytestmark = pytest.mark.slow

#: A report's time-out in these batches: HANG waits for it, the others end in about 1 s.
TIMEOUT = 8


def schedule(tmp_path, mode, countries=COUNTRIES, name="schedule.yaml") -> Path:
    data = {
        "name": "test",
        "timeout": TIMEOUT,
        "retries": 1,
        "reports": [{
            "notebook": str(FIXTURE),
            "output": str(tmp_path / "reports" / "fixture" / "{country}.html"),
            "params": {"mode": mode},
            "matrix": {"country": countries},
        }],
    }  # fmt: skip
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data))
    return path


def cli(*args, cwd=ROOT):
    return subprocess.run(
        [sys.executable, "-m", "cxresearch.cli", "batch", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        check=False,
    )


@pytest.mark.xdist_group("batch_failures")  # a unit of its own for xdist
def test_failures_are_isolated_and_reruns_skip(tmp_path, small_url):
    first = cli(str(schedule(tmp_path, "ok")), "--workers", "2", "--db", small_url)
    assert first.returncode == 0, first.stdout + first.stderr
    assert "12 done, 0 skipped, 0 failed" in first.stdout
    out = tmp_path / "reports" / "fixture"
    good = {c: (out / f"{c}.html").read_bytes() for c in ("FAIL", "HANG")}

    second = cli(str(schedule(tmp_path, "break")), "--workers", "2", "--db", small_url)
    assert second.returncode == 1
    assert "10 done, 0 skipped, 2 failed" in second.stdout
    log = second.stdout + second.stderr
    assert "planted failure" in log and f"timed out after {TIMEOUT} s" in log
    for country, before in good.items():
        assert (out / f"{country}.html").read_bytes() == before  # last good HTML intact
        assert (out / f"{country}.failed.ipynb").exists()
    manifest_path = Path(second.stdout.split("manifest: ")[1].split()[0])
    assert manifest_path.parent == tmp_path / "reports" / "_batches"
    manifest = json.loads(manifest_path.read_text())
    statuses = {r["name"]: r["status"] for r in manifest["reports"]}
    assert statuses["FAIL"] == statuses["HANG"] == "failed" and statuses["SE"] == "done"
    assert all(r["cache_key"] and r["parameters"]["mode"] == "break" for r in manifest["reports"])
    index = (tmp_path / "reports" / "index.html").read_text()
    assert "planted failure" in index and index.count('class="failed"') == 2

    third = cli(
        str(schedule(tmp_path, "break")),
        "--workers",
        "2",
        "--db",
        small_url,
        "--only",
        "batch_fixture/[A-Z][A-Z]",
    )
    assert "0 done, 10 skipped, 0 failed" in third.stdout and third.returncode == 0
    none = cli(str(schedule(tmp_path, "ok")), "--only", "nothing/*", "--db", small_url)
    assert none.returncode == 2 and "matches no report" in none.stderr
    forced = cli(str(schedule(tmp_path, "ok", ["SE"], "one.yaml")), "--force", "--db", small_url)
    assert "1 done" in forced.stdout


@pytest.mark.xdist_group("batch_dask")  # a unit of its own for xdist
def test_same_batch_on_dask_local_cluster(tmp_path, small_url):
    plan = batch.plan(
        batch.load_schedule(schedule(tmp_path, "ok", ["SE", "DK", "FI", "NL"])), database=small_url
    )
    manifest = batch.run(plan, workers=2, executor="dask", reports_dir=tmp_path / "reports")
    assert [j.status for j in plan.jobs] == ["done"] * 4
    assert json.loads(manifest.read_text())["reports"][0]["status"] == "done"
    again = batch.plan(
        batch.load_schedule(schedule(tmp_path, "ok", ["SE", "DK", "FI", "NL"])), database=small_url
    )
    batch.run(again, workers=2, executor="dask", reports_dir=tmp_path / "reports")
    assert [j.status for j in again.jobs] == ["skipped"] * 4


def test_relative_periods():
    today = dt.date(2026, 1, 15)
    assert batch.resolve_period("last_month", today) == ("2025-12-01", "2025-12-31")
    assert batch.resolve_period("last_quarter", today) == ("2025-10-01", "2025-12-31")
    assert batch.resolve_period("last_year", today) == ("2025-01-01", "2025-12-31")
    assert batch.resolve_period("same_month_last_year", today) == ("2024-12-01", "2024-12-31")
    assert batch.resolve_period("year_to_date", dt.date(2026, 5, 2)) == ("2026-01-01", "2026-04-30")
    with pytest.raises(ParameterError, match="unknown period 'last_week'"):
        batch.resolve_period("last_week", today)


def test_plan_validates_before_running(tmp_path, small_url):
    bad = yaml.safe_load(schedule(tmp_path, "ok").read_text())
    bad["reports"][0]["params"]["mdoe"] = "ok"
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(bad))
    with pytest.raises(ParameterError, match="unknown parameter 'mdoe'.*did you mean 'mode'"):
        batch.plan(batch.load_schedule(path), database=small_url)
    clash = yaml.safe_load(schedule(tmp_path, "ok").read_text())
    clash["reports"][0]["output"] = str(tmp_path / "same.html")
    path.write_text(yaml.safe_dump(clash))
    with pytest.raises(ParameterError, match="same file"):
        batch.plan(batch.load_schedule(path), database=small_url)


def test_list_parameters_are_wrapped_and_periods_set(small_url, tmp_path):
    data = {
        "reports": [
            {
                "notebook": "nps_overview",
                "output": str(tmp_path / "{country}.html"),
                "period": "last_quarter",
                "matrix": {"country": ["SE", "DK"]},
            }
        ]
    }
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(data))
    plan = batch.plan(batch.load_schedule(path), database=small_url, as_of=dt.date(2026, 11, 5))
    assert plan.jobs[0].parameters == {
        "country": ["SE"],
        "period_start": "2026-07-01",
        "period_end": "2026-09-30",
    }
    assert [j.name for j in plan.jobs] == ["SE", "DK"]
    assert plan.jobs[0].cache_key != plan.jobs[1].cache_key


@pytest.mark.xdist_group("batch_pdf")  # a unit of its own for xdist
def test_batch_prints_pdfs_and_reruns_only_when_one_is_missing(tmp_path, small_url):
    data = yaml.safe_load(schedule(tmp_path, "ok", countries=["SE", "DK"]).read_text())
    data["pdf"] = True
    path = tmp_path / "pdf.yaml"
    path.write_text(yaml.safe_dump(data))
    first = cli(str(path), "--workers", "1", "--db", small_url)
    assert first.returncode == 0, first.stdout + first.stderr
    out = tmp_path / "reports" / "fixture"
    for country in ("SE", "DK"):
        assert (out / f"{country}.pdf").read_bytes().startswith(b"%PDF-")
    again = cli(str(path), "--workers", "1", "--db", small_url)
    assert "0 done, 2 skipped, 0 failed" in again.stdout
    (out / "DK.pdf").unlink()
    third = cli(str(path), "--workers", "1", "--db", small_url)
    assert "1 done, 1 skipped, 0 failed" in third.stdout
    assert (out / "DK.pdf").exists()


def _below(root: int) -> list[str]:
    """Command lines of the processes below ``root``."""
    parents, found, frontier = {}, [], [root]
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
                cmd = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            except OSError:
                continue
            parents[int(entry.name)] = (int(stat[stat.rindex(")") + 2 :].split()[1]), cmd)
    while frontier:
        pid = frontier.pop()
        for child, (parent, cmd) in parents.items():
            if parent == pid:
                found.append(cmd)
                frontier.append(child)
    return found


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="forked workers: Linux only")
def test_workers_share_one_import_and_nothing_outlives_the_batch(tmp_path, small_url, monkeypatch):
    """Workers are forked by one starter that preloaded what they need (a kernel's worker
    is a fork of it, and the kernel of a notebook that models starts with statsmodels
    imported), a kernel sees the batch's own environment, and the starter is gone when
    the batch returns."""

    import nbformat

    nb = nbformat.v4.new_notebook(metadata={"kernelspec": {
        "name": "python3", "display_name": "Python 3", "language": "python"}})  # fmt: skip
    nb.cells = [
        nbformat.v4.new_code_cell('country: str = "SE"', metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell(
            "import os, sys\n"
            "def up(pid):\n"
            "    stat = open(f'/proc/{pid}/stat').read()\n"
            "    return int(stat[stat.rindex(')') + 2:].split()[1])\n"
            "worker = up(up(os.getpid()))  # kernel -> its fork server -> the worker\n"
            "started_by = open(f'/proc/{worker}/cmdline', 'rb').read().decode()\n"
            "print('mark', os.environ.get('CX_TEST_BATCH_MARK'), 'statsmodels.api' in sys.modules,"
            " 'cxresearch.running.preload' in started_by)"
        ),
        nbformat.v4.new_code_cell("from cxresearch import models  # this notebook models"),
    ]
    notebook = tmp_path / "probe.ipynb"
    nbformat.write(nb, notebook)
    monkeypatch.setenv("CX_TEST_BATCH_MARK", "from-the-batch")
    plan = batch.plan({"name": "probe", "reports": [{
        "notebook": str(notebook), "output": str(tmp_path / "out" / "{country}.html"),
        "matrix": {"country": ["SE", "DK", "FI"]},
    }]}, database=small_url)  # fmt: skip
    batch.run(plan, workers=2, force=True)
    assert [j.status for j in plan.jobs] == ["done"] * 3, [j.error for j in plan.jobs]
    for job in plan.jobs:
        executed = nbformat.read(Path(job.out_dir) / f"{job.name}.ipynb", as_version=4)
        printed = "".join(o.get("text", "") for o in executed.cells[-2].outputs)
        assert "mark from-the-batch True True" in printed, printed
    assert not [c for c in _below(os.getpid()) if "multiprocessing.forkserver" in c]


def test_models_and_charts_needed_read_the_notebooks_code(tmp_path):
    """statsmodels is preloaded for a batch only when one of its notebooks imports a module
    that models, matplotlib only when one draws with it; an unreadable notebook counts as
    one that does both."""
    import nbformat

    from cxresearch.running import needs as workers

    def notebook(name, *sources):
        nb = nbformat.v4.new_notebook()
        nb.cells = [nbformat.v4.new_code_cell(s) for s in sources]
        path = tmp_path / f"{name}.ipynb"
        nbformat.write(nb, path)
        return path

    plain = notebook("plain", "from cxresearch import compare, db, metrics, plots, report",
                     "models = 3  # a variable, not an import")  # fmt: skip
    models = notebook("models", "import pandas as pd\nfrom cxresearch import db, models")
    churn = notebook("churn", "from cxresearch import (\n    retention, value)")
    direct = notebook("direct", "import statsmodels.api as sm")
    assert not workers.models_needed([plain])
    assert workers.models_needed([plain, models])
    assert workers.models_needed([direct])
    assert workers.models_needed([ROOT / "notebooks" / "churn_retention.ipynb"])
    assert not workers.models_needed([ROOT / "notebooks" / "nps_overview.ipynb"])
    assert workers.models_needed([tmp_path / "missing.ipynb"])
    assert workers.models_needed([churn])  # an import spread over lines
    bars = notebook("bars", "ax = plots.plot_estimates(table, 'country')")
    pyplot = notebook("pyplot", "import matplotlib.pyplot as plt\nplt.plot([1, 2])")
    seaborn = notebook("seaborn", "import seaborn as sns")
    assert not workers.charts_needed([plain, models, churn])
    assert workers.charts_needed([plain, bars])
    assert workers.charts_needed([pyplot])
    assert workers.charts_needed([seaborn])
    assert workers.charts_needed([tmp_path / "missing.ipynb"])
    assert workers.charts_needed([ROOT / "notebooks" / "recommend_intent.ipynb"])


@pytest.mark.parametrize(("models", "charts"), [("0", "0"), ("1", "1"), ("0", "1")])
def test_starter_leaves_out_what_no_notebook_needs(models, charts):
    """The batch's starter imports statsmodels only under CX_PRELOAD_MODELS=1 (or unset),
    matplotlib only under CX_PRELOAD_CHARTS=1 (or unset)."""
    code = (
        "import gc, sys, cxresearch.running.preload\n"
        "print('statsmodels.api' in sys.modules, 'matplotlib.pyplot' in sys.modules,"
        " 'papermill' in sys.modules, 'cxresearch.reporting.warmup' in sys.modules,"
        " gc.get_freeze_count() > 100_000, gc.isenabled())"
    )
    env = {**os.environ, "CX_PRELOAD_MODELS": models, "CX_PRELOAD_CHARTS": charts}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=env, cwd=ROOT, check=True)  # fmt: skip
    # and what it imported is frozen: the workers' collections never walk it
    # (and the workers forked from it collect their own garbage)
    expected = [str(models == "1"), str(charts == "1"), "True", "True", "True", "True"]
    assert done.stdout.split() == expected, done.stdout


def test_starter_warms_up_the_batchs_languages_and_its_workers_client_work():
    """The starter warms up only the report languages it is given (CX_PRELOAD_LANGUAGES:
    Babel's locale data for Finnish and Dutch stays unloaded for a Swedish and Danish
    batch), and does the first kernel manager's work for every worker (the provisioners'
    entry points, the kernel spec, the machine's addresses) without starting a thread."""
    code = (
        "import sys, threading, cxresearch.running.preload\n"
        "from jupyter_client.provisioning import KernelProvisionerFactory\n"
        "print(','.join(sorted(sys.modules['babel.localedata']._cache)),"
        " KernelProvisionerFactory.initialized(), 'ipykernel.kernelspec' in sys.modules,"
        " 'psutil' in sys.modules, threading.active_count())"
    )
    env = {**os.environ, "CX_PRELOAD_MODELS": "0", "CX_PRELOAD_CHARTS": "0",
           "CX_PRELOAD_LANGUAGES": "sv,da"}  # fmt: skip
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=env, cwd=ROOT, check=True)  # fmt: skip
    locales, *client = done.stdout.split()
    assert {"sv", "da"} <= set(locales.split(",")), locales
    assert not {"fi", "nl"} & set(locales.split(",")), locales
    assert client == ["True", "True", "True", "1"], done.stdout


def test_starter_code_names_only_well_formed_languages():
    from cxresearch.running import needs

    code = needs.batch_code({"CX_PRELOAD_LANGUAGES": "sv,en"})
    assert "cxresearch.reporting.warmup.warm(('sv', 'en'))" in code
    # anything but a language code is left out: the variable never becomes code
    code = needs.batch_code({"CX_PRELOAD_LANGUAGES": "sv,x'),__import__('os'),('"})
    assert "cxresearch.reporting.warmup.warm(('sv',))" in code
    assert "__import__" not in code
    assert "cxresearch.reporting.warmup.warm()" in needs.batch_code({})
