"""Loaded by `make lab` (IPYTHONDIR points here).

Edits to cxresearch/ are picked up by running notebooks without restarting the kernel.
"""

from IPython import get_ipython

_ip = get_ipython()
if _ip is not None:
    _ip.run_line_magic("load_ext", "autoreload")
    _ip.run_line_magic("autoreload", "2")
