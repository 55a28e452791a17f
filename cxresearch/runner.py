"""Run a notebook with Papermill and render its HTML report, safely.

Parameters are validated before a kernel starts; the notebook executes into a temporary
file; only a successful run replaces the report. A failed run keeps its executed notebook
as ``<name>.failed.ipynb`` for debugging and is recorded in the index with its error.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from collections.abc import Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat
import papermill
from papermill.exceptions import PapermillExecutionError

import cxresearch
from cxresearch import config, db, params, report
from cxresearch.errors import ParameterError, ReportError


@dataclass(frozen=True)
class RunResult:
    """Where a successful run wrote its report."""

    notebook: str
    name: str
    html: Path
    ipynb: Path
    seconds: float


def resolve_notebook(notebook: str | Path) -> Path:
    """Return the path of a notebook given by name (``recommend_intent``) or path."""
    path = Path(notebook)
    if path.suffix != ".ipynb":
        path = config.NOTEBOOKS_DIR / f"{notebook}.ipynb"
    if not path.is_file():
        known = sorted(p.stem for p in config.NOTEBOOKS_DIR.glob("*.ipynb"))
        raise ParameterError(f"no notebook {notebook!r}; known notebooks: {', '.join(known)}")
    return path.resolve()


def prepare(
    notebook: str | Path,
    params_file: str | Path | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> tuple[Path, str, dict[str, Any]]:
    """Resolve the notebook and validate its parameters; no kernel is started.

    Returns
    -------
    tuple
        ``(notebook path, report name, validated parameters)``; the report name is the
        params file's stem, or ``default``.
    """
    path = resolve_notebook(notebook)
    values: dict[str, Any] = {}
    name = "default"
    if params_file is not None:
        values.update(params.load_params_file(params_file))
        name = Path(params_file).stem
    values.update(overrides or {})
    declared = params.notebook_parameters(path)
    return path, name, params.validate(declared, values, notebook=path.stem)


@contextmanager
def _environment(**values: str):
    old = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in old.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def run(
    notebook: str | Path,
    params_file: str | Path | None = None,
    overrides: Mapping[str, Any] | None = None,
    *,
    out_dir: str | Path | None = None,
    database: str | None = None,
    timeout: int | None = 600,
    update_index: bool = True,
) -> RunResult:
    """Execute a notebook and render ``<out_dir>/<name>.html`` beside the executed notebook.

    Parameters
    ----------
    notebook
        Notebook name or path.
    params_file
        A params YAML; its stem names the report.
    overrides
        Parameter values taking precedence over the file.
    out_dir
        Folder of the outputs; default ``reports/<notebook>/``.
    database
        Database URL for the kernel (passed through ``CX_DATABASE_URL``, never as a
        parameter, so that credentials stay out of the notebook).
    timeout
        Seconds any one cell may run.
    update_index
        Rewrite the index page of the reports folder afterwards.

    Returns
    -------
    RunResult

    Raises
    ------
    ParameterError
        Before execution, for unknown or mistyped parameters.
    ReportError
        When a cell fails: names the notebook and the cell; the earlier report stays.
    """
    path, name, values = prepare(notebook, params_file, overrides)
    declared = params.notebook_parameters(path)
    effective = {k: v["default"] for k, v in declared.items()} | {
        k: repr(v) for k, v in values.items()
    }
    out = Path(out_dir) if out_dir is not None else config.REPORTS_DIR / path.stem
    out.mkdir(parents=True, exist_ok=True)
    url = config.database_url(database)
    started = dt.datetime.now(dt.UTC)
    t0 = time.perf_counter()
    con = db.connect(url)
    try:
        fingerprint = db.fingerprint(con)
    finally:
        con.disconnect()

    html_path, nb_path = out / f"{name}.html", out / f"{name}.ipynb"
    failed_path = out / f"{name}.failed.ipynb"
    record: dict[str, Any] = {
        "notebook": path.stem,
        "name": name,
        "parameters": values,
        "database": db.redact_url(url),
        "fingerprint": fingerprint,
        "version": cxresearch.__version__,
        "started_at": started.isoformat(timespec="seconds"),
    }
    tmp_nb = out / f".{name}.{os.getpid()}.running.ipynb"
    try:
        with _environment(**{config.DATABASE_URL_ENV: url}):
            papermill.execute_notebook(
                str(path),
                str(tmp_nb),
                parameters=values,
                kernel_name="python3",
                progress_bar=False,
                cwd=str(path.parent),
                execution_timeout=timeout,
            )
    except PapermillExecutionError as exc:
        where = f"cell {exc.cell_index + 1}"
        if tmp_nb.exists():
            where = _describe_cell(tmp_nb, exc.cell_index)
            tmp_nb.replace(failed_path)
        message = (
            f"notebook {path.stem} ({name}) failed in {where}: {exc.ename}: {exc.evalue} "
            f"(executed notebook kept at {failed_path})"
        )
        _record(out, name, record, "failed", t0, error=message, update_index=update_index)
        raise ReportError(message) from None
    except Exception as exc:
        tmp_nb.unlink(missing_ok=True)
        message = f"notebook {path.stem} ({name}) could not run: {type(exc).__name__}: {exc}"
        _record(out, name, record, "failed", t0, error=message, update_index=update_index)
        raise ReportError(message) from None

    seconds = time.perf_counter() - t0
    executed = nbformat.read(tmp_nb, as_version=4)
    provenance = {**record, "parameters": effective, "duration": f"{seconds:.1f} s"}
    try:
        page = report.render_html(
            executed, provenance=provenance, language=str(values.get("language", "en"))
        )
    except Exception as exc:
        tmp_nb.replace(failed_path)
        message = f"notebook {path.stem} ({name}) ran but did not render: {exc}"
        _record(out, name, record, "failed", t0, error=message, update_index=update_index)
        raise ReportError(message) from None
    report.write_atomic(html_path, page)
    tmp_nb.replace(nb_path)
    failed_path.unlink(missing_ok=True)
    _record(out, name, record, "ok", t0, html=html_path, update_index=update_index)
    return RunResult(path.stem, name, html_path, nb_path, seconds)


def _describe_cell(executed: Path, index: int) -> str:
    """Name the failed cell as the author counts it in the notebook (1-based).

    Papermill adds an injected-parameters cell and error banner cells; they are not
    counted. The failed cell is the one holding an error output.
    """
    nb = nbformat.read(executed, as_version=4)
    added = {"injected-parameters", "papermill-error-cell-tag"}
    number = 0
    for cell in nb.cells:
        if added & set(cell.metadata.get("tags", [])):
            continue
        number += 1
        if any(o.get("output_type") == "error" for o in cell.get("outputs", [])):
            first = next((ln for ln in cell.source.splitlines() if ln.strip()), "")
            return f"cell {number} of the notebook ({first.strip()[:60]!r})"
    return f"cell {index + 1}"


def _record(
    out: Path,
    name: str,
    record: dict[str, Any],
    status: str,
    t0: float,
    *,
    error: str | None = None,
    html: Path | None = None,
    update_index: bool,
) -> None:
    """Write the run record; a failed run keeps the link to the last good HTML."""
    import json

    rec = dict(record)
    rec["status"] = status
    rec["seconds"] = round(time.perf_counter() - t0, 2)
    rec["finished_at"] = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    rec["error"] = error
    good = html if html is not None else out / f"{name}.html"
    rec["html"] = f"{out.name}/{good.name}" if good.exists() else None
    report.write_atomic(out / f"{name}.json", json.dumps(rec, indent=2, default=str))
    if update_index:
        report.write_index(out.parent)
