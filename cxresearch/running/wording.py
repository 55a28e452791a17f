"""What a report's footer says in words: its filters and its database, in the report language.

Stakeholders read "All customers, Aug – Oct 2026, weights: none", not parameter source text;
the technical record beside it keeps the parameters as they were.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Mapping
from typing import Any

from cxresearch.reporting import i18n


def describe_filters(
    context: Mapping[str, Any], parameters: Mapping[str, Any], language: i18n.Language
) -> str:
    """The filters of a report in words: ``All customers, Aug – Oct 2026, weights: none``.

    Parameters
    ----------
    context
        The report context from :func:`cxresearch.reporting.report.setup` (``scope``,
        ``period_start``, ``period_end``).
    parameters
        The report's parameters (``weights``).
    language
        The report language.
    """
    scope = str(context.get("scope") or language.tr("all customers"))
    start, end = context.get("period_start"), context.get("period_end")
    period = language.span(start, end) if start and end else language.tr("whole period")
    weights = parameters.get("weights")
    if isinstance(weights, str):  # parameters as source text: '""', "'weight'"
        try:
            weights = ast.literal_eval(weights)
        except (ValueError, SyntaxError):
            pass
    weights = str(weights or "") or language.tr("none")
    text = language.tr(
        "{scope}, {period}, weights: {weights}", scope=scope, period=period, weights=weights
    )
    return text[:1].upper() + text[1:]


def database_text(public_name: str, language: i18n.Language) -> str:
    """The database's public name (:func:`cxresearch.data.credentials.public_name`), translated."""
    t = language
    if found := re.fullmatch(r"DuckDB file (.+)", public_name):
        return t.tr("DuckDB file {name}", name=found.group(1))
    if found := re.fullmatch(r"Spark tables in (.+)", public_name):
        return t.tr("Spark tables in {name}", name=found.group(1))
    if found := re.fullmatch(r"(\S+) database (.+)", public_name):
        return t.tr("{engine} database {name}", engine=found.group(1), name=found.group(2))
    return public_name
