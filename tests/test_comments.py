"""Comments: themes in five languages, detractor over-representation, masking, follow-up."""

import datetime as dt

import pandas as pd
import pytest

from cxresearch.data import db, demo
from cxresearch.running import followup
from cxresearch.stats import comments

# Comments written for the purpose: each default theme in each language.
WRITTEN = {
    "price": {
        "en": "Far too expensive for what it is.",
        "sv": "Priset har gått upp igen, alldeles för dyrt.",
        "da": "Prisen er steget, det er for dyrt.",
        "fi": "Hinnat nousivat taas, liian kallis.",
        "nl": "De prijs is veel te hoog, echt duur.",
    },
    "delivery": {
        "en": "The parcel was delivered a week late.",
        "sv": "Leveranstiden var tre veckor.",
        "da": "Leveringen tog to uger.",
        "fi": "Toimituksen kanssa oli ongelmia.",
        "nl": "De bezorging duurde veel te lang.",
    },
    "support_wait": {
        "en": "I was on hold for forty minutes.",
        "sv": "Jag stod i telefonkö i en timme.",
        "da": "Jeg ventede i telefonkøen i en time.",
        "fi": "Jouduin odottamaan puhelinjonossa tunnin.",
        "nl": "Ik moest een uur wachten aan de telefoon.",
    },
    "product_quality": {
        "en": "The product broke after two days.",
        "sv": "Produkten var trasig vid leveransen.",  # also delivery: fine
        "da": "Varen gik i stykker efter en uge.",
        "fi": "Tuote meni rikki heti.",
        "nl": "Het apparaat was na een week kapot.",
    },
    "staff_friendliness": {
        "en": "The staff were very friendly.",
        "sv": "Personalen i butiken var otrevlig.",
        "da": "Personalet var meget hjælpsomme.",
        "fi": "Henkilökunta oli ystävällistä.",
        "nl": "Het personeel was erg vriendelijk.",
    },
}
UNRELATED = {
    "en": "The weather was lovely at the event.",
    "sv": "Vi firade midsommar med familjen.",
    "da": "Forventningen til sommeren er stor.",
    "fi": "Kävimme mökillä viikonloppuna.",
    "nl": "Het weer was mooi vandaag.",
}


@pytest.mark.parametrize("theme", list(WRITTEN))
@pytest.mark.parametrize("language", ["en", "sv", "da", "fi", "nl"])
def test_each_theme_found_in_each_language(theme, language):
    assert theme in comments.themes_of(WRITTEN[theme][language], language)


@pytest.mark.parametrize("language", list(UNRELATED))
def test_unrelated_comment_matches_nothing(language):
    assert comments.themes_of(UNRELATED[language], language) == []


def test_compounds_and_inflections():
    assert comments.themes_of("Leveranstiden och kundtjänstväntetiden", "sv") == [
        "delivery", "support_wait"]  # fmt: skip
    assert comments.themes_of("vänta, väntade, väntetider", "sv") == ["support_wait"]
    assert comments.themes_of("kön var lång", "sv") == ["support_wait"]
    assert comments.themes_of("kökets bänk", "sv") == []  # 'kö' only as a word or inflection


def test_detractor_themes_find_planted_themes_only(demo_tables):
    # demo truth: detractors mention price, delivery and support waits; nothing else differs
    out = comments.detractor_themes(demo_tables["responses"])
    over = set(out.loc[out["over_represented"], "theme"])
    assert over == set(demo.DETRACTOR_THEMES)
    row = out.set_index("theme").loc["price"]
    assert row["ci_low"] > 0 and row["adjustment"] == "holm"


def test_difference_matches_two_proportion_oracle():
    # oracle: statsmodels' pooled two-proportion z test
    from statsmodels.stats.proportion import proportions_ztest

    data = pd.DataFrame(
        {
            "comment": ["too expensive"] * 30
            + ["fine"] * 20
            + ["too expensive"] * 10
            + ["ok"] * 40,
            "language": "en",
            "nps": [3] * 50 + [10] * 50,
        }
    )
    row = comments.detractor_themes(data, adjust="none").set_index("theme").loc["price"]
    stat, p = proportions_ztest([30, 10], [50, 50])
    assert row["difference"] == pytest.approx(0.4)
    assert row["statistic"] == pytest.approx(stat) and row["p_value"] == pytest.approx(p)


def test_mask_pii():
    text = (
        "Call me on +46 70-123 45 67 or 020 7946 0958, mail ana.berg@example.se; "
        "my name is Anna Berg, order 123456789."
    )
    masked = comments.mask_pii(text)
    for secret in ("123 45 67", "7946", "ana.berg", "Anna", "123456789"):
        assert secret not in masked
    assert "[phone]" in masked and "[e-mail]" in masked and "[name]" in masked


def test_representative_comments_need_a_large_enough_group():
    data = pd.DataFrame({"comment": ["too expensive"] * 4, "language": "en", "nps": [2] * 4})
    assert comments.representative_comments(data, "price").empty
    data = pd.DataFrame(
        {"comment": [f"too expensive {i}" for i in range(8)], "language": "en", "nps": [2] * 8}
    )
    out = comments.representative_comments(data, "price", n=3)
    assert len(out) == 3 and list(out.columns) == ["comment", "language", "nps"]


def test_suggested_topics_are_word_groups():
    texts = ["slow website login", "website login fails"] * 10 + ["invoice wrong amount",
             "wrong invoice again"] * 10  # fmt: skip
    out = comments.suggest_topics(texts, n_topics=2)
    words = " ".join(out["words"])
    assert "invoice" in words and "website" in words


def test_comments_report_masks_and_escapes(hostile_comments):
    # detractors wrote "Too expensive! <img src=x onerror=alert(1)> Call +46 70 123 45 67 or
    # ana.berg@example.se", among other things (conftest.HOSTILE_COMMENT)
    _, result = hostile_comments
    html = result.html.read_text(encoding="utf-8")
    body = html.split("<body", 1)[1]
    assert "ana.berg@example.se" not in html and "123 45 67" not in html
    assert "[e-mail]" in body and "[phone]" in body
    assert "<img src=x" not in body and "&lt;img src=x onerror=alert(1)&gt;" in body
    executed = result.ipynb.read_text(encoding="utf-8")
    assert "customer_id" not in body and "C000" not in body  # no ids in the report
    assert "ana.berg@example.se" not in executed
    assert "berg" not in body  # topics come from masked text only


def test_follow_up_lists_match_hand_count(tmp_path):
    tables = demo.generate(300, seed=8)
    r = tables["responses"]
    hand_call = r[r["nps"] <= 6]["customer_id"].nunique()
    hand_ref = r[(r["nps"] >= 9) & (r["recommended_last_12m"] == "no")]["customer_id"].nunique()
    url = db.write_tables(f"duckdb:///{tmp_path}/cx.duckdb", tables)
    con = db.connect(url)
    lists = followup.follow_up_lists(con, as_of=dt.date(2026, 11, 23))
    counts = lists["list"].value_counts()
    assert counts["call_back"] == hand_call and counts["referral"] == hand_ref
    call = lists[lists["list"] == "call_back"]
    assert call["responded_at"].dt.normalize().is_monotonic_decreasing
    assert (call["nps"] <= 6).all()
    latest = r[r["nps"] <= 6].sort_values("responded_at").groupby("customer_id").tail(1)
    first = call.iloc[0]
    assert first["response_id"] in set(latest["response_id"])
    assert (
        first["days_since_response"]
        == (pd.Timestamp("2026-11-23") - first["responded_at"].normalize()).days
    )
    path = followup.write_follow_up(lists.assign(comment='=HYPERLINK("x")'), tmp_path / "f.csv")
    assert "'=HYPERLINK" in path.read_text()  # no formula injection
    xlsx = followup.write_follow_up(lists, tmp_path / "f.xlsx")
    assert set(pd.read_excel(xlsx, sheet_name=None)) == {"call_back", "referral"}
