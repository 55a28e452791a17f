"""Shared fixtures: a real DuckDB demo database and real notebook runs.

The demo databases are built once per test run, whatever the number of xdist workers, and
each worker gets its own copy of the file (copying a DuckDB file is cheap; building the
200,000-response database is not). Notebook renders are shared through :class:`Renders`:
a report is rendered the first time a test asks for it and reused by every later test, in
any worker. ``demo_database`` hands each test its own copy of a small demo database.
"""

from __future__ import annotations

import fcntl
import os
import pickle
import shutil
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

import pytest

from cxresearch.data import db, demo
from cxresearch.running import forkserver, runner

ROOT = Path(__file__).resolve().parent.parent
SHARED_FIXTURES = ROOT.parent / "shared" / "fixtures"
MODEL_RESPONSES = 200_000
NOTEBOOKS = sorted(p.stem for p in (ROOT / "notebooks").glob("*.ipynb"))


#: Fixtures that make every test using them ``slow``: the 200,000-response demo data (a
#: minute or more to build) and the demo database and reports that notebook runs use.
SLOW_FIXTURES = frozenset(
    {"demo_tables", "demo_url", "con", "small_url", "rendered", "hostile_comments"}
)


#: The work units ``make test`` (``--dist loadgroup``) hands out first, longest first: a
#: unit is a test module, or a test marked with an ``xdist_group`` of its own because it
#: shares nothing with its module. The run then ends on short tests, instead of on one
#: worker alone in a long module while the other idles. Seconds in a whole run on 2
#: workers on a 2-core machine loaded by other work (load 4 to 10), 2026-12-06. Units not
#: listed follow: those with a ``slow`` test first, then the rest.
LONGEST_FIRST = (
    "test_spark",  # a Spark session, the data in Parquet and DuckDB, two renders: 590 s
    "test_summary",  # 2 x 30 random cases against the rows, one on PostgreSQL: 380 s
    "spark_cli",  # `demo-data` and `run` on a lake: two JVMs: 300 s
    "batch_failures",  # two 12-report batches, one with a hanging report: 265 s
    "test_postgres",  # a server, the data, renders and command-line runs: 260 s
    "test_secrets_battery",  # 14 commands: 190 s
    "test_kernels",  # 180 s
    "faults_sigkill",  # 155 s
    "test_analyses",  # the 200,000-response data built, then models: 150 s
    "batch_pdf",  # 140 s
    "test_summary_update",  # 130 s
    "faults_sigterm",  # 130 s
    "test_batch",  # 125 s
    "test_faults",  # 120 s
    "faults_timeout",  # 55 s
    "batch_dask",  # 45 s
)


def _unit(item: pytest.Item) -> str:
    """The item's ``xdist_group``; its module's name when it has none."""
    mark = item.get_closest_marker("xdist_group")
    if mark is not None:
        return str(mark.args[0] if mark.args else mark.kwargs.get("name", "default"))
    return Path(item.nodeid.split("::")[0]).stem


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark ``slow`` every test that uses a :data:`SLOW_FIXTURES` fixture, before ``-m`` runs.

    Under ``--dist loadgroup`` a test without an ``xdist_group`` joins its module's group
    (its module's fixtures are set up once, on one worker), and the groups are ordered
    :data:`LONGEST_FIRST` (xdist hands them out in collection order with
    ``--no-loadscope-reorder``).
    """
    for item in items:
        if SLOW_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)
    if not getattr(config.option, "loadgroup", False):
        return
    units = {}
    for item in items:
        unit = _unit(item)
        if item.get_closest_marker("xdist_group") is None:
            item.add_marker(pytest.mark.xdist_group(unit))
        units.setdefault(unit, []).append(item)

    def rank(unit: str) -> int:
        if unit in LONGEST_FIRST:
            return LONGEST_FIRST.index(unit)
        slow = any(item.get_closest_marker("slow") for item in units[unit])
        return len(LONGEST_FIRST) + (0 if slow else 1)

    order = sorted(units, key=rank)  # stable: collection order within a rank
    items[:] = [item for unit in order for item in units[unit]]


def shared_folder(tmp_path_factory) -> Path:
    """A folder every xdist worker of this test run sees (the run's own base folder alone)."""
    base = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        base = base.parent  # the folder every worker's base folder sits in
    folder = base / "shared"
    folder.mkdir(exist_ok=True)
    return folder


def shared_file(
    tmp_path_factory, name: str, make: Callable[[Path], None], *, lock: str | None = None
) -> Path:
    """A file made once per test run and shared by every xdist worker.

    ``make(path)`` writes it; the first worker to ask makes it while the others wait. Files
    made under the same ``lock`` name are made one at a time (default: one lock a file).
    """
    path = shared_folder(tmp_path_factory) / name
    with (path.parent / f"{lock or name}.lock").open("w") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        try:
            if not path.exists():
                partial = path.with_name(f"partial-{name}")
                make(partial)
                partial.rename(path)
        finally:
            fcntl.flock(held, fcntl.LOCK_UN)
    return path


def shared_database(tmp_path_factory, name: str, tables: Callable[[], dict]) -> str:
    """This worker's own copy of a demo database built once per test run."""

    def make(path: Path) -> None:
        db.write_tables(f"duckdb:///{path}", tables())

    master = shared_file(tmp_path_factory, f"{name}.duckdb", make)
    mine = tmp_path_factory.mktemp(name) / "cx.duckdb"
    shutil.copyfile(master, mine)
    return f"duckdb:///{mine}"


def _model_tables(tmp_path_factory) -> dict:
    """The 200,000-response demo tables, generated once per test run."""

    def make(path: Path) -> None:
        path.write_bytes(pickle.dumps(demo.generate(MODEL_RESPONSES, seed=7)))

    return pickle.loads(shared_file(tmp_path_factory, "demo_tables.pickle", make).read_bytes())


@pytest.fixture(scope="session", autouse=True)
def kernel_fork_server(request) -> forkserver.ForkServer | None:
    """This test process's kernel fork server, started before any test starts a thread.

    Every report the tests render (``runner.execute``) forks its kernel from it, as
    ``cxresearch run`` does; each pytest-xdist worker has its own. Started only when
    tests that render notebooks (marked ``slow``) were collected.
    """
    if any(item.get_closest_marker("slow") for item in request.session.items):
        return forkserver.shared(wait=False, code=forkserver.PRELOAD_BATCH)
    return None


@pytest.fixture(scope="session")
def demo_tables(tmp_path_factory):
    """The demo tables at the size the issue asks the models to be checked on."""
    return _model_tables(tmp_path_factory)


@pytest.fixture(scope="session")
def demo_url(tmp_path_factory) -> str:
    """This worker's copy of a database holding :func:`demo_tables`."""
    return shared_database(tmp_path_factory, "db", lambda: _model_tables(tmp_path_factory))


@pytest.fixture()
def con(demo_url):
    connection = db.connect(demo_url)
    yield connection
    connection.disconnect()


@pytest.fixture(scope="session")
def small_url(tmp_path_factory) -> str:
    """A small demo database for notebook runs."""
    return shared_database(tmp_path_factory, "small", lambda: demo.generate(20_000, seed=11))


class Renders(Mapping):
    """Every notebook rendered with its default params file, each the first time it is asked for.

    A report is rendered once per test run, by the first xdist worker that asks for it,
    into ``<shared folder>/reports/<notebook>/default.html`` with one ``index.html`` beside
    them, as :func:`cxresearch.running.runner.run` writes them; renders take turns so that
    the index lists every report. Tests read these files and never change them.
    """

    def __init__(self, tmp_path_factory, database: str) -> None:
        self._factory, self._database = tmp_path_factory, database
        self._done: dict[str, runner.RunResult] = {}

    def __getitem__(self, name: str) -> runner.RunResult:
        if name not in NOTEBOOKS:
            raise KeyError(name)
        if name not in self._done:
            folder = shared_folder(self._factory) / "reports" / name

            def make(path: Path) -> None:
                params_file = ROOT / "params" / name / "default.yaml"
                result = runner.run(name, params_file, out_dir=folder, database=self._database)
                path.write_bytes(pickle.dumps(result))

            done = shared_file(self._factory, f"render-{name}.pickle", make, lock="renders")
            self._done[name] = pickle.loads(done.read_bytes())
        return self._done[name]

    def __iter__(self) -> Iterator[str]:
        return iter(NOTEBOOKS)

    def __len__(self) -> int:
        return len(NOTEBOOKS)


@pytest.fixture(scope="session")
def rendered(tmp_path_factory, small_url) -> Renders:
    """Every notebook rendered once per test run, with its default params file, on demand."""
    return Renders(tmp_path_factory, small_url)


#: One detractor comment carrying every shape the comments report must defuse: mark-up and
#: script, phone numbers, e-mail addresses (plain and obfuscated), a name, bidi controls.
HOSTILE_COMMENT = (
    "Too expensive! <img src=x onerror=alert(1)> Call +46 70 123 45 67 or ana.berg@example.se. "
    "Too expensive \u202etxet desrever\u202c, call (070) 123 45 67 or ana.berg(at)example.se. "
    "Anna Berg here. Far too expensive <script>alert('xss-script')</script> and "
    "<img src=x onerror=\"alert('xss-img')\"> really"
)


@pytest.fixture(scope="session")
def hostile_comments(tmp_path_factory) -> tuple[str, runner.RunResult]:
    """The comments report (``min_n`` 5) over demo data whose detractors all wrote
    :data:`HOSTILE_COMMENT` in English: (database URL, run). Rendered once per test run."""

    def make_database(path: Path) -> None:
        tables = demo.generate(3000, seed=3)
        r = tables["responses"]
        detractor = r["nps"] <= 6
        r.loc[detractor, "comment"] = HOSTILE_COMMENT
        r.loc[detractor, "language"] = "en"
        db.write_tables(f"duckdb:///{path}", tables)

    url = f"duckdb:///{shared_file(tmp_path_factory, 'hostile.duckdb', make_database)}"
    out = shared_folder(tmp_path_factory) / "hostile" / "out"

    def make(path: Path) -> None:
        result = runner.run("comments", out_dir=out, database=url, overrides={"min_n": 5})
        path.write_bytes(pickle.dumps(result))

    done = shared_file(tmp_path_factory, "hostile.pickle", make, lock="renders")
    return url, pickle.loads(done.read_bytes())


@pytest.fixture(scope="session")
def chromium_path() -> str:
    path = os.environ.get("CX_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(path).exists():
        pytest.fail(f"Chromium not found at {path}: run `make system-deps` (make test does)")
    return path


@pytest.fixture(scope="session")
def demo_database(tmp_path_factory) -> Callable[..., str]:
    """``demo_database(responses, seed, folder)``: URL of a fresh copy of that demo database.

    Each (responses, seed) database is generated and written once per test run; a test gets
    its own copy in ``folder`` to change as it likes.
    """

    def copy(responses: int, seed: int, folder: Path) -> str:
        def make(path: Path) -> None:
            db.write_tables(f"duckdb:///{path}", demo.generate(responses, seed=seed))

        master = shared_file(tmp_path_factory, f"demo-{responses}-{seed}.duckdb", make)
        target = Path(folder) / "cx.duckdb"
        shutil.copyfile(master, target)
        return f"duckdb:///{target}"

    return copy
