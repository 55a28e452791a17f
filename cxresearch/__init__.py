"""cxresearch: reproducible customer-experience research.

The package is layered, each layer importing only those below it:

- ``cxresearch.data``: connections, schema, write sessions, credentials, demo data, imports;
- ``cxresearch.stats``: metrics, intervals, comparisons, weights, models and analyses;
- ``cxresearch.reporting``: what runs inside a notebook kernel: display, plots, language;
- ``cxresearch.running``: run specifications, the runner, kernels, batches, publishing;
- ``cxresearch.cli``: the command line, on top.

Notebooks and scripts read the domain modules through the top-level namespace:
``from cxresearch import db, metrics, models, plots, report``. The names are loaded on
first use, so importing :mod:`cxresearch` itself stays cheap.
"""

from __future__ import annotations

import importlib
from types import ModuleType

__version__ = "0.1.0"

#: Public modules re-exported at the top level, by the layer that holds them.
_MODULES = {
    "db": "data",
    "demo": "data",
    "imports": "data",
    "intervals": "stats",
    "metrics": "stats",
    "compare": "stats",
    "weights": "stats",
    "models": "stats",
    "drivers": "stats",
    "retention": "stats",
    "service": "stats",
    "touchpoints": "stats",
    "value": "stats",
    "comments": "stats",
    "report": "reporting",
    "plots": "reporting",
    "i18n": "reporting",
}

__all__ = ["__version__", *_MODULES]


def __getattr__(name: str) -> ModuleType:
    layer = _MODULES.get(name)
    if layer is None:
        raise AttributeError(f"module 'cxresearch' has no attribute {name!r}")
    module = importlib.import_module(f"cxresearch.{layer}.{name}")
    globals()[name] = module
    return module


def __dir__() -> list[str]:
    return sorted(__all__)
