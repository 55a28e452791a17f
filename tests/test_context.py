"""report.start's context: the report's language flows from it, not from a global.

Two reports opened in one process (as in one kernel), their cells run out of order: each
context's helpers format in its own language. Plumbing test: no statistic is checked.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd

from cxresearch.reporting import i18n, report

ROW = {"estimate": 0.325, "ci_low": 0.3, "ci_high": 0.35, "n": 1234, "confidence": 0.95}
BY_COUNTRY = pd.DataFrame({
    "country": ["DE", "SE"], "estimate": [0.1, 0.2], "ci_low": [0.05, 0.15],
    "ci_high": [0.15, 0.25], "n": [100, 200], "confidence": [0.95, 0.95],
})  # fmt: skip


def test_two_contexts_in_one_kernel_keep_their_own_language(tmp_path, demo_database):
    url = demo_database(300, 2, tmp_path)
    swedish = report.start({"database": url, "language": "sv"})
    english = report.start({"database": url, "language": "en"})  # opened last
    try:
        # the Swedish report's cells, run after the English report was opened
        sv_text = swedish.report.estimate_text(ROW, decimals=1, unit="%")
        assert sv_text == "32,5\xa0% (95\xa0% KI 30,0\xa0% till 35,0\xa0%; n = 1\xa0234)"
        sv_table = swedish.report.table(BY_COUNTRY, {"country": "Land"}).fmt_estimate("NPS")
        assert sv_table.to_frame()["Land"].tolist() == ["Sverige", "Tyskland"]
        assert sv_table.to_frame()["NPS"].tolist() == ["20,0", "10,0"]
        ax = swedish.plots.plot_estimates(BY_COUNTRY, "country")
        assert [t.get_text() for t in ax.get_yticklabels()] == ["Tyskland", "Sverige"]
        plt.close(ax.figure)
        # and the English report's, in between and after
        assert english.report.ci_label() == "95% CI"
        en_table = english.report.table(BY_COUNTRY, {"country": "Country"}).fmt_estimate("NPS")
        assert en_table.to_frame()["Country"].tolist() == ["Germany", "Sweden"]
        assert english.report.p_text(0.0123) == "p = 0.012"
        assert swedish.report.p_text(0.0123) == "p = 0,012"
        assert swedish.report.ci_label() == "95\xa0% KI"
        # nothing leaks: the module-level current language is the last one opened
        assert i18n.current().code == "en"
    finally:
        swedish.con.disconnect()
        english.con.disconnect()


def test_classes_and_constants_pass_through_and_unknown_names_are_named():
    helpers = i18n.InLanguage(i18n.Language("fi"), report)
    assert helpers.Table is report.Table and helpers.MAX_EXTRA_DECIMALS == 3
    try:
        helpers.no_such_helper  # noqa: B018
    except AttributeError as error:
        assert "no_such_helper" in str(error)
    else:  # pragma: no cover - the test fails here
        raise AssertionError("an unknown helper must raise AttributeError")
