"""Notebook parameters: read them from the notebook, load params files, validate values.

A notebook's first code cell is tagged ``parameters`` and written
``name: type = value  # help``; Papermill's inspector reads names, types and help from
it. Values are checked here, before any kernel starts.
"""

from __future__ import annotations

import copy
import datetime as dt
import difflib
import re
from collections.abc import Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml
from papermill.inspection import inspect_notebook

from cxresearch.errors import ParameterError
from cxresearch.i18n import LANGUAGES

_SECRET_NAME = re.compile(r"pass(word)?|secret|token|api_?key|credential", re.IGNORECASE)
_TYPES: dict[str, tuple[type, ...]] = {
    "str": (str,),
    "int": (int,),
    "float": (int, float),
    "bool": (bool,),
    "list": (list, tuple),
    "dict": (dict,),
}


class _Loader(yaml.SafeLoader):
    """YAML with 1.2 booleans: only true/false, so that country code NO stays 'NO'."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool",
    re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
    list("tTfF"),
)


def read_yaml(text: str) -> Any:
    """Parse YAML text with 1.2 booleans (``NO``, ``yes`` and ``off`` stay strings)."""
    return yaml.load(text, Loader=_Loader)  # noqa: S506 - a SafeLoader subclass


def notebook_parameters(notebook: str | Path) -> dict[str, dict[str, Any]]:
    """Return the declared parameters of a notebook.

    Read once per version of the file (cached on its path and modification time).

    Returns
    -------
    dict
        ``name -> {"type": "str" | "int" | ..., "default": str, "help": str}``.
    """
    path = Path(notebook).resolve()
    return copy.deepcopy(_inspect(str(path), path.stat().st_mtime_ns))


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
        raise ParameterError(f"params file {path} is not valid YAML: {exc}") from None
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
        except yaml.YAMLError:
            out[key.strip()] = raw
    return out


def validate(
    declared: Mapping[str, Mapping[str, Any]], values: Mapping[str, Any], notebook: str = ""
) -> dict[str, Any]:
    """Check parameter values against a notebook's declarations.

    Unknown names, values of the wrong type, malformed dates and secrets are refused.

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
        The values, with YAML dates turned into ISO strings and ints into floats where a
        float is declared.

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
        if _SECRET_NAME.search(name):
            raise ParameterError(
                f"parameter {name!r} looks like a secret: credentials come from the environment "
                "(CX_DATABASE_URL, CX_DATABASE_PASSWORD, a secrets file or ~/.pgpass), never "
                "from parameters"
            )
        kind = declared[name]["type"]
        if isinstance(value, dt.date) and kind == "str":
            value = value.isoformat()
        if kind == "float" and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        allowed = _TYPES.get(kind)
        ok = allowed is None or (
            isinstance(value, allowed)
            and not (kind in ("int", "float") and isinstance(value, bool))
        )
        if not ok:
            raise ParameterError(
                f"parameter {name!r}{where} expects {kind} "
                f"({declared[name]['help'] or 'see the notebook'}), got {value!r}"
            )
        if isinstance(value, str):
            _check_string(name, value, where)
        if name == "language" and value not in LANGUAGES:
            raise ParameterError(
                f"parameter 'language'{where} expects one of {', '.join(LANGUAGES)}, got {value!r}"
            )
        out[name] = list(value) if isinstance(value, tuple) else value
    return out


def _check_string(name: str, value: str, where: str) -> None:
    if value and re.search(r"(^|_)(start|end|date)$", name):
        try:
            dt.date.fromisoformat(value)
        except ValueError:
            raise ParameterError(
                f"parameter {name!r}{where} expects a date as YYYY-MM-DD, got {value!r}"
            ) from None
    if "://" in value:
        try:
            password = urlsplit(value).password
        except ValueError:
            password = None
        if password:
            raise ParameterError(
                f"parameter {name!r}{where} holds a URL with a password: pass the URL "
                "without it and put the password in CX_DATABASE_PASSWORD, a secrets file "
                "(docs/databases.md) or ~/.pgpass"
            )
