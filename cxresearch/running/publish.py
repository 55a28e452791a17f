"""Parent-side publishing: the HTML export, PDF printing, the index page, atomic writes.

The runner calls :func:`render_html` on an executed notebook and :func:`write_index` after
each run; nothing here runs inside a notebook kernel.
"""

from __future__ import annotations

import contextlib
import html
import json
import os
import tempfile
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import nbformat

from cxresearch import config
from cxresearch.config import CONTEXT_MIME
from cxresearch.errors import ReportError, WriteError
from cxresearch.reporting import i18n
from cxresearch.running import exporter, portal, wording


def _frame_texts(language: i18n.Language) -> dict[str, str]:
    """Texts of the report frame (title block, contents, footer) in ``language``."""
    return {
        "summary": language.tr("Executive summary"),
        "contents": language.tr("Contents"),
        "period": language.tr("Period"),
        "scope": language.tr("Customers"),
        "created": language.tr("Created"),
        "report": language.tr("Report"),
        "parameters": language.tr("Parameters"),
        "database": language.tr("Database"),
        "fingerprint": language.tr("Data fingerprint"),
        "run": language.tr("Run"),
        "provenance": language.tr("How this report was made"),
        "technical": language.tr("Technical record"),
        "uncertainty": language.tr(
            "Every number comes with the count behind it (n) and its {confidence}% confidence "
            "interval. Groups under {suppress} respondents are not shown.",
            confidence=language.number(config.DEFAULT_CONFIDENCE * 100),
            suppress=language.number(config.DEFAULT_SUPPRESS_BELOW),
        ),
    }


def render(
    nb: nbformat.NotebookNode,
    *,
    provenance: Mapping[str, Any],
    language: str = "en",
    in_place: bool = False,
) -> tuple[str, dict[str, Any]]:
    """Render an executed notebook; return the HTML and what the index shows of it.

    See :func:`render_html` for the page. The summary holds ``title``, ``period`` (in
    words), ``period_start``, ``period_end``, ``scope``, ``language`` and ``findings``
    (the texts of :func:`show_headline`, numbers with their intervals).

    With ``in_place``, ``nb`` is exported as it is, not a copy, and left changed (the
    runner's executed notebook, written to disk already).
    """
    lang_ = i18n.Language(language)
    cx = dict(provenance)
    cx["text"] = _frame_texts(lang_)
    cx["database"] = wording.database_text(str(provenance.get("database", "")), lang_)
    resources = {"cx": cx, "metadata": {"name": str(provenance.get("notebook", "report"))}}
    # the footer's filters need the context the notebook's setup displayed: read it first
    context = next(
        (
            dict(out["data"][CONTEXT_MIME])
            for cell in nb.cells
            for out in cell.get("outputs", [])
            if CONTEXT_MIME in out.get("data", {})
        ),
        {},
    )
    cx["filters"] = wording.describe_filters(context, provenance.get("parameters", {}), lang_)
    body, resources = exporter.export(nb, resources, lang_, in_place=in_place)
    found = resources["cx"]
    summary = {
        "title": found.get("title", ""),
        "period": context.get("period", ""),
        "period_start": context.get("period_start"),
        "period_end": context.get("period_end"),
        "scope": context.get("scope", ""),
        "language": language,
        "filters": cx["filters"],
        "findings": list(found.get("findings", [])),
    }
    return body, summary


def prepare() -> None:
    """Build the HTML exporter and do its first-use work on a small made-up report.

    The notebook has what reports have (a title, sections with text, lists and emphasis,
    HTML outputs, a finding, a parameters cell), so that the templates, the markdown
    renderer and the notebook schema are compiled here, once, and not in the first report.
    """
    v4 = nbformat.v4
    html_out = v4.new_output("display_data", {"text/html": "<p>1</p>", "text/plain": "1"})
    finding = v4.new_output("display_data", {"text/html": "<p>2</p>"},
                            metadata={"cx": {"finding": "2"}})  # fmt: skip
    nb = v4.new_notebook(cells=[
        v4.new_markdown_cell("# Report\n\nText with **emphasis**."),
        v4.new_code_cell("x = 1", metadata={"tags": ["parameters"]}),
        v4.new_markdown_cell("## Section\n\n* **one**: [two](#three)\n* four, `five`"),
        v4.new_code_cell("x", outputs=[html_out, finding]),
    ])  # fmt: skip
    render(nb, provenance={"notebook": "report", "parameters": {}})


def prepare_in_background() -> None:
    """Start :func:`prepare` in a daemon thread, unless the exporter is built already.

    Run it after the process's kernel fork server has been started: a process with a
    second thread cannot start one.
    """
    if not exporter.is_built():
        threading.Thread(target=_prepare_quietly, name="cx-export-prepare", daemon=True).start()


def _prepare_quietly() -> None:
    with contextlib.suppress(Exception):  # the report's own render will say what is wrong
        prepare()


def render_html(
    nb: nbformat.NotebookNode, *, provenance: Mapping[str, Any], language: str = "en"
) -> str:
    """Render an executed notebook as one self-contained, designed HTML page.

    The page opens with a title block (report, period, customers, date), the executive
    summary (the findings the notebook showed with :func:`show_headline`) and a table of
    contents; markdown is translated into ``language``; code, prompts and the parameter
    cells are left out; figures are embedded; nothing loads from the network. The footer
    states the filters in words, and keeps the technical record (parameters, data
    fingerprint, package version, database, run time) in a collapsed ``<details>``.

    Parameters
    ----------
    nb
        The executed notebook.
    provenance
        Keys ``notebook, name, parameters, database, fingerprint, version,
        started_at, duration``.
    language
        Report language (:data:`cxresearch.config.LANGUAGES`), written to ``<html lang>``.

    Returns
    -------
    str
        The HTML document.
    """
    return render(nb, provenance=provenance, language=language)[0]


# -- printing ---------------------------------------------------------------------------

#: Environment variable naming the Chromium binary (default: ``chromium`` on the PATH).
CHROMIUM_ENV = "CX_CHROMIUM"

#: Chromium flags for a quiet, offline, headless browser (no background connections).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


def chromium_path() -> str:
    """The Chromium binary: ``CX_CHROMIUM``, else ``chromium`` on the PATH.

    Raises
    ------
    ReportError
        When no Chromium is installed.
    """
    import shutil

    found = os.environ.get(CHROMIUM_ENV) or shutil.which("chromium")
    if not found or not os.path.exists(found):
        raise ReportError(
            "printing to PDF needs Chromium: install Debian's chromium "
            "(apt-get install chromium) or set CX_CHROMIUM to its path",
            "render",
        )
    return found


def print_pdf(html_path: Path, pdf_path: Path | None = None) -> Path:
    """Print a report to PDF through headless Chromium, with its print styles.

    The page is opened from disk with every network request refused, so the PDF shows
    exactly what the self-contained file holds. The PDF is written atomically.

    Parameters
    ----------
    html_path
        A rendered report.
    pdf_path
        Where to write the PDF; default beside the HTML with a ``.pdf`` suffix.

    Returns
    -------
    pathlib.Path
        The PDF written.
    """
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        raise ReportError(
            "printing to PDF needs Playwright: pip install 'cxresearch[pdf]'", "render"
        ) from None

    html_path = Path(html_path).resolve()
    pdf_path = Path(pdf_path) if pdf_path else html_path.with_suffix(".pdf")
    fd, tmp = tempfile.mkstemp(prefix=f".{pdf_path.name}.", suffix=".tmp", dir=pdf_path.parent)
    os.close(fd)
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
            try:
                page = browser.new_page()
                page.route(
                    "**/*",
                    lambda route: (
                        route.continue_()
                        if route.request.url.startswith(("file:", "data:"))
                        else route.abort()
                    ),
                )
                page.goto(html_path.as_uri(), wait_until="load")
                page.emulate_media(media="print")
                meta = "name => document.querySelector(`meta[name='${name}']`)?.content || ''"
                header, footer = running_titles(
                    page.title(),
                    page.evaluate(meta, "cx:period"),
                    page.evaluate(meta, "cx:created"),
                )
                page.pdf(
                    path=tmp,
                    format="A4",
                    print_background=True,
                    display_header_footer=True,
                    header_template=header,
                    footer_template=footer,
                    margin={"top": "18mm", "bottom": "18mm", "left": "12mm", "right": "12mm"},
                )
            finally:
                browser.close()
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, pdf_path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return pdf_path


_RUNNING = (
    '<div style="font-size:8px;width:100%;padding:0 12mm;box-sizing:border-box;color:#555;'
    'display:flex;justify-content:{justify};font-family:system-ui,sans-serif">{content}</div>'
)


def running_titles(title: str, period: str, created: str) -> tuple[str, str]:
    """Chromium header and footer templates for a report's printed pages.

    The header repeats the report's title and period; the footer gives the date the report
    was made and the page number of the total. Texts are escaped.
    """
    header = _RUNNING.format(
        justify="space-between",
        content=f"<span>{html.escape(title)}</span><span>{html.escape(period)}</span>",
    )
    footer = _RUNNING.format(
        justify="space-between",
        content=(
            f"<span>{html.escape(created)}</span>"
            '<span><span class="pageNumber"></span> / <span class="totalPages"></span></span>'
        ),
    )
    return header, footer


# -- the index page ------------------------------------------------------------------------


def read_records(reports_dir: Path) -> list[dict[str, Any]]:
    """Read the run records (``reports/<notebook>/<name>.json``) under ``reports_dir``."""
    records = []
    for path in sorted(Path(reports_dir).glob("*/*.json")):
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            continue
        if isinstance(record, dict) and "notebook" in record:
            records.append(record)
    return records


def _write_index(reports_dir: Path) -> Path:
    """Write ``reports_dir/index.html``, the report portal (:mod:`cxresearch.running.portal`)."""
    reports_dir = Path(reports_dir)
    target = reports_dir / "index.html"
    write_atomic(target, portal.index_page(reports_dir, read_records(reports_dir)))
    return target


def write_index(reports_dir: Path) -> Path:
    """Write ``reports_dir/index.html``, every report with its status, under a file lock.

    Batches running at once may share a reports folder: the lock keeps their rewrites of
    the index from interleaving, and each rewrite is one atomic rename.

    Returns
    -------
    pathlib.Path
        Path of the index page.
    """
    import fcntl

    reports_dir = Path(reports_dir)
    reports_dir.mkdir(parents=True, exist_ok=True)
    with open(reports_dir / ".index.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            return _write_index(reports_dir)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file and one rename.

    Raises
    ------
    WriteError
        When the file cannot be written (disk full, read-only folder, permission denied):
        one line naming the file and the reason. The file as it was stays, and no
        temporary file is left behind.
    """
    path = Path(path)
    tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except OSError as exc:
        _remove(tmp)
        raise WriteError(f"could not write {path}: {exc.strerror or exc}", exc.errno) from None
    except BaseException:
        _remove(tmp)
        raise


def _remove(tmp: str | None) -> None:
    if tmp is not None:
        try:
            os.unlink(tmp)
        except OSError:
            pass
