"""``python -m cxresearch``: the same as the ``cxresearch`` command."""

from cxresearch.cli import app

app(prog_name="cxresearch")
