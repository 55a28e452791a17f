"""24 reports: `cxresearch batch` against a plain loop of papermill + nbconvert commands.

Both render the same 24 parameter sets of `nps_overview` (6 countries x 2 segments x 2
minimum group sizes) from one demo database, in one run. The loop is what a team writes
first: `papermill IN OUT -y PARAMS` then `jupyter nbconvert --to html OUT`, one report after
the other. `cxresearch batch` runs twice: with forked kernels (the default) and with
`CX_FORK_KERNELS=0` (a warm spare kernel per worker, started as a new process).

Prints total wall times, the ratios, and CPU seconds per report: all the CPU the way used,
over its whole process tree (`getrusage(RUSAGE_SELF)` of this process for the batch's own
planning and index, plus `getrusage(RUSAGE_CHILDREN)`: workers, fork servers, kernels,
commands, all waited for), and that CPU minus the CPU the report's cells used in their
kernel (a copy of the notebook notes the kernel's CPU clock in a first cell and prints the
difference in a last one): the cost of a report beyond its cells, whatever the load.

"Kernel's CPU" is each kernel's own CPU clock at its last cell (for a forked kernel, from
its fork): the cells plus the kernel's start-up and messaging; the rest of "beyond the
cells" is the batch's preload, its workers (Papermill, nbclient, export, records) and
its planning and index.

    python benchmarks/batch_speed.py [--workers 2] [--reports 24] [--skip-started]
        [--skip-loop]
"""

from __future__ import annotations

import argparse
import itertools
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
import yaml

from cxresearch.data import db, demo
from cxresearch.running import batch

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = ROOT / "notebooks" / "nps_overview.ipynb"
MATRIX = {"country": ["SE", "DK", "FI", "NL", "NO", "DE"], "segment": ["B2B", "B2C"],
          "min_n": [30, 50]}  # fmt: skip


START = "import time as _t; _cpu0 = _t.process_time()"
END = "print('cells-cpu', _t.process_time() - _cpu0, 'kernel-cpu', _t.process_time())"


def timed_notebook() -> Path:
    """A copy of the notebook beside it, with its cells' CPU time measured in the kernel.

    A first cell notes the kernel's CPU clock, a last one prints what the cells used, so
    the figure does not depend on how long the report waited for a core.
    """
    nb = nbformat.read(NOTEBOOK, as_version=4)
    nb.cells.insert(0, nbformat.v4.new_code_cell(START, metadata={"tags": ["remove"]}))
    nb.cells.append(nbformat.v4.new_code_cell(END, metadata={"tags": ["remove"]}))
    copy = NOTEBOOK.with_name("_bench_nps_overview.ipynb")
    nbformat.write(nb, copy)
    return copy


def cell_seconds(ipynb: Path, what: str = "cells-cpu") -> float:
    """CPU seconds the report's cells used in their kernel (printed by the last cell).

    ``what="kernel-cpu"``: the kernel's CPU from its start (a forked kernel's clock starts
    at its fork) to the end of its last cell: the cells plus the kernel's own start-up and
    messaging.
    """
    nb = nbformat.read(ipynb, as_version=4)
    text = "".join(o.get("text", "") for o in nb.cells[-1].get("outputs", []))
    return float(text.split(what, 1)[1].split()[0])


def cpu_seconds() -> float:
    """CPU (user + system) of this process and all its waited-for descendants so far."""
    total = 0.0
    for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN):
        usage = resource.getrusage(who)
        total += usage.ru_utime + usage.ru_stime
    return total


#: Minimum group sizes of the reports beyond the 24 (``--reports 48``, ``72``, ...).
MORE_MIN_N = [70, 90, 110, 130]


def combos(reports: int) -> list[tuple]:
    """The first ``reports`` parameter sets: the 24 of :data:`MATRIX`, then more minimum
    group sizes (:data:`MORE_MIN_N`) for the same countries and segments."""
    sets = list(itertools.product(*MATRIX.values()))
    sets += itertools.product(MATRIX["country"], MATRIX["segment"], MORE_MIN_N)
    return sets[:reports]


def naive(tmp: Path, url: str, reports: int, notebook: Path) -> tuple[float, list[Path]]:
    out = tmp / "naive"
    out.mkdir()
    env = {**os.environ, "CX_DATABASE_URL": url}
    bin_dir = Path(sys.executable).parent
    executed = []
    t0 = time.perf_counter()
    for country, segment, min_n in combos(reports):
        target = out / f"{country}_{segment}_{min_n}.ipynb"
        params = yaml.safe_dump({"country": [country], "segment": [segment], "min_n": min_n})
        subprocess.run([bin_dir / "papermill", str(notebook), str(target), "-y", params,
                        "--cwd", str(NOTEBOOK.parent), "--no-progress-bar"],
                       check=True, env=env, capture_output=True)  # fmt: skip
        subprocess.run([bin_dir / "jupyter", "nbconvert", "--to", "html", str(target)],
                       check=True, env=env, capture_output=True)  # fmt: skip
        executed.append(target)
    return time.perf_counter() - t0, executed


def ours(
    tmp: Path, url: str, workers: int, reports: int, fork: str, notebook: Path
) -> tuple[float, list[Path]]:
    schedule = {"name": "bench", "reports": [{
        "notebook": str(notebook),
        "output": str(tmp / f"batch{fork}" / "{country}_{segment}_{min_n}.html"),
        "matrix": {**MATRIX, "min_n": sorted({n for _, _, n in combos(reports)})},
    }]}  # fmt: skip
    os.environ["CX_FORK_KERNELS"] = fork  # the workers inherit it
    t0 = time.perf_counter()
    plan = batch.plan(schedule, database=url)
    keep = {f"{c}_{s}_{n}" for c, s, n in combos(reports)}
    plan.jobs = [j for j in plan.jobs if j.name in keep]
    batch.run(plan, workers=workers, force=True)
    elapsed = time.perf_counter() - t0
    failed = [j.label for j in plan.jobs if j.status != "done"]
    assert not failed, failed
    return elapsed, [Path(j.out_dir) / f"{j.name}.ipynb" for j in plan.jobs]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--reports", type=int, default=24,
                        help="the first N of the 24, or more (up to 72): a batch's fixed "
                             "costs spread over more reports")  # fmt: skip
    parser.add_argument("--skip-started", action="store_true",
                        help="leave out the batch with CX_FORK_KERNELS=0")  # fmt: skip
    parser.add_argument("--skip-loop", action="store_true",
                        help="leave out the papermill + nbconvert loop (4-5 min)")  # fmt: skip
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp())
    notebook = timed_notebook()
    try:
        url = f"duckdb:///{tmp}/cx.duckdb"
        db.write_tables(url, demo.generate(30_000, seed=5))
        results = {}
        ways = (
            (f"cxresearch batch ({args.workers} workers)",
             lambda: ours(tmp, url, args.workers, args.reports, "1", notebook)),
            ("papermill + nbconvert loop", lambda: naive(tmp, url, args.reports, notebook)),
            (f"batch, CX_FORK_KERNELS=0 ({args.workers} w.)",
             lambda: ours(tmp, url, args.workers, args.reports, "0", notebook)),
        )  # fmt: skip
        chosen = [w for i, w in enumerate(ways)
                  if not (args.skip_started and i == 2 or args.skip_loop and i == 1)]  # fmt: skip
        for label, way in chosen:
            cpu0 = cpu_seconds()
            total, nbs = way()
            results[label] = (total, cpu_seconds() - cpu0, nbs)
        loop = results.get("papermill + nbconvert loop", (None,))[0]
        for label, (total, cpu, nbs) in results.items():
            n = len(nbs)
            cells = sum(cell_seconds(p) for p in nbs) / n
            kernel = sum(cell_seconds(p, "kernel-cpu") for p in nbs) / n
            ratio = f"({loop / total:4.1f}x the loop)" if loop else ""
            print(
                f"{label:<36} {total:7.1f} s {ratio}  "
                f"CPU {cpu / n:5.2f} s/report  cells' CPU {cells:4.2f} s/report  "
                f"kernel's CPU {kernel:4.2f} s/report  "
                f"CPU beyond cells {cpu / n - cells:+5.2f} s/report"
            )
        print(f"reports: {args.reports}; cpus: {os.cpu_count()}; "
              f"load average at the end: {os.getloadavg()[0]:.1f}")  # fmt: skip
    finally:
        notebook.unlink(missing_ok=True)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
