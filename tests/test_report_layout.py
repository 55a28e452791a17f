"""Reports and the portal as stakeholders open them: on a phone, on a desktop, on paper.

Real headless Chromium (Debian's, driven by Playwright) on real rendered reports.
Screenshots go to ``test-artifacts/layout/`` (git-ignored) for people to look at.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright
from pypdf import PdfReader

from cxresearch.running import publish, runner
from tests.conftest import NOTEBOOKS

pytestmark = [pytest.mark.slow, pytest.mark.browser]

ROOT = Path(__file__).resolve().parent.parent
SHOTS = ROOT / "test-artifacts" / "layout"
FIXTURE = ROOT / "tests" / "notebooks" / "failing.ipynb"
#: A phone (iPhone 12-15 width) and a desktop.
WIDTHS = (390, 1280)


@pytest.fixture(scope="module")
def browser(chromium_path):
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=chromium_path, headless=True, args=publish.CHROMIUM_ARGS
        )
        yield browser
        browser.close()


def _open(browser, path: Path, width: int):
    page = browser.new_page(viewport={"width": width, "height": 900})
    errors, requests, dialogs = [], [], []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("request", lambda r: requests.append(r.url))
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(path.as_uri(), wait_until="load")
    page.wait_for_timeout(200)
    return page, errors, requests, dialogs


#: Right edge of each table's first three columns and of its key columns (labels, value,
#: interval), with its scrolling region at the start.
_FIRST_COLUMNS = """
() => [...document.querySelectorAll("table.cx-table")].map(t => {
  const region = t.closest(".cx-scroll"); if (region) region.scrollLeft = 0;
  const edge = Math.min(innerWidth, region ? region.getBoundingClientRect().right : innerWidth);
  return [...t.rows].map(r => [...r.cells].filter((c, i) => i < 3 || c.matches(".cx-key"))
    .map(c => c.getBoundingClientRect().right - edge));
})
"""


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("name", NOTEBOOKS)
def test_report_reads_on_phone_and_desktop(browser, rendered, name, width):
    html = rendered[name].html
    page, errors, requests, _ = _open(browser, html, width)
    assert errors == []
    assert requests == [html.as_uri()]  # nothing but the file itself
    # the page body never scrolls sideways
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    assert page.evaluate("document.body.scrollWidth") <= width
    # every table's first three columns and its key columns (label, value, interval) show
    # without scrolling
    tables = page.evaluate(_FIRST_COLUMNS)
    assert tables, "the report shows at least one table"
    for rows in tables:
        for beyond in rows:  # how far each cell reaches past the visible edge
            assert max(beyond) <= 0.5, (name, width, beyond)
    # numbers right-aligned in tabular figures, labels left
    cell = page.locator("table.cx-table td.cx-number").first
    assert cell.evaluate("c => getComputedStyle(c).textAlign") == "right"
    assert "tabular-nums" in cell.evaluate("c => getComputedStyle(c).fontVariantNumeric")
    label = page.locator("table.cx-table tbody tr > :first-child").first
    assert label.evaluate("c => getComputedStyle(c).textAlign") in ("left", "start")
    # the technical record is folded away; the filters are said in words
    assert page.locator("footer.cx-provenance details").evaluate("d => d.open") is False
    assert "weights" in page.locator("footer.cx-provenance .cx-filters").inner_text()
    assert page.locator("script").count() == 0
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}-{width}.png"), full_page=True)
    page.close()


def test_one_country_report_leaves_out_the_country_table(rendered, tmp_path, small_url):
    out = runner.run("nps_overview", ROOT / "params" / "nps_overview" / "denmark.yaml",
                     out_dir=tmp_path / "nps_overview", database=small_url)  # fmt: skip
    text = out.html.read_text(encoding="utf-8")
    assert "NPS by country" not in text and "NPS by segment" in text
    everything = rendered["nps_overview"].html.read_text(encoding="utf-8")
    assert "NPS by country" in everything


def _headings(html: str) -> list[str]:
    found = re.findall(r"<h[23][^>]*>(.*?)</h[23]>", html, re.DOTALL)
    return [re.sub(r"<[^>]+>", "", h).strip() for h in found]


def test_pdf_keeps_headings_with_what_follows_and_has_running_titles(rendered, tmp_path):
    html = tmp_path / "nps_overview.html"
    shutil.copy(rendered["nps_overview"].html, html)
    with ThreadPoolExecutor(1) as pool:  # outside the browser fixture's event loop
        pdf = pool.submit(publish.print_pdf, html).result()
    source = html.read_text(encoding="utf-8")
    title = re.search(r"<title>(.*?)</title>", source).group(1)
    headings = _headings(source)
    pages = PdfReader(pdf).pages
    assert len(pages) >= 2
    for number, page in enumerate(pages, start=1):
        lines = [ln.strip() for ln in page.extract_text().splitlines() if ln.strip()]
        # the running header (title, period) and footer (date, page of pages)
        assert any(title in ln for ln in lines), (number, lines[:3])
        assert any(re.search(rf"\b{number} / {len(pages)}$", ln) for ln in lines), lines[-3:]
        body = [ln for ln in lines if title not in ln and not re.search(r"\d+ / \d+$", ln)]
        if number < len(pages):  # the last body line of a page is never a heading
            assert body[-1] not in headings, (number, body[-3:])


def _record(folder: Path, name: str, **extra) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    page = folder / f"{name}.html"
    page.write_text(f"<!DOCTYPE html><title>{name}</title><h1>{name}</h1>", encoding="utf-8")
    record = {
        "notebook": "nps_overview", "name": name, "status": "ok",
        "html": f"{folder.name}/{name}.html", "finished_at": "2026-12-05T14:02:00+00:00",
        "parameters": {"language": "sv", "country": ["DK"], "segment": ["B2B"]},
        "summary": {"title": f"NPS-översikt {name}", "period_start": "2026-08-01",
                    "period_end": "2026-10-31",
                    "findings": ["NPS 19 (95 % KI 16 till 22; n = 2 556).", "CSAT 73 %.",
                                 "Tredje.", "Fjärde, visas inte."]},
        **extra,
    }  # fmt: skip
    (folder / f"{name}.json").write_text(json.dumps(record), encoding="utf-8")
    return page


def test_portal_shows_titles_periods_findings_and_safe_links(browser, tmp_path):
    reports = tmp_path / "reports"
    hostile = _record(reports / "javascript:alert(32);a=1", "default")
    hashed = _record(reports / "nps_overview", "Q1 #2")
    stale = hashed.with_suffix(".pdf")
    stale.write_bytes(b"%PDF-1.4 old")
    os.utime(stale, (hashed.stat().st_mtime - 60,) * 2)  # printed before the last render
    index = publish.write_index(reports)
    text = index.read_text(encoding="utf-8")
    assert "NPS-översikt Q1 #2" in text and "Aug – Oct 2026" in text.replace("\u2009", " ")
    assert "B2B, Denmark · Swedish" in text and "5 Dec 2026, 14:02 UTC" in text
    assert "NPS 19 (95 % KI 16 till 22; n = 2 556)." in text and "Fjärde" not in text
    assert ".pdf" not in text  # the stale PDF does not belong to the current render
    hrefs = re.findall(r'href="([^"]*)"', text)
    assert hrefs and not any(re.match(r"^[a-zA-Z][\w+.-]*:", h) for h in hrefs)

    page, errors, requests, dialogs = _open(browser, index, 390)
    assert errors == [] and requests == [index.as_uri()]
    assert page.locator('meta[name="viewport"]').count() == 1
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "index-390.png"), full_page=True)
    # the folder named like a script is a plain relative link to its file
    page.locator("a", has_text="NPS-översikt default").click()
    page.wait_for_load_state("load")
    assert dialogs == [] and page.url == hostile.as_uri()
    page.go_back()
    page.locator("a", has_text="NPS-översikt Q1 #2").click()
    page.wait_for_load_state("load")
    assert page.url == hashed.as_uri() and page.title() == "Q1 #2"
    page.go_back()
    # filtering without a server: type, and only matching reports stay
    page.fill("#cx-filter", "javascript")
    assert page.locator(".cx-card:visible").count() == 1
    page.fill("#cx-filter", "")
    assert page.locator(".cx-card:visible").count() == 2
    page.close()


def test_portal_links_a_pdf_printed_from_the_current_render(tmp_path):
    reports = tmp_path / "reports"
    html = _record(reports / "nps_overview", "Q1 #2")
    html.with_suffix(".pdf").write_bytes(b"%PDF-1.4 new")
    text = publish.write_index(reports).read_text(encoding="utf-8")
    assert 'href="nps_overview/Q1%20%232.pdf">PDF</a>' in text


def test_runner_links_reports_from_folders_and_names_that_need_encoding(
    browser, tmp_path, small_url
):
    params = tmp_path / "Q1 #2.yaml"
    params.write_text("fail: false\n", encoding="utf-8")
    out = tmp_path / "reports" / "javascript:alert(32);a=1"
    result = runner.run(FIXTURE, params, out_dir=out, database=small_url)
    assert result.html == out / "Q1 #2.html"
    index = tmp_path / "reports" / "index.html"
    page, errors, _, dialogs = _open(browser, index, 390)
    page.locator(".cx-card a").first.click()
    page.wait_for_load_state("load")
    assert errors == [] and dialogs == [] and page.url == result.html.as_uri()
    page.close()
