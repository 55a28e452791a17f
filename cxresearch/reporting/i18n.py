r"""Report languages: message catalogues and locale formatting with Babel.

Every text a stakeholder reads is an English message id, looked up in a gettext catalogue
``cxresearch/locales/<language>.po``. Notebook code wraps its texts in :func:`tr`;
markdown cells are translated block by block when the report is rendered (headings, each
paragraph and each list item are one message). Numbers, percentages, dates, months and
country names are formatted for the report's locale by Babel ("32,5 %" in Swedish).

``cxresearch translations`` lists the messages of every notebook and module, and adds
missing ones to the catalogues; ``tests/test_i18n.py`` fails while any is untranslated.

Examples
--------
>>> sv = use("sv")
>>> sv.percent(0.325, 1)
'32,5\xa0%'
>>> sv.tr("Segment")
'Segment'
>>> use("fi").country("SE")
'Ruotsi'
>>> _ = use("en")
"""

from __future__ import annotations

import datetime as dt
import functools
import io
import re
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pandas as pd
from babel import Locale
from babel.dates import format_date
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_python
from babel.messages.pofile import read_po, write_po
from babel.numbers import (
    format_decimal,
    format_percent,
    get_minus_sign_symbol,
    get_plus_sign_symbol,
)

from cxresearch import config
from cxresearch.config import LANGUAGES

#: Report languages: English, Swedish, Danish, Finnish, Dutch.
LOCALES_DIR = Path(__file__).parent / "locales"
_PACKAGE_DIR = Path(__file__).parent.parent

#: Display labels of coded values, as message ids.
LABELS = {
    "relationship": "relationship survey",
    "after_purchase": "after purchase",
    "website_visit": "website visit",
    "service_call": "service call",
    "sales_call": "sales call",
    "promoter": "promoters",
    "passive": "passives",
    "detractor": "detractors",
    "price": "price",
    "delivery": "delivery",
    "support_wait": "support waiting times",
    "product_quality": "product quality",
    "staff_friendliness": "staff friendliness",
    "support": "support",
    "website": "website",
    "yes": "yes",
    "no": "no",
    "unknown": "don't know",
}


@functools.cache
def catalogue(language: str) -> dict[str, str]:
    """The translations of one language: English message id to translated text."""
    if language == "en":
        return {}
    path = LOCALES_DIR / f"{language}.po"
    with path.open("rb") as fh:
        cat = read_po(fh, locale=language)
    return {m.id: m.string for m in cat if m.id and m.string and not m.fuzzy}


class Language:
    """Translation and locale formatting for one report language.

    Parameters
    ----------
    code
        One of :data:`LANGUAGES`.
    """

    def __init__(self, code: str) -> None:
        if code not in LANGUAGES:
            raise ValueError(
                f"unknown report language {code!r}; choose one of {', '.join(LANGUAGES)}"
            )
        self.code = code
        self.locale = Locale.parse(code)
        self._messages = catalogue(code)

    def __repr__(self) -> str:
        return f"Language({self.code!r})"

    def tr(self, message: str, /, **values) -> str:
        """Translate ``message`` and fill its ``{placeholders}`` with ``values``."""
        text = self._messages.get(message, message)
        return text.format(**values) if values else text

    def label(self, code) -> str:
        """The display label of a coded value (touchpoint, NPS group, theme, answer)."""
        key = str(code)
        if key in LABELS:
            return self.tr(LABELS[key])
        return key.replace("_", " ")

    def number(self, value, decimals: int = 0) -> str:
        """A number with the locale's separators; missing values become ``–``."""
        if value is None or pd.isna(value):
            return "–"
        pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
        if round(value, decimals) == 0:
            value = 0.0  # no "-0.0"
        text = format_decimal(value, format=pattern, locale=self.locale)
        # a custom pattern writes "-": use the locale's own minus sign ("−" in Swedish)
        return text.replace("-", get_minus_sign_symbol(locale=self.locale), 1)

    def signed(self, value, decimals: int = 0) -> str:
        """A number with its sign always shown, in the locale's symbols (``+5``, ``-3``)."""
        if value is None or pd.isna(value):
            return "–"
        text = self.number(abs(value), decimals)
        if round(value, decimals) == 0:
            return text
        sign = get_plus_sign_symbol if value > 0 else get_minus_sign_symbol
        return sign(locale=self.locale) + text

    def percent(self, share, decimals: int = 0) -> str:
        """A share (0.325) as a percentage in the locale's style (``32,5 %``)."""
        if share is None or pd.isna(share):
            return "–"
        # the locale's own pattern ("#,##0 %" in Swedish), with the decimals asked for
        pattern = self.locale.percent_formats[None].pattern.split(";")[0]
        if decimals:
            pattern = pattern.replace("#,##0", "#,##0." + "0" * decimals, 1)
        if round(share * 100, decimals) == 0:
            share = 0.0
        text = format_percent(share, format=pattern, locale=self.locale)
        return text.replace("-", get_minus_sign_symbol(locale=self.locale), 1)

    def ci_label(self, confidence: float = 0.95) -> str:
        """``95% CI`` in this language."""
        return self.tr("{confidence} CI", confidence=self.percent(confidence))

    def estimate(
        self, row: Mapping[str, Any], *, scale: float = 100, decimals: int = 0, unit: str = ""
    ) -> str:
        """One estimate with its interval and n: ``30 (95% CI 15 to 45; n = 100)``.

        ``unit`` is ``""`` (``scale`` x the value: NPS points), ``"%"`` (a share shown as a
        percentage) or ``"x"`` (a ratio, ``scale`` 1).
        """

        def fmt(value: float) -> str:
            if unit == "%":
                return self.percent(value, decimals)
            if unit == "x":
                return self.number(value * scale, decimals) + "×"
            return self.number(value * scale, decimals)

        return self.tr(
            "{value} ({ci} {low} to {high}; n = {n})",
            value=fmt(row["estimate"]),
            ci=self.ci_label(row.get("confidence", 0.95)),
            low=fmt(row["ci_low"]),
            high=fmt(row["ci_high"]),
            n=self.number(row["n"]),
        )

    def date(self, value) -> str:
        """A date in the locale's medium style (``3 mars 2026``)."""
        if value is None or pd.isna(value):
            return "–"
        return format_date(pd.Timestamp(value).date(), "medium", locale=self.locale)

    def month(self, value) -> str:
        """A month and year (``mars 2026``, ``March 2026``)."""
        if value is None or pd.isna(value):
            return "–"
        return format_date(pd.Timestamp(value).date(), "LLLL y", locale=self.locale)

    def period(self, start, end) -> str:
        """A date range (``1 jan. 2026 – 31 mars 2026``)."""
        return self.tr("{start} to {end}", start=self.date(start), end=self.date(end))

    def country(self, code) -> str:
        """A country's name from its ISO code, in this language."""
        name = self.locale.territories.get(str(code).upper())
        return name or str(code)

    def value(self, column: str, value) -> str:
        """Display text of one cell of a group column."""
        if value is None or (not isinstance(value, str) and pd.isna(value)):
            return "–"
        if column == "country":
            return self.country(value)
        if column == "language":
            return self.locale.languages.get(str(value), str(value))
        if column in ("month",):
            return self.month(value)
        if isinstance(value, dt.date | pd.Timestamp):
            return self.date(value)
        if column in ("touchpoint", "nps_group", "theme", "attribute", "recommended_last_12m"):
            return self.label(value)
        return str(value)


_ACTIVE: list[Language] = [Language("en")]


def use(code: str) -> Language:
    """Make ``code`` the language of the report being built, and return it."""
    _ACTIVE[0] = Language(code)
    return _ACTIVE[0]


def current() -> Language:
    """The language set by :func:`use` (English until then)."""
    return _ACTIVE[0]


def tr(message: str, /, **values) -> str:
    """Translate ``message`` into the current language and fill its placeholders."""
    return current().tr(message, **values)


# -- markdown cells ---------------------------------------------------------------------

_PREFIX = re.compile(r"^(#{1,6}\s+|[*-]\s+|\d+\.\s+)")


def markdown_units(source: str) -> Iterator[tuple[str, str]]:
    r"""Split markdown into ``(prefix, message)`` units: headings, paragraphs, list items.

    Examples
    --------
    >>> list(markdown_units("## Trends\n\nMonthly NPS.\n\n* **NPS**: p - d\n* n: count"))
    [('## ', 'Trends'), ('', 'Monthly NPS.'), ('* ', '**NPS**: p - d'), ('* ', 'n: count')]
    """
    for block in re.split(r"\n\s*\n", source.strip()):
        lines = [line.strip() for line in block.splitlines() if line.strip()]
        if lines and all(_PREFIX.match(line) for line in lines):
            for line in lines:
                prefix = _PREFIX.match(line).group(1)
                yield prefix, line[len(prefix) :].strip()
        elif lines:
            yield "", " ".join(lines)


def translate_markdown(source: str, language: Language) -> str:
    """Translate a markdown cell unit by unit, keeping its structure."""
    out: list[str] = []
    previous_list = False
    for prefix, message in markdown_units(source):
        is_list = bool(prefix) and not prefix.startswith("#")
        if out and not (is_list and previous_list):
            out.append("")
        out.append(prefix + language.tr(message))
        previous_list = is_list
    return "\n".join(out)


# -- extraction and catalogues ------------------------------------------------------------


def _python_messages(code: str) -> Iterator[str]:
    for _, _, message, _ in extract_python(
        io.BytesIO(code.encode("utf-8")), keywords={"tr": None}, comment_tags=(), options={}
    ):
        # tr("text", name=value): Babel reports the call's arguments as a tuple
        first = message[0] if isinstance(message, tuple) else message
        if isinstance(first, str):
            yield first


def notebook_messages(path: Path) -> list[str]:
    """Messages of one notebook: its markdown units and the ``tr("...")`` texts in its code."""
    import nbformat

    nb = nbformat.read(path, as_version=4)
    found: list[str] = []
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            found += [message for _, message in markdown_units(cell.source)]
        elif cell.cell_type == "code":
            # IPython magics are not Python; tr() calls never sit on such lines
            code = "\n".join(line for line in cell.source.splitlines() if not line.startswith("%"))
            found += list(_python_messages(code))
    return found


def package_messages() -> list[str]:
    """Messages of the package's modules (``tr("...")`` calls) and of :data:`LABELS`."""
    found = list(LABELS.values())
    for module in sorted(_PACKAGE_DIR.rglob("*.py")):
        found += list(_python_messages(module.read_text(encoding="utf-8")))
    return found


def all_messages(notebooks: Iterable[Path] | None = None) -> list[str]:
    """Every message of the package and the notebooks, in first-seen order, once each."""
    paths = sorted(config.NOTEBOOKS_DIR.glob("*.ipynb")) if notebooks is None else notebooks
    found = package_messages()
    for path in paths:
        found += notebook_messages(path)
    return list(dict.fromkeys(found))


def placeholders(message: str) -> set[str]:
    """The ``{names}`` a message fills in.

    Examples
    --------
    >>> sorted(placeholders("NPS {value} ({low} to {high})"))
    ['high', 'low', 'value']
    """
    return set(re.findall(r"{(\w*)[^{}]*}", message))


def missing(language: str, messages: Iterable[str] | None = None) -> list[str]:
    """Messages without a translation in ``language``'s catalogue."""
    have = catalogue(language)
    return [m for m in (all_messages() if messages is None else messages) if m not in have]


def update_catalogues(messages: Iterable[str] | None = None) -> dict[str, int]:
    """Add untranslated messages to every catalogue (empty, for a translator to fill).

    Returns
    -------
    dict
        Per language, how many messages are still untranslated.
    """
    messages = list(all_messages() if messages is None else messages)
    left = {}
    for language in LANGUAGES[1:]:
        path = LOCALES_DIR / f"{language}.po"
        if path.exists():
            with path.open("rb") as fh:
                cat = read_po(fh, locale=language)
        else:
            cat = Catalog(locale=language, project="cxresearch")
        for message in messages:
            if message not in cat:
                cat.add(message, "")
        with path.open("wb") as fh:
            write_po(fh, cat, width=100, sort_output=False, omit_header=False)
        catalogue.cache_clear()
        left[language] = len(missing(language, messages))
    return left
