"""Axis limits, ticks and labels without matplotlib, checked against matplotlib's own."""

import datetime as dt
import random

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
from matplotlib import dates, ticker  # noqa: E402

from cxresearch.reporting import axisticks  # noqa: E402


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


def _ranges(seed: int, k: int) -> list[tuple[float, float]]:
    rng = random.Random(seed)
    out = [(0.0, 1.0), (-12.5, 47.3), (20.0, 20.0), (-0.03, 0.02), (0.0, 100.0), (95.0, 99.5)]
    for _ in range(k):
        lo = rng.uniform(-100, 100)
        out.append((lo, lo + rng.choice([0.3, 1.0, 7.0, 40.0, 150.0]) * rng.random() + 0.2))
    return out


@pytest.mark.parametrize("nbins", [3, 5, 8, 9])
def test_nice_ticks_are_maxnlocators(nbins):
    # oracle: matplotlib's AutoLocator, MaxNLocator(nbins, steps=[1, 2, 2.5, 5, 10])
    locator = ticker.MaxNLocator(nbins=nbins, steps=[1, 2, 2.5, 5, 10])
    for lo, hi in _ranges(nbins, 200):
        lo, hi = axisticks.view_limits(lo, hi)
        expected = list(locator.tick_values(lo, hi))
        assert axisticks.nice_ticks(lo, hi, nbins) == pytest.approx(expected, abs=1e-9), (lo, hi)


def test_view_limits_are_matplotlibs_autoscaled_limits():
    for lo, hi in _ranges(1, 50):
        _, ax = plt.subplots()
        ax.plot([0, 1], [lo, hi])
        assert axisticks.view_limits(lo, hi) == pytest.approx(ax.get_ylim(), rel=1e-12, abs=1e-12)
        plt.close("all")


def test_scalar_labels_are_scalarformatters():
    # oracle: the labels matplotlib's default ScalarFormatter writes on the same axis
    for lo, hi in _ranges(2, 200):
        _, ax = plt.subplots()
        ax.set_ylim(*axisticks.view_limits(lo, hi))
        locs = list(ax.yaxis.get_majorticklocs())
        expected = ax.yaxis.get_major_formatter().format_ticks(locs)
        assert axisticks.scalar_labels(locs) == expected, (lo, hi)
        plt.close("all")
    assert axisticks.scalar_labels([-10.0, 0.0, 2.5]) == ["\u221210.0", "0.0", "2.5"]


def test_tick_space_is_matplotlibs():
    with plt.rc_context({"ytick.labelsize": 11}):
        _, ax = plt.subplots(figsize=(4.8, 3.4))
        height = ax.get_position().height * 3.4 * 72
        assert axisticks.tick_space(height, 11.0) == ax.yaxis.get_tick_space() == 8


@pytest.mark.parametrize(
    "first, last",
    [(dt.date(2026, 1, 1), dt.date(2026, 4, 1)), (dt.date(2025, 7, 1), dt.date(2026, 8, 1)),
     (dt.date(2024, 1, 1), dt.date(2026, 12, 1)), (dt.date(2020, 3, 1), dt.date(2026, 9, 1)),
     (dt.date(2026, 1, 1), dt.date(2026, 2, 1)), (dt.date(2025, 1, 1), dt.date(2025, 6, 1)),
     (dt.date(2010, 1, 1), dt.date(2026, 1, 1)), (dt.date(2026, 1, 5), dt.date(2026, 1, 20))],
)  # fmt: skip
def test_date_ticks_are_autodatelocators(first, last):
    # oracle: matplotlib's date axis (AutoDateLocator, AutoDateFormatter) on the same data
    _, ax = plt.subplots()
    ax.plot([first, last], [0, 1])
    vmin, vmax = ax.get_xlim()
    assert axisticks.view_limits(axisticks.to_days(first), axisticks.to_days(last)) == (
        pytest.approx((vmin, vmax))
    )
    locs = [v for v in ax.xaxis.get_majorticklocs() if vmin <= v <= vmax]
    labels = ax.xaxis.get_major_formatter().format_ticks(locs)
    ticks, names = axisticks.date_ticks(vmin, vmax)
    assert names == labels
    assert ticks == pytest.approx(locs)
    assert dates.num2date(ticks[0]).replace(tzinfo=None) == axisticks.from_days(ticks[0])
