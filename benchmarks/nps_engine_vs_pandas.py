"""NPS by segment: aggregated inside DuckDB (cxresearch.stats.metrics) against pandas.

The naive way loads the rows into pandas first and groups there. Both are measured in one
run on the same DuckDB file, best of three, and the ratio is printed.

    python benchmarks/nps_engine_vs_pandas.py [--sizes 1000000 10000000]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import ibis
import pandas as pd

from cxresearch.stats import intervals, metrics


def build(path: Path, n: int) -> None:
    """Write `n` synthetic responses (segment, nps) with DuckDB's own generator."""
    con = ibis.duckdb.connect(str(path))
    con.raw_sql(
        f"""
        CREATE OR REPLACE TABLE responses AS
        SELECT i AS response_id,
               CASE WHEN random() < 0.3 THEN 'B2B' ELSE 'B2C' END AS segment,
               CAST(floor(random() * 11) AS TINYINT) AS nps
        FROM range({n}) t(i)
        """
    )
    con.disconnect()


def engine_side(con) -> pd.DataFrame:
    return metrics.nps(con.table("responses"), by="segment")


def pandas_first(con) -> pd.DataFrame:
    rows = con.table("responses").to_pandas()
    g = rows.groupby("segment")["nps"]
    counts = pd.DataFrame(
        {
            "n": g.size(),
            "promoters": g.apply(lambda s: (s >= 9).sum()),
            "detractors": g.apply(lambda s: (s <= 6).sum()),
        }
    ).reset_index()
    est, se, low, high = intervals.nps_interval(
        counts["promoters"], counts["detractors"], counts["n"]
    )
    return counts.assign(estimate=est, std_error=se, ci_low=low, ci_high=high)


def best_of(fn, con, repeat: int = 3) -> tuple[float, pd.DataFrame]:
    best, out = float("inf"), None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn(con)
        best = min(best, time.perf_counter() - t0)
    return best, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000_000, 10_000_000])
    args = parser.parse_args()
    print(f"{'responses':>12} {'engine (s)':>11} {'pandas (s)':>11} {'ratio':>7}")
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.sizes:
            path = Path(tmp) / f"bench_{n}.duckdb"
            build(path, n)
            con = ibis.duckdb.connect(str(path), read_only=True)
            t_engine, a = best_of(engine_side, con)
            t_pandas, b = best_of(pandas_first, con)
            diff = (a.set_index("segment")["estimate"] - b.set_index("segment")["estimate"]).abs()
            assert diff.max() < 1e-12, "the two ways disagree"
            print(f"{n:>12,} {t_engine:>11.3f} {t_pandas:>11.3f} {t_pandas / t_engine:>6.1f}x")
            con.disconnect()


if __name__ == "__main__":
    main()
