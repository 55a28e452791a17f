"""The survey database schema: one Ibis schema per table.

The tables and their meaning are documented in ``docs/schema.md``; this module is the
single source the demo generator, the importers and the tests build tables from.
"""

from __future__ import annotations

import ibis
import ibis.expr.schema as sch

#: Identifiers (``customer_id``, ``response_id``, ``interaction_id``) are text, as survey
#: tools and CRMs write them. ``responses.source`` names the import a response came from
#: (``demo`` for demo data); ``response_id`` is unique within its source.

#: Allowed codes for coded columns. Segments, touchpoints, industries and survey names are
#: the user's free labels (see :func:`normalise_label`); :data:`SEGMENTS` and
#: :data:`TOUCHPOINTS` are the demo data's vocabulary, an example and not a rule.
SEGMENTS = ("B2B", "B2C")
RECOMMENDED = ("yes", "no", "unknown")
TOUCHPOINTS = ("relationship", "after_purchase", "website_visit", "service_call", "sales_call")
LANGUAGES = ("en", "sv", "da", "fi", "nl")
SURVEY_KINDS = ("relational", "transactional")

#: The scale of a rating whose row declares none (databases written before scales were
#: stored): 1-5.
DEFAULT_SCALE = (1, 5)

TABLES: dict[str, sch.Schema] = {
    "customers": ibis.schema(
        {
            "customer_id": "string",
            "segment": "string",
            "country": "string",
            "industry": "string",
            "first_purchase_date": "date",
            "churn_date": "date",
        }
    ),
    "surveys": ibis.schema(
        {
            "survey_id": "int64",
            "name": "string",
            "kind": "string",
            "starts_on": "date",
            "ends_on": "date",
        }
    ),
    "responses": ibis.schema(
        {
            "response_id": "string",
            "source": "string",
            "customer_id": "string",
            "survey_id": "int64",
            "responded_at": "timestamp",
            "touchpoint": "string",
            "language": "string",
            "nps": "int8",
            "csat": "int8",
            "csat_min": "int8",
            "csat_max": "int8",
            "recommended_last_12m": "string",
            "comment": "string",
            "weight": "float64",
        }
    ),
    "ratings": ibis.schema(
        {
            "response_id": "string",
            "source": "string",
            "attribute": "string",
            "rating": "int8",
            "rating_min": "int8",
            "rating_max": "int8",
        }
    ),
    "spend": ibis.schema(
        {
            "customer_id": "string",
            "month": "date",
            "amount": "float64",
            "currency": "string",
        }
    ),
    "interactions": ibis.schema(
        {
            "interaction_id": "string",
            "customer_id": "string",
            "agent_id": "int64",
            "team": "string",
            "occurred_at": "timestamp",
            "csat": "int8",
            "csat_min": "int8",
            "csat_max": "int8",
            "complaint": "boolean",
        }
    ),
    "agent_satisfaction": ibis.schema(
        {
            "agent_id": "int64",
            "team": "string",
            "month": "date",
            "asat": "float64",
            "n": "int64",
        }
    ),
}

#: The import log: one row per imported file (see :mod:`cxresearch.data.imports`).
IMPORT_LOG = ibis.schema(
    {
        "source": "string",
        "kind": "string",
        "file_name": "string",
        "file_path": "string",
        "sha256": "string",
        "mapping_sha256": "string",
        "rows": "int64",
        "encoding": "string",
        "imported_at": "timestamp",
    }
)


def normalise_label(value: str) -> str:
    """The stored form of a free label (segment, touchpoint, industry).

    Blanks at the ends are removed, each run of blanks, hyphens and underscores becomes
    one ``_`` and letters are lower-cased, so that ``After-purchase``, ``after purchase``
    and ``AFTER_PURCHASE`` are one label. The segment codes of :data:`SEGMENTS` keep their
    capitals (``b2b`` becomes ``B2B``). Synonyms (``Web shop`` for ``website``) are mapped
    under ``labels:`` in a mapping file, before this rule applies.

    Examples
    --------
    >>> normalise_label("  After-purchase ")
    'after_purchase'
    >>> normalise_label("b2b")
    'B2B'
    """
    import re

    text = re.sub(r"[\s_\-]+", "_", str(value).strip()).strip("_").lower()
    return _CAPITALISED.get(text, text)


_CAPITALISED = {s.lower(): s for s in SEGMENTS}
