"""Tick locations and labels computed once per layout, not once per measurement.

Laying a chart out measures every axis many times (the constrained layout measures twice,
each axis measures its neighbours, the tight box measures again, the SVG draws), and each
measurement asks the axis's locator for its ticks and its formatter for their labels.
For date axes (monthly trends) that is most of a chart's cost. :func:`remembered` wraps
each locator and formatter of a figure so that a call with the same inputs as the one
before returns the same answer without computing it again; any change of view limits,
data limits or axis length (what a locator reads) computes afresh. Since only the last
answer is kept, a wrapped ticker's own state (a date formatter's unit, a scalar
formatter's offset) is always the state its last answer left.

Each measurement also sets every tick's position and label again and picks the ticks
inside the view (matplotlib's ``Axis._update_ticks``): :func:`remembered` lets an axis
whose tick locations, labels, view and scale are those of its last update return the
ticks it returned then (:class:`_LastTicks`), already placed and labelled. Within the
block a text measured again as before (same string, font, alignment, rotation, renderer
and dpi) gets its last layout too (:func:`_text_layouts`): matplotlib lays a text out anew
on every measurement, and a chart measures each tick label several times.
"""

from __future__ import annotations

import contextlib
import copy
import weakref
from collections.abc import Iterator
from typing import Any

from matplotlib.axis import Axis
from matplotlib.figure import Figure
from matplotlib.text import Text
from matplotlib.ticker import Formatter, Locator, NullLocator


def _limits(axis) -> tuple:
    """What a locator or formatter reads of its axis: view and data limits, minimum."""
    return (*axis.get_view_interval(), *axis.get_data_interval(), axis.get_minpos())


class _LastLocator(Locator):
    """A locator that answers a repeated call (same axis state) from its last answer."""

    def __init__(self, inner: Locator) -> None:
        self.inner, self.axis = inner, inner.axis
        self._key: tuple | None = None
        self._locs: Any = None

    def __call__(self):
        axis = self.inner.axis
        try:
            key = (*_limits(axis), axis.get_tick_space())
        except (AttributeError, NotImplementedError):  # an axis that cannot say: no memory
            return self.inner()
        if key != self._key:
            self._locs, self._key = self.inner(), key
        return copy.copy(self._locs)

    def tick_values(self, vmin, vmax):
        return self.inner.tick_values(vmin, vmax)

    def nonsingular(self, v0, v1):
        return self.inner.nonsingular(v0, v1)

    def view_limits(self, vmin, vmax):
        return self.inner.view_limits(vmin, vmax)

    def set_params(self, **kwargs):
        self._key = None
        return self.inner.set_params(**kwargs)

    def __getattr__(self, name: str):
        return getattr(self.__dict__["inner"], name)


class _LastFormatter(Formatter):
    """A formatter that labels a repeated set of ticks (same axis state) as last time."""

    def __init__(self, inner: Formatter) -> None:
        self.inner, self.axis = inner, inner.axis
        self._key: tuple | None = None
        self._labels: list[str] = []

    def format_ticks(self, values):
        axis = self.inner.axis
        key = (tuple(values), *(_limits(axis) if axis is not None else ()))
        if key != self._key:
            self._labels, self._key = list(self.inner.format_ticks(values)), key
        return list(self._labels)

    def __call__(self, x, pos=None):
        return self.inner(x, pos)

    def format_data(self, value):
        return self.inner.format_data(value)

    def format_data_short(self, value):
        return self.inner.format_data_short(value)

    def get_offset(self):
        return self.inner.get_offset()

    def set_locs(self, locs):
        self._key = None  # the inner state changes: the last answer no longer holds
        return self.inner.set_locs(locs)

    def fix_minus(self, s):
        return self.inner.fix_minus(s)

    def __getattr__(self, name: str):
        return getattr(self.__dict__["inner"], name)


class _LastTicks:
    """An axis's tick update that returns its last ticks when nothing it reads changed.

    What matplotlib's ``Axis._update_ticks`` reads: each tick group's visibility, locations
    and labels (answered by the remembered locator and formatter), the view interval, the
    scale and the tick lists. When all are as at the last update, the ticks hold these
    locations and labels already and the same ones lie inside the view.
    """

    def __init__(self, axis: Axis) -> None:
        self.axis, self.inner = axis, axis._update_ticks  # noqa: SLF001 - see the class notes
        self._key: tuple | None = None
        self._ticks: list = []

    def _group(self, ticker, kw: dict, locate) -> tuple | None:
        axis = self.axis
        if not axis._tick_group_visible(kw) or isinstance(ticker.locator, NullLocator):  # noqa: SLF001
            return None
        locs = tuple(locate())
        return locs, tuple(ticker.formatter.format_ticks(locs))

    def __call__(self) -> list:
        axis = self.axis
        try:
            key = (
                self._group(axis.major, axis._major_tick_kw, axis.get_majorticklocs),  # noqa: SLF001
                self._group(axis.minor, axis._minor_tick_kw, axis.get_minorticklocs),  # noqa: SLF001
                tuple(axis.get_view_interval()), axis.get_scale(),
                id(axis.majorTicks), len(axis.majorTicks),
                id(axis.minorTicks), len(axis.minorTicks),
            )  # fmt: skip
        except (AttributeError, NotImplementedError):  # an axis that cannot say: no memory
            return self.inner()
        if key != self._key:
            self._ticks = self.inner()
            # the update may have made ticks (the lists grew): key the state it left
            self._key = (*key[:4], id(axis.majorTicks), len(axis.majorTicks),
                         id(axis.minorTicks), len(axis.minorTicks))  # fmt: skip
        return list(self._ticks)


@contextlib.contextmanager
def _text_layouts() -> Iterator[None]:
    """Within the block, a text laid out as before gets its last layout (matplotlib's own).

    ``Text._get_layout`` gives a text's box and lines relative to its anchor, from its
    string, font, line spacing, alignment, rotation, the figure's dpi and the renderer
    (its metrics): all are the key, per renderer (kept weakly), so a later renderer or
    any changed property lays out anew. Wrapped and TeX texts are always laid out anew.
    The memory lasts for the block only.
    """
    own = Text._get_layout  # noqa: SLF001 - what is remembered; put back on exit
    if getattr(own, "remembers", False):  # an enclosing block remembers already
        yield
        return
    memory: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

    def layout(text: Text, renderer):
        if text.get_wrap() or text.get_usetex():
            return own(text, renderer)
        try:
            known = memory.setdefault(renderer, {})
        except TypeError:  # a renderer that cannot be referenced weakly
            return own(text, renderer)
        key = (
            text.get_text(), text.get_fontproperties().copy(), text.get_parse_math(),
            text.get_linespacing(), text.get_rotation(), text.get_rotation_mode(),
            text.get_horizontalalignment(), text.get_verticalalignment(),
            text._get_multialignment(), text.get_figure(root=True).dpi,  # noqa: SLF001
        )  # fmt: skip
        if key not in known:
            known[key] = own(text, renderer)
        box, lines, corner = known[key]
        return box.frozen(), list(lines), corner

    layout.remembers = True  # type: ignore[attr-defined]
    Text._get_layout = layout  # noqa: SLF001
    try:
        yield
    finally:
        Text._get_layout = own  # noqa: SLF001


@contextlib.contextmanager
def remembered(fig: Figure) -> Iterator[Figure]:
    """Within the block, every axis of ``fig`` answers repeated tick questions from memory.

    The figure's own locators and formatters are put back afterwards (unless the figure
    replaced one meanwhile), so the figure behaves as before outside the block.
    """
    wrapped: list[tuple[Any, Any, Any]] = []  # (ticker, locator, formatter) as they were
    seen: set[int] = set()
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            for ticker in (axis.major, axis.minor):
                locator, formatter = ticker.locator, ticker.formatter
                if id(ticker) in seen or locator is None or formatter is None:
                    continue
                if isinstance(locator, NullLocator):  # never asked (see Axis._update_ticks)
                    continue
                seen.add(id(ticker))
                wrapped.append((ticker, locator, formatter))
                ticker.locator, ticker.formatter = _LastLocator(locator), _LastFormatter(formatter)
    updates: list[Axis] = []  # axes whose tick update remembers its last answer
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            if hasattr(Axis, "_update_ticks") and "_update_ticks" not in vars(axis):
                axis._update_ticks = _LastTicks(axis)  # noqa: SLF001 - an instance's own
                updates.append(axis)
    try:
        with _text_layouts():
            yield fig
    finally:
        for axis in updates:
            if isinstance(vars(axis).get("_update_ticks"), _LastTicks):
                del axis._update_ticks  # noqa: SLF001 - matplotlib's own method again
        for ticker, locator, formatter in wrapped:
            if isinstance(ticker.locator, _LastLocator) and ticker.locator.inner is locator:
                ticker.locator = locator
            if isinstance(ticker.formatter, _LastFormatter) and ticker.formatter.inner is formatter:
                ticker.formatter = formatter
