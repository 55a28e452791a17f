"""What a notebook's kernels need imported: read from its code before any kernel starts.

A fork server imports once what its kernels will use (:mod:`cxresearch.running.forkserver`).
Two parts of that are large and used by few reports: statsmodels (about 1 s of CPU, for the
notebooks that model) and matplotlib (about 1 s, for the charts drawn with it; a trend drawn
by :func:`cxresearch.reporting.plots.trend_chart` needs none). The functions here read a
notebook's code cells and say whether it needs them, so a server imports them only then.

Reading is a guess that errs on the safe side: a notebook that cannot be read needs
everything, and a kernel imports anything it was not given itself, so a wrong guess costs
time, never a report.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path

from cxresearch.running import forkserver

#: ``0`` while a batch none of whose notebooks models starts its workers' starter: the
#: starter then leaves out statsmodels (:data:`~cxresearch.running.forkserver.PRELOAD_MODELS`).
MODELS_ENV = "CX_PRELOAD_MODELS"
#: ``0`` likewise when none draws with matplotlib (:data:`~.forkserver.PRELOAD_CHARTS`).
CHARTS_ENV = "CX_PRELOAD_CHARTS"
#: The report languages of the batch, comma-separated: the only ones its starter warms up.
LANGUAGES_ENV = "CX_PRELOAD_LANGUAGES"
#: How the batch's preload warms up (:func:`cxresearch.reporting.warmup.warm`).
_WARM = "cxresearch.reporting.warmup.warm()"
#: An import statement (its module and its names, parenthesised over lines or not) ...
_IMPORT = re.compile(r"^[ \t]*(?:from[ \t]+(\S+)[ \t]+)?import[ \t]+(\([^)]*\)|[^\n]*)", re.M)
#: ... that names statsmodels or one of our modules that use it: the notebook models.
_MODELLING = re.compile(r"\b(?:models|retention|spend|drivers|statsmodels)\b")
#: A chart drawn with matplotlib: our ``plot_*`` functions, matplotlib or seaborn named.
_MATPLOTLIB = re.compile(r"\bplot_\w+\s*\(|\b(?:matplotlib|pyplot|seaborn|plt|sns)\b|\bax\.")


def code(path: Path) -> str | None:
    """The code cells of the notebook at ``path``, joined; None when it cannot be read."""
    try:
        cells = json.loads(Path(path).read_text(encoding="utf-8"))["cells"]
        return "\n".join(
            "".join(c.get("source", "")) for c in cells if c.get("cell_type") == "code"
        )
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def models_needed(notebooks: Iterable[Path]) -> bool:
    """Whether any of ``notebooks`` imports statsmodels or a module of ours that uses it.

    Reads the import statements of each notebook's code cells; a notebook that cannot be
    read counts as one that models.
    """
    for path in notebooks:
        source = code(path)
        if source is None:
            return True
        for found in _IMPORT.finditer(source):
            if _MODELLING.search(" ".join(filter(None, found.groups()))):
                return True
    return False


def charts_needed(notebooks: Iterable[Path]) -> bool:
    """Whether any of ``notebooks`` draws with matplotlib (a ``plot_*`` chart, pyplot, seaborn).

    A notebook that cannot be read counts as one that does.
    """
    for path in notebooks:
        source = code(path)
        if source is None or _MATPLOTLIB.search(source):
            return True
    return False


def batch_code(environ: Mapping[str, str] = os.environ) -> str:
    """The batch starter's preload, less what :func:`starter_preloads` said no notebook needs."""
    text = forkserver.PRELOAD_BATCH
    if environ.get(MODELS_ENV) == "0":
        text = text.replace(forkserver.PRELOAD_MODELS, "")
    if environ.get(CHARTS_ENV) == "0":
        text = text.replace(forkserver.PRELOAD_CHARTS, "")
    languages = [c for c in environ.get(LANGUAGES_ENV, "").split(",") if c.isalpha()]
    if languages:
        text = text.replace(_WARM, f"{_WARM[:-1]}{tuple(languages)!r})")
    return text


def run_code(notebook: Path | None) -> str:
    """A single run's preload: :data:`~.forkserver.PRELOAD`, with matplotlib if it draws.

    ``None`` (the notebook is not known yet) preloads matplotlib too.
    """
    if notebook is not None and not charts_needed([notebook]):
        return forkserver.PRELOAD
    return forkserver.PRELOAD_CHARTS + forkserver.PRELOAD


def notebook_of(args: Sequence[str], notebooks_dir: Path) -> Path | None:
    """The notebook a ``run`` command line names (its first argument), or None.

    A name is looked up in ``notebooks_dir``, a path ending in ``.ipynb`` is taken as
    given; anything else (an option first, no argument) gives None.
    """
    if len(args) < 2 or args[1].startswith("-"):
        return None
    name = args[1]
    return Path(name) if name.endswith(".ipynb") else notebooks_dir / f"{name}.ipynb"


@contextlib.contextmanager
def starter_preloads(
    *, models: bool, charts: bool, languages: Sequence[str] = ()
) -> Iterator[None]:
    """Within the block, a batch starter started preloads statsmodels and matplotlib or not.

    It warms up the report ``languages`` (the most frequent first), or all when none are
    named. The starter inherits this process's environment when the first worker starts;
    the variables are restored afterwards (the workers get the batch's own environment).
    """
    wanted = {MODELS_ENV: "1" if models else "0", CHARTS_ENV: "1" if charts else "0",
              LANGUAGES_ENV: ",".join(languages)}  # fmt: skip
    before = {name: os.environ.get(name) for name in wanted}
    os.environ.update(wanted)
    try:
        yield
    finally:
        for name, value in before.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
