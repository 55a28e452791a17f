"""Ticks remembered within a layout: same ticks and labels as matplotlib's own, fewer asks."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.ticker import Locator  # noqa: E402

from cxresearch.reporting import ticks  # noqa: E402


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


def _labels(axis) -> tuple[list, list[str], str]:
    axis.figure.draw_without_rendering()
    locs = list(axis.get_majorticklocs())
    return locs, [t.get_text() for t in axis.get_ticklabels()], axis.get_offset_text().get_text()


def _chart():
    fig, ax = plt.subplots(layout="constrained")
    months = pd.date_range("2024-11-01", periods=24, freq="MS")
    ax.plot(months, [1e6 + i for i in range(24)])  # an offset on the y axis ("+1e6")
    return fig, ax


def test_remembered_ticks_and_labels_are_matplotlibs_own_and_follow_the_limits():
    fig, ax = _chart()
    plain_x, plain_y = _labels(ax.xaxis), _labels(ax.yaxis)
    with ticks.remembered(fig):
        assert _labels(ax.xaxis) == plain_x and _labels(ax.yaxis) == plain_y
        assert plain_y[2]  # the offset text survives
        ax.set_xlim(pd.Timestamp("2025-01-01"), pd.Timestamp("2025-06-30"))
        narrow = _labels(ax.xaxis)
    assert narrow != plain_x  # new limits: new ticks, not the remembered ones
    assert _labels(ax.xaxis) == narrow  # and the same as matplotlib's own outside the block


class _Counting(Locator):
    def __init__(self, inner):
        self.inner, self.calls = inner, 0

    def __call__(self):
        self.calls += 1
        return self.inner()

    def __getattr__(self, name):
        return getattr(self.__dict__["inner"], name)


def test_a_repeated_ask_is_answered_from_memory_and_the_figure_gets_its_tickers_back():
    fig, ax = _chart()
    counting = _Counting(ax.xaxis.get_major_locator())
    ax.xaxis.set_major_locator(counting)
    formatter = ax.xaxis.get_major_formatter()
    with ticks.remembered(fig):
        fig.draw_without_rendering()  # the layout settles the axis length
        asked = counting.calls
        for _ in range(3):
            fig.draw_without_rendering()
        assert counting.calls == asked
    assert ax.xaxis.get_major_locator() is counting
    assert ax.xaxis.get_major_formatter() is formatter
    fig.draw_without_rendering()
    assert counting.calls > 1  # outside the block every ask computes again


def test_a_repeated_tick_update_returns_the_placed_ticks_and_the_axis_gets_its_own_back(
    monkeypatch,
):
    """Within the block an axis sets its ticks' positions and labels once per state, not
    once per measurement; outside it matplotlib's own update runs again."""
    from matplotlib.axis import Axis

    calls = []
    own = Axis._update_ticks

    def counted(self):
        calls.append(self)
        return own(self)

    monkeypatch.setattr(Axis, "_update_ticks", counted)
    fig, ax = _chart()
    fig.draw_without_rendering()
    plain = ([t.get_text() for t in ax.xaxis.get_ticklabels()], list(ax.xaxis.get_majorticklocs()))
    with ticks.remembered(fig):
        fig.draw_without_rendering()  # the layout settles the axis length
        asked = len(calls)
        for _ in range(3):
            fig.draw_without_rendering()
        assert len(calls) == asked  # the same state: the ticks of the last update
        shown = ([t.get_text() for t in ax.xaxis.get_ticklabels()],
                 list(ax.xaxis.get_majorticklocs()))  # fmt: skip
        assert shown == plain
        ax.set_xlim(pd.Timestamp("2025-01-01"), pd.Timestamp("2025-06-30"))
        fig.draw_without_rendering()
        assert len(calls) > asked  # a new view: updated again
    assert "_update_ticks" not in vars(ax.xaxis) and "_update_ticks" not in vars(ax.yaxis)
    before = len(calls)
    fig.draw_without_rendering()
    assert len(calls) > before  # outside the block every measurement updates


def test_a_text_measured_again_gets_its_last_layout_until_a_property_changes(monkeypatch):
    """Within the block a text's layout is matplotlib's own, computed once per state (string,
    font, alignment, rotation, renderer); outside it matplotlib lays out on every ask."""
    from matplotlib.text import Text

    calls = []
    own = Text._get_layout

    def counted(self, renderer):
        calls.append(self.get_text())
        return own(self, renderer)

    monkeypatch.setattr(Text, "_get_layout", counted)
    fig, ax = _chart()
    label = ax.set_xlabel("Month of the response")
    renderer = fig.canvas.get_renderer()
    plain = label.get_window_extent(renderer).bounds
    with ticks.remembered(fig):
        first = label.get_window_extent(renderer)
        asked = len(calls)
        assert label.get_window_extent(renderer).bounds == first.bounds == plain
        assert len(calls) == asked  # the same text again: its last layout
        label.set_fontsize(20)
        bigger = label.get_window_extent(renderer)
        assert len(calls) == asked + 1 and bigger.height > first.height
        label.set_rotation(90)
        assert label.get_window_extent(renderer).height > bigger.height  # laid out anew
    assert Text._get_layout is counted  # matplotlib's own again
    before = len(calls)
    label.get_window_extent(renderer)
    label.get_window_extent(renderer)
    assert len(calls) == before + 2
