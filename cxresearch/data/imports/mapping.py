"""Mappings: which column of a survey export holds which field of the canonical format.

A mapping is a YAML file (see ``docs/import.md``)::

    source: carpentries_2020          # names this import; re-importing it replaces its rows
    survey: {name: Long-term survey 2020, kind: relational}
    columns:                          # canonical field: column in the file
      response_id: "@row"             # no id column: use the row number
      nps: recommendation_score
      recommended_last_12m: has_recommended
      country: workshop_country
    constants: {responded_at: 2020-12-01, touchpoint: relationship}
    values:                           # answers that are not already canonical codes
      recommended_last_12m: {"I don't remember": unknown}
    missing: ["", "NA"]
    scales: {csat: [1, 5]}

:func:`suggest` drafts one by recognising common question texts in five languages.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from cxresearch.errors import ImportValidationError
from cxresearch.data.imports.readers import CANONICAL_RESPONSES, RawTable
from cxresearch.config import read_yaml, yaml_error_where

DEFAULT_MISSING = ("", "NA", "N/A", "n/a", "#N/A", "NULL", "null")
_KEYS = {"source", "survey", "columns", "constants", "values", "missing", "scales",
         "date_format", "format"}  # fmt: skip
ROW_NUMBER = "@row"


@dataclass
class Mapping:
    """A parsed mapping; the identity mapping for canonical files."""

    columns: dict[str, str] = field(default_factory=dict)
    constants: dict[str, Any] = field(default_factory=dict)
    values: dict[str, dict[str, str]] = field(default_factory=dict)
    missing: tuple[str, ...] = DEFAULT_MISSING
    scales: dict[str, tuple[int, int]] = field(default_factory=lambda: {"csat": (1, 5)})
    date_format: str | None = None
    source: str | None = None
    survey: dict[str, Any] = field(default_factory=dict)


def identity(raw: RawTable) -> Mapping:
    """The mapping of a file whose columns already carry canonical names."""
    return Mapping(columns={c: c for c in raw.frame.columns})


def load(path: str | Path) -> Mapping:
    """Read and check a mapping YAML file."""
    path = Path(path)
    try:
        data = read_yaml(path.read_text(encoding="utf-8")) or {}
    except FileNotFoundError:
        raise ImportValidationError(f"mapping file {path} does not exist") from None
    except yaml.YAMLError as exc:
        where = yaml_error_where(exc)  # the position only: the text may hold a secret
        raise ImportValidationError(f"mapping file {path} is not valid YAML{where}") from None
    if not isinstance(data, dict):
        raise ImportValidationError(f"mapping file {path} must hold a mapping")
    unknown = set(data) - _KEYS
    if unknown:
        raise ImportValidationError(
            f"mapping file {path}: unknown key(s) {sorted(unknown)}; "
            f"expected some of {sorted(_KEYS)}"
        )
    columns = {str(k): str(v) for k, v in (data.get("columns") or {}).items()}
    constants = dict(data.get("constants") or {})
    bad = (set(columns) | set(constants)) - set(CANONICAL_RESPONSES)
    if bad:
        raise ImportValidationError(
            f"mapping file {path}: {sorted(bad)} are not canonical fields; "
            f"expected some of {list(CANONICAL_RESPONSES)}"
        )
    scales = {k: (int(v[0]), int(v[1])) for k, v in (data.get("scales") or {}).items()}
    return Mapping(
        columns=columns,
        constants={
            k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in constants.items()
        },
        values={
            k: {str(a): str(b) for a, b in v.items()} for k, v in (data.get("values") or {}).items()
        },
        missing=tuple(str(m) for m in data.get("missing", DEFAULT_MISSING)),
        scales={"csat": (1, 5), **scales},
        date_format=data.get("date_format"),
        source=data.get("source"),
        survey=dict(data.get("survey") or {}),
    )


#: Question texts recognised by :func:`suggest`, per canonical field, in en/sv/da/fi/nl.
PATTERNS: dict[str, list[str]] = {
    "nps": [
        r"how likely .*recommend",
        r"likely .* recommend",
        r"recommendation[_ ]score",
        r"hur sannolikt .*rekommendera",
        r"hvor sandsynligt .*anbefale",
        r"kuinka todennäköisesti .*suosittel",
        r"hoe waarschijnlijk .*aanbevelen",
        r"\bnps\b",
    ],
    "recommended_last_12m": [
        r"have you (actually )?recommended",
        r"has[_ ]recommended",
        r"har du rekommenderat",
        r"har du anbefalet",
        r"oletko suositellut",
        r"heeft u .*aanbevolen",
        r"heb je .*aanbevolen",
    ],
    "csat": [
        r"how satisfied",
        r"overall satisfaction",
        r"\bcsat\b",
        r"hur nöjd",
        r"hvor tilfreds",
        r"kuinka tyytyväinen",
        r"hoe tevreden",
    ],
    "comment": [
        r"anything else",
        r"comment",
        r"kommentar",
        r"något annat",
        r"noget andet",
        r"muuta kerrottavaa",
        r"kommentti",
        r"opmerking",
        r"toelichting",
        r"free text",
    ],
    "response_id": [r"^response ?id$", r"^respondent ?id$", r"^_?recordid$", r"^responseid$"],
    "customer_id": [r"customer", r"externalreference", r"external data reference", r"kundnummer"],
    "responded_at": [r"^recordeddate$", r"^end ?date$", r"responded", r"date submitted"],
    "language": [r"^userlanguage$", r"^language$", r"språk", r"sprog", r"kieli", r"taal"],
    "country": [r"country", r"land\b", r"maa\b"],
    "segment": [r"segment"],
}


def suggest(raw: RawTable) -> dict[str, Any]:
    """Draft a mapping for a file by recognising its question texts.

    Returns
    -------
    dict
        A mapping (``columns``, ``missing`` and, where found, ``values``) to review and
        save as YAML. Fields not recognised are left out and listed under ``unmapped``.
    """
    columns: dict[str, str] = {}
    for fieldname, patterns in PATTERNS.items():
        for key in raw.frame.columns:
            texts = [str(key).lower(), raw.questions.get(key, "").lower()]
            if key in columns.values():
                continue
            if any(re.search(p, t) for p in patterns for t in texts if t):
                columns[fieldname] = key
                break
    if "response_id" not in columns:
        columns["response_id"] = ROW_NUMBER
    out: dict[str, Any] = {
        "source": raw.path.stem,
        "survey": {"name": raw.path.stem, "kind": "relational"},
        "columns": columns,
        "missing": list(DEFAULT_MISSING[:2]),
    }
    if "responded_at" not in columns:
        out["constants"] = {"responded_at": "YYYY-MM-DD  # the field date: no date column found"}
    if "recommended_last_12m" in columns:
        answers = sorted(set(raw.frame[columns["recommended_last_12m"]]) - {""})
        out["values"] = {"recommended_last_12m": {a: _guess_answer(a) for a in answers[:20]}}
    out["unmapped"] = [f for f in CANONICAL_RESPONSES if f not in columns]
    return out


def _guess_answer(answer: str) -> str:
    from cxresearch.data.imports.convert import RECOMMENDED_WORDS

    return RECOMMENDED_WORDS.get(answer.strip().lower(), "unknown")


def dump(draft: dict[str, Any]) -> str:
    """Render a draft mapping as YAML, with the fields it did not find as a comment."""
    draft = dict(draft)
    unmapped = draft.pop("unmapped", [])
    header = "# Draft mapping written by `cxresearch import --suggest-mapping`: review it.\n"
    if unmapped:
        header += (
            "# Not found in the file (map them under columns: or constants:): "
            f"{', '.join(unmapped)}\n"
        )
    return header + yaml.safe_dump(draft, sort_keys=False, allow_unicode=True)
