"""Import survey exports into the survey database: validated, all-or-nothing, idempotent.

``imports.import_files(["wave_2026_03.csv"])`` imports into the configured database.
Formats: the canonical CSV (and its spend and interactions companions), Qualtrics and
SurveyMonkey CSV, Excel ``.xlsx`` and SPSS ``.sav``; see ``docs/import.md``.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from cxresearch.data import sqlsession, urls
from cxresearch.data.imports import convert, mapping, readers, staging, writer
from cxresearch.errors import DatabaseError, ImportValidationError

__all__ = ["ImportReport", "import_files", "suggest_mapping"]


@dataclass(frozen=True)
class ImportReport:
    """What happened to one file.

    ``status`` is ``imported`` (new rows), ``replaced`` (an earlier import of this file
    replaced), ``unchanged`` (this content with this mapping is already in the database)
    or ``validated`` (a dry run). ``warnings`` names each column of the file that the
    mapping left unused.
    """

    path: Path
    source: str
    kind: str
    format: str
    encoding: str
    rows: int
    status: str
    replaced: int = 0
    warnings: tuple[str, ...] = ()


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _file_sha256(path: Path) -> str:
    """The SHA-256 of a file's content, read in blocks (hashing releases the GIL)."""
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def _load_mapping(path: Path, raw: readers.RawTable, mapping_file) -> mapping.Mapping:
    if mapping_file is not None:
        return mapping.load(mapping_file)
    if raw.kind != "responses" or set(readers.CANONICAL_RESPONSES[:3]) <= set(raw.frame.columns):
        return mapping.identity(raw)
    raise ImportValidationError(
        f"{path}: a {raw.format} file with columns that are not canonical needs a mapping: "
        f"draft one with `cxresearch import --suggest-mapping {path}` and pass it with "
        "--mapping"
    )


def _unused_problems(path: Path, columns, strict: bool) -> tuple[str, ...]:
    """Warnings for the columns a mapping leaves unused; with ``strict``, an error."""
    unused = tuple(
        f"{path}: column {c!r} is not used by the mapping (map it, or list it under ignore:)"
        for c in columns
    )
    if unused and strict:
        raise ImportValidationError("\n".join(["--strict: nothing was imported:", *unused]))
    return unused


def _batch(path: Path, kind: str, encoding: str, rows: int, source: str, mapping_bytes: bytes,
           survey: str | None, sha256: Future | None = None) -> writer.Batch:  # fmt: skip
    return writer.Batch(
        source=source,
        kind=kind,
        file_name=path.name,
        file_path=str(path.resolve()),
        sha256=sha256.result() if sha256 is not None else _file_sha256(path),
        mapping_sha256=_sha256(mapping_bytes + b"\0" + (survey or "").encode()),
        encoding=encoding,
        rows=rows,
    )


class StagingArea:
    """The DuckDB session in which canonical files are staged and then written.

    Opened at the first file the staging path reads: on the database file when it exists
    (so the write reads the staged tables in the same connection), otherwise in memory
    with the file attached only when writing (nothing creates it before then).
    """

    def __init__(self, database: str | None) -> None:
        self.path = urls.duckdb_path(urls.database_url(database))
        self.session: sqlsession.DuckDBSession | None = None
        self.staged = 0

    def connection(self):
        """The session's DuckDB connection; ``None`` if the database cannot be opened."""
        if self.session is None:
            try:
                if self.path.exists():
                    self.session = sqlsession.DuckDBSession(self.path)
                else:
                    self.session = sqlsession.DuckDBSession(self.path, defer=True)
            except DatabaseError:
                return None  # the per-column path runs and the write reports the error
        return self.session.connection

    def close(self) -> None:
        """Close the session (its staged tables go with it)."""
        if self.session is not None:
            self.session.close()
            self.session = None


def _prepare_staged(
    path: Path, fmt: str, survey: str | None, strict: bool, area: StagingArea
) -> tuple[writer.Batch, str, tuple[str, ...]] | None:
    """A canonical responses CSV checked and typed in DuckDB (see :mod:`.staging`).

    ``None`` when the file is not one the staging path reads, the target is not DuckDB, or
    a check fails: the per-column path then reads the file and names every problem.
    """
    if area.path is None:
        return None
    head = staging.header(path, fmt)
    if head is None:
        return None
    con = area.connection()
    if con is None:
        return None
    source = survey or path.stem
    area.staged += 1
    with ThreadPoolExecutor(1) as pool:  # the file's SHA-256 while DuckDB reads it
        sha256 = pool.submit(_file_sha256, path)
        staged = staging.stage_in(con, head, source, str(area.staged))
    if staged is None:
        return None
    unused = _unused_problems(path, head.unused, strict)
    batch = _batch(path, "responses", head.encoding, staged.rows, source, b"", survey, sha256)
    batch.staged = staged.sql
    batch.survey = {
        "name": survey or source,
        "kind": "relational",
        "starts_on": staged.starts_on,
        "ends_on": staged.ends_on,
    }
    return batch, "csv", unused


def _prepare(
    path: Path, fmt: str, mapping_file, survey: str | None, strict: bool, area: StagingArea
) -> tuple[writer.Batch, str, tuple[str, ...]]:
    if mapping_file is None:
        staged = _prepare_staged(path, fmt, survey, strict, area)
        if staged is not None:
            return staged
    raw = readers.read(path, fmt)
    m = _load_mapping(path, raw, mapping_file)
    unused = _unused_problems(
        path, m.unused(raw) if raw.kind == "responses" else convert.unused(raw), strict
    )
    mapping_bytes = Path(mapping_file).read_bytes() if mapping_file is not None else b""
    source = survey or m.source or path.stem
    batch = _batch(path, raw.kind, raw.encoding, len(raw.frame), source, mapping_bytes, survey)
    if raw.kind == "responses":
        batch.responses, batch.customers, batch.ratings = convert.responses(raw, m, batch.source)
        batch.survey = {
            "name": survey or m.survey.get("name") or batch.source,
            "kind": m.survey.get("kind", "relational"),
        }
        when = batch.responses["responded_at"]
        batch.survey.setdefault("starts_on", when.min().date() if len(when) else None)
        batch.survey.setdefault("ends_on", when.max().date() if len(when) else None)
    elif raw.kind == "customers":
        batch.customers = convert.customers(raw, m)
    else:
        batch.frame = convert.TABLE_READERS[raw.kind](raw, m)
    return batch, raw.format, unused


def _same_file(log, batch: writer.Batch):
    """Log rows of earlier imports of this file (by path; by name for old log rows)."""
    by_path = log["file_path"] == batch.file_path
    by_name = log["file_path"].isna() & (log["file_name"] == batch.file_name)
    return log[(by_path | by_name) & (log["kind"] == batch.kind)]


def _assign_sources(log, batches: list[writer.Batch]) -> list[str]:
    """Give each file its own source and decide its status.

    A file keeps the source it was imported under before (so a corrected file or a changed
    mapping replaces its own rows). A new file takes the requested name unless another
    file holds it, then ``name:file_name`` (with a counter if that is taken too): two
    files never replace each other's rows.
    """
    taken = set(log["source"])
    statuses = []
    seen: set[tuple[str, str]] = set()
    for batch in batches:
        fingerprint = (batch.sha256, batch.mapping_sha256)
        same = log[(log["sha256"] == batch.sha256) & (log["mapping_sha256"] == fingerprint[1])]
        if fingerprint in seen or len(same):
            statuses.append("unchanged")
            if len(same):
                batch.source = str(same["source"].iloc[0])
            seen.add(fingerprint)
            continue
        seen.add(fingerprint)
        earlier = _same_file(log, batch)
        earlier = earlier[
            (earlier["source"] == batch.source)
            | earlier["source"].str.startswith(batch.source + ":")
        ]
        if len(earlier):
            batch.source = str(earlier["source"].iloc[0])
            statuses.append("imported")
            continue
        name, n = batch.source, 1
        while batch.source in taken:
            n += 1
            batch.source = f"{name}:{batch.file_name}" + (f":{n - 1}" if n > 2 else "")
        taken.add(batch.source)
        statuses.append("imported")
    return statuses


def import_files(
    paths: Sequence[str | Path],
    *,
    fmt: str = "auto",
    mapping_file: str | Path | None = None,
    survey: str | None = None,
    database: str | None = None,
    dry_run: bool = False,
    strict: bool = False,
    on_step: Callable[[str], None] | None = None,
) -> list[ImportReport]:
    """Validate every file, then write them all in one transaction.

    Parameters
    ----------
    paths
        Files to import: responses, customers, spend, interactions or agent ratings,
        recognised by their columns (see ``docs/import.md``).
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
    strict
        Refuse a file with a column the mapping leaves unused (default: a warning).
    on_step
        Called with a short description of each step (for progress display).

    Returns
    -------
    list of ImportReport

    Raises
    ------
    ImportValidationError
        For the first file with problems, listing all of its problems; nothing is written.

    Notes
    -----
    The import log keys on each file: its content's SHA-256 and its mapping's (the mapping
    file's bytes and ``survey``). The same file with the same mapping is ``unchanged``; the
    same file (same path) with new content or a changed mapping replaces the rows it
    imported before; every other file adds rows under a source of its own.
    """
    step = on_step or (lambda _: None)
    prepared = []
    area = StagingArea(database)
    try:
        for path in map(Path, paths):
            step(f"reading and validating {path.name}")
            prepared.append((path, *_prepare(path, fmt, mapping_file, survey, strict, area)))
        statuses = _assign_sources(writer.read_log(database), [b for _, b, _, _ in prepared])
        todo = [b for (_, b, _, _), s in zip(prepared, statuses, strict=True) if s != "unchanged"]
        replaced = {}
        if todo and not dry_run:
            step(f"writing {sum(b.rows for b in todo):,} rows in one transaction")
            t0 = time.perf_counter()
            replaced = writer.write(database, todo, area.session)
            step(f"committed in {time.perf_counter() - t0:.1f} s")
    finally:
        area.close()
    return [
        ImportReport(
            path,
            b.source,
            b.kind,
            fmt_,
            b.encoding,
            b.rows,
            "validated" if dry_run else status,
            replaced.get(b.source, 0) if status != "unchanged" else 0,
            unused,
        )
        for (path, b, fmt_, unused), status in zip(prepared, statuses, strict=True)
    ]


def suggest_mapping(path: str | Path, fmt: str = "auto") -> str:
    """Draft a mapping YAML for a survey export: canonical names first, guesses marked."""
    return mapping.dump(mapping.suggest(readers.read(path, fmt)))
