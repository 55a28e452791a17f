"""Notebook parameters: read them from the notebook, load params files, validate values.

A notebook's first code cell is tagged ``parameters`` and written
``name: type = value  # help``; Papermill's inspector reads names, types and help from
it. Values are checked here, before any kernel starts.
"""

from __future__ import annotations

import copy
import datetime as dt
import difflib
import os
import re
from collections.abc import Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from papermill.inspection import inspect_notebook

from cxresearch import config
from cxresearch.config import LANGUAGES, read_yaml, yaml_error_where
from cxresearch.data import secrets
from cxresearch.errors import ParameterError

_DATE_NAME = re.compile(r"(^|_)(start|end|date)$")
#: Parameters that name a file (``taxonomy``, ``*_file``, ``*_path``, ``*_dir``).
FILE_PARAMETER = re.compile(r"^taxonomy$|_(file|path|dir)$")
#: Environment variable listing folders (``os.pathsep``-separated) that file parameters
#: may name besides the project folder.
ALLOWED_DIRS_ENV = "CX_ALLOWED_DIRS"
_TYPES: dict[str, tuple[type, ...]] = {
    "str": (str,),
    "int": (int,),
    "float": (int, float),
    "bool": (bool,),
    "list": (list, tuple),
    "dict": (dict,),
}


def notebook_parameters(notebook: str | Path) -> dict[str, dict[str, Any]]:
    """Return the declared parameters of a notebook.

    Read once per version of the file (cached on its path and modification time).

    Returns
    -------
    dict
        ``name -> {"type": "str" | "int" | ..., "default": str, "help": str}``.
    """
    path = Path(notebook).resolve()
    try:
        return copy.deepcopy(_inspect(str(path), path.stat().st_mtime_ns))
    except ValueError as exc:  # no kernel name, no parameters cell papermill can read
        raise ParameterError(f"notebook {path} cannot be inspected: {exc}") from None


@lru_cache(maxsize=64)
def _inspect(path: str, mtime_ns: int) -> dict[str, dict[str, Any]]:
    found = inspect_notebook(path)
    return {
        name: {
            "type": (info.get("inferred_type_name") or "None").split("[")[0].strip(),
            "default": info.get("default"),
            "help": info.get("help") or "",
        }
        for name, info in found.items()
    }


def load_params_file(path: str | Path) -> dict[str, Any]:
    """Read a params YAML file (a mapping of parameter names to values)."""
    path = Path(path)
    try:
        data = read_yaml(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ParameterError(f"params file {path} does not exist") from None
    except yaml.YAMLError as exc:
        where = yaml_error_where(exc)
        raise ParameterError(f"params file {path} is not valid YAML{where}") from None
    except ValueError as exc:  # a value YAML reads but Python refuses, such as 2026-02-30
        raise ParameterError(f"params file {path} holds an impossible value: {exc}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ParameterError(
            f"params file {path} must hold a mapping of parameter names to values, "
            f"not a {type(data).__name__}"
        )
    return data


def parse_overrides(items: Sequence[str]) -> dict[str, Any]:
    """Parse ``key=value`` strings from ``-P``; values are read as YAML (``5``, ``[SE, DK]``)."""
    out: dict[str, Any] = {}
    for item in items:
        key, sep, raw = item.partition("=")
        if not sep or not key.strip():
            raise ParameterError(f"-P expects key=value, got {item!r}")
        try:
            out[key.strip()] = read_yaml(raw) if raw.strip() else ""
        except (yaml.YAMLError, ValueError):  # ValueError: an impossible date, 2026-02-30
            out[key.strip()] = raw
    return out


def validate(
    declared: Mapping[str, Mapping[str, Any]], values: Mapping[str, Any], notebook: str = ""
) -> dict[str, Any]:
    """Check parameter values against a notebook's declarations.

    Unknown names, values of the wrong type, impossible dates, a start after its end,
    unknown languages and anything that looks like a credential (at any depth of any value)
    are refused. Called once per run, by :func:`cxresearch.running.spec.build`.

    Parameters
    ----------
    declared
        Output of :func:`notebook_parameters`.
    values
        The values to pass.
    notebook
        Notebook name for messages.

    Returns
    -------
    dict
        The values, with YAML dates turned into ISO strings, ints into floats where a float
        is declared and a single value into a one-item list where a list is declared.

    Raises
    ------
    ParameterError
        Naming the parameter, the value and what was expected.
    """
    where = f" of notebook {notebook}" if notebook else ""
    out: dict[str, Any] = {}
    for name, value in values.items():
        if name not in declared:
            close = difflib.get_close_matches(name, list(declared), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise ParameterError(
                f"unknown parameter {name!r}{where}{hint} Known parameters: {', '.join(declared)}"
            )
        if secrets.SECRET_NAME.search(name):
            raise ParameterError(
                f"parameter {name!r} looks like a secret; credentials come from the environment "
                "(CX_DATABASE_URL, CX_DATABASE_PASSWORD, a secrets file or ~/.pgpass), never "
                "from parameters"
            )
        found = secrets.find_secret(value, name)
        if found:
            raise ParameterError(
                f"parameter {found[0]}{where} holds {found[1]}; pass no credentials as "
                "parameters; a database password goes in CX_DATABASE_PASSWORD, a secrets file "
                "(docs/databases.md) or ~/.pgpass"
            )
        check_file_parameter(name, value, where)
        out[name] = _coerce(name, value, declared[name], where)
    _check_periods(out, where)
    return out


def check_file_parameter(name: str, value: Any, where: str = "") -> None:
    """Refuse a file parameter naming a file outside the project and the allowed folders.

    Relative paths are taken from the notebooks folder, where report kernels start; links
    are followed. Only the path is named in the error, never the file's content.

    Raises
    ------
    ParameterError
        When the file lies elsewhere.
    """
    if not (isinstance(value, str) and value and FILE_PARAMETER.search(name)):
        return
    extra = os.environ.get(ALLOWED_DIRS_ENV, "")
    allowed = [config.PROJECT_ROOT, *(Path(p) for p in extra.split(os.pathsep) if p)]
    path = (config.NOTEBOOKS_DIR / Path(value).expanduser()).resolve()
    if not any(path.is_relative_to(folder.resolve()) for folder in allowed):
        raise ParameterError(
            f"parameter {name!r}{where} names {value!r}, outside the project folder: put the "
            f"file in the project or list its folder in {ALLOWED_DIRS_ENV}"
        )


def _coerce(name: str, value: Any, declared: Mapping[str, Any], where: str) -> Any:
    kind = declared["type"]
    if isinstance(value, dt.date) and kind in ("str", "list"):
        value = value.isoformat()
    if kind == "float" and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if kind == "list" and isinstance(value, str | int | float) and not isinstance(value, bool):
        value = [value]  # -P segment=B2B means the one-item list [B2B]
    allowed = _TYPES.get(kind)
    ok = allowed is None or (
        isinstance(value, allowed) and not (kind in ("int", "float") and isinstance(value, bool))
    )
    if not ok:
        raise ParameterError(
            f"parameter {name!r}{where} expects {kind} "
            f"({declared['help'] or 'see the notebook'}), got {value!r}"
        )
    if isinstance(value, str) and value and _DATE_NAME.search(name):
        try:
            dt.date.fromisoformat(value)
        except ValueError:
            raise ParameterError(
                f"parameter {name!r}{where} expects a date as YYYY-MM-DD, got {value!r}"
            ) from None
    if name == "language" and value not in LANGUAGES:
        raise ParameterError(
            f"parameter 'language'{where} expects one of {', '.join(LANGUAGES)}, got {value!r}"
        )
    return list(value) if isinstance(value, tuple) else value


def _check_periods(values: Mapping[str, Any], where: str) -> None:
    """Refuse a ``<x>_start`` after its ``<x>_end``."""
    for name, start in values.items():
        if not (isinstance(start, str) and start and name.endswith("_start")):
            continue
        end_name = name[: -len("start")] + "end"
        end = values.get(end_name)
        if (
            isinstance(end, str)
            and end
            and dt.date.fromisoformat(end) < dt.date.fromisoformat(start)
        ):
            raise ParameterError(
                f"parameter {end_name!r}{where} ({end}) is before {name!r} ({start}): "
                "the period must end on or after its first day"
            )
