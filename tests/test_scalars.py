"""Cells read without pandas agree with pandas (oracle: ``pandas.isna``, ``pandas.Timestamp``)."""

import datetime as dt
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from cxresearch.reporting import scalars

VALUES = [None, float("nan"), np.nan, np.float64("nan"), pd.NaT, pd.NA, np.datetime64("NaT"),
          0, 1, True, False, 0.0, 2.5, np.int64(3), np.float64(1.5), "", "x", "nan",
          dt.date(2026, 3, 1), pd.Timestamp("2026-03-01")]  # fmt: skip


@pytest.mark.parametrize("value", VALUES, ids=repr)
def test_isna_is_pandas_isna(value):
    assert scalars.isna(value) is bool(pd.isna(value))


DAYS = ["2026-08-01", "2026-08-31T23:59:59", "2026-08-31 12:00", "2026-08-31T23:30:00+02:00",
        "20260831", "Aug 31 2026", dt.date(2026, 2, 28), dt.datetime(2026, 2, 28, 23, 59),
        pd.Timestamp("2026-02-28 10:00"), np.datetime64("2026-02-28")]  # fmt: skip


@pytest.mark.parametrize("value", DAYS, ids=repr)
def test_day_is_the_day_pandas_reads(value):
    assert scalars.day(value) == pd.Timestamp(value).date()


def test_wording_a_report_needs_no_pandas():
    code = ("import sys; from cxresearch.reporting import i18n; l = i18n.Language('sv'); "
            "l.span('2026-08-01', '2026-10-31'); l.date('2026-03-03'); l.number(3.5); "
            "print('pandas' in sys.modules)")  # fmt: skip
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
