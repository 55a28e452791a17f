"""Charts as inline SVG: crisp at any width, hover detail without JavaScript.

A plot function tags each mark (bar, point, heatmap cell) with :func:`mark`; :func:`figure_html`
saves the figure through matplotlib's SVG backend with text kept as text, turns every tag
into an SVG ``<title>`` (the browser shows it on hover), sanitizes the result and prefixes
its ids so that two charts on one page never clash.

The sanitizer keeps an allowlist of SVG elements and drops event attributes, styles and any
reference that does not point inside the chart, so labels taken from survey data can never
run or load anything.
"""

from __future__ import annotations

import io
import itertools
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # matplotlib is imported by the functions that draw with it
    from matplotlib.figure import Figure
    from matplotlib.transforms import Bbox

#: Narrowest width a chart is drawn at: a 390 px phone less the page's margins.
PHONE_WIDTH_PX = 320
#: No chart text is smaller than this many CSS pixels at :data:`PHONE_WIDTH_PX`.
MIN_TEXT_PX = 10.0
#: Charts grow to at most this factor of their natural size on wide screens.
MAX_ZOOM = 1.1
#: Font stack of chart text: the system's own sans-serif, as the report's body text.
FONT_FAMILY = "system-ui, -apple-system, 'Segoe UI', Roboto, 'DejaVu Sans', sans-serif"

SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"
_TAG = "cxt-"
_ALLOWED = {"svg", "g", "defs", "path", "use", "text", "tspan", "clipPath", "rect", "circle",
            "ellipse", "line", "polyline", "polygon", "title", "desc"}  # fmt: skip
_ATTRIBUTES = {"id", "d", "x", "y", "width", "height", "viewBox", "transform", "style",
               "clip-path", "cx", "cy", "r", "rx", "ry", "x1", "y1", "x2", "y2", "points",
               "version", "href", "class", "preserveAspectRatio", "role", "aria-label",
               "aria-hidden", "focusable", "dx", "dy", "text-anchor", "fill", "stroke",
               "pointer-events"}  # fmt: skip
_URL = re.compile(r"url\(\s*#([^)\s]+)\s*\)")
_FONT = re.compile(r"font-family:[^;]*")
_COUNTER = itertools.count(1)

ET.register_namespace("", SVG_NS)
ET.register_namespace("xlink", XLINK_NS)


def next_prefix() -> str:
    """The id prefix of the page's next chart: ``cx-chart-<k>-``, unique in the kernel."""
    return f"cx-chart-{next(_COUNTER)}-"


def mark(artist, title: str):
    """Give a mark the hover text ``title`` (value, interval and n); returns the artist.

    The text travels in the artist's ``gid`` (hex-encoded, so any label is safe) and
    becomes an SVG ``<title>`` in :func:`figure_html`.
    """
    artist.set_gid(_TAG + str(title).encode("utf-8").hex())
    return artist


def _artists(artist) -> Iterator:
    """``artist`` and everything under it; an axis gives the ticks it has, computing none."""
    from matplotlib.axis import Axis

    yield artist
    if isinstance(artist, Axis):  # Axis.get_children would locate and label its ticks
        children = [artist.label, artist.offsetText, *artist.majorTicks, *artist.minorTicks]
    else:
        children = artist.get_children()
    for child in children:
        yield from _artists(child)


def _texts(fig: Figure, *, empty: bool = False) -> list:
    """The figure's visible texts; with ``empty``, also those without text yet (tick labels)."""
    return [
        t
        for t in _artists(fig)
        if hasattr(t, "get_fontsize")
        and hasattr(t, "get_text")
        and t.get_visible()
        and (empty or t.get_text().strip())
    ]


def _enlarge(texts: list, scale: float, min_px: float) -> bool:
    """Enlarge the texts under ``min_px`` at ``scale`` (px per point); whether any was."""
    small = [t for t in texts if t.get_fontsize() * scale < min_px - 1e-6]
    for t in small:
        t.set_fontsize(min_px / scale * 1.03)
    return bool(small)


def _laid_out(fig: Figure) -> Bbox:
    """Lay the figure out (no drawing at all); its tight box padded as ``savefig`` pads it."""
    import matplotlib.pyplot as plt

    engine = fig.get_layout_engine()
    if engine is not None:
        engine.execute(fig)
    return fig.get_tightbbox().padded(plt.rcParams["savefig.pad_inches"])


def _fit(fig: Figure, width_px: float, min_px: float) -> Bbox:
    """:func:`fit_text`, returning the box (inches) the figure is saved in."""
    import matplotlib.pyplot as plt
    from matplotlib.layout_engine import ConstrainedLayoutEngine

    # a first guess of the saved width before any layout: the figure less the constrained
    # layout's outer padding (it fills the figure), plus the padding savefig adds
    engine = fig.get_layout_engine()
    inner = engine.get()["w_pad"] if isinstance(engine, ConstrainedLayoutEngine) else 0.0
    guess = fig.get_figwidth() + 2 * (plt.rcParams["savefig.pad_inches"] - inner)
    _enlarge(_texts(fig, empty=True), width_px / (guess * 72), min_px)
    for _ in range(4):
        box = _laid_out(fig)
        # the saved width: the padded tight box, in SVG user units (points)
        if not _enlarge(_texts(fig), width_px / (box.width * 72), min_px):
            break
    return box


def fit_text(fig: Figure, *, width_px: float = PHONE_WIDTH_PX, min_px: float = MIN_TEXT_PX):
    """Enlarge any text that would show under ``min_px`` when the chart is ``width_px`` wide.

    The chart's width (in points, as the SVG's ``viewBox``) is measured after layout, so the
    check holds for the SVG that :func:`figure_html` writes. Returns the figure.
    """
    from cxresearch.reporting import ticks

    with ticks.remembered(fig):
        _fit(fig, width_px, min_px)
    return fig


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


#: matplotlib's hashed ids (``p03726ec2e8`` for a clip path): a hash of the exact float
#: geometry, so that a last-bit difference in the data changes them without changing a pixel.
_HASHED = re.compile(r"[a-z]{1,2}[0-9a-f]{10}")


def _stable_ids(prefix: str) -> Callable[[str], str]:
    """``prefix`` + each hashed id renamed by order of first use (same chart, same ids)."""
    names: dict[str, str] = {}

    def rename(value: str) -> str:
        if _HASHED.fullmatch(value):
            value = names.setdefault(value, f"h{len(names) + 1}")
        return prefix + value

    return rename


def _clean_attributes(el: ET.Element, rename: Callable[[str], str]) -> None:
    for key in list(el.attrib):
        name, value = _local(key), el.attrib[key]
        low = value.lower()
        if (
            name not in _ATTRIBUTES
            or name.startswith("on")
            or "javascript:" in low
            or "expression(" in low
            or "@import" in low
            or low.count("url(") != len(_URL.findall(value))  # every url() local
        ):
            del el.attrib[key]
            continue
        if name == "href":
            if not value.startswith("#"):
                del el.attrib[key]
                continue
            el.attrib[key] = "#" + rename(value[1:])
        elif name == "id":
            el.attrib[key] = rename(value)
        elif "url(" in value:
            el.attrib[key] = _URL.sub(lambda m: f"url(#{rename(m.group(1))})", value)
        if name == "style" and "font-family" in value:
            el.attrib[key] = _FONT.sub(lambda _m: "font-family: " + FONT_FAMILY, el.attrib[key])


def sanitize(svg: str, prefix: str) -> ET.Element:
    """Parse matplotlib's SVG and return it safe to inline, with hover titles.

    Only known SVG elements and attributes stay (no ``<script>``, ``<style>``,
    ``<foreignObject>``, ``<image>``, ``<a>`` or event attributes); references must point
    inside the chart; every id is prefixed with ``prefix``; each :func:`mark` becomes a
    ``<title>``; text lets the pointer through to the mark beneath it.
    """
    root = ET.fromstring(svg)
    if _local(root.tag) != "svg":
        raise ValueError(f"not an SVG document: root element {_local(root.tag)!r}")
    marks = itertools.count(1)
    rename = _stable_ids(prefix)

    def walk(el: ET.Element) -> None:
        for child in list(el):
            if _local(child.tag) not in _ALLOWED:
                el.remove(child)
                continue
            walk(child)
        gid = el.attrib.get("id", "")
        if gid.startswith(_TAG):
            title = bytes.fromhex(gid[len(_TAG) :]).decode("utf-8")
            el.attrib["id"] = f"mark{next(marks)}"
            node = ET.Element(f"{{{SVG_NS}}}title")
            node.text = title  # serialized escaped
            el.insert(0, node)
        _clean_attributes(el, rename)
        if _local(el.tag) == "text":  # labels on a mark (a heatmap cell) let its title show
            el.attrib["pointer-events"] = "none"

    walk(root)
    return root


def figure_html(fig: Figure, alt: str, *, prefix: str | None = None) -> str:
    """The figure as an inline, sanitized SVG in a ``<figure>``, scaled to its container.

    Text stays text in the system font (``svg.fonttype = "none"``) and is at least
    :data:`MIN_TEXT_PX` pixels on a phone (:func:`fit_text`). The chart fills the width of
    its container, up to :data:`MAX_ZOOM` times its natural size. ``alt`` names the chart
    for screen readers. The figure is closed.

    Parameters
    ----------
    fig
        A matplotlib figure whose marks carry :func:`mark` titles.
    alt
        What the chart shows, for readers who cannot see it.
    prefix
        Prefix of every id in the SVG (default: ``cx-chart-<k>-``, unique in the kernel).

    Returns
    -------
    str
        HTML: ``<figure class="cx-chart"><svg ...>...</svg></figure>``.
    """
    import matplotlib.pyplot as plt

    from cxresearch.reporting import seabornstyle, ticks

    seabornstyle.apply_pending()
    prefix = prefix or next_prefix()
    buffer = io.StringIO()
    with ticks.remembered(fig), plt.rc_context({
        "svg.fonttype": "none", "svg.hashsalt": "cxresearch", "svg.image_inline": True,
        "figure.autolayout": False, "figure.constrained_layout.use": False,
    }):  # fmt: skip
        box = _fit(fig, PHONE_WIDTH_PX, MIN_TEXT_PX)
        # laid out and measured: the SVG is drawn once, as measured, in the measured box
        fig.set_layout_engine(None)
        fig.savefig(buffer, format="svg", bbox_inches=box, metadata={
            "Date": None, "Creator": None, "Format": None, "Type": None})  # fmt: skip
    plt.close(fig)
    root = sanitize(buffer.getvalue(), prefix)
    width = float(root.attrib.pop("width", "400pt").removesuffix("pt"))
    height = float(root.attrib.pop("height", "300pt").removesuffix("pt"))
    return figure(root, width, height, alt)


def figure(root: ET.Element, width: float, height: float, alt: str) -> str:
    """The page's ``<figure>`` for a chart's SVG ``root`` of ``width`` x ``height`` points.

    The SVG gets its size in CSS pixels, its role and alt text, and a style that lets it
    shrink to the page's width and grow to at most :data:`MAX_ZOOM` of its size.
    """
    px_w, px_h = round(width * 96 / 72), round(height * 96 / 72)
    root.attrib.update({
        "width": str(px_w), "height": str(px_h), "role": "img", "aria-label": alt,
        "preserveAspectRatio": "xMinYMin meet",
        "style": f"width: 100%; height: auto; max-width: {round(px_w * MAX_ZOOM)}px; "
                 "display: block",
    })  # fmt: skip
    svg = ET.tostring(root, encoding="unicode")
    return f'<figure class="cx-chart" style="margin: 0.6rem 0 1.2rem">{svg}</figure>'
