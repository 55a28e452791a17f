"""What a fork server imports before it forks kernels, and how.

The preloads are Python code run once in the server (:func:`preload`):
:data:`PRELOAD` for every server, :data:`PRELOAD_CHARTS` (matplotlib) and
:data:`PRELOAD_MODELS` (statsmodels) for the notebooks that need them
(:mod:`cxresearch.running.needs`), :data:`PRELOAD_BATCH` for a batch's workers.
:func:`threaded` names what the client loads before it forks the server.
"""

from __future__ import annotations

import contextlib
import gc
import os
import sys
from collections.abc import Iterator

#: Imported by the server before it forks any kernel: what every report pays for.
#: statsmodels (0.8 s) is left to the reports that model (:data:`PRELOAD_MODELS`), and
#: matplotlib (about 1 s) to those that draw with it (:data:`PRELOAD_CHARTS`); a kernel
#: that imports it later draws inline (``MPLBACKEND`` from its environment).
PRELOAD = """
import numpy, pandas, ibis
import cxresearch.data.db, cxresearch.stats.metrics
import cxresearch.reporting.plots, cxresearch.reporting.report, cxresearch.stats.compare
import cxresearch.reporting.context
import ipykernel.kernelapp, ipykernel.ipkernel, ipykernel.zmqshell, ipykernel.debugger
import cxresearch.running.kernelapp
cxresearch.running.kernelapp.warm()
import IPython.core.completer, IPython.core.completerlib, IPython.core.debugger
import IPython.core.oinspect, IPython.extensions, sqlite3, tornado.locks, tornado.queues
import IPython.extensions.storemagic, IPython.core.logger, tornado.platform.asyncio
"""

#: matplotlib and the charts drawn with it, for the notebooks that do
#: (:func:`cxresearch.running.needs.charts_needed`).
PRELOAD_CHARTS = """
import matplotlib
matplotlib.use("module://matplotlib_inline.backend_inline")
import matplotlib.pyplot, cxresearch.reporting.svg
"""

#: The models' statsmodels (about 1 s of CPU), preloaded by a batch whose notebooks model.
PRELOAD_MODELS = """
import scipy.stats, statsmodels.api, statsmodels.formula.api, statsmodels.duration.survfunc
import cxresearch.stats.models, cxresearch.stats.retention, cxresearch.stats.drivers
"""

#: What a batch imports once for all its workers and kernels: the kernels' modules,
#: matplotlib (:data:`PRELOAD_CHARTS`), the models' statsmodels (:data:`PRELOAD_MODELS`)
#: (each left out when no notebook of the batch needs it), and what a worker runs (Papermill,
#: nbclient, the HTML exporter); then the first-use work of a report
#: (:func:`cxresearch.reporting.warmup.warm`), which every kernel would otherwise repeat.
#: A single run (:data:`PRELOAD`) leaves it to its one kernel, which would do it anyway.
PRELOAD_BATCH = (
    PRELOAD_CHARTS
    + PRELOAD
    + PRELOAD_MODELS
    + """
import papermill, papermill.engines, nbclient, nbconvert, jupyter_client
import cxresearch.running.runner, cxresearch.running.kernels, cxresearch.running.publish
cxresearch.running.kernels.warm_client()
import cxresearch.reporting.warmup
cxresearch.reporting.warmup.warm()
"""
)


def preload(code: str = PRELOAD) -> None:
    """Import ``code``'s modules here, quietly; a module that fails fails where it is used.

    What the imports print (config-folder warnings) goes to ``/dev/null``. debugpy is
    made unimportable first (:func:`without_debugger`). The garbage collector is paused
    meanwhile: the imports create millions of objects that all stay, and each full
    collection on the way would walk them all again (about a tenth of the imports' CPU);
    the caller collects once afterwards, before it freezes what it keeps.
    """
    without_debugger()
    collecting = gc.isenabled()
    gc.disable()
    try:
        with quiet(), contextlib.suppress(Exception):
            exec(compile(code, "<cxresearch preload>", "exec"), {})  # noqa: S102 - our constant
    finally:
        if collecting:
            gc.enable()


def without_debugger() -> None:
    """Make ``import debugpy`` fail in this process, as if debugpy were not installed.

    ipykernel then starts its kernels without a debugger (``ipykernel.debugger`` catches
    the ``ImportError``). Does nothing once debugpy is imported.
    """
    sys.modules.setdefault("debugpy", None)  # type: ignore[arg-type] - import's own "absent"


#: Loaded by the client before it forks the server: libraries that start native threads
#: when loaded (OpenBLAS pools, pyarrow's jemalloc, DuckDB). The threads stay in the
#: client; the server inherits the loaded libraries without them (they restart their
#: threads when a kernel first needs them), so it keeps the one thread it may fork from.
THREADED = ("numpy", "pyarrow", "duckdb")
#: ... and scipy's own OpenBLAS, for a preload that imports scipy (statsmodels does).
THREADED_SCIPY = ("scipy.linalg",)


def threaded(code: str) -> tuple[str, ...]:
    """The libraries (:data:`THREADED`) to load before forking a server that imports ``code``.

    scipy (about 0.4 s before the fork) only when ``code`` names scipy or statsmodels.
    """
    return THREADED + (THREADED_SCIPY if "scipy" in code or "statsmodels" in code else ())


@contextlib.contextmanager
def quiet() -> Iterator[None]:
    """Send what the imports print (config-folder and debugger warnings) to /dev/null.

    The server shares the command's terminal: a refused run must still print one line.
    """
    saved = [os.dup(1), os.dup(2)]
    null = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(null, 1)
        os.dup2(null, 2)
        yield
    finally:
        with contextlib.suppress(Exception):
            sys.stdout.flush()
            sys.stderr.flush()
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        for fd in (null, *saved):
            os.close(fd)
