"""The theme applied without seaborn is seaborn's own (oracle: seaborn 0.13 itself)."""

import matplotlib as mpl
import pytest
import seaborn as sns
from matplotlib import colors

from cxresearch.reporting import plots, seabornstyle

RC = {"figure.figsize": (4.8, 3.4), "legend.fontsize": 11}
CODES = "bgrmyck"


def _reset() -> None:
    mpl.rcdefaults()
    for code in CODES:
        colors.colorConverter.colors[code] = colors.BASE_COLORS[code]
        colors.colorConverter.cache.pop(code, None)


@pytest.fixture(autouse=True)
def _defaults():
    _reset()
    yield
    _reset()


def test_set_theme_sets_every_rcparam_seaborn_sets():
    sns.set_theme(style="whitegrid", context="notebook", rc=RC)
    theirs = dict(mpl.rcParams)
    their_codes = {c: colors.to_rgb(c) for c in CODES}
    _reset()
    seabornstyle.set_theme(RC)
    ours = dict(mpl.rcParams)
    differ = {k: (ours[k], theirs[k]) for k in theirs if ours[k] != theirs[k]}
    assert differ == {"image.cmap": ("viridis", "rocket")}  # the one left out, documented
    assert {c: colors.to_rgb(c) for c in CODES} == their_codes
    assert their_codes["b"] != colors.to_rgb(colors.BASE_COLORS["b"])  # the check can fail


@pytest.mark.parametrize("n", [1, 3, 10, 13])
def test_colorblind_is_seaborns_palette(n):
    assert seabornstyle.colorblind(n) == [tuple(c) for c in sns.color_palette("colorblind", n)]


def test_the_report_theme_keeps_seaborn_out_of_the_kernel():
    import subprocess
    import sys

    code = ("import sys; from cxresearch.reporting import plots; plots.set_theme(); "
            "print('seaborn' in sys.modules, 'scipy.stats' in sys.modules)")  # fmt: skip
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]
    assert plots.set_theme is not None
