"""Trend charts drawn directly as SVG: the matplotlib chart's look, in milliseconds.

:func:`trend` turns a metric table into a :class:`Chart`: one line per group with its
interval band and a point per period whose hover ``<title>`` gives value, interval and n,
the time axis and the value axis ticked and labelled as matplotlib would
(:mod:`cxresearch.reporting.axisticks`), and an optional dashed, labelled target line, in
seaborn's ``whitegrid`` look (:mod:`cxresearch.reporting.seabornstyle`).
:meth:`Chart.to_html` lays it out and writes it with the guarantees of
:func:`cxresearch.reporting.svg.figure_html`: text stays text in the system font and is at
least :data:`~cxresearch.reporting.svg.MIN_TEXT_PX` pixels on a phone, ids carry a prefix
unique on the page, the chart scales to its container up to
:data:`~cxresearch.reporting.svg.MAX_ZOOM`, every text is escaped by the XML serializer,
and the SVG holds no script, style sheet or external reference.

Layout works in SVG user units (points, as matplotlib's SVG) with text widths estimated
from DejaVu Sans metrics (:mod:`cxresearch.reporting.textmetrics`); no font is rendered.
"""

from __future__ import annotations

import datetime as dt
import math
import numbers
import xml.etree.ElementTree as ET
from dataclasses import dataclass

import pandas as pd

from cxresearch.reporting import axisticks, i18n, seabornstyle, svg, textmetrics
from cxresearch.reporting.i18n import tr
from cxresearch.reporting.marks import hover

#: The natural width of a chart, in SVG user units (matplotlib's 4.8-inch chart, saved).
WIDTH = 354.0
#: Height of the chart without a legend: axes, tick labels and padding.
HEIGHT = 253.2
PAD = 7.2  # savefig's padding around everything
TICK_PAD = 9.5  # tick label to axes: matplotlib's 3.5 pt padding plus 6 pt tick length
LABEL_PAD = 4.0  # axis label to tick labels
ROTATION = 30.0  # of the time axis's labels, in degrees
TEXT, GRID = "#262626", "#cccccc"  # seaborn's ".15" text and ".8" grid and spines


@dataclass
class Series:
    """One line: its name (``None`` without ``hue``), colour and points, drawn scaled."""

    name: str | None
    colour: str
    xs: list[float]
    ys: list[float]
    lows: list[float]
    highs: list[float]
    titles: list[str]


@dataclass
class Chart:
    """A chart drawn as SVG, for :func:`cxresearch.reporting.report.show_figure`.

    In JupyterLab it shows itself (``_repr_html_``) with its axis label as alt text.
    """

    series: list[Series]
    ticks: list[float]  # positions on the time axis, inside the view
    tick_labels: list[str]
    xlim: tuple[float, float]
    ylabel: str = ""
    target: tuple[float, str] | None = None  # scaled value, label
    legend: bool = False
    kind: str = "date"  # of the time axis: date, number or category

    def to_html(self, alt: str, *, prefix: str | None = None) -> str:
        """The chart as ``<figure class="cx-chart"><svg ...>...</svg></figure>``."""
        return _html(self, alt, prefix or svg.next_prefix())

    def _repr_html_(self) -> str:
        return self.to_html(self.ylabel or "chart")


def _kind(values: list) -> str:
    if values and all(isinstance(v, dt.date) for v in values):
        return "date"
    if values and all(isinstance(v, numbers.Real) and not isinstance(v, bool) for v in values):
        return "number"
    return "category"


def _positions(values: list, kind: str, categories: dict) -> list[float]:
    if kind == "date":
        return [axisticks.to_days(v) for v in values]
    if kind == "number":
        return [float(v) for v in values]
    return [float(categories.setdefault(v, len(categories))) for v in values]


def trend_chart(
    table: pd.DataFrame,
    x: str = "month",
    *,
    scale: float = 100,
    label: str = "",
    hue: str | None = None,
    target: float | None = None,
    target_label: str = "",
) -> Chart:
    """A metric over time with its interval band, drawn as SVG without matplotlib.

    Shows what :func:`~cxresearch.reporting.plots.plot_trend` shows, in the same look: one
    line per ``hue`` group (seaborn's colour-blind palette) with its interval band, a point
    per period whose hover title gives its value, interval and n, the same time and value
    ticks and labels, the axis label, a dashed labelled target line and a legend with
    ``hue``; suppressed points are left out. Show it with
    :func:`cxresearch.reporting.report.show_figure`; in JupyterLab it also shows itself. For
    a chart to customise with matplotlib, use
    :func:`~cxresearch.reporting.plots.plot_trend`.

    Parameters
    ----------
    table
        A metric table with ``x``, ``estimate``, ``ci_low``, ``ci_high`` and ``n``.
    x
        The time column (dates; numbers or labels work too).
    scale
        Multiplier for display (100 for NPS points and percentages).
    label
        Axis label of the estimate.
    hue
        Column of groups drawn as separate lines.
    target
        A target or benchmark on the table's scale (0.4 for an NPS of 40), drawn as a
        dashed, labelled line; ``None`` or NaN draws none.
    target_label
        The line's label (default: *Target*).

    Returns
    -------
    Chart
    """
    t = i18n.current()
    if "suppressed" in table:
        table = table[~table["suppressed"].fillna(True).astype(bool)]
    groups = list(table.groupby(hue)) if hue else [(None, table)]
    colours = seabornstyle.COLORBLIND
    values = table[x].tolist()
    kind = _kind(values)
    categories: dict = {}  # matplotlib's categorical axis: in order of first drawing
    series = []
    for i, (name, part) in enumerate(groups):
        part = part.sort_values(x)
        shown = t.value(hue, name) if hue else None
        rows = part.to_dict("records")
        series.append(Series(
            name=shown, colour=colours[i % len(colours)],
            xs=_positions(part[x].tolist(), kind, categories),
            ys=[r["estimate"] * scale for r in rows], lows=[r["ci_low"] * scale for r in rows],
            highs=[r["ci_high"] * scale for r in rows],
            titles=[hover(", ".join(filter(None, [shown, t.value(x, r[x])])), r, scale=scale)
                    for r in rows],
        ))  # fmt: skip
    xs = [v for s in series for v in s.xs]
    lo, hi = (min(xs), max(xs)) if xs else (0.0, 1.0)
    if kind == "date" and lo == hi:  # matplotlib's DateLocator.nonsingular: two years aside
        lo, hi = lo - 2 * 365.0, hi + 2 * 365.0
    xlim = axisticks.view_limits(lo, hi)
    line = None
    if target is not None and not pd.isna(target):
        text = target_label or tr("Target {value}", value=t.number(target * scale))
        line = (target * scale, text)
    if kind == "date":
        ticks, labels = axisticks.date_ticks(*xlim)
    elif kind == "category":
        ticks = [float(i) for i in range(len(categories))]
        labels = [str(v) for v in categories]
    else:
        ticks, labels = [], []  # laid out with the axis length known (_layout)
    return Chart(series, ticks, labels, xlim, label, line, bool(hue), kind)


def _num(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")


def _sized(size: float) -> float:
    """``size`` enlarged as :func:`cxresearch.reporting.svg.fit_text` would, if too small."""
    least = svg.MIN_TEXT_PX * WIDTH / svg.PHONE_WIDTH_PX
    return least * 1.03 if size < least - 1e-6 else size


def _rotated_box(width: float, size: float) -> tuple[float, float, float, float]:
    """The box of a text turned by :data:`ROTATION`: min x, max x, min y, max y (y up)."""
    a, d = textmetrics.ASCENT * size, textmetrics.DESCENT * size
    c, s = math.cos(math.radians(ROTATION)), math.sin(math.radians(ROTATION))
    corners = [(0, -d), (width, -d), (width, a), (0, a)]
    xs = [px * c - py * s for px, py in corners]
    ys = [px * s + py * c for px, py in corners]
    return min(xs), max(xs), min(ys), max(ys)


def _text(parent: ET.Element, text: str, size: float, **attrib: str) -> ET.Element:
    style = f"font-size: {_num(size)}px; font-family: {svg.FONT_FAMILY}; fill: {TEXT}"
    if "anchor" in attrib:
        style += f"; text-anchor: {attrib.pop('anchor')}"
    el = ET.SubElement(parent, "text", {"style": style, "pointer-events": "none", **attrib})
    el.text = text
    return el


def _finite(*values: float) -> bool:
    return all(v is not None and math.isfinite(v) for v in values)


def _segments(points: list[tuple[float, float]]) -> str:
    """An SVG path through ``points``, broken where a value is missing (NaN)."""
    d, pen = [], "M"
    for px, py in points:
        if not _finite(px, py):
            pen = "M"
            continue
        d.append(f"{pen} {_num(px)} {_num(py)}")
        pen = "L"
    return " ".join(d)


@dataclass
class _Frame:
    """Where the axes lie (user units) and what their ticks say."""

    left: float
    right: float
    top: float
    bottom: float
    xlim: tuple[float, float]
    ylim: tuple[float, float]
    xticks: list[float]
    xlabels: list[str]
    yticks: list[float]
    ylabels: list[str]

    def x(self, value: float) -> float:
        lo, hi = self.xlim
        return self.left + (value - lo) / (hi - lo) * (self.right - self.left)

    def y(self, value: float) -> float:
        lo, hi = self.ylim
        return self.bottom - (value - lo) / (hi - lo) * (self.bottom - self.top)


def _legend_rows(chart: Chart, size: float) -> list[list[tuple[Series, float]]]:
    """The legend's entries in rows that fit the chart's width, each with its width."""
    rows: list[list[tuple[Series, float]]] = []
    used = math.inf
    for s in chart.series if chart.legend else []:
        entry = 25 + textmetrics.width(s.name or "", size) + 14
        if used + entry > WIDTH - 2 * PAD:
            rows.append([])
            used = 0.0
        rows[-1].append((s, entry))
        used += entry
    return rows


def _frame(chart: Chart, tick: float, label_size: float, bottom: float) -> _Frame:
    """Lay the axes out: room for the tick labels, the axis label and the target's label."""
    ys = [v for s in chart.series for v in (*s.ys, *s.lows, *s.highs) if _finite(v)]
    if chart.target is not None:
        ys.append(chart.target[0])
    ylim = axisticks.view_limits(min(ys), max(ys)) if ys else (0.0, 1.0)
    a, d = textmetrics.ASCENT * tick, textmetrics.DESCENT * tick
    top, left, right = PAD, PAD, WIDTH - PAD
    xticks, xlabels = chart.ticks, chart.tick_labels
    for _ in range(3):  # each pass moves the axes by what the last one found overflowing
        frame = _Frame(left, right, top, bottom, chart.xlim, ylim, xticks, xlabels, [], [])
        if chart.kind == "number":
            space = math.floor((right - left) / (tick * 3))
            every = axisticks.nice_ticks(*chart.xlim, space)
            shown = [v for v in every if chart.xlim[0] <= v <= chart.xlim[1]]
            labels = dict(zip(every, axisticks.scalar_labels(every), strict=True))
            xticks, xlabels = shown, [labels[v] for v in shown]
        every = axisticks.nice_ticks(*ylim, axisticks.tick_space(bottom - top, tick))
        labels = dict(zip(every, axisticks.scalar_labels(every), strict=True))
        frame.xticks, frame.xlabels = xticks, xlabels
        frame.yticks = [v for v in every if ylim[0] <= v <= ylim[1]]
        frame.ylabels = [labels[v] for v in frame.yticks]
        widest = max((textmetrics.width(s, tick) for s in frame.ylabels), default=0.0)
        axis_label = (label_size * (textmetrics.ASCENT + textmetrics.DESCENT) + LABEL_PAD
                      if chart.ylabel else 0.0)  # fmt: skip
        want_left = PAD + axis_label + widest + TICK_PAD
        spill_left, spill_right = 0.0, 0.0
        for value, text in zip(xticks, xlabels, strict=True):
            x0, x1, _, _ = _rotated_box(textmetrics.width(text, tick), tick)
            centre = frame.x(value)
            spill_left = max(spill_left, PAD - (centre - (x1 - x0) / 2))
            spill_right = max(spill_right, centre + (x1 - x0) / 2 - (WIDTH - PAD))
        want_top = PAD
        if chart.target is not None:
            above = frame.y(chart.target[0]) - 3 - d - a
            want_top = top + max(0.0, PAD - above)
        new = (max(want_left, left + spill_left), right - spill_right, want_top)
        if all(abs(p - q) < 0.01 for p, q in zip(new, (left, right, top), strict=True)):
            break
        left, right, top = new
    return frame


def _draw(chart: Chart, prefix: str, tick: float, label_size: float):
    """The ``<svg>`` element of ``chart`` and its size in user units."""
    a, d = textmetrics.ASCENT * tick, textmetrics.DESCENT * tick
    labels = chart.tick_labels
    if chart.kind == "number":  # the labels at about the axes' width, for their height
        labels = axisticks.scalar_labels(
            axisticks.nice_ticks(*chart.xlim, math.floor((WIDTH - 60) / (tick * 3)))
        )
    drop = max((_rotated_box(textmetrics.width(s, tick), tick)[2:] for s in labels),
               key=lambda box: box[1] - box[0], default=(-d, a))  # fmt: skip
    rows = _legend_rows(chart, tick)
    row_height = tick * 1.5
    height = HEIGHT + (len(rows) * row_height + 4 if rows else 0.0)
    bottom = HEIGHT - PAD - (drop[1] - drop[0]) - TICK_PAD
    f = _frame(chart, tick, label_size, bottom)
    root = ET.Element("svg")
    ET.SubElement(root, "rect", {"x": "0", "y": "0", "width": _num(WIDTH),
                                 "height": _num(height), "fill": "#ffffff"})  # fmt: skip
    grid = ET.SubElement(root, "g", {"stroke": GRID, "stroke-width": "1",
                                     "stroke-linecap": "round", "fill": "none"})  # fmt: skip
    for value in f.xticks:
        x = _num(f.x(value))
        ET.SubElement(grid, "path", {"d": f"M {x} {_num(f.top)} L {x} {_num(f.bottom)}"})
    for value in f.yticks:
        y = _num(f.y(value))
        ET.SubElement(grid, "path", {"d": f"M {_num(f.left)} {y} L {_num(f.right)} {y}"})
    # in matplotlib's order: tick and axis labels, data, target label, legend
    for value, text in zip(f.xticks, f.xlabels, strict=True):
        x0, x1, _, y1 = _rotated_box(textmetrics.width(text, tick), tick)
        ox, oy = f.x(value) - (x0 + x1) / 2, f.bottom + TICK_PAD + y1
        _text(root, text, tick, transform=f"translate({_num(ox)} {_num(oy)}) rotate(-{ROTATION:g})")
    for value, text in zip(f.yticks, f.ylabels, strict=True):
        _text(root, text, tick, x=_num(f.left - TICK_PAD), y=_num(f.y(value) + 0.35 * tick),
              anchor="end")  # fmt: skip
    if chart.ylabel:
        widest = max((textmetrics.width(s, tick) for s in f.ylabels), default=0.0)
        x = f.left - TICK_PAD - widest - LABEL_PAD - textmetrics.DESCENT * label_size
        y = (f.top + f.bottom) / 2
        _text(root, chart.ylabel, label_size, x=_num(x), y=_num(y), anchor="middle",
              transform=f"rotate(-90 {_num(x)} {_num(y)})")  # fmt: skip
    for s in chart.series:
        band = [(x, lo, hi) for x, lo, hi in zip(s.xs, s.lows, s.highs, strict=True)
                if _finite(x, lo, hi)]  # fmt: skip
        if band:
            outline = [(f.x(x), f.y(hi)) for x, _, hi in band]
            outline += [(f.x(x), f.y(lo)) for x, lo, _ in reversed(band)]
            ET.SubElement(root, "path", {"d": _segments(outline) + " Z", "fill": s.colour,
                                         "fill-opacity": "0.15", "stroke": "none"})  # fmt: skip
        line = [(f.x(x), f.y(y)) for x, y in zip(s.xs, s.ys, strict=True)]
        ET.SubElement(root, "path", {
            "d": _segments(line), "fill": "none", "stroke": s.colour, "stroke-width": "1.5",
            "stroke-linecap": "round", "stroke-linejoin": "round"})  # fmt: skip
    if chart.target is not None:
        y = f.y(chart.target[0])
        ET.SubElement(root, "path", {
            "d": f"M {_num(f.left)} {_num(y)} L {_num(f.right)} {_num(y)}", "fill": "none",
            "stroke": "#000000", "stroke-width": "1", "stroke-dasharray": "3.7,1.6"})  # fmt: skip
    ET.SubElement(root, "rect", {
        "x": _num(f.left), "y": _num(f.top), "width": _num(f.right - f.left),
        "height": _num(f.bottom - f.top), "fill": "none", "stroke": GRID,
        "stroke-width": "1.25"})  # fmt: skip
    marks = 0
    for s in chart.series:
        for x, y, title in zip(s.xs, s.ys, s.titles, strict=True):
            if not _finite(x, y):
                continue
            marks += 1
            g = ET.SubElement(root, "g", {"id": f"{prefix}mark{marks}"})
            ET.SubElement(g, "title").text = title
            ET.SubElement(g, "circle", {"cx": _num(f.x(x)), "cy": _num(f.y(y)), "r": "2.5",
                                        "fill": s.colour, "stroke": s.colour})  # fmt: skip
    if chart.target is not None:
        _text(root, chart.target[1], tick, x=_num(f.left + 3),
              y=_num(f.y(chart.target[0]) - 3 - d))  # fmt: skip
    y = HEIGHT + row_height * 0.5
    for row in rows:
        x = PAD
        for s, entry in row:
            ET.SubElement(root, "path", {
                "d": f"M {_num(x)} {_num(y)} L {_num(x + 20)} {_num(y)}", "stroke": s.colour,
                "stroke-width": "1.5", "fill": "none"})  # fmt: skip
            _text(root, s.name or "", tick, x=_num(x + 25), y=_num(y + 0.35 * tick))
            x += entry
        y += row_height
    return root, (WIDTH, height)


def _html(chart: Chart, alt: str, prefix: str) -> str:
    tick, label_size = _sized(11.0), _sized(12.0)
    root, (width, height) = _draw(chart, prefix, tick, label_size)
    root.attrib.update(
        {"xmlns": svg.SVG_NS, "viewBox": f"0 0 {_num(width)} {_num(height)}", "version": "1.1"}
    )
    return svg.figure(root, width, height, alt)
