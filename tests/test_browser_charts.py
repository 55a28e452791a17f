"""Charts in real headless Chromium at a phone's and a laptop's width: text size and hover."""

import re

import pytest

from tests import test_browser
from tests.conftest import NOTEBOOKS
from tests.test_browser import SCREENSHOTS

pytestmark = [pytest.mark.slow, pytest.mark.browser]

#: The rendered size of every chart text, in CSS pixels, as the browser lays it out.
TEXT_SIZES = """() => Array.from(document.querySelectorAll('figure.cx-chart svg text')).map(el => {
  const m = el.getScreenCTM();
  return [el.textContent, parseFloat(getComputedStyle(el).fontSize) * Math.hypot(m.a, m.b)];
})"""
#: The hover text of the mark under a point: the nearest enclosing SVG <title>, as browsers show.
TITLE_AT = """([x, y]) => {
  let el = document.elementFromPoint(x, y);
  while (el && !el.querySelector(':scope > title')) el = el.parentElement;
  return el ? el.querySelector(':scope > title').textContent : null;
}"""
WIDTHS = (390, 1280)
#: Headless Debian Chromium, launched as in tests/test_browser.py (a module-scoped fixture).
browser = test_browser.browser


def _page(browser, path, width: int):
    """The report opened as tests/test_browser.py opens it, then laid out ``width`` wide."""
    page, errors, requests = test_browser._open(browser, path)
    page.set_viewport_size({"width": width, "height": 900})
    page.wait_for_timeout(200)
    return page, errors, requests


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("name", NOTEBOOKS)
def test_chart_text_is_readable_and_charts_fit(browser, rendered, name, width):
    page, errors, requests = _page(browser, rendered[name].html, width)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}-{width}.png"), full_page=True)
    charts = page.locator("figure.cx-chart > svg")
    assert charts.count() >= 1 and page.locator("img").count() == 0
    sizes = page.evaluate(TEXT_SIZES)
    assert len(sizes) >= 5 * charts.count()  # text stays text
    small = [(text, round(px, 2)) for text, px in sizes if px < 10]
    assert small == [], f"chart text under 10 px at {width} px: {small[:5]}"
    for i in range(charts.count()):
        chart = charts.nth(i)
        box = chart.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= width + 0.5  # never wider
        assert box["height"] > 100 and len(chart.get_attribute("aria-label") or "") > 20
        chart.scroll_into_view_if_needed()
        chart.screenshot(path=str(SCREENSHOTS / f"{name}-{width}-chart{i + 1}.png"))
    # inline SVG ids are unique on the page, so no chart can borrow another's clip paths
    ids = page.evaluate("() => Array.from(document.querySelectorAll('svg [id]'), e => e.id)")
    assert len(ids) == len(set(ids))
    assert page.locator("script").count() == 0 and errors == []
    assert [u for u in requests if not u.startswith("data:")] == [rendered[name].html.as_uri()]
    page.close()


def _hover_title(page, selector: str) -> str:
    mark = page.locator(selector).first
    mark.scroll_into_view_if_needed()
    mark.hover()
    box = mark.bounding_box()
    title = page.evaluate(TITLE_AT, [box["x"] + box["width"] / 2, box["y"] + box["height"] / 2])
    return title or ""


@pytest.mark.parametrize("width", WIDTHS)
def test_hovering_a_point_or_bar_shows_value_interval_and_n(browser, rendered, width):
    # a point of the monthly NPS trend
    page, _, _ = _page(browser, rendered["nps_overview"].html, width)
    first = page.locator("figure.cx-chart").first
    title = _hover_title(page, "figure.cx-chart >> nth=0 >> g[id$='-mark1'] circle")
    assert re.fullmatch(r"\w+ \d{4}: -?\d+ \(95% CI -?\d+ to -?\d+; n = [\d,]+\)", title), title
    points = first.locator("g[id*='-mark'] > title")
    assert points.count() >= 12  # one per month
    # the NPS target of the default params is a labelled line
    assert first.locator("text", has_text="Target 40").count() == 1
    page.close()
    # a bar of the comments chart
    page, _, _ = _page(browser, rendered["comments"].html, width)
    title = _hover_title(page, "figure.cx-chart >> nth=0 >> g[id$='-mark1'] path")
    assert re.fullmatch(r"detractors, [\w ]+: \d+% \(95% CI \d+% to \d+%; n = [\d,]+\)", title), (
        title
    )
    # a cell of the theme x segment heatmap
    title = _hover_title(page, "figure.cx-chart >> nth=1 >> g[id$='-mark1'] path")
    assert "difference" in title and "95% CI" in title and "n = " in title, title
    page.close()
