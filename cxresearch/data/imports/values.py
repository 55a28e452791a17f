"""Turn the text of survey exports into typed values, collecting every problem on the way.

The converters of :mod:`cxresearch.data.imports.convert` share these checks: scores on
a scale, dates in the formats survey tools write, coded values, free labels.
"""

from __future__ import annotations

import re
from functools import cache

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from cxresearch.data.imports.mapping import Mapping
from cxresearch.data.imports.readers import (
    MAX_PROBLEMS,
    Problem,
    RawTable,
    raise_problems,
)
from cxresearch.data.schema import DEFAULT_SCALE, normalise_label
from cxresearch.errors import ImportValidationError

BOOL_WORDS = {**dict.fromkeys(["yes", "y", "ja", "kyllä", "true", "1"], True),
               **dict.fromkeys(["no", "n", "nej", "ei", "nee", "false", "0"], False)}  # fmt: skip


DATE_FORMATS = ("%d.%m.%Y %H:%M:%S", "%d.%m.%Y %H:%M", "%d.%m.%Y", "%m/%d/%Y %I:%M:%S %p",
                 "%m/%d/%Y %I:%M %p")  # fmt: skip


class Checker:
    """Collects problems (row, column, value, expectation) while a file is converted."""

    def __init__(self, raw: RawTable) -> None:
        self.raw = raw
        self.problems: list[Problem] = []
        self.total = 0

    def flag(self, mask, values: pd.Series, column: str, expected: str) -> None:
        """Record a problem for every row where ``mask`` is true."""
        for i in np.flatnonzero(np.asarray(mask, dtype=bool)):
            self.add(i, values, column, expected)

    def add(self, i: int, values: pd.Series, column: str, expected: str) -> None:
        """Record the problem of row ``i`` (the first :data:`MAX_PROBLEMS` are kept)."""
        self.total += 1
        if len(self.problems) < MAX_PROBLEMS:
            row = self.raw.row_number(i)
            value = str(values.iloc[i])
            self.problems.append(Problem(self.raw.path.name, row, column, value, expected))

    def raise_if_any(self) -> None:
        """Raise one error listing the problems, if there are any."""
        if self.total:
            raise_problems(self.raw.path, self.problems, self.total)


def as_text(series: pd.Series, missing) -> pd.Series:
    """The column as trimmed text; the mapping's missing-value markers become blanks."""
    s = series.astype("string[pyarrow]").fillna("").str.strip()
    return s.mask(s.isin(list(missing)), "")


def as_plain_numbers(s: pd.Series) -> pd.Series:
    """Parse cells such as ``9`` or ``-1.5`` in Arrow; anything else becomes NaN."""
    arr = pa.array(s.astype("string[pyarrow]").array)
    ok = pc.match_substring_regex(arr, r"^-?\d+(\.\d+)?$")
    values = pc.cast(pc.if_else(ok, arr, pa.scalar(None, pa.string())), pa.float64())
    return pd.Series(values.to_numpy(zero_copy_only=False), index=s.index)


def as_numbers(s: pd.Series, decimal_comma: bool) -> pd.Series:
    """Numbers as survey tools write them, with a decimal comma where the file uses one."""
    t = s.str.replace(r"\s", "", regex=True)
    if decimal_comma:
        t = t.str.replace(",", ".", regex=False)
    return pd.to_numeric(t, errors="coerce")


def as_scores(s: pd.Series, low: int, high: int, check: Checker, column: str) -> pd.Series:
    """Integers in [low, high]; labels such as '9 - Very likely' keep their number."""
    num = as_plain_numbers(s)
    labelled = num.isna() & (s != "")
    if labelled.any():
        part = s[labelled].astype(object)
        lead = part.str.extract(r"^\s*(-?\d+(?:[.,]\d+)?)(?:\s*(?:-|–|:|=)\s*\S.*|\s*)$")[0]
        num = num.astype(float)
        num[labelled] = pd.to_numeric(lead.str.replace(",", ".", regex=False), errors="coerce")
    bad = (s != "") & (num.isna() | (num % 1 != 0) | (num < low) | (num > high))
    check.flag(bad, s, column, f"an integer {low}-{high}")
    return num.where(~bad & (s != "")).astype("Int8")


def as_dates(
    s: pd.Series, fmt: str | None, check: Checker, column: str, tz: str | None = None
) -> pd.Series:
    """Parse dates; times with an offset, or naive times in zone ``tz``, become UTC.

    A column may mix both: ``2026-03-31T14:05:00+02:00`` and ``2026-03-31 14:05`` (read in
    ``tz``, else taken as UTC).
    """
    s = s.astype(object)
    aware = s.str.contains(
        r"(?:\d[Tt ]?\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)\s*(?:Z|[+-]\d{2}:?\d{2})$"
    )
    aware = aware.fillna(False).astype(bool) & (fmt is None)
    if fmt:
        out = pd.to_datetime(s, format=fmt, errors="coerce")
    else:
        out = pd.to_datetime(s.where(~aware), format="ISO8601", errors="coerce")
        for other in DATE_FORMATS:
            todo = out.isna() & (s != "") & ~aware
            if not todo.any():
                break
            out = out.where(~todo, pd.to_datetime(s.where(todo), format=other, errors="coerce"))
    if getattr(out.dt, "tz", None) is not None:  # a date_format with %z
        out = out.dt.tz_convert("UTC").dt.tz_localize(None)
    elif tz and out.notna().any():
        try:
            local = out.dt.tz_localize(tz, ambiguous="NaT", nonexistent="NaT")
        except Exception as exc:  # noqa: BLE001 - pytz/zoneinfo raise various errors
            raise ImportValidationError(
                f"{check.raw.path}: column {column!r}: unknown time zone {tz!r}: {exc}"
            ) from None
        out = local.dt.tz_convert("UTC").dt.tz_localize(None)
    if aware.any():
        utc = pd.to_datetime(s[aware], format="ISO8601", utc=True, errors="coerce")
        out = out.astype("datetime64[ns]")
        out[aware] = utc.dt.tz_localize(None).astype("datetime64[ns]")
    bad = (s != "") & out.isna()
    expected = (
        f"a date as {fmt}"
        if fmt
        else (
            "a date such as 2025-03-31, 2025-03-31 14:05 or 31.03.2025 "
            "(set date_format in the mapping for other forms)"
        )
    )
    check.flag(bad, s, column, expected)
    return out


def as_coded(s: pd.Series, allowed: dict[str, str], check: Checker, column: str, expected: str):
    """Values of a closed vocabulary (synonyms allowed), flagged when unknown."""
    key = s.str.lower()
    out = key.map(allowed)
    check.flag((s != "") & out.isna(), s, column, expected)
    return out.where(s != "")


def as_labels(s: pd.Series, synonyms: dict[str, str]) -> pd.Series:
    """Free labels: synonyms (matched ignoring case) mapped, then :func:`normalise_label`."""
    lookup = {str(k).strip().lower(): v for k, v in synonyms.items()}
    values = pd.unique(s.astype(object))
    table = {v: normalise_label(lookup.get(v.lower(), v)) if v else "" for v in values}
    return s.astype(object).map(table)


#: Value labels of the best and the worst end of a scale (en/sv/da/fi/nl), used to detect
#: a reversed SPSS scale (1 = very satisfied).
BEST = re.compile(
    r"very satisfied|extremely satisfied|completely satisfied|excellent|very good|"
    r"strongly agree|very likely|extremely likely|mycket nöjd|meget tilfreds|"
    r"erittäin tyytyväinen|zeer tevreden",
    re.IGNORECASE,
)


WORST = re.compile(
    r"dissatisfied|unsatisfied|not at all|very poor|very bad|terrible|strongly disagree|"
    r"unlikely|missnöjd|inte alls nöjd|utilfreds|tyytymätön|ontevreden",
    re.IGNORECASE,
)


NOT_ON_SCALE = re.compile(
    r"know|refus|applicable|missing|vet ej|vet inte|ved ikke|en tiedä|weet niet", re.IGNORECASE
)


def scale_of(
    raw: RawTable, mapping: Mapping, fieldname: str, column: str | None
) -> tuple[int, int, bool]:
    """The scale a rating column is on: ``(low, high, reversed)``.

    A scale declared in the mapping (``scales: {csat: [1, 7]}``; ``[5, 1]`` declares a
    reversed scale whose 1 is the best answer; ``ratings:`` covers every ``rating_*``
    field) wins. Otherwise an SPSS column's value labels give the range and, when the
    lowest code is labelled as the best answer (``1 = Very satisfied``), a reversed
    scale. Otherwise :data:`cxresearch.data.schema.DEFAULT_SCALE`.
    """
    declared = mapping.scales.get(fieldname)
    if declared is None and fieldname.startswith("rating_"):
        declared = mapping.scales.get("ratings")
    if declared is not None:
        first, last = int(declared[0]), int(declared[1])
        return min(first, last), max(first, last), first > last
    labels = {
        k: str(v)
        for k, v in raw.value_labels.get(column or "", {}).items()
        if isinstance(k, int | float) and not NOT_ON_SCALE.search(str(v))
    }
    if len(labels) >= 2:
        low, high = min(labels), max(labels)
        if float(low).is_integer() and float(high).is_integer():
            worst_first = BEST.search(labels[low]) and not WORST.search(labels[low])
            reversed_ = bool(worst_first and WORST.search(labels[high]))
            return int(low), int(high), reversed_
    return (*DEFAULT_SCALE, False)


def scaled(
    s: pd.Series, raw: RawTable, mapping: Mapping, fieldname: str, column: str, check: Checker
) -> tuple[pd.Series, int, int]:
    """Ratings on their scale, reversed scales turned round (the best answer is ``high``)."""
    low, high, reversed_ = scale_of(raw, mapping, fieldname, column)
    values = as_scores(s, low, high, check, column)
    if reversed_:
        values = (low + high - values).astype("Int8")
    return values, low, high


@cache
def country_names() -> dict[str, str]:
    """Country names in en/sv/da/fi/nl (lower case) to ISO codes, from Babel's CLDR data."""
    from babel import Locale

    names: dict[str, str] = {}
    for loc in ("en", "sv", "da", "fi", "nl"):
        for code, name in Locale.parse(loc).territories.items():
            if re.fullmatch(r"[A-Z]{2}", code):
                names[name.lower()] = code
                names[code.lower()] = code
    names.update({"usa": "US", "uk": "GB", "england": "GB"})
    return names
