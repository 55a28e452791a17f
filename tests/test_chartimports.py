"""A single run's fork server imports matplotlib only for a notebook that draws with it."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from cxresearch.running import chartimports, forkserver

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["nps_overview"], False),  # its trends are drawn as SVG directly
        (["nps_overview", "-P", "language=sv", "--db", "x.duckdb"], False),
        (["-p", "params/drivers/default.yaml", "drivers"], True),
        (["comments"], True),
        (["recommend_intent"], True),
        (["notebooks/satisfaction_spend.ipynb"], True),
        (["no_such_notebook"], True),  # unknown: as before, import it
        ([], True),
    ],
)
def test_which_notebooks_draw_with_matplotlib(args, expected):
    assert chartimports.draws_with_matplotlib(args) is expected


def test_an_unreadable_notebook_counts_as_drawing(tmp_path):
    broken = tmp_path / "broken.ipynb"
    broken.write_text("{not json")
    assert chartimports.draws_with_matplotlib([str(broken)]) is True


#: The server's preload for a run, then which matplotlib modules it imported.
SERVER = """
import json, sys
from cxresearch.running import chartimports, forkserver
code = chartimports.preload(sys.argv[1:], forkserver.PRELOAD_CORE, forkserver.PRELOAD_MATPLOTLIB)
exec(compile(code, "<preload>", "exec"), {})
print(json.dumps("matplotlib.pyplot" in sys.modules))
"""


@pytest.mark.parametrize(("notebook", "imported"), [("nps_overview", False), ("drivers", True)])
def test_the_run_preload_imports_matplotlib_only_when_drawn(notebook, imported):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    args = [sys.executable, "-c", SERVER, notebook, "--db", "x'\"; y"]  # quoting survives
    out = subprocess.run(args, env=env, cwd=ROOT, capture_output=True, text=True, timeout=300,
                         check=True)  # fmt: skip
    assert json.loads(out.stdout.strip().splitlines()[-1]) is imported
    assert forkserver.PRELOAD == forkserver.PRELOAD_MATPLOTLIB + forkserver.PRELOAD_CORE
