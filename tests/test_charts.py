"""Charts as inline SVG: hover titles, sanitizing, id prefixes, text kept as text."""

import re
import xml.etree.ElementTree as ET

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from cxresearch import config  # noqa: E402
from cxresearch.reporting import i18n, plots, svg  # noqa: E402
from tests.svgparse import english_theme, svg_root, svg_titles  # noqa: E402, F401

NS = {"s": svg.SVG_NS}


def _trend() -> pd.DataFrame:
    months = pd.date_range("2026-01-01", periods=4, freq="MS")
    return pd.DataFrame({
        "month": months, "estimate": [0.2, 0.25, 0.3, 0.1], "ci_low": [0.1, 0.15, 0.2, 0.0],
        "ci_high": [0.3, 0.35, 0.4, 0.2], "n": [120, 1234, 98, 40], "confidence": 0.95,
        "suppressed": [False, False, False, True],
    })  # fmt: skip


def test_every_trend_point_has_a_title_with_value_interval_and_n():
    html = svg.figure_html(plots.plot_trend(_trend(), label="NPS").figure, "NPS by month")
    titles = svg_titles(svg_root(html))
    # the suppressed fourth month draws no point and so has no title
    assert titles == [
        "January 2026: 20 (95% CI 10 to 30; n = 120)",
        "February 2026: 25 (95% CI 15 to 35; n = 1,234)",
        "March 2026: 30 (95% CI 20 to 40; n = 98)",
    ]


def test_titles_are_in_the_report_language():
    i18n.use("sv")
    html = svg.figure_html(plots.plot_trend(_trend(), label="NPS").figure, "NPS per månad")
    assert "februari 2026: 25 (95\xa0% KI 15 till 35; n = 1\xa0234)" in svg_titles(svg_root(html))


def test_target_line_is_drawn_and_labelled_only_when_given():
    ax = plots.plot_trend(_trend(), label="NPS", target=0.4)
    dashed = [ln for ln in ax.get_lines() if ln.get_linestyle() == "--"]
    assert len(dashed) == 1 and list(dashed[0].get_ydata()) == [40, 40]
    assert "Target 40" in [t.get_text() for t in ax.texts]
    plain = plots.plot_trend(_trend(), label="NPS")
    assert not [ln for ln in plain.get_lines() if ln.get_linestyle() == "--"]
    assert len(plain.texts) == 0
    nan = plots.plot_trend(_trend(), label="NPS", target=float("nan"))
    assert len(nan.texts) == 0


def test_every_bar_has_a_title():
    uplift = pd.DataFrame({"level": [1, 2], "n": [50, 70], "estimate": [1.0, 1.5],
                           "ci_low": [1.0, 1.2], "ci_high": [1.0, 1.9],
                           "confidence": 0.95})  # fmt: skip
    root = svg_root(svg.figure_html(plots.plot_spend_uplift(uplift).figure, "Spend by level"))
    assert svg_titles(root) == [
        "Satisfaction level 1: 1.00× (95% CI 1.00× to 1.00×; n = 50)",
        "Satisfaction level 2: 1.50× (95% CI 1.20× to 1.90×; n = 70)",
    ]
    # the title sits in the group that holds the bar's path
    for group in root.iter(f"{{{svg.SVG_NS}}}g"):
        if group.find("s:title", NS) is not None:
            assert group.find("s:path", NS) is not None


def _frequencies() -> pd.DataFrame:
    rows = []
    for group, n, shares in (("detractor", 200, (0.4, 0.1)), ("passive", 150, (0.0, 0.0)),
                             ("promoter", 300, (0.05, 0.3))):  # fmt: skip
        for theme, share in zip(("price", "support_wait"), shares, strict=True):
            rows.append({"group": group, "theme": theme, "n": n, "mentions": round(share * n),
                         "estimate": share, "ci_low": max(0, share - 0.05),
                         "ci_high": share + 0.05, "confidence": 0.95})  # fmt: skip
    return pd.DataFrame(rows)


def test_theme_shares_are_horizontal_wrapped_and_skip_groups_without_bars():
    ax = plots.plot_theme_shares(_frequencies())
    bars = ax.patches
    assert len(bars) == 4  # passives mention no theme: no bars
    assert all(b.get_width() > b.get_height() * 0 and b.get_height() < 0.5 for b in bars)
    assert [round(b.get_width(), 6) for b in bars] == [40, 10, 5, 30]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["detractors", "promoters"]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["price", "support waiting\ntimes"]
    titles = svg_titles(svg_root(svg.figure_html(ax.figure, "Theme shares")))
    assert "detractors, price: 40% (95% CI 35% to 45%; n = 200)" in titles


def _by_group() -> pd.DataFrame:
    rows = []
    for segment, n_d, n_p in (("B2B", 80, 90), ("B2C", 60, 70), ("tiny", 3, 40)):
        for theme, diff in (("price", 0.2), ("delivery", -0.1)):
            rows.append({"segment": segment, "theme": theme, "n_detractors": n_d,
                         "n_promoters": n_p, "share_detractors": 0.3 + diff / 2,
                         "share_promoters": 0.3 - diff / 2, "difference": diff,
                         "ci_low": diff - 0.05, "ci_high": diff + 0.05, "confidence": 0.95,
                         "significant": diff > 0, "over_represented": diff > 0})  # fmt: skip
    return pd.DataFrame(rows)


def test_heatmap_cells_have_titles_and_small_groups_are_never_shown():
    ax = plots.plot_theme_heatmap(_by_group(), "segment")
    assert len(ax.patches) == 4  # 2 segments x 2 themes; "tiny" has 3 detractor comments
    assert [t.get_text() for t in ax.get_xticklabels()] == ["B2B", "B2C"]
    assert sorted(t.get_text() for t in ax.texts) == ["+20", "+20", "-10", "-10"]
    root = svg_root(svg.figure_html(ax.figure, "Themes by segment"))
    titles = svg_titles(root)
    assert len(titles) == 4 and not any("tiny" in t for t in titles)
    assert (
        "B2B, price: detractors 40%, promoters 20%; difference +20 points (95% CI +15 to +25; "
        "n = 80 detractor and 90 promoter comments)"
    ) in titles
    assert "tiny" not in ET.tostring(root, encoding="unicode")
    assert config.DEFAULT_SUPPRESS_BELOW > 3  # the default threshold is what hides "tiny"


def test_svg_is_sanitized_and_labels_are_escaped():
    table = pd.DataFrame({"segment": ['<script>alert(1)</script>', 'x" onload="alert(2)'],
                          "estimate": [0.2, 0.3], "ci_low": [0.1, 0.2], "ci_high": [0.3, 0.4],
                          "n": [40, 50], "confidence": 0.95})  # fmt: skip
    html = svg.figure_html(plots.plot_estimates(table, "segment").figure, "Evil <b>labels</b>")
    root = svg_root(html)
    assert "<script" not in html and not re.search(r"<[^>]*\sonload=", html)
    assert not [el for el in root.iter() if el.tag.endswith("script") or el.tag.endswith("style")]
    for el in root.iter():
        for key, value in el.attrib.items():
            assert not key.lower().startswith("on")
            if key.endswith("href"):
                assert value.startswith("#")
    texts = [t.text for t in root.iter(f"{{{svg.SVG_NS}}}text")]
    assert "<script>alert(1)</script>" in texts  # shown as text, escaped in the markup
    assert "&lt;script&gt;" in html
    assert root.get("aria-label") == "Evil <b>labels</b>"


def test_sanitize_drops_what_matplotlib_never_writes():
    hostile = (
        '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink">'
        "<script>alert(1)</script><style>*{color:red}</style>"
        '<foreignObject><div>x</div></foreignObject><image xlink:href="http://x/y.png"/>'
        '<a xlink:href="javascript:alert(3)"><text>link</text></a>'
        '<g id="a" onclick="alert(2)" style="fill: url(http://evil/x)">'
        '<use xlink:href="http://evil/#x"/><use xlink:href="#a"/>'
        '<path clip-path="url(#a)" d="M0 0"/>'
        '<path fill="url(#a) url(https://evil/y)" d="M1 1"/></g></svg>'
    )
    out = ET.tostring(svg.sanitize(hostile, "p-"), encoding="unicode")
    for bad in ("script", "style>", "foreignObject", "image", "javascript", "onclick", "evil",
                "<a "):  # fmt: skip
        assert bad not in out, bad
    assert 'id="p-a"' in out and 'href="#p-a"' in out and 'clip-path="url(#p-a)"' in out


def test_ids_are_prefixed_per_chart_and_never_clash():
    one = svg_root(svg.figure_html(plots.plot_trend(_trend()).figure, "first"))
    two = svg_root(svg.figure_html(plots.plot_trend(_trend()).figure, "second"))
    ids_one = {el.get("id") for el in one.iter() if el.get("id")}
    ids_two = {el.get("id") for el in two.iter() if el.get("id")}
    assert ids_one and ids_two and not ids_one & ids_two
    prefix = next(iter(ids_one)).split("-")[:3]
    assert all(i.split("-")[:3] == prefix for i in ids_one)
    # every internal reference points at an id of the same chart
    for root, ids in ((one, ids_one), (two, ids_two)):
        for el in root.iter():
            for value in el.attrib.values():
                for ref in re.findall(r"url\(#([^)]+)\)", value):
                    assert ref in ids
            href = el.get(f"{{{svg.XLINK_NS}}}href") or el.get("href")
            if href:
                assert href[1:] in ids


def test_text_stays_text_in_system_fonts_and_readable_on_a_phone():
    table = pd.DataFrame({"attribute": ["price", "delivery"], "n": [300, 300],
                          "estimate": [0.1, 0.05], "ci_low": [0.08, 0.03],
                          "ci_high": [0.12, 0.07], "confidence": 0.95,
                          "share": [2 / 3, 1 / 3], "performance": [3.2, 4.1]})  # fmt: skip
    ax = plots.plot_importance_performance(table)
    ax.set_title("tiny", fontsize=5)  # svg.fit_text must enlarge this
    root = svg_root(svg.figure_html(ax.figure, "Importance against performance"))
    texts = list(root.iter(f"{{{svg.SVG_NS}}}text"))
    assert {"price", "delivery", "tiny"} <= {t.text for t in texts}
    assert not list(root.iter(f"{{{svg.SVG_NS}}}use")) or all(
        not (u.get(f"{{{svg.XLINK_NS}}}href") or "").startswith("#DejaVu")
        for u in root.iter(f"{{{svg.SVG_NS}}}use")
    )  # no glyph outlines: text is text
    width = float(root.get("viewBox").split()[2])
    for t in texts:
        size = float(re.search(r"font-size: ([\d.]+)px", t.get("style")).group(1))
        assert size * svg.PHONE_WIDTH_PX / width >= svg.MIN_TEXT_PX - 0.01, (t.text, size)
        assert "system-ui" in t.get("style")
    assert "importance 67% (95% CI 53% to 80%; n = 300), mean rating 3.20" in " ".join(
        svg_titles(root)
    )


def test_figure_scales_to_its_container():
    html = svg.figure_html(plots.plot_trend(_trend()).figure, "NPS by month")
    root = svg_root(html)
    assert "width: 100%" in root.get("style") and "height: auto" in root.get("style")
    natural = int(root.get("width"))
    assert f"max-width: {round(natural * svg.MAX_ZOOM)}px" in root.get("style")
    assert root.get("role") == "img"
    assert html.startswith('<figure class="cx-chart"')


def test_report_show_figure_displays_html_and_needs_alt_text(capsys):
    from cxresearch.reporting import report

    with pytest.raises(ValueError, match="alt text"):
        report.show_figure(plots.plot_trend(_trend()), " ")
    plt.close("all")
    fig, ax = plt.subplots()
    ax.plot(np.arange(3), np.arange(3))
    report.show_figure(ax, "A straight line")
    assert not plt.get_fignums()  # closed


def test_retention_points_at_whole_months_carry_the_step_value():
    curves = pd.DataFrame({
        "nps_group": ["promoter"] * 4, "months": [0.2, 1.5, 2.0, 3.7], "n": 100,
        "at_risk": [100, 90, 80, 70], "estimate": [1.0, 0.95, 0.9, 0.85],
        "ci_low": [1.0, 0.9, 0.85, 0.8], "ci_high": [1.0, 1.0, 0.95, 0.9], "confidence": 0.95,
    })  # fmt: skip
    html = svg.figure_html(plots.plot_retention(curves, "nps_group").figure, "Retention")
    # month 0 is before the first step (0.2) and gets no point; month 3 holds month 2's step
    assert svg_titles(svg_root(html)) == [
        "promoters, month 1: 100% (95% CI 100% to 100%; n = 100)",
        "promoters, month 2: 90% (95% CI 85% to 95%; n = 100)",
        "promoters, month 3: 90% (95% CI 85% to 95%; n = 100)",
    ]


def test_a_last_bit_difference_in_the_data_gives_the_same_svg():
    # The same chart from two engines whose sums differ in the last bit (PostgreSQL and
    # DuckDB add in different orders) must render identically: matplotlib's clip-path ids
    # hash the exact float geometry, so the sanitized SVG renames them by order of use.
    def chart(width: float) -> str:
        fig = plt.figure(figsize=(4, 3), layout="none")
        ax = fig.add_axes((0.15, 0.15, width, 0.7))  # the layout, off in the last bit
        ax.bar(["1", "2"], [1.0, 2.43])
        return svg.figure_html(fig, "Spend by level", prefix="c-")

    first, second = chart(0.8), chart(0.8 + 2e-16)
    assert 'clip-path="url(#c-h1)"' in first
    assert first == second
