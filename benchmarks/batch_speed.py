"""24 reports: `cxresearch batch` against a plain loop of papermill + nbconvert commands.

Both render the same 24 parameter sets of `nps_overview` (6 countries x 2 segments x 2
minimum group sizes) from one demo database, in one run. The loop is what a team writes
first: `papermill IN OUT -y PARAMS` then `jupyter nbconvert --to html OUT`, one report after
the other. Prints total times, the ratio, and the per-report overhead (wall time per
report minus the time its cells ran, as papermill records it).

    python benchmarks/batch_speed.py [--workers 2]
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

from cxresearch.data import db, demo
from cxresearch.running import batch

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = ROOT / "notebooks" / "nps_overview.ipynb"
MATRIX = {"country": ["SE", "DK", "FI", "NL", "NO", "DE"], "segment": ["B2B", "B2C"],
          "min_n": [30, 50]}  # fmt: skip


def cell_seconds(ipynb: Path) -> float:
    nb = json.loads(ipynb.read_text())
    return sum((c.get("metadata", {}).get("papermill", {}).get("duration") or 0)
               for c in nb["cells"])  # fmt: skip


def naive(tmp: Path, url: str) -> tuple[float, list[Path]]:
    out = tmp / "naive"
    out.mkdir()
    env = {**os.environ, "CX_DATABASE_URL": url}
    bin_dir = Path(sys.executable).parent
    executed = []
    t0 = time.perf_counter()
    for country, segment, min_n in itertools.product(*MATRIX.values()):
        target = out / f"{country}_{segment}_{min_n}.ipynb"
        params = yaml.safe_dump({"country": [country], "segment": [segment], "min_n": min_n})
        subprocess.run([bin_dir / "papermill", str(NOTEBOOK), str(target), "-y", params,
                        "--cwd", str(NOTEBOOK.parent), "--no-progress-bar"],
                       check=True, env=env, capture_output=True)  # fmt: skip
        subprocess.run([bin_dir / "jupyter", "nbconvert", "--to", "html", str(target)],
                       check=True, env=env, capture_output=True)  # fmt: skip
        executed.append(target)
    return time.perf_counter() - t0, executed


def ours(tmp: Path, url: str, workers: int) -> tuple[float, list[Path]]:
    schedule = {"name": "bench", "reports": [{
        "notebook": "nps_overview",
        "output": str(tmp / "batch" / "{country}_{segment}_{min_n}.html"),
        "matrix": {k: v for k, v in MATRIX.items()},
    }]}  # fmt: skip
    t0 = time.perf_counter()
    plan = batch.plan(schedule, database=url)
    batch.run(plan, workers=workers, force=True)
    elapsed = time.perf_counter() - t0
    failed = [j.label for j in plan.jobs if j.status != "done"]
    assert not failed, failed
    return elapsed, [Path(j.out_dir) / f"{j.name}.ipynb" for j in plan.jobs]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp())
    try:
        url = f"duckdb:///{tmp}/cx.duckdb"
        db.write_tables(url, demo.generate(30_000, seed=5))
        t_batch, batch_nbs = ours(tmp, url, args.workers)
        t_naive, naive_nbs = naive(tmp, url)
        n = len(batch_nbs)
        for label, total, nbs in (("papermill + nbconvert loop", t_naive, naive_nbs),
                                  (f"cxresearch batch ({args.workers} workers)", t_batch,
                                   batch_nbs)):  # fmt: skip
            cells = sum(cell_seconds(p) for p in nbs) / n
            print(
                f"{label:<34} {total:7.1f} s  {total / n:5.2f} s/report  "
                f"cells {cells:4.2f} s/report  overhead {total / n - cells:+5.2f} s/report"
            )
        print(f"reports: {n}; ratio (loop time / batch time): {t_naive / t_batch:.1f}x")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
