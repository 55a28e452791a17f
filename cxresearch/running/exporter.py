"""The report page's HTML exporter: nbconvert, our template and the steps before it.

Building an exporter loads its Jinja templates and nbconvert's filters (the better part of
a second); one exporter, built once, serves every report a process renders, so each later
export costs only its own work. ``publish.prepare`` builds it ahead of time: the runner
does so in a thread while the notebook's cells run in their kernel.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from nbformat import NotebookNode

from cxresearch.reporting import i18n

if TYPE_CHECKING:
    import nbformat


_LOCK = threading.Lock()
_CACHED: tuple[Any, Any] | None = None


def build(kind: type | None = None) -> tuple[Any, Any]:
    """A new report exporter (of class ``kind``, an ``HTMLExporter``) and its structure step.

    nbconvert is imported here (:mod:`cxresearch.running.htmlexport`), not with this module.
    """
    from cxresearch.running import htmlexport

    return htmlexport.build(kind or htmlexport.ReportExporter)


def _exporter() -> tuple[Any, Any]:
    """The process's exporter and its structure step, built on first use (hold ``_LOCK``)."""
    global _CACHED
    if _CACHED is None:
        _CACHED = build()
    return _CACHED


class _InPlace(NotebookNode):
    """A notebook the exporter may change as it exports it: its deep copy is itself."""

    def __deepcopy__(self, memo: dict) -> _InPlace:
        return self


def export(
    nb: nbformat.NotebookNode,
    resources: dict[str, Any],
    language: i18n.Language,
    *,
    in_place: bool = False,
) -> tuple[str, dict[str, Any]]:
    """Export ``nb`` as the report page in ``language``; return the HTML and resources.

    ``resources["cx"]`` carries the frame (provenance, texts, filters) to the template and
    comes back with what :class:`~cxresearch.running.htmlexport.Structure` found. One
    exporter serves every report of the process, one report at a time. nbconvert works on
    a deep copy of ``nb``; with ``in_place`` on ``nb`` itself, which it leaves changed
    (for a notebook that is not used again: copying it takes about a third of an export).
    """
    with _LOCK:
        html_exporter, structure = _exporter()
        html_exporter.language_code = language.code
        structure.language = language
        if in_place:
            nb = _InPlace(nb)
        return html_exporter.from_notebook_node(nb, resources=resources)


def is_built() -> bool:
    """Whether this process's exporter has been built (or is being built now)."""
    return _CACHED is not None or _LOCK.locked()
