"""One run specification: what to run, with which parameters, on which data, written where.

:func:`build` is the one place that turns a notebook, a params file, ``-P`` overrides and a
schedule entry into a frozen, fully validated :class:`RunSpec`; ``cxresearch run``,
``cxresearch batch`` and ``cxresearch demo`` all build one, and the runner executes it without
checking it again.
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cxresearch import config
from cxresearch.data import secrets, urls
from cxresearch.errors import ParameterError
from cxresearch.running import params

#: The report name when no params file names it.
DEFAULT_NAME = "default"


@dataclass(frozen=True)
class RunSpec:
    """A validated run: build it with :func:`build`, execute it with the runner.

    Attributes
    ----------
    notebook
        Absolute path of the notebook.
    name
        The report's name: the stem of its outputs ``<out_dir>/<name>.html``.
    out_dir
        Folder of the outputs.
    database
        The database URL, resolved once (relative file paths made absolute). It reaches
        the kernel through its environment, never as a parameter; it may hold a password
        and is left out of ``repr``.
    timeout
        Seconds the report may run.
    pdf
        Also print the report to PDF.
    """

    notebook: Path
    name: str
    out_dir: Path
    database: str = field(repr=False)
    timeout: float = config.DEFAULT_TIMEOUT
    pdf: bool = False
    _values: str = field(default="{}", repr=False)  # JSON: frozen, picklable, copied on read
    _defaults: tuple = field(default=(), repr=False)

    @property
    def notebook_name(self) -> str:
        """The notebook's name, such as ``nps_overview``."""
        return self.notebook.stem

    @property
    def parameters(self) -> dict[str, Any]:
        """The validated parameters Papermill injects (a fresh copy each time)."""
        return json.loads(self._values)

    @property
    def effective_parameters(self) -> dict[str, str]:
        """Every declared parameter with the value the run uses, as source text."""
        return dict(self._defaults) | {k: repr(v) for k, v in self.parameters.items()}

    @property
    def language(self) -> str:
        """The report's language."""
        given = self.parameters.get("language")
        return str(given or ast.literal_eval(dict(self._defaults).get("language", "'en'")))

    @property
    def label(self) -> str:
        """``notebook/name``, as schedules and messages name a report."""
        return f"{self.notebook_name}/{self.name}"

    @property
    def html(self) -> Path:
        """Where the report is written."""
        return self.out_dir / f"{self.name}.html"


def resolve_notebook(notebook: str | Path) -> Path:
    """Return the path of a notebook given by name (``recommend_intent``) or path."""
    path = Path(notebook)
    if path.suffix != ".ipynb":
        path = config.NOTEBOOKS_DIR / f"{notebook}.ipynb"
    if not path.is_file():
        known = sorted(p.stem for p in config.NOTEBOOKS_DIR.glob("*.ipynb"))
        raise ParameterError(f"no notebook {notebook!r}; known notebooks: {', '.join(known)}")
    return path.resolve()


def _slug(value: Any) -> str:
    if isinstance(value, list | tuple):
        return "+".join(_slug(v) for v in value) or "all"
    return re.sub(r"[^A-Za-z0-9.-]+", "-", str(value)).strip("-.") or "none"


def report_name(base: str, overrides: Mapping[str, Any]) -> str:
    """Name a report after its params set and the overrides that make it different.

    A run with ``-P language=sv`` and no params file is ``default-language_sv``, so that it
    never replaces the English ``default`` report.

    Examples
    --------
    >>> report_name("default", {"language": "sv", "segment": ["B2B"]})
    'default-language_sv-segment_B2B'
    >>> report_name("nordics", {})
    'nordics'
    """
    parts = [f"{key}_{_slug(value)}" for key, value in sorted(overrides.items())]
    return "-".join([base, *parts])


def build(
    notebook: str | Path,
    params_file: str | Path | None = None,
    overrides: Mapping[str, Any] | None = None,
    *,
    database: str | None = None,
    out_dir: str | Path | None = None,
    name: str | None = None,
    timeout: float | None = None,
    pdf: bool = False,
) -> RunSpec:
    """Validate everything about a run before any kernel starts, once.

    Parameters
    ----------
    notebook
        Notebook name or path.
    params_file
        A params YAML (``params/<notebook>/<name>.yaml``); its stem names the report.
    overrides
        Values taking precedence over the file (``-P``, a schedule's matrix).
    database
        Database URL (``--db``); default ``CX_DATABASE_URL``, else ``data/cx.duckdb``. A
        ``database`` parameter is taken as the URL too, and never passed to the notebook.
    out_dir
        Folder of the outputs; default ``reports/<notebook>/``.
    name
        The report's name; default the params file's stem, or ``default``, followed by the
        overrides (:func:`report_name`).
    timeout
        Seconds the report may run (default :data:`cxresearch.config.DEFAULT_TIMEOUT`).
    pdf
        Also print the report to PDF.

    Returns
    -------
    RunSpec

    Raises
    ------
    ParameterError
        Unknown or mistyped parameters, impossible dates, a period ending before it starts,
        an unknown language, or anything that looks like a credential.
    """
    path = resolve_notebook(notebook)
    values: dict[str, Any] = {}
    if params_file is not None:
        values.update(params.load_params_file(params_file))
    overrides = dict(overrides or {})
    values.update(overrides)
    declared = params.notebook_parameters(path)
    given_db = values.pop("database", "") or ""
    if given_db and not isinstance(given_db, str):
        raise ParameterError(f"parameter 'database' expects a URL, got {given_db!r}")
    if given_db and secrets.find_secret(given_db):
        raise ParameterError(
            "parameter 'database' holds a URL with a password; give the URL without it and "
            "put the password in CX_DATABASE_PASSWORD, a secrets file (docs/databases.md) or "
            "~/.pgpass"
        )
    checked = params.validate(declared, values, notebook=path.stem)
    base = Path(params_file).stem if params_file is not None else DEFAULT_NAME
    overrides.pop("database", None)
    return RunSpec(
        notebook=path,
        name=name or report_name(base, {k: checked[k] for k in overrides}),
        out_dir=Path(out_dir) if out_dir is not None else config.REPORTS_DIR / path.stem,
        database=urls.database_url(database or given_db or None),
        timeout=float(timeout if timeout is not None else config.DEFAULT_TIMEOUT),
        pdf=pdf,
        _values=json.dumps(checked),
        _defaults=tuple((k, str(v["default"])) for k, v in declared.items() if k != "database"),
    )
