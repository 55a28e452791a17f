"""Suggested comment topics: stopwords, stems, distinctive labels, and no crash on few words."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from cxresearch.stats import comments, topics

FIXTURES = Path(__file__).resolve().parents[2] / "shared" / "fixtures"

#: Two themes per language written several ways, plus the filler comments that made
#: "det, virker, saerligt, intet, samme, med" and "slow, website, fine, but, the" topics.
SETS = {
    "en": (
        [
            "The delivery was late again",
            "Late delivery, the parcel came a week late",
            "My delivery is always late",
            "Delivery late and the parcel was damaged",
        ],
        [
            "The invoice was wrong",
            "Wrong amount on the invoice",
            "Invoices are always wrong",
            "The invoice had the wrong price",
        ],
        ["Fine, but the website is slow", "It works, nothing special", "OK I guess"],
    ),
    "sv": (
        [
            "Leveransen var sen igen",
            "Leveranserna kommer alltid sent",
            "Sen leverans av paketet",
            "Paketet var sent, leveransen tog en vecka",
        ],
        [
            "Fakturan var fel",
            "Fel belopp på fakturan",
            "Fakturorna är alltid fel",
            "Fakturan hade fel pris",
        ],
        ["Det fungerar, inget särskilt", "Okej, men webbplatsen är långsam", "Det är bra"],
    ),
    "da": (
        [
            "Leveringen var forsinket igen",
            "Forsinket levering af pakken",
            "Leveringerne er altid forsinkede",
            "Pakken var forsinket en uge",
        ],
        [
            "Fakturaen var forkert",
            "Forkert beløb på fakturaen",
            "Fakturaerne er altid forkerte",
            "Fakturaen havde en forkert pris",
        ],
        [
            "Det virker, intet særligt",
            "Kundeservice løste mit problem med det samme",
            "Fint, men hjemmesiden er langsom",
        ],
    ),
    "fi": (
        [
            "Toimitus myöhästyi taas",
            "Toimitukset myöhästyvät aina",
            "Paketin toimitus myöhästyi",
            "Toimitus myöhästyi viikon",
        ],
        [
            "Lasku oli väärin",
            "Laskussa väärä summa",
            "Laskut ovat aina väärin",
            "Laskussa oli väärä hinta",
        ],
        ["Toimii, ei mitään erityistä", "Ihan ok, mutta verkkosivu on hidas", "Ihan hyvä"],
    ),
    "nl": (
        [
            "De levering was weer te laat",
            "Late levering van het pakket",
            "Leveringen zijn altijd te laat",
            "Het pakket was een week te laat",
        ],
        [
            "De factuur klopte niet",
            "Verkeerd bedrag op de factuur",
            "Facturen zijn altijd fout",
            "De factuur had een verkeerde prijs",
        ],
        ["Het werkt, niets bijzonders", "Prima, maar de website is traag", "Het is oké"],
    ),
}
#: Function words of each language that must never label a topic.
FUNCTION_WORDS = {
    "en": {"the", "but", "was", "is", "it", "my", "and", "fine", "ok"},
    "sv": {"det", "men", "var", "är", "och", "på", "inget", "okej", "en"},
    "da": {"det", "med", "men", "var", "er", "intet", "samme", "mit", "fint", "af"},
    "fi": {"ei", "mutta", "on", "oli", "ihan", "mitään", "ok", "taas", "aina"},
    "nl": {"de", "het", "maar", "was", "te", "niets", "prima", "een", "van", "op"},
}
#: A word (as written) of each theme that the topic labels should show.
THEME_WORDS = {
    "en": ("delivery", "invoice"),
    "sv": ("leveransen", "fakturan"),
    "da": ("forsinket", "fakturaen"),
    "fi": ("toimitus", "väärin"),
    "nl": ("laat", "factuur"),
}


def _comments(lang: str, copies: int = 4) -> list[str]:
    first, second, filler = SETS[lang]
    return [*(first * copies), *(second * copies), *(filler * 2)]


@pytest.mark.parametrize("lang", sorted(SETS))
def test_stopwords_hold_function_words_not_content(lang):
    stop = topics.stopwords(lang)
    assert FUNCTION_WORDS[lang] - {"taas", "aina", "fine", "ok", "prima"} <= stop
    assert not set(THEME_WORDS[lang]) & stop
    assert {"website", "delivery"}.isdisjoint(stop)  # in the stop-words package's English list
    assert "långsam" not in stop  # in its Swedish list


@pytest.mark.parametrize(
    ("lang", "words"),
    [("sv", ["leveransen", "leveranser", "leveransens"]),
     ("da", ["fakturaen", "fakturaer", "fakturaerne"]),
     ("fi", ["lasku", "laskun", "laskut", "laskussa"]),
     ("nl", ["facturen", "factuur"]),
     ("en", ["invoices", "invoice", "invoiced"])],
)  # fmt: skip
def test_inflections_share_a_stem(lang, words):
    stems = {s for w in words for s, _ in topics.tokens(w, lang)}
    assert len(stems) == 1


@pytest.mark.parametrize("lang", sorted(SETS))
def test_topics_are_labelled_by_content_words(lang):
    out = topics.suggest_topics(_comments(lang), language=lang, n_topics=3)
    assert 2 <= len(out) <= 3 and list(out.columns) == topics.COLUMNS
    labels = [set(w.split(", ")) for w in out["words"]]
    for label in labels:
        assert label and not label & FUNCTION_WORDS[lang], label
    first, second = THEME_WORDS[lang]
    # the two themes are told apart: each has a topic, and no topic carries both
    assert any(first in label for label in labels) and any(second in label for label in labels)
    assert not any(first in label and second in label for label in labels)
    assert out["weight"].sum() == pytest.approx(1.0)
    assert out["comments"].is_monotonic_decreasing
    assert out["topic"].tolist() == list(range(1, len(out) + 1))


def test_labels_show_words_as_written_not_stems():
    out = topics.suggest_topics(_comments("sv"), language="sv", n_topics=2)
    words = ", ".join(out["words"]).split(", ")
    # Snowball stems: leveransen, leveranserna -> leverans; fakturorna, fakturor -> faktur
    assert {"leveransen", "fakturorna"} <= set(words) and "faktur" not in words


_STOP_ONLY = ["ok", "det er fint", "the", "ja", "Het is oké", ""] * 10


@pytest.mark.parametrize(
    ("texts", "language", "allowed"),
    [(["Great service"] * 40, "en", set()),  # every word in every comment
     ([f"word{i} alone" for i in range(40)], "en", set()),  # 'alone' in all, the rest once
     (["unique x", "single y"] * 20, "en", {"unique", "single"}),  # x, y: too short
     (_STOP_ONLY, None, set()),  # with no language, the stopwords of all five apply
     (_STOP_ONLY, "en", {"det", "er", "fint", "ja", "het", "oké"}),  # not English stopwords
     (["Hello World!"], "en", set())],  # the Qualtrics fixture's only free text
)  # fmt: skip
def test_no_shared_words_gives_no_topics_not_an_error(texts, language, allowed):
    # scikit-learn's TfidfVectorizer(min_df=2, max_df=0.9) raised "After pruning, no
    # terms remain" on the first two sets
    out = topics.suggest_topics(texts, language=language)
    assert list(out.columns) == topics.COLUMNS
    words = set(", ".join(out["words"]).split(", ")) - {""}
    assert words <= allowed and (len(out) > 0) == bool(allowed)


def test_too_few_comments_says_so_per_language():
    data = pd.DataFrame({"comment": _comments("da") + SETS["sv"][0],
                         "language": ["da"] * len(_comments("da")) + ["sv"] * 4})  # fmt: skip
    out = comments.topics_by_language(data, min_comments=20)
    assert list(out.columns) == ["language", *topics.COLUMNS]
    sv = out[out["language"] == "sv"]
    assert len(sv) == 1 and sv["topic"].isna().all() and sv["words"].eq("").all()
    da = out[out["language"] == "da"]
    assert da["topic"].notna().all() and len(da) >= 2
    assert not set(", ".join(da["words"]).split(", ")) & FUNCTION_WORDS["da"]


def test_topics_come_from_masked_comments():
    texts = [f"Call me on +46 70 123 45 {i:02d}, my name is Anna Berg, delivery late"
             for i in range(30)] + ["The invoice was wrong"] * 30  # fmt: skip
    data = pd.DataFrame({"comment": texts, "language": "en"})
    words = ", ".join(comments.topics_by_language(data)["words"])
    assert "delivery" in words and "invoice" in words
    assert not {"anna", "berg", "phone", "name", "mail"} & set(words.split(", "))


def test_real_free_text_gives_topics_without_stopwords():
    # Carpentries learner survey: "What topics would you like to see?" in English
    data = pd.read_csv(FIXTURES / "carpentries_nps" /
                       "2020-12-long-term-other_questions-no-open.csv")  # fmt: skip
    texts = data["new_topics"].dropna().tolist()
    out = topics.suggest_topics(texts, language="en")
    assert len(out) == 5
    labels = set(", ".join(out["words"]).split(", "))
    assert not labels & topics.stopwords("en")
    assert {"python", "sql"} & labels  # the tools people ask for most


@pytest.mark.slow
def test_comments_report_names_languages_with_too_few_comments(tmp_path):
    from cxresearch.data import db, demo
    from cxresearch.running import runner

    tables = demo.generate(3000, seed=3)
    r = tables["responses"]
    finnish = r.index[(r["language"] == "fi") & r["comment"].notna()]
    r.loc[finnish[5:], "comment"] = None  # 5 Finnish comments left
    url = db.write_tables(f"duckdb:///{tmp_path}/cx.duckdb", tables)
    result = runner.run("comments", out_dir=tmp_path / "out", database=url)
    body = result.html.read_text(encoding="utf-8").split("<body", 1)[1]
    section = body.split("Suggested topics", 1)[1].split("Methods and definitions", 1)[0]
    assert "Too few comments to suggest topics in: Finnish." in section
    assert "slow, website" in section  # the English topic, without "fine, but, the"
    assert "særligt, virker" in section  # without "det, intet, samme, med"
    assert not {"intet", "samme", "det", "fine", "but", "the"} & set(re.findall(r"\w+", section))
