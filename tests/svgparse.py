"""Reading the SVG of a chart in tests: its root element, its hover titles, a clean theme."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import matplotlib.pyplot as plt
import pytest

from cxresearch.reporting import i18n, plots, svg


@pytest.fixture(autouse=True)
def english_theme():
    """Each test draws in English with the report theme; its figures are closed after it."""
    i18n.use("en")
    plots.set_theme()
    yield
    plt.close("all")
    i18n.use("en")


def svg_root(html: str) -> ET.Element:
    """The ``<svg>`` element of a chart's HTML, parsed."""
    return ET.fromstring(re.search(r"<svg.*</svg>", html, re.DOTALL).group(0))


def svg_titles(root: ET.Element) -> list[str]:
    """The texts of every ``<title>`` (the hover titles of marks) under ``root``."""
    return [t.text for t in root.iter(f"{{{svg.SVG_NS}}}title")]
