"""Where the summary way of ``scale.py`` spends its time, step by step (wall and CPU ms).

The steps of one report start answered from the per-day summary: connecting
(``db.connect``), ``db.read_responses`` (table schemas, the Ibis join), the check that the
summary is current (``summary.usable``), the NPS query and the intent query over the
summary, the typing of their results (``PandasData.convert_table``), the rest of
``metrics.nps`` and ``models.intent_calibration`` (intervals, small-group rules) and
``disconnect``. Each round opens a new connection (a new DuckDB instance, as a fresh
process would); the first round on a 1,000-response database pays Ibis's first-use costs.
Medians over the rounds; CPU time counts DuckDB's threads too, and varies less than wall
time on a shared machine.

    python benchmarks/summary_steps.py DATABASE.duckdb [--rounds 11]

``DATABASE`` is a database ``scale.py --keep`` left in ``benchmarks/.data/``.
"""

from __future__ import annotations

import argparse
import collections
import statistics
import tempfile
import time
from pathlib import Path

import scale
from ibis.formats.pandas import PandasData

from cxresearch.data import db, summary
from cxresearch.stats import metrics, models

STEPS = ("connect", "read_responses", "usable check", "nps query", "intent query",
         "convert_table", "nps()", "intent_calibration()", "disconnect", "total")  # fmt: skip
_spent: dict[str, list[float]] = collections.defaultdict(lambda: [0.0, 0.0])


def _clock() -> tuple[float, float]:
    return time.perf_counter(), time.process_time()


def _add(step: str, start: tuple[float, float]) -> None:
    wall, cpu = _clock()
    _spent[step][0] += wall - start[0]
    _spent[step][1] += cpu - start[1]


def _timed(step_of, fn):
    def timed(*args):
        start = _clock()
        try:
            return fn(*args)
        finally:
            _add(step_of(*args), start)

    return timed


def _query_step(con, sql: str) -> str:
    if "max(responses)" in sql:
        return "usable check"
    return "intent query" if "recommended IN" in sql or "'yes'" in sql else "nps query"


def one_round(path: Path) -> None:
    """The summary way of ``scale.py`` with a clock on each step."""
    start = _clock()
    con = db.connect(f"duckdb:///{path}")
    _add("connect", start)
    start = _clock()
    responses = db.read_responses(con)
    _add("read_responses", start)
    start = _clock()
    metrics.nps(responses, by=["segment", "month"])
    _add("nps()", start)
    start = _clock()
    models.intent_calibration(responses)
    _add("intent_calibration()", start)
    start = _clock()
    con.disconnect()
    _add("disconnect", start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("database", type=Path)
    parser.add_argument("--rounds", type=int, default=11)
    args = parser.parse_args()
    summary._fetch = _timed(_query_step, summary._fetch)
    convert = _timed(lambda *_: "convert_table", PandasData.convert_table)
    PandasData.convert_table = staticmethod(convert)
    with tempfile.TemporaryDirectory() as tmp:
        warm = Path(tmp) / "warm.duckdb"
        scale.build(warm, 1000)
        scale.build_summary(warm)
        one_round(warm)
    rounds = []
    for _ in range(args.rounds):
        _spent.clear()
        start = _clock()
        one_round(args.database)
        _add("total", start)
        rounds.append({step: tuple(v) for step, v in _spent.items()})
    print(f"{'step':<22} {'wall ms':>8} {'cpu ms':>8}  (median of {args.rounds} rounds)")
    for step in STEPS:
        wall, cpu = (statistics.median(r.get(step, (0.0, 0.0))[i] for r in rounds) * 1000
                     for i in (0, 1))  # fmt: skip
        print(f"{step:<22} {wall:>8.1f} {cpu:>8.1f}")


if __name__ == "__main__":
    main()
