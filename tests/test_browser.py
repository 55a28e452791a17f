"""Reports opened in real headless Chromium (Debian's, driven by Playwright)."""

from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from tests.conftest import NOTEBOOKS

pytestmark = [pytest.mark.slow, pytest.mark.browser]

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="module")
def browser(chromium_path):
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=chromium_path, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


def _open(browser, path: Path, screenshot: Path | None = None):
    page = browser.new_page(viewport={"width": 1000, "height": 1400})
    errors, requests = [], []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("request", lambda r: requests.append(r.url))
    page.goto(path.as_uri(), wait_until="load")
    page.wait_for_timeout(300)
    if screenshot is not None:
        page.screenshot(path=str(screenshot), full_page=True)
    return page, errors, requests


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_report_in_chromium(browser, rendered, name):
    html = rendered[name].html
    shot = html.with_suffix(".png")
    page, errors, requests = _open(browser, html, shot)
    assert errors == []
    # the only request is the file itself: images are data URIs, nothing from the network
    assert [u for u in requests if not u.startswith("data:")] == [html.as_uri()]
    assert page.locator("h1").first.inner_text().strip()
    images = page.locator("img")
    assert images.count() >= 1
    for i in range(images.count()):
        assert len(images.nth(i).get_attribute("alt") or "") > 20
        assert images.nth(i).evaluate("img => img.naturalWidth") > 100  # it decoded
    assert page.locator("table.cx-table").count() >= 1
    assert page.locator("footer.cx-provenance").is_visible()
    assert shot.stat().st_size > 10_000
    print(f"screenshot: {shot}")


def test_index_in_chromium(browser, rendered):
    index = rendered["recommend_intent"].html.parent.parent / "index.html"
    page, errors, requests = _open(browser, index)
    assert errors == [] and requests == [index.as_uri()]
    link = page.locator("a", has_text="recommend_intent / default")
    link.click()
    page.wait_for_load_state("load")
    assert page.url.endswith("recommend_intent/default.html")
