"""Kernel-side report helpers: what a notebook calls to build its report.

One namespace for notebooks: :func:`start` opens a report and returns its context
(:mod:`cxresearch.reporting.context`); tables (:mod:`~cxresearch.reporting.tables`,
:mod:`~cxresearch.reporting.themes`), texts in the report's language
(:mod:`~cxresearch.reporting.texts`) and the ``show_*`` display helpers
(:mod:`~cxresearch.reporting.display`). A notebook calls them as ``cx.report.<name>``
(its opening cell binds ``report, plots = cx.report, cx.plots``), so that each call is
made in that report's language whatever else ran in the kernel. Everything here runs
inside the notebook's kernel; the parent-side export (HTML, PDF, index) is
:mod:`cxresearch.running.publish`.
"""

from __future__ import annotations

from cxresearch.reporting.context import Context as Context
from cxresearch.reporting.context import setup as setup
from cxresearch.reporting.context import start as start
from cxresearch.reporting.display import order_findings as order_findings
from cxresearch.reporting.display import show_figure as show_figure
from cxresearch.reporting.display import show_findings as show_findings
from cxresearch.reporting.display import show_headline as show_headline
from cxresearch.reporting.display import show_note as show_note
from cxresearch.reporting.display import show_table as show_table
from cxresearch.reporting.notes import lacks as lacks  # sections without their data
from cxresearch.reporting.notes import missing_text as missing_text
from cxresearch.reporting.notes import require as require
from cxresearch.reporting.notes import show_missing as show_missing
from cxresearch.reporting.notes import show_scales as show_scales
from cxresearch.reporting.notes import stop_missing as stop_missing
from cxresearch.reporting.tables import Table as Table  # the table formatter
from cxresearch.reporting.tables import table as table
from cxresearch.reporting.texts import MAX_EXTRA_DECIMALS as MAX_EXTRA_DECIMALS
from cxresearch.reporting.texts import change_text as change_text
from cxresearch.reporting.texts import ci_label as ci_label
from cxresearch.reporting.texts import estimate_text as estimate_text
from cxresearch.reporting.texts import fmt_number as fmt_number
from cxresearch.reporting.texts import fmt_p as fmt_p
from cxresearch.reporting.texts import interval_decimals as interval_decimals
from cxresearch.reporting.texts import interval_text as interval_text
from cxresearch.reporting.texts import lang as lang
from cxresearch.reporting.texts import p_text as p_text
from cxresearch.reporting.themes import theme_table as theme_table
