"""Secrets never leave the kernel's environment: every shape, through every entry point.

A list of credential shapes is fed through ``cxresearch run`` (``-P`` and params files,
nested lists and maps), ``batch`` (schedule parameters and matrices), ``demo``, ``import``
(file names, mapping files, cell values in error) and ``follow-up``, and through a notebook
whose failing cell prints and raises them; then every file written and all command output
is searched for each secret.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
import yaml

from cxresearch import config
from cxresearch.data import secrets
from cxresearch.errors import ParameterError
from cxresearch.running import params, spec

ROOT = Path(__file__).resolve().parent.parent

#: (the secret as it would be given, the part that must never be written anywhere)
SHAPES = [
    ("postgresql://ana:S3cretPW1x@db.example.org/cx", "S3cretPW1x"),
    ("mysql+pymysql://root:S3cretPW2x@10.0.0.5:3306/cx", "S3cretPW2x"),
    ("https://deploy:S3cretPW3x@git.example.org/repo.git", "S3cretPW3x"),
    ("password=S3cretPW4x", "S3cretPW4x"),
    ("token: S3cretTK5x", "S3cretTK5x"),
    ("api_key = 'S3cretAK6x'", "S3cretAK6x"),
    ("Authorization: Bearer eyJhbGciOiJIUzI1NiJ9S3cretBR7x", "S3cretBR7x"),
    ("AKIAS3CRETAWS8KEY123", "AKIAS3CRETAWS8KEY123"),
    ("-----BEGIN RSA PRIVATE KEY-----\nMIIS3cretPEM9x\n-----END RSA PRIVATE KEY-----",
     "MIIS3cretPEM9x"),
]  # fmt: skip
MARKERS = [marker for _, marker in SHAPES]
SHAPE_IDS = [marker for _, marker in SHAPES]


@pytest.mark.parametrize(("shape", "marker"), SHAPES, ids=SHAPE_IDS)
def test_every_shape_is_found_at_any_depth_and_scrubbed(shape, marker):
    assert secrets.find_secret(shape) is not None
    nested = {"country": ["SE", {"options": [1, f"see {shape} here"]}]}
    where, _ = secrets.find_secret(nested)
    assert where == "country[1].options[1]"
    scrubbed = secrets.scrub(f"connection failed ({shape}) at line 3")
    assert marker not in scrubbed and "connection failed" in scrubbed and "at line 3" in scrubbed


@pytest.mark.parametrize(("shape", "marker"), SHAPES, ids=SHAPE_IDS)
def test_run_specs_refuse_every_shape_in_any_place(tmp_path, shape, marker):
    placements = [
        {"country": [shape]},
        {"country": ["SE", {"nested": {"deeper": [shape]}}]},
        {"weights": f"see {shape}"},
        {"period_start": shape},
    ]
    for i, values in enumerate(placements):
        with pytest.raises(ParameterError) as overrides:
            spec.build("nps_overview", overrides=values)
        params_file = tmp_path / f"p{i}.yaml"
        params_file.write_text(yaml.safe_dump(values))
        with pytest.raises(ParameterError) as from_file:
            spec.build("nps_overview", params_file)
        for error in (overrides, from_file):
            assert marker not in str(error.value)
            assert "credential" in str(error.value) or "holds" in str(error.value)


def test_file_parameters_stay_in_the_project(tmp_path, monkeypatch):
    for outside in ("../../../../etc/passwd", "/etc/passwd", str(tmp_path / "themes.yaml")):
        with pytest.raises(ParameterError, match="outside the project folder"):
            spec.build("comments", overrides={"taxonomy": outside})
    inside = "../cxresearch/themes.yaml"
    assert spec.build("comments", overrides={"taxonomy": inside}).parameters["taxonomy"] == inside
    monkeypatch.setenv(params.ALLOWED_DIRS_ENV, str(tmp_path))
    allowed = str(tmp_path / "themes.yaml")
    assert spec.build("comments", overrides={"taxonomy": allowed}).parameters["taxonomy"] == allowed


def test_taxonomy_errors_name_the_position_not_the_content(tmp_path):
    from cxresearch.stats import comments

    bad = tmp_path / "themes.yaml"
    bad.write_text("price:\n  en: [cost\npassword: S3cretPW4x\n")
    with pytest.raises(ValueError, match=r"not valid YAML at line \d+, column \d+") as error:
        comments.load_taxonomy(bad)
    assert "S3cretPW4x" not in str(error.value)


# -- the command line, end to end -------------------------------------------------------------


def cli(*args, env=None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "cxresearch.cli", *map(str, args)],
        capture_output=True, text=True, cwd=ROOT, check=False, timeout=900,
        env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})},
    )  # fmt: skip


def leaks(paths: list[Path], texts: list[str]) -> list[str]:
    """Every (place, marker) where a secret was written."""
    found = []
    files = [f for p in paths if p.exists() for f in ([p] if p.is_file() else p.rglob("*"))]
    for path in files:
        if path.is_file():
            data = path.read_bytes()
            found += [f"{path}: {m}" for m in MARKERS if m.encode() in data]
    for i, text in enumerate(texts):
        found += [f"command output {i}: {m}" for m in MARKERS if m in text]
    return found


def leaky_notebook(path: Path) -> Path:
    """A notebook that prints every shape (from its environment) and fails with them."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    nb.metadata["kernelspec"]["language"] = "python"
    nb.cells = [
        nbformat.v4.new_markdown_cell("# Leaky fixture"),
        nbformat.v4.new_code_cell(
            'label: str = "x"  # any text', metadata={"tags": ["parameters"]}
        ),
        nbformat.v4.new_code_cell(
            "import json, os\nshapes = json.loads(os.environ['CX_TEST_SHAPES'])\n"
            "print('\\n'.join(shapes))\nshapes"
        ),
        nbformat.v4.new_code_cell("raise RuntimeError('could not connect: ' + ' | '.join(shapes))"),
    ]
    nbformat.write(nb, path)
    return path


@pytest.mark.slow
def test_no_secret_reaches_any_output_through_any_entry_point(tmp_path, small_url):
    given, out = tmp_path / "in", tmp_path / "out"
    given.mkdir()
    out.mkdir()
    reports = out / "reports"
    first, pem = SHAPES[0][0], SHAPES[-1][0]
    results = []

    def expect(code: int, *args, env=None) -> None:
        result = cli(*args, env=env)
        results.append(result)
        assert result.returncode == code, (args, result.stdout, result.stderr)
        assert "Traceback" not in result.stderr

    run = ("run", "nps_overview", "--out", reports / "nps_overview", "--db", small_url)
    # run: -P at any depth, a params file with nested lists and maps; refused before a kernel
    expect(2, *run, "-P", f"country={json.dumps([first])}")
    expect(2, *run, "-P", f"weights=see {SHAPES[1][0]}")
    expect(2, *run, "-P", "country=[SE, {db: [" + json.dumps(SHAPES[2][0]) + "]}]")
    params_file = given / "nested.yaml"
    params_file.write_text(yaml.safe_dump({"country": ["SE", {"k": [pem]}], "segment": ["B2B"]}))
    expect(2, *run, "-p", params_file)
    expect(2, *run, "-P", SHAPES[4][0])  # not key=value: the error quotes it, scrubbed
    assert not (reports / "nps_overview").exists()  # no kernel started, nothing written

    # batch: schedule parameters and matrices
    for where in ("params", "matrix"):
        entry = {
            "notebook": "nps_overview",
            "output": str(reports / "batch" / "{country}.html"),
            where: {"country": [[SHAPES[4][0]]] if where == "matrix" else [SHAPES[4][0]]},
        }
        schedule = given / f"{where}.yaml"
        schedule.write_text(yaml.safe_dump({"name": "s", "reports": [entry]}))
        expect(2, "batch", schedule, "--db", small_url)

    # demo against a database that refuses the connection
    expect(1, "demo", "--db", "postgresql://ana:S3cretPW1x@127.0.0.1:9/cx")

    # import: a cell value in error, a file name, a mapping file that is not valid YAML
    header = ("response_id,customer_id,responded_at,nps,csat,recommended_last_12m,segment,"
              "country,industry,touchpoint,language,comment,weight")  # fmt: skip
    row = "r1,c1,2026-03-02,{nps},5,yes,B2C,SE,consumer,after_purchase,sv,ok,1"
    bad_cell = given / "wave.csv"
    bad_cell.write_text(f"{header}\n{row.format(nps=SHAPES[3][0])}\n")
    db_file = f"duckdb:///{out / 'import.duckdb'}"
    expect(1, "import", bad_cell, "--db", db_file)
    named = given / "token=S3cretTK5x.csv"
    named.write_text(f"{header}\n{row.format(nps=9)}\n")
    expect(2, "import", named, "--db", db_file)
    mapping = given / "mapping.yaml"
    mapping.write_text(f'source: x\ncolumns: {{nps: "{SHAPES[0][0]}"\n')
    expect(1, "import", bad_cell, "--mapping", mapping, "--db", db_file)

    # follow-up: a database URL with a password, a value in error
    follow = out / "follow_up" / "list.csv"
    expect(1, "follow-up", "--db", SHAPES[0][0].replace("db.example.org", "127.0.0.1:9"),
           "--out", follow)  # fmt: skip
    expect(2, "follow-up", "--since", SHAPES[3][0], "--db", small_url, "--out", follow)

    # a failing cell that prints and raises every shape: scrubbed in every file it reaches
    notebook = leaky_notebook(given / "leaky.ipynb")
    env = {"CX_TEST_SHAPES": json.dumps([s for s, _ in SHAPES])}
    expect(1, "run", notebook, "--out", reports / "leaky", "--db", small_url, env=env)
    failed = reports / "leaky" / "default.failed.ipynb"
    assert failed.exists() and "could not connect" in failed.read_text()
    record = json.loads((reports / "leaky" / "default.json").read_text())
    assert (
        record["status"] == "failed"
        and "could not connect: postgresql://ana:***@" in (record["error"])
    )
    assert "could not connect" in (reports / "index.html").read_text()

    texts = [r.stdout + r.stderr for r in results]
    assert leaks([out, config.REPORTS_DIR], texts) == []
