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

from cxresearch.config import read_yaml, yaml_error_where
from cxresearch.data.imports.readers import CANONICAL_RESPONSES, RawTable
from cxresearch.errors import ImportValidationError

DEFAULT_MISSING = ("", "NA", "N/A", "n/a", "#N/A", "NULL", "null")
_KEYS = {"source", "survey", "columns", "constants", "values", "missing", "scales",
         "date_format", "format", "ignore", "labels", "timezone"}  # fmt: skip
ROW_NUMBER = "@row"


@dataclass
class Mapping:
    """A parsed mapping; the identity mapping for canonical files."""

    columns: dict[str, str] = field(default_factory=dict)
    constants: dict[str, Any] = field(default_factory=dict)
    values: dict[str, dict[str, str]] = field(default_factory=dict)
    missing: tuple[str, ...] = DEFAULT_MISSING
    scales: dict[str, tuple[int, int]] = field(default_factory=dict)
    date_format: str | None = None
    timezone: str | None = None
    source: str | None = None
    survey: dict[str, Any] = field(default_factory=dict)
    ignore: tuple[str, ...] = ()
    labels: dict[str, dict[str, str]] = field(default_factory=dict)

    def unused(self, raw: RawTable) -> list[str]:
        """Columns of ``raw`` that this mapping neither maps nor lists under ``ignore``."""
        used = set(self.columns.values()) | set(self.ignore)
        return [c for c in raw.frame.columns if c not in used]


#: Answers to "have you recommended us in the last 12 months?" in en/sv/da/fi/nl.
RECOMMENDED_WORDS: dict[str, str] = {
    **dict.fromkeys(["yes", "y", "ja", "kyllä", "true", "1"], "yes"),
    **dict.fromkeys(["no", "n", "nej", "ei", "nee", "false", "0"], "no"),
    **dict.fromkeys(
        ["unknown", "don't know", "do not know", "i don't know", "i don't remember",
         "i do not remember", "vet ej", "vet inte", "ved ikke", "en tiedä", "en muista",
         "weet niet", "weet ik niet"],
        "unknown",
    ),
}  # fmt: skip


def identity(raw: RawTable) -> Mapping:
    """The mapping of a file whose columns already carry canonical names.

    Canonical response fields and ``rating_<attribute>`` columns map to themselves; any
    other column is left unused (and the import warns about it).
    """
    return Mapping(columns={c: c for c in raw.frame.columns if is_field(c)})


def is_field(name: str) -> bool:
    """Whether ``name`` is a field of the canonical responses file.

    The fields of :data:`CANONICAL_RESPONSES`, and ``rating_<attribute>`` for an attribute
    rating (any attribute name of letters, digits and ``_``).
    """
    return name in CANONICAL_RESPONSES or bool(re.fullmatch(r"rating_\w+", name))


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
    bad = [f for f in (*columns, *constants) if not is_field(f)]
    if bad:
        raise ImportValidationError(
            f"mapping file {path}: {sorted(bad)} are not canonical fields; "
            f"expected some of {list(CANONICAL_RESPONSES)} or rating_<attribute>"
        )
    scales = {}
    for key, value in (data.get("scales") or {}).items():
        if (
            not isinstance(value, list | tuple)
            or len(value) != 2
            or not all(isinstance(v, int) for v in value)
            or value[0] == value[1]
        ):
            raise ImportValidationError(
                f"mapping file {path}: scales: {key}: {value!r}: expected [lowest, highest] "
                "such as [1, 7], or [5, 1] for a scale whose 1 is the best answer"
            )
        scales[str(key)] = (int(value[0]), int(value[1]))
    return Mapping(
        columns=columns,
        constants={
            k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in constants.items()
        },
        values={
            k: {str(a): str(b) for a, b in v.items()} for k, v in (data.get("values") or {}).items()
        },
        missing=tuple(str(m) for m in data.get("missing", DEFAULT_MISSING)),
        scales=scales,
        date_format=data.get("date_format"),
        timezone=data.get("timezone"),
        source=data.get("source"),
        survey=dict(data.get("survey") or {}),
        ignore=tuple(str(c) for c in data.get("ignore") or ()),
        labels={
            str(k): {str(a): str(b) for a, b in (v or {}).items()}
            for k, v in (data.get("labels") or {}).items()
        },
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
    """Draft a mapping for a file: canonical names first, then recognised question texts.

    A column named exactly as a canonical field (ignoring case and surrounding blanks)
    maps to that field; other fields are guessed from column names and question texts
    with :data:`PATTERNS`, and each guess is marked as one.

    Returns
    -------
    dict
        A mapping (``source``, ``survey``, ``columns``, ``missing`` and, where found,
        ``values``) to review and save as YAML, plus three review lists that
        :func:`dump` writes as comments: ``guesses`` (field -> why), ``unmapped``
        (canonical fields not found) and ``unused`` (columns of the file left out).
    """
    columns: dict[str, str] = {}
    guesses: dict[str, str] = {}
    for key in raw.frame.columns:
        name = str(key).strip().lower()
        if is_field(name) and name not in columns:
            columns[name] = key
    for fieldname, patterns in PATTERNS.items():
        if fieldname in columns:
            continue
        for key in raw.frame.columns:
            if key in columns.values():
                continue
            texts = [str(key).lower(), raw.questions.get(key, "").lower()]
            if any(re.search(p, t) for p in patterns for t in texts if t):
                columns[fieldname] = key
                question = raw.questions.get(key, "")
                guesses[fieldname] = (
                    f"guess from the question {question[:60]!r}"
                    if question and question != key
                    else "guess from the column name"
                )
                break
    if "response_id" not in columns:
        columns["response_id"] = ROW_NUMBER
        guesses["response_id"] = "guess: no id column found, so the row number"
    order = {f: i for i, f in enumerate(CANONICAL_RESPONSES)}
    columns = dict(sorted(columns.items(), key=lambda kv: order.get(kv[0], len(order))))
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
    out["guesses"] = guesses
    out["unmapped"] = [f for f in CANONICAL_RESPONSES if f not in columns]
    out["unused"] = [c for c in raw.frame.columns if c not in columns.values()]
    return out


def _guess_answer(answer: str) -> str:

    return RECOMMENDED_WORDS.get(answer.strip().lower(), "unknown")


def dump(draft: dict[str, Any]) -> str:
    """Render a draft mapping as valid YAML, its review notes as comments.

    Each guessed column carries a ``# guess ...`` comment on its line; the fields not found
    and the file's unused columns are listed in comments, one per line, so that no line
    depends on a terminal's width.
    """
    draft = dict(draft)
    guesses = draft.pop("guesses", {})
    unmapped = draft.pop("unmapped", [])
    unused = draft.pop("unused", [])
    lines = [
        "# Draft mapping written by `cxresearch import --suggest-mapping`: review it.",
        "# Lines marked 'guess' were recognised from question texts: check each one.",
    ]
    for key, value in draft.items():
        if key != "columns":
            lines.append(_yaml_entry({key: value}))
            continue
        lines.append("columns:")
        for fieldname, column in value.items():
            entry = "  " + _yaml_entry({fieldname: column})
            note = guesses.get(fieldname)
            lines.append(f"{entry}  # {_one_line(note)}" if note else entry)
    if unmapped:
        lines.append("# Canonical fields not found (map them under columns: or constants:):")
        lines.extend(f"#   {f}" for f in unmapped)
    if unused:
        lines.append("# Columns of the file this mapping leaves unused (the import warns about")
        lines.append("# each; list the ones to skip under ignore:):")
        lines.extend(f"#   {_one_line(c)}" for c in unused)
    return "\n".join(lines) + "\n"


def _yaml_entry(value: dict[str, Any]) -> str:
    return yaml.safe_dump(value, sort_keys=False, allow_unicode=True, width=10**6).rstrip("\n")


def _one_line(text: str) -> str:
    return " ".join(str(text).split())
