"""Reports opened in real headless Chromium (Debian's, driven by Playwright)."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from cxresearch.data import db, demo
from cxresearch.running import runner
from tests.conftest import NOTEBOOKS

pytestmark = [pytest.mark.slow, pytest.mark.browser]

ROOT = Path(__file__).resolve().parent.parent
#: Screenshots of every report, for people to look at after `make test` (git-ignored).
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
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
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    shot = SCREENSHOTS / f"{name}.png"
    shot.unlink(missing_ok=True)
    page, errors, requests = _open(browser, html, shot)
    assert errors == []
    # the only request is the file itself: charts are inline SVG, nothing from the network
    assert [u for u in requests if not u.startswith("data:")] == [html.as_uri()]
    assert page.locator("h1").first.inner_text().strip()
    charts = page.locator("figure.cx-chart > svg")
    assert charts.count() >= 1
    for i in range(charts.count()):
        assert len(charts.nth(i).get_attribute("aria-label") or "") > 20
        assert charts.nth(i).bounding_box()["width"] > 100  # it laid out
    assert page.locator("table.cx-table").count() >= 1
    assert page.locator("footer.cx-provenance").is_visible()
    assert shot.stat().st_size > 10_000
    print(f"screenshot: {shot}")
    # the title block and an executive summary of 3 to 5 findings come first
    assert page.locator("header.cx-title dt").count() >= 2
    findings = page.locator("section.cx-summary li")
    assert 3 <= findings.count() <= 5, [
        findings.nth(i).inner_text() for i in range(findings.count())
    ]
    for i in range(findings.count()):  # every number carries its n
        text = findings.nth(i).inner_text()
        assert "n = " in text or not re.search(r"\(.*\d", text), text
    summary_top = page.locator("section.cx-summary").bounding_box()["y"]
    first_section = page.locator("h2[id^=section-]").first.bounding_box()["y"]
    assert summary_top < first_section
    # every table has header cells
    tables = page.locator("table.cx-table")
    for i in range(tables.count()):
        assert tables.nth(i).locator("th").count() >= 1
    # the table of contents links scroll to their sections
    links = page.locator("nav.cx-toc a")
    assert links.count() >= 2
    for i in range(links.count()):
        target = links.nth(i).get_attribute("href")
        page.evaluate("window.scrollTo(0, 0)")
        links.nth(i).click()
        page.wait_for_timeout(100)
        assert page.evaluate("location.hash") == target
        top = page.locator(target).evaluate("el => el.getBoundingClientRect().top")
        at_bottom = page.evaluate(
            "Math.ceil(window.scrollY + window.innerHeight) >= document.body.scrollHeight - 2"
        )
        # scrolled to the heading, or as far as the page goes when it is near the end
        assert -2 <= top < 60 or (at_bottom and top < page.viewport_size["height"]), (target, top)
        assert page.evaluate("window.scrollY") > 0
    assert html.stat().st_size < 3_000_000


@pytest.fixture(scope="module")
def hostile_report(tmp_path_factory):
    """The comments report over comments that carry script payloads."""
    folder = tmp_path_factory.mktemp("hostile")
    tables = demo.generate(3000, seed=5)
    r = tables["responses"]
    detractor = r["nps"] <= 6
    r.loc[detractor, "comment"] = (
        "Far too expensive <script>alert('xss-script')</script> and "
        "<img src=x onerror=\"alert('xss-img')\"> really"
    )
    r.loc[detractor, "language"] = "en"
    url = db.write_tables(f"duckdb:///{folder}/cx.duckdb", tables)
    return runner.run("comments", out_dir=folder / "out", database=url, overrides={"min_n": 5})


def test_comment_payload_shows_as_text_and_never_runs(browser, hostile_report):
    page = browser.new_page()
    dialogs, errors = [], []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(hostile_report.html.as_uri(), wait_until="load")
    page.wait_for_timeout(500)
    assert dialogs == [] and errors == []
    text = page.locator("body").inner_text()
    assert "<script>alert('xss-script')</script>" in text
    assert "onerror" in text
    assert page.locator("script").count() == 0
    assert page.locator("img[src=x]").count() == 0
    page.close()


def test_cli_prints_pdf_through_chromium(tmp_path, small_url, chromium_path):
    env = {**os.environ, "CX_DATABASE_URL": small_url, "CX_CHROMIUM": chromium_path}
    out = tmp_path / "out"
    proc = subprocess.run(
        [sys.executable, "-m", "cxresearch", "run", "satisfaction_spend", "--pdf",
         "-P", "language=nl", "--out", str(out)],
        capture_output=True, text=True, env=env, cwd=ROOT, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    pdf = out / "default-language_nl.pdf"  # -P language=nl never replaces the default
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF")
    assert (
        data.count(b"/Type /Page\n") + data.count(b"/Type /Page>") + data.count(b"/Type /Page/")
        >= 2
        or data.count(b"/Type /Page") - data.count(b"/Type /Pages") >= 2
    )
    assert not list(out.glob(".*.tmp"))
    assert 'href="out/default-language_nl.pdf">PDF</a>' in (tmp_path / "index.html").read_text()


def test_index_in_chromium(browser, rendered):
    index = rendered["recommend_intent"].html.parent.parent / "index.html"
    page, errors, requests = _open(browser, index)
    assert errors == [] and requests == [index.as_uri()]
    link = page.locator('a[href="recommend_intent/default.html"]')
    link.click()
    page.wait_for_load_state("load")
    assert page.url.endswith("recommend_intent/default.html")
