"""cxresearch: reproducible customer-experience research.

Read the package through its modules: ``from cxresearch import db, metrics, models,
plots, report``.
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
