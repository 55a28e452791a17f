"""The ``cxresearch`` command line: demo data, single runs and the demo workflow."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from cxresearch import config
from cxresearch.errors import CXResearchError, ParameterError, ReportError

HELP = "Customer-experience research: survey database, metrics and HTML reports."
app = typer.Typer(help=HELP, no_args_is_help=True, add_completion=False,
                  pretty_exceptions_enable=False)  # fmt: skip
err = Console(stderr=True, highlight=False)
out = Console(highlight=False)

DB_HELP = "Database URL or DuckDB file (default: CX_DATABASE_URL, else data/cx.duckdb)."
DbOption = Annotated[str | None, typer.Option("--db", help=DB_HELP)]


def _version(value: bool) -> None:
    if value:
        import cxresearch

        out.print(f"cxresearch {cxresearch.__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version."),
    ] = False,
) -> None:
    """Customer-experience research: survey database, metrics and HTML reports."""


def _fail(exc: CXResearchError) -> None:
    from cxresearch.data import secrets

    # markup off for the message: a value in it is text, whatever brackets it holds
    err.print("[bold red]error:[/] ", markup=True, end="")
    err.print(secrets.scrub(str(exc)), markup=False, soft_wrap=True)
    raise typer.Exit(2 if isinstance(exc, ParameterError) else 1)


@app.command("demo-data")
def demo_data(
    responses: Annotated[int, typer.Option(help="Number of survey responses.")] = 30_000,
    seed: Annotated[
        int, typer.Option(help="Random seed; the same seed gives the same data.")
    ] = 2026,
    db: DbOption = None,
    force: Annotated[
        bool,
        typer.Option(
            "--force", help="Replace a database holding imports, or a PostgreSQL database."
        ),
    ] = False,
) -> None:
    """Write a demo survey database generated from a documented ground truth."""
    from cxresearch.data import db as dbmod
    from cxresearch.data import demo, guard

    try:
        t0 = time.perf_counter()
        if not force:
            guard.check_replaceable(db)
        tables = demo.generate(responses, seed)
        url = dbmod.write_tables(db, tables)
    except ValueError as exc:
        _fail(ParameterError(str(exc)))
    except CXResearchError as exc:
        _fail(exc)
    counts = ", ".join(f"{len(v):,} {k}" for k, v in tables.items())
    out.print(f"wrote {url} ({counts}) in {time.perf_counter() - t0:.1f} s")


@app.command()
def run(
    notebook: Annotated[str, typer.Argument(help="Notebook name (recommend_intent) or path.")],
    params: Annotated[
        Path | None, typer.Option("-p", "--params", help="Params YAML; its stem names the report.")
    ] = None,
    parameter: Annotated[
        list[str] | None,
        typer.Option("-P", "--parameter", help="key=value, overriding the params file."),
    ] = None,
    out_dir: Annotated[
        Path | None, typer.Option("--out", help="Output folder (default reports/<notebook>/).")
    ] = None,
    name: Annotated[
        str | None,
        typer.Option(help="Report name (default: the params file's stem, or default, plus -P)."),
    ] = None,
    db: DbOption = None,
    pdf: Annotated[
        bool, typer.Option("--pdf", help="Also print the report to PDF with headless Chromium.")
    ] = False,
) -> None:
    """Execute one notebook with Papermill and render its HTML report."""
    from cxresearch.running import forkserver

    forkserver.shared(wait=False)  # first, while we have one thread; it imports as we go on
    from cxresearch.running import params as params_mod
    from cxresearch.running import runner, spec

    try:
        overrides = params_mod.parse_overrides(parameter or [])
        run_spec = spec.build(
            notebook, params, overrides, database=db, out_dir=out_dir, name=name, pdf=pdf
        )
        result = runner.execute(run_spec)
    except CXResearchError as exc:
        _fail(exc)
    out.print(f"{result.html}  ({result.seconds:.1f} s)")
    if result.pdf:
        out.print(f"{result.pdf}")


@app.command()
def demo(
    db: DbOption = None,
    responses: Annotated[int, typer.Option(help="Responses, if demo data is created.")] = 30_000,
) -> None:
    """Create demo data if missing, render every params set of every notebook, write the index."""
    from cxresearch.running import forkserver

    forkserver.shared(wait=False, code=forkserver.PRELOAD_BATCH)  # for every notebook's kernel
    from cxresearch.data import db as dbmod
    from cxresearch.data import demo as demomod
    from cxresearch.data import secrets, urls
    from cxresearch.running import runner, spec

    url = urls.database_url(db)
    path = urls.duckdb_path(url)
    try:
        if path is not None and not path.exists():
            out.print(f"creating demo data ({responses:,} responses) at {path}")
            dbmod.write_tables(url, demomod.generate(responses))
        runs = [
            spec.build(nb, params_file, database=url)
            for nb in sorted(config.NOTEBOOKS_DIR.glob("*.ipynb"))
            for params_file in sorted((config.PARAMS_DIR / nb.stem).glob("*.yaml")) or [None]
        ]
        failures = 0
        for run_spec in runs:
            try:
                result = runner.execute(run_spec, update_index=False)
                out.print(f"[green]ok[/]      {run_spec.label}  ({result.seconds:.1f} s)")
            except CXResearchError as exc:
                failures += 1
                err.print(f"[red]failed[/]  {run_spec.label}: ", end="")
                err.print(secrets.scrub(str(exc)), markup=False, soft_wrap=True)
        index = runner.refresh_index(config.REPORTS_DIR)
    except CXResearchError as exc:
        _fail(exc)
    out.print(f"reports: {index}")
    if failures:
        raise typer.Exit(1)


@app.command("import")
def import_(
    paths: Annotated[list[Path], typer.Argument(help="Files to import (CSV, XLSX, SAV).")],
    fmt: Annotated[
        str, typer.Option("--format", help="auto, csv, xlsx, qualtrics, surveymonkey or spss.")
    ] = "auto",
    mapping: Annotated[
        Path | None, typer.Option("--mapping", help="Mapping YAML for non-canonical columns.")
    ] = None,
    survey: Annotated[
        str | None, typer.Option("--survey", help="Survey name; also names the import source.")
    ] = None,
    db: DbOption = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Validate only; write nothing.")
    ] = False,
    suggest_mapping: Annotated[
        bool, typer.Option("--suggest-mapping", help="Write a draft mapping for the file.")
    ] = False,
    output: Annotated[
        Path | None,
        typer.Option("-o", "--output", help="With --suggest-mapping: the file to write."),
    ] = None,
    strict: Annotated[
        bool,
        typer.Option("--strict", help="Refuse files with columns the mapping leaves unused."),
    ] = False,
) -> None:
    """Import survey exports: validated first, written all-or-nothing, idempotent."""
    from cxresearch.data import imports, secrets

    try:
        for given in [*paths, mapping, survey]:  # file and source names reach the database
            found = secrets.find_secret(str(given)) if given is not None else None
            if found:  # not echoed: the name is the secret
                raise ParameterError(
                    f"a file or survey name given holds {found[1]}: rename it; names are "
                    "stored in the database's import log"
                )
        if suggest_mapping:
            if len(paths) != 1:
                raise ParameterError("--suggest-mapping takes exactly one file")
            draft = imports.suggest_mapping(paths[0], fmt)
            if output is None:
                sys.stdout.write(draft)  # plain text: no wrapping, valid YAML in a pipe
            else:
                output.write_text(draft, encoding="utf-8")
                err.print(f"wrote {output}: review it, then pass it with --mapping", markup=False)
            return
        if output is not None:
            raise ParameterError("-o/--output is for --suggest-mapping")
        reports = _import_with_progress(imports, paths, fmt, mapping, survey, db, dry_run, strict)
    except CXResearchError as exc:
        _fail(exc)
    for r in reports:
        for warning in r.warnings:
            err.print(f"warning: {warning}", markup=False, soft_wrap=True)
    for r in reports:
        replaced = f", replacing {r.replaced:,} earlier rows" if r.replaced else ""
        out.print(
            f"{r.status:<9} {r.path}: {r.rows:,} {r.kind} rows as source {r.source!r} "
            f"({r.format}, {r.encoding}){replaced}",
            markup=False,
            soft_wrap=True,
        )


def _import_with_progress(imports, paths, fmt, mapping, survey, db, dry_run, strict=False):
    """Run the import with a progress bar on a terminal, plain log lines otherwise."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    total = len(paths) + (0 if dry_run else 1)
    kwargs = dict(
        fmt=fmt, mapping_file=mapping, survey=survey, database=db, dry_run=dry_run, strict=strict
    )
    if not err.is_terminal:
        return imports.import_files(
            paths, on_step=lambda text: err.print(f"import: {text}"), **kwargs
        )
    columns = (TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn())
    with Progress(*columns, console=err, transient=True) as progress:
        task = progress.add_task("importing", total=total)

        started = []

        def step(text: str) -> None:
            # each step names what starts now, so the one before it is done
            progress.update(task, description=text, advance=1 if started else 0)
            started.append(text)

        return imports.import_files(paths, on_step=step, **kwargs)


@app.command()
def batch(
    schedule: Annotated[Path, typer.Argument(help="Schedule YAML (see docs/batch.md).")],
    workers: Annotated[int, typer.Option(help="Reports rendered at once.")] = 2,
    executor: Annotated[str, typer.Option(help="local (processes) or dask.")] = "local",
    scheduler: Annotated[
        str | None, typer.Option(help="Dask scheduler address, e.g. tcp://host:8786.")
    ] = None,
    only: Annotated[
        str | None, typer.Option(help="Only reports whose notebook/name matches (glob).")
    ] = None,
    force: Annotated[bool, typer.Option(help="Render even reports that are up to date.")] = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="List the reports and whether each would run.")
    ] = False,
    as_of: Annotated[
        str | None, typer.Option(help="Resolve relative periods as if today were YYYY-MM-DD.")
    ] = None,
    db: DbOption = None,
    timeout: Annotated[
        float | None,
        typer.Option(help="Seconds the whole batch may run; then it stops, recording why."),
    ] = None,
) -> None:
    """Render a schedule's parameter matrix: in parallel, incrementally, failures isolated."""
    import datetime as dt

    from cxresearch.running import batch as batchmod

    plan = None
    try:
        plan = batchmod.plan(
            batchmod.load_schedule(schedule), database=db, only=only,
            as_of=dt.date.fromisoformat(as_of) if as_of else None,
        )  # fmt: skip
        if dry_run:
            for job in plan.jobs:
                state = "up to date" if batchmod.is_current(job) and not force else "would run"
                out.print(f"{state:<10} {job.label}  {job.parameters}", markup=False)
            return
        manifest = _run_batch(batchmod, plan, workers, executor, scheduler, force, timeout)
    except CXResearchError as exc:
        if plan is not None and not dry_run and isinstance(exc, ReportError):
            _summary(plan)  # interrupted or timed out: what finished, what did not
        _fail(exc)
    _summary(plan)
    out.print(f"manifest: {manifest}", markup=False, soft_wrap=True)
    if any(j.status == "failed" for j in plan.jobs):
        raise typer.Exit(1)


def _run_batch(batchmod, plan, workers, executor, scheduler, force, timeout=None):
    """Run with a live progress bar on a terminal, one log line per report otherwise."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

    kwargs = dict(
        workers=workers, executor=executor, scheduler=scheduler, force=force, timeout=timeout
    )
    if not err.is_terminal:

        def log(job, counts):
            err.print(
                f"batch: {job.status:<7} {job.label} ({job.seconds:.1f} s)"
                + (f": {job.error}" if job.error else ""),
                markup=False,
                soft_wrap=True,
            )

        return batchmod.run(plan, on_update=log, **kwargs)
    columns = (TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/"
               "{task.total}"), TimeRemainingColumn())  # fmt: skip
    with Progress(*columns, console=err) as progress:
        task = progress.add_task("starting", total=len(plan.jobs))

        def update(job, counts):
            progress.update(
                task, completed=counts["done"] + counts["failed"] + counts["skipped"],
                description=(f"done {counts['done']}  failed {counts['failed']}  skipped "
                             f"{counts['skipped']}  running {counts['running']}"),
            )  # fmt: skip

        return batchmod.run(plan, on_update=update, **kwargs)


def _summary(plan) -> None:
    from rich.table import Table

    table = Table("report", "status", "seconds", "error", title=f"batch {plan.name}")
    for job in plan.jobs:
        colour = {"done": "green", "failed": "red", "skipped": "dim"}.get(job.status, "")
        table.add_row(
            job.label, f"[{colour}]{job.status}[/]", f"{job.seconds:.1f}", (job.error or "")[:200]
        )
    out.print(table)
    counts = {s: sum(j.status == s for j in plan.jobs) for s in ("done", "skipped", "failed")}
    out.print(f"{counts['done']} done, {counts['skipped']} skipped, {counts['failed']} failed")


@app.command("follow-up")
def follow_up(
    since: Annotated[
        str | None, typer.Option(help="Only responses on or after YYYY-MM-DD.")
    ] = None,
    out_file: Annotated[
        Path | None,
        typer.Option("--out", help="FILE.csv or FILE.xlsx (default reports/follow_up/)."),
    ] = None,
    db: DbOption = None,
) -> None:
    """Write the follow-up lists: detractors to call back, promoters to ask for referrals."""
    import datetime as dt

    from cxresearch.data import db as dbmod
    from cxresearch.running import followup

    try:
        if since:
            dt.date.fromisoformat(since)
        target = out_file or config.REPORTS_DIR / "follow_up" / (
            f"follow_up_{dt.date.today():%Y-%m-%d}.csv"
        )
        con = dbmod.connect(db)
        try:
            lists = followup.follow_up_lists(con, since=since)
        finally:
            con.disconnect()
        path = followup.write_follow_up(lists, target)
    except ValueError as exc:
        _fail(ParameterError(str(exc)))
    except CXResearchError as exc:
        _fail(exc)
    counts = lists["list"].value_counts()
    out.print(
        f"{counts.get('call_back', 0):,} detractors to call back, "
        f"{counts.get('referral', 0):,} referral candidates: {path}",
        markup=False,
        soft_wrap=True,
    )


@app.command("list")
def list_() -> None:
    """List the notebooks, their parameters with help, and their params sets."""
    from cxresearch.running import params

    for nb in sorted(config.NOTEBOOKS_DIR.glob("*.ipynb")):
        out.print(f"[bold]{nb.stem}[/]")
        for name, info in params.notebook_parameters(nb).items():
            line = f"  {name}: {info['type']} = {info['default']}"
            out.print(f"{line:<44} {info['help']}", markup=False, soft_wrap=True)
        sets = sorted((config.PARAMS_DIR / nb.stem).glob("*.yaml"))
        names = ", ".join(p.stem for p in sets) or "none"
        out.print(f"  params sets: {names}", markup=False, soft_wrap=True)


@app.command()
def index() -> None:
    """Rewrite reports/index.html from the run records (runs cut short marked failed)."""
    from cxresearch.running import lifecycle, runner

    try:
        for folder in sorted(p for p in config.REPORTS_DIR.glob("*") if p.is_dir()):
            lifecycle.recover(folder)
        out.print(str(runner.refresh_index(config.REPORTS_DIR)))
    except CXResearchError as exc:
        _fail(exc)


@app.command()
def translations(
    update: Annotated[
        bool, typer.Option("--update", help="Add untranslated messages to the catalogues.")
    ] = False,
) -> None:
    """List report texts without a translation in sv, da, fi or nl (exit 1 if any)."""
    from cxresearch.reporting import catalogues, i18n

    messages = catalogues.all_messages()
    if update:
        catalogues.update_catalogues(messages)
    missing = {lang: catalogues.missing(lang, messages) for lang in i18n.LANGUAGES[1:]}
    for lang, left in missing.items():
        out.print(f"{lang}: {len(messages) - len(left)} of {len(messages)} translated")
        for message in left:
            out.print(f"  missing: {message}", markup=False, soft_wrap=True)
    if any(missing.values()):
        err.print(f"fill in the empty msgstr in {i18n.LOCALES_DIR}/<language>.po", markup=False)
        raise typer.Exit(1)


def main() -> None:  # pragma: no cover - console entry point
    """Run the CLI."""
    app(prog_name="cxresearch")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
