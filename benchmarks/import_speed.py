"""Importing a canonical CSV: `cxresearch import` against pandas.read_csv + DataFrame.to_sql.

Both load the same 1,000,000-row file in one run; the naive way writes to SQLite (the
database pandas' to_sql reaches without SQLAlchemy) and validates nothing, while the
import decodes, validates every cell and writes to DuckDB in one transaction. Prints rows
per second and the ratio.

    python benchmarks/import_speed.py [--rows 1000000]
"""

from __future__ import annotations

import argparse
import sqlite3
import tempfile
import time
from pathlib import Path

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        csv = Path(tmp) / "wave.csv"
        make_csv(csv, args.rows)
        t0 = time.perf_counter()
        (report,) = imports.import_files([csv], database=f"duckdb:///{tmp}/cx.duckdb")
        t_import = time.perf_counter() - t0
        assert report.rows == args.rows
        t0 = time.perf_counter()
        frame = pd.read_csv(csv)
        with sqlite3.connect(Path(tmp) / "naive.sqlite") as con:
            frame.to_sql("responses", con, index=False)
        t_naive = time.perf_counter() - t0
        size = csv.stat().st_size
    print(f"rows: {args.rows:,} ({size / 1e6:.0f} MB CSV)")
    for label, seconds in (
        ("cxresearch import (validated, DuckDB)", t_import),
        ("pandas.read_csv + to_sql (SQLite)", t_naive),
    ):
        print(f"{label:<38} {seconds:6.2f} s  {args.rows / seconds:>10,.0f} rows/s")
    print(f"ratio (naive time / import time): {t_naive / t_import:.2f}x")


if __name__ == "__main__":
    main()
