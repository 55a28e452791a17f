"""Project-level rules: notebooks, params files and environment.yml stay in step."""

import json
import re
import tomllib
from pathlib import Path

import pytest
import yaml

from cxresearch.running import params

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
PARAM_FILES = sorted((ROOT / "params").glob("*/*.yaml"))


def test_core_notebooks_exist():
    assert {p.stem for p in NOTEBOOKS} >= {"recommend_intent", "satisfaction_spend"}


@pytest.mark.parametrize(
    "path", NOTEBOOKS + [ROOT / "tests/notebooks/failing.ipynb"], ids=lambda p: p.stem
)
def test_notebooks_are_committed_without_outputs(path):
    nb = json.loads(path.read_text())
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            assert not cell.get("outputs") and cell.get("execution_count") is None, path.name


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_first_code_cell_is_parameters(path):
    nb = json.loads(path.read_text())
    first = next(c for c in nb["cells"] if c["cell_type"] == "code")
    assert "parameters" in first["metadata"].get("tags", [])
    for line in "".join(first["source"]).splitlines():
        assert re.match(r"^\w+: \w+ = .+  # .+$", line), line


@pytest.mark.parametrize("path", PARAM_FILES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_params_files_match_their_notebook(path):
    notebook = ROOT / "notebooks" / f"{path.parent.name}.ipynb"
    assert notebook.exists(), f"{path} has no notebook {notebook.name}"
    declared = params.notebook_parameters(notebook)
    params.validate(declared, params.load_params_file(path), notebook=notebook.stem)


def _normalise(req: str) -> str:
    return re.sub(r"\s+", "", req).lower()


def test_environment_yml_matches_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = set(project["dependencies"])
    for extra in project["optional-dependencies"].values():
        wanted |= {r for r in extra if not r.startswith(project["name"])}  # not our own extras
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip_section = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    listed = {r for r in pip_section if not r.startswith("-")}
    assert {_normalise(r) for r in listed} == {_normalise(r) for r in wanted}
    python = next(d for d in env["dependencies"] if isinstance(d, str) and d.startswith("python"))
    assert python.startswith("python>=3.1")
