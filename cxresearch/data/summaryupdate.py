"""Keep the per-day summary current through an import without rebuilding it.

Rows of :data:`cxresearch.data.summary.SUMMARY` add up: every query sums ``n``, ``sum_w``
and ``sum_w2`` over the rows that match. When an import only adds responses, and changes
neither the segment nor the country of a customer whom earlier responses are counted under,
appending the summary rows of the new responses answers every query as a rebuild from all
responses would, in time that grows with the file instead of the database. Anything else
(rows replaced, such a customer changed, a summary missing or not matching the responses
when the import starts) rebuilds it (:func:`cxresearch.data.summary.refresh`).

The writer calls :func:`start` after creating the tables, :func:`replaced` and
:func:`customers` while it writes, and :func:`finish` before ``COMMIT``; all in the
import's one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from cxresearch.data import summary, summaryrows


@dataclass
class Plan:
    """How the summary is brought up to date at the end of one write transaction.

    ``base``: the responses that the summary described when the transaction started, or
    ``None`` once a rebuild is needed. ``added``: the sources whose responses this
    transaction wrote (all of their rows are new while ``base`` is not ``None``).
    """

    base: int | None
    added: list[str] = field(default_factory=list)
    touched: bool = False  # responses or customers were written
    #: Per added source whose rows an import staged: a query giving those rows as they
    #: were written (the columns of ``responses``), read instead of ``responses``.
    staged: dict[str, str] = field(default_factory=dict)

    @property
    def appends(self) -> bool:
        """Whether :func:`finish` appends (rather than rebuilds); with no rows yet, it rebuilds."""
        return bool(self.base)


def start(session) -> Plan:
    """Note whether the summary describes the responses as the transaction finds them."""
    count = session.execute("SELECT count(*) FROM responses").fetchone()[0]
    if not count or not summary.present(session):
        return Plan(None if count else 0)
    built = session.execute(f"SELECT max(responses) FROM {summary.ROWS}").fetchone()[0]
    return Plan(int(count) if built is not None and int(built) == int(count) else None)


def replaced(plan: Plan, rows: int) -> None:
    """Responses were deleted (a file imported again): the summary is rebuilt."""
    plan.touched = True
    if rows:
        plan.base = None


def added(plan: Plan, source: str) -> None:
    """The responses of ``source`` were written by this transaction."""
    plan.touched = True
    plan.added.append(source)


def staged(plan: Plan, source: str, rows: str) -> None:
    """The responses of ``source`` are the rows of query ``rows`` (an import's staged rows).

    Inside the import's transaction DuckDB reads rows it has just written back from the
    database file's new blocks; reading them from the staging tables in memory costs about
    half (1,000,000 responses: about 1.3 s of CPU instead of 2.1 s for the summary).
    """
    plan.staged[source] = rows


def _rows(plan: Plan) -> tuple[str, str, list[str]]:
    """Where :func:`finish` reads the added responses: ``(relation, where, parameters)``."""
    if plan.added and all(s in plan.staged for s in plan.added):
        union = " UNION ALL ".join(f"SELECT * FROM ({plan.staged[s]})" for s in plan.added)
        return f"({union})", "TRUE", []
    return "responses", f"r.source IN ({', '.join('?' * len(plan.added))})", plan.added


def customers(session, plan: Plan, incoming: str, columns) -> None:
    """Before customers are updated from ``incoming`` (a table or a parenthesised query).

    An incoming value overwrites the stored one and a missing value keeps it; when that
    would change the segment or country of a customer whom responses written before this
    transaction name (or give one to such a customer not on file yet), the summary is
    rebuilt.
    """
    plan.touched = True
    if not plan.appends:
        return
    changes = [
        f"coalesce(i.{c}, c.{c}) IS DISTINCT FROM c.{c}" for c in ("segment", "country")
        if c in columns
    ]  # fmt: skip
    if not changes:
        return
    earlier = "SELECT customer_id FROM responses"
    if plan.added:
        earlier += f" WHERE source NOT IN ({', '.join('?' * len(plan.added))})"
    found = session.execute(
        f"SELECT count(*) FROM {incoming} i LEFT JOIN customers c "
        f"ON i.customer_id = c.customer_id WHERE ({' OR '.join(changes)}) "
        f"AND i.customer_id IN ({earlier})",
        plan.added,
    ).fetchone()[0]
    if found:
        plan.base = None


def finish(session, plan: Plan) -> str:
    """Bring the summary up to date; what was done: ``appended``, ``rebuilt`` or ``kept``.

    A database without a summary gets one, whatever the import wrote.
    """
    if plan.appends and summary.present(session):
        if plan.added:
            rows, where, params = _rows(plan)
            who, how = summaryrows.codes_sql(where, rows)  # codes for new groups first
            session.execute(who)
            session.execute(how, params)
            new, cells = "response_days_new", summaryrows.CELLS  # the new cells, then their months
            session.execute(f"CREATE TEMP TABLE {new} {summaryrows.COLUMNS[cells]}")
            with summaryrows.joins_as_written(session):
                session.execute(f"INSERT INTO {new} {summaryrows.rows_sql(where, rows)}", params)
            session.execute(f"INSERT INTO {cells} SELECT * FROM {new}")
            session.execute(f"INSERT INTO {summaryrows.MONTHS} {summaryrows.months_sql(new)}")
            session.execute(f"DROP TABLE {new}")
            session.execute(f"DELETE FROM {summary.ROWS}")
            session.execute(f"INSERT INTO {summary.ROWS} SELECT count(*) FROM responses")
            return "appended"
        return "kept"
    if plan.touched or not summary.present(session):
        # into a database that had no responses, the added rows are all of them
        rows = _rows(plan)[0] if plan.base == 0 else "responses"
        summary.refresh(session, rows)
        return "rebuilt"
    return "kept"
