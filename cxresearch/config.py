"""One home for paths and settings.

Paths are relative to the project root (the folder holding ``pyproject.toml``) when the
package runs from a checkout, else to the current directory. ``CX_DATABASE_URL`` is read
from the environment or from a ``.env`` file in the project root; credentials belong
there, never in params files.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml
from dotenv import load_dotenv

from cxresearch.paths import DATA_DIR as DATA_DIR
from cxresearch.paths import NOTEBOOKS_DIR as NOTEBOOKS_DIR
from cxresearch.paths import PARAMS_DIR as PARAMS_DIR
from cxresearch.paths import PROJECT_ROOT as PROJECT_ROOT
from cxresearch.paths import REPORTS_DIR as REPORTS_DIR

DEFAULT_DATABASE_PATH: Path = DATA_DIR / "cx.duckdb"

#: Environment variable holding the survey database URL.
DATABASE_URL_ENV = "CX_DATABASE_URL"

#: Set in the kernels that render reports (no autoreload, no interactive notes).
RUN_ENV = "CX_REPORT_RUN"

#: Environment variable capping the threads of each DuckDB connection (unset: DuckDB's
#: default, one per core). Batch workers set it to 1 for their kernels: with a report on
#: every core, a report's small queries gain no time from more threads, only their cost.
DUCKDB_THREADS_ENV = "CX_DUCKDB_THREADS"

#: Report languages; the first is the language every message is written in.
LANGUAGES = ("en", "sv", "da", "fi", "nl")

#: NPS groups of the 0-10 recommend score: (lowest, highest) score of each (Reichheld 2003).
NPS_BANDS = {"detractor": (0, 6), "passive": (7, 8), "promoter": (9, 10)}
PROMOTER_MIN = NPS_BANDS["promoter"][0]
PASSIVE_MIN = NPS_BANDS["passive"][0]
DETRACTOR_MAX = NPS_BANDS["detractor"][1]

#: Confidence level of every interval unless a call asks for another.
DEFAULT_CONFIDENCE = 0.95

#: Seconds one report may run before its kernel is stopped.
DEFAULT_TIMEOUT = 600.0

#: Smallest effective n reported without an ``unreliable`` flag.
DEFAULT_MIN_N = 30

#: Groups with fewer respondents are suppressed, so that no respondent can be singled out.
DEFAULT_SUPPRESS_BELOW = 5

#: Mime type of the hidden output that tells the title block what a report covers.
CONTEXT_MIME = "application/vnd.cxresearch.context+json"

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


class _Loader(yaml.SafeLoader):
    """YAML with 1.2 booleans: only true/false, so that country code NO stays 'NO'."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool",
    re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
    list("tTfF"),
)


def read_yaml(text: str) -> Any:
    """Parse YAML text with 1.2 booleans (``NO``, ``yes`` and ``off`` stay strings)."""
    return yaml.load(text, Loader=_Loader)  # noqa: S506 - a SafeLoader subclass


def yaml_error_where(exc: yaml.YAMLError) -> str:
    """`` at line L, column C`` of a YAML error, without the text around it.

    Error messages name the position only: the file's text is never echoed, in case it
    holds a secret.
    """
    mark = getattr(exc, "problem_mark", None)
    return f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
