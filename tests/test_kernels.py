"""Forked kernels: a real kernel per report, nothing carried over, failures isolated, fallback.

Each scenario runs real reports through ``runner.execute`` in a fresh Python process, so
the fork server is started while that process has one thread, whatever pytest ran before.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from cxresearch.running import forkserver

ROOT = Path(__file__).resolve().parent.parent
PROBE = ROOT / "tests" / "notebooks" / "kernel_probe.ipynb"
#: The hung report's time-out: its kernel sleeps for 600 s, so any time-out ends it.
HANG_TIMEOUT = 5

SCRIPT = textwrap.dedent(
    """
    import json, os, signal, sys, time
    from pathlib import Path
    import nbformat
    from cxresearch.errors import ReportError
    from cxresearch.running import forkserver, kernels, runner, spec

    probe, url, out, modes = sys.argv[1], sys.argv[2], Path(sys.argv[3]), sys.argv[4:]
    HANG = float(os.environ["CX_TEST_HANG_TIMEOUT"])
    server = forkserver.shared(wait=False)  # as the command does: it asks for a kernel later
    results = {"client": os.getpid(), "server": server.pid if server else None}
    for mode in modes:
        if mode == "wait":  # as a run's command does while it checks its parameters, until
            # the server is idle (its imports and first warm-up steps done): its CPU clock
            # stands still for a second; at most 120 s (a loaded machine)
            ticks, still, end = -1, 0, time.monotonic() + 120
            while still < 2 and time.monotonic() < end:
                time.sleep(0.5)
                stat = Path(f"/proc/{server.pid}/stat").read_text().rsplit(")", 1)[1].split()
                now = int(stat[11]) + int(stat[12])  # utime + stime
                still, ticks = (still + 1 if now == ticks else 0), now
            continue
        if mode == "exit":  # leave a kernel running, then die without any clean-up
            kernel = kernels.new_kernel(out, kernels.kernel_env(url))
            kernel.ready()
            results["orphan"] = kernel.km.provisioner.pid
            print(json.dumps(results), flush=True)
            os.kill(os.getpid(), signal.SIGKILL)
        run = spec.build(probe, overrides={"mode": mode}, database=url, out_dir=out,
                         name=f"{len(results)}-{mode}", timeout=HANG if mode == "hang" else None)
        try:
            result = runner.execute(run, update_index=False)
        except ReportError as exc:
            failed = out / f"{run.name}.failed.ipynb"
            results[run.name] = {"kind": exc.kind, "error": str(exc),
                                 "kept": failed.read_text() if failed.exists() else ""}
            continue
        nb = nbformat.read(result.ipynb, as_version=4)
        text = "".join(o.get("text", "") for c in nb.cells for o in c.get("outputs", []))
        results[run.name] = json.loads(text.strip().splitlines()[-1])
    results["variables"] = server.variables if server else None
    print(json.dumps(results), flush=True)
    """
)


def _run(url: str, out: Path, *modes: str, fork: str = "1", **extra: str) -> dict:
    env = {**os.environ, forkserver.ENV: fork, "PYTHONPATH": str(ROOT), **extra,
           "CX_TEST_HANG_TIMEOUT": str(HANG_TIMEOUT)}  # fmt: skip
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(PROBE), url, str(out), *modes],
        env=env, capture_output=True, text=True, cwd=ROOT, timeout=900,
    )  # fmt: skip
    lines = done.stdout.strip().splitlines()
    assert lines, done.stderr[-3000:]
    return {**json.loads(lines[-1]), "stderr": done.stderr}


def _gone(pid: int) -> bool:
    """Whether a process has ended (a zombie nobody reaped counts as ended)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return True
    return state in {"Z", "X"}


#: In the environment of the process that starts the fork server.
SECRETS = {
    "CX_DATABASE_URL": "postgresql://ana:hunter2-url@127.0.0.1:9/cx",
    "CX_DATABASE_PASSWORD": "hunter2-password",
    "CX_PROBE_API_TOKEN": "hunter2-token",
}
#: A large environment (CI, Spark and Java set many variables): the server's greeting, which
#: lists the names it kept, is longer than one small read.
PADDING = {f"CX_PROBE_PADDING_VARIABLE_{i:03d}": "x" for i in range(200)}

needs_fork = pytest.mark.skipif(not forkserver.available(), reason="no fork server here")


#: A user's IPython configuration for kernels: one setting a kernel must take, one it must
#: override (a report keeps no input history on disk, whatever the profile says).
KERNEL_CONFIG = """
c.InteractiveShell.separate_in = "cx-probe-config"
c.HistoryManager.enabled = True
"""


@pytest.fixture(scope="module")
def forked(tmp_path_factory, small_url) -> dict:
    out = tmp_path_factory.mktemp("forked")
    ipython_dir = tmp_path_factory.mktemp("ipython")
    (ipython_dir / "profile_default").mkdir()
    (ipython_dir / "profile_default" / "ipython_kernel_config.py").write_text(KERNEL_CONFIG)
    modes = ("wait", "leak", "check", "fail", "die", "check", "quit", "hang", "check")
    return _run(small_url, out, *modes, **SECRETS, **PADDING, IPYTHONDIR=str(ipython_dir))


@needs_fork
def test_every_report_gets_a_fresh_forked_kernel(forked, small_url):
    server = forked["server"]
    assert server is not None
    probes = [v for k, v in forked.items() if k.endswith(("-leak", "-check"))]
    assert len(probes) == 4
    # each a kernel of its own, a child of the fork server (not of the client)
    assert len({p["pid"] for p in probes}) == 4
    assert {p["ppid"] for p in probes} == {server}
    assert {p["cwd"] for p in probes} == {str(PROBE.parent)}
    assert {p["database"] for p in probes} == {small_url}
    # what the first report left behind (a module attribute, a patched function, the
    # environment, a matplotlib setting) is gone in the next
    assert all(p["leaked"] == [None, None, None, None] for p in probes)
    # and every kernel starts with the server's imports done (pandas, Ibis, the package)
    assert all(p["preloaded"] == [True, True, True] for p in probes), probes
    # and with a report's first-use work done by the server while it waited for the first
    # request (the locale data of the default language among it)
    assert all("en" in p["warmed"] for p in probes), probes
    # and keeps no input history on disk (a SQLite file every kernel would write), though
    # the user's kernel configuration turns it on; the configuration's other settings hold
    # (the kernel is given its options as configuration, not parsed from a command line)
    assert all(p["history"] is False for p in probes), probes
    assert all(p["separate_in"] == "cx-probe-config" for p in probes), probes
    # and collects its own garbage, the server's objects frozen (the server never collects)
    assert all(p["gc"] == [True, True] for p in probes), probes
    # and has no debugger: the server treats debugpy as not installed (0.4 s of imports)
    assert all(p["debugger"] is False for p in probes), probes


@needs_fork
def test_a_failing_cell_is_recorded_in_the_executed_notebook(forked):
    (failed,) = [v for k, v in forked.items() if k.endswith("-fail")]
    assert failed["kind"] == "cell"
    assert "planted failure" in failed["error"]
    assert "RuntimeError" in failed["kept"] and "planted failure" in failed["kept"]


@needs_fork
def test_a_dead_or_hung_kernel_ends_only_its_report(forked):
    (died,) = [v for k, v in forked.items() if k.endswith("-die")]
    (quit_,) = [v for k, v in forked.items() if k.endswith("-quit")]
    (hung,) = [v for k, v in forked.items() if k.endswith("-hang")]
    assert died["kind"] == quit_["kind"] == "kernel"
    assert hung["kind"] == "timeout"
    assert f"timed out after {HANG_TIMEOUT} s" in hung["error"]
    # the reports after them ran, on kernels from the same server
    order = [k for k in forked if "-" in k]
    assert [k.split("-")[1] for k in order[-5:]] == ["die", "check", "quit", "hang", "check"]
    assert forked[order[-1]]["ppid"] == forked[order[-4]]["ppid"] == forked["server"]


@needs_fork
def test_no_secret_reaches_the_fork_server_or_the_logs(forked):
    # the server's own environment: what the client had, without any credential
    assert forked["variables"], "the server did not report its environment"
    assert not {"CX_DATABASE_URL", "CX_DATABASE_PASSWORD", "CX_PROBE_API_TOKEN"} & set(
        forked["variables"]
    )
    assert "PATH" in forked["variables"]
    assert set(PADDING) <= set(forked["variables"])  # the whole greeting was read
    # nothing the server, the kernels or the client wrote on stderr names them
    assert "hunter2" not in forked["stderr"]


def test_fallback_starts_kernels_as_new_processes(tmp_path, small_url):
    result = _run(small_url, tmp_path, "leak", "check", fork="0")
    assert result["server"] is None
    probes = [v for k, v in result.items() if "-" in k]
    # without the fork server, jupyter_client starts each kernel as our own child
    assert {p["ppid"] for p in probes} == {result["client"]}
    assert len({p["pid"] for p in probes}) == 2
    assert probes[1]["leaked"] == [None, None, None, None]
    # a kernel started as a new process keeps ipykernel's debugger
    assert all(p["debugger"] is True for p in probes), probes


@needs_fork
def test_server_and_kernels_end_when_the_client_dies(tmp_path, small_url):
    result = _run(small_url, tmp_path, "exit")
    pids = [result["server"], result["orphan"]]
    deadline = time.monotonic() + 60
    while not all(_gone(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert all(_gone(pid) for pid in pids), pids


def test_switched_off_by_the_environment(monkeypatch):
    monkeypatch.setenv(forkserver.ENV, "0")
    assert not forkserver.available()
    assert forkserver.shared() is None


@pytest.mark.parametrize("platform", ["darwin", "win32"])
def test_macos_and_windows_take_the_started_path(monkeypatch, platform):
    monkeypatch.delenv(forkserver.ENV, raising=False)
    monkeypatch.setattr(sys, "platform", platform)
    assert not forkserver.available()
    assert forkserver.shared() is None  # so kernels.new_kernel starts a process


def test_never_forks_while_another_thread_runs():
    stop = threading.Event()
    worker = threading.Thread(target=stop.wait)
    worker.start()
    try:
        assert not forkserver.can_fork_now()
        with pytest.raises(RuntimeError, match="one thread"):
            forkserver.ForkServer.start()
    finally:
        stop.set()
        worker.join()


@needs_fork
def test_forked_process_follows_a_process_that_is_not_its_child():
    # a grandchild through a shell: like a kernel, not our own child
    shell = subprocess.Popen(["sh", "-c", "sleep 30 & echo $!; wait"], stdout=subprocess.PIPE)
    pid = int(shell.stdout.readline())
    process = forkserver.ForkedProcess(pid, os.pidfd_open(pid))
    assert process.poll() is None
    with pytest.raises(subprocess.TimeoutExpired):
        process.wait(timeout=0.1)
    process.kill()
    assert process.wait(timeout=10) == -signal.SIGKILL
    shell.wait(timeout=10)
    shell.stdout.close()
