"""The ``cxresearch`` command's entry point: a report's fork server starts before the CLI loads.

``cxresearch run`` and ``cxresearch demo`` fork their kernels from a fork server
(:mod:`cxresearch.running.forkserver`) whose imports (pandas, matplotlib, Ibis, ipykernel)
are the longest step of a single run. Started here, before Typer and Rich are imported
(about 0.3 s) and before Typer parses the command line, they run on the second core while
the command loads and checks its parameters. Every other command starts no server.

Those two commands also leave without tearing the interpreter down: once the report is
written, unloading Papermill, nbconvert, DuckDB and the rest module by module takes about
0.5 s that nobody waits for usefully. :func:`leave` does what a normal exit does that
matters (waits for the threads, runs the ``atexit`` handlers, flushes the output) and
then ends the process with its exit status.
"""

from __future__ import annotations

import atexit
import os
import sys
import threading
from typing import NoReturn

#: The commands that render reports in this process, and what their server imports.
SERVED = {"run": "PRELOAD", "demo": "PRELOAD_BATCH"}


def server_code(args: list[str]) -> str | None:
    """The name of the preload a command line's fork server imports; None for no server.

    Help (``--help``) and other commands start none.
    """
    if not args or args[0] not in SERVED or "--help" in args:
        return None
    return SERVED[args[0]]


def main() -> None:
    """Run the ``cxresearch`` command, starting a run's fork server first."""
    code = server_code(sys.argv[1:])
    if code is not None:
        from cxresearch.running import forkserver

        preload = getattr(forkserver, code)
        if code == "PRELOAD":  # matplotlib only for a notebook that draws with it
            from cxresearch.running import chartimports

            preload = chartimports.preload(
                sys.argv[2:], forkserver.PRELOAD_CORE, forkserver.PRELOAD_MATPLOTLIB
            )
        forkserver.shared(wait=False, code=preload)
    from cxresearch.cli import app

    try:
        app(prog_name="cxresearch")
    except SystemExit as exc:
        if code is None:
            raise
        leave(exc.code)
    if code is not None:
        leave(0)


def leave(status: object) -> NoReturn:
    """Exit with ``status`` (as :class:`SystemExit` reads it) without the interpreter's teardown.

    Waits for the threads that are not daemons and runs the ``atexit`` handlers (the fork
    server's shutdown among them), as Python's own exit does, then flushes stdout and
    stderr and ends the process.
    """
    for thread in threading.enumerate():
        if thread is not threading.main_thread() and not thread.daemon:
            thread.join()
    if status is not None and not isinstance(status, int):
        print(status, file=sys.stderr)
        status = 1
    atexit._run_exitfuncs()  # noqa: SLF001 - the handlers a normal exit runs, in its order
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            status = status or 1  # stdout closed or full: a normal exit says so too
    os._exit(status or 0)
