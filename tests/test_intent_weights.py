"""Weights reach the intent analysis (issue 14, item 4): API and a real notebook run."""

import re

import numpy as np
import pandas as pd
import pytest

from cxresearch.data import db, demo
from cxresearch.running import runner
from cxresearch.stats import models


@pytest.fixture(scope="module")
def weighted_url(tmp_path_factory):
    """A demo DuckDB file whose weights up-weight those who recommended.

    Weights that depend on the answer are what non-response weighting gives when the
    people who act on their intent answer surveys less often; here they make the weighted
    share at every score clearly higher than the unweighted one.
    """
    tables = demo.generate(6000, seed=21)
    responses = tables["responses"]
    rng = np.random.default_rng(4)
    yes = (responses["recommended_last_12m"] == "yes").to_numpy()
    responses["weight"] = np.where(yes, 3.0, 1.0) * rng.lognormal(0, 0.3, len(responses))
    path = tmp_path_factory.mktemp("weighted") / "cx.duckdb"
    return db.write_tables(f"duckdb:///{path}", tables)


def _oracle(frame: pd.DataFrame) -> pd.DataFrame:
    """Weighted share of yes among yes/no answers per score, and Kish's n, with numpy."""
    rows = []
    for score, part in frame.groupby("nps"):
        answered = part[part["recommended_last_12m"].isin(["yes", "no"])]
        w = answered["weight"].to_numpy()
        yes = (answered["recommended_last_12m"] == "yes").to_numpy()
        rows.append({"score": int(score), "weighted": np.sum(w * yes) / np.sum(w),
                     "unweighted": yes.mean(), "kish": w.sum() ** 2 / (w**2).sum(),
                     "n": len(w)})  # fmt: skip
    return pd.DataFrame(rows).set_index("score")


def test_weighted_intent_calibration_matches_numpy_oracle(weighted_url):
    con = db.connect(weighted_url)
    responses = db.read_responses(con)
    oracle = _oracle(responses.to_pandas())
    out = models.intent_calibration(responses, weights="weight", suppress_below=1).set_index(
        "score"
    )
    np.testing.assert_allclose(out["estimate"], oracle.loc[out.index, "weighted"], rtol=1e-10)
    np.testing.assert_allclose(out["effective_n"], oracle.loc[out.index, "kish"], rtol=1e-10)
    # the weights truly change the answer: several points at the well-filled scores
    plain = models.intent_calibration(responses, suppress_below=1).set_index("score")
    assert (out.loc[5:, "estimate"] - plain.loc[5:, "estimate"]).min() > 0.03
    con.disconnect()


def test_weighted_intent_model_equals_weighted_row_level_fit(weighted_url):
    # oracle: statsmodels GLM on individual rows with the weights as var_weights (the
    # weighted pseudo-likelihood); point estimates must agree exactly
    import statsmodels.api as sm

    con = db.connect(weighted_url)
    frame = db.read_responses(con).to_pandas()
    rows = frame[frame["recommended_last_12m"].isin(["yes", "no"])]
    y = (rows["recommended_last_12m"] == "yes").to_numpy(float)
    x = sm.add_constant(rows["nps"].to_numpy(float))
    on_rows = sm.GLM(y, x, family=sm.families.Binomial(),
                     var_weights=rows["weight"].to_numpy()).fit()  # fmt: skip
    fit = models.fit_intent(db.read_responses(con), weights="weight")
    np.testing.assert_allclose(fit.params.to_numpy(), on_rows.params, rtol=1e-6)
    unweighted = models.fit_intent(db.read_responses(con))
    assert abs(fit.params["Intercept"] - unweighted.params["Intercept"]) > 0.2
    con.disconnect()


def _table(html: str, caption: str) -> list[list[str]]:
    # the report's tables: <figcaption>caption (n = ...)</figcaption> ... <tbody>rows</tbody>
    found = re.search(
        rf"<figcaption[^>]*>{re.escape(caption)}.*?</figcaption>.*?<tbody>(.*?)</tbody>", html, re.S
    )
    assert found, caption
    cell = r"<t[hd][^>]*>.*?</t[hd]>"  # the first column is a row header
    return [[re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(cell, row, re.S)]
            for row in re.findall(r"<tr.*?</tr>", found.group(1), re.S)]  # fmt: skip


def test_weights_parameter_changes_the_intent_report(weighted_url, tmp_path):
    con = db.connect(weighted_url)
    oracle = _oracle(db.read_responses(con).to_pandas())
    con.disconnect()
    result = runner.run("recommend_intent", None, {"weights": "weight"}, out_dir=tmp_path,
                        database=weighted_url, update_index=False)  # fmt: skip
    rows = _table(result.html.read_text(encoding="utf-8"),
                  "Share who actually recommended, by stated score")  # fmt: skip
    shown = {int(r[0]): r for r in rows}
    for score, row in oracle.iterrows():
        if row["n"] < 5:
            # suppressed: n shown, no estimate
            assert shown[score][1] in ("", "–", "nan"), shown[score]
            continue
        assert float(shown[score][1]) == pytest.approx(100 * row["weighted"], abs=0.051)
    # and the weighted figures are not the unweighted ones
    assert float(shown[10][1]) - 100 * oracle.loc[10, "unweighted"] > 3
