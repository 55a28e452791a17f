"""Process lifetimes: children that die with their parent, and runs that were cut short.

A batch's worker processes and their kernels must not outlive the batch, however it ends
(``SIGTERM``, ``SIGINT``, ``SIGKILL``, a time-out): :func:`die_with_parent` asks Linux to
kill a process when its parent dies. A report that was running when its process died
leaves a run record saying ``running`` and a ``.<name>.<pid>.<thread>.running.ipynb``;
:func:`recover` turns such records into ``failed: interrupted`` and removes such files, so
the index and the records agree again. A process is identified by its pid *and* its start
time, so a pid the system has since given to another process is not taken for the old one.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import datetime as dt
import json
import os
import signal
import threading
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from cxresearch.data import secrets
from cxresearch.running import publish

_PR_SET_PDEATHSIG = 1
_LIBC = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)
_RUNNING_NB = ".running.ipynb"


def die_with_parent(parent_pid: int | None = None) -> None:
    """Have Linux kill this process with ``SIGKILL`` when its parent dies.

    Used as a worker initializer and as the kernels' ``preexec_fn``. Linux sends the
    signal when the *thread* that started this process ends, so start children from a
    thread that lives as long as its process (the main thread). Elsewhere than Linux this
    does nothing.

    Parameters
    ----------
    parent_pid
        The parent's pid as the parent saw it; if the parent has already gone (this
        process has been handed to another), exit at once.
    """
    if not os.uname().sysname == "Linux":  # pragma: no cover - Linux only
        return
    _LIBC.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if parent_pid is not None and os.getppid() != parent_pid:
        os._exit(1)  # the parent died before the death signal was armed


def started_at(pid: int) -> int | None:
    """The start time of process ``pid`` in clock ticks since boot, ``None`` if gone.

    A zombie (dead, not yet reaped) counts as gone.

    Examples
    --------
    >>> started_at(os.getpid()) == started_at(os.getpid()) is not None
    True
    """
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # the command name (field 2) may hold spaces and parentheses: split after the last ")"
    fields = stat[stat.rindex(")") + 2 :].split()
    if fields[0] in ("Z", "X"):
        return None
    return int(fields[19])


def is_alive(pid: int, start: int | None) -> bool:
    """Whether process ``pid`` is still the one that started at ``start``."""
    now = started_at(pid)
    return now is not None and (start is None or now == start)


def running_record() -> dict[str, Any]:
    """The fields a ``running`` record holds to find its process again."""
    return {"status": "running", "pid": os.getpid(), "pid_started": started_at(os.getpid())}


def _running_file_owner(path: Path) -> int | None:
    """The pid in ``.<name>.<pid>.<thread>.running.ipynb``."""
    parts = path.name[: -len(_RUNNING_NB)].split(".")
    try:
        return int(parts[-2])
    except (IndexError, ValueError):
        return None


def _stale_running_file(path: Path) -> bool:
    """A temporary notebook whose process is gone, or started after the file was written."""
    pid = _running_file_owner(path)
    if pid is None:
        return False
    start = started_at(pid)
    if start is None:
        return True
    boot = _boot_time()
    if boot is None:
        return False
    ticks = os.sysconf("SC_CLK_TCK")
    try:
        return boot + start / ticks > path.stat().st_mtime + 1  # the pid was reused
    except OSError:
        return False


def _boot_time() -> float | None:
    try:
        for line in Path("/proc/stat").read_text().splitlines():
            if line.startswith("btime "):
                return float(line.split()[1])
    except OSError:
        return None
    return None


def recover(folder: str | Path, reason: str | None = None) -> list[str]:
    """Mark runs in ``folder`` whose process died as failed; remove their temporary files.

    A record says ``running`` while its report renders. If the process named in it is gone
    (or its pid now belongs to another process), the report was interrupted: its record
    becomes ``failed`` with ``reason``. Temporary ``.running.ipynb`` files of dead processes
    are deleted. Records of runs still going are left alone. Faults while writing are
    ignored here: the run that finds them can still proceed.

    Parameters
    ----------
    folder
        A report folder (``reports/<notebook>``).
    reason
        The error to record; default: the run was interrupted.

    Returns
    -------
    list of str
        The names of the reports marked failed.
    """
    folder = Path(folder)
    marked: list[str] = []
    if not folder.is_dir():
        return marked
    for path in folder.glob(f".*{_RUNNING_NB}"):
        if _stale_running_file(path):
            path.unlink(missing_ok=True)
    for path in sorted(folder.glob("*.json")):
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if not isinstance(record, dict) or record.get("status") != "running":
            continue
        pid = record.get("pid")
        if isinstance(pid, int) and is_alive(pid, record.get("pid_started")):
            continue
        record["status"] = "failed"
        record["error"] = secrets.scrub(
            reason or f"interrupted: the process (pid {pid}) rendering it ended before it finished"
        )
        record["finished_at"] = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        html = folder / f"{path.stem}.html"
        record["html"] = f"{folder.name}/{html.name}" if html.exists() else None
        for key in ("pid", "pid_started"):
            record.pop(key, None)
        try:
            publish.write_atomic(path, json.dumps(record, indent=2, default=str))
        except OSError:
            continue
        marked.append(path.stem)
    return marked


class Interrupted(BaseException):
    """The batch was told to stop (``SIGTERM``, ``SIGINT``) or ran out of time.

    A :class:`BaseException`, like :class:`KeyboardInterrupt`, so that no ``except
    Exception`` on the way swallows it.
    """


@contextlib.contextmanager
def sigterm_interrupts() -> Iterator[None]:
    """In the block, ``SIGTERM`` and ``SIGINT`` raise :class:`Interrupted` (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: Any) -> None:
        raise Interrupted(f"interrupted by {signal.Signals(signum).name}")

    before = {sig: signal.signal(sig, handler) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for sig, old in before.items():
            signal.signal(sig, old)


def stop_processes(processes: Iterable[Any], grace: float = 3.0) -> None:
    """Terminate processes (``multiprocessing`` ones), then kill those still alive."""
    processes = [p for p in processes if p.is_alive()]
    for process in processes:
        process.terminate()
    deadline = time.monotonic() + grace
    for process in processes:
        process.join(max(deadline - time.monotonic(), 0))
        if process.is_alive():
            process.kill()
            process.join(1)
