"""Kernels for reports: forked with the heavy imports done, or warmed up in advance.

Where the platform allows (Linux), a kernel is forked from this process's fork server
(:mod:`cxresearch.running.forkserver`), which has imported the heavy modules once: a new
kernel costs tens of milliseconds. Elsewhere (macOS, Windows, ``CX_FORK_KERNELS=0``, or
a process that already runs threads, such as a Dask worker) each worker process keeps one
spare kernel, started as a new process. When a report starts it takes the spare (whose
imports have been running in the background) and a new spare starts at once, so the next
report's kernel start-up and imports overlap this report's execution. A kernel runs one
report only and is shut down after it: no state carries from one report to the next.
"""

from __future__ import annotations

import os
import queue
import shutil
import tempfile
import threading
import uuid
from pathlib import Path
from typing import Any

from jupyter_client import AsyncKernelManager, BlockingKernelClient
from jupyter_client.connect import KernelConnectionInfo
from jupyter_client.provisioning import LocalProvisioner
from jupyter_core.utils import run_sync
from papermill.clientwrap import PapermillNotebookClient
from papermill.engines import NBClientEngine, NotebookExecutionManager, papermill_engines
from papermill.log import logger
from papermill.utils import remove_args

from cxresearch.running import forkserver
from cxresearch.running.lifecycle import die_with_parent

#: Run in every warm kernel before it is handed out: the imports every report pays for.
WARM_UP = """
import matplotlib
matplotlib.use("module://matplotlib_inline.backend_inline")
import matplotlib.pyplot, numpy, pandas, statsmodels.api, ibis
import cxresearch.data.db, cxresearch.stats.metrics, cxresearch.stats.models
import cxresearch.reporting.plots, cxresearch.reporting.report, cxresearch.stats.compare
"""


class WarmKernel:
    """A kernel started with ``env`` in ``cwd`` that imports the heavy modules at once.

    The manager is asynchronous, as nbclient expects (a blocking client would stall its
    event loop and with it the detection of a dead kernel); the warm-up talks to the
    kernel through a blocking client of its own.
    """

    def __init__(
        self,
        cwd: Path,
        env: dict[str, str],
        kernel_name: str = "python3",
        *,
        server: forkserver.ForkServer | None = None,
    ) -> None:
        # IPC sockets in a private folder: kernels started at once in several processes
        # cannot race for the same TCP port, and nothing listens on the network
        self._sockets = tempfile.mkdtemp(prefix="cx-kernel-")
        options: dict[str, Any] = {
            "kernel_name": kernel_name, "transport": "ipc", "ip": os.path.join(self._sockets, "k"),
        }  # fmt: skip
        self.forked = server is not None
        if server is not None:  # the server's kernels die with it, and it with us
            self.km = ForkKernelManager(server, **options)
            run_sync(self.km.start_kernel)(cwd=str(cwd), env=env)
        else:
            self.km = AsyncKernelManager(**options)
            run_sync(self.km.start_kernel)(cwd=str(cwd), env=env, **_dies_with_us())
        self.kc: BlockingKernelClient | None = None
        if self.forked:  # its imports are done: nothing to warm up, nbclient waits for it
            return
        self.kc = BlockingKernelClient()
        self.kc.load_connection_info(self.km.get_connection_info())
        self.kc.start_channels()
        self._msg_id = self.kc.execute(WARM_UP, silent=True, store_history=False)

    def ready(self, timeout: float = 120) -> AsyncKernelManager:
        """Wait until the warm-up has run; return the kernel manager for one report."""
        if self.forked:
            return self.km
        try:
            while True:
                msg = self.kc.get_shell_msg(timeout=timeout)
                if msg["parent_header"].get("msg_id") == self._msg_id:
                    break
        except queue.Empty:
            pass  # papermill will wait for the kernel and report what is wrong
        finally:
            self.kc.stop_channels()
        return self.km

    def kill(self) -> None:
        """Kill the kernel process at once; safe to call from another thread.

        The thread executing the notebook then sees a dead kernel and stops waiting.
        """
        process = getattr(getattr(self.km, "provisioner", None), "process", None)
        if process is not None and process.poll() is None:
            process.kill()

    def discard(self) -> None:
        """Close the warm-up client's sockets and remove the IPC folder, without asyncio."""
        self._stop_client()
        shutil.rmtree(self._sockets, ignore_errors=True)

    def _stop_client(self) -> None:
        """Close the warm-up client's sockets, if it has one."""
        if self.kc is None:
            return
        try:
            self.kc.stop_channels()
        except Exception:  # noqa: BLE001 - best effort on the way out
            pass

    def shutdown(self) -> None:
        """Stop the kernel (idempotent).

        The kernel served its one report: it is killed at once, not first interrupted (a
        ``SIGINT`` would only make it log ``KeyboardInterrupt caught in kernel``).
        """
        self._stop_client()
        self.kill()
        if self.km.has_kernel:
            try:
                run_sync(self.km.shutdown_kernel)(now=True)
            except Exception:  # noqa: BLE001 - already gone
                pass
        shutil.rmtree(self._sockets, ignore_errors=True)


class _ForkProvisioner(LocalProvisioner):
    """Launches the kernel by asking the fork server for a child on the connection file."""

    server: forkserver.ForkServer

    async def launch_kernel(self, cmd: list[str], **kwargs: Any) -> KernelConnectionInfo:
        """Fork the kernel; jupyter_client has written the connection file named in ``cmd``."""
        connection_file = cmd[cmd.index("-f") + 1]
        cwd = kwargs.get("cwd")
        self.process = self.server.spawn(connection_file, cwd, kwargs["env"])
        self.pid = self.pgid = self.process.pid  # the kernel leads its own session
        self.cwd = cwd
        return self.connection_info


class ForkKernelManager(AsyncKernelManager):
    """An asynchronous kernel manager whose kernels are forked by a fork server."""

    def __init__(self, server: forkserver.ForkServer, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._fork_server = server

    async def _async_interrupt_kernel(self) -> None:
        """Interrupt the kernel, unless it is being shut down: it served its one report.

        jupyter_client interrupts a kernel before it shuts it down; a ``SIGINT`` then only
        makes ipykernel log ``KeyboardInterrupt caught in kernel`` on the batch's terminal.
        """
        if not self.shutting_down:
            await super()._async_interrupt_kernel()

    async def _async_pre_start_kernel(self, **kw: Any) -> tuple[list[str], dict[str, Any]]:
        if self.provisioner is None:
            self.kernel_id = self.kernel_id or str(uuid.uuid4())
            provisioner = _ForkProvisioner(
                kernel_id=self.kernel_id, kernel_spec=self.kernel_spec, parent=self
            )
            provisioner.server = self._fork_server
            self.provisioner = provisioner
        return await super()._async_pre_start_kernel(**kw)


def warm_client(kernel_name: str = "python3") -> None:
    """Do the first-use work of a process's first kernel manager, once, before it forks.

    The first manager of a process reads the provisioners' entry points (every installed
    package's metadata) and imports the kernel spec's module, and its first client lists
    the machine's network addresses (importing psutil); a batch's starter does it here, so
    that its workers inherit all three. Starts nothing, connects nowhere.
    """
    from jupyter_client import localinterfaces
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.provisioning import KernelProvisionerFactory

    KernelProvisionerFactory.instance()
    KernelSpecManager().get_kernel_spec(kernel_name)
    localinterfaces.localhost()


def new_kernel(cwd: Path, env: dict[str, str]) -> WarmKernel:
    """A kernel for one report: forked when :func:`forkserver.shared` gives a server."""
    return WarmKernel(cwd, env, server=forkserver.shared())


def _dies_with_us() -> dict:
    """Launch options making a kernel die with this process, even on ``SIGKILL``.

    Linux's parent-death signal fires when the *thread* that started the child ends, so it
    is armed only from the main thread; kernels started from other threads rely on
    ipykernel's own watch of its parent (``JPY_PARENT_PID``, polled every second).
    """
    if threading.current_thread() is threading.main_thread():
        return {"preexec_fn": die_with_parent}
    return {}


class KernelPool:
    """Kernels for one worker process: forked on demand, or one spare warm kernel.

    With a fork server a kernel is ready in milliseconds, so no spare is kept; without
    one, a spare kernel is replaced as soon as it is taken.
    """

    def __init__(self, cwd: Path, env: dict[str, str]) -> None:
        self.cwd, self.env = cwd, env
        self._spare: WarmKernel | None = None

    def warm(self) -> None:
        """Start the fork server, or else the spare kernel, if there is none."""
        if forkserver.shared(wait=False) is None and self._spare is None:
            self._spare = WarmKernel(self.cwd, self.env)

    def take(self) -> WarmKernel:
        """A forked kernel, or the spare kernel (a new spare starts warming at once)."""
        server = forkserver.shared()
        if server is not None:
            return WarmKernel(self.cwd, self.env, server=server)
        if self._spare is None:
            self._spare = WarmKernel(self.cwd, self.env)
        kernel, self._spare = self._spare, WarmKernel(self.cwd, self.env)
        return kernel

    def close(self) -> None:
        """Kill the spare (it never ran a report); safe while the process exits."""
        if self._spare is not None:
            self._spare.kill()
            self._spare.discard()
            self._spare = None


def kernel_env(database_url: str) -> dict[str, str]:
    """The environment a report kernel gets: ours, with the database URL set.

    A password inside the URL moves to ``CX_DATABASE_PASSWORD``: the kernel sees the URL
    without it, so no traceback or printout in a report can show it.
    """
    from cxresearch.config import RUN_ENV
    from cxresearch.data import credentials

    env = dict(os.environ)
    url, password = credentials.split_password(database_url)
    env["CX_DATABASE_URL"] = url
    if password:
        env[credentials.PASSWORD_ENV] = password
    env.setdefault("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    env[RUN_ENV] = "1"  # a rendering kernel: no autoreload
    return env


class _Manager(NotebookExecutionManager):
    """Papermill's execution manager, writing the notebook less often.

    Papermill writes the whole executed notebook (validated, deep-copied, serialised) at
    the start and the end of every cell: about 0.3 s of CPU per report. This manager
    writes it when the run starts (so the running report's notebook exists, outputs
    empty), when it ends (however it ends: papermill's ``notebook_complete`` runs in a
    ``finally``) and, during a long run, at most every ``autosave_cell_every`` seconds, as
    papermill does inside a long cell. When the engine returns normally it does not write
    at the end (``papermill_writes``): ``papermill.execute_notebook`` writes the notebook
    itself right after, with the error cell when a cell failed.
    """

    _started = False
    #: Set when the engine returned normally: papermill writes the notebook next.
    papermill_writes = False

    def save(self, **kwargs) -> None:
        """Write the notebook at the start, at the end, or if the last write is old enough."""
        if self.papermill_writes:
            return
        since = (self.now() - self.last_save_time).total_seconds()
        first, self._started = not self._started, True
        if not first and self.end_time is None and since < (self.autosave_cell_every or 1e9):
            return
        super().save(**kwargs)


class _Engine(NBClientEngine):
    """Papermill's nbclient engine, but it closes the kernel it was lent when done.

    nbclient leaves a kernel it did not start running, with its client's sockets open;
    our kernels serve one report each, so the engine cleans up as if it owned it. Its
    :class:`_Manager` writes the executed notebook once, at the end.
    """

    @classmethod
    def execute_notebook(
        cls, nb, kernel_name, output_path=None, progress_bar=True, log_output=False,
        autosave_cell_every=30, **kwargs,
    ):  # fmt: skip
        """As papermill's ``Engine.execute_notebook``, with :class:`_Manager`."""
        nb_man = _Manager(
            nb, output_path=output_path, progress_bar=progress_bar, log_output=log_output,
            autosave_cell_every=autosave_cell_every,
        )  # fmt: skip
        nb_man.notebook_start()
        try:
            cls.execute_managed_notebook(nb_man, kernel_name, log_output=log_output, **kwargs)
        except BaseException:  # a dead kernel, a time-out: what ran is written here
            nb_man.cleanup_pbar()
            nb_man.notebook_complete()
            raise
        nb_man.cleanup_pbar()
        nb_man.papermill_writes = True  # papermill writes the executed notebook next
        nb_man.notebook_complete()
        return nb_man.nb

    @classmethod
    def execute_managed_notebook(
        cls,
        nb_man,
        kernel_name,
        log_output=False,
        stdout_file=None,
        stderr_file=None,
        start_timeout=60,
        execution_timeout=None,
        **kwargs,
    ):
        kwargs = remove_args(["input_path", "timeout", "startup_timeout"], **kwargs)
        client = PapermillNotebookClient(
            nb_man, timeout=execution_timeout, startup_timeout=start_timeout,
            kernel_name=kernel_name, log=logger, log_output=log_output,
            stdout_file=stdout_file, stderr_file=stderr_file,
            shutdown_kernel="immediate",  # its one report is done: no graceful wait
            **kwargs,
        )  # fmt: skip
        return client.execute(cleanup_kc=True)


ENGINE = "cxresearch"
papermill_engines.register(ENGINE, _Engine)
