"""The project's folders, found without reading any setting (no ``.env``, no YAML).

Relative to the project root (the folder holding ``pyproject.toml``) when the package runs
from a checkout, else to the current directory. :mod:`cxresearch.config` re-exports them;
the command's entry point (:mod:`cxresearch.launch`) reads them before any setting is
loaded, so that a process it forks never holds the settings' credentials.
"""

from __future__ import annotations

from pathlib import Path


def _find_root() -> Path:
    here = Path(__file__).resolve().parent.parent
    if (here / "pyproject.toml").is_file() and (here / "notebooks").is_dir():
        return here
    return Path.cwd()


PROJECT_ROOT: Path = _find_root()
NOTEBOOKS_DIR: Path = PROJECT_ROOT / "notebooks"
PARAMS_DIR: Path = PROJECT_ROOT / "params"
REPORTS_DIR: Path = PROJECT_ROOT / "reports"
DATA_DIR: Path = PROJECT_ROOT / "data"
