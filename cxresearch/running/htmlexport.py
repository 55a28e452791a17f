"""The report page's HTML exporter itself: nbconvert's, with our template and steps.

Imported by :mod:`cxresearch.running.exporter` when the exporter is first built (in a
single run, in a thread while the cells run), so that a run does not wait for nbconvert
(about 0.4 s of imports) before it asks for its kernel.
"""

from __future__ import annotations

import contextlib
import html
import re
from pathlib import Path

from jinja2 import FileSystemBytecodeCache
from jinja2.bccache import Bucket
from nbconvert import HTMLExporter, TemplateExporter
from nbconvert.filters.highlight import Highlight2HTML
from nbconvert.filters.widgetsdatatypefilter import WidgetsDataTypeFilter
from nbconvert.preprocessors import Preprocessor, TagRemovePreprocessor
from traitlets.config import Config

from cxresearch.config import CONTEXT_MIME
from cxresearch.reporting import i18n

TEMPLATES_DIR = Path(i18n.__file__).parent / "templates"
#: Cell tags whose cells never reach the HTML.
HIDDEN_TAGS = {"parameters", "injected-parameters", "remove"}
_REPR = re.compile(r"^<[^<>]*>$|^<.* at 0x[0-9a-f]+>$", re.DOTALL)


class _CleanOutputs(Preprocessor):
    """Drop stderr streams and bare object reprs such as ``<Axes: ...>``."""

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type == "code":
            kept = []
            for out in cell.get("outputs", []):
                if out.get("output_type") == "stream" and out.get("name") == "stderr":
                    continue
                data = out.get("data", {})
                if out.get("output_type") == "execute_result" and set(data) == {"text/plain"}:
                    if _REPR.match(str(data["text/plain"]).strip()):
                        continue
                kept.append(out)
            cell.outputs = kept
        return cell, resources


class Structure(Preprocessor):
    """Translate markdown, lift out the title, number the sections, gather the findings.

    Fills ``resources["cx"]`` with ``title``, ``toc`` (section id and heading),
    ``findings`` (the texts of :func:`show_headline`) and ``context`` (from :func:`setup`).
    """

    def __init__(self, language: i18n.Language, **kwargs) -> None:
        super().__init__(**kwargs)
        self.language = language

    def preprocess(self, nb, resources):
        """Structure ``nb`` (see the class); return it and the filled ``resources``."""
        cx = resources.setdefault("cx", {})
        cx.setdefault("title", "")
        cx["toc"], cx["findings"], cx["context"] = [], [], {}
        nb.cells = _until_stop(nb.cells)
        for cell in nb.cells:
            if cell.cell_type == "markdown":
                cell.source = self._markdown(cell.source, cx)
            elif cell.cell_type == "code":
                kept = []
                for out in cell.get("outputs", []):
                    data = out.get("data", {})
                    if CONTEXT_MIME in data:
                        cx["context"] = dict(data[CONTEXT_MIME])
                        continue
                    found = out.get("metadata", {}).get("cx", {}).get("finding")
                    if found:  # shown once, in the executive summary at the top
                        cx["findings"].append(str(found))
                        continue
                    kept.append(out)
                cell.outputs = kept
        if cx["title"]:
            resources.setdefault("metadata", {})["name"] = cx["title"]
        return nb, resources

    def _markdown(self, source: str, cx: dict) -> str:
        out: list[str] = []
        for line in i18n.translate_markdown(source, self.language).split("\n"):
            if line.startswith("# ") and not cx["title"]:
                cx["title"] = line[2:].strip()
                continue
            if line.startswith("## "):
                text = line[3:].strip()
                anchor = f"section-{len(cx['toc']) + 1}"
                cx["toc"].append({"id": anchor, "text": text})
                line = f'<h2 id="{anchor}">{html.escape(text)}</h2>'
            out.append(line)
        return "\n".join(out).strip()


def _until_stop(cells: list) -> list:
    """The cells up to the one that stopped the report (``report.stop``), if any."""
    for index, cell in enumerate(cells):
        for out in cell.get("outputs", []):
            if out.get("metadata", {}).get("cx", {}).get("stop"):
                return cells[: index + 1]
    return cells


#: Opening tags nbconvert's HTML exporter edits after rendering (see :class:`ReportExporter`).
_IMG_NO_ALT = re.compile(r"<img(?![^>]*\salt=)(\s[^>]*)?>", re.IGNORECASE)
_FOCUSABLE = re.compile(
    r'<div class="([^"<>]*\b(?:jp-OutputArea-output|jp-Cell-inputWrapper)\b[^"<>]*)"'
)


class ReportExporter(HTMLExporter):
    """nbconvert's HTML exporter, without its second pass through BeautifulSoup.

    After rendering, ``HTMLExporter`` parses the whole page with BeautifulSoup to give
    images without one an ``alt`` text and make cells' areas focusable (``tabindex``),
    then serialises the page again: about half of an export's time. The template's own
    opening tags are edited here instead; the page is the same document
    (``tests/test_exporter.py`` compares it, re-parsed, with ``HTMLExporter``'s).
    """

    def from_notebook_node(self, nb, resources=None, **kw):
        """Render ``nb``; what ``HTMLExporter.from_notebook_node`` does, minus the re-parse."""
        langinfo = nb.metadata.get("language_info", {})
        lexer = langinfo.get("pygments_lexer", langinfo.get("name", None))
        highlight_code = self.filters.get(
            "highlight_code", Highlight2HTML(pygments_lexer=lexer, parent=self)
        )
        resources = self._init_resources(resources)
        data_type = WidgetsDataTypeFilter(
            notebook_metadata=self._nb_metadata, parent=self, resources=resources
        )
        self.register_filter("highlight_code", highlight_code)
        self.register_filter("filter_data_type", data_type)
        page, resources = TemplateExporter.from_notebook_node(self, nb, resources, **kw)
        alt = ' alt="No description has been provided for this image"'
        page = _IMG_NO_ALT.sub(lambda m: f"<img{m.group(1) or ''}{alt}>", page)
        page = _FOCUSABLE.sub(lambda m: f'<div class="{m.group(1)}" tabindex="0"', page)
        return page, resources


class TemplateCache(FileSystemBytecodeCache):
    """jinja's cache of compiled templates, never a reason for a report to fail.

    A cache file that cannot be read or written (a full or read-only folder) only means
    the template is compiled again, as without a cache.
    """

    def load_bytecode(self, bucket: Bucket) -> None:
        """Load ``bucket``'s compiled template if it can be read."""
        with contextlib.suppress(OSError):
            super().load_bytecode(bucket)

    def dump_bytecode(self, bucket: Bucket) -> None:
        """Keep ``bucket``'s compiled template if it can be written."""
        with contextlib.suppress(OSError):
            super().dump_bytecode(bucket)


def template_cache(directory: str | None = None) -> TemplateCache | None:
    """The templates' cache: they compile to Python once per machine, not once per process.

    By default jinja's own folder for the user (``_jinja2-cache-<uid>`` in the temporary
    folder, created private and refused if anyone else owns it); None (no cache) when it
    cannot be used.
    """
    try:
        return TemplateCache(directory)
    except (OSError, RuntimeError):
        return None


def build(kind: type[HTMLExporter] = ReportExporter) -> tuple[HTMLExporter, Structure]:
    """A new report exporter (of class ``kind``) and its structure step."""
    html_exporter = kind(
        template_name="cxreport",
        extra_template_basedirs=[str(TEMPLATES_DIR)],
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        # the notebook is validated once, after the last step, not after each of ~15
        optimistic_validation=True,
        # code is never shown: the syntax-highlighting stylesheet (JupyterLab's) stays out
        config=Config({"CSSHTMLHeaderPreprocessor": {"enabled": False}}),
    )
    html_exporter.environment.bytecode_cache = template_cache()
    html_exporter.register_preprocessor(
        TagRemovePreprocessor(remove_cell_tags=HIDDEN_TAGS, enabled=True), enabled=True
    )
    html_exporter.register_preprocessor(_CleanOutputs(enabled=True), enabled=True)
    structure = Structure(i18n.Language("en"), enabled=True)
    html_exporter.register_preprocessor(structure, enabled=True)
    return html_exporter, structure
