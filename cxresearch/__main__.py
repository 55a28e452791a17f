"""``python -m cxresearch``: the same as the ``cxresearch`` command."""

from cxresearch.launch import main

main()
