"""The fault battery: killed batches, batch time-outs, full disks, read-only folders.

Every case asserts that nothing was lost (the last good HTML is byte-for-byte intact) and
that the records and the index tell the truth afterwards. Real faults throughout: a real
``kill -9``, a real full file system (a small tmpfs), a real read-only bind mount, a real
immutable file and a real unprivileged user; an injected write limit (``RLIMIT_FSIZE``)
only where mounting is impossible (not root).
"""

from __future__ import annotations

import contextlib
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from cxresearch.running import forkserver, lifecycle

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "tests" / "notebooks" / "batch_fixture.ipynb"
FAILING = ROOT / "tests" / "notebooks" / "failing.ipynb"
IS_ROOT = os.geteuid() == 0

pytestmark = pytest.mark.slow


def cli(*args, preexec_fn=None, user=None, timeout=600) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "cxresearch.cli", *map(str, args)]
    if user:
        command = ["setpriv", f"--reuid={user}", f"--regid={user}", "--clear-groups", *command]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        command, capture_output=True, text=True, cwd=ROOT, check=False,
        preexec_fn=preexec_fn, env=env, timeout=timeout,
    )  # fmt: skip


# -- reading the outputs ---------------------------------------------------------------------


def records(folder: Path) -> dict[str, dict]:
    return {p.stem: json.loads(p.read_text()) for p in sorted(folder.glob("*.json"))}


def index_status(index: Path, notebook: str, name: str) -> str:
    """The status of a report's card in the index page (the report portal)."""
    cards = [
        c for c in index.read_text().split("<article")[1:]
        if f"<code>{name}</code>" in c and notebook.lower() in c
    ]  # fmt: skip
    assert len(cards) == 1, f"{notebook}/{name} has {len(cards)} cards in {index}"
    for status in ("ok", "failed", "running"):
        if f'<span class="{status}">' in cards[0]:
            return status
    raise AssertionError(f"no status in the index card of {notebook}/{name}: {cards[0]}")


def assert_index_agrees(reports: Path) -> None:
    """Every record's status is its row's status in the index; no run is left 'running'."""
    index = reports / "index.html"
    for folder in (p for p in reports.iterdir() if p.is_dir() and not p.name.startswith("_")):
        for name, record in records(folder).items():
            assert record["status"] in ("ok", "failed"), (name, record)
            assert index_status(index, record["notebook"], name) == record["status"]
        assert not list(folder.glob(".*.running.ipynb")), "stale temporary notebooks left"
        assert not list(folder.glob(".*.tmp")), "temporary files left"


# -- processes -------------------------------------------------------------------------------


def descendants(root: int) -> dict[int, int | None]:
    """Every process below ``root`` (following parent links), with its start time."""
    parents = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, ValueError, IndexError):
                stat = (entry / "stat").read_text()
                parents[int(entry.name)] = int(stat[stat.rindex(")") + 2 :].split()[1])
    found, frontier = {}, [root]
    while frontier:
        pid = frontier.pop()
        for child, parent in parents.items():
            if parent == pid and child not in found:
                found[child] = lifecycle.started_at(child)
                frontier.append(child)
    return found


def still_alive(family: dict[int, int | None], after: float) -> list[int]:
    """The processes of ``family`` alive ``after`` seconds from now (looked at every 0.1 s:
    a process that has ended stays ended, so this returns as soon as none is left)."""
    deadline = time.monotonic() + after
    while True:
        alive = [pid for pid, start in family.items() if lifecycle.is_alive(pid, start)]
        if not alive or time.monotonic() >= deadline:
            return alive
        time.sleep(0.1)


def kernels_of(processes: dict[int, int | None]) -> list[int]:
    """The kernels among ``processes``: started (``ipykernel``) or forked (named so)."""
    kernels = []
    for pid in processes:
        with contextlib.suppress(OSError):
            started = b"ipykernel" in Path(f"/proc/{pid}/cmdline").read_bytes()
            forked = Path(f"/proc/{pid}/comm").read_text().strip() == forkserver.KERNEL_NAME
            if started or forked:
                kernels.append(pid)
    return kernels


def hang_schedule(tmp_path: Path, db_url: str) -> tuple[Path, Path]:
    """Three reports that never end (HANG) and three quick ones (SE), in one folder."""
    reports = tmp_path / "reports"
    data = {
        "name": "faults",
        "timeout": 600,
        "retries": 0,
        "reports": [{
            "notebook": str(FIXTURE),
            "output": str(reports / "fixture" / "{country}-{language}.html"),
            "params": {"mode": "break"},
            "matrix": {"country": ["HANG", "SE"], "language": ["en", "sv", "da"]},
        }],
    }  # fmt: skip
    path = tmp_path / "faults.yaml"
    path.write_text(yaml.safe_dump(data))
    return path, reports


def start_hanging_batch(tmp_path: Path, db_url: str, *extra: str):
    schedule, reports = hang_schedule(tmp_path, db_url)
    with (tmp_path / "batch.log").open("w") as log:  # the child keeps its own copy
        parent = subprocess.Popen(
            [sys.executable, "-m", "cxresearch.cli", "batch", str(schedule), "--workers", "2",
             "--db", db_url, "--only", "batch_fixture/HANG-*", *extra],
            cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )  # fmt: skip
    # wait until both workers are inside a report (its temporary notebook exists)
    folder = reports / "fixture"
    deadline = time.monotonic() + 400
    while len(list(folder.glob(".*.running.ipynb"))) < 2:
        assert parent.poll() is None, (tmp_path / "batch.log").read_text()
        assert time.monotonic() < deadline, "the batch never started two reports"
        time.sleep(1)
    time.sleep(2)
    return parent, schedule, reports


@pytest.mark.parametrize(
    "sig",
    [
        pytest.param(signal.SIGKILL, id="SIGKILL", marks=pytest.mark.xdist_group("faults_sigkill")),
        pytest.param(signal.SIGTERM, id="SIGTERM", marks=pytest.mark.xdist_group("faults_sigterm")),
    ],
)
def test_killed_batch_leaves_no_process_and_the_next_run_agrees(tmp_path, small_url, sig):
    parent, schedule, reports = start_hanging_batch(tmp_path, small_url)
    family = descendants(parent.pid)
    assert len(kernels_of(family)) >= 2, "no kernels were running"  # the test can fail
    records_before = records(reports / "fixture")
    assert sum(r["status"] == "running" for r in records_before.values()) == 2

    os.kill(parent.pid, sig)
    parent.wait(timeout=60)
    alive = still_alive(family, after=5)
    assert alive == [], f"still alive 5 s after {sig.name}: {alive}"

    # the next run (of other reports, in the same folder) sets the records straight
    again = cli("batch", schedule, "--workers", "1", "--db", small_url,
                "--only", "batch_fixture/SE-en")  # fmt: skip
    assert again.returncode == 0, again.stdout + again.stderr
    after = records(reports / "fixture")
    assert after["SE-en"]["status"] == "ok"
    for name in ("HANG-en", "HANG-sv"):
        assert after[name]["status"] == "failed"
        assert "before it finished" in after[name]["error"]
    assert_index_agrees(reports)


#: The batch time-out of the test below, far below a report's 600 s: both workers must be
#: inside a report before it ends (they took a minute once, with the load at 10 on 2 cores).
BATCH_TIMEOUT = 45


@pytest.mark.xdist_group("faults_timeout")  # a unit of its own for xdist
def test_batch_timeout_stops_everything_and_records_why(tmp_path, small_url):
    schedule, reports = hang_schedule(tmp_path, small_url)
    t0 = time.monotonic()
    with subprocess.Popen(  # its pipes closed however the test ends
        [sys.executable, "-m", "cxresearch.cli", "batch", str(schedule), "--workers", "2",
         "--db", small_url, "--only", "batch_fixture/HANG-*", "--timeout", str(BATCH_TIMEOUT)],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    ) as result:  # fmt: skip
        folder = reports / "fixture"  # both workers inside a report: its notebook exists
        while len(list(folder.glob(".*.running.ipynb"))) < 2 and result.poll() is None:
            time.sleep(1)
        time.sleep(1)
        family = descendants(result.pid)
        inside = time.monotonic() - t0
        assert inside < BATCH_TIMEOUT, f"2 reports began after {inside:.0f} s: raise BATCH_TIMEOUT"
        assert len(kernels_of(family)) >= 2, "no kernels were running"  # the test can fail
        stdout, stderr = result.communicate(timeout=300)
    assert result.returncode == 1, stdout + stderr
    assert time.monotonic() - t0 < 200  # not the 600 s of a report's own time-out
    assert f"timed out after {BATCH_TIMEOUT} s" in stderr
    alive = still_alive(family, after=5)
    assert alive == [], f"still alive 5 s after the batch timed out: {alive}"
    manifest = json.loads(next((reports / "_batches").glob("*.json")).read_text())
    assert {r["status"] for r in manifest["reports"]} == {"failed"}
    assert all(f"timed out after {BATCH_TIMEOUT} s" in r["error"] for r in manifest["reports"])
    assert_index_agrees(reports)


# -- write faults ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def good_report(tmp_path_factory, small_url) -> Path:
    """A reports folder with one good render of the failing fixture (which passes here)."""
    reports = tmp_path_factory.mktemp("good") / "reports"
    result = cli("run", FAILING, "-P", "fail=false", "--name", "good",
                 "--out", reports / "failing", "--db", small_url)  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    return reports


def copy_reports(good: Path, target: Path) -> Path:
    shutil.copytree(good, target, dirs_exist_ok=True)
    return target


def rerun(reports: Path, db_url: str, **kwargs) -> subprocess.CompletedProcess:
    return cli("run", FAILING, "-P", "fail=false", "--name", "good",
               "--out", reports / "failing", "--db", db_url, **kwargs)  # fmt: skip


def one_line_error(result: subprocess.CompletedProcess) -> str:
    assert result.returncode != 0
    assert "Traceback" not in result.stderr + result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:"), result.stderr
    return lines[0]


@contextlib.contextmanager
def mounted(*command: str, target: Path):
    subprocess.run(["mount", *command, str(target)], check=True, capture_output=True)
    try:
        yield
    finally:
        subprocess.run(["umount", str(target)], check=True, capture_output=True)


def _limit_file_size(limit: int):
    def preexec() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return preexec


def test_disk_full_keeps_last_good_report_and_records_the_failure(tmp_path, good_report, small_url):
    reports = tmp_path / "reports"
    reports.mkdir()
    html_size = (good_report / "failing" / "good.html").stat().st_size
    context = (
        mounted("-t", "tmpfs", "-o", f"size={html_size * 3 // 1024}k", "tmpfs", target=reports)
        if IS_ROOT
        else contextlib.nullcontext()
    )
    with context:
        copy_reports(good_report, reports)
        before = (reports / "failing" / "good.html").read_bytes()
        preexec = None
        if IS_ROOT:  # fill the file system, leaving room for small files only
            free = shutil.disk_usage(reports).free
            (reports / "filler").write_bytes(b"\0" * max(free - html_size // 2, 0))
        else:  # pragma: no cover - fallback without mount: no file may grow past 64 KiB
            preexec = _limit_file_size(64 * 1024)
        result = rerun(reports, small_url, preexec_fn=preexec)
        assert result.returncode == 1, result.stdout + result.stderr
        assert "Traceback" not in result.stderr
        assert "No space left on device" in result.stderr or "File too large" in result.stderr
        assert (reports / "failing" / "good.html").read_bytes() == before
        record = records(reports / "failing")["good"]
        if "not run: nothing can be written" in result.stderr:
            # too full even for the run record: refused before a kernel, nothing changed
            assert record["status"] == "ok" and len(result.stderr.strip().splitlines()) == 1
            return
        assert record["status"] == "failed", (result.stderr, record)
        assert "could not write" in record["error"]
        assert "last good report is kept" in record["error"]
        assert record["html"] == "failing/good.html"  # the link to the last good HTML stays
        assert index_status(reports / "index.html", "failing", "good") == "failed"
        assert_index_agrees(reports)


def test_a_report_that_cannot_be_replaced_is_recorded_failed(tmp_path, good_report, small_url):
    assert IS_ROOT, "chattr +i needs root (make test runs as root here)"
    reports = copy_reports(good_report, tmp_path / "reports")
    html = reports / "failing" / "good.html"
    before = html.read_bytes()
    subprocess.run(["chattr", "+i", str(html)], check=True)
    try:
        result = rerun(reports, small_url)
    finally:
        subprocess.run(["chattr", "-i", str(html)], check=True)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "Operation not permitted" in result.stderr
    assert html.read_bytes() == before
    record = records(reports / "failing")["good"]
    assert record["status"] == "failed" and "Operation not permitted" in record["error"]
    assert_index_agrees(reports)


def test_read_only_reports_folder_gives_one_line_and_changes_nothing(
    tmp_path, good_report, small_url
):
    reports = copy_reports(good_report, tmp_path / "reports")
    snapshot = {p: p.read_bytes() for p in reports.rglob("*") if p.is_file()}
    if IS_ROOT:
        context = mounted("--bind", "-o", "ro", str(reports), target=reports)
    else:  # pragma: no cover - without root, permissions hold
        context = contextlib.nullcontext()
        for path in [reports, *reports.rglob("*")]:
            path.chmod(0o555 if path.is_dir() else 0o444)
    with context:
        t0 = time.monotonic()
        line = one_line_error(rerun(reports, small_url))
        assert time.monotonic() - t0 < 60  # refused before a kernel starts
    assert "Read-only file system" in line or "Permission denied" in line
    assert str(reports / "failing") in line
    assert {p: p.read_bytes() for p in reports.rglob("*") if p.is_file()} == snapshot


def test_permission_denied_for_another_user_gives_one_line(tmp_path, good_report, small_url):
    assert IS_ROOT, "running as another user needs root (make test runs as root here)"
    reports = copy_reports(good_report, tmp_path / "reports")
    snapshot = {p: p.read_bytes() for p in reports.rglob("*") if p.is_file()}
    db_copy = tmp_path / "db" / "cx.duckdb"
    db_copy.parent.mkdir()
    shutil.copy(small_url.removeprefix("duckdb:///"), db_copy)
    for path in (tmp_path, db_copy.parent, db_copy):
        path.chmod(0o777 if path.is_dir() else 0o666)
    for path in [tmp_path.parent, *tmp_path.parents]:
        if path.stat().st_mode & 0o001 == 0:
            path.chmod(path.stat().st_mode | 0o001)  # let nobody walk to the folder
    line = one_line_error(rerun(reports, f"duckdb:///{db_copy}", user="65534"))
    assert "Permission denied" in line and str(reports / "failing") in line
    assert {p: p.read_bytes() for p in reports.rglob("*") if p.is_file()} == snapshot
