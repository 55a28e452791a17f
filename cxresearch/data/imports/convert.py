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
    CANONICAL_AGENTS,
    CANONICAL_CUSTOMERS,
    CANONICAL_INTERACTIONS,
    CANONICAL_SPEND,
    MAX_PROBLEMS,
    Problem,
    RawTable,
    raise_problems,
)
from cxresearch.data.schema import DEFAULT_SCALE, normalise_label
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


def _dates(
    s: pd.Series, fmt: str | None, check: _Checker, column: str, tz: str | None = None
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
        for other in _DATE_FORMATS:
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


def _coded(s: pd.Series, allowed: dict[str, str], check: _Checker, column: str, expected: str):
    key = s.str.lower()
    out = key.map(allowed)
    check.flag((s != "") & out.isna(), s, column, expected)
    return out.where(s != "")


def _labels(s: pd.Series, synonyms: dict[str, str]) -> pd.Series:
    """Free labels: synonyms (matched ignoring case) mapped, then :func:`normalise_label`."""
    lookup = {str(k).strip().lower(): v for k, v in synonyms.items()}
    values = pd.unique(s.astype(object))
    table = {v: normalise_label(lookup.get(v.lower(), v)) if v else "" for v in values}
    return s.astype(object).map(table)


#: Value labels of the best and the worst end of a scale (en/sv/da/fi/nl), used to detect
#: a reversed SPSS scale (1 = very satisfied).
_BEST = re.compile(
    r"very satisfied|extremely satisfied|completely satisfied|excellent|very good|"
    r"strongly agree|very likely|extremely likely|mycket nöjd|meget tilfreds|"
    r"erittäin tyytyväinen|zeer tevreden",
    re.IGNORECASE,
)
_WORST = re.compile(
    r"dissatisfied|unsatisfied|not at all|very poor|very bad|terrible|strongly disagree|"
    r"unlikely|missnöjd|inte alls nöjd|utilfreds|tyytymätön|ontevreden",
    re.IGNORECASE,
)
_NOT_ON_SCALE = re.compile(
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
        if isinstance(k, int | float) and not _NOT_ON_SCALE.search(str(v))
    }
    if len(labels) >= 2:
        low, high = min(labels), max(labels)
        if float(low).is_integer() and float(high).is_integer():
            worst_first = _BEST.search(labels[low]) and not _WORST.search(labels[low])
            reversed_ = bool(worst_first and _WORST.search(labels[high]))
            return int(low), int(high), reversed_
    return (*DEFAULT_SCALE, False)


def _scaled(
    s: pd.Series, raw: RawTable, mapping: Mapping, fieldname: str, column: str, check: _Checker
) -> tuple[pd.Series, int, int]:
    """Ratings on their scale, reversed scales turned round (the best answer is ``high``)."""
    low, high, reversed_ = scale_of(raw, mapping, fieldname, column)
    values = _scores(s, low, high, check, column)
    if reversed_:
        values = (low + high - values).astype("Int8")
    return values, low, high


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


def responses(
    raw: RawTable, mapping: Mapping, source: str
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Validate a mapped file and return its responses, customers and attribute ratings.

    Segments, touchpoints and industries are free labels (synonyms under ``labels:`` in
    the mapping, then :func:`cxresearch.data.schema.normalise_label`); countries must be ISO
    codes or country names. CSAT and every ``rating_<attribute>`` field are stored with
    the scale :func:`scale_of` finds.

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
    when = _dates(
        get("responded_at"),
        mapping.date_format,
        check,
        names["responded_at"],
        mapping.timezone or raw.timezones.get(mapping.columns.get("responded_at", "")),
    )
    check.flag(get("responded_at") == "", get("responded_at"), names["responded_at"], "a date")
    nps = _scores(get("nps"), 0, 10, check, names.get("nps", "nps"))
    csat, csat_low, csat_high = _scaled(
        get("csat"), raw, mapping, "csat", names.get("csat", "csat"), check
    )
    ratings = {
        f[len("rating_") :]: _scaled(get(f), raw, mapping, f, names[f], check)
        for f in frame
        if f.startswith("rating_")
    }
    rec = _coded(
        get("recommended_last_12m"),
        RECOMMENDED_WORDS,
        check,
        names.get("recommended_last_12m", "recommended_last_12m"),
        "yes, no or unknown (map other answers under values: in the mapping)",
    )
    seg = _labels(get("segment"), mapping.labels.get("segment", {}))
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
    tp = _labels(get("touchpoint"), mapping.labels.get("touchpoint", {}))
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
            "touchpoint": _blank_to_null(tp),
            "language": _blank_to_null(lang.str[:2]),
            "nps": nps.to_numpy(),
            "csat": csat.to_numpy(),
            "csat_min": np.int8(csat_low),
            "csat_max": np.int8(csat_high),
            "recommended_last_12m": rec.fillna("unknown").to_numpy(dtype=object),
            "comment": _blank_to_null(get("comment")),
            "weight": weight.fillna(1.0).to_numpy(dtype=float),
        }
    )
    customers = pd.DataFrame(
        {
            "customer_id": out["customer_id"],
            "segment": _blank_to_null(seg),
            "country": country.to_numpy(dtype=object),
            "industry": _blank_to_null(
                _labels(get("industry"), mapping.labels.get("industry", {}))
            ),
        }
    )
    customers = customers.groupby("customer_id", sort=False, as_index=False).last()
    long = [
        pd.DataFrame(
            {
                "response_id": rid.array,
                "source": source,
                "attribute": attribute,
                "rating": values.array,
                "rating_min": np.int8(low),
                "rating_max": np.int8(high),
            }
        ).dropna(subset=["rating"])
        for attribute, (values, low, high) in ratings.items()
    ]
    columns = ["response_id", "source", "attribute", "rating", "rating_min", "rating_max"]
    rated = pd.concat(long, ignore_index=True) if long else pd.DataFrame(columns=columns)
    return out, customers, rated


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
    month = _month(t["month"], mapping, check)
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
            "month": month,
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
    when = _dates(t["occurred_at"], mapping.date_format, check, "occurred_at", mapping.timezone)
    check.flag(t["occurred_at"] == "", t["occurred_at"], "occurred_at", "a date")
    csat, low, high = _scaled(t["csat"], raw, mapping, "csat", "csat", check)
    complaint = t["complaint"].str.lower().map(_BOOL_WORDS)
    check.flag(complaint.isna(), t["complaint"], "complaint", "yes or no")
    check.raise_if_any()
    return pd.DataFrame(
        {
            "interaction_id": t["interaction_id"].to_numpy(dtype=object),
            "customer_id": t["customer_id"].to_numpy(dtype=object),
            "agent_id": agent.astype("int64").to_numpy(),
            "team": _blank_to_null(_labels(t["team"], mapping.labels.get("team", {}))),
            "occurred_at": when.to_numpy(),
            "csat": csat.to_numpy(),
            "csat_min": np.int8(low),
            "csat_max": np.int8(high),
            "complaint": complaint.astype(bool).to_numpy(),
        }
    )


def _optional(raw: RawTable, mapping: Mapping, columns) -> dict[str, pd.Series]:
    """Each canonical column as trimmed text; blanks for the columns the file lacks."""
    blank = pd.Series([""] * len(raw.frame), dtype=object)
    return {
        c: _text(raw.frame[c], mapping.missing) if c in raw.frame.columns else blank
        for c in columns
    }


def _ids(t: dict[str, pd.Series], column: str, check: _Checker) -> None:
    check.flag(t[column] == "", t[column], column, "an id (no blanks)")
    dup = t[column].duplicated() & (t[column] != "")
    check.flag(dup, t[column], column, f"a unique {column} (each appears once in the file)")


def customers(raw: RawTable, mapping: Mapping) -> pd.DataFrame:
    """Validate a customers file (see docs/import.md for its columns).

    ``churn_date`` is the day a customer left; a ``churned`` flag (yes/no) may stand
    beside it, and then a churned customer needs a date and a staying one must have none.
    Columns the file lacks are left as they are in the database.
    """
    _require(raw, ["customer_id"])
    check = _Checker(raw)
    t = _optional(raw, mapping, CANONICAL_CUSTOMERS)
    _ids(t, "customer_id", check)
    first = _dates(t["first_purchase_date"], mapping.date_format, check, "first_purchase_date")
    churn = _dates(t["churn_date"], mapping.date_format, check, "churn_date")
    if "churned" in raw.frame.columns:
        flag = t["churned"].str.lower().map(_BOOL_WORDS)
        check.flag(flag.isna(), t["churned"], "churned", "yes or no")
        check.flag(
            (flag == True) & (t["churn_date"] == ""),  # noqa: E712 - NaN-aware comparison
            t["churned"],
            "churned",
            "a churn_date when churned is yes",
        )
        check.flag(
            (flag == False) & (t["churn_date"] != ""),  # noqa: E712
            t["churn_date"],
            "churn_date",
            "no date when churned is no",
        )
    country = _coded(
        t["country"], _country_names(), check, "country",
        "an ISO country code such as SE, or a country name",
    )  # fmt: skip
    late = first.notna() & churn.notna() & (churn < first)
    check.flag(late, t["churn_date"], "churn_date", "a date on or after first_purchase_date")
    check.raise_if_any()
    out = pd.DataFrame(
        {
            "customer_id": t["customer_id"].to_numpy(dtype=object),
            "segment": _blank_to_null(_labels(t["segment"], mapping.labels.get("segment", {}))),
            "country": country.to_numpy(dtype=object),
            "industry": _blank_to_null(_labels(t["industry"], mapping.labels.get("industry", {}))),
            "first_purchase_date": first.dt.date.to_numpy(),
            "churn_date": churn.dt.date.to_numpy(),
        }
    )
    present = ["customer_id", *(c for c in out.columns[1:] if c in raw.frame.columns)]
    return out[present]


def agent_satisfaction(raw: RawTable, mapping: Mapping) -> pd.DataFrame:
    """Validate an agent ratings file: ``agent_id, team, month, asat, n``.

    ``asat`` is the agent's mean satisfaction in the month, ``n`` the answers behind it
    (blank or missing: 1).
    """
    _require(raw, ["agent_id", "month", "asat"])
    check = _Checker(raw)
    t = _optional(raw, mapping, CANONICAL_AGENTS)
    agent = pd.to_numeric(t["agent_id"], errors="coerce")
    check.flag(agent.isna() | (agent % 1 != 0), t["agent_id"], "agent_id", "an integer agent id")
    month = _month(t["month"], mapping, check)
    asat = _numbers(t["asat"], raw.delimiter != ",")
    check.flag(asat.isna(), t["asat"], "asat", "a number (the mean agent satisfaction)")
    n = pd.to_numeric(t["n"].replace("", "1"), errors="coerce")
    check.flag(n.isna() | (n < 1) | (n % 1 != 0), t["n"], "n", "a positive whole number")
    key = agent.astype(str) + "|" + t["month"]
    check.flag(key.duplicated(), t["month"], "month", "one row per agent and month")
    check.raise_if_any()
    return pd.DataFrame(
        {
            "agent_id": agent.astype("int64").to_numpy(),
            "team": _blank_to_null(_labels(t["team"], mapping.labels.get("team", {}))),
            "month": month,
            "asat": asat.to_numpy(dtype=float),
            "n": n.astype("int64").to_numpy(),
        }
    )


def _month(text: pd.Series, mapping: Mapping, check: _Checker) -> np.ndarray:
    """Months as ``2025-03`` or a date in the month, as the month's first day."""
    full = text.where(~text.str.fullmatch(r"\d{4}-\d{2}"), text + "-01")
    month = _dates(full, mapping.date_format, check, "month")
    check.flag(text == "", text, "month", "a month such as 2025-03")
    return month.dt.to_period("M").dt.start_time.dt.date.to_numpy()


#: The converter of each kind of companion file.
TABLE_READERS = {
    "spend": spend,
    "interactions": interactions,
    "agent_satisfaction": agent_satisfaction,
}
_CANONICAL = {
    "spend": CANONICAL_SPEND,
    "interactions": CANONICAL_INTERACTIONS,
    "agent_satisfaction": CANONICAL_AGENTS,
    "customers": CANONICAL_CUSTOMERS,
}


def unused(raw: RawTable) -> list[str]:
    """Columns of a companion file (customers, spend, ...) that its format does not read."""
    return [c for c in raw.frame.columns if c not in _CANONICAL[raw.kind]]
