"""One table cell read as plain Python: missing or not, and its day.

:mod:`cxresearch.reporting.i18n` formats values with these. The ``cxresearch run`` process
words its reports with that module but holds no DataFrame, so pandas (about 0.5 s to
import) is imported only for a value that needs it: a NumPy scalar, a ``datetime64``, a
date string in another form than ISO 8601. A report's kernel has pandas imported already.
"""

from __future__ import annotations

import datetime as dt
import math
from contextlib import suppress
from typing import Any


def isna(value: Any) -> bool:
    """``pandas.isna`` of one value; pandas is imported only when a value needs it.

    The ``cxresearch run`` process words its reports with this module and never needs
    pandas (about 0.5 s to import); a report's kernel has it imported already.
    """
    if isinstance(value, str | int):  # bool is an int
        return False
    if isinstance(value, float):
        return math.isnan(value)
    import pandas as pd

    return bool(pd.isna(value))


def day(value: Any) -> dt.date:
    """The day of a date, a timestamp or an ISO string; other forms as pandas reads them."""
    if isinstance(value, dt.datetime):  # pandas' Timestamp too
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        with suppress(ValueError):
            return dt.datetime.fromisoformat(value).date()
    import pandas as pd

    return pd.Timestamp(value).date()
