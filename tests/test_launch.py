"""The command's entry point: the fork server started first, a quick and faithful exit."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from cxresearch import launch

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (["run", "nps_overview"], "PRELOAD"),
        (["run", "notebooks/recommend_intent.ipynb"], "PRELOAD_CHARTS+PRELOAD"),
        (["run", "no_such_notebook"], "PRELOAD_CHARTS+PRELOAD"),
        (["run", "--params", "params/nps_overview/default.yaml", "nps_overview"],
         "PRELOAD_CHARTS+PRELOAD"),
        (["demo"], "PRELOAD_BATCH"),
        (["run", "nps_overview", "--help"], None),
        (["batch", "params/schedule.yaml"], None),
        (["--version"], None),
        ([], None),
    ],
)  # fmt: skip
def test_only_rendering_commands_start_a_server(args, code, monkeypatch):
    """A run imports matplotlib in its server only when its notebook draws with it (or it
    cannot tell which notebook it is); nps_overview draws its trends without it."""
    from cxresearch.running import forkserver

    monkeypatch.chdir(ROOT)
    expected = code and "".join(getattr(forkserver, part) for part in code.split("+"))
    assert launch.server_code(args) == expected


def test_the_entry_point_reads_no_settings_before_it_forks():
    """The server is forked before the settings (and a ``.env``'s credentials) are read."""
    code = (
        "import sys\nfrom cxresearch import launch\n"
        "launch.server_code(['run', 'nps_overview'])\n"
        "print('cxresearch.config' in sys.modules, 'dotenv' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=ROOT, check=True)  # fmt: skip
    assert done.stdout.split() == ["False", "False"], done.stdout


def _in_session(sid: int) -> set[int]:
    """The processes of session ``sid`` (``/proc/<pid>/stat``, field 6)."""
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[3]) == sid:
                found.add(int(entry.name))
    return found


@pytest.mark.slow  # renders a report in a subprocess
def test_a_run_exits_quickly_with_its_output_and_status(demo_url, tmp_path):
    cmd = [sys.executable, "-m", "cxresearch", "run", "nps_overview", "--db", demo_url]
    env = {**os.environ, "COLUMNS": "400"}
    with subprocess.Popen([*cmd, "--out", str(tmp_path)], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True, cwd=ROOT, env=env,
                          start_new_session=True) as command:  # fmt: skip
        stdout, stderr = command.communicate(timeout=300)
    done = subprocess.CompletedProcess(cmd, command.returncode, stdout, stderr)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"{tmp_path / 'default.html'}  (")  # flushed before the exit
    assert (tmp_path / "default.html").stat().st_size > 10_000
    assert _in_session(command.pid) == set()  # no fork server or kernel left behind

    failed = subprocess.run([*cmd, "--out", str(tmp_path), "-P", "language=de"],
                            capture_output=True, text=True,
                            cwd=ROOT, env=env, timeout=300)  # fmt: skip
    assert failed.returncode == 2, failed.stderr
    assert failed.stderr.startswith("error: ") and failed.stdout == ""


def test_leave_keeps_the_exit_status_of_a_message(tmp_path):
    code = "from cxresearch import launch; print('kept', end=''); launch.leave('why: bad')"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert (done.returncode, done.stdout, done.stderr) == (1, "kept", "why: bad\n")
