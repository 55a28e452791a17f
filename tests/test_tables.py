"""The table formatter (reporting/tables.py) and the report footer, without a kernel.

Plumbing and presentation tests: they check formatting, order and markup, not statistics.
"""

from __future__ import annotations

import re

import nbformat
import pandas as pd
import pytest

from cxresearch.config import CONTEXT_MIME
from cxresearch.reporting import i18n, report, tables
from cxresearch.running import publish, wording

SV, EN = i18n.Language("sv"), i18n.Language("en")


def _metric(codes, n=None):
    k = len(codes)
    return pd.DataFrame({
        "country": codes,
        "estimate": [0.1 * (i + 1) for i in range(k)],
        "ci_low": [0.1 * (i + 1) - 0.05 for i in range(k)],
        "ci_high": [0.1 * (i + 1) + 0.05 for i in range(k)],
        "n": n or [100 + i for i in range(k)],
        "confidence": [0.95] * k,
    })  # fmt: skip


def test_countries_sorted_by_displayed_name_not_iso_code():
    data = _metric(["DE", "DK", "FI", "GB", "SE", "AT"])
    sv = report.table(data, {"country": "Land"}, language=SV).fmt_estimate("NPS")
    # Swedish names from Babel's CLDR data; Swedish alphabetical order puts Ö after Z
    assert sv.to_frame()["Land"].tolist() == [
        "Danmark", "Finland", "Storbritannien", "Sverige", "Tyskland", "Österrike",
    ]  # fmt: skip
    en = report.table(data, {"country": "Country"}, language=EN).fmt_estimate("NPS")
    assert en.to_frame()["Country"].tolist() == [
        "Austria", "Denmark", "Finland", "Germany", "Sweden", "United Kingdom",
    ]  # fmt: skip
    # the numbers travel with their rows: Germany (DE) was the first row, estimate 0.1
    assert en.to_frame().set_index("Country").loc["Germany", "NPS"] == "10.0"


def test_months_scores_and_levels_keep_their_natural_order():
    data = _metric(["x"] * 3).drop(columns="country").assign(score=[10, 2, 7])
    tab = report.table(data, {"score": "Score"}, language=EN).fmt_estimate()
    assert tab.to_frame()["Score"].tolist() == ["10", "2", "7"]
    by_value = report.table(data, {"score": "Score"}, sort="estimate", descending=True)
    assert by_value.fmt_estimate().to_frame()["Score"].tolist() == ["7", "2", "10"]


def test_label_and_key_columns_come_first():
    data = _metric(["SE", "DK"]).assign(p_adjusted=[0.0004, 0.2], significant=[True, False])
    tab = (
        report.table(data, {"country": "Country"}, language=EN)
        .fmt_p()
        .fmt_n()
        .fmt_flag("significant", "Significant")
        .fmt_number("estimate", "NPS", scale=100, key=True)
        .fmt_interval(scale=100)
    )
    frame = tab.to_frame()
    assert list(frame.columns) == ["Country", "NPS", "95% CI", "p (adjusted)", "n", "Significant"]
    assert frame["p (adjusted)"].tolist() == ["0.200", "< 0.001"]  # Denmark sorts first
    assert frame["Significant"].tolist() == ["", "yes"]


def test_a_count_shared_by_every_row_is_stated_once():
    same = report.table(_metric(["SE", "DK"], n=[250, 250]), {"country": "C"}, language=SV)
    same.fmt_estimate()
    assert "n" not in same.to_frame().columns and same.notes == ["n = 250"]
    assert "(n = 250)" in same.to_html("Caption")
    varies = report.table(_metric(["SE", "DK"]), {"country": "C"}, language=SV).fmt_estimate()
    assert varies.to_frame()["n"].tolist() == ["101", "100"] and varies.notes == []


def test_single_group_table_is_left_out():
    one = report.table(_metric(["SE"]), {"country": "Country"}).fmt_estimate()
    assert one.single_group()
    assert not report.table(_metric(["SE", "DK"]), {"country": "Country"}).single_group()
    # a table without groups (a list of themes) is shown even with one row
    assert not report.table(_metric(["SE"])).fmt_label("country", "Country").single_group()


def test_html_escapes_aligns_and_neutralises_bidi_controls():
    data = pd.DataFrame({
        "comment": ["<script>alert(1)</script>", "abc \u202edcba"],
        "nps": [3, 10],
    })  # fmt: skip
    tab = report.table(data).fmt_label("comment", "Comment").fmt_number("nps", "Score")
    page = tab.to_html("Quotes & more")
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert "\u202e" not in page and "abc dcba" in page
    assert data["comment"][1] == "abc \u202edcba"  # the data keep it
    assert '<th scope="row" class="cx-label cx-key">' in page
    assert '<td class="cx-number">10</td>' in page
    assert re.search(r'<figcaption id="(cx-t-\w+)">Quotes &amp; more</figcaption>', page)
    ident = re.search(r'figcaption id="([^"]+)"', page).group(1)
    assert f'<table class="cx-table" aria-labelledby="{ident}">' in page
    assert '<div class="cx-scroll" role="region" tabindex="0"' in page


def test_change_columns_in_the_report_language():
    data = pd.DataFrame({
        "segment": ["B2C", "B2B"], "estimate_a": [0.2, 0.3], "estimate_b": [0.25, 0.2],
        "difference": [-0.05, 0.1], "ci_low": [-0.1, 0.02], "ci_high": [0.0, 0.18],
        "n_a": [1200, 300], "n_b": [1100, 310], "p_adjusted": [0.05, 0.01],
        "significant": [False, True],
    })  # fmt: skip
    frame = report.table(data, {"segment": "Segment"}, language=SV).fmt_change().to_frame()
    assert list(frame.columns)[:4] == ["Segment", "Nu", "Förändring", "95\xa0% KI för förändringen"]
    minus = "\u2212"  # Swedish uses the minus sign
    assert frame.iloc[1].tolist()[:4] == ["B2C", "20,0", f"{minus}5,0", f"{minus}10,0 till 0,0"]
    assert frame.iloc[1]["n nu / före"] == "1\xa0200 / 1\xa0100"


@pytest.mark.parametrize(
    ("language", "weights", "expected"),
    [
        ("en", '""', "All customers, Aug – Oct 2026, weights: none"),
        ("sv", "'weight'", "Alla kunder, aug.–okt. 2026, vikter: weight"),
        ("nl", None, "Alle klanten, aug–okt 2026, gewichten: geen"),
    ],
)
def test_footer_states_filters_in_words(language, weights, expected):
    t = i18n.Language(language)
    context = {"scope": t.tr("all customers"), "period_start": "2026-08-01",
               "period_end": "2026-10-31"}  # fmt: skip
    text = wording.describe_filters(context, {"weights": weights}, t)
    assert text.replace("\u2009", " ") == expected


def test_footer_names_the_database_in_the_report_language():
    assert wording.database_text("DuckDB file cx.duckdb", SV) == "DuckDB-fil cx.duckdb"
    assert wording.database_text("PostgreSQL database 'cx'", i18n.Language("fi")) == (
        "PostgreSQL-tietokanta 'cx'"
    )


def test_method_codes_are_translated():
    assert SV.label("holm") == "Holms metod" and SV.label("bh") == "Benjamini–Hochbergs metod"
    assert i18n.Language("da").label("none") == "ingen justering"


def test_rendered_footer_has_words_first_and_technical_record_collapsed():
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# Rapport\n\n## Avsnitt\n\nText.")]
    context = {"period": "1 aug. 2026 till 31 okt. 2026", "scope": "B2B, Danmark",
               "date": "5 dec. 2026", "period_start": "2026-08-01",
               "period_end": "2026-10-31"}  # fmt: skip
    code = nbformat.v4.new_code_cell("x")
    code.outputs = [nbformat.v4.new_output("display_data", data={CONTEXT_MIME: context})]
    nb.cells.insert(0, code)
    provenance = {"notebook": "nps_overview", "name": "sverige",
                  "database": "DuckDB file cx.duckdb", "fingerprint": "abc",
                  "parameters": {"weights": '""', "segment": "['B2B']"},
                  "version": "0.1.0", "started_at": "2026-12-05T10:00:00+00:00",
                  "duration": "3 s"}  # fmt: skip
    page, summary = publish.render(nb, provenance=provenance, language="sv")
    footer = page.split('<footer class="cx-provenance">')[1]
    words, record = footer.split("<details>")
    assert "B2B, Danmark, aug.–okt. 2026, vikter: inga" in words
    assert "DuckDB" not in words and "segment" not in words
    assert "<summary>Teknisk information</summary>" in record and "DuckDB-fil cx.duckdb" in record
    assert "<details open" not in page and "<script" not in page.lower()
    assert summary["title"] == "Rapport" and summary["period_start"] == "2026-08-01"
    assert summary["scope"] == "B2B, Danmark" and summary["language"] == "sv"


def test_report_carries_no_jupyterlab_stylesheet():
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# Title\n\nText.")]
    page = publish.render_html(nb, provenance={"parameters": {}}, language="en")
    assert "--jp-" not in page and ".jp-Notebook {" not in page and "highlight" not in page
    assert len(page.encode()) < 40_000  # the lab stylesheet alone was about 390 KB


def test_collation_key_puts_nordic_letters_after_z():
    words = ["Åbo", "Zürich", "Ærø", "Øresund", "Århus", "Ängelholm", "Odense"]
    da = sorted(words, key=lambda w: tables.collation_key(w, "da"))
    # Danish: æ ø å after z, and ä sorts as æ (CLDR da collation)
    assert da == ["Odense", "Zürich", "Ängelholm", "Ærø", "Øresund", "Åbo", "Århus"]
    sv = sorted(words, key=lambda w: tables.collation_key(w, "sv"))
    # Swedish: å before ä, and æ sorts as ä (CLDR sv collation)
    assert sv == ["Odense", "Zürich", "Åbo", "Århus", "Ängelholm", "Ærø", "Øresund"]


def test_nested_groups_name_each_group_once_on_screen():
    data = pd.DataFrame({
        "segment": ["B2B", "B2B", "B2C"], "theme": ["price", "delivery", "price"],
        "difference": [0.2, 0.1, 0.3],
    })  # fmt: skip
    page = (
        report.table(data, {"segment": "Segment"}, language=EN)
        .fmt_label("theme", "Theme")
        .fmt_number("difference", "Difference", scale=100, key=True)
        .to_html()
    )
    rows = re.findall(r"<tr>(.*?)</tr>", page)[1:]
    assert 'class="cx-label cx-key">B2B</th>' in rows[0]
    # the second B2B row keeps the name for screen readers, hidden on screen
    assert '<span class="cx-repeat">B2B</span>' in rows[1] and "cx-same" in rows[1]
    assert "cx-repeat" not in rows[2] and ">B2C</th>" in rows[2]
    assert "cx-repeat" not in "".join(re.findall(r"<td[^>]*>.*?</td>", rows[1]))


def test_note_column_only_when_a_row_needs_one():
    data = _metric(["SE", "DK", "FI"]).assign(suppressed=False, unreliable=[False, True, False])
    frame = report.table(data, {"country": "Country"}, language=EN).fmt_estimate().to_frame()
    assert frame["Note"].tolist() == ["small group or wide interval: read with care", "", ""]
    fine = data.assign(unreliable=False)
    frame = report.table(fine, {"country": "Country"}, language=EN).fmt_estimate().to_frame()
    assert "Note" not in frame.columns
