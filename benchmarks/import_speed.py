"""Importing a canonical CSV: `cxresearch import` against DuckDB's own read_csv and pandas.

All three load the same 1,000,000-row file in one run:

- ``cxresearch import``: every check on (types, ranges, vocabularies, duplicates, the file's
  structure and encoding), written to a DuckDB file in one transaction;
- DuckDB's own ``CREATE TABLE ... AS SELECT * FROM read_csv(...)`` into a DuckDB file,
  which checks nothing but the CSV's shape (the target: the import within 1.5x of it);
- ``pandas.read_csv`` + ``DataFrame.to_sql`` into SQLite (the database pandas' to_sql
  reaches without SQLAlchemy), which validates nothing.

Prints wall-clock seconds, rows per second and the ratios; CPU seconds (all threads) are
printed too, since on a shared machine they vary less than wall-clock time. Modules are
imported before any clock starts. ``--repeat N`` runs each way N times and keeps the best.

    python benchmarks/import_speed.py [--rows 1000000] [--repeat 1]
"""

from __future__ import annotations

import argparse
import sqlite3
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import duckdb
import pandas as pd

from cxresearch.data import demo, imports


def make_csv(path: Path, rows: int) -> None:
    tables = demo.generate(rows, seed=9)
    r = tables["responses"].merge(tables["customers"], on="customer_id")
    out = r[
        [
            "response_id",
            "customer_id",
            "responded_at",
            "nps",
            "csat",
            "recommended_last_12m",
            "segment",
            "country",
            "industry",
            "touchpoint",
            "language",
            "comment",
            "weight",
        ]
    ]
    out.to_csv(path, index=False)


def timed(run: Callable[[int], None], repeat: int) -> tuple[float, float]:
    """The best wall-clock and CPU seconds of ``repeat`` runs (``run`` gets the run number)."""
    best_wall, best_cpu = float("inf"), float("inf")
    for i in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        run(i)
        best_wall = min(best_wall, time.perf_counter() - wall)
        best_cpu = min(best_cpu, time.process_time() - cpu)
    return best_wall, best_cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        csv = Path(tmp) / "wave.csv"
        make_csv(csv, args.rows)

        def duckdb_own(i: int) -> None:
            con = duckdb.connect(f"{tmp}/own{i}.duckdb")
            con.execute("SET enable_progress_bar = false")
            con.execute(f"CREATE TABLE responses AS SELECT * FROM read_csv('{csv}')")
            con.close()

        def cxresearch_import(i: int) -> None:
            (report,) = imports.import_files([csv], database=f"duckdb:///{tmp}/cx{i}.duckdb")
            assert report.rows == args.rows and report.status == "imported"

        def naive(i: int) -> None:
            frame = pd.read_csv(csv)
            with sqlite3.connect(Path(tmp) / f"naive{i}.sqlite") as con:
                frame.to_sql("responses", con, index=False)

        own = timed(duckdb_own, args.repeat)
        mine = timed(cxresearch_import, args.repeat)
        pandas_way = timed(naive, args.repeat)
        size = csv.stat().st_size
    print(f"rows: {args.rows:,} ({size / 1e6:.0f} MB CSV), best of {args.repeat}")
    for label, (seconds, cpu) in (
        ("cxresearch import (all checks, DuckDB)", mine),
        ("DuckDB read_csv into a table (no checks)", own),
        ("pandas.read_csv + to_sql (SQLite)", pandas_way),
    ):
        print(
            f"{label:<42} {seconds:6.2f} s  {args.rows / seconds:>10,.0f} rows/s"
            f"  (CPU {cpu:6.2f} s)"
        )
    print(
        f"import / DuckDB read_csv: {mine[0] / own[0]:.2f}x wall-clock, "
        f"{mine[1] / own[1]:.2f}x CPU (target: within 1.5x)"
    )
    print(f"pandas + SQLite / import: {pandas_way[0] / mine[0]:.2f}x wall-clock")


if __name__ == "__main__":
    main()
