"""Data access: connect by URL, read survey tables as Ibis expressions, fingerprint data.

Queries stay Ibis expressions so that aggregation runs inside the engine (DuckDB,
PostgreSQL, or any other Ibis backend); pandas only sees the aggregates.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

import ibis
import ibis.expr.types as ir
import pandas as pd

from cxresearch import config
from cxresearch.data import credentials, scales, summary
from cxresearch.data.connection import (  # noqa: F401 - re-exported
    SPARK_MASTER_ENV,
    connect,
    responses_with_customers,
    table,
    tables,
)
from cxresearch.data.filters import (  # noqa: F401 - re-exported
    as_date,
    date_literal,
    filter_dates,
    filter_in,
    note_origin,
)
from cxresearch.data.urls import duckdb_path as duckdb_path  # part of the db API
from cxresearch.data.write import write_tables as write_tables  # part of the db API
from cxresearch.errors import DatabaseError

redact_url = credentials.redact_url


def read_responses(
    con: ibis.BaseBackend,
    *,
    start: str | dt.date | None = None,
    end: str | dt.date | None = None,
    segment: Sequence[str] | str | None = None,
    country: Sequence[str] | str | None = None,
) -> ir.Table:
    """Return responses with their customer's segment, country and industry (if on file).

    Parameters
    ----------
    con
        A connection from :func:`connect`.
    start, end
        Inclusive dates bounding ``responded_at``; ``None`` leaves that side open.
    segment, country
        Keep only these segments / ISO country codes; ``None`` or empty keeps all.

    Returns
    -------
    ibis.expr.types.Table
        Columns of ``responses`` plus ``segment``, ``country``, ``industry`` and
        ``month`` (the first day of the response month). Nothing is executed.
    """
    t = responses_with_customers(con)
    t = filter_dates(t, "responded_at", start, end)
    t = filter_in(t, "segment", segment)
    t = filter_in(t, "country", country)
    t = t.mutate(month=t.responded_at.truncate("M").cast("date"))
    first, last = (as_date(d) if d else None for d in (start, end))
    return note_origin(t, (con, first, last, _codes(segment), _codes(country)))


def _codes(values: Sequence[str] | str | None) -> tuple[str, ...] | None:
    """A filter's codes as a tuple (``None``: no filter), as :func:`filter_in` reads them."""
    if not values:
        return None
    return (values,) if isinstance(values, str) else tuple(values)


def read_customers(
    con: ibis.BaseBackend,
    *,
    segment: Sequence[str] | str | None = None,
    country: Sequence[str] | str | None = None,
) -> ir.Table:
    """Return the customers table, filtered like :func:`read_responses`."""
    t = table(con, "customers")
    t = filter_in(t, "segment", segment)
    return filter_in(t, "country", country)


def read_spend(
    con: ibis.BaseBackend,
    *,
    start: str | dt.date | None = None,
    end: str | dt.date | None = None,
) -> ir.Table:
    """Return monthly spend rows (``customer_id, month, amount, currency``) in a period."""
    return filter_dates(table(con, "spend"), "month", start, end)


def read_comments(
    con: ibis.BaseBackend,
    *,
    start: str | dt.date | None = None,
    end: str | dt.date | None = None,
    segment: Sequence[str] | str | None = None,
    country: Sequence[str] | str | None = None,
) -> ir.Table:
    """Responses with a comment: ``[comment, language, nps, segment, country, touchpoint]``.

    No ids: comment analyses and verbatims never need them.
    """
    r = read_responses(con, start=start, end=end, segment=segment, country=country)
    r = r.filter(r.comment.notnull() & (r.comment != ""))
    return r.select("comment", "language", "nps", "segment", "country", "touchpoint")


def read_interactions(
    con: ibis.BaseBackend,
    *,
    start: str | dt.date | None = None,
    end: str | dt.date | None = None,
) -> ir.Table:
    """Return service contacts (``interactions``) in a period."""
    return filter_dates(table(con, "interactions"), "occurred_at", start, end)


def read_customer_satisfaction(
    con: ibis.BaseBackend,
    *,
    start: str | dt.date | None = None,
    end: str | dt.date | None = None,
    segment: Sequence[str] | str | None = None,
    country: Sequence[str] | str | None = None,
) -> ir.Table:
    """Return one row per surveyed customer with their satisfaction and loyalty.

    Aggregated inside the engine over the customer's responses in the period.

    Returns
    -------
    ibis.expr.types.Table
        ``[customer_id, segment, country, industry, first_purchase_date, churn_date,
        responses, satisfaction_level, mean_nps, nps_group]``: ``satisfaction_level`` is
        the mean CSAT on a 1-5 scale rounded half up (1-5), ``nps_group`` the group of
        the mean NPS rounded half up (``promoter`` 9-10, ``passive`` 7-8, ``detractor``
        0-6).

    Notes
    -----
    CSAT given on another scale (1-7, 1-10, as each response declares) is first put on
    1-5 linearly, ``1 + 4 (csat - low) / (high - low)``, so that customers answering
    surveys on different scales share one set of levels.
    """
    r = read_responses(con, start=start, end=end, segment=segment, country=country)
    per = r.group_by("customer_id").aggregate(
        responses=r.count(),
        mean_csat=scales.on_common_scale(r).mean(),
        mean_nps=r.nps.cast("float64").mean(),
    )
    c = table(con, "customers")
    j = per.inner_join(c, "customer_id")
    rounded = (j.mean_nps + 0.5).floor()
    return j.select(
        "customer_id",
        "segment",
        "country",
        "industry",
        "first_purchase_date",
        "churn_date",
        "responses",
        satisfaction_level=(j.mean_csat + 0.5).floor().cast("int64"),
        mean_nps=j.mean_nps,
        nps_group=ibis.cases(
            (rounded >= config.PROMOTER_MIN, "promoter"),
            (rounded >= config.PASSIVE_MIN, "passive"),
            else_="detractor",
        ),
    )


def read_customer_spend(
    con: ibis.BaseBackend,
    *,
    start: str | dt.date | None = None,
    end: str | dt.date | None = None,
    segment: Sequence[str] | str | None = None,
    country: Sequence[str] | str | None = None,
    rates: Mapping[str, float] | None = None,
) -> ir.Table:
    """Return one row per surveyed customer: satisfaction level and mean monthly spend.

    Aggregated inside the engine: the columns of :func:`read_customer_satisfaction`
    (customers with at least one CSAT answer) plus the mean of the customer's monthly
    spend in the period, in the currency :func:`spend_currency` names.

    Parameters
    ----------
    rates
        Conversion table for spend in several currencies: the value of one unit of each
        currency in the report currency (``{"EUR": 1, "SEK": 0.087}``). ``None``: the
        spend must be in one currency.

    Raises
    ------
    DatabaseError
        When the spend mixes currencies and no ``rates`` are given, or ``rates`` lacks
        one of them.

    Returns
    -------
    ibis.expr.types.Table
        ``[customer_id, segment, country, industry, satisfaction_level, nps_group,
        responses, months, monthly_spend]``.
    """
    sat = read_customer_satisfaction(con, start=start, end=end, segment=segment, country=country)
    sat = sat.filter(sat.satisfaction_level.notnull())
    s = _converted(con, read_spend(con, start=start, end=end), rates)
    spent = s.group_by("customer_id").aggregate(monthly_spend=s.amount.mean(), months=s.count())
    j = sat.inner_join(spent, "customer_id")
    return j.select(
        "customer_id",
        "segment",
        "country",
        "industry",
        "satisfaction_level",
        "nps_group",
        "responses",
        "months",
        "monthly_spend",
    )


def _converted(con: ibis.BaseBackend, s: ir.Table, rates: Mapping[str, float] | None) -> ir.Table:
    """Spend rows with ``amount`` in one currency: refused if mixed without ``rates``."""
    spend_currency(con, rates=rates)  # refuses mixed currencies without rates
    if not rates:
        return s
    rate = ibis.cases(*((s.currency == c, float(v)) for c, v in rates.items()))
    return s.mutate(amount=s.amount * rate)


def _month_number(value: ir.Value) -> ir.IntegerValue:
    """Months since year 0 (``12 * year + month``): month arithmetic every engine runs."""
    return value.year().cast("int64") * 12 + value.month().cast("int64")


def read_response_spend(
    con: ibis.BaseBackend,
    *,
    spend_window_months: int = 3,
    start: str | dt.date | None = None,
    end: str | dt.date | None = None,
    segment: Sequence[str] | str | None = None,
    country: Sequence[str] | str | None = None,
    rates: Mapping[str, float] | None = None,
) -> ir.Table:
    """Return one row per response with the customer's mean monthly spend AFTER it.

    The time-ordered view of satisfaction against spend: each response's CSAT level
    against what the same customer spent in the ``spend_window_months`` calendar months
    that follow the month of the response (a response in March with a window of 3: April,
    May and June). Experience precedes the spend it is compared with. The customer's next
    answer closes the window early (an answer in May: April and May), since later spend
    follows the newer experience; of several answers in one month only the last has a
    window. Responses are filtered to the period; their windows may run past its end.
    Responses whose window holds no spend (the customer left, or the data end) are left
    out.

    Parameters
    ----------
    con
        A connection from :func:`connect`.
    spend_window_months
        Length of the window after the response month, in months (at least 1).
    start, end, segment, country
        Filters of :func:`read_responses`.
    rates
        Conversion table for spend in several currencies (see :func:`read_customer_spend`);
        without it, spend in several currencies is refused (:class:`DatabaseError`).

    Returns
    -------
    ibis.expr.types.Table
        ``[response_id, source, customer_id, segment, country, industry,
        satisfaction_level, months, monthly_spend]``: ``satisfaction_level`` is the
        response's CSAT (1-5), ``months`` the window's months with spend,
        ``monthly_spend`` their mean amount. CSAT given on another scale is put on 1-5
        first (:func:`cxresearch.data.scales.on_common_scale`), rounded half up.
    """
    if int(spend_window_months) != spend_window_months or spend_window_months < 1:
        raise ValueError(
            "spend_window_months must be a whole number of months >= 1, "
            f"got {spend_window_months!r}"
        )
    r = read_responses(con, start=start, end=end, segment=segment, country=country)
    r = r.filter(r.csat.notnull())
    r = r.select(
        "response_id",
        "source",
        "customer_id",
        "segment",
        "country",
        "industry",
        satisfaction_level=(scales.on_common_scale(r) + 0.5).floor().cast("int64"),
        answered=_month_number(r.responded_at),
    )
    # the customer's next answer (of any period) closes the window: later spend follows it
    every = table(con, "responses")
    every = every.filter(every.csat.notnull())
    following = ibis.window(group_by="customer_id", order_by=["responded_at", "response_id"])
    nxt = every.select(
        "response_id",
        "source",
        next_answer=_month_number(every.responded_at).lead().over(following),
    )
    r = r.inner_join(nxt, ["response_id", "source"])
    last = r.answered + int(spend_window_months)
    r = r.mutate(until=ibis.cases((r.next_answer.notnull() & (r.next_answer < last),
                                   r.next_answer), else_=last))  # fmt: skip
    s = _converted(con, table(con, "spend"), rates)
    s = s.select(spend_customer=s.customer_id, amount=s.amount, spent=_month_number(s.month))
    j = r.inner_join(
        s,
        [r.customer_id == s.spend_customer, s.spent > r.answered, s.spent <= r.until],
    )
    keys = ["response_id", "source", "customer_id", "segment", "country", "industry"]
    return j.group_by([*keys, "satisfaction_level"]).aggregate(
        months=j.count(), monthly_spend=j.amount.mean()
    )


def spend_currency(con: ibis.BaseBackend, *, rates: Mapping[str, float] | None = None) -> str:
    """The currency of the spend amounts, for labels such as "At risk per month (SEK)".

    Parameters
    ----------
    rates
        Conversion table (see :func:`read_customer_spend`); the report currency is the
        one whose rate is 1.

    Returns
    -------
    str
        The ISO code of the one currency in the spend table (``""`` when it is empty), or,
        with ``rates``, the currency they convert to.

    Raises
    ------
    DatabaseError
        When the spend mixes currencies and no ``rates`` are given (amounts in different
        currencies are never added up), or ``rates`` lacks one of them.
    """
    s = table(con, "spend")
    found = sorted(c for c in s.select("currency").distinct().to_pandas()["currency"] if c)
    if rates:
        missing = sorted(set(found) - set(rates))
        base = [c for c, v in rates.items() if float(v) == 1.0]
        if missing or len(base) != 1:
            raise DatabaseError(
                f"the conversion table {dict(rates)} must give a rate for each currency of the "
                f"spend ({', '.join(found)}; missing: {', '.join(missing) or 'none'}) and "
                "rate 1 for exactly one, the report currency"
            )
        return base[0]
    if len(found) > 1:
        raise DatabaseError(
            f"the spend holds amounts in {', '.join(found)}: they are not added up without a "
            "conversion table (rates, e.g. currency_rates: {EUR: 1, SEK: 0.087})"
        )
    return found[0] if found else ""


def read_driver_ratings(
    con: ibis.BaseBackend,
    *,
    start: str | dt.date | None = None,
    end: str | dt.date | None = None,
    segment: Sequence[str] | str | None = None,
    country: Sequence[str] | str | None = None,
) -> ir.Table:
    """Return one row per response that rated attributes, one column per attribute.

    The long ``ratings`` table is pivoted inside the engine.

    Returns
    -------
    ibis.expr.types.Table
        ``[response_id, source, segment, country, touchpoint, nps, csat, <attribute>...]``:
        ``csat`` and the ratings on the common 1-5 scale
        (:func:`cxresearch.data.scales.on_common_scale`), whatever scale each was given on.
    """
    ratings = table(con, "ratings")
    names = sorted(ratings.select("attribute").distinct().to_pandas()["attribute"].dropna())
    rating = scales.on_common_scale(ratings, "rating")
    wide = ratings.group_by(["response_id", "source"]).aggregate(
        **{a: (ratings.attribute == a).ifelse(rating, None).max() for a in names}
    )
    r = read_responses(con, start=start, end=end, segment=segment, country=country)
    r = r.select("response_id", "source", "segment", "country", "touchpoint", "nps",
                 csat=scales.on_common_scale(r))  # fmt: skip
    return r.inner_join(wide, ["response_id", "source"])


def data_period(con: ibis.BaseBackend) -> tuple[dt.date, dt.date]:
    """Return the first and last day of the months the spend data covers.

    Spend is recorded per whole month, so this is the span over which customers are
    observed (churn dates after it are not yet known).
    """
    s = table(con, "spend")
    row = s.aggregate(first=s.month.min(), last=s.month.max()).to_pandas().iloc[0]
    if pd.isna(row["first"]):
        raise DatabaseError("the spend table is empty: no observation period")
    first = pd.Timestamp(row["first"])
    last = pd.Timestamp(row["last"]) + pd.offsets.MonthEnd(0)
    return first.date(), last.date()


def response_period(
    con: ibis.BaseBackend,
    *,
    start: str | dt.date | None = None,
    end: str | dt.date | None = None,
    segment: Sequence[str] | str | None = None,
    country: Sequence[str] | str | None = None,
) -> tuple[dt.date, dt.date] | None:
    """First and last day with responses under these filters (``None`` when there are none).

    Given ``start`` and ``end`` are returned as they are: that is the period asked for.
    """
    if start and end:
        return as_date(start), as_date(end)
    r = read_responses(con, start=start, end=end, segment=segment, country=country)
    row = r.aggregate(first=r.responded_at.min(), last=r.responded_at.max()).to_pandas().iloc[0]
    if pd.isna(row["first"]):
        return None
    return pd.Timestamp(row["first"]).date(), pd.Timestamp(row["last"]).date()


def recent_period(con: ibis.BaseBackend, months: int = 3) -> tuple[dt.date, dt.date]:
    """The last ``months`` whole calendar months that hold responses.

    A month counts as whole when responses continue into its last week, so that a wave
    still in the field is not compared with a complete one.
    """
    last = summary.last_response(con)  # a plain query where the engine takes SQL
    if last is None:
        last = table(con, "responses").responded_at.max().to_pandas()
    last = pd.Timestamp(last)
    if pd.isna(last):
        raise DatabaseError("the responses table is empty")
    month_end = last + pd.offsets.MonthEnd(0)
    if (month_end - last).days > 7:
        month_end = last.replace(day=1) - pd.Timedelta(days=1)
    first = (month_end - pd.DateOffset(months=months) + pd.Timedelta(days=1)).normalize()
    return first.replace(day=1).date(), month_end.date()
