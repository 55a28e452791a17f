"""A fork server: one process that has imported the heavy modules forks a kernel per report.

The server is forked from the process that renders reports (the ``cxresearch run``
process, or a batch worker) while that process still has one Python thread and no ZeroMQ
context. It imports pandas, matplotlib, Ibis, ipykernel and cxresearch once, then waits
for requests on a Unix socket. For each request it forks a child that applies the
report's working folder and environment, starts a new session and runs ipykernel's
``IPKernelApp`` on the connection file the kernel manager wrote: a real Jupyter kernel,
whose sockets, threads and event loop are all created after the fork.

Isolation: the server itself never runs report code, so every kernel starts from the same
pristine state and nothing carries from one report to the next. A kernel is a process of
its own: a crash, a kill or a hang ends only that kernel. The client watches each kernel
through a pidfd (Linux), so it can tell and signal a kernel that is not its own child
without racing pid reuse. When the client closes the socket or dies, the server kills
the kernels it still has and exits; a kernel whose server dies is killed by the kernel
(``PR_SET_PDEATHSIG``).

:func:`available` says whether this platform can do it (Linux with ``fork`` and
``pidfd_open``; not macOS or Windows) and whether ``CX_FORK_KERNELS=0`` turns it off.

Its kernels have no debugger: a report is rendered, never stepped through, and debugpy
costs every server about 0.4 s to import. The server treats debugpy as not installed,
which ipykernel supports (its kernels then answer ``kernel_info`` with ``debugger:
false``); kernels started without the server (``CX_FORK_KERNELS=0``, macOS, Windows) and
JupyterLab's kernels keep theirs.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import importlib
import logging
import os
import pickle
import select
import signal
import socket
import stat
import sys
import threading
from collections.abc import Mapping

from cxresearch.running.forkedprocess import ForkedProcess
from cxresearch.running.servercode import PRELOAD as PRELOAD
from cxresearch.running.servercode import PRELOAD_BATCH as PRELOAD_BATCH
from cxresearch.running.servercode import PRELOAD_CHARTS as PRELOAD_CHARTS
from cxresearch.running.servercode import PRELOAD_MODELS as PRELOAD_MODELS
from cxresearch.running.servercode import THREADED as THREADED
from cxresearch.running.servercode import preload as preload
from cxresearch.running.servercode import quiet, threaded
from cxresearch.running.servercode import without_debugger as without_debugger

#: Set to ``0`` to start every kernel as a new process, as before the fork server.
ENV = "CX_FORK_KERNELS"

#: What the client sends when it starts to wait for the server: a request is coming, so
#: the server stops (or skips) the first-use work it does while idle.
WAITING = b"waiting"

_PR_SET_PDEATHSIG, _PR_SET_NAME = 1, 15
#: Process names (``ps -e``, ``/proc/<pid>/comm``) of the server and of its kernels.
SERVER_NAME, KERNEL_NAME = "cx-forkserver", "cx-kernel"


def available() -> bool:
    """Whether kernels can be forked here: Linux-like ``fork`` + ``pidfd``, not disabled."""
    return (
        os.environ.get(ENV, "1") != "0"
        and hasattr(os, "fork")
        and hasattr(os, "pidfd_open")
        and hasattr(signal, "pidfd_send_signal")
        and hasattr(socket, "send_fds")
        and sys.platform.startswith("linux")
    )


def can_fork_now() -> bool:
    """Whether this process may fork a server now: one Python thread, no ZeroMQ context."""
    if threading.active_count() != 1:
        return False
    zmq = sys.modules.get("zmq")
    instance = getattr(getattr(zmq, "Context", None), "_instance", None)
    return instance is None or instance.closed


class ForkServer:
    """The client side of a fork server; :meth:`start` forks the server itself.

    One per process (see :func:`shared`); requests are serialised by a lock.
    """

    def __init__(self, sock: socket.socket, pid: int) -> None:
        self._sock, self.pid = sock, pid
        self._lock = threading.Lock()
        self.threads: int | None = None  # the server's thread count after its imports
        self.variables: list[str] = []  # the names in the server's environment

    @classmethod
    def start(cls, code: str = PRELOAD) -> ForkServer:
        """Fork the server now; it imports ``code`` (:data:`PRELOAD`) while we carry on.

        Raises
        ------
        RuntimeError
            When this process has more than one thread or a ZeroMQ context (forking it
            would copy locks that other threads hold).
        """
        if not can_fork_now():
            raise RuntimeError("a fork server needs a process with one thread")
        for name in threaded(code):
            with contextlib.suppress(ImportError):
                importlib.import_module(name)
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        pid = os.fork()
        if pid == 0:  # the server
            status = 0
            try:
                ours.close()
                _serve(theirs, code)
            except BaseException:  # noqa: BLE001 - the server must never return into our code
                status = 1
            finally:
                os._exit(status)
        theirs.close()
        return cls(ours, pid)

    def alive(self) -> bool:
        """Whether the server still runs."""
        if self._sock.fileno() < 0:
            return False
        try:
            done, _ = os.waitpid(self.pid, os.WNOHANG)
        except ChildProcessError:
            return False
        return done == 0

    def usable(self, timeout: float = 300) -> bool:
        """Wait for the server's imports; whether it has exactly one thread to fork from."""
        with self._lock:
            if self.threads is None:
                self._sock.settimeout(timeout)
                try:
                    self._sock.send(WAITING)  # a request is coming: no first-use work now
                    data = self._sock.recv(1 << 20)  # one message; its size grows with the env
                except (OSError, TimeoutError):
                    data = b""
                hello = pickle.loads(data) if data else {}  # noqa: S301 - our own server
                self.threads = int(hello.get("threads", 0))
                self.variables = list(hello.get("variables", []))
        return self.threads == 1

    def spawn(
        self, connection_file: str, cwd: str | None, env: Mapping[str, str], timeout: float = 120
    ) -> ForkedProcess:
        """Fork a kernel that serves ``connection_file``; return it once it exists.

        The first request waits until the server has done its imports.
        """
        request = pickle.dumps({"connection_file": connection_file, "cwd": cwd, "env": dict(env)})
        if not self.usable(timeout):
            raise RuntimeError("the kernel fork server is not running with one thread")
        with self._lock:
            self._sock.settimeout(timeout)
            try:
                self._sock.sendall(request)
                data, fds, _, _ = socket.recv_fds(self._sock, 65536, 1)
            except (OSError, TimeoutError) as exc:
                raise RuntimeError(f"the kernel fork server did not answer: {exc}") from None
        if not data:
            raise RuntimeError("the kernel fork server has exited")
        reply = pickle.loads(data)  # noqa: S301 - our own server, over a socketpair
        if reply.get("error") or not fds:
            raise RuntimeError(f"the kernel fork server could not fork: {reply.get('error')}")
        return ForkedProcess(reply["pid"], fds[0])

    def close(self) -> None:
        """Stop the server: it kills kernels still running and exits (idempotent)."""
        if self._sock.fileno() >= 0:
            self._sock.close()
        if self.threads is None:  # still importing, no kernel forked: no need to wait for it
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGKILL)
        with contextlib.suppress(ChildProcessError):
            os.waitpid(self.pid, 0)


_SHARED: ForkServer | None = None
_SHARED_LOCK = threading.Lock()


def shared(*, wait: bool = True, code: str = PRELOAD) -> ForkServer | None:
    """Return this process's fork server, started on first use; None without one.

    ``code`` is what a server started now imports (:data:`PRELOAD_BATCH` for a process
    that renders many reports of several notebooks).

    None on platforms without fork or pidfd, with ``CX_FORK_KERNELS=0``, when the server
    has died, when it was not started while this process still had one thread, or when
    the server itself has more than one thread after its imports (``wait`` waits for
    them; without it a server that is still importing is returned as it is).
    """
    global _SHARED
    with _SHARED_LOCK:
        if _SHARED is not None and not _SHARED.alive():
            _SHARED = None  # it died: a new one only while this process has one thread
        if _SHARED is None and available() and can_fork_now():
            import atexit
            import multiprocessing.util

            _SHARED = ForkServer.start(code)
            atexit.register(_SHARED.close)
            # batch workers end with os._exit: atexit would not run, Finalize does
            multiprocessing.util.Finalize(_SHARED, _SHARED.close, exitpriority=20)
    server = _SHARED if available() else None
    if server is not None and wait and not server.usable():
        logging.getLogger(__name__).warning(
            "kernel fork server has %s threads after its imports: starting kernels as new "
            "processes instead",
            server.threads,
        )
        server.close()
        return None
    return server


# -- the server process ----------------------------------------------------------------------


def _serve(sock: socket.socket, code: str = PRELOAD) -> None:
    """Import the heavy modules, then fork one kernel per request until the client leaves."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is for the client to handle
    _set_parent_death_signal(SERVER_NAME)
    _close_inherited(keep=sock.fileno())
    from cxresearch.data import secrets

    secrets.drop_secrets(os.environ)  # each kernel gets the environment its request carries
    # the server runs no report code: no garbage collection here at all (its own would walk,
    # and the holes it frees would make kernels copy, the pages they share); each kernel
    # collects its own garbage, with what it inherited frozen (Python's gc.freeze recipe)
    gc.disable()
    preload(code)  # a failing import fails in the kernel
    gc.freeze()
    sock.settimeout(None)
    # the threads of the client (BLAS, allocators, DuckDB) were not copied by the fork;
    # if an import started one here, kernels must not be forked from this process
    threads = len(os.listdir("/proc/self/task"))
    sock.send(pickle.dumps({"threads": threads, "variables": sorted(os.environ)}))
    for step in _idle_steps(code):  # a report's first-use work, until the client waits
        if select.select([sock], [], [], 0)[0]:
            break
        with quiet(), contextlib.suppress(Exception):
            step()
        gc.freeze()
    kernels: set[int] = set()
    while True:
        readable, _, _ = select.select([sock], [], [], 1.0)
        _reap(kernels)
        if not readable:
            continue
        data = sock.recv(1 << 20)
        if not data:
            break
        if data == WAITING:
            continue
        request = pickle.loads(data)  # noqa: S301 - from our own client, over a socketpair
        try:
            pid = os.fork()
        except OSError as exc:
            sock.send(pickle.dumps({"error": str(exc)}))
            continue
        if pid == 0:
            sock.close()
            _kernel(request)  # never returns
        del request  # the kernel's environment (its database password) is the kernel's
        kernels.add(pid)
        pidfd = os.pidfd_open(pid)
        socket.send_fds(sock, [pickle.dumps({"pid": pid})], [pidfd])
        os.close(pidfd)
    for pid in kernels:
        with contextlib.suppress(OSError):
            os.killpg(pid, signal.SIGKILL)
    _reap(kernels, block=True)


def _idle_steps(code: str) -> list:
    """The server's work while it waits for its first request: a report's first-use work.

    :func:`cxresearch.reporting.warmup.steps`, unless ``code`` has done it all already.
    """
    if "warmup.warm(" in code:
        return []
    with contextlib.suppress(Exception):
        from cxresearch.reporting import warmup

        return warmup.steps()
    return []


def _reap(kernels: set[int], *, block: bool = False) -> None:
    for pid in list(kernels):
        with contextlib.suppress(ChildProcessError):
            done, _ = os.waitpid(pid, 0 if block else os.WNOHANG)
            if not done:
                continue
        kernels.discard(pid)


def _kernel(request: dict) -> None:
    """In the forked child: become a Jupyter kernel on the request's connection file."""
    code = 0
    gc.enable()  # a kernel collects its garbage as any Python process does
    try:
        os.setsid()  # its own process group, as jupyter_client starts kernels
        _set_parent_death_signal(KERNEL_NAME)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        if request["cwd"]:
            os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        os.environ["JPY_PARENT_PID"] = str(os.getppid())  # ipykernel ends if the server goes
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.close(null)
        from cxresearch.running import kernelapp

        kernelapp.start(request["connection_file"], os.getppid())
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    except BaseException:  # noqa: BLE001 - report and end this kernel only
        import traceback

        traceback.print_exc()
        code = 1
    finally:
        with contextlib.suppress(Exception):
            sys.stdout.flush()
            sys.stderr.flush()
        os._exit(code)  # never run the server's (or its parent's) exit handlers


def _set_parent_death_signal(name: str) -> None:
    """Ask Linux to SIGKILL this process when its parent dies; name the process."""
    with contextlib.suppress(Exception):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_NAME, ctypes.c_char_p(name.encode()), 0, 0, 0)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        if os.getppid() == 1:  # the parent died before the call
            os._exit(1)


def _close_inherited(keep: int) -> None:
    """Close pipes and sockets inherited from the client (a batch worker's task queues)."""
    for name in os.listdir("/proc/self/fd"):
        fd = int(name)
        if fd <= 2 or fd == keep:
            continue
        with contextlib.suppress(OSError):
            mode = os.fstat(fd).st_mode
            if stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode):
                os.close(fd)
