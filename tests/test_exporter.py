"""One HTML exporter per process: built once, switched to each report's language."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor

import nbformat

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
