"""Report rendering: display helpers for notebooks, the HTML exporter, the index page.

Notebooks call :func:`show_table` and :func:`show_headline`; the runner calls
:func:`render_html` on an executed notebook and :func:`write_index` after each run.
"""

from __future__ import annotations

import base64
import html
import io
import json
import os
import re
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import nbformat
import pandas as pd
from IPython.display import HTML, display
from nbconvert import HTMLExporter
from nbconvert.preprocessors import Preprocessor, TagRemovePreprocessor

TEMPLATES_DIR = Path(__file__).parent / "templates"
#: Cell tags whose cells never reach the HTML.
HIDDEN_TAGS = {"parameters", "injected-parameters", "remove"}
_REPR = re.compile(r"^<[^<>]*>$|^<.* at 0x[0-9a-f]+>$", re.DOTALL)


def fmt_number(value: float, decimals: int = 0) -> str:
    """Format a number with a thousands separator (``1,234.5``); NaN becomes ``–``."""
    if value is None or pd.isna(value):
        return "–"
    return f"{value:,.{decimals}f}"


def estimate_text(
    row: Mapping[str, Any], *, scale: float = 100, decimals: int = 0, unit: str = ""
) -> str:
    """One estimate as stakeholders read it: value, interval and n.

    Examples
    --------
    >>> estimate_text({"estimate": 0.3, "ci_low": 0.1469, "ci_high": 0.4531,
    ...                "confidence": 0.95, "n": 100})
    '30 (95% CI 15 to 45; n = 100)'
    """
    conf = f"{row.get('confidence', 0.95) * 100:g}%"
    est = fmt_number(row["estimate"] * scale, decimals)
    low = fmt_number(row["ci_low"] * scale, decimals)
    high = fmt_number(row["ci_high"] * scale, decimals)
    return f"{est}{unit} ({conf} CI {low} to {high}{unit}; n = {fmt_number(row['n'])})"


def interval_text(table: pd.DataFrame, *, scale: float = 1.0, decimals: int = 0) -> list[str]:
    """``"low to high"`` for each row's ``ci_low`` and ``ci_high``, formatted for display."""
    return [
        f"{fmt_number(lo * scale, decimals)} to {fmt_number(hi * scale, decimals)}"
        for lo, hi in zip(table["ci_low"], table["ci_high"], strict=True)
    ]


def change_text(
    label: str,
    current: Mapping[str, Any],
    change: Mapping[str, Any],
    *,
    scale: float = 100,
    unit: str = "",
    since: str = "the previous period",
) -> str:
    """A headline: the current value with its interval and n, and the tested change.

    Examples
    --------
    >>> now = {"estimate": 0.32, "ci_low": 0.28, "ci_high": 0.36, "n": 1234,
    ...        "confidence": 0.95}
    >>> ch = {"difference": 0.05, "p_adjusted": 0.01, "significant": True}
    >>> change_text("NPS", now, ch, since="Q2")
    'NPS 32 (95% CI 28 to 36; n = 1,234), up 5 points since Q2 (p = 0.010): a significant change.'
    """
    if current.get("suppressed", False):
        return f"{label}: too few respondents to show."
    head = f"{label} {estimate_text(current, scale=scale, unit=unit)}"
    diff = change.get("difference")
    if diff is None or pd.isna(diff):
        return head + "."
    points = "points" if not unit else "percentage points"
    direction = "up" if diff > 0 else "down" if diff < 0 else "unchanged,"
    amount = fmt_number(abs(diff) * scale)
    verdict = "a significant change" if change.get("significant") else "not a significant change"
    p = change.get("p_adjusted", change.get("p_value"))
    return f"{head}, {direction} {amount} {points} since {since} (p = {p:.3f}): {verdict}."


def change_table(
    changes: pd.DataFrame, labels: Mapping[str, str], *, scale: float = 100, decimals: int = 1
) -> pd.DataFrame:
    """Format the output of :func:`cxresearch.compare.difference` for display."""
    out = pd.DataFrame({head: changes[col].astype(str) for col, head in labels.items()})
    out["Now"] = [fmt_number(v * scale, decimals) for v in changes["estimate_a"]]
    out["Before"] = [fmt_number(v * scale, decimals) for v in changes["estimate_b"]]
    out["Change"] = [fmt_number(v * scale, decimals) for v in changes["difference"]]
    out["95% CI of change"] = interval_text(changes, scale=scale, decimals=decimals)
    out["n now / before"] = [
        f"{fmt_number(a)} / {fmt_number(b)}"
        for a, b in zip(changes["n_a"], changes["n_b"], strict=True)
    ]
    out["p (adjusted)"] = [f"{p:.3f}" if not pd.isna(p) else "–" for p in changes["p_adjusted"]]
    out["Significant"] = ["yes" if s else "" for s in changes["significant"]]
    return out


def metric_table(
    table: pd.DataFrame,
    labels: Mapping[str, str],
    *,
    scale: float = 100,
    decimals: int = 1,
    estimate_label: str = "Estimate",
) -> pd.DataFrame:
    """Format a metric table for display: labels, estimate, interval, n and a note.

    Parameters
    ----------
    table
        A metric table (``estimate, ci_low, ci_high, n`` and optionally ``suppressed``
        and ``unreliable``).
    labels
        Group columns to show, mapped to their display headings.
    scale, decimals
        Display scale (100: percent or NPS points) and decimals.
    estimate_label
        Heading of the estimate column.

    Returns
    -------
    pandas.DataFrame
        Strings, one row per group, ready for :func:`show_table`.
    """
    out = pd.DataFrame({head: table[col].astype(str) for col, head in labels.items()})
    conf = f"{table['confidence'].iloc[0] * 100:g}%" if len(table) else "95%"
    out[estimate_label] = [fmt_number(v * scale, decimals) for v in table["estimate"]]
    out[f"{conf} CI"] = interval_text(table, scale=scale, decimals=decimals)
    out["n"] = [fmt_number(v) for v in table["n"]]
    if "suppressed" in table or "unreliable" in table:
        notes = []
        for _, row in table.iterrows():
            if row.get("suppressed", False):
                notes.append("too few respondents to show")
            elif row.get("unreliable", False):
                notes.append("small group or wide interval: read with care")
            else:
                notes.append("")
        out["Note"] = notes
    return out


def show_table(table: pd.DataFrame, caption: str = "") -> None:
    """Display a table as escaped HTML with the report's table style."""
    body = table.to_html(index=False, escape=True, classes="cx-table", border=0)
    if caption:
        body = re.sub(
            r"(<table[^>]*>)",
            lambda m: f"{m.group(1)}<caption>{html.escape(caption)}</caption>",
            body,
            count=1,
        )
    display(HTML(body))


def show_figure(ax_or_fig, alt: str, *, dpi: int = 110) -> None:
    """Display a figure as an embedded PNG with alt text, then close it.

    Parameters
    ----------
    ax_or_fig
        A matplotlib Axes (as the plot functions return) or Figure.
    alt
        What the chart shows, for readers who cannot see it.
    dpi
        Resolution of the PNG.
    """
    if not alt.strip():
        raise ValueError("every chart needs alt text saying what it shows")
    fig = getattr(ax_or_fig, "figure", ax_or_fig)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight")
    plt.close(fig)
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    display({"image/png": data}, raw=True, metadata={"image/png": {"alt": alt}})


def show_note(text: str) -> None:
    """Display a short note in small print (assumptions, caveats); text is escaped."""
    display(HTML(f'<p class="cx-note">{html.escape(text)}</p>'))


def plain_table(table: pd.DataFrame, labels: Mapping[str, str], *, decimals: int = 2):
    """Rename and format a small table of counts and means for display."""
    out = table[list(labels)].rename(columns=dict(labels)).copy()
    for col in out.columns:
        if pd.api.types.is_integer_dtype(out[col]):
            out[col] = [fmt_number(v) for v in out[col]]
        elif pd.api.types.is_float_dtype(out[col]):
            out[col] = [fmt_number(v, decimals) for v in out[col]]
    return out


def share_table(concentration: pd.DataFrame) -> pd.DataFrame:
    """Format :func:`cxresearch.value.revenue_concentration` for display."""
    return pd.DataFrame({
        "Top customers by spend": [f"{v:.0%}" for v in concentration["customer_share"]],
        "Customers": [fmt_number(v) for v in concentration["customers"]],
        "Share of revenue": [f"{v:.0%}" for v in concentration["revenue_share"]],
    })  # fmt: skip


def group_share_table(shares: pd.DataFrame, group: str, heading: str) -> pd.DataFrame:
    """Format :func:`cxresearch.value.revenue_share_by_group` for display."""
    return pd.DataFrame({
        heading: shares[group].astype(str),
        "Customers": [fmt_number(v) for v in shares["customers"]],
        "Share of customers": [f"{v:.0%}" for v in shares["customer_share"]],
        "Share of revenue": [f"{v:.0%}" for v in shares["revenue_share"]],
    })  # fmt: skip


def risk_table(risk: pd.DataFrame, level: str = "satisfaction_level") -> pd.DataFrame:
    """Format :func:`cxresearch.value.revenue_at_risk_observed` for display."""
    return pd.DataFrame({
        "Satisfaction level": risk[level].astype(str),
        "Customers": [fmt_number(v) for v in risk["customers"]],
        "Left (%)": [fmt_number(v * 100, 1) for v in risk["churn_rate"]],
        "Monthly revenue lost": [fmt_number(v) for v in risk["estimate"]],
        "95% CI": interval_text(risk),
    })  # fmt: skip


def driver_table(drivers: pd.DataFrame) -> pd.DataFrame:
    """Format :func:`cxresearch.drivers.key_drivers` for display."""
    return pd.DataFrame({
        "Attribute": drivers["attribute"].str.replace("_", " "),
        "Relative weight": [fmt_number(v, 3) for v in drivers["estimate"]],
        "95% CI": interval_text(drivers, decimals=3),
        "Share": [f"{v:.0%}" for v in drivers["share"]],
        "Mean rating": [fmt_number(v, 2) for v in drivers["performance"]],
        "n": [fmt_number(v) for v in drivers["n"]],
    })  # fmt: skip


def silent_table(table: pd.DataFrame, labels: Mapping[str, str]) -> pd.DataFrame:
    """Format :func:`cxresearch.service.silent_dissatisfaction` for display."""
    out = pd.DataFrame({head: table[col].astype(str) for col, head in labels.items()})
    out["Silent per complaint"] = [fmt_number(v) for v in table["estimate"]]
    out["95% CI"] = interval_text(table)
    out["Unhappy contacts (n)"] = [fmt_number(v) for v in table["n"]]
    out["Complaints"] = [fmt_number(v) for v in table["complaints"]]
    return out


def correlation_table(table: pd.DataFrame, labels: Mapping[str, str]) -> pd.DataFrame:
    """Format correlations (``estimate, ci_low, ci_high, n, p_value``) for display."""
    out = pd.DataFrame({head: table[col].astype(str) for col, head in labels.items()})
    out["r"] = [fmt_number(v, 2) for v in table["estimate"]]
    out["95% CI"] = interval_text(table, decimals=2)
    out["n"] = [fmt_number(v) for v in table["n"]]
    out["p"] = [f"{p:.3f}" for p in table["p_value"]]
    return out


def theme_table(found: pd.DataFrame, labels: Mapping[str, str] | None = None) -> pd.DataFrame:
    """Format :func:`cxresearch.comments.detractor_themes` for display."""
    out = pd.DataFrame({head: found[col].astype(str) for col, head in (labels or {}).items()})
    out["Theme"] = found["theme"].str.replace("_", " ").to_numpy()
    out["Detractors (%)"] = [fmt_number(v * 100, 1) for v in found["share_detractors"]]
    out["Promoters (%)"] = [fmt_number(v * 100, 1) for v in found["share_promoters"]]
    out["Difference"] = [fmt_number(v * 100, 1) for v in found["difference"]]
    out["95% CI"] = interval_text(found, scale=100, decimals=1)
    out["n (det. / prom.)"] = [
        f"{fmt_number(a)} / {fmt_number(b)}"
        for a, b in zip(found["n_detractors"], found["n_promoters"], strict=True)
    ]
    out["p (adjusted)"] = [f"{p:.3f}" for p in found["p_adjusted"]]
    out["Over-represented"] = ["yes" if v else "" for v in found["over_represented"]]
    return out


def show_headline(text: str) -> None:
    """Display a key finding in the report's headline box (text is escaped)."""
    display(HTML(f'<p class="cx-headline">{html.escape(text)}</p>'))


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


def _title(nb: nbformat.NotebookNode) -> str:
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    return ""


def render_html(
    nb: nbformat.NotebookNode, *, provenance: Mapping[str, Any], language: str = "en"
) -> str:
    """Render an executed notebook as one self-contained HTML page.

    Code, prompts and the parameter cells are left out, figures are embedded, nothing
    loads from the network, and a provenance footer lists parameters, data fingerprint,
    package version and run time.

    Parameters
    ----------
    nb
        The executed notebook.
    provenance
        Keys ``notebook, name, parameters, database, fingerprint, version,
        started_at, duration``.
    language
        Language code written to ``<html lang>``.

    Returns
    -------
    str
        The HTML document.
    """
    exporter = HTMLExporter(
        template_name="cxreport",
        extra_template_basedirs=[str(TEMPLATES_DIR)],
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        language_code=language,
    )
    exporter.register_preprocessor(
        TagRemovePreprocessor(remove_cell_tags=HIDDEN_TAGS, enabled=True), enabled=True
    )
    exporter.register_preprocessor(_CleanOutputs(enabled=True), enabled=True)
    title = _title(nb) or str(provenance.get("notebook", "Report"))
    resources = {"cx": dict(provenance), "metadata": {"name": title}}
    body, _ = exporter.from_notebook_node(nb, resources=resources)
    return body


# -- the index page ------------------------------------------------------------------------

_INDEX_CSS = """
body { font-family: system-ui, sans-serif; max-width: 1000px; margin: 2rem auto;
       padding: 0 1rem; color: #222; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 0.35rem 0.6rem; border-bottom: 1px solid #ddd;
         vertical-align: top; }
.failed { color: #A04000; font-weight: 600; }
.ok { color: #006D2C; }
pre { white-space: pre-wrap; margin: 0; font-size: 0.8rem; }
"""


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
    """Write ``reports_dir/index.html``: every report with its status, linked.

    Returns
    -------
    pathlib.Path
        Path of the index page.
    """
    reports_dir = Path(reports_dir)
    rows = []
    for rec in read_records(reports_dir):
        params = rec.get("parameters", {})
        start, end = params.get("period_start"), params.get("period_end")
        period = f"{start or '…'} to {end or '…'}" if start or end else "whole period"
        segment = ", ".join(str(v) for k in ("segment", "country") for v in (params.get(k) or []))
        link = rec.get("html")
        name = html.escape(f"{rec['notebook']} / {rec['name']}")
        cell = f'<a href="{html.escape(link)}">{name}</a>' if link else name
        status = rec.get("status", "?")
        error = f"<pre>{html.escape(rec.get('error') or '')}</pre>" if status == "failed" else ""
        rows.append(
            f"<tr><td>{cell}</td><td>{html.escape(period)}</td>"
            f"<td>{html.escape(segment or 'all')}</td>"
            f"<td>{html.escape(str(params.get('language', 'en')))}</td>"
            f'<td class="{html.escape(status)}">{html.escape(status)}{error}</td>'
            f"<td>{html.escape(rec.get('finished_at', ''))}</td></tr>"
        )
    page = (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        "<title>cxresearch reports</title>"
        f"<style>{_INDEX_CSS}</style></head><body><h1>cxresearch reports</h1>"
        "<table><thead><tr><th>Report</th><th>Period</th><th>Segment / country</th>"
        "<th>Language</th><th>Status</th><th>Finished</th></tr></thead><tbody>"
        + "".join(rows)
        + "</tbody></table></body></html>\n"
    )
    target = reports_dir / "index.html"
    write_atomic(target, page)
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
    """Write ``text`` to ``path`` through a temporary file and one rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
