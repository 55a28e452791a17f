"""Run a notebook with Papermill and render its HTML report, safely.

Parameters are validated before a kernel starts; the notebook executes into a temporary
file; only a successful run replaces the report. A failed run keeps its executed notebook
as ``<name>.failed.ipynb`` for debugging and is recorded in the index with its error.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat
import papermill
from papermill.exceptions import PapermillExecutionError

import cxresearch
from cxresearch import config, credentials, db, params, report
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


def run(
    notebook: str | Path,
    params_file: str | Path | None = None,
    overrides: Mapping[str, Any] | None = None,
    *,
    out_dir: str | Path | None = None,
    name: str | None = None,
    database: str | None = None,
    timeout: float | None = 600,
    update_index: bool = True,
    kernel: Any = None,
    fingerprint: str | None = None,
    extra_record: Mapping[str, Any] | None = None,
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
    name
        Report name (file stem of the outputs); default the params file's stem.
    database
        Database URL for the kernel (passed through ``CX_DATABASE_URL``, never as a
        parameter, so that credentials stay out of the notebook).
    timeout
        Seconds the whole report may run; past that its kernel is stopped and the run
        fails as timed out.
    update_index
        Rewrite the index page of the reports folder afterwards.
    kernel
        A :class:`cxresearch.kernels.WarmKernel` to run in (batches); default: a new one.
    fingerprint
        The data fingerprint, if already computed.
    extra_record
        More fields for the run record (batches add the cache key).

    Returns
    -------
    RunResult

    Raises
    ------
    ParameterError
        Before execution, for unknown or mistyped parameters.
    ReportError
        When a cell fails or the report times out: names the notebook and the cell; the
        earlier report stays.
    """
    from cxresearch.kernels import ENGINE, WarmKernel, kernel_env

    path, stem, values = prepare(notebook, params_file, overrides)
    name = name or stem
    if values.get("database"):
        # a URL given as a parameter travels like --db: through the kernel's environment,
        # so that it never appears in the executed notebook or the report
        database = database or values["database"]
        values = {k: v for k, v in values.items() if k != "database"}
    declared = params.notebook_parameters(path)
    effective = {k: v["default"] for k, v in declared.items()} | {
        k: repr(v) for k, v in values.items()
    }
    out = Path(out_dir) if out_dir is not None else config.REPORTS_DIR / path.stem
    out.mkdir(parents=True, exist_ok=True)
    url = config.database_url(database)
    started = dt.datetime.now(dt.UTC)
    t0 = time.perf_counter()
    if fingerprint is None:
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
        "database": credentials.public_name(url),
        "fingerprint": fingerprint,
        "version": cxresearch.__version__,
        "started_at": started.isoformat(timespec="seconds"),
        **(extra_record or {}),
    }
    label = f"notebook {path.stem} ({name})"
    tmp_nb = out / f".{name}.{os.getpid()}.{threading.get_ident()}.running.ipynb"
    kernel = kernel or WarmKernel(path.parent, kernel_env(url))
    timed_out = threading.Event()

    def stop() -> None:
        timed_out.set()
        kernel.kill()

    watchdog = threading.Timer(timeout, stop) if timeout else None
    try:
        km = kernel.ready()
        if watchdog:
            watchdog.start()
        papermill.execute_notebook(
            str(path),
            str(tmp_nb),
            parameters=values,
            progress_bar=False,
            km=km,
            engine_name=ENGINE,
            execution_timeout=timeout,
        )
    except Exception as exc:
        where = ""
        if isinstance(exc, PapermillExecutionError):
            where = f" in cell {exc.cell_index + 1}"
            if tmp_nb.exists():
                where = " in " + _describe_cell(tmp_nb, exc.cell_index)
            detail = f"{exc.ename}: {exc.evalue}"
        else:
            detail = f"{type(exc).__name__}: {exc}"
        if timed_out.is_set():
            message, kind = f"{label} timed out after {timeout:g} s{where}", "timeout"
        elif isinstance(exc, PapermillExecutionError):
            message, kind = f"{label} failed{where}: {detail}", "cell"
        else:
            message, kind = f"{label} could not run: {detail}", "kernel"
        if tmp_nb.exists():
            tmp_nb.replace(failed_path)
            message += f" (executed notebook kept at {failed_path})"
        _record(out, name, record, "failed", t0, error=message, update_index=update_index)
        raise ReportError(message, kind) from None
    finally:
        if watchdog:
            watchdog.cancel()
        kernel.shutdown()

    seconds = time.perf_counter() - t0
    executed = nbformat.read(tmp_nb, as_version=4)
    provenance = {**record, "parameters": effective, "duration": f"{seconds:.1f} s"}
    try:
        page = report.render_html(
            executed, provenance=provenance, language=str(values.get("language", "en"))
        )
    except Exception as exc:
        tmp_nb.replace(failed_path)
        message = f"{label} ran but did not render: {exc}"
        _record(out, name, record, "failed", t0, error=message, update_index=update_index)
        raise ReportError(message, "render") from None
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
