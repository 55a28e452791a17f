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

#: Allowed codes for coded columns.
SEGMENTS = ("B2B", "B2C")
RECOMMENDED = ("yes", "no", "unknown")
TOUCHPOINTS = ("relationship", "after_purchase", "website_visit", "service_call", "sales_call")
LANGUAGES = ("en", "sv", "da", "fi", "nl")
SURVEY_KINDS = ("relational", "transactional")

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
        "sha256": "string",
        "rows": "int64",
        "encoding": "string",
        "imported_at": "timestamp",
    }
)
