"""The demo reports' headlines claim only what holds (issue #14, item 6)."""

from __future__ import annotations

import html as html_lib
import re

import pytest

from cxresearch.data import db
from cxresearch.reporting import i18n
from cxresearch.running import runner
from cxresearch.stats import compare, metrics

# "46% (95% CI 46% to 46%)": an estimate whose interval prints as one value
COLLAPSED = re.compile(r"(?P<v>[€\d][\d.,M%\u00a0€]*) \(95% CI (?P=v) to (?P=v)[;)]")


def _text(path) -> str:
    page = path.read_text(encoding="utf-8")
    body = re.sub(r"<[^>]+>", " ", page.split("<body", 1)[1])
    return re.sub(r"\s+", " ", html_lib.unescape(body))


def _headlines(path) -> list[str]:
    """The findings of the executive summary, in their order."""
    page = path.read_text(encoding="utf-8")
    summary = re.search(r'<section[^>]*class="cx-summary".*?</section>', page, flags=re.S)
    found = re.findall(r"<li>(.*?)</li>", summary.group(0), flags=re.S)
    return [html_lib.unescape(re.sub(r"<[^>]+>", "", h)) for h in found]


@pytest.fixture(scope="module")
def reports(tmp_path_factory, small_url):
    out = tmp_path_factory.mktemp("headline_reports")
    return {
        name: runner.run(name, overrides={"language": "en"}, out_dir=out / name,
                         database=small_url, update_index=False).html
        for name in ("nps_overview", "satisfaction_spend")
    }  # fmt: skip


@pytest.mark.slow
def test_no_zero_p_values_and_no_collapsed_intervals(reports):
    for name, path in reports.items():
        text = _text(path)
        assert "p = 0.000" not in text, name
        assert not COLLAPSED.search(text), (name, COLLAPSED.search(text).group(0))
        assert " 1 percentage points" not in text and " 1 points" not in text


@pytest.mark.slow
def test_touchpoint_extremes_named_only_when_they_differ(reports, small_url):
    # recomputed here: every pair of touchpoints tested, Holm-adjusted
    con = db.connect(small_url)
    current = db.recent_period(con)
    now = db.read_responses(con, start=current[0], end=current[1])
    by_touchpoint = metrics.nps(now, by="touchpoint", min_n=30)
    con.disconnect()
    shown = by_touchpoint[~by_touchpoint["suppressed"]]
    low = shown.loc[shown["estimate"].idxmin(), "touchpoint"]
    high = shown.loc[shown["estimate"].idxmax(), "touchpoint"]
    pairs = compare.pairwise(by_touchpoint, "touchpoint", adjust="holm")
    pair = pairs[pairs["group_a"].isin([low, high]) & pairs["group_b"].isin([low, high])]
    text = _text(reports["nps_overview"])
    claims = "By touchpoint, NPS is lowest for" in text
    assert claims == bool(pair["significant"].iloc[0])
    if not claims:
        assert "No touchpoint's NPS differs significantly" in text


@pytest.mark.slow
def test_summary_orders_significant_changes_first(reports):
    found = _headlines(reports["nps_overview"])
    sizes = []
    for text in found:
        moved = re.findall(r"\(([+\-\u2212]\d+); n = ", text)
        if "changed significantly" in text and moved:
            sizes.append(max(abs(int(m.replace("\u2212", "-"))) for m in moved))
        elif ": a significant change." in text:
            size = re.search(r"(?:up|down) (\d+) (?:percentage )?points? since", text)
            sizes.append(int(size[1]))
        else:
            sizes.append(0)
    assert sizes == sorted(sizes, reverse=True), list(zip(sizes, found, strict=True))


@pytest.mark.slow
def test_revenue_at_risk_from_observed_churn_in_three_figures(reports):
    i18n.use("en")
    found = _headlines(reports["satisfaction_spend"])
    risk = [h for h in found if "At the churn rates observed by satisfaction level" in h]
    assert len(risk) == 1
    amounts = re.findall(r"€([\d.,]+)([KM]?)", risk[0])
    assert len(amounts) == 3  # estimate, low, high
    for digits, _ in amounts:
        significant = digits.replace(",", "").replace(".", "").lstrip("0").rstrip("0")
        assert 1 <= len(significant) <= 4, risk[0]  # 3 figures, 4 only against collapse
    assert not any("if 95%" in h for h in found)  # the scenario is not a finding
    assert "Scenario, not an estimate" in _text(reports["satisfaction_spend"])
    assert "Methods and definitions" in _text(reports["satisfaction_spend"])
    assert "in the months after the answer" in _text(reports["satisfaction_spend"])
