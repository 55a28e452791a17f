"""Headline texts claim only what holds: p values, intervals, money, plurals, order."""

from __future__ import annotations

import re
import shutil

import numpy as np
import pandas as pd
import pytest

from cxresearch.reporting import catalogues, i18n, report
from cxresearch.stats import compare


@pytest.fixture(autouse=True)
def english():
    i18n.use("en")
    yield
    i18n.use("en")


@pytest.mark.parametrize(
    ("p", "text"),
    [(0.0, "p < 0.001"), (0.0004, "p < 0.001"), (0.000999, "p < 0.001"), (0.001, "p = 0.001"),
     (0.0123, "p = 0.012"), (0.5, "p = 0.500")],
)  # fmt: skip
def test_p_values_never_print_as_zero(p, text):
    assert report.p_text(p) == text


def test_p_value_in_the_report_language():
    i18n.use("sv")
    assert report.p_text(0.00001) == "p < 0,001"
    assert report.p_text(0.0456) == "p = 0,046"


def test_interval_never_collapses():
    # the example: 46% (95% CI 46% to 46%) must show its decimals
    row = {"estimate": 0.4620, "ci_low": 0.4581, "ci_high": 0.4659, "n": 30000}
    assert report.estimate_text(row, unit="%") == "46.2% (95% CI 45.8% to 46.6%; n = 30,000)"
    # a wide interval keeps the decimals asked for
    wide = {"estimate": 0.3, "ci_low": 0.1469, "ci_high": 0.4531, "n": 100}
    assert report.estimate_text(wide) == "30 (95% CI 15 to 45; n = 100)"
    # NPS points: width 0.06 points needs two decimals
    narrow = {"estimate": 0.32004, "ci_low": 0.31974, "ci_high": 0.32034, "n": 10**6}
    assert report.estimate_text(narrow) == "32.00 (95% CI 31.97 to 32.03; n = 1,000,000)"


def test_interval_decimals_from_width():
    assert report.interval_decimals([46.2, 45.8, 46.6]) == 1
    assert report.interval_decimals([46.2, 45.8, 46.6], 2) == 2
    assert report.interval_decimals([1.0, 1.0, 1.0]) == 0  # equal values may print equal
    assert report.interval_decimals([0.5001, 0.5, 0.5002]) == 3 + 0  # capped at +3


@pytest.mark.parametrize(
    ("language", "amount", "text"),
    [("en", 11_068_079, "€11.1M"), ("en", 12_345.6, "€12,300"), ("en", 3.456, "€3.46"),
     ("en", 0, "€0"), ("sv", 11_068_079, "11,1\xa0mn\xa0€"), ("sv", 12_345.6, "12\xa0300\xa0€"),
     ("da", 1_234_567, "1,23\xa0mio.\xa0€"), ("fi", 950.4, "950\xa0€"),
     ("nl", 123_456, "€\xa0123.000")],
)  # fmt: skip
def test_money_to_three_significant_figures(language, amount, text):
    # expected strings written by hand from CLDR's patterns for each locale
    assert i18n.Language(language).money(amount) == text


def test_money_interval_in_text():
    row = {"estimate": 11_068_079, "ci_low": 10_900_838, "ci_high": 11_236_948, "n": 900}
    text = report.estimate_text(row, scale=1, unit="EUR")
    assert text == "€11.1M (95% CI €10.9M to €11.2M; n = 900)"
    close = {"estimate": 11_068_079, "ci_low": 11_040_000, "ci_high": 11_096_000, "n": 900}
    # three figures would collapse the interval: a fourth is added
    assert report.estimate_text(close, scale=1, unit="EUR") == (
        "€11.07M (95% CI €11.04M to €11.1M; n = 900)"
    )


def _change(diff, p=0.01, significant=True):
    return {"difference": diff, "p_adjusted": p, "significant": significant}


NOW = {"estimate": 0.32, "ci_low": 0.28, "ci_high": 0.36, "n": 1234, "confidence": 0.95}


@pytest.mark.parametrize(
    ("diff", "unit", "phrase"),
    [(0.01, "%", "up 1 percentage point since"), (0.02, "%", "up 2 percentage points since"),
     (-0.01, "%", "down 1 percentage point since"), (0.01, "", "up 1 point since"),
     (-0.05, "", "down 5 points since"), (0.002, "", "unchanged since")],
)  # fmt: skip
def test_change_sizes_take_their_plural_form(diff, unit, phrase):
    assert phrase in report.change_text("NPS", NOW, _change(diff), unit=unit, since="Q2")


@pytest.mark.parametrize(
    ("language", "one", "two"),
    [("sv", "upp 1 procentenhet sedan", "upp 2 procentenheter sedan"),
     ("da", "op 1 procentpoint siden", "op 2 procentpoint siden"),
     ("fi", "nousua 1 prosenttiyksikkö jaksosta", "nousua 2 prosenttiyksikköä jaksosta"),
     ("nl", "1 procentpunt gestegen sinds", "2 procentpunten gestegen sinds")],
)  # fmt: skip
def test_plural_forms_come_from_the_catalogues(language, one, two):
    i18n.use(language)
    assert one in report.change_text("CSAT", NOW, _change(0.01), unit="%", since="Q2")
    assert two in report.change_text("CSAT", NOW, _change(0.02), unit="%", since="Q2")


def test_change_text_prints_small_p_values_as_a_bound():
    text = report.change_text("NPS", NOW, _change(-0.25, p=1e-9), since="Q2")
    assert "(p < 0.001)" in text and "p = 0.000" not in text


def test_ntr_falls_back_to_english_forms_and_fractions_take_the_plural():
    sv = i18n.Language("sv")
    assert sv.ntr("{n} cat nobody translated", "{n} cats nobody translated", 1, n="1") == (
        "1 cat nobody translated"
    )
    assert sv.ntr("{n} cat", "{n} cats", 1.5, n="1,5") == "1,5 cats"


@pytest.mark.parametrize("language", ["sv", "da", "fi", "nl"])
def test_plural_translations_keep_their_placeholders(language):
    forms, _ = i18n.plural_catalogue(language)
    assert forms, "no plural entries"
    for (singular, plural), translated in forms.items():
        assert catalogues.placeholders(translated[0]) <= catalogues.placeholders(singular) | {
            "months"
        }
        for form in translated[1:]:
            assert catalogues.placeholders(form) == catalogues.placeholders(plural), (plural, form)


def test_plural_messages_are_extracted_and_added_to_catalogues(tmp_path, monkeypatch):
    import nbformat

    nb = tmp_path / "new.ipynb"
    doc = nbformat.v4.new_notebook()
    code = 't.ntr("{n} new thing", "{n} new things", n, n=t.number(n))\ntr("Plain new text")'
    doc.cells = [nbformat.v4.new_code_cell(code)]
    nbformat.write(doc, nb)
    messages = catalogues.notebook_messages(nb)
    assert messages == [("{n} new thing", "{n} new things"), "Plain new text"]
    assert catalogues.missing("sv", messages) == messages
    # update the catalogues of a copy of the locales folder: plural entries are written
    locales = tmp_path / "locales"
    shutil.copytree(i18n.LOCALES_DIR, locales)
    monkeypatch.setattr(i18n, "LOCALES_DIR", locales)
    i18n.catalogue.cache_clear()
    i18n.plural_catalogue.cache_clear()
    try:
        left = catalogues.update_catalogues(messages)
        assert left == {code: 2 for code in ("sv", "da", "fi", "nl")}
        po = (locales / "sv.po").read_text(encoding="utf-8")
        assert re.search(
            r'msgid "\{n\} new thing"\nmsgid_plural "\{n\} new things"\nmsgstr\[0\] ""\n'
            r'msgstr\[1\] ""', po)  # fmt: skip
        # a translator fills them in: then nothing is missing and ntr uses them
        filled = 'msgstr[0] "{n} ny sak"\nmsgstr[1] "{n} nya saker"'
        po = po.replace('msgstr[0] ""\nmsgstr[1] ""', filled)
        plain = 'msgid "Plain new text"\nmsgstr '
        po = po.replace(plain + '""', plain + '"Ny text"')
        (locales / "sv.po").write_text(po, encoding="utf-8")
        i18n.catalogue.cache_clear()
        i18n.plural_catalogue.cache_clear()
        assert catalogues.missing("sv", messages) == []
        assert i18n.Language("sv").ntr("{n} new thing", "{n} new things", 3, n="3") == "3 nya saker"
    finally:
        i18n.catalogue.cache_clear()
        i18n.plural_catalogue.cache_clear()


def test_findings_are_ordered_by_size_of_significant_change():
    findings = [(None, "NPS 30, not a significant change."), (3.0, "CSAT down 3."),
                (25.0, "NPS changed in Denmark (-25)."), (0, "No touchpoint differs.")]  # fmt: skip
    assert report.order_findings(findings) == [
        "NPS changed in Denmark (-25).", "CSAT down 3.", "NPS 30, not a significant change.",
        "No touchpoint differs."]  # fmt: skip


def _nps_table(estimates, ses, ns):
    return pd.DataFrame({"touchpoint": [f"t{i}" for i in range(len(estimates))],
                         "metric": "nps", "estimate": estimates, "std_error": ses, "n": ns,
                         "suppressed": [n < 5 for n in ns]})  # fmt: skip


def test_pairwise_holm_against_hand_computation():
    table = _nps_table([0.10, 0.20, 0.40], [0.05, 0.05, 0.05], [400, 400, 400])
    out = compare.pairwise(table, "touchpoint")
    # by hand: z = diff / sqrt(0.05^2 + 0.05^2); p = 2 (1 - Phi(|z|)); Holm over 3 pairs
    z = np.array([-0.1, -0.3, -0.2]) / np.sqrt(0.005)
    from scipy.stats import norm

    p = 2 * norm.sf(np.abs(z))
    order = np.argsort(p)
    holm = np.empty(3)
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (3 - rank) * p[i]))
        holm[i] = running
    assert out[["group_a", "group_b"]].values.tolist() == [["t0", "t1"], ["t0", "t2"],
                                                           ["t1", "t2"]]  # fmt: skip
    np.testing.assert_allclose(out["statistic"], z)
    np.testing.assert_allclose(out["p_adjusted"], holm)
    assert out["significant"].tolist() == [False, True, True]


def test_pairwise_leaves_out_suppressed_groups_and_handles_one_group():
    table = _nps_table([0.1, 0.9, 0.3], [0.05, np.nan, 0.05], [400, 3, 400])
    out = compare.pairwise(table, "touchpoint")
    assert out[["group_a", "group_b"]].values.tolist() == [["t0", "t2"]]
    assert len(compare.pairwise(table.iloc[:1], "touchpoint")) == 0


def test_p_values_in_tables_never_print_as_zero():
    assert report.fmt_p(0.0000001) == "< 0.001"
    assert report.fmt_p(0.0456) == "0.046"
    assert report.fmt_p(float("nan")) == "–"
    changes = pd.DataFrame({"country": ["DK", "SE"], "estimate_a": [0.1, 0.3],
                            "estimate_b": [0.35, 0.31], "n_a": [400, 900], "n_b": [380, 910],
                            "difference": [-0.25, -0.01], "ci_low": [-0.33, -0.05],
                            "ci_high": [-0.17, 0.03], "p_adjusted": [1e-9, 0.61],
                            "significant": [True, False]})  # fmt: skip
    table = report.table(changes, {"country": "Country"}).fmt_p()
    cells = {c.label: c.cells for c in table.columns}
    assert cells["p (adjusted)"] == ["< 0.001", "0.610"]
