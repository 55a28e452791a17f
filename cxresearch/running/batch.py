"""Scheduled report generation: a parameter matrix rendered in parallel, incrementally.

A schedule (YAML) names notebooks, a parameter matrix, an output path pattern and a
relative period; :func:`plan` expands it into reports with cache keys, :func:`run` renders
the ones that changed on warm kernels across worker processes (or a Dask cluster), isolates
failures, and writes a manifest. See ``docs/batch.md``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import itertools
import json
import os
import pickle
import re
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from fnmatch import fnmatch
from pathlib import Path
from typing import Any

import cxresearch
from cxresearch import config
from cxresearch.data import credentials, fingerprints, secrets, urls
from cxresearch.errors import ParameterError, ReportError
from cxresearch.running import lifecycle, publish, runner, spec
from cxresearch.running.needs import charts_needed, models_needed, starter_preloads
from cxresearch.running.schedule import RELATIVE_PERIODS as RELATIVE_PERIODS
from cxresearch.running.schedule import load_schedule as load_schedule
from cxresearch.running.schedule import resolve_period
from cxresearch.running.workers import Job as Job
from cxresearch.running.workers import context as worker_context
from cxresearch.running.workers import init_worker, run_job, stop_starter


@dataclass
class Batch:
    """A planned batch."""

    name: str
    database: str
    fingerprint: str
    jobs: list[Job] = field(default_factory=list)


def _slug(value: Any) -> str:
    if isinstance(value, list | tuple):
        value = "-".join(map(str, value)) or "all"
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", str(value)).strip("-") or "all"


def cache_key(notebook: Path, parameters: dict[str, Any], fingerprint: str) -> str:
    """Hash of the notebook's content, the parameters, the package version and the data."""
    blob = json.dumps(
        {
            "notebook": hashlib.sha256(notebook.read_bytes()).hexdigest(),
            "parameters": parameters,
            "version": cxresearch.__version__,
            "data": fingerprint,
        },
        sort_keys=True,
        default=str,
    )
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def plan(
    schedule: dict[str, Any],
    *,
    database: str | None = None,
    as_of: dt.date | None = None,
    only: str | None = None,
) -> Batch:
    """Expand a schedule into jobs, validating every parameter set before anything runs."""
    url = urls.database_url(database)
    fingerprint = fingerprints.fingerprint_url(url)
    as_of = as_of or (
        dt.date.fromisoformat(str(schedule["as_of"])) if schedule.get("as_of") else dt.date.today()
    )
    batch = Batch(str(schedule.get("name", "batch")), url, fingerprint)
    for entry in schedule["reports"]:
        path = spec.resolve_notebook(entry["notebook"])
        matrix = entry.get("matrix") or {}
        keys = list(matrix)
        combos = itertools.product(*(matrix[k] if isinstance(matrix[k], list) else [matrix[k]]
                                     for k in keys))  # fmt: skip
        period = resolve_period(entry.get("period"), as_of)
        for combo in combos:
            values = dict(entry.get("params") or {})
            values.update(zip(keys, combo, strict=True))
            if period:
                values.setdefault("period_start", period[0])
                values.setdefault("period_end", period[1])
            run_spec = spec.build(
                path, overrides=values, database=url,
                timeout=float(schedule.get("timeout", config.DEFAULT_TIMEOUT)),
                pdf=bool(entry.get("pdf", schedule.get("pdf", False))),
            )  # fmt: skip
            values = run_spec.parameters
            fields = {k: _slug(v) for k, v in values.items()}
            try:
                target = Path(str(entry["output"]).format(notebook=path.stem, **fields))
            except KeyError as exc:
                raise ParameterError(
                    f"output pattern {entry['output']!r} names {exc}, which is neither a "
                    f"matrix key nor a parameter of {path.stem}"
                ) from None
            if not target.is_absolute():
                target = config.PROJECT_ROOT / target
            job = Job(
                spec=dataclasses.replace(run_spec, name=target.stem, out_dir=target.parent),
                cache_key=cache_key(path, values, fingerprint),
                retries=int(schedule.get("retries", 1)),
            )
            if only and not fnmatch(job.label, only):
                continue
            batch.jobs.append(job)
    if only and not batch.jobs:
        raise ParameterError(
            f"--only {only!r} matches no report; reports are named "
            "notebook/name, e.g. nps_overview/SE_B2B_en"
        )
    labels = [f"{j.out_dir}/{j.name}" for j in batch.jobs]
    dupes = {x for x in labels if labels.count(x) > 1}
    if dupes:
        raise ParameterError(
            f"output pattern gives several reports the same file: {sorted(dupes)[:3]}; "
            "put every matrix key in the pattern"
        )
    return batch


def is_current(job: Job) -> bool:
    """Whether the last good render of this report has the same cache key."""
    record_path = Path(job.out_dir) / f"{job.name}.json"
    try:
        record = json.loads(record_path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return False
    html = Path(job.out_dir) / f"{job.name}.html"
    return (
        record.get("status") == "ok"
        and record.get("cache_key") == job.cache_key
        and html.exists()
        and (not job.spec.pdf or html.with_suffix(".pdf").exists())
    )


# -- the batch ------------------------------------------------------------------------------


def run(
    batch: Batch,
    *,
    workers: int = 2,
    executor: str = "local",
    scheduler: str | None = None,
    force: bool = False,
    on_update: Callable[[Job, dict[str, int]], None] | None = None,
    reports_dir: Path | None = None,
    timeout: float | None = None,
) -> Path:
    """Render a planned batch; return the path of its manifest.

    Reports whose cache key matches their last good render are skipped unless ``force``.
    A failing or hanging report never stops the others; its last good HTML stays. Records
    left ``running`` by an earlier batch that died are marked failed first.

    Parameters
    ----------
    timeout
        Seconds the whole batch may run (local executor). Past that, as on ``SIGTERM`` or
        ``SIGINT``, workers and kernels are stopped and unfinished reports recorded failed.

    Raises
    ------
    ReportError
        Of kind ``interrupted``, after the index and manifest are written, when the batch
        timed out or was told to stop.
    WriteError
        When the index or manifest cannot be written.
    """
    counts = {"done": 0, "failed": 0, "skipped": 0, "running": 0, "total": len(batch.jobs)}
    notify = on_update or (lambda job, c: None)
    folders = {Path(j.out_dir) for j in batch.jobs}
    for folder in folders:
        lifecycle.recover(folder)
    todo = []
    for job in batch.jobs:
        if not force and is_current(job):
            job.status = "skipped"
            counts["skipped"] += 1
            notify(job, counts)
        else:
            todo.append(job)
    started = dt.datetime.now(dt.UTC)
    results: list[Job] = []
    stopped = None
    try:
        with lifecycle.sigterm_interrupts():
            _execute(todo, batch, workers, executor, scheduler, counts, notify, results, timeout)
    except lifecycle.Interrupted as exc:
        stopped = str(exc)
    by_key = {(j.out_dir, j.name): j for j in batch.jobs}
    for res in results:
        job = by_key[(res.out_dir, res.name)]
        for key in ("status", "seconds", "attempts", "error", "html"):
            setattr(job, key, getattr(res, key))
    unfinished = [j for j in todo if j.status == "pending"]
    for job in unfinished:
        job.status, job.error = "failed", f"batch {stopped}: not finished"
    for folder in folders:  # the reports that were running: their records say so
        lifecycle.recover(folder, reason=f"batch {stopped} before it finished")
    if reports_dir is None:
        parents = [str(Path(j.out_dir).parent) for j in batch.jobs]
        reports_dir = Path(os.path.commonpath(parents)) if parents else config.REPORTS_DIR
    for folder in {f.parent for f in folders}:
        runner.refresh_index(folder)
    manifest = _write_manifest(batch, started, reports_dir)
    if stopped:
        raise ReportError(
            f"batch {batch.name} {stopped}; {len(unfinished)} report(s) not finished are "
            f"recorded as failed; manifest: {manifest}",
            "interrupted",
        )
    return manifest


def _execute(
    todo: list[Job],
    batch: Batch,
    workers: int,
    executor: str,
    scheduler,
    counts: dict[str, int],
    notify,
    results: list[Job],
    timeout: float | None = None,
) -> None:
    """Run the jobs, appending each finished one to ``results``.

    Raises :class:`lifecycle.Interrupted` when ``timeout`` passes; the local workers (and,
    as they die, their kernels) are stopped before it leaves, however it leaves.
    """
    if not todo:
        return
    payloads = [pickle.dumps(j) for j in todo]
    deadline = None if timeout is None else time.monotonic() + timeout

    def finished(res: Job) -> None:
        counts["running"] = max(counts["running"] - 1, 0)
        counts["done" if res.status == "done" else "failed"] += 1
        notify(res, counts)
        results.append(res)

    if executor == "local":
        context, forked = worker_context()
        pool = ProcessPoolExecutor(
            max_workers=workers,
            mp_context=context,
            initializer=init_worker,
            initargs=(batch.database, os.getpid(), forked, dict(os.environ), os.getcwd()),
        )
        try:
            # the first submit starts the workers' starter: statsmodels only if a notebook
            # models, matplotlib only if one draws with it, the reports' languages warmed
            notebooks = {j.spec.notebook for j in todo}
            languages = [code for code, _ in Counter(j.spec.language for j in todo).most_common()]
            with starter_preloads(models=models_needed(notebooks), charts=charts_needed(notebooks),
                                  languages=languages):  # fmt: skip
                pending = {pool.submit(run_job, p, batch.database, batch.fingerprint)
                           for p in payloads}  # fmt: skip
            counts["running"] = min(workers, len(pending))
            while pending:
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    raise lifecycle.Interrupted(f"timed out after {timeout:g} s")
                done, pending = wait(pending, timeout=left, return_when=FIRST_COMPLETED)
                for future in done:
                    finished(future.result())
                counts["running"] = min(workers, len(pending))
        except BaseException:
            processes = list((getattr(pool, "_processes", None) or {}).values())
            pool.shutdown(wait=False, cancel_futures=True)
            lifecycle.stop_processes(processes)
            raise
        else:
            pool.shutdown()
        finally:
            if forked:
                stop_starter()  # its CPU time is then ours, as the workers' was
    elif executor == "dask":
        try:
            from dask.distributed import Client, LocalCluster
            from dask.distributed import as_completed as dask_completed
        except ImportError:
            raise ParameterError(
                "--executor dask needs Dask: pip install 'cxresearch[dask]'"
            ) from None

        cluster = None
        if scheduler:
            client = Client(scheduler)
        else:
            cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                   dashboard_address=None)  # fmt: skip
            client = Client(cluster)
        try:
            futures = [client.submit(run_job, p, batch.database, batch.fingerprint, pure=False)
                       for p in payloads]  # fmt: skip
            counts["running"] = min(workers, len(futures))
            for future in dask_completed(futures):
                finished(future.result())
        finally:
            client.close()
            if cluster is not None:
                cluster.close()
    else:
        raise ParameterError(f"executor must be local or dask, got {executor!r}")


def _write_manifest(batch: Batch, started: dt.datetime, reports_dir: Path) -> Path:
    folder = Path(reports_dir) / "_batches"
    folder.mkdir(parents=True, exist_ok=True)
    stamp = started.strftime("%Y%m%dT%H%M%S")
    path = folder / f"{_slug(batch.name)}-{stamp}.json"
    manifest = {
        "batch": batch.name,
        "started_at": started.isoformat(timespec="seconds"),
        "finished_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "database": credentials.public_name(batch.database),
        "fingerprint": batch.fingerprint,
        "version": cxresearch.__version__,
        "reports": [
            {
                "notebook": j.spec.notebook_name,
                "name": j.name,
                "parameters": j.parameters,
                "cache_key": j.cache_key,
                "status": j.status,
                "seconds": j.seconds,
                "attempts": j.attempts,
                "html": str(Path(j.out_dir) / f"{j.name}.html"),
                "ipynb": str(Path(j.out_dir) / f"{j.name}.ipynb"),
                "error": secrets.scrub(j.error) if j.error else None,
            }  # fmt: skip
            for j in batch.jobs
        ],
    }
    publish.write_atomic(path, json.dumps(manifest, indent=2, default=str))
    return path
