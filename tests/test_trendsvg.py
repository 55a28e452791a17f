"""Trend charts drawn as SVG directly: what matplotlib's trend shows, safe and readable."""

import json
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from cxresearch.reporting import i18n, plots, report, svg, trendsvg  # noqa: E402
from tests.svgparse import english_theme, svg_root, svg_titles  # noqa: E402, F401

ROOT = Path(__file__).resolve().parents[1]
S = f"{{{svg.SVG_NS}}}"


def _texts(root: ET.Element) -> dict[str, list[str]]:
    """The chart's texts by role: time-axis labels (turned), value-axis labels, the rest."""
    out: dict[str, list[str]] = {"x": [], "y": [], "other": []}
    for t in root.iter(f"{S}text"):
        style, turn = t.get("style") or "", t.get("transform") or ""
        role = "x" if "rotate(-30)" in turn else "y" if "text-anchor: end" in style else "other"
        out[role].append(t.text)
    return out


def _trend(k: int = 4, *, low: float = 0.0, step: float = 0.05) -> pd.DataFrame:
    months = pd.date_range("2025-07-01", periods=k, freq="MS")
    estimate = [low + step * (i % 5) for i in range(k)]
    return pd.DataFrame({
        "month": months, "estimate": estimate, "ci_low": [e - 0.1 for e in estimate],
        "ci_high": [e + 0.1 for e in estimate], "n": [120 + 1000 * (i % 2) for i in range(k)],
        "confidence": 0.95, "suppressed": [i == k - 1 for i in range(k)],
    })  # fmt: skip


def _both(table: pd.DataFrame, **kw) -> tuple[ET.Element, ET.Element]:
    """The matplotlib chart (the oracle) and the SVG chart of the same table."""
    old = svg_root(svg.figure_html(plots.plot_trend(table, **kw).figure, "old"))
    new = svg_root(plots.trend_chart(table, **kw).to_html("new"))
    return old, new


@pytest.mark.parametrize(
    "k, low, step, kw",
    [(4, 0.2, 0.05, {}), (8, -0.3, 0.02, {"target": 0.4}), (14, 0.1, 0.01, {"target": 0.3}),
     (24, 0.55, 0.08, {}), (36, -0.05, 0.004, {"scale": 1000}), (72, 0.7, 0.03, {}),
     (2, 0.3, 0.1, {"target": -0.2, "target_label": "Benchmark <Nordic>"})],
)  # fmt: skip
def test_the_same_ticks_labels_and_hover_titles_as_the_matplotlib_trend(k, low, step, kw):
    table = _trend(k, low=low, step=step)
    old, new = _both(table, label="NPS & <b>", **kw)
    old_texts, new_texts = _texts(old), _texts(new)
    assert new_texts["x"] == old_texts["x"] and new_texts["x"]  # same months, same strings
    assert new_texts["y"] == old_texts["y"] and len(new_texts["y"]) >= 3
    assert sorted(new_texts["other"]) == sorted(old_texts["other"])  # axis and target label
    assert "NPS & <b>" in new_texts["other"]
    assert svg_titles(new) == svg_titles(old)
    assert len(svg_titles(new)) == k - 1  # the suppressed last month draws no point


def test_every_point_has_a_title_with_value_interval_and_n_in_the_report_language():
    i18n.use("sv")
    titles = svg_titles(svg_root(plots.trend_chart(_trend(), label="NPS").to_html("NPS per månad")))
    assert titles == [
        "juli 2025: 0 (95\xa0% KI −10 till 10; n = 120)",
        "augusti 2025: 5 (95\xa0% KI −5 till 15; n = 1\xa0120)",
        "september 2025: 10 (95\xa0% KI 0 till 20; n = 120)",
    ]


def test_target_line_only_when_given_and_not_nan():
    def dashed(chart) -> list:
        return [p for p in svg_root(chart.to_html("t")).iter(f"{S}path")
                if p.get("stroke-dasharray")]  # fmt: skip

    assert len(dashed(plots.trend_chart(_trend(), target=0.4))) == 1
    assert (
        "Target 40"
        in _texts(svg_root(plots.trend_chart(_trend(), target=0.4).to_html("t")))["other"]
    )
    assert dashed(plots.trend_chart(_trend())) == []
    assert dashed(plots.trend_chart(_trend(), target=float("nan"))) == []
    assert (
        _texts(svg_root(plots.trend_chart(_trend(), target=float("nan")).to_html("t")))["other"]
        == []
    )


def _hostile() -> pd.DataFrame:
    a, b = _trend(6), _trend(6, low=0.3)
    names = ['<script>alert("x")</script>', "Ω & \"quotes\" onload='x'"]
    return pd.concat([a.assign(segment=names[0]), b.assign(segment=names[1])])


def test_hue_draws_a_line_and_a_legend_entry_per_group_and_escapes_their_names():
    table = _hostile()
    html = plots.trend_chart(table, hue="segment", label="<NPS>").to_html("by segment")
    assert "<script" not in html and "&lt;script&gt;" in html  # escaped, never markup
    root = svg_root(html)
    names = set(table["segment"])
    assert names <= set(_texts(root)["other"])  # the legend names each group
    lines = {p.get("stroke") for p in root.iter(f"{S}path") if p.get("stroke-width") == "1.5"}
    assert len(lines) == 2  # one colour per group (legend swatches share them)
    assert sum(name in t for t in svg_titles(root) for name in names) == 10  # 5 shown each
    allowed = {"svg", "g", "path", "rect", "circle", "text", "title"}
    assert {el.tag.removeprefix(S) for el in root.iter()} <= allowed
    assert not [k for el in root.iter() for k in el.attrib if k.startswith("on")]
    assert "href" not in html and "url(" not in html


def test_text_is_text_and_readable_on_a_phone():
    for chart in (
        plots.trend_chart(_trend(30), label="NPS", target=0.4),
        plots.trend_chart(_hostile(), hue="segment", label="CSAT (%)"),
    ):
        root = svg_root(chart.to_html("chart"))
        width = float(root.get("viewBox").split()[2])
        texts = list(root.iter(f"{S}text"))
        assert len(texts) >= 8
        for t in texts:
            size = float(re.search(r"font-size: ([\d.]+)px", t.get("style")).group(1))
            assert size * svg.PHONE_WIDTH_PX / width >= svg.MIN_TEXT_PX - 0.01, (t.text, size)
            assert svg.FONT_FAMILY in t.get("style")


def test_scales_to_its_container_with_alt_text_and_unique_ids():
    one = plots.trend_chart(_trend(), label="NPS").to_html("NPS by month")
    two = plots.trend_chart(_trend(), label="NPS").to_html("NPS by month")
    assert one.startswith('<figure class="cx-chart"')
    a, b = svg_root(one), svg_root(two)
    assert a.get("role") == "img" and a.get("aria-label") == "NPS by month"
    natural = int(a.get("width"))
    assert "width: 100%" in a.get("style") and "height: auto" in a.get("style")
    assert f"max-width: {round(natural * svg.MAX_ZOOM)}px" in a.get("style")
    ids_a = {el.get("id") for el in a.iter() if el.get("id")}
    ids_b = {el.get("id") for el in b.iter() if el.get("id")}
    assert ids_a and not ids_a & ids_b
    prefix = re.match(r"(cx-chart-\d+-)", next(iter(ids_a))).group(1)
    assert all(i.startswith(prefix) for i in ids_a)
    # matplotlib charts share the page's numbering: no clash with them either
    old = svg_root(svg.figure_html(plots.plot_trend(_trend()).figure, "old"))
    assert not {el.get("id") for el in old.iter() if el.get("id")} & (ids_a | ids_b)


def test_show_figure_displays_a_chart_and_needs_alt_text(monkeypatch):
    from cxresearch.reporting import display

    shown = []
    monkeypatch.setattr(display, "display", shown.append)  # what the kernel would publish
    chart = plots.trend_chart(_trend(), label="NPS")
    with pytest.raises(ValueError, match="alt text"):
        report.show_figure(chart, " ")
    report.show_figure(chart, "NPS by month")
    (html,) = [obj.data for obj in shown]
    root = svg_root(html)
    assert root.get("aria-label") == "NPS by month" and len(svg_titles(root)) == 3
    assert 'aria-label="NPS"' in chart._repr_html_()  # JupyterLab shows it by itself
    assert isinstance(chart, trendsvg.Chart)


def test_numbers_and_labels_on_the_time_axis_as_matplotlib_shows_them():
    table = _trend(6).assign(wave=[1, 2, 3, 4, 5, 6])
    old, new = _both(table, x="wave", label="NPS")
    assert _texts(new)["x"] == _texts(old)["x"] and _texts(new)["y"] == _texts(old)["y"]
    table = _trend(5).assign(wave=["spring", "summer", "autumn", "winter", "next"])
    old, new = _both(table, x="wave", label="NPS")
    assert _texts(new)["x"] == _texts(old)["x"] == ["autumn", "spring", "summer", "winter"]


#: A report's imports and a trend chart in a fresh process: matplotlib stays unimported.
FRESH = """
import json, sys
import pandas as pd
from cxresearch import plots as cx_plots, report as cx_report  # noqa: F401
from cxresearch.reporting import context, display, i18n, plots
i18n.use("en")
plots.set_theme()  # what report.start does
months = pd.date_range("2026-01-01", periods=6, freq="MS")
table = pd.DataFrame({"month": months, "estimate": 0.3, "ci_low": 0.2, "ci_high": 0.4,
                      "n": 200, "confidence": 0.95, "suppressed": False})
display.show_figure(plots.trend_chart(table, label="NPS", target=0.4), "NPS by month")
print(json.dumps(sorted(m for m in sys.modules if m.split(".")[0] == "matplotlib")))
"""


def test_a_report_with_trend_charts_never_imports_matplotlib():
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("MPLBACKEND", None)
    out = subprocess.run([sys.executable, "-c", FRESH], env=env, cwd=ROOT, capture_output=True,
                         text=True, timeout=300, check=True)  # fmt: skip
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []


def test_the_theme_asked_for_before_matplotlib_is_set_by_the_first_matplotlib_chart():
    code = (
        FRESH
        + """
ax = plots.plot_estimates(table.assign(g=["a", "b", "c", "d", "e", "f"]), "g")
import matplotlib
print(json.dumps([matplotlib.rcParams["figure.dpi"], matplotlib.rcParams["axes.grid"],
                  list(ax.figure.get_size_inches())]))
"""
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT), "MPLBACKEND": "Agg"}
    out = subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True,
                         text=True, timeout=300, check=True)  # fmt: skip
    assert json.loads(out.stdout.strip().splitlines()[-1]) == [96.0, True, [4.8, 3.4]]
