import matplotlib

matplotlib.use("Agg")

import matplotlib.colors as mcolors  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from cxresearch import plots  # noqa: E402
from cxresearch.stats import models


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


def _calibration():
    df = pd.DataFrame(
        {
            "nps": [s for s in range(11) for _ in range(20)],
            "recommended_last_12m": ["yes", "no"] * 110,
        }
    )
    return models.intent_calibration(df)


def test_intent_calibration_colours_and_band():
    cal = _calibration()
    rng = np.random.default_rng(2)
    score = rng.integers(0, 11, 2000)
    yes = rng.random(2000) < 1 / (1 + np.exp(-(-3 + 0.4 * score)))
    fit = models.fit_intent(
        pd.DataFrame({"nps": score, "recommended_last_12m": np.where(yes, "yes", "no")})
    )
    ax = plots.plot_intent_calibration(cal, fitted=models.predict_intent(fit))
    bars = ax.patches[:11]
    assert [round(b.get_height(), 6) for b in bars] == [50.0] * 11
    assert mcolors.to_hex(bars[0].get_facecolor()) == plots.PALETTE["detractors"].lower()
    assert mcolors.to_hex(bars[7].get_facecolor()) == plots.PALETTE["passives"].lower()
    assert mcolors.to_hex(bars[10].get_facecolor()) == plots.PALETTE["promoters"].lower()
    assert len(ax.collections) >= 1  # the model's interval band
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels[-1] == "binomial model" and labels[0].startswith("detractors")


def test_spend_uplift_draws_on_given_axes():
    _, ax = plt.subplots()
    uplift = pd.DataFrame(
        {"level": [1, 2], "estimate": [1.0, 2.0], "ci_low": [1.0, 1.8], "ci_high": [1.0, 2.2]}
    )
    assert plots.plot_spend_uplift(uplift, ax=ax) is ax
    assert [p.get_height() for p in ax.patches] == [1.0, 2.0]


def test_plot_estimates():
    table = pd.DataFrame(
        {
            "segment": ["B2B", "B2C"],
            "estimate": [0.2, 0.3],
            "ci_low": [0.1, 0.25],
            "ci_high": [0.3, 0.35],
        }
    )
    ax = plots.plot_estimates(table, "segment", label="NPS")
    assert [t.get_text() for t in ax.get_yticklabels()] == ["B2B", "B2C"]
