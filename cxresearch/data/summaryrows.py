"""The rows of the per-day summary, computed from the responses in SQL.

The summary stores small integers, not text: each row names its customer group
(``segment``, ``country``) by a code of :data:`WHO` and its response group
(``touchpoint``, ``language``, ``survey_id``) by a code of :data:`HOW`, its measure and its
``recommended_last_12m`` answer by the codes of :data:`MEASURES` and :data:`ANSWERS`. Text
columns cost most of a DuckDB write (compressing them), so a summary of codes is written in
about half the CPU time of the same rows with their labels.

Both measures come from one pass: ``responses`` joined once with the customers' codes and
the response groups' codes, grouped by two grouping sets, the ``nps`` rows by recommend
score and answer, the ``csat`` rows by rating and scale. :func:`decoded_sql` gives the rows
back with their labels; the readers' query over the responses of a database without a
summary gives the same columns (``tests/test_summary.py`` compares them with the rows).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

#: Table names: the cells, the codes of customer groups and of response groups.
CELLS, WHO, HOW = "response_days", "response_days_who", "response_days_how"
#: The cells summed per month (``day`` is the month's first): what a query whose dates are
#: whole months reads, a thirtieth of the rows.
MONTHS = "response_months"

#: Codes of the ``measure`` column, and of ``recommended`` (yes, no, anything else or none).
MEASURES = {"nps": 1, "csat": 2}
ANSWERS = {"yes": 1, "no": 2, "other": 0}

#: The columns of the cells, in the order :func:`rows_sql` fills them.
NAMES = ("day", "month", "who", "how", "measure", "score", "scale_min", "scale_max",
         "recommended", "n", "sum_w", "sum_w2")  # fmt: skip

#: ``CREATE TABLE`` column lists of the three tables.
COLUMNS = {
    CELLS: "(day DATE, month DATE, who INTEGER, how INTEGER, measure SMALLINT, score SMALLINT, "
    "scale_min SMALLINT, scale_max SMALLINT, recommended SMALLINT, n BIGINT, "
    "sum_w DOUBLE PRECISION, sum_w2 DOUBLE PRECISION)",
    WHO: "(who INTEGER, segment VARCHAR, country VARCHAR)",
    HOW: "(how INTEGER, touchpoint VARCHAR, language VARCHAR, survey_id BIGINT)",
}
COLUMNS[MONTHS] = COLUMNS[CELLS]

#: The labelled columns of a summary row (:func:`decoded_sql`), in their order.
LABELS = ("day", "segment", "country", "touchpoint", "language", "survey_id", "measure",
          "score", "scale_min", "scale_max", "recommended", "n", "sum_w", "sum_w2")  # fmt: skip

#: What a labelled row is grouped by besides its measure's keys (over ``responses r``
#: joined with ``customers c``).
DIMS = ("CAST(r.responded_at AS DATE)", "c.segment", "c.country", "r.touchpoint", "r.language",
        "r.survey_id")  # fmt: skip

#: ``recommended_last_12m`` as its code.
ANSWER = (
    "CAST(CASE r.recommended_last_12m WHEN 'yes' THEN 1 WHEN 'no' THEN 2 ELSE 0 END AS SMALLINT)"
)


@contextlib.contextmanager
def joins_as_written(session) -> Iterator[None]:
    """Within this block DuckDB builds each join's hash table on the side the SQL names.

    Rows written in the open transaction carry no statistics, so DuckDB may build the
    table of :func:`rows_sql`'s join on the responses (all of them) and probe it with the
    customers: in an import's transaction that doubled the summary's cost. The SQL names the
    small sides (customers, codes) on the right, where DuckDB builds.

    PostgreSQL misjudges the code joins (a handful of null-safe equalities) as matching one
    row and then joins the customers again for every response: 63 s for 20,000 responses.
    Within this block it may not use nested loops, so it hashes or merges: under a second.
    """
    if session.dialect == "duckdb":
        setting = ("SET disabled_optimizers = 'build_side_probe_side'", "disabled_optimizers")
    elif session.dialect == "postgres":
        setting = ("SET enable_nestloop = off", "enable_nestloop")
    else:
        yield
        return
    session.execute(setting[0])
    try:
        yield
    finally:
        session.execute(f"RESET {setting[1]}")


def same(a: str, b: str, blank: str = "''") -> str:
    """SQL: ``a`` equals ``b``, nulls equal, as a join any engine can hash.

    ``IS NOT DISTINCT FROM`` would say the same, but PostgreSQL joins it row by row.
    """
    return f"coalesce({a}, {blank}) = coalesce({b}, {blank}) AND ({a} IS NULL) = ({b} IS NULL)"


def codes_sql(where: str = "TRUE", responses: str = "responses") -> list[str]:
    """Statements giving codes to the groups that have none yet (run before :func:`rows_sql`).

    Every customer group (segment and country) on file, and every response group
    (touchpoint, language, survey) of the responses ``r`` that match ``where``;
    ``responses`` is the table they are read from, or a parenthesised query with its
    columns (an import's staged rows, see :func:`rows_sql`).

    A customer with neither segment nor country gets no code: a null ``who`` is a
    response whose customer has neither (or is not on file), as the row path's join sees it.
    """
    who = (
        f"INSERT INTO {WHO} (who, segment, country) "
        f"SELECT coalesce((SELECT max(who) FROM {WHO}), 0) "
        "+ row_number() OVER (ORDER BY segment, country), segment, country "
        "FROM (SELECT DISTINCT segment, country FROM customers "
        "WHERE segment IS NOT NULL OR country IS NOT NULL) d "
        f"WHERE NOT EXISTS (SELECT 1 FROM {WHO} w WHERE {same('w.segment', 'd.segment')} "
        f"AND {same('w.country', 'd.country')})"
    )
    how = (
        f"INSERT INTO {HOW} (how, touchpoint, language, survey_id) "
        f"SELECT coalesce((SELECT max(how) FROM {HOW}), 0) "
        "+ row_number() OVER (ORDER BY touchpoint, language, survey_id), "
        "touchpoint, language, survey_id "
        f"FROM (SELECT DISTINCT r.touchpoint, r.language, r.survey_id FROM {responses} r "
        f"WHERE {where}) d "
        f"WHERE NOT EXISTS (SELECT 1 FROM {HOW} h WHERE {_same_how('h', 'd')})"
    )
    return [who, how]


def _same_how(a: str, b: str) -> str:
    return " AND ".join(
        [same(f"{a}.touchpoint", f"{b}.touchpoint"), same(f"{a}.language", f"{b}.language"),
         same(f"{a}.survey_id", f"{b}.survey_id", "0")]
    )  # fmt: skip


def rows_sql(where: str = "TRUE", responses: str = "responses") -> str:
    """``(columns) SELECT ...``: the summary cells of the responses ``r`` that match ``where``.

    Summary rows add up (every query sums ``n``, ``sum_w`` and ``sum_w2``), so the rows of
    newly written responses may be appended to a summary of the others. Every code they
    need must exist (:func:`codes_sql`).

    ``responses``: the table, or a parenthesised query giving the same rows. An import
    passes the rows it has just written as its staged query: inside the import's
    transaction DuckDB reads them from the staging tables in memory at about half the
    cost of reading them back from ``responses``.
    """
    nps = "GROUPING(r.csat) = 1"  # a row of the nps grouping set
    w = "CAST(r.weight AS DOUBLE PRECISION)"
    day = "CAST(r.responded_at AS DATE)"
    dims = f"{day}, c.who, h.how"
    who = (
        f"(SELECT c.customer_id, w.who FROM customers c JOIN {WHO} w "
        f"ON {same('c.segment', 'w.segment')} AND {same('c.country', 'w.country')})"
    )
    return (
        f"({', '.join(NAMES)}) SELECT {day}, CAST(date_trunc('month', {day}) AS DATE), "
        "c.who, h.how, "
        f"CAST(CASE WHEN {nps} THEN {MEASURES['nps']} ELSE {MEASURES['csat']} END AS SMALLINT), "
        f"CAST(CASE WHEN {nps} THEN r.nps ELSE r.csat END AS SMALLINT), "
        f"CAST(r.csat_min AS SMALLINT), CAST(r.csat_max AS SMALLINT), {ANSWER}, "
        f"count(*), sum({w}), sum({w} * {w}) "
        f"FROM {responses} r LEFT JOIN {who} c ON r.customer_id = c.customer_id "
        f"JOIN {HOW} h ON {_same_how('r', 'h')} "
        f"WHERE {where} GROUP BY GROUPING SETS (({dims}, r.nps, {ANSWER}), "
        f"({dims}, r.csat, r.csat_min, r.csat_max)) "
        f"HAVING CASE WHEN {nps} THEN r.nps IS NOT NULL ELSE r.csat IS NOT NULL END"
    )


def months_sql(cells: str) -> str:
    """``(columns) SELECT ...``: the rows of :data:`MONTHS` summing the cells of table ``cells``."""
    keys = ", ".join(c for c in NAMES[1:] if c not in ("n", "sum_w", "sum_w2"))
    return (
        f"({', '.join(NAMES)}) SELECT month, {keys}, sum(n), sum(sum_w), sum(sum_w2) "
        f"FROM {cells} GROUP BY {keys}"
    )


def decoded_sql(columns: set[str] | None = None) -> str:
    """``SELECT ... FROM`` the cells with their labels (:data:`LABELS`) and codes, as a subquery.

    ``columns``: the labels a query reads; code tables it does not need are not joined.
    """
    wanted = set(LABELS) if columns is None else set(columns)
    select = ["s.day", "s.month", "s.who", "s.how"]
    joins = []
    if wanted & {"segment", "country"}:
        select += ["w.segment", "w.country"]
        joins.append(f"LEFT JOIN {WHO} w ON s.who = w.who")
    if wanted & {"touchpoint", "language", "survey_id"}:
        select += ["h.touchpoint", "h.language", "h.survey_id"]
        joins.append(f"JOIN {HOW} h ON s.how = h.how")
    select += [f"s.{c}" for c in NAMES[4:]]
    return f"SELECT {', '.join(select)} FROM {CELLS} s {' '.join(joins)}".rstrip()
