r"""Report languages: message catalogues and locale formatting with Babel.

Every text a stakeholder reads is an English message id, looked up in a gettext catalogue
``cxresearch/locales/<language>.po``. Notebook code wraps its texts in :func:`tr`;
markdown cells are translated block by block when the report is rendered (headings, each
paragraph and each list item are one message). Numbers, percentages, dates, months and
country names are formatted for the report's locale by Babel ("32,5 %" in Swedish).

Texts whose form depends on a count use :func:`ntr` (gettext ``ngettext``): ``ntr("up {n}
point", "up {n} points", n, n=...)`` is one plural entry (``msgid_plural``, ``msgstr[0]``,
``msgstr[1]``) in each catalogue, its form chosen by the catalogue's ``Plural-Forms``.

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
import gettext
import math
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import Any

from babel import Locale
from babel.dates import format_date, format_interval
from babel.messages.pofile import read_po
from babel.numbers import (
    format_compact_currency,
    format_currency,
    format_decimal,
    format_percent,
    get_minus_sign_symbol,
    get_plus_sign_symbol,
)

from cxresearch.config import LANGUAGES
from cxresearch.reporting.scalars import day, isna

#: Report languages: English, Swedish, Danish, Finnish, Dutch.
LOCALES_DIR = Path(__file__).parent / "locales"

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
    "holm": "Holm's method",
    "bh": "Benjamini-Hochberg method",
    "none": "no adjustment",
}


@functools.cache
def catalogue(language: str) -> dict[str, str]:
    """The translations of one language: English message id to translated text."""
    if language == "en":
        return {}
    path = LOCALES_DIR / f"{language}.po"
    with path.open("rb") as fh:
        cat = read_po(fh, locale=language)
    return {m.id: m.string for m in cat if isinstance(m.id, str) and m.id and m.string
            and not m.fuzzy}  # fmt: skip


@functools.cache
def plural_catalogue(language: str) -> tuple[dict[tuple[str, str], tuple[str, ...]], str]:
    """Plural messages of one language, and its ``Plural-Forms`` expression.

    Returns
    -------
    (dict, str)
        ``(singular, plural)`` message id to the translated forms (index = plural form),
        and the C expression choosing the form, such as ``(n != 1)``.
    """
    if language == "en":
        return {}, "(n != 1)"
    path = LOCALES_DIR / f"{language}.po"
    with path.open("rb") as fh:
        cat = read_po(fh, locale=language)
    forms = {
        tuple(m.id[:2]): tuple(m.string)
        for m in cat
        if isinstance(m.id, tuple | list) and all(m.string) and not m.fuzzy
    }
    return forms, cat.plural_expr


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

    def ntr(self, singular: str, plural: str, n: float, /, **values) -> str:
        """Translate a message whose form depends on a count ``n`` (gettext ``ngettext``).

        The language's ``Plural-Forms`` rule picks the form for a whole ``n``; a
        fractional ``n`` (1.5 points) takes the last form, as in all five languages.
        ``n`` is not filled in: pass the formatted number among ``values``.

        Examples
        --------
        >>> Language("en").ntr("up {n} point", "up {n} points", 1, n="1")
        'up 1 point'
        >>> Language("en").ntr("up {n} point", "up {n} points", 1.5, n="1.5")
        'up 1.5 points'
        """
        forms, expr = plural_catalogue(self.code)
        translated = forms.get((singular, plural))
        if float(n).is_integer():
            index = gettext.c2py(expr)(int(abs(n)))
        else:
            index = (len(translated) if translated else 2) - 1
        if translated is None:
            text = singular if index == 0 else plural
        else:
            text = translated[min(index, len(translated) - 1)]
        return text.format(**values) if values else text

    def label(self, code) -> str:
        """The display label of a coded value (touchpoint, NPS group, theme, answer)."""
        key = str(code)
        if key in LABELS:
            return self.tr(LABELS[key])
        return key.replace("_", " ")

    def number(self, value, decimals: int = 0) -> str:
        """A number with the locale's separators; missing values become ``–``."""
        if value is None or isna(value):
            return "–"
        pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
        if round(value, decimals) == 0:
            value = 0.0  # no "-0.0"
        text = format_decimal(value, format=pattern, locale=self.locale)
        # a custom pattern writes "-": use the locale's own minus sign ("−" in Swedish)
        return text.replace("-", get_minus_sign_symbol(locale=self.locale), 1)

    def signed(self, value, decimals: int = 0) -> str:
        """A number with its sign always shown, in the locale's symbols (``+5``, ``-3``)."""
        if value is None or isna(value):
            return "–"
        text = self.number(abs(value), decimals)
        if round(value, decimals) == 0:
            return text
        sign = get_plus_sign_symbol if value > 0 else get_minus_sign_symbol
        return sign(locale=self.locale) + text

    def percent(self, share, decimals: int = 0) -> str:
        """A share (0.325) as a percentage in the locale's style (``32,5 %``)."""
        if share is None or isna(share):
            return "–"
        # the locale's own pattern ("#,##0 %" in Swedish), with the decimals asked for
        pattern = self.locale.percent_formats[None].pattern.split(";")[0]
        if decimals:
            pattern = pattern.replace("#,##0", "#,##0." + "0" * decimals, 1)
        if round(share * 100, decimals) == 0:
            share = 0.0
        text = format_percent(share, format=pattern, locale=self.locale)
        return text.replace("-", get_minus_sign_symbol(locale=self.locale), 1)

    def money(self, value, currency: str = "EUR", significant: int = 3) -> str:
        """An amount of money to ``significant`` figures, in the locale's style.

        Millions and more in the locale's short form (``€11.1M``, ``11,1 mn €``); smaller
        amounts written out (``€12,300``, ``12 300 €``).

        Examples
        --------
        >>> Language("en").money(11_068_079)
        '€11.1M'
        >>> Language("en").money(12_345.6)
        '€12,300'
        >>> Language("en").money(3.456)
        '€3.46'
        """
        if value is None or isna(value):
            return "–"
        # digits before the decimal point (0 has one, and needs no decimals)
        digits = math.floor(math.log10(abs(value))) + 1 if value else significant
        rounded = round(value, significant - digits)
        if abs(rounded) >= 1e6:
            whole = math.floor(math.log10(abs(rounded))) % 3 + 1  # digits before the unit
            text = format_compact_currency(
                rounded, currency, locale=self.locale, fraction_digits=max(significant - whole, 0)
            )
        else:
            decimals = max(significant - digits, 0)
            pattern = self.locale.currency_formats["standard"].pattern.split(";")[0]
            pattern = re.sub(r"#,##0(\.0+)?", "#,##0" + ("." + "0" * decimals if decimals else ""),
                             pattern, count=1)  # fmt: skip
            text = format_currency(
                rounded, currency, format=pattern, locale=self.locale, currency_digits=False
            )
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
        if value is None or isna(value):
            return "–"
        return format_date(day(value), "medium", locale=self.locale)

    def month(self, value) -> str:
        """A month and year (``mars 2026``, ``March 2026``)."""
        if value is None or isna(value):
            return "–"
        return format_date(day(value), "LLLL y", locale=self.locale)

    def period(self, start, end) -> str:
        """A date range (``1 jan. 2026 – 31 mars 2026``)."""
        return self.tr("{start} to {end}", start=self.date(start), end=self.date(end))

    def span(self, start, end) -> str:
        r"""A period in few words: ``Aug – Oct 2026`` for whole months, else with days.

        Examples
        --------
        >>> Language("sv").span("2026-08-01", "2026-10-31")
        'aug.–okt. 2026'
        >>> Language("en").span("2026-08-03", "2026-10-30")
        'Aug 3\u2009–\u2009Oct 30, 2026'
        """
        first, last = day(start), day(end)
        whole = first.day == 1 and (last + dt.timedelta(days=1)).day == 1
        return format_interval(first, last, "yMMM" if whole else "yMMMd", locale=self.locale)

    def country(self, code) -> str:
        """A country's name from its ISO code, in this language."""
        name = self.locale.territories.get(str(code).upper())
        return name or str(code)

    def value(self, column: str, value) -> str:
        """Display text of one cell of a group column."""
        if value is None or (not isinstance(value, str) and isna(value)):
            return "–"
        if column == "country":
            return self.country(value)
        if column == "language":
            return self.locale.languages.get(str(value), str(value))
        if column in ("month",):
            return self.month(value)
        if isinstance(value, dt.date):  # pandas' Timestamp is a date too
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


@contextmanager
def using(language: Language) -> Iterator[Language]:
    """Make ``language`` the current one inside a ``with`` block, then restore the one before.

    Examples
    --------
    >>> _ = use("en")
    >>> with using(Language("sv")):
    ...     tr("Country")
    'Land'
    >>> current().code
    'en'
    """
    before = _ACTIVE[0]
    _ACTIVE[0] = language
    try:
        yield language
    finally:
        _ACTIVE[0] = before


class InLanguage:
    """Modules' functions, each called with one report language current (:func:`using`).

    ``InLanguage(language, report_module).table(...)`` formats in ``language`` whatever
    language another report set: a report's context hands its notebook its helpers this
    way, so two reports in one kernel, or cells run out of order, keep their own language.
    Names are looked up in the modules in order; classes and constants pass through.
    """

    def __init__(self, language: Language, *modules: ModuleType) -> None:
        self.language, self._modules = language, modules

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        for module in self._modules:
            if hasattr(module, name):
                value = getattr(module, name)
                break
        else:
            names = ", ".join(m.__name__ for m in self._modules)
            raise AttributeError(f"{names} has no attribute {name!r}")
        if not callable(value) or isinstance(value, type):
            return value

        @functools.wraps(value)
        def call(*args: Any, **kwargs: Any) -> Any:
            with using(self.language):
                return value(*args, **kwargs)

        return call

    def __repr__(self) -> str:
        names = ", ".join(m.__name__ for m in self._modules)
        return f"<{names} in {self.language.code}>"


def tr(message: str, /, **values) -> str:
    """Translate ``message`` into the current language and fill its placeholders."""
    return current().tr(message, **values)


def ntr(singular: str, plural: str, n: float, /, **values) -> str:
    """:meth:`Language.ntr` in the current language."""
    return current().ntr(singular, plural, n, **values)


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
