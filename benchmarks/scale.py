"""Time and peak memory at 1M, 10M and 50M responses: summary table, rows in the engine, pandas.

Two analyses over a DuckDB survey database of the cxresearch schema:

* NPS by segment x month (``cxresearch.stats.metrics.nps`` over ``db.read_responses``), and
* the intent calibration (``cxresearch.stats.models.intent_calibration``: per-score counts of
  who actually recommended, with Wilson intervals).

Three ways: ``summary`` reads the per-day summary (``response_days``, and its per-month
sums ``response_months``, built once after the rows are written, as imports do; its build
time is printed too); ``rows``
aggregates the rows inside DuckDB (``summary.rows_only()``: the join of responses and
customers, then the grouping); the naive way loads the rows it needs (four response
columns and the customers' segment) into pandas, joins and groups there. Each way runs in
its own fresh process, so its peak resident memory is its own; all give the same numbers
(checked: summary against rows to 1e-12, against pandas to 1e-9). Printed: seconds (and the
summary way's CPU seconds), peak RSS (``VmHWM``) and the ratios to the summary way, per size.

    python benchmarks/scale.py [--sizes 1000000 10000000 50000000] [--ways summary rows]
                               [--keep]

The summary way runs ``--repeat`` times (3), each in a fresh process, and its median is
shown: its fraction of a second swings with the load of a shared machine. ``--ways summary
rows`` leaves the pandas way out (at 50M it alone needs about 13 GB of
memory); ``--keep`` keeps each generated database in ``benchmarks/.data/`` and reuses it on
the next run (its summary is rebuilt each time, so the build time is still measured).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve()


def build(path: Path, n: int) -> None:
    """Write ``n`` responses from ``n / 8`` customers with DuckDB's own generator."""
    import duckdb

    from cxresearch.data.schema import TABLES

    # generating 50M rows stays within a few GB (DuckDB's default is 80% of the memory)
    con = duckdb.connect(str(path), config={"memory_limit": "6GB"})
    for name in ("customers", "responses"):
        cols = ", ".join(c.sql("duckdb") for c in TABLES[name].to_sqlglot_column_defs("duckdb"))
        con.execute(f"CREATE TABLE {name} ({cols})")
    customers = max(n // 8, 1)
    con.execute(
        f"""
        INSERT INTO customers (customer_id, segment, country, industry)
        SELECT 'C' || lpad(i::VARCHAR, 9, '0'),
               CASE WHEN random() < 0.3 THEN 'B2B' ELSE 'B2C' END,
               ['SE', 'DK', 'FI', 'NL', 'NO'][1 + (i % 5)::INT], 'retail'
        FROM range({customers}) t(i)
        """
    )
    con.execute(
        f"""
        INSERT INTO responses (response_id, source, customer_id, survey_id, responded_at,
                               touchpoint, language, nps, csat, recommended_last_12m, weight)
        SELECT 'R' || i, 'bench', 'C' || lpad((i % {customers})::VARCHAR, 9, '0'), 1,
               TIMESTAMP '2024-01-01' + to_seconds((random() * 730 * 86400)::BIGINT),
               'relationship', 'sv', s, 1 + (s // 2.5)::TINYINT,
               CASE WHEN random() < s / 20.0 THEN 'yes'
                    WHEN random() < 0.1 THEN 'unknown' ELSE 'no' END,
               1.0
        FROM (SELECT i, floor(random() * 11)::TINYINT AS s FROM range({n}) t(i))
        """
    )
    con.close()


def build_summary(path: Path) -> float:
    """Build the per-day summary as an import does, in one transaction; seconds taken."""
    from cxresearch.data import sqlsession, summary

    t0 = time.perf_counter()
    session = sqlsession.DuckDBSession(str(path))
    try:
        session.execute("BEGIN TRANSACTION")
        summary.refresh(session)
        session.execute("COMMIT")
    finally:
        session.close()
    return time.perf_counter() - t0


def engine(path: str, *, rows: bool = False) -> dict:
    import contextlib

    from cxresearch.data import db, summary
    from cxresearch.stats import metrics, models

    con = db.connect(f"duckdb:///{path}")
    responses = db.read_responses(con)
    with summary.rows_only() if rows else contextlib.nullcontext():
        nps = metrics.nps(responses, by=["segment", "month"])
        calibration = models.intent_calibration(responses)
    con.disconnect()
    return _summary(nps, calibration)


def pandas_first(path: str) -> dict:
    import duckdb
    import pandas as pd

    from cxresearch.stats import intervals

    con = duckdb.connect(path, read_only=True)
    responses = con.execute(
        "SELECT customer_id, responded_at, nps, recommended_last_12m FROM responses"
    ).df()
    customers = con.execute("SELECT customer_id, segment FROM customers").df()
    con.close()
    rows = responses.merge(customers, on="customer_id")
    rows["month"] = rows["responded_at"].dt.to_period("M").dt.to_timestamp()
    rows["promoter"] = rows["nps"] >= 9
    rows["detractor"] = rows["nps"] <= 6
    g = rows.groupby(["segment", "month"])
    counts = g.agg(n=("nps", "size"), promoters=("promoter", "sum"),
                   detractors=("detractor", "sum")).reset_index()  # fmt: skip
    est, se, low, high = intervals.nps_interval(
        counts["promoters"], counts["detractors"], counts["n"]
    )
    nps = counts.assign(estimate=est, ci_low=low, ci_high=high)
    rows["yes"] = rows["recommended_last_12m"] == "yes"
    rows["no"] = rows["recommended_last_12m"] == "no"
    per = rows.groupby("nps").agg(yes=("yes", "sum"), no=("no", "sum")).reset_index()
    est, se, low, high = intervals.wilson(per["yes"], per["yes"] + per["no"])
    calibration = pd.DataFrame({"score": per["nps"], "estimate": est})
    return _summary(nps, calibration)


def _summary(nps, calibration) -> dict:
    nps = nps.sort_values(["segment", "month"])
    return {
        "groups": len(nps),
        "nps_sum": float(nps["estimate"].sum()),
        "nps": [float(v) for v in nps["estimate"]],
        "calibration": [round(float(v), 12) for v in calibration.sort_values("score")["estimate"]],
    }


def _peak_mb() -> float:
    """This process's own peak resident memory (MB).

    ``VmHWM`` of ``/proc/self/status``, not ``ru_maxrss``: on Linux a child started by
    ``subprocess`` inherits in ``ru_maxrss`` the peak of the parent it was forked from (here
    the parent that built the summary, over 1 GB at 50M), which made every way look as
    large as the parent.
    """
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(way: str, path: str, warm: str) -> None:
    # imports are not part of the measurement: both ways get theirs loaded first
    import duckdb  # noqa: F401
    import ibis.backends.duckdb  # noqa: F401
    import pandas  # noqa: F401

    import cxresearch.data.db  # noqa: F401
    import cxresearch.stats.metrics  # noqa: F401
    import cxresearch.stats.models  # noqa: F401

    ways = {"summary": engine, "rows": lambda p: engine(p, rows=True), "pandas": pandas_first}
    # first-use costs (Ibis builds its compilers on the first expression) are paid on a
    # 1,000-response database before the clock starts, as a report's earlier cells would
    ways[way](warm)
    base = _peak_mb()
    t0, c0 = time.perf_counter(), time.process_time()
    result = ways[way](path)
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    print(json.dumps({"seconds": seconds, "cpu": cpu, "peak_mb": _peak_mb(), "base_mb": base,
                      "result": result}))  # fmt: skip


WAYS = ("summary", "rows", "pandas")


def measure(way: str, path: Path, warm: Path) -> dict:
    proc = subprocess.run(
        [sys.executable, str(HERE), "--child", way, str(path), str(warm)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+",
                        default=[1_000_000, 10_000_000, 50_000_000])  # fmt: skip
    parser.add_argument("--ways", nargs="+", choices=WAYS, default=list(WAYS),
                        help="ways to measure (the summary way always runs)")  # fmt: skip
    parser.add_argument("--keep", action="store_true",
                        help="keep databases in benchmarks/.data/ and reuse them")  # fmt: skip
    parser.add_argument("--repeat", type=int, default=3,
                        help="fresh processes for the summary way (median shown)")  # fmt: skip
    parser.add_argument("--child", nargs=3, metavar=("WAY", "PATH", "WARM"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    print(f"{os.cpu_count()} cores; each figure from a fresh process; peak = its resident memory")
    print(
        f"{'responses':>11} {'build s':>7} | {'summary s':>9} {'cpu s':>6} {'rows s':>7} "
        f"{'pandas s':>8} {'rows':>7} {'pandas':>7} | {'summary MB':>10} {'rows MB':>7} "
        f"{'pandas MB':>9} {'rows':>5} {'pandas':>6}"
    )
    scratch = HERE.parent / ".data"  # git-ignored
    scratch.mkdir(exist_ok=True)
    ways = ["summary", *(w for w in WAYS[1:] if w in args.ways)]
    with tempfile.TemporaryDirectory(dir=scratch) as tmp:
        warm = Path(tmp) / "warm.duckdb"
        build(warm, 1000)
        build_summary(warm)
        for n in args.sizes:
            path = (scratch if args.keep else Path(tmp)) / f"scale_{n}.duckdb"
            if not (args.keep and path.exists()):
                path.unlink(missing_ok=True)
                build(path, n)
            built = build_summary(path)
            got = {way: measure(way, path, warm) for way in ways[1:]}
            runs = sorted((measure("summary", path, warm) for _ in range(args.repeat)),
                          key=lambda run: run["seconds"])  # fmt: skip
            got["summary"] = runs[len(runs) // 2]
            a = got["summary"]
            for way, tolerance in (("rows", 1e-12), ("pandas", 1e-9)):
                if way in got:
                    _agree(a["result"], got[way]["result"], tolerance)
            print(_line(n, built, got), flush=True)
            seconds = ", ".join(format(r["seconds"], ".3f") for r in runs)
            print(f"{'':>11} summary runs (s): {seconds}", flush=True)
            if not args.keep:
                path.unlink()


def _line(n: int, built: float, got: dict) -> str:
    """One row of the table; ``-`` for a way left out."""
    s, mb = got["summary"]["seconds"], got["summary"]["peak_mb"]

    def way(name: str, fmt: str, key: str, scale: float) -> tuple[str, str]:
        if name not in got:
            return "-", "-"
        value = got[name][key]
        return format(value, fmt), format(value / scale, ".1f" if key == "peak_mb" else ".0f") + "x"

    (rs, rr), (bs, br) = way("rows", ".2f", "seconds", s), way("pandas", ".2f", "seconds", s)
    (rm, rmr), (bm, bmr) = way("rows", ",.0f", "peak_mb", mb), way("pandas", ",.0f", "peak_mb", mb)
    return (
        f"{n:>11,} {built:>7.2f} | {s:>9.3f} {got['summary']['cpu']:>6.3f} {rs:>7} {bs:>8} "
        f"{rr:>7} {br:>7} | {mb:>10,.0f} {rm:>7} {bm:>9} {rmr:>5} {bmr:>6}"
    )


def _agree(a: dict, b: dict, tolerance: float) -> None:
    """Raise unless two ways gave the same groups, NPS and calibration."""
    assert a["groups"] == b["groups"], "the ways disagree on the groups"
    pairs = [*zip(a["nps"], b["nps"], strict=True),
             *zip(a["calibration"], b["calibration"], strict=True)]  # fmt: skip
    worst = max(abs(x - y) for x, y in pairs)
    assert worst < tolerance, f"the ways disagree by {worst:.2e}"


if __name__ == "__main__":
    main()
