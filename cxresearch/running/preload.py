"""Imported once per batch by the process that forks its workers: the work they share.

A local batch starts its workers with :mod:`multiprocessing`'s ``forkserver`` method and
this module as its preload: the starter process imports what every worker and every
kernel needs (:data:`cxresearch.running.forkserver.PRELOAD_BATCH`) and builds the HTML
exporter once; each worker is then forked with all of it done, and forks its kernel fork
server (and so its kernels) from there. Without it, each worker imported Papermill,
nbconvert and the scientific stack twice (itself, and its kernel server) and built its
own exporter: about 10 s of CPU per worker.

A batch none of whose notebooks models (:func:`cxresearch.running.needs.models_needed`)
starts it with ``CX_PRELOAD_MODELS=0``: statsmodels, about 1 s of CPU, is left out; one
none of whose notebooks draws with matplotlib (:func:`~cxresearch.running.needs.charts_needed`)
with ``CX_PRELOAD_CHARTS=0``, and matplotlib is left out.

The starter has no report, no database connection and no credential: it only imports.
"""

from __future__ import annotations

import contextlib
import gc
import os

# no collection while the starter builds what it keeps (see servercode.preload)
gc.disable()

from cxresearch.running import forkserver, needs, publish  # noqa: E402

forkserver.preload(needs.batch_code(os.environ))
with contextlib.suppress(Exception):  # a broken exporter is reported by the first render
    publish.prepare()
# what was imported is shared with every worker: keep it out of their garbage collections,
# which would otherwise walk (and so copy) every inherited object at each full collection.
# Not collected first: the few objects it would free would leave holes in shared pages,
# which the workers' own objects would fill, copying the pages (Python's gc.freeze recipe)
gc.freeze()
gc.enable()
