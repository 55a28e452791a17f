"""The report portal: ``reports/index.html`` as a stakeholder reads it.

Each report shows its real title, period in words, audience (segment, country, language),
its first headline numbers with their intervals, its status and a readable date, grouped by
notebook. A small inline script filters the list without a server; the reports themselves
stay script-free. Links are built only from URL-encoded relative paths, so no folder name
can become a ``javascript:`` link, and a PDF is linked only when it was printed from the
current render.
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Iterable, Mapping
from itertools import groupby
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import quote

from babel import Locale

from cxresearch.reporting import i18n

#: How many headline findings each report shows in the index.
FINDINGS_SHOWN = 3
_ENGLISH = Locale.parse("en")

_CSS = """
*, *::before, *::after { box-sizing: border-box; }
body { font: 16px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1b1f24;
       max-width: 1100px; margin: 0 auto; padding: 1.2rem 1rem 3rem; }
h1 { font-size: 1.6rem; margin: 0 0 0.8rem; }
h2 { font-size: 1.2rem; margin: 1.8rem 0 0.6rem; border-bottom: 2px solid #0072B2;
     padding-bottom: 0.2rem; }
h2 small { font-weight: normal; color: #59636e; font-size: 0.9rem; }
label { display: block; font-size: 0.9rem; color: #59636e; }
input[type=search] { width: 100%; max-width: 28rem; font: inherit; padding: 0.4rem 0.6rem;
                     border: 1px solid #b9c1ca; border-radius: 4px; }
.cx-cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(min(100%, 20rem), 1fr));
            gap: 0.8rem; }
.cx-card { border: 1px solid #d8dde3; border-radius: 6px; padding: 0.7rem 0.9rem;
           overflow-wrap: anywhere; }
.cx-card h3 { font-size: 1.05rem; margin: 0 0 0.3rem; }
.cx-card a { color: #0072B2; }
.cx-meta { font-size: 0.88rem; color: #444; margin: 0.15rem 0; }
.cx-card ul { margin: 0.4rem 0; padding-left: 1.1rem; font-size: 0.88rem; }
.cx-card li { margin: 0.2rem 0; }
.ok { color: #006D2C; font-weight: 600; }
.failed { color: #A04000; font-weight: 600; }
pre { white-space: pre-wrap; margin: 0.3rem 0 0; font-size: 0.8rem; }
[hidden] { display: none !important; }
"""

#: Filters the cards by every word typed; the only script of the portal (reports have none).
_SCRIPT = """
(function () {
  var box = document.getElementById("cx-filter");
  box.addEventListener("input", function () {
    var words = box.value.toLowerCase().split(/\\s+/).filter(Boolean);
    document.querySelectorAll(".cx-card").forEach(function (card) {
      var text = card.getAttribute("data-search");
      card.hidden = !words.every(function (w) { return text.indexOf(w) >= 0; });
    });
    document.querySelectorAll(".cx-group").forEach(function (group) {
      group.hidden = !group.querySelector(".cx-card:not([hidden])");
    });
  });
})();
"""


def safe_href(path: str | None) -> str | None:
    """A relative link to ``path`` (``folder/name.html``), URL-encoded; None if unsafe.

    Every character that could start a scheme (``:``), a query (``?``) or a fragment
    (``#``) is encoded, so ``javascript:alert(1)/x.html`` stays a relative path and
    ``Q1 #2.html`` links to that file. Absolute paths and ``..`` are refused.

    Examples
    --------
    >>> safe_href("javascript:alert(32);a=1/default.html")
    'javascript%3Aalert%2832%29%3Ba%3D1/default.html'
    >>> safe_href("nps_overview/Q1 #2.html")
    'nps_overview/Q1%20%232.html'
    >>> safe_href("../etc/passwd") is None and safe_href("/etc/passwd") is None
    True
    """
    if not path:
        return None
    parts = PurePosixPath(str(path).replace("\\", "/")).parts
    if not parts or parts[0] == "/" or ".." in parts or str(path).startswith("//"):
        return None
    return "/".join(quote(part, safe="") for part in parts)


def _when(stamp: str | None) -> str:
    """``5 Dec 2026, 14:32 UTC`` from an ISO time stamp."""
    if not stamp:
        return ""
    try:
        moment = dt.datetime.fromisoformat(stamp).astimezone(dt.UTC)
    except ValueError:
        return stamp
    return f"{moment.day} {moment:%b %Y, %H:%M} UTC"


def _audience(params: Mapping[str, Any]) -> str:
    """``B2B · Denmark · Swedish``: who the report is about and its language."""
    segments = [str(s) for s in params.get("segment") or []]
    countries = [
        _ENGLISH.territories.get(str(c).upper(), str(c)) for c in params.get("country") or []
    ]
    language = str(params.get("language") or "en")
    who = ", ".join(segments + countries) or "All customers"
    return f"{who} · {_ENGLISH.languages.get(language, language)}"


def _period(summary: Mapping[str, Any], params: Mapping[str, Any]) -> str:
    start = summary.get("period_start") or params.get("period_start")
    end = summary.get("period_end") or params.get("period_end")
    if start and end:
        return i18n.Language("en").span(start, end)
    return "Whole period"


def _card(rec: Mapping[str, Any], reports_dir: Path) -> str:
    params = rec.get("parameters") or {}
    summary = rec.get("summary") or {}
    title = str(summary.get("title") or f"{rec.get('notebook')} / {rec.get('name')}")
    href = safe_href(rec.get("html"))
    target = reports_dir / str(rec.get("html") or "")
    if href and target.is_file():
        heading = f'<a href="{html.escape(href)}">{html.escape(title)}</a>'
        pdf = target.with_suffix(".pdf")
        if pdf.is_file() and pdf.stat().st_mtime >= target.stat().st_mtime:
            pdf_href = html.escape(href.rsplit(".", 1)[0] + ".pdf")
            heading += f' <small>(<a href="{pdf_href}">PDF</a>)</small>'
    else:
        heading = html.escape(title)
    status = str(rec.get("status", "?"))
    period, audience, when = (
        _period(summary, params),
        _audience(params),
        _when(rec.get("finished_at")),
    )
    findings = "".join(
        f"<li>{html.escape(str(f))}</li>"
        for f in list(summary.get("findings") or [])[:FINDINGS_SHOWN]
    )
    error = f"<pre>{html.escape(str(rec.get('error') or ''))}</pre>" if status == "failed" else ""
    search = " ".join(
        [title, str(rec.get("html")), str(rec.get("notebook")), period, audience, status]
    )
    return (
        f'<article class="cx-card" data-search="{html.escape(search.lower())}">'
        f"<h3>{heading}</h3>"
        f'<p class="cx-meta">{html.escape(period)} · {html.escape(audience)}</p>'
        + (f"<ul>{findings}</ul>" if findings else "")
        + f'<p class="cx-meta"><span class="{html.escape(status)}">{html.escape(status)}</span>'
        f" · {html.escape(when)} · <code>{html.escape(str(rec.get('name')))}</code></p>"
        f"{error}</article>"
    )


def _group_heading(notebook: str, records: list[Mapping[str, Any]]) -> str:
    """The English title of the notebook's reports, else its file name in words."""
    for rec in records:
        summary = rec.get("summary") or {}
        if (rec.get("parameters") or {}).get("language", "en") == "en" and summary.get("title"):
            return str(summary["title"])
    words = notebook.split("_")
    text = " ".join(w.upper() if w in ("nps", "csat") else w for w in words)
    return text[:1].upper() + text[1:]


def index_page(reports_dir: Path, records: Iterable[Mapping[str, Any]]) -> str:
    """The portal page for ``records`` (run records under ``reports_dir``), grouped by notebook.

    Returns
    -------
    str
        A self-contained HTML document that works on a phone.
    """
    reports_dir = Path(reports_dir)
    ordered = sorted(records, key=lambda r: (str(r.get("notebook")), str(r.get("name"))))
    groups = []
    for notebook, recs in groupby(ordered, key=lambda r: str(r.get("notebook"))):
        recs = list(recs)
        cards = [_card(r, reports_dir) for r in recs]
        heading = _group_heading(notebook, recs)
        groups.append(
            f'<section class="cx-group"><h2>{html.escape(heading)} '
            f"<small>({len(cards)})</small></h2>"
            f'<div class="cx-cards">{"".join(cards)}</div></section>'
        )
    body = "".join(groups) or "<p>No reports yet.</p>"
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        "<title>CX reports</title>"
        f"<style>{_CSS}</style></head><body><h1>CX reports</h1>"
        '<label for="cx-filter">Filter by title, notebook, period, country, language or status'
        '</label><input type="search" id="cx-filter" autocomplete="off">'
        f"<main>{body}</main><script>{_SCRIPT}</script></body></html>\n"
    )
