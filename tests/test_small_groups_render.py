"""No rendered report shows a group under 5 (issue 14, item 3), on data with tiny groups."""

import re

import pytest

from cxresearch.data import db, demo
from cxresearch.running import runner

from .conftest import NOTEBOOKS, ROOT

SUPPRESS_NOTE = "too few respondents to show"


@pytest.fixture(scope="module")
def tiny_url(tmp_path_factory):
    """A small demo database: countries, teams, scores and levels with few respondents."""
    path = tmp_path_factory.mktemp("tiny") / "cx.duckdb"
    return db.write_tables(f"duckdb:///{path}", demo.generate(500, seed=4))


def _tables(html: str) -> list[tuple[str, list[str], list[list[str]]]]:
    """(caption, header cells, body rows) of every report table; row headers are cells too."""
    out = []
    pattern = (
        r"<figure class=\"cx-table-figure\">(?:<figcaption[^>]*>(.*?)</figcaption>)?.*?"
        r"<thead>(.*?)</thead><tbody>(.*?)</tbody>"
    )
    text = lambda cell: re.sub(r"<[^>]+>", "", cell).strip()  # noqa: E731
    for caption, thead, tbody in re.findall(pattern, html, re.S):
        head = [text(h) for h in re.findall(r"<th.*?</th>", thead, re.S)]
        rows = [[text(c) for c in re.findall(r"<t[hd].*?</t[hd]>", r, re.S)]
                for r in re.findall(r"<tr.*?</tr>", tbody, re.S)]  # fmt: skip
        out.append((text(caption or ""), head, [r for r in rows if r]))
    return out


def _count(text: str) -> float:
    return float(text.replace(",", "")) if re.fullmatch(r"[\d,]+", text) else float("inf")


@pytest.mark.slow
@pytest.mark.parametrize("notebook", NOTEBOOKS)
def test_no_table_shows_an_estimate_for_a_group_under_five(notebook, tiny_url, tmp_path):
    params_file = ROOT / "params" / notebook / "default.yaml"
    result = runner.run(notebook, params_file, out_dir=tmp_path, database=tiny_url,
                        update_index=False)  # fmt: skip
    html = result.html.read_text(encoding="utf-8")
    small_rows = 0
    for caption, head, rows in _tables(html):
        if "n" not in head:
            continue
        at = head.index("n")
        for row in rows:
            if _count(row[at]) < 5:
                small_rows += 1
                # a row under 5 says why it is blank and shows no interval
                assert SUPPRESS_NOTE in row, (caption, head, row)
                assert not any(re.search(r"\d to -?\d", cell) for cell in row), (caption, row)
    # the data really has tiny groups somewhere in the reports that break data down
    if notebook == "recommend_intent":
        assert small_rows > 0
