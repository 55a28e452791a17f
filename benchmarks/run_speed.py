"""One report: `cxresearch run` against `papermill` + `jupyter nbconvert --to html --no-input`.

All on the same notebook (`nps_overview`, default parameters) and the same demo database
(30,000 responses), in one run. The ways alternate, round after round, so that a load on
the machine falls on all of them alike; the medians are compared. Besides wall time, each
way's CPU seconds are measured over its whole process tree (`getrusage(RUSAGE_CHILDREN)`:
the command, its kernel and the kernel's server, all waited for). `cxresearch run` is
measured with forked kernels (the default) and with `CX_FORK_KERNELS=0` (a kernel started
as a new process, as before).

    python benchmarks/run_speed.py [--rounds 5]
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from cxresearch.data import db, demo

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = ROOT / "notebooks" / "nps_overview.ipynb"
BIN = Path(sys.executable).parent


def children_cpu() -> float:
    """CPU seconds (user + system) of all waited-for descendants so far."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(commands: list[list[str]], env: dict[str, str]) -> tuple[float, float]:
    """Run the commands one after the other; wall and CPU seconds of the whole tree."""
    cpu0, t0 = children_cpu(), time.perf_counter()
    for command in commands:
        subprocess.run(command, check=True, env=env, capture_output=True, cwd=ROOT)
    return time.perf_counter() - t0, children_cpu() - cpu0


def ways(tmp: Path, url: str) -> dict[str, tuple[list[list[str]], dict[str, str]]]:
    env = {**os.environ, "CX_DATABASE_URL": url}
    ours = [str(BIN / "cxresearch"), "run", "nps_overview", "--db", url, "--out", str(tmp)]
    executed = tmp / "peer.ipynb"
    peer = [
        [str(BIN / "papermill"), str(NOTEBOOK), str(executed), "--cwd", str(NOTEBOOK.parent),
         "--no-progress-bar"],
        [str(BIN / "jupyter"), "nbconvert", "--to", "html", "--no-input", str(executed)],
    ]  # fmt: skip
    return {
        "cxresearch run (forked kernel)": ([ours], {**env, "CX_FORK_KERNELS": "1"}),
        "cxresearch run (CX_FORK_KERNELS=0)": ([ours], {**env, "CX_FORK_KERNELS": "0"}),
        "papermill + nbconvert --no-input": (peer, env),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp())
    try:
        url = f"duckdb:///{tmp}/cx.duckdb"
        db.write_tables(url, demo.generate(30_000, seed=5))
        todo = ways(tmp, url)
        wall: dict[str, list[float]] = {k: [] for k in todo}
        cpu: dict[str, list[float]] = {k: [] for k in todo}
        for r in range(args.rounds):
            order = list(todo) if r % 2 == 0 else list(reversed(todo))
            for label in order:
                w, c = timed(*todo[label])
                wall[label].append(w)
                cpu[label].append(c)
                print(f"round {r + 1}: {label:<36} {w:6.2f} s wall {c:6.2f} s CPU", flush=True)
        peer = "papermill + nbconvert --no-input"
        print(f"\nmedians of {args.rounds} alternating rounds, cpus: {os.cpu_count()}, "
              f"load average at the end: {os.getloadavg()[0]:.1f}")  # fmt: skip
        for label in todo:
            w, c = statistics.median(wall[label]), statistics.median(cpu[label])
            pw, pc = statistics.median(wall[peer]), statistics.median(cpu[peer])
            print(f"{label:<36} {w:6.2f} s wall ({pw / w:4.2f}x the peer)  "
                  f"{c:6.2f} s CPU ({pc / c:4.2f}x the peer)")  # fmt: skip
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
