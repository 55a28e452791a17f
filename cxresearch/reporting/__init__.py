"""The reporting layer: what runs inside a notebook kernel.

Display helpers (``report.setup`` and ``report.show_*``), tables, charts and the report
languages. The parent-side export (HTML, PDF, index) is :mod:`cxresearch.running.publish`.
"""
