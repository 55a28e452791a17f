"""Report languages: complete catalogues, locale formatting, one report in five languages."""

import re

import pytest

from cxresearch.data import db
from cxresearch.errors import ParameterError
from cxresearch.reporting import catalogues, i18n
from cxresearch.running import runner, spec
from cxresearch.stats import metrics, models

TRANSLATED = [code for code in i18n.LANGUAGES if code != "en"]
# Separators written out here, independently of Babel: thousands and decimal per language.
SEPARATORS = {"en": (",", "."), "sv": ("\xa0", ","), "da": (".", ","), "fi": ("\xa0", ","),
              "nl": (".", ",")}  # fmt: skip


@pytest.mark.parametrize("language", TRANSLATED)
def test_no_message_is_missing(language):
    """Fails when any notebook or module text has no translation in a catalogue."""
    messages = catalogues.all_messages()
    assert len(messages) > 150
    missing = catalogues.missing(language, messages)
    assert missing == [], f"untranslated in {language}.po (run `cxresearch translations`)"


@pytest.mark.parametrize("language", TRANSLATED)
def test_translations_keep_their_placeholders(language):
    catalogue = i18n.catalogue(language)
    wrong = {
        m: t
        for m, t in catalogue.items()
        if catalogues.placeholders(m) != catalogues.placeholders(t)
    }
    assert wrong == {}


def test_missing_key_is_reported(tmp_path):
    nb = tmp_path / "new.ipynb"
    import nbformat

    doc = nbformat.v4.new_notebook()
    doc.cells = [nbformat.v4.new_markdown_cell("## A heading nobody translated"),
                 nbformat.v4.new_code_cell('tr("A caption nobody translated", n=1)')]  # fmt: skip
    nbformat.write(doc, nb)
    messages = catalogues.notebook_messages(nb)
    assert messages == ["A heading nobody translated", "A caption nobody translated"]
    assert catalogues.missing("sv", messages) == messages


def test_markdown_is_translated_unit_by_unit():
    sv = i18n.Language("sv")
    source = "## Trends\n\nMonthly NPS and CSAT with 95% intervals.\n\n* **Share**: the weight as a share of R².\n* unknown item"  # noqa: E501
    out = sv.tr("Trends")
    assert out == "Trender"
    assert i18n.translate_markdown(source, sv) == (
        "## Trender\n\nNPS och CSAT per månad med 95-procentiga intervall.\n\n"
        "* **Andel**: vikten som andel av R².\n* unknown item"
    )


@pytest.mark.parametrize(
    ("language", "percent", "number", "country", "month"),
    [
        ("en", "32.5%", "1,234.5", "Denmark", "March 2026"),
        ("sv", "32,5\xa0%", "1\xa0234,5", "Danmark", "mars 2026"),
        ("da", "32,5\xa0%", "1.234,5", "Danmark", "marts 2026"),
        ("fi", "32,5\xa0%", "1\xa0234,5", "Tanska", "maaliskuu 2026"),
        ("nl", "32,5%", "1.234,5", "Denemarken", "maart 2026"),
    ],
)
def test_locale_formatting(language, percent, number, country, month):
    lang = i18n.Language(language)
    assert lang.percent(0.325, 1) == percent
    assert lang.number(1234.5, 1) == number
    assert lang.country("DK") == country
    assert lang.month("2026-03-01") == month
    assert lang.number(float("nan")) == "–"


def test_unknown_language_is_refused_before_a_kernel_starts(small_url):
    with pytest.raises(ParameterError, match="expects one of en, sv, da, fi, nl, got 'de'"):
        spec.build("recommend_intent", overrides={"language": "de"})


@pytest.mark.slow
@pytest.mark.parametrize("language", i18n.LANGUAGES)
def test_one_report_in_five_languages(tmp_path, small_url, language):
    result = runner.run("recommend_intent", overrides={"language": language},
                        out_dir=tmp_path, database=small_url, update_index=False)  # fmt: skip
    html = result.html.read_text(encoding="utf-8")
    assert f'<html lang="{language}"' in html
    lang = i18n.Language(language)
    # translated headings: the frame's and the notebook's
    for heading in ("Executive summary", "Stated intent against action", "By segment"):
        expected = lang.tr(heading)
        assert f">{expected}</" in html, (language, expected)
        if language != "en":
            assert expected != heading
    # locale-formatted numbers, recomputed here and written with the language's separators
    con = db.connect(small_url)
    responses = db.read_responses(con)
    n = int(metrics.nps(responses).iloc[0]["n"])
    ten = models.intent_calibration(responses).set_index("score").loc[10]
    con.disconnect()
    thousands, decimal = SEPARATORS[language]
    n_text = f"{n:,}".replace(",", thousands)
    share = f"{ten['estimate'] * 100:.1f}".replace(".", decimal)
    assert f"n = {n_text}" in html
    assert re.search(rf"<td[^>]*>{re.escape(share)}</td>", html), share
    # no English left in the narrative of a translated report
    body = re.sub(r"<[^>]+>", " ", html.split("<body", 1)[1])
    if language != "en":
        for english in ("Executive summary", "Methods and definitions", "Contents", " to "):
            assert english not in body


@pytest.mark.parametrize(
    ("language", "minus"),
    [("en", "-"), ("sv", "\u2212"), ("da", "-"), ("fi", "\u2212"), ("nl", "-")],
)
def test_negative_numbers_use_the_locale_minus_and_never_show_minus_zero(language, minus):
    lang = i18n.Language(language)
    assert lang.number(-0.44, 1) == f"{minus}0{SEPARATORS[language][1]}4"
    assert lang.signed(-0.44, 1) == lang.number(-0.44, 1)
    assert lang.signed(0.44, 1).startswith("+")
    assert lang.number(-0.04, 1) == f"0{SEPARATORS[language][1]}0"
    assert lang.signed(-0.04, 1) == lang.number(0, 1)
    assert not lang.percent(-0.001).startswith((minus, "-"))


def test_coded_values_are_shown_in_the_report_language():
    sv = i18n.Language("sv")
    assert sv.value("language", "en") == "engelska"
    assert sv.value("touchpoint", "service_call") == "servicesamtal"
    assert sv.value("nps_group", "detractor") == "kritiker"
    assert sv.value("month", "2026-03-01") == "mars 2026"
    assert sv.value("segment", "B2B") == "B2B"
