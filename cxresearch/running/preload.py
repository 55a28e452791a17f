"""Imported once per batch by the process that forks its workers: the work they share.

A local batch starts its workers with :mod:`multiprocessing`'s ``forkserver`` method and
this module as its preload: the starter process imports what every worker and every
kernel needs (:data:`cxresearch.running.forkserver.PRELOAD_BATCH`) and builds the HTML
exporter once; each worker is then forked with all of it done, and forks its kernel fork
server (and so its kernels) from there. Without it, each worker imported Papermill,
nbconvert and the scientific stack twice (itself, and its kernel server) and built its
own exporter: about 10 s of CPU per worker.

The starter has no report, no database connection and no credential: it only imports.
"""

from __future__ import annotations

import contextlib

from cxresearch.running import forkserver, publish

forkserver.preload(forkserver.PRELOAD_BATCH)
with contextlib.suppress(Exception):  # a broken exporter is reported by the first render
    publish.prepare()
