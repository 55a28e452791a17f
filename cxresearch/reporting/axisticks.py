"""Axis limits, ticks and tick labels as matplotlib picks them, without importing matplotlib.

:func:`trend_chart <cxresearch.reporting.plots.trend_chart>` draws its SVG directly; to
show the same axes as the matplotlib chart it replaces (:func:`plot_trend
<cxresearch.reporting.plots.plot_trend>`), this module ports the few matplotlib 3.x rules
such a chart uses:

- view limits: the data limits widened by the 5 % margins (``axes.xmargin``,
  ``axes.ymargin``), a zero-width range widened first (``Locator.nonsingular``);
- value ticks: ``MaxNLocator(nbins="auto", steps=[1, 2, 2.5, 5, 10])`` (matplotlib's
  ``AutoLocator``), ``nbins`` from the axis length over twice the tick label size, at most 9;
  their labels as ``ScalarFormatter`` writes them (one number of decimals for all, the
  Unicode minus; no offset or scientific notation, which report scales never need);
- date ticks: ``AutoDateLocator`` (yearly, monthly or daily ticks on whole years, months or
  days, at most 11 or 12) with ``AutoDateFormatter``'s ``%Y``, ``%Y-%m`` or ``%Y-%m-%d``.

``tests/test_trendsvg.py`` checks the answers against matplotlib's own on the same data.
"""

from __future__ import annotations

import datetime as dt
import math
import sys

#: ``MaxNLocator``'s steps as matplotlib's ``AutoLocator`` sets them.
STEPS = (1.0, 2.0, 2.5, 5.0, 10.0)
#: Matplotlib's default margins (``axes.xmargin``, ``axes.ymargin``).
MARGIN = 0.05
#: Matplotlib's date epoch: dates are days since this day.
EPOCH = dt.datetime(1970, 1, 1)
#: ``AutoDateLocator``'s intervals and most ticks per frequency (yearly, monthly, daily).
_YEARS = (1, 2, 4, 5, 10, 20, 40, 50, 100, 200, 400, 500, 1000, 2000, 4000, 5000, 10000)
_MONTHS = (1, 2, 3, 4, 6)
_DAYS = (1, 2, 4, 7, 14)  # with interval multiples: 4 for 3, no 21
_MAXTICKS = {"year": 11, "month": 12, "day": 11}
_MINTICKS = 5


def nonsingular(vmin: float, vmax: float, expander: float = 0.05) -> tuple[float, float]:
    """``matplotlib.transforms.nonsingular``: a range of zero width made wider."""
    if not (math.isfinite(vmin) and math.isfinite(vmax)):
        return -expander, expander
    if vmax < vmin:
        vmin, vmax = vmax, vmin
    largest = max(abs(vmin), abs(vmax))
    if largest < (1e6 / 1e-15) * sys.float_info.min:  # as matplotlib: both (nearly) zero
        return -expander, expander
    if vmax - vmin <= largest * 1e-15:
        if vmax == 0 and vmin == 0:
            return -expander, expander
        return vmin - expander * abs(vmin), vmax + expander * abs(vmax)
    return vmin, vmax


def view_limits(lo: float, hi: float, *, margin: float = MARGIN) -> tuple[float, float]:
    """The view of data from ``lo`` to ``hi``: widened if empty, then by ``margin`` each side."""
    lo, hi = nonsingular(lo, hi)
    delta = (hi - lo) * margin
    return lo - delta, hi + delta


def tick_space(length: float, label_size: float) -> int:
    """``Axis.get_tick_space``: how many labels of ``label_size`` points fit ``length`` points."""
    return int(math.floor(length / (label_size * 2))) if label_size > 0 else 2**31 - 1


def _scale_range(vmin: float, vmax: float, n: int) -> tuple[float, float]:
    dv = abs(vmax - vmin)
    meanv = (vmax + vmin) / 2
    offset = 0.0
    if abs(meanv) / dv >= 100:
        offset = math.copysign(10 ** (math.log10(abs(meanv)) // 1), meanv)
    return 10 ** (math.log10(dv / n) // 1), offset


def _close(ms: float, edge: float, step: float, offset: float) -> bool:
    tol = 1e-10
    if offset > 0:
        tol = min(0.4999, max(1e-10, 10 ** (math.log10(offset / step) - 12)))
    return abs(ms - edge) < tol


def nice_ticks(vmin: float, vmax: float, nbins: int) -> list[float]:
    """``MaxNLocator(nbins, steps=STEPS).tick_values``: ticks spanning ``vmin`` to ``vmax``.

    Some ticks may lie just outside the view; a chart draws those inside it only.
    """
    vmin, vmax = nonsingular(vmin, vmax, expander=1e-13)
    nbins = min(max(nbins, 1), 9)
    scale, offset = _scale_range(vmin, vmax, nbins)
    lo, hi = vmin - offset, vmax - offset
    steps = [0.1 * s for s in STEPS[:-1]] + list(STEPS) + [10 * STEPS[1]]
    steps = [s * scale for s in steps]
    raw = (hi - lo) / nbins
    large = [i for i, s in enumerate(steps) if s >= raw]
    istep = large[0] if large else len(steps) - 1
    ticks: list[float] = []
    for step in steps[: istep + 1][::-1]:
        best = (lo // step) * step
        d, m = divmod(lo - best, step)
        low = d + 1 if _close(m / step, 1, step, abs(offset)) else d
        d, m = divmod(hi - best, step)
        high = d if _close(m / step, 0, step, abs(offset)) else d + 1
        ticks = [k * step + best for k in range(int(low), int(high) + 1)]
        if sum(lo <= t <= hi for t in ticks) >= 2:
            break
    return [t + offset for t in ticks]


def scalar_labels(ticks: list[float]) -> list[str]:
    """The labels ``ScalarFormatter`` gives ``ticks``: shared decimals, Unicode minus."""
    if not ticks:
        return []
    spread = max(ticks) - min(ticks) if len(ticks) > 1 else 0.0
    spread = spread or max(abs(t) for t in ticks) or 1.0
    oom = int(math.floor(math.log10(spread)))
    decimals = max(0, 3 - oom)
    thresh = 1e-3 * 10**oom
    while decimals >= 0 and max(abs(t - round(t, decimals)) for t in ticks) < thresh:
        decimals -= 1
    decimals += 1
    return [f"{0.0 if abs(t) < 1e-8 else t:1.{decimals}f}".replace("-", "\u2212") for t in ticks]


def to_days(value) -> float:
    """A date or datetime (pandas' Timestamp too) as matplotlib's date number."""
    if not isinstance(value, dt.datetime):
        value = dt.datetime(value.year, value.month, value.day)
    value = value.replace(tzinfo=None)
    return (value - EPOCH) / dt.timedelta(days=1)


def from_days(days: float) -> dt.datetime:
    """Matplotlib's date number ``days`` as a datetime."""
    return EPOCH + dt.timedelta(days=days)


def _months_between(start: dt.datetime, end: dt.datetime) -> int:
    """Whole months from ``start`` to ``end`` (``dateutil.relativedelta``'s years and months)."""
    months = (end.year - start.year) * 12 + end.month - start.month
    if (end.day, end.time()) < (start.day, start.time()):
        months -= 1
    return months


def date_ticks(vmin: float, vmax: float) -> tuple[list[float], list[str]]:
    """``AutoDateLocator`` ticks inside the view ``vmin`` to ``vmax`` (days) and their labels.

    Spans of under five days get daily ticks (matplotlib would tick hours).
    """
    start, end = from_days(vmin), from_days(vmax)
    months = _months_between(start, end)
    years, days = months // 12, int((end - start) / dt.timedelta(days=1))
    if years >= _MINTICKS:
        step = next((i for i in _YEARS if years <= i * (_MAXTICKS["year"] - 1)), _YEARS[-1])
        first = -(-start.year // step) * step
        ticks = [dt.datetime(y, 1, 1) for y in range(max(first, 1), end.year + 1, step)]
        fmt = "%Y"
    elif months >= _MINTICKS:
        step = next((i for i in _MONTHS if months <= i * (_MAXTICKS["month"] - 1)), _MONTHS[-1])
        ticks = [
            dt.datetime(y, m, 1)
            for y in range(start.year, end.year + 1)
            for m in range(1, 13, step)
        ]
        fmt = "%Y-%m"
    else:
        step = next((i for i in _DAYS if days <= i * (_MAXTICKS["day"] - 1)), _DAYS[-1])
        monthdays = {14: [1, 15], 7: [1, 8, 15, 22]}.get(step, list(range(1, 32, step)))
        ticks = []
        day = dt.datetime(start.year, start.month, 1)
        while day <= end:
            if day.day in monthdays:
                ticks.append(day)
            day += dt.timedelta(days=1)
        fmt = "%Y-%m-%d"
    shown = [t for t in ticks if vmin <= to_days(t) <= vmax]
    return [to_days(t) for t in shown], [t.strftime(fmt) for t in shown]
