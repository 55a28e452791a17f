"""Turn a mapped survey file into typed rows of the survey database, or list its problems.

Every check is vectorised over the whole file and every problem is kept (up to
:data:`MAX_PROBLEMS`), so that one run tells the user everything to fix.
"""

from __future__ import annotations

import re
from functools import cache

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from cxresearch.data.imports.mapping import ROW_NUMBER, Mapping
from cxresearch.data.imports.readers import (
    CANONICAL_INTERACTIONS,
    CANONICAL_SPEND,
    MAX_PROBLEMS,
    Problem,
    RawTable,
    raise_problems,
)
from cxresearch.data.schema import SEGMENTS, TOUCHPOINTS
from cxresearch.errors import ImportValidationError

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
_BOOL_WORDS = {**dict.fromkeys(["yes", "y", "ja", "kyllä", "true", "1"], True),
               **dict.fromkeys(["no", "n", "nej", "ei", "nee", "false", "0"], False)}  # fmt: skip
_DATE_FORMATS = ("%d.%m.%Y %H:%M:%S", "%d.%m.%Y %H:%M", "%d.%m.%Y", "%m/%d/%Y %I:%M:%S %p",
                 "%m/%d/%Y %I:%M %p")  # fmt: skip


class _Checker:
    def __init__(self, raw: RawTable) -> None:
        self.raw = raw
        self.problems: list[Problem] = []
        self.total = 0

    def flag(self, mask, values: pd.Series, column: str, expected: str) -> None:
        for i in np.flatnonzero(np.asarray(mask, dtype=bool)):
            self.add(i, values, column, expected)

    def add(self, i: int, values: pd.Series, column: str, expected: str) -> None:
        self.total += 1
        if len(self.problems) < MAX_PROBLEMS:
            row = self.raw.row_number(i)
            value = str(values.iloc[i])
            self.problems.append(Problem(self.raw.path.name, row, column, value, expected))

    def raise_if_any(self) -> None:
        if self.total:
            raise_problems(self.raw.path, self.problems, self.total)


def _text(series: pd.Series, missing) -> pd.Series:
    s = series.astype("string[pyarrow]").fillna("").str.strip()
    return s.mask(s.isin(list(missing)), "")


def _plain_numbers(s: pd.Series) -> pd.Series:
    """Parse cells such as ``9`` or ``-1.5`` in Arrow; anything else becomes NaN."""
    arr = pa.array(s.astype("string[pyarrow]").array)
    ok = pc.match_substring_regex(arr, r"^-?\d+(\.\d+)?$")
    values = pc.cast(pc.if_else(ok, arr, pa.scalar(None, pa.string())), pa.float64())
    return pd.Series(values.to_numpy(zero_copy_only=False), index=s.index)


def _numbers(s: pd.Series, decimal_comma: bool) -> pd.Series:
    t = s.str.replace(r"\s", "", regex=True)
    if decimal_comma:
        t = t.str.replace(",", ".", regex=False)
    return pd.to_numeric(t, errors="coerce")


def _scores(s: pd.Series, low: int, high: int, check: _Checker, column: str) -> pd.Series:
    """Integers in [low, high]; labels such as '9 - Very likely' keep their number."""
    num = _plain_numbers(s)
    labelled = num.isna() & (s != "")
    if labelled.any():
        part = s[labelled].astype(object)
        lead = part.str.extract(r"^\s*(-?\d+(?:[.,]\d+)?)(?:\s*(?:-|–|:|=)\s*\S.*|\s*)$")[0]
        num = num.astype(float)
        num[labelled] = pd.to_numeric(lead.str.replace(",", ".", regex=False), errors="coerce")
    bad = (s != "") & (num.isna() | (num % 1 != 0) | (num < low) | (num > high))
    check.flag(bad, s, column, f"an integer {low}-{high}")
    return num.where(~bad & (s != "")).astype("Int8")


def _dates(s: pd.Series, fmt: str | None, check: _Checker, column: str) -> pd.Series:
    if fmt:
        out = pd.to_datetime(s, format=fmt, errors="coerce")
    else:
        out = pd.to_datetime(s, format="ISO8601", errors="coerce")
        for other in _DATE_FORMATS:
            todo = out.isna() & (s != "")
            if not todo.any():
                break
            out = out.where(~todo, pd.to_datetime(s.where(todo), format=other, errors="coerce"))
    if getattr(out.dt, "tz", None) is not None:
        out = out.dt.tz_convert("UTC").dt.tz_localize(None)
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


def _coded(s: pd.Series, allowed: dict[str, str], check: _Checker, column: str, expected: str):
    key = s.str.lower()
    out = key.map(allowed)
    check.flag((s != "") & out.isna(), s, column, expected)
    return out.where(s != "")


@cache
def _country_names() -> dict[str, str]:
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


def responses(raw: RawTable, mapping: Mapping, source: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Validate a mapped file and return its responses and customers.

    Raises
    ------
    ImportValidationError
        Listing every problem found (up to :data:`MAX_PROBLEMS`); nothing is returned.
    """
    check = _Checker(raw)
    n = len(raw.frame)
    frame, names = {}, {}
    for fieldname, column in mapping.columns.items():
        if column == ROW_NUMBER:
            frame[fieldname] = pd.Series([str(raw.row_number(i)) for i in range(n)], dtype=object)
            names[fieldname] = "row number"
            continue
        if column not in raw.frame.columns:
            raise ImportValidationError(
                f"{raw.path}: the mapping puts {fieldname} in column {column!r}, which the file "
                f"does not have; its columns are: {', '.join(map(repr, raw.frame.columns))}"
            )
        s = _text(raw.frame[column], mapping.missing)
        if fieldname in mapping.values:
            s = s.map(lambda v, m=mapping.values[fieldname]: m.get(v, v))
        frame[fieldname], names[fieldname] = s, column
    for fieldname, value in mapping.constants.items():
        if fieldname not in frame:
            frame[fieldname] = pd.Series([str(value)] * n, dtype=object)
            names[fieldname] = f"{fieldname} (constant)"
    blank = pd.Series([""] * n, dtype=object)

    def get(fieldname: str) -> pd.Series:
        return frame.get(fieldname, blank)

    for required in ("response_id", "responded_at"):
        if required not in frame:
            raise ImportValidationError(
                f"{raw.path}: no column for {required}: map one (or, for responded_at, set a "
                f"constant) in the mapping; the file's columns are: "
                f"{', '.join(map(repr, raw.frame.columns))}"
            )
    answers = ("nps", "csat", "recommended_last_12m", "comment")
    if not any(a in frame for a in answers):
        raise ImportValidationError(f"{raw.path}: map at least one of {', '.join(answers)}")

    rid = get("response_id")
    check.flag(rid == "", rid, names["response_id"], "a response id (no blanks)")
    dup = (rid.duplicated(keep="first") & (rid != "")).to_numpy()
    if dup.any():
        first = pd.Series(np.arange(n)).groupby(rid.to_numpy()).transform("min").to_numpy()
        for i in np.flatnonzero(dup):
            check.add(
                i,
                rid,
                names["response_id"],
                f"a unique response id (row {raw.row_number(first[i])} has it too)",
            )
    when = _dates(get("responded_at"), mapping.date_format, check, names["responded_at"])
    check.flag(get("responded_at") == "", get("responded_at"), names["responded_at"], "a date")
    nps = _scores(get("nps"), 0, 10, check, names.get("nps", "nps"))
    low, high = mapping.scales.get("csat", (1, 5))
    csat = _scores(get("csat"), low, high, check, names.get("csat", "csat"))
    rec = _coded(
        get("recommended_last_12m"),
        RECOMMENDED_WORDS,
        check,
        names.get("recommended_last_12m", "recommended_last_12m"),
        "yes, no or unknown (map other answers under values: in the mapping)",
    )
    seg = _coded(
        get("segment"),
        {s.lower(): s for s in SEGMENTS},
        check,
        names.get("segment", "segment"),
        "B2B or B2C",
    )
    country = _coded(
        get("country"),
        _country_names(),
        check,
        names.get("country", "country"),
        "an ISO country code such as SE, or a country name",
    )
    lang = get("language").str.lower()
    check.flag(
        (lang != "") & ~lang.str.fullmatch(r"[a-z]{2}(-[a-z]{2})?"),
        get("language"),
        names.get("language", "language"),
        "a language code such as sv or en",
    )
    tp = _coded(
        get("touchpoint"),
        {t: t for t in TOUCHPOINTS},
        check,
        names.get("touchpoint", "touchpoint"),
        f"one of {', '.join(TOUCHPOINTS)}",
    )
    weight = _numbers(get("weight"), raw.delimiter != ",")
    bad_w = (get("weight") != "") & (weight.isna() | (weight <= 0))
    check.flag(bad_w, get("weight"), names.get("weight", "weight"), "a positive number")
    check.raise_if_any()

    cid = get("customer_id")
    cid = cid.where(cid != "", source + ":" + rid)
    out = pd.DataFrame(
        {
            "response_id": rid.array,
            "source": source,
            "customer_id": cid.array,
            "responded_at": when.to_numpy(),
            "touchpoint": tp.to_numpy(dtype=object),
            "language": _blank_to_null(lang.str[:2]),
            "nps": nps.to_numpy(),
            "csat": csat.to_numpy(),
            "recommended_last_12m": rec.fillna("unknown").to_numpy(dtype=object),
            "comment": _blank_to_null(get("comment")),
            "weight": weight.fillna(1.0).to_numpy(dtype=float),
        }
    )
    customers = pd.DataFrame(
        {
            "customer_id": out["customer_id"],
            "segment": seg.to_numpy(dtype=object),
            "country": country.to_numpy(dtype=object),
            "industry": _blank_to_null(get("industry")).to_numpy(dtype=object),
        }
    )
    customers = customers.groupby("customer_id", sort=False, as_index=False).last()
    return out, customers


def _blank_to_null(s: pd.Series):
    """Empty strings become missing (Arrow-backed, no copy to Python objects)."""
    return s.astype("string[pyarrow]").mask(s == "").array


def _require(raw: RawTable, columns) -> None:
    missing = [c for c in columns if c not in raw.frame.columns]
    if missing:
        raise ImportValidationError(
            f"{raw.path}: required column(s) {missing} missing; the file has "
            f"{', '.join(map(repr, raw.frame.columns))}"
        )


def spend(raw: RawTable, mapping: Mapping) -> pd.DataFrame:
    """Validate a monthly spend file (``customer_id, month, amount, currency``)."""
    _require(raw, CANONICAL_SPEND)
    check = _Checker(raw)
    t = {c: _text(raw.frame[c], mapping.missing) for c in CANONICAL_SPEND}
    check.flag(t["customer_id"] == "", t["customer_id"], "customer_id", "a customer id")
    month_text = t["month"].where(~t["month"].str.fullmatch(r"\d{4}-\d{2}"), t["month"] + "-01")
    month = _dates(month_text, mapping.date_format, check, "month")
    check.flag(t["month"] == "", t["month"], "month", "a month such as 2025-03")
    amount = _numbers(t["amount"], raw.delimiter != ",")
    check.flag(amount.isna(), t["amount"], "amount", "a number (decimal point or comma)")
    check.flag(
        ~t["currency"].str.fullmatch(r"[A-Za-z]{3}"),
        t["currency"],
        "currency",
        "an ISO currency code such as EUR or SEK",
    )
    check.raise_if_any()
    return pd.DataFrame(
        {
            "customer_id": t["customer_id"].to_numpy(dtype=object),
            "month": month.dt.to_period("M").dt.start_time.dt.date.to_numpy(),
            "amount": amount.to_numpy(dtype=float),
            "currency": t["currency"].str.upper().to_numpy(dtype=object),
        }
    )


def interactions(raw: RawTable, mapping: Mapping) -> pd.DataFrame:
    """Validate a service interactions file (see docs/import.md for its columns)."""
    _require(raw, CANONICAL_INTERACTIONS)
    check = _Checker(raw)
    t = {c: _text(raw.frame[c], mapping.missing) for c in CANONICAL_INTERACTIONS}
    for c in ("interaction_id", "customer_id"):
        check.flag(t[c] == "", t[c], c, "an id")
    dup = t["interaction_id"].duplicated() & (t["interaction_id"] != "")
    check.flag(dup, t["interaction_id"], "interaction_id", "a unique interaction id")
    agent = pd.to_numeric(t["agent_id"], errors="coerce")
    check.flag(agent.isna() | (agent % 1 != 0), t["agent_id"], "agent_id", "an integer agent id")
    when = _dates(t["occurred_at"], mapping.date_format, check, "occurred_at")
    check.flag(t["occurred_at"] == "", t["occurred_at"], "occurred_at", "a date")
    low, high = mapping.scales.get("csat", (1, 5))
    csat = _scores(t["csat"], low, high, check, "csat")
    complaint = t["complaint"].str.lower().map(_BOOL_WORDS)
    check.flag(complaint.isna(), t["complaint"], "complaint", "yes or no")
    check.raise_if_any()
    return pd.DataFrame(
        {
            "interaction_id": t["interaction_id"].to_numpy(dtype=object),
            "customer_id": t["customer_id"].to_numpy(dtype=object),
            "agent_id": agent.astype("int64").to_numpy(),
            "team": t["team"].replace("", None).to_numpy(dtype=object),
            "occurred_at": when.to_numpy(),
            "csat": csat.to_numpy(),
            "complaint": complaint.astype(bool).to_numpy(),
        }
    )
