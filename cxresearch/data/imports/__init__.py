"""Import survey exports into the survey database: validated, all-or-nothing, idempotent.

``imports.import_files(["wave_2026_03.csv"])`` imports into the configured database.
Formats: the canonical CSV (and its spend and interactions companions), Qualtrics and
SurveyMonkey CSV, Excel ``.xlsx`` and SPSS ``.sav``; see ``docs/import.md``.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from cxresearch.data.imports import convert, mapping, readers, writer
from cxresearch.errors import ImportValidationError

__all__ = ["ImportReport", "import_files", "suggest_mapping"]


@dataclass(frozen=True)
class ImportReport:
    """What happened to one file."""

    path: Path
    source: str
    kind: str
    format: str
    encoding: str
    rows: int
    status: str  # imported | unchanged | validated (dry run)
    replaced: int = 0


def _prepare(path: Path, fmt: str, mapping_file, survey: str | None) -> tuple[writer.Batch, str]:
    raw = readers.read(path, fmt)
    if mapping_file is not None:
        m = mapping.load(mapping_file)
    elif raw.kind != "responses" or set(readers.CANONICAL_RESPONSES[:3]) <= set(raw.frame.columns):
        m = mapping.identity(raw)
    else:
        raise ImportValidationError(
            f"{path}: a {raw.format} file with columns that are not canonical needs a mapping: "
            f"draft one with `cxresearch import --suggest-mapping {path}` and pass it with "
            "--mapping"
        )
    source = survey or m.source or path.stem
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    batch = writer.Batch(
        source=source,
        kind=raw.kind,
        file_name=path.name,
        sha256=digest,
        encoding=raw.encoding,
        rows=len(raw.frame),
    )
    if raw.kind == "responses":
        batch.responses, batch.customers = convert.responses(raw, m, source)
        batch.survey = {
            "name": survey or m.survey.get("name") or source,
            "kind": m.survey.get("kind", "relational"),
        }
        when = batch.responses["responded_at"]
        batch.survey.setdefault("starts_on", when.min().date() if len(when) else None)
        batch.survey.setdefault("ends_on", when.max().date() if len(when) else None)
    elif raw.kind == "spend":
        batch.spend = convert.spend(raw, m)
    else:
        batch.interactions = convert.interactions(raw, m)
    return batch, raw.format


def import_files(
    paths: Sequence[str | Path],
    *,
    fmt: str = "auto",
    mapping_file: str | Path | None = None,
    survey: str | None = None,
    database: str | None = None,
    dry_run: bool = False,
    on_step: Callable[[str], None] | None = None,
) -> list[ImportReport]:
    """Validate every file, then write them all in one transaction.

    Parameters
    ----------
    paths
        Files to import.
    fmt
        ``auto``, ``csv``, ``xlsx``, ``qualtrics``, ``surveymonkey`` or ``spss``.
    mapping_file
        Mapping YAML for files whose columns are not canonical.
    survey
        Survey name, which also names the import source (default: the mapping's
        ``source``, else the file name without extension).
    database
        Database URL (default ``CX_DATABASE_URL`` or ``data/cx.duckdb``).
    dry_run
        Validate and report without writing.
    on_step
        Called with a short description of each step (for progress display).

    Returns
    -------
    list of ImportReport

    Raises
    ------
    ImportValidationError
        For the first file with problems, listing all of its problems; nothing is written.
    """
    step = on_step or (lambda _: None)
    prepared = []
    for path in map(Path, paths):
        step(f"reading and validating {path.name}")
        prepared.append((path, *_prepare(path, fmt, mapping_file, survey)))
    reports, todo = [], []
    for path, batch, found_format in prepared:
        unchanged = writer.already_imported(database, batch.source, batch.sha256)
        status = "validated" if dry_run else ("unchanged" if unchanged else "imported")
        reports.append([path, batch, found_format, status])
        if status == "imported":
            todo.append(batch)
    replaced = {}
    if todo:
        step(f"writing {sum(b.rows for b in todo):,} rows in one transaction")
        t0 = time.perf_counter()
        replaced = writer.write(database, todo)
        step(f"committed in {time.perf_counter() - t0:.1f} s")
    return [
        ImportReport(
            path,
            b.source,
            b.kind,
            fmt_,
            b.encoding,
            b.rows,
            status,
            replaced.get(b.source, 0) if status == "imported" else 0,
        )
        for path, b, fmt_, status in reports
    ]


def suggest_mapping(path: str | Path, fmt: str = "auto") -> str:
    """Draft a mapping YAML for a survey export by recognising its question texts."""
    return mapping.dump(mapping.suggest(readers.read(path, fmt)))
