"""Whether a run's notebook draws charts with matplotlib: its fork server imports it if so.

A single run's fork server (:mod:`cxresearch.running.forkserver`) imports what the report
needs while the command starts. matplotlib takes about 0.5 s of that; a notebook whose
charts are all drawn as SVG directly (``plots.trend_chart``) never needs it, so the
server imports it only for a notebook that does (:func:`preload`).
"""

from __future__ import annotations

from collections.abc import Sequence

#: What in a notebook's code shows that it draws with matplotlib (or seaborn).
USES_MATPLOTLIB = r"\bplot_\w+\s*\(|matplotlib|seaborn|\bplt\.|\bsns\.|\bax\."


def draws_with_matplotlib(args: Sequence[str]) -> bool:
    """Whether the notebook named in a ``run`` command line's ``args`` draws with matplotlib.

    The first argument that names an existing notebook (a name in ``notebooks/`` or an
    ``.ipynb`` path) decides; when none does, or it cannot be read, the answer is yes.
    """
    import json  # here, in the fork server: the command imports this module before it
    import re
    from pathlib import Path

    from cxresearch import config

    for arg in args:
        if arg.startswith("-"):
            continue
        path = Path(arg) if arg.endswith(".ipynb") else config.NOTEBOOKS_DIR / f"{arg}.ipynb"
        if not path.is_file():
            continue
        try:
            cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
            code = "\n".join(
                "".join(c.get("source", "")) for c in cells if c.get("cell_type") == "code"
            )
        except (OSError, ValueError, KeyError, TypeError):
            return True
        return bool(re.search(USES_MATPLOTLIB, code))
    return True


def preload(args: Sequence[str], core: str, charts: str) -> str:
    """Preload code that imports ``core``, and ``charts`` if the run draws with matplotlib.

    The check runs in the fork server, while the command starts.
    """
    indented = "\n".join("    " + line for line in charts.strip().splitlines())
    return (
        f"{core}\nfrom cxresearch.running import chartimports\n"
        f"if chartimports.draws_with_matplotlib({list(args)!r}):\n{indented}\n"
    )
