"""A batch's workers: how they start, and how each renders its reports.

Local workers are forked by :mod:`multiprocessing`'s fork server, which has imported once
what every worker and kernel needs (:mod:`cxresearch.running.preload`), where the platform
allows (Linux); elsewhere, or with ``CX_FORK_KERNELS=0``, each is a new process. Each
worker forks its kernels from a fork server of its own (:mod:`cxresearch.running.kernels`).
Dask workers run :func:`run_job` too.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import multiprocessing.util
import os
import pickle
import select
import threading
import time
from dataclasses import dataclass
from typing import Any

from cxresearch import config
from cxresearch.data import secrets
from cxresearch.errors import ReportError
from cxresearch.running import lifecycle, runner
from cxresearch.running.spec import RunSpec


@dataclass
class Job:
    """One report of a batch: its validated run specification and what became of it."""

    spec: RunSpec
    cache_key: str = ""
    retries: int = 1
    status: str = "pending"  # pending | done | skipped | failed
    seconds: float = 0.0
    attempts: int = 0
    error: str | None = None
    html: str | None = None

    @property
    def label(self) -> str:
        """``notebook/name``, as ``--only`` patterns match it."""
        return self.spec.label

    @property
    def name(self) -> str:
        """The report's name."""
        return self.spec.name

    @property
    def out_dir(self) -> str:
        """The report's folder."""
        return str(self.spec.out_dir)

    @property
    def parameters(self) -> dict[str, Any]:
        """The report's validated parameters."""
        return self.spec.parameters


_POOL = None


def _pool(database: str):
    global _POOL
    if _POOL is None:
        from cxresearch.running.kernels import KernelPool

        _POOL = KernelPool(config.NOTEBOOKS_DIR, batch_kernel_env(database))
        # worker processes end with os._exit: atexit would not run, Finalize does
        multiprocessing.util.Finalize(_POOL, _POOL.close, exitpriority=10)
    return _POOL


def batch_kernel_env(database: str) -> dict[str, str]:
    """The environment of a batch's kernels: a runner's, with DuckDB on one thread each.

    A batch renders a report on every core at once: more threads per query would only add
    their start-up and hand-over to each report's CPU (``CX_DUCKDB_THREADS``, unless the
    batch's own environment sets it).
    """
    from cxresearch.running.kernels import kernel_env

    env = kernel_env(database)
    env.setdefault(config.DUCKDB_THREADS_ENV, "1")
    return env


def init_worker(
    database: str, batch_pid: int, forked: bool = False,
    environ: dict[str, str] | None = None, cwd: str | None = None,
) -> None:  # fmt: skip
    """Die with the batch; start this worker's kernel fork server (or first warm kernel).

    A worker started as a new process is the batch's child and asks Linux to kill it when
    the batch dies. A worker ``forked`` by :mod:`multiprocessing`'s fork server (see
    :func:`context`) is that server's child, and the server lives as long as its workers
    do: such a worker watches the batch's process instead and exits the moment it ends
    (its kernel server and kernels, which die with their parents, follow). It also has
    the server's environment and folder, as they were when the server started: it takes
    the batch's (``environ``, ``cwd``).
    """
    if environ is not None:
        os.environ.clear()
        os.environ.update(environ)
    if cwd is not None:
        os.chdir(cwd)
    lifecycle.die_with_parent(None if forked else batch_pid)
    _pool(database).warm()  # forks the kernel server while this process has one thread
    if forked:
        _exit_with(batch_pid)


def _exit_with(pid: int) -> None:
    """End this process (``os._exit``) as soon as process ``pid`` ends, from a daemon thread."""
    try:
        watched = os.pidfd_open(pid)
    except OSError:  # already gone
        os._exit(1)

    def watch() -> None:
        select.select([watched], [], [])
        os._exit(1)

    threading.Thread(target=watch, name="cx-batch-watch", daemon=True).start()


def context() -> tuple[Any, bool]:
    """How local workers start, and whether they are forked (see :func:`init_worker`).

    Where fork is safe to use from a process of one thread (Linux), workers are forked by
    :mod:`multiprocessing`'s fork server, which has imported once what every worker and
    kernel needs (:mod:`cxresearch.running.preload`). Elsewhere, or with
    ``CX_FORK_KERNELS=0``, each worker is a new process (``spawn``).
    """
    from cxresearch.running import forkserver

    if not forkserver.available() or "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn"), False
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["cxresearch.running.preload"])
    return context, True


def stop_starter() -> None:
    """Stop multiprocessing's fork server and wait for it (it would outlive the batch).

    Waited for, the server's CPU time and its workers' count as this process's children's.
    """
    from multiprocessing import forkserver as mp_forkserver

    with contextlib.suppress(Exception):
        mp_forkserver._forkserver._stop()  # noqa: SLF001 - no public way to wait for it


def run_job(payload: bytes, database: str, fingerprint: str) -> Job:
    """Render one report in this process on a warm kernel; retry if the kernel dies.

    The job travels pickled: Dask would otherwise take a dataclass argument apart into
    tasks of its own.
    """
    job: Job = pickle.loads(payload)  # noqa: S301 - our own job, from our own process
    pool = _pool(database)
    t0 = time.perf_counter()
    attempts = 0
    while True:
        attempts += 1
        kernel = pool.take()
        try:
            result = runner.execute(
                job.spec, update_index=False, kernel=kernel, fingerprint=fingerprint,
                extra_record={"cache_key": job.cache_key},
            )  # fmt: skip
            job.status, job.html, job.error = "done", str(result.html), None
            break
        except ReportError as exc:
            job.status, job.error = "failed", str(exc)
            if exc.kind != "kernel" or attempts > job.retries:
                break
        except Exception as exc:  # noqa: BLE001 - a worker must report, not die
            job.status, job.error = "failed", secrets.scrub(f"{type(exc).__name__}: {exc}")
            break
    job.seconds, job.attempts = round(time.perf_counter() - t0, 2), attempts
    return job
