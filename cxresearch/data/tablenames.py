"""The names of the survey schema's tables, for readers that need no Ibis types.

:data:`cxresearch.data.schema.TABLES` holds their columns (``tests/test_db.py`` checks that
both list the same tables in the same order). The data fingerprint of a ``cxresearch run``
needs only the names, and importing Ibis for them would cost the command about 0.4 s.
"""

from __future__ import annotations

TABLE_NAMES = ("customers", "surveys", "responses", "ratings", "spend", "interactions",
               "agent_satisfaction")  # fmt: skip
