"""One HTML exporter per process: built once, switched to each report's language."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat

from cxresearch.reporting import i18n
from cxresearch.running import exporter, publish


def _executed(title: str) -> nbformat.NotebookNode:
    finding = nbformat.v4.new_output(
        "display_data", data={"text/plain": "x"}, metadata={"cx": {"finding": f"{title} found"}}
    )
    code = nbformat.v4.new_code_cell("show()", outputs=[finding])
    return nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_markdown_cell(f"# {title}\n\n## Part"), code]
    )


def _render(title: str, language: str) -> tuple[str, dict]:
    return publish.render(
        _executed(title), provenance={"notebook": title, "parameters": {}}, language=language
    )


def test_one_exporter_serves_reports_in_turn_each_in_its_language():
    publish.prepare()
    assert exporter.is_built()
    for title, language, heading in [
        ("Alpha", "sv", "Sammanfattning"),  # sv.po: "Executive summary"
        ("Beta", "en", "Executive summary"),
        ("Gamma", "sv", "Sammanfattning"),
    ]:
        page, summary = _render(title, language)
        assert re.search(rf'<html[^>]*lang="{language}"', page)
        assert f'id="summary-heading">{heading}</h2>' in page
        assert summary["title"] == title and summary["findings"] == [f"{title} found"]
        assert "Alpha" not in page or title == "Alpha"  # nothing of an earlier report


def test_threads_rendering_at_once_each_get_their_own_report():
    jobs = [(f"Report{i}", ["en", "sv", "da", "fi", "nl"][i % 5]) for i in range(10)]
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda job: _render(*job), jobs))
    for (title, language), (page, summary) in zip(jobs, results, strict=True):
        assert re.search(rf'<html[^>]*lang="{language}"', page)
        assert summary["title"] == title and summary["findings"] == [f"{title} found"]


def _dom(page: str) -> list:
    """The page as a parser sees it: each element's name and attributes (in any order)
    and each piece of text, in document order."""
    from bs4 import BeautifulSoup, Tag

    out = []
    for node in BeautifulSoup(page, "html.parser").descendants:
        if isinstance(node, Tag):
            attrs = {k: " ".join(v) if isinstance(v, list) else v for k, v in node.attrs.items()}
            out.append((node.name, sorted(attrs.items())))
        else:
            out.append(str(node))
    return out


def test_page_is_the_document_nbconvert_html_exporter_makes(monkeypatch):
    """Oracle: nbconvert's own HTMLExporter (with its BeautifulSoup pass) on the same
    notebook and template: the same elements, attributes (alt texts, tabindex) and text."""
    import base64

    from nbconvert import HTMLExporter

    png = base64.b64encode(bytes.fromhex(
        "89504e470d0a1a0a0000000d4948445200000001000000010806000000" "1f15c4890000000d49444154"
        "789c6360000002000154a24f5d0000000049454e44ae426082")).decode()  # fmt: skip
    out = nbformat.v4.new_output
    cells = [
        nbformat.v4.new_markdown_cell(
            "# Title <b>&</b>\n\n## Part one\n\nText with 'quotes' & \"more\""
        ),
        nbformat.v4.new_code_cell(
            "x",
            outputs=[
                out(
                    "display_data",
                    data={
                        "text/html": "<table><tr><td title='a \"b\"'>1 &lt; 2</td></tr></table>",
                        "text/plain": "t",
                    },
                ),
                out("display_data", data={"image/png": png, "text/plain": "img"}),
                out("display_data", data={"text/html": '<img src="data:," alt="given">'}),
                out("stream", name="stdout", text="printed <script>alert(1)</script>\n"),
                out("execute_result", data={"text/plain": "'<svg onload=x>'"}, execution_count=1),
            ],
        ),  # fmt: skip
    ]
    nb = nbformat.v4.new_notebook(cells=cells)
    provenance = {"notebook": "dom", "parameters": {}}
    page, _ = publish.render(nbformat.from_dict(nb), provenance=provenance, language="sv")
    monkeypatch.setattr(exporter, "_CACHED", exporter.build(HTMLExporter))
    expected, _ = publish.render(nbformat.from_dict(nb), provenance=provenance, language="sv")
    assert _dom(page) == _dom(expected)
    assert 'tabindex="0"' in page and "No description has been provided" in page
    assert page.count("No description has been provided") == 1  # the given alt stays


def test_in_place_export_is_the_same_page_and_only_it_changes_the_notebook():
    """The runner exports its executed notebook in place (no deep copy): the page and the
    summary are those of an export of a copy; only the in-place export changes ``nb``."""
    provenance = {"notebook": "Delta", "parameters": {}, "started_at": "2026-12-06T00:00:00"}
    kept = _executed("Delta")
    before = nbformat.writes(kept)
    copied = publish.render(kept, provenance=provenance, language="fi")
    assert nbformat.writes(kept) == before  # exported from a copy: untouched
    in_place = publish.render(kept, provenance=provenance, language="fi", in_place=True)
    assert in_place == copied
    assert nbformat.writes(kept) != before  # the exporter's steps ran on it


def test_templates_are_compiled_once_per_machine():
    """jinja keeps the compiled templates (its bytecode cache, a folder private to the
    user): a later process loads them instead of compiling them again."""
    from cxresearch.running import htmlexport

    html_exporter, _ = exporter.build()
    cache = html_exporter.environment.bytecode_cache
    assert isinstance(cache, htmlexport.TemplateCache)
    publish.prepare()
    assert list(Path(cache.directory).glob("__jinja2_*.cache"))
    assert oct(Path(cache.directory).stat().st_mode & 0o777) == "0o700"


def test_a_cache_that_cannot_be_written_or_read_costs_a_compile_not_a_report(tmp_path):
    """The cache's folder is a file (as a full or read-only folder, writing and reading
    fail): the report renders all the same, and the same as with a working cache."""
    from cxresearch.running import htmlexport

    blocked = tmp_path / "not-a-folder"
    blocked.write_text("x")
    nb, pages = _executed("Epsilon"), []
    for cache in (htmlexport.template_cache(str(blocked)), htmlexport.template_cache()):
        html_exporter, structure = exporter.build()
        html_exporter.environment.bytecode_cache = cache
        structure.language = i18n.Language("en")
        page, _ = html_exporter.from_notebook_node(
            nb, resources={"cx": {"text": {}, "parameters": {}}}
        )
        pages.append(page)
    assert "Epsilon" in pages[0] and pages[0] == pages[1]
