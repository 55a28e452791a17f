"""Estimated widths of chart text, for laying a chart out without a font renderer.

Widths are DejaVu Sans advance widths (matplotlib's bundled font, which sized the charts
before :mod:`cxresearch.reporting.trendsvg`), read once from ``DejaVuSans.ttf`` with
FreeType and stored here in ems. A browser draws the text in the system's sans-serif
(:data:`cxresearch.reporting.svg.FONT_FAMILY`), whose widths differ by a few per cent, so
layouts leave that much room. Characters not in the table count as :data:`WIDE` when East
Asian wide, else :data:`OTHER`; kerning is ignored.
"""

from __future__ import annotations

import unicodedata

#: DejaVu Sans advance widths in ems, grouped by width: ``(width, characters)``.
_GROUPS = (
    (0.275, "'"), (0.278, "ijlìíîï"), (0.295, "IJÌÍÎÏ"), (0.318, " ,.\xa0·’"),
    (0.337, "/:;\\|¦"), (0.352, "f"), (0.361, "-\xad"), (0.39, "()[]"), (0.392, "t"),
    (0.401, "!¡²³¹"), (0.411, "r"), (0.46, '"'), (0.471, "ªº"), (0.5, "*_`§¨¯°´¸–"),
    (0.518, "“”"), (0.521, "s"), (0.525, "z"), (0.531, "?¿"), (0.55, "cç"), (0.557, "L"),
    (0.575, "F"), (0.579, "k"), (0.592, "vxyýÿ"), (0.603, "P"), (0.605, "Þ"),
    (0.611, "TYÝ"), (0.612, "o«»ðòóôõöø"), (0.613, "aàáâãäå"), (0.615, "eèéêë"),
    (0.63, "ß"), (0.632, "EÈÉÊË"), (0.634, "hnuñùúûü"), (0.635, "Sbdgpqþ"),
    (0.636, "$0123456789{}¢£¤¥µ¶€"), (0.656, "K"), (0.684, "AVÀÁÂÃÄÅ"), (0.685, "XZ"),
    (0.686, "B"), (0.695, "R"), (0.698, "CÇ"), (0.732, "UÙÚÛÜ"), (0.748, "NÑ"),
    (0.752, "H"), (0.77, "D"), (0.775, "GÐ"), (0.78, "&"), (0.787, "OQÒÓÔÕÖØ"),
    (0.818, "w"), (0.838, "#+<=>^~¬±×÷−"), (0.863, "M"), (0.95, "%"), (0.969, "¼½¾"),
    (0.974, "mÆ"), (0.982, "æ"), (0.989, "W"), (1.0, "@©®—…"),
)  # fmt: skip
WIDTHS: dict[str, float] = {ch: width for width, chars in _GROUPS for ch in chars}
#: Width of a character outside the table (the widest Latin letters, to err on room).
OTHER = 0.75
#: Width of an East Asian wide or full-width character.
WIDE = 1.0
#: Height above the baseline and depth below it of a line of text, in ems (DejaVu Sans).
ASCENT, DESCENT = 0.76, 0.24


def _char(ch: str) -> float:
    width = WIDTHS.get(ch)
    if width is not None:
        return width
    if unicodedata.combining(ch) or unicodedata.category(ch) in ("Cf", "Mn", "Me"):
        return 0.0
    return WIDE if unicodedata.east_asian_width(ch) in ("W", "F") else OTHER


def width(text: str, size: float) -> float:
    """The estimated width of one line of ``text`` at font size ``size`` (same unit)."""
    return sum(_char(ch) for ch in text) * size
