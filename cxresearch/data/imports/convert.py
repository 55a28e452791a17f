"""Turn a mapped survey file into typed rows of the survey database, or list its problems.

Every check is vectorised over the whole file and every problem is kept (up to
:data:`MAX_PROBLEMS`), so that one run tells the user everything to fix.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cxresearch.data.imports.mapping import RECOMMENDED_WORDS, ROW_NUMBER, Mapping
from cxresearch.data.imports.readers import (
    CANONICAL_AGENTS,
    CANONICAL_CUSTOMERS,
    CANONICAL_INTERACTIONS,
    CANONICAL_SPEND,
    RawTable,
)
from cxresearch.data.imports.values import (
    BOOL_WORDS,
    Checker,
    as_coded,
    as_dates,
    as_labels,
    as_numbers,
    as_scores,
    as_text,
    country_names,
    scaled,
)
from cxresearch.errors import ImportValidationError


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
    check = Checker(raw)
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
        s = as_text(raw.frame[column], mapping.missing)
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
    when = as_dates(
        get("responded_at"),
        mapping.date_format,
        check,
        names["responded_at"],
        mapping.timezone or raw.timezones.get(mapping.columns.get("responded_at", "")),
    )
    check.flag(get("responded_at") == "", get("responded_at"), names["responded_at"], "a date")
    nps = as_scores(get("nps"), 0, 10, check, names.get("nps", "nps"))
    csat, csat_low, csat_high = scaled(
        get("csat"), raw, mapping, "csat", names.get("csat", "csat"), check
    )
    ratings = {
        f[len("rating_") :]: scaled(get(f), raw, mapping, f, names[f], check)
        for f in frame
        if f.startswith("rating_")
    }
    rec = as_coded(
        get("recommended_last_12m"),
        RECOMMENDED_WORDS,
        check,
        names.get("recommended_last_12m", "recommended_last_12m"),
        "yes, no or unknown (map other answers under values: in the mapping)",
    )
    seg = as_labels(get("segment"), mapping.labels.get("segment", {}))
    country = as_coded(
        get("country"),
        country_names(),
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
    tp = as_labels(get("touchpoint"), mapping.labels.get("touchpoint", {}))
    weight = as_numbers(get("weight"), raw.delimiter != ",")
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
                as_labels(get("industry"), mapping.labels.get("industry", {}))
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
    check = Checker(raw)
    t = {c: as_text(raw.frame[c], mapping.missing) for c in CANONICAL_SPEND}
    check.flag(t["customer_id"] == "", t["customer_id"], "customer_id", "a customer id")
    month = _month(t["month"], mapping, check)
    amount = as_numbers(t["amount"], raw.delimiter != ",")
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
    check = Checker(raw)
    t = {c: as_text(raw.frame[c], mapping.missing) for c in CANONICAL_INTERACTIONS}
    for c in ("interaction_id", "customer_id"):
        check.flag(t[c] == "", t[c], c, "an id")
    dup = t["interaction_id"].duplicated() & (t["interaction_id"] != "")
    check.flag(dup, t["interaction_id"], "interaction_id", "a unique interaction id")
    agent = pd.to_numeric(t["agent_id"], errors="coerce")
    check.flag(agent.isna() | (agent % 1 != 0), t["agent_id"], "agent_id", "an integer agent id")
    when = as_dates(t["occurred_at"], mapping.date_format, check, "occurred_at", mapping.timezone)
    check.flag(t["occurred_at"] == "", t["occurred_at"], "occurred_at", "a date")
    csat, low, high = scaled(t["csat"], raw, mapping, "csat", "csat", check)
    complaint = t["complaint"].str.lower().map(BOOL_WORDS)
    check.flag(complaint.isna(), t["complaint"], "complaint", "yes or no")
    check.raise_if_any()
    return pd.DataFrame(
        {
            "interaction_id": t["interaction_id"].to_numpy(dtype=object),
            "customer_id": t["customer_id"].to_numpy(dtype=object),
            "agent_id": agent.astype("int64").to_numpy(),
            "team": _blank_to_null(as_labels(t["team"], mapping.labels.get("team", {}))),
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
        c: as_text(raw.frame[c], mapping.missing) if c in raw.frame.columns else blank
        for c in columns
    }


def _ids(t: dict[str, pd.Series], column: str, check: Checker) -> None:
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
    check = Checker(raw)
    t = _optional(raw, mapping, CANONICAL_CUSTOMERS)
    _ids(t, "customer_id", check)
    first = as_dates(t["first_purchase_date"], mapping.date_format, check, "first_purchase_date")
    churn = as_dates(t["churn_date"], mapping.date_format, check, "churn_date")
    if "churned" in raw.frame.columns:
        flag = t["churned"].str.lower().map(BOOL_WORDS)
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
    country = as_coded(
        t["country"], country_names(), check, "country",
        "an ISO country code such as SE, or a country name",
    )  # fmt: skip
    late = first.notna() & churn.notna() & (churn < first)
    check.flag(late, t["churn_date"], "churn_date", "a date on or after first_purchase_date")
    check.raise_if_any()
    out = pd.DataFrame(
        {
            "customer_id": t["customer_id"].to_numpy(dtype=object),
            "segment": _blank_to_null(as_labels(t["segment"], mapping.labels.get("segment", {}))),
            "country": country.to_numpy(dtype=object),
            "industry": _blank_to_null(
                as_labels(t["industry"], mapping.labels.get("industry", {}))
            ),
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
    check = Checker(raw)
    t = _optional(raw, mapping, CANONICAL_AGENTS)
    agent = pd.to_numeric(t["agent_id"], errors="coerce")
    check.flag(agent.isna() | (agent % 1 != 0), t["agent_id"], "agent_id", "an integer agent id")
    month = _month(t["month"], mapping, check)
    asat = as_numbers(t["asat"], raw.delimiter != ",")
    check.flag(asat.isna(), t["asat"], "asat", "a number (the mean agent satisfaction)")
    n = pd.to_numeric(t["n"].replace("", "1"), errors="coerce")
    check.flag(n.isna() | (n < 1) | (n % 1 != 0), t["n"], "n", "a positive whole number")
    key = agent.astype(str) + "|" + t["month"]
    check.flag(key.duplicated(), t["month"], "month", "one row per agent and month")
    check.raise_if_any()
    return pd.DataFrame(
        {
            "agent_id": agent.astype("int64").to_numpy(),
            "team": _blank_to_null(as_labels(t["team"], mapping.labels.get("team", {}))),
            "month": month,
            "asat": asat.to_numpy(dtype=float),
            "n": n.astype("int64").to_numpy(),
        }
    )


def _month(text: pd.Series, mapping: Mapping, check: Checker) -> np.ndarray:
    """Months as ``2025-03`` or a date in the month, as the month's first day."""
    full = text.where(~text.str.fullmatch(r"\d{4}-\d{2}"), text + "-01")
    month = as_dates(full, mapping.date_format, check, "month")
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
