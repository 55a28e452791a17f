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
from cxresearch.data import credentials, fingerprints, secrets
from cxresearch.errors import ReportError, WriteError
from cxresearch.running import lifecycle, publish, spec


@dataclass(frozen=True)
class RunResult:
    """Where a successful run wrote its report."""

    notebook: str
    name: str
    html: Path
    ipynb: Path
    seconds: float
    pdf: Path | None = None


def run(
    notebook: str | Path,
    params_file: str | Path | None = None,
    overrides: Mapping[str, Any] | None = None,
    *,
    out_dir: str | Path | None = None,
    name: str | None = None,
    database: str | None = None,
    timeout: float | None = None,
    update_index: bool = True,
) -> RunResult:
    """Build a :class:`~cxresearch.running.spec.RunSpec` and :func:`execute` it.

    The arguments are those of :func:`cxresearch.running.spec.build`.
    """
    run_spec = spec.build(
        notebook, params_file, overrides,
        database=database, out_dir=out_dir, name=name, timeout=timeout,
    )  # fmt: skip
    return execute(run_spec, update_index=update_index)


def execute(
    run_spec: spec.RunSpec,
    *,
    update_index: bool = True,
    kernel: Any = None,
    fingerprint: str | None = None,
    extra_record: Mapping[str, Any] | None = None,
) -> RunResult:
    """Execute a run and render ``<out_dir>/<name>.html`` beside the executed notebook.

    The spec was validated when it was built; nothing is checked again here.

    Parameters
    ----------
    run_spec
        What to run, from :func:`cxresearch.running.spec.build`.
    update_index
        Rewrite the index page of the reports folder afterwards.
    kernel
        A :class:`cxresearch.running.kernels.WarmKernel` to run in (batches); default: a
        new one, forked by this process's fork server where there is one.
    fingerprint
        The data fingerprint, if already computed.
    extra_record
        More fields for the run record (batches add the cache key).

    Returns
    -------
    RunResult

    Raises
    ------
    ReportError
        When a cell fails, the report times out or cannot be written: names the notebook
        and the cell or the file; the earlier report stays and the record says why.
    WriteError
        When not even the run record can be written (a read-only or full folder): one line
        naming where; nothing was changed.
    """
    from cxresearch.running.kernels import ENGINE, kernel_env, new_kernel

    run = run_spec
    path, name, values, timeout = run.notebook, run.name, run.parameters, run.timeout
    out = run.out_dir
    url = run.database
    started = dt.datetime.now(dt.UTC)
    t0 = time.perf_counter()
    if fingerprint is None:
        fingerprint = fingerprints.fingerprint_url(url)

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
    try:
        _start_record(out, name, record, label)
    except WriteError:
        if kernel is not None:  # lent by a batch: not used, but ours to stop
            kernel.shutdown()
        raise
    kernel = kernel or new_kernel(path.parent, kernel_env(url))
    publish.prepare_in_background()  # the HTML templates load while the cells run
    timed_out = threading.Event()

    def stop() -> None:
        timed_out.set()
        kernel.kill()

    watchdog = threading.Timer(timeout, stop) if timeout else None
    try:
        km = kernel.ready()
        if watchdog:
            watchdog.start()
        executed = papermill.execute_notebook(
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
        elif isinstance(exc, OSError) and not isinstance(exc, ConnectionError):
            # papermill could not write the executed notebook: disk full, read-only folder
            detail = _reason(exc)
            message, kind = (
                f"{label} failed: the executed notebook was not written: {detail}",
                "write",
            )
        else:
            message, kind = f"{label} could not run: {detail}", "kernel"
        message = secrets.scrub(message)
        if kind == "write":
            tmp_nb.unlink(missing_ok=True)  # a partial file, and the space it takes
            message += "; the last good report is kept"
        elif tmp_nb.exists():
            _keep_failed(tmp_nb, failed_path)
            message += f" (executed notebook kept at {failed_path})"
        _record(out, name, record, "failed", t0, error=message, update_index=update_index)
        raise ReportError(message, kind) from None
    finally:
        if watchdog:
            watchdog.cancel()
        kernel.shutdown()

    seconds = time.perf_counter() - t0
    # the notebook papermill wrote to tmp_nb, in memory: not read back and validated again
    provenance = {
        **record,
        "parameters": run.effective_parameters,
        "duration": f"{seconds:.1f} s",
    }
    try:
        page, summary = publish.render(
            executed, provenance=provenance, language=run.language, in_place=True
        )
    except Exception as exc:
        _keep_failed(tmp_nb, failed_path)
        message = secrets.scrub(f"{label} ran but did not render: {exc}")
        _record(out, name, record, "failed", t0, error=message, update_index=update_index)
        raise ReportError(message, "render") from None
    try:
        publish.write_atomic(html_path, page)
        tmp_nb.replace(nb_path)
        failed_path.unlink(missing_ok=True)
    except OSError as exc:  # disk full, read-only folder, permission denied
        tmp_nb.unlink(missing_ok=True)
        message = secrets.scrub(
            f"{label} ran but could not be written: {_reason(exc)}; the last good report is kept"
        )
        _record(out, name, record, "failed", t0, error=message, update_index=update_index)
        raise ReportError(message, "write") from None
    pdf_path = html_path.with_suffix(".pdf")
    if run.pdf:
        publish.print_pdf(html_path, pdf_path)
    else:  # a PDF of an earlier render no longer matches the report
        pdf_path.unlink(missing_ok=True)
    record["summary"] = summary  # what the index shows: title, period, findings
    _record(out, name, record, "ok", t0, html=html_path, update_index=update_index)
    return RunResult(path.stem, name, html_path, nb_path, seconds, pdf_path if run.pdf else None)


def _reason(exc: OSError) -> str:
    """``could not write PATH: reason`` for our own errors, else the reason and the file."""
    if isinstance(exc, WriteError):
        return str(exc)
    where = f" ({exc.filename})" if exc.filename else ""
    return f"{exc.strerror or exc}{where}"


def _start_record(out: Path, name: str, record: dict[str, Any], label: str) -> None:
    """Mark the report ``running`` (with this process's pid and start time) before it runs.

    Records of earlier runs in the folder whose process died are marked failed first.
    """
    try:
        out.mkdir(parents=True, exist_ok=True)
        lifecycle.recover(out)
        running = {**record, **lifecycle.running_record(), "error": None}
        good = out / f"{name}.html"
        running["html"] = f"{out.name}/{good.name}" if good.exists() else None
        publish.write_atomic(out / f"{name}.json", json.dumps(running, indent=2, default=str))
    except OSError as exc:
        raise WriteError(
            f"{label} not run: nothing can be written in {out}: {_reason(exc)}; "
            "the last good report and its record are unchanged",
            exc.errno,
        ) from None


def _keep_failed(tmp_nb: Path, failed_path: Path) -> None:
    """Keep the executed notebook of a failed run, with credentials scrubbed from its outputs."""
    try:
        nb = nbformat.read(tmp_nb, as_version=4)
        for cell in nb.cells:
            for output in cell.get("outputs", []):
                _scrub_output(output)
        nbformat.write(nb, tmp_nb)
        tmp_nb.replace(failed_path)
    except (OSError, ValueError):  # unreadable or unwritable: keep nothing rather than a leak
        tmp_nb.unlink(missing_ok=True)


def _scrub_output(output: dict[str, Any]) -> None:
    """Scrub credentials from an output's texts, traceback and data, in place."""
    for key in ("text", "ename", "evalue"):
        if isinstance(output.get(key), str):
            output[key] = secrets.scrub(output[key])
    if isinstance(output.get("traceback"), list):
        output["traceback"] = [secrets.scrub(line) for line in output["traceback"]]
    for mime, value in dict(output.get("data") or {}).items():
        if isinstance(value, str):
            output["data"][mime] = secrets.scrub(value)
        elif isinstance(value, list):
            output["data"][mime] = [secrets.scrub(v) if isinstance(v, str) else v for v in value]


def refresh_index(reports_dir: Path) -> Path:
    """Rewrite ``reports_dir/index.html``; a write fault becomes one :class:`WriteError` line."""
    try:
        return publish.write_index(reports_dir)
    except OSError as exc:
        raise WriteError(
            f"the index {Path(reports_dir) / 'index.html'} could not be written: {_reason(exc)}",
            exc.errno,
        ) from None


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
    """Write the run record; a failed run keeps the link to the last good HTML.

    If the record cannot be written, a :class:`WriteError` says so and what happened.
    """
    rec = dict(record)
    previous = out / f"{name}.json"
    if "summary" not in rec and previous.exists():  # a failed run: the last good report's
        try:
            rec["summary"] = json.loads(previous.read_text(encoding="utf-8")).get("summary")
        except (OSError, ValueError):
            pass
    rec["status"] = status
    rec["seconds"] = round(time.perf_counter() - t0, 2)
    rec["finished_at"] = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    rec["error"] = error
    good = html if html is not None else out / f"{name}.html"
    rec["html"] = f"{out.name}/{good.name}" if good.exists() else None
    try:
        publish.write_atomic(out / f"{name}.json", json.dumps(rec, indent=2, default=str))
    except OSError as exc:
        said = f"{error}; and " if error else ""
        raise WriteError(
            f"{said}the run record was not updated: {_reason(exc)}", exc.errno
        ) from None
    if update_index:
        refresh_index(out.parent)
