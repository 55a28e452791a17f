"""The fork server's warm-up: first-use work that starts no thread and changes no report."""

import json
import os
import subprocess
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from cxresearch.reporting import i18n, svg, warmup  # noqa: E402
from cxresearch.running import forkserver  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]

#: Renders what a report would (a chart with the page's own ids, a table) and prints it.
REPORT = """
import json, sys
import matplotlib
matplotlib.use("Agg")
import pandas as pd
from cxresearch.reporting import i18n, plots, svg, tables, warmup
if sys.argv[1] == "warm":
    warmup.warm()
i18n.use("sv")
plots.set_theme()
months = pd.date_range("2025-07-01", periods=14, freq="MS")
trend = pd.DataFrame({"month": months, "estimate": [0.1 + 0.01 * i for i in range(14)],
                      "ci_low": 0.0, "ci_high": 0.3, "n": 300, "confidence": 0.95,
                      "suppressed": False})
chart = svg.figure_html(plots.plot_trend(trend, "month", label="NPS").figure, "Trend")
chart += plots.trend_chart(trend, "month", label="NPS", target=0.3).to_html("Trend")
table = tables.table(trend.assign(country="SE").head(1), {"country": "Land"}).fmt_estimate("NPS")
print(json.dumps({"chart": chart, "table": table.to_html("NPS"),
                  "rc": sorted((k, repr(v)) for k, v in matplotlib.rcParams.items())}))
"""


def _report(mode: str) -> dict:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-c", REPORT, mode], env=env, cwd=ROOT,
                         capture_output=True, text=True, timeout=300, check=True)  # fmt: skip
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_a_report_after_warm_up_is_byte_identical_to_one_from_a_fresh_process():
    fresh, warm = _report("fresh"), _report("warm")
    assert 'id="cx-chart-1-' in fresh["chart"]  # the page's first chart: its numbering holds
    assert 'id="cx-chart-2-mark1"' in fresh["chart"]  # the second, drawn as SVG directly
    assert warm["chart"] == fresh["chart"]
    assert warm["table"] == fresh["table"]
    assert warm["rc"] == fresh["rc"]


def test_warm_up_leaves_language_settings_figures_and_chart_numbers_as_they_were():
    i18n.use("fi")
    before = dict(matplotlib.rcParams)
    counter = next(svg._COUNTER)
    try:
        warmup.warm()
        assert i18n.current().code == "fi"
        assert dict(matplotlib.rcParams) == before
        assert not plt.get_fignums()
        assert next(svg._COUNTER) == counter + 1
    finally:
        i18n.use("en")


#: What the fork server does before it forks kernels, then warm(): the threads it has.
SERVER = """
import importlib, os, sys
from cxresearch.running import forkserver
code = getattr(forkserver, sys.argv[1])
for name in forkserver.threaded(code):
    importlib.import_module(name)
pid = os.fork()
if pid == 0:
    exec(compile(code.replace("cxresearch.reporting.warmup.warm()", ""), "<preload>", "exec"), {})
    from cxresearch.reporting import warmup
    warmup.warm()
    os._exit(len(os.listdir("/proc/self/task")))
_, status = os.waitpid(pid, 0)
print(os.waitstatus_to_exitcode(status))
"""


@pytest.mark.skipif(not forkserver.available(), reason="no fork server here")
@pytest.mark.parametrize("code", ["PRELOAD", "PRELOAD_BATCH"])
def test_warm_up_in_the_fork_server_starts_no_thread(code):
    """A run's server (no scipy: nothing loaded for it) and a batch's (statsmodels and so
    scipy: its OpenBLAS loaded before the fork) import and warm up with one thread."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-c", SERVER, code], env=env, cwd=ROOT,
                         capture_output=True, text=True, timeout=300, check=True)  # fmt: skip
    assert out.stdout.strip().splitlines()[-1] == "1"  # one thread: kernels may be forked
