"""One home for paths and settings.

Paths are relative to the project root (the folder holding ``pyproject.toml``) when the
package runs from a checkout, else to the current directory. ``CX_DATABASE_URL`` is read
from the environment or from a ``.env`` file in the project root; credentials belong
there, never in params files.
"""

from __future__ import annotations

import os
from pathlib import Path

from dotenv import load_dotenv


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
DEFAULT_DATABASE_PATH: Path = DATA_DIR / "cx.duckdb"

#: Environment variable holding the survey database URL.
DATABASE_URL_ENV = "CX_DATABASE_URL"

#: Smallest effective n reported without an ``unreliable`` flag.
DEFAULT_MIN_N = 30

#: Groups with fewer respondents are suppressed, so that no respondent can be singled out.
DEFAULT_SUPPRESS_BELOW = 5

#: An interval wider than this share of the metric's range (0.30 for a proportion, 0.60
#: NPS points on -1 to 1) flags the estimate ``unreliable`` (NCHS standards, Parker et al.
#: 2017).
MAX_CI_WIDTH = 0.30

#: A proportion whose interval is wider than 0.05 and wider than 130% of the estimate is
#: flagged ``unreliable`` (the NCHS relative-width rule, Parker et al. 2017).
MAX_RELATIVE_CI_WIDTH = 1.30

#: Intervals at most this wide (on the 0-1 scale) pass whatever their relative width.
RELATIVE_WIDTH_FROM = 0.05

load_dotenv(PROJECT_ROOT / ".env", override=False)


def database_url(url: str | None = None) -> str:
    """Return the survey database URL to use.

    Parameters
    ----------
    url
        An explicit URL (from ``--db`` or a notebook parameter). Empty or ``None`` falls
        back to ``CX_DATABASE_URL`` and then to the embedded default ``data/cx.duckdb``.

    Returns
    -------
    str
        A URL such as ``duckdb:///abs/path/cx.duckdb`` or ``postgresql://host/db``.
    """
    if url:
        return url
    env = os.environ.get(DATABASE_URL_ENV)
    if env:
        return env
    from cxresearch import credentials

    secret = credentials.read_secrets().get(DATABASE_URL_ENV)
    if secret:
        return secret
    return f"duckdb:///{DEFAULT_DATABASE_PATH}"
