"""The comment-theme table the comments report shows (reporting/themes.py), without a kernel.

Presentation test: the numbers are checked against a hand count and a hand-computed interval.
"""

from __future__ import annotations

import math

import pandas as pd

from cxresearch.reporting import i18n, report
from cxresearch.stats import comments

SV = i18n.Language("sv")


def _comments() -> pd.DataFrame:
    """40 detractors (16 say it is expensive) and 40 promoters (2 say so)."""
    detractors = ["Far too expensive"] * 16 + ["Slow answer"] * 24
    promoters = ["Expensive but good"] * 2 + ["Lovely"] * 38
    return pd.DataFrame({
        "comment": detractors + promoters,
        "nps": [3] * 40 + [10] * 40,
        "language": ["en"] * 80,
    })  # fmt: skip


def test_theme_table_in_the_language_it_is_given():
    i18n.use("en")  # another report's language: the table must not follow it
    found = comments.detractor_themes(_comments(), min_n=30)
    price = found[found["theme"] == "price"]
    frame = report.theme_table(price, language=SV).to_frame()
    row = frame.iloc[0]
    assert list(frame.columns) == [
        SV.tr("Theme"), SV.tr("Difference"), SV.ci_label(0.95), SV.tr("Detractors (%)"),
        SV.tr("Promoters (%)"), SV.tr("n (det. / prom.)"), SV.tr("p (adjusted)"),
        SV.tr("Over-represented"),
    ]  # fmt: skip
    assert frame.columns[0] != "Theme"  # Swedish, not English
    # by hand: 16 of 40 detractors, 2 of 40 promoters mention price: 40% - 5% = +35 points
    assert row[SV.tr("Theme")] == SV.value("theme", "price")
    assert row[SV.tr("Difference")] == "+35,0"
    assert (row[SV.tr("Detractors (%)")], row[SV.tr("Promoters (%)")]) == ("40,0", "5,0")
    assert row[SV.tr("n (det. / prom.)")] == "40 / 40"
    # by hand: unpooled Wald interval, 35 +- 1.959964 * sqrt(.4 * .6 / 40 + .05 * .95 / 40)
    half = 100 * 1.959964 * math.sqrt(0.4 * 0.6 / 40 + 0.05 * 0.95 / 40)
    low, high = SV.signed(35 - half, 1), SV.signed(35 + half, 1)
    assert row[SV.ci_label(0.95)] == SV.tr("{low} to {high}", low=low, high=high)
    # pooled z = 3.75, p = 0.0002: significant after Holm
    assert row[SV.tr("Over-represented")] == SV.tr("yes")


def test_theme_table_by_group_labels_the_rows():
    rows = pd.concat([_comments().assign(segment="B2B"), _comments().assign(segment="B2C")])
    found = comments.detractor_themes(rows, by="segment", min_n=30)
    frame = report.theme_table(found, {"segment": "Segment"}, language=SV).to_frame()
    assert frame.columns[0] == "Segment" and set(frame["Segment"]) == {"B2B", "B2C"}
