"""The Jupyter kernel a fork server's child becomes: ipykernel's, configured without argv.

ipykernel's ``IPKernelApp`` reads its options from a command line: every kernel builds an
``argparse`` parser over all its configurable classes (about a quarter of its start-up) to
read two options. A forked kernel has no command line of its own: :class:`ForkedKernelApp`
takes the same options as configuration from the fork server and skips the parser. The
user's IPython and Jupyter configuration files are read as ipykernel reads them, and the
options given here take precedence over them, as command-line options do.
"""

from __future__ import annotations

import sys

from ipykernel.kernelapp import IPKernelApp
from traitlets.config import Config


class ForkedKernelApp(IPKernelApp):
    """ipykernel's kernel application, given its options as configuration, not as argv."""

    def parse_command_line(self, argv: list[str] | None = None) -> None:
        """Take no options from argv: they came as the constructor's ``config``.

        They are kept as the command line's configuration, which traitlets applies again
        over any configuration file.
        """
        self.argv = list(argv or [])
        self.extra_args = []
        self.cli_config = Config(self.config)


def start(connection_file: str, parent_pid: int) -> None:
    """Run a kernel on ``connection_file`` in this process until it is shut down.

    It keeps no input history on disk (no SQLite file shared by parallel kernels); the
    process's ``sys.argv`` says what ``python -m ipykernel_launcher`` would.
    """
    options = {"connection_file": connection_file}
    config = Config({"IPKernelApp": options, "HistoryManager": {"enabled": False}})
    sys.argv = [sys.executable, "-m", "ipykernel_launcher", "-f", connection_file,
                "--HistoryManager.enabled=False"]  # fmt: skip
    app = ForkedKernelApp.instance(parent_handle=parent_pid, config=config)
    app.initialize([])
    app.start()


def warm() -> None:
    """Do once, in the server, the first-use work every kernel repeats before its first cell.

    IPython turns each cell's text into Python with :mod:`tokenize`, whose regular
    expressions are compiled on first use: compiled here, every forked kernel inherits
    them. Nothing else is touched: no shell, no thread, no socket.
    """
    from IPython.core.inputtransformer2 import TransformerManager

    TransformerManager().transform_cell('import time as _t\nx = """a"""\n')
