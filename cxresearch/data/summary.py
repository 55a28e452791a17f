"""Per-day sufficient statistics of the responses: reports answered without reading rows.

``response_days`` holds, per day x segment x country x touchpoint x language x survey (as
small integer codes, :mod:`cxresearch.data.summaryrows`), the count of respondents and the
sums of their weights and squared weights for every recommend score (0-10, with the
yes/no/other answer of ``recommended_last_12m``) and every CSAT rating (with the scale it
was given on); ``response_months`` holds the same sums per month, which queries whose
dates are whole months read. :func:`write_tables <cxresearch.data.write.write_tables>` and
``demo-data`` rebuild them in the same transaction that writes the responses
(:func:`refresh`), imports append to them or rebuild them
(:mod:`cxresearch.data.summaryupdate`); ``response_days_rows`` records how many responses
they were built from.

NPS, CSAT and intent counts on responses read with :func:`cxresearch.data.db.read_responses`
(its date, segment and country filters) grouped by these columns (and ``month``), unweighted
or weighted by ``weight``, are then one SQL query over the summary (:func:`nps_counts`,
:func:`csat_counts`, :func:`intent_counts`). A database without the summary (an older file)
gets the same query over the responses themselves: still one round trip. Any other shape
(a per-customer join, another column, another weight, Spark) returns ``None`` and the metric
aggregates the rows through Ibis, as before; both give the same numbers
(``tests/test_summary.py``).
"""

from __future__ import annotations

import contextlib
import threading
import weakref
from collections.abc import Iterator, Sequence

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd
from ibis.formats.pandas import PandasData

from cxresearch.data import summaryquery, summaryrows
from cxresearch.data.filters import as_date, origin
from cxresearch.data.periods import PERIOD as PERIOD
from cxresearch.data.periods import with_periods as with_periods

SUMMARY = summaryrows.CELLS
ROWS = "response_days_rows"
#: The summary tables of versions before the coded cells: dropped when the summary is rebuilt.
OLD = ("response_summary", "response_summary_rows")

#: Columns a metric may group by and still be answered from the summary.
GROUPS = ("segment", "country", "touchpoint", "language", "survey_id", "month")
#: Backends that run the summary SQL; others (Spark) aggregate rows.
ENGINES = ("duckdb", "postgres")


def refresh(session, responses: str = "responses") -> bool:
    """Rebuild the summary from ``responses`` and ``customers``, inside the caller's transaction.

    Parameters
    ----------
    session
        An open :class:`cxresearch.data.sqlsession.Session` (DuckDB or PostgreSQL).
    responses
        Where the rows of ``responses`` are read from: the table, or a parenthesised query
        giving exactly its rows (an import into an empty database passes its staged rows,
        see :func:`cxresearch.data.summaryrows.rows_sql`).

    Returns
    -------
    bool
        Whether a summary was written: without both tables the summary is dropped, so
        that no stale summary outlives the responses it described.
    """
    tables = session.tables()
    for name in (*OLD, *_TABLES):  # the tables of earlier versions go too
        if name in tables:
            session.execute(f"DROP TABLE {name}")
    if not {"responses", "customers"} <= tables:
        return False
    for name in _TABLES:
        columns = summaryrows.COLUMNS.get(name, "(responses BIGINT)")
        session.execute(f"CREATE TABLE {name} {columns}")
    with summaryrows.joins_as_written(session):
        for statement in summaryrows.codes_sql(responses=responses):
            session.execute(statement)
        rows = summaryrows.rows_sql(responses=responses)  # both measures
        session.execute(f"INSERT INTO {SUMMARY} {rows}")
        session.execute(f"INSERT INTO {summaryrows.MONTHS} {summaryrows.months_sql(SUMMARY)}")
    session.execute(f"INSERT INTO {ROWS} SELECT count(*) FROM responses")
    return True


_TABLES = (SUMMARY, summaryrows.MONTHS, summaryrows.WHO, summaryrows.HOW, ROWS)


def present(session) -> bool:
    """Whether the database of an open session holds a summary of this version's tables."""
    return set(_TABLES) <= session.tables()


_ROUTING = threading.local()


@contextlib.contextmanager
def rows_only() -> Iterator[None]:
    """Within this block metrics aggregate rows through Ibis (the path the summary must match)."""
    _ROUTING.off = getattr(_ROUTING, "off", 0) + 1
    try:
        yield
    finally:
        _ROUTING.off -= 1


#: Per connection object (Ibis backends compare equal by database, so by ``id``):
#: a weak reference to it and whether its summary is usable.
_USABLE: dict[int, tuple[weakref.ref, bool]] = {}


def usable(con: ibis.BaseBackend) -> bool:
    """Whether ``con`` holds a summary built from its current responses (checked once).

    The check compares the count of responses with the count the summary was built from,
    which catches rows written around :func:`refresh`.
    """
    known = _USABLE.get(id(con))
    if known is not None and known[0]() is con:
        return known[1]
    try:
        found = _fetch(con, f"SELECT (SELECT max(responses) FROM {ROWS}), "
                            "(SELECT count(*) FROM responses)")  # fmt: skip
    except Exception:  # noqa: BLE001 - no summary (or no responses): not usable
        found = []
    ok = bool(found) and found[0][0] is not None and int(found[0][0]) == int(found[0][1])
    for key in [k for k, (ref, _) in _USABLE.items() if ref() is None]:
        del _USABLE[key]
    _USABLE[id(con)] = (weakref.ref(con), ok)
    return ok


def _has_scales(con: ibis.BaseBackend) -> bool:
    """Whether ``responses`` declares each rating's scale (``csat_min`` and ``csat_max``)."""
    try:
        _fetch(con, "SELECT csat_min, csat_max FROM responses WHERE FALSE")
    except Exception:  # noqa: BLE001 - an older table: ratings on the default scale
        return False
    return True


def _fetch(con: ibis.BaseBackend, sql: str) -> list[tuple]:
    """Run ``sql`` on the backend's own connection; rows as tuples."""
    if con.name == "duckdb":
        return con.con.execute(sql).fetchall()
    cur = con.raw_sql(sql)
    try:
        return cur.fetchall()
    finally:
        cur.close()


def route(t: ir.Table, by: Sequence[str], weights: str | None) -> tuple | None:
    """Where ``t`` came from, when its counts grouped by ``by`` can come from the summary.

    Returns
    -------
    tuple or None
        The origin :func:`cxresearch.data.filters.origin` recorded (backend, dates,
        segments, countries), or ``None``: the metric then aggregates rows.
    """
    if getattr(_ROUTING, "off", 0) or weights not in (None, "weight"):
        return None
    if not isinstance(t, ir.Table):
        return None
    found = origin(t)
    if found is None or found[0].name not in ENGINES:
        return None
    periods = found[5] if len(found) > 5 else None
    if any(column not in GROUPS and not (column == PERIOD and periods) for column in by):
        return None
    return found


def _query(
    found: tuple, measure: str, by: Sequence[str], aggregates: dict[str, str], schema: dict
) -> pd.DataFrame:
    """One grouped query over the summary (or the responses), typed as Ibis types its result.

    ``schema`` gives the Ibis type of every output column (groups and aggregates).
    """
    con = found[0]
    on = usable(con)
    sql = summaryquery.grouped_sql(found, measure, by, aggregates, summary=on,
                                   scales=on or _has_scales(con))  # fmt: skip
    rows = _fetch(con, sql)
    columns = [*by, *aggregates]
    types = ibis.schema({c: schema[c] for c in columns})
    out = _plain_frame(rows, types, len(by))
    if out is not None:
        return out
    frame = pd.DataFrame(rows, columns=columns)
    out = PandasData.convert_table(frame, types)
    if by:
        out = out.sort_values(list(by), ignore_index=True)
    return out


def _plain_frame(rows: list[tuple], types: ibis.Schema, keys: int) -> pd.DataFrame | None:
    """Rows of text, whole numbers and floats, with no missing value, as a sorted frame.

    The frame :func:`_query` would build with Ibis's conversion and ``sort_values`` on the
    first ``keys`` columns, made from the columns directly (a few milliseconds less for
    each of a report's queries); ``None`` for any other type or a missing value.
    """
    kinds = []
    for dtype in types.types:
        if dtype.is_string():
            kinds.append(object)
        elif dtype.is_int64():
            kinds.append(np.int64)
        elif dtype.is_float64():
            kinds.append(np.float64)
        else:
            return None
    if any(value is None for row in rows for value in row):
        return None
    if keys:
        rows = sorted(rows, key=lambda row: row[:keys])  # the keys of a grouping are unique
    data = {
        name: np.array([row[i] for row in rows], dtype=kind)
        for i, (name, kind) in enumerate(zip(types.names, kinds, strict=True))
    }
    return pd.DataFrame(data, index=pd.RangeIndex(len(rows)))


def csat_scales(t: ir.Table, default: tuple[int, int]) -> list[tuple[int, int]] | None:
    """The distinct scales of the rated CSAT answers in ``t``, from the summary, or ``None``.

    As :func:`cxresearch.data.scales.declared_scales` finds them in the rows (an undeclared
    scale is ``default``), in one small query; ``None`` when ``t`` does not fit the summary.
    """
    found = route(t, [], None)
    if found is None or not usable(found[0]):
        return None
    low, high = f"coalesce(scale_min, {int(default[0])})", f"coalesce(scale_max, {int(default[1])})"
    where = " AND ".join(summaryquery.where(found, "csat"))
    table = summaryquery.table(found)
    rows = _fetch(found[0], f"SELECT DISTINCT {low}, {high} FROM {table} WHERE {where}")
    return sorted((int(a), int(b)) for a, b in rows)


def holds(t: ir.Table, column: str, at_least: int) -> bool:
    """Whether the summary proves ``t`` has ``at_least`` answers (nps, csat) or known groups.

    ``False`` when it cannot tell (another shape or engine, no summary, or fewer found: a
    response with neither score is not in the summary): ask the rows then.
    """
    if column == "month" or column not in ("nps", "csat", *GROUPS):  # months: days there
        return False
    found = route(t, [], None)
    if found is None or not usable(found[0]):
        return False
    counted = column in ("nps", "csat")
    what = "coalesce(sum(n), 0)" if counted else f"count(DISTINCT {column})"
    where = " AND ".join(summaryquery.where(found, column if counted else None))
    source = summaryquery.labelled([] if counted else [column])
    return int(_fetch(found[0], f"SELECT {what} FROM {source} WHERE {where}")[0][0]) >= at_least


def has_responses(con: ibis.BaseBackend, filters: dict, *, scored: str | None = None) -> bool:
    """Whether the summary proves that responses exist under ``filters``.

    Parameters
    ----------
    filters
        ``start``, ``end``, ``segment``, ``country`` as :func:`db.read_responses
        <cxresearch.data.db.read_responses>` takes them.
    scored
        ``"nps"``: responses with a recommend score; ``None``: any with a score.

    Returns
    -------
    bool
        ``True`` when the summary holds such a response; ``False`` when it cannot tell
        (no summary, another engine, or only unscored responses): ask the rows then.
    """
    if con.name not in ENGINES or getattr(_ROUTING, "off", 0) or not usable(con):
        return False

    def codes(values) -> tuple | None:
        return None if not values else (values,) if isinstance(values, str) else tuple(values)

    start, end = (as_date(filters[k]) if filters.get(k) else None for k in ("start", "end"))
    found = (con, start, end, codes(filters.get("segment")), codes(filters.get("country")))
    where = " AND ".join(summaryquery.where(found, scored))
    return bool(_fetch(con, f"SELECT 1 FROM {summaryquery.table(found)} WHERE {where} LIMIT 1"))


def last_response(con: ibis.BaseBackend):
    """``max(responded_at)`` in one plain query (``None``: another engine, or no responses)."""
    if con.name not in ENGINES:
        return None
    return _fetch(con, "SELECT max(responded_at) FROM responses")[0][0]


def _int(sql: str) -> str:
    return f"CAST({sql} AS BIGINT)"


def _weights(weights: str | None) -> tuple[str, str]:
    """SQL of the weight sum and squared-weight sum of a cell (counts when unweighted)."""
    if weights is None:
        return "CAST(n AS DOUBLE PRECISION)", "CAST(n AS DOUBLE PRECISION)"
    return "sum_w", "sum_w2"


def _base(weights: str | None) -> tuple[dict, dict]:
    if weights is None:
        total = "CAST(coalesce(sum(n), 0) AS DOUBLE PRECISION)"
        aggs = {"n": _int("coalesce(sum(n), 0)"), "sum_w": total, "sum_w2": total}
    else:
        aggs = {"n": _int("coalesce(sum(n), 0)"), "sum_w": "sum(sum_w)", "sum_w2": "sum(sum_w2)"}
    return aggs, {"n": "int64", "sum_w": "float64", "sum_w2": "float64"}


def nps_counts(
    t: ir.Table, by: Sequence[str], weights: str | None, *, low: int, high: int,
    promoter: int, detractor: int,
) -> pd.DataFrame | None:  # fmt: skip
    """The aggregates of :func:`cxresearch.stats.metrics.nps` from the summary, or ``None``.

    Returns
    -------
    pandas.DataFrame or None
        ``[*by, n, sum_w, sum_w2, invalid, promoters, detractors, w_pro, w_det]``, one
        sorted row per group, as the row path computes them; ``None`` when ``t`` and
        ``by`` do not fit the summary.
    """
    found = route(t, by, weights)
    if found is None:
        return None
    aggs, schema = _base(weights)
    w, _ = _weights(weights)
    aggs.update(
        invalid=_int(f"sum(CASE WHEN score < {low} OR score > {high} THEN n ELSE 0 END)"),
        promoters=_int(f"sum(CASE WHEN score >= {promoter} THEN n ELSE 0 END)"),
        detractors=_int(f"sum(CASE WHEN score <= {detractor} THEN n ELSE 0 END)"),
        w_pro=f"sum(CASE WHEN score >= {promoter} THEN {w} ELSE 0.0 END)",
        w_det=f"sum(CASE WHEN score <= {detractor} THEN {w} ELSE 0.0 END)",
    )
    schema.update(invalid="int64", promoters="int64", detractors="int64", w_pro="float64",
                  w_det="float64")  # fmt: skip
    return _query(found, "nps", by, aggs, schema | _types(t, by))


def csat_counts(
    t: ir.Table, by: Sequence[str], weights: str | None, *, scale: tuple[int, int] | None,
    satisfied: int | None, default: tuple[int, int],
) -> pd.DataFrame | None:  # fmt: skip
    """The aggregates of :func:`cxresearch.stats.metrics.csat` from the summary, or ``None``.

    Returns
    -------
    pandas.DataFrame or None
        ``[*by, n, sum_w, sum_w2, satisfied, w_sat, invalid]``.
    """
    found = route(t, by, weights)
    if found is None:
        return None
    if scale is not None:
        low, high = str(int(scale[0])), str(int(scale[1]))
    else:
        low, high = f"coalesce(scale_min, {default[0]})", f"coalesce(scale_max, {default[1]})"
    top = f"({high} - 1)" if satisfied is None else str(int(satisfied))
    aggs, schema = _base(weights)
    w, _ = _weights(weights)
    aggs.update(
        satisfied=_int(f"sum(CASE WHEN score >= {top} THEN n ELSE 0 END)"),
        w_sat=f"sum(CASE WHEN score >= {top} THEN {w} ELSE 0.0 END)",
        invalid=_int(f"sum(CASE WHEN score < {low} OR score > {high} THEN n ELSE 0 END)"),
    )
    schema.update(satisfied="int64", w_sat="float64", invalid="int64")
    return _query(found, "csat", by, aggs, schema | _types(t, by))


def intent_counts(t: ir.Table, by: Sequence[str], weights: str | None) -> pd.DataFrame | None:
    """The engine aggregates of :func:`cxresearch.stats.models.intent_counts`, or ``None``.

    Returns
    -------
    pandas.DataFrame or None
        ``[*by, score, recommended, not_recommended, unknown]`` and, weighted,
        ``weighted_recommended, weighted_n, sum_w2``; sorted by ``[*by, score]``.
    """
    found = route(t, by, weights)
    if found is None:
        return None
    yes, no = summaryrows.ANSWERS["yes"], summaryrows.ANSWERS["no"]
    answered = f"recommended IN ({yes}, {no})"
    aggs = {
        "recommended": _int(f"sum(CASE WHEN recommended = {yes} THEN n ELSE 0 END)"),
        "not_recommended": _int(f"sum(CASE WHEN recommended = {no} THEN n ELSE 0 END)"),
        "unknown": _int(f"sum(CASE WHEN {answered} THEN 0 ELSE n END)"),
    }
    schema = dict.fromkeys(aggs, "int64")
    if weights:
        aggs.update(
            weighted_recommended=f"sum(CASE WHEN recommended = {yes} THEN sum_w ELSE 0.0 END)",
            weighted_n=f"sum(CASE WHEN {answered} THEN sum_w ELSE 0.0 END)",
            sum_w2=f"sum(CASE WHEN {answered} THEN sum_w2 ELSE 0.0 END)",
        )
        schema.update(dict.fromkeys(("weighted_recommended", "weighted_n", "sum_w2"), "float64"))
    # the summary's score is the recommend score cast to an integer, as the row path casts it
    types = schema | _types(t, by) | {"score": "int64"}
    return _query(found, "nps", [*by, "score"], aggs, types)


def _types(t: ir.Table, by: Sequence[str]) -> dict:
    schema = t.schema()
    return {c: schema[c] for c in by}
