"""Shared fixtures: a real DuckDB demo database and real notebook runs."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from cxresearch.data import db, demo
from cxresearch.running import forkserver, runner

ROOT = Path(__file__).resolve().parent.parent
SHARED_FIXTURES = ROOT.parent / "shared" / "fixtures"
MODEL_RESPONSES = 200_000
NOTEBOOKS = sorted(p.stem for p in (ROOT / "notebooks").glob("*.ipynb"))


@pytest.fixture(scope="session", autouse=True)
def kernel_fork_server(request) -> forkserver.ForkServer | None:
    """This test process's kernel fork server, started before any test starts a thread.

    Every report the tests render (``runner.execute``) forks its kernel from it, as
    ``cxresearch run`` does; each pytest-xdist worker has its own. Started only when
    tests that render notebooks (marked ``slow``) were collected.
    """
    if any(item.get_closest_marker("slow") for item in request.session.items):
        return forkserver.shared(wait=False)
    return None


@pytest.fixture(scope="session")
def demo_tables():
    """The demo tables at the size the issue asks the models to be checked on."""
    return demo.generate(MODEL_RESPONSES, seed=7)


@pytest.fixture(scope="session")
def demo_url(tmp_path_factory, demo_tables) -> str:
    path = tmp_path_factory.mktemp("db") / "cx.duckdb"
    return db.write_tables(f"duckdb:///{path}", demo_tables)


@pytest.fixture()
def con(demo_url):
    connection = db.connect(demo_url)
    yield connection
    connection.disconnect()


@pytest.fixture(scope="session")
def small_url(tmp_path_factory) -> str:
    """A small demo database for notebook runs."""
    path = tmp_path_factory.mktemp("small") / "cx.duckdb"
    return db.write_tables(f"duckdb:///{path}", demo.generate(20_000, seed=11))


@pytest.fixture(scope="session")
def rendered(tmp_path_factory, small_url) -> dict[str, runner.RunResult]:
    """Every notebook rendered once, with its default params file."""
    reports = tmp_path_factory.mktemp("reports")
    out = {}
    for name in NOTEBOOKS:
        params_file = ROOT / "params" / name / "default.yaml"
        out[name] = runner.run(name, params_file, out_dir=reports / name, database=small_url)
    return out


@pytest.fixture(scope="session")
def chromium_path() -> str:
    path = os.environ.get("CX_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(path).exists():
        pytest.fail(f"Chromium not found at {path}: run `make system-deps` (make test does)")
    return path
