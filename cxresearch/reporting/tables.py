r"""One table formatter for every report: locale-aware columns, built in the great-tables spirit.

A table starts from a tidy DataFrame and the group columns that label its rows; each
``fmt_*`` call adds one display column, formatted for the report's language::

    report.table(changes, by={"country": tr("Country")})
        .fmt_number("estimate_a", tr("Now"), scale=100, decimals=1, key=True)
        .fmt_interval(scale=100, decimals=1)
        .fmt_n(["n_a", "n_b"], tr("n now / before"))
        .fmt_p()

Rows are ordered sensibly (group labels by name in the report's language: countries as
they are displayed, not by ISO code); the group labels and the ``key`` columns come first
so a phone shows label, value and interval without scrolling; a count that is the same on
every row is stated once in the caption instead of on each row.

Examples
--------
>>> import pandas as pd
>>> from cxresearch.reporting import i18n
>>> data = pd.DataFrame({"country": ["SE", "DE"], "estimate": [0.325, 0.2],
...                      "ci_low": [0.3, 0.15], "ci_high": [0.35, 0.25], "n": [400, 400],
...                      "confidence": [0.95, 0.95]})
>>> tab = table(data, by={"country": "Land"}, language=i18n.Language("sv"))
>>> tab = tab.fmt_estimate("NPS", decimals=1)
>>> tab.to_frame().values.tolist()  # countries by their Swedish names
[['Sverige', '32,5', '30,0 till 35,0'], ['Tyskland', '20,0', '15,0 till 25,0']]
>>> tab.notes  # the same n on every row is stated once
['n = 400']
"""

from __future__ import annotations

import hashlib
import html
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import pandas as pd

from cxresearch.reporting import i18n

Kind = Literal["label", "number", "text"]

#: Unicode bidirectional controls (U+202A-U+202E, U+2066-U+2069): kept in the data, left out
#: of displayed cells so a comment cannot reorder the text around it.
_BIDI = dict.fromkeys([*range(0x202A, 0x202F), *range(0x2066, 0x206A)])

#: Letters each alphabet puts after z, in order; a letter in the same place shares it
#: (CLDR: Swedish and Finnish sort æ as ä and ø as ö, Danish ä as æ and ö as ø).
_AFTER_Z = {
    "sv": ("å", "äæ", "öø"),
    "fi": ("å", "äæ", "öø"),
    "da": ("æä", "øö", "å"),
}


def collation_key(text: str, language: str) -> str:
    """A sort key that orders ``text`` as a reader of ``language`` expects.

    Accents are ignored (``é`` sorts as ``e``) except for the letters a language puts
    after *z*: ``å ä ö`` in Swedish and Finnish, ``æ ø å`` in Danish. An approximation of
    the CLDR collation for the report languages, without ICU.

    Examples
    --------
    >>> sorted(["Österrike", "Danmark", "Åland", "Zambia"], key=lambda s: collation_key(s, "sv"))
    ['Danmark', 'Zambia', 'Åland', 'Österrike']
    >>> sorted(["Österreich", "Duitsland", "Zweden"], key=lambda s: collation_key(s, "nl"))
    ['Duitsland', 'Österreich', 'Zweden']
    """
    after = {c: chr(0x7B + i) for i, group in enumerate(_AFTER_Z.get(language, ())) for c in group}
    out = []
    for char in str(text).casefold():
        if char in after:  # "{", "|", "}" follow "z"
            out.append(after[char])
            continue
        base = unicodedata.normalize("NFKD", char)
        out.append("".join(c for c in base if not unicodedata.combining(c)))
    return "".join(out)


@dataclass
class Column:
    """One display column: its heading, its cells as text and how they align."""

    label: str
    cells: list[str]
    kind: Kind = "number"
    key: bool = False


@dataclass
class Table:
    """A table being formatted for display; every ``fmt_*`` method adds a column.

    Build one with :func:`table`. Methods return the table, so calls chain.

    Attributes
    ----------
    data
        The rows, in display order.
    language
        The report language that formats numbers, dates and labels.
    columns
        The display columns, group labels first.
    notes
        Facts that hold for every row (``n = 1,234``), shown once with the caption.
    """

    data: pd.DataFrame
    language: i18n.Language
    columns: list[Column] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    groups: int = 0

    # -- columns --------------------------------------------------------------------------

    def _add(self, label: str, cells: Iterable[str], kind: Kind = "number", key: bool = False):
        self.columns.append(Column(label, list(cells), kind, key))
        return self

    def fmt_label(self, column: str, label: str) -> Table:
        """A column that labels the rows (a theme, an attribute) without grouping them."""
        t = self.language
        return self._add(label, (t.value(column, v) for v in self.data[column]), "label")

    def fmt_text(self, column: str, label: str) -> Table:
        """A text column: coded values (touchpoints, countries, themes) shown as labels."""
        t = self.language
        return self._add(label, (t.value(column, v) for v in self.data[column]), "text")

    def fmt_number(
        self,
        column: str,
        label: str,
        *,
        decimals: int = 0,
        scale: float = 1.0,
        signed: bool = False,
        key: bool = False,
        row_label: bool = False,
    ) -> Table:
        """Numbers with the locale's separators, ``scale`` x the value (100: points).

        ``signed`` always shows the sign (a change); ``key`` keeps the column beside the
        labels so a phone shows it without scrolling; ``row_label`` makes it the column
        that labels the rows.
        """
        fmt = self.language.signed if signed else self.language.number
        cells = (fmt(v * scale if pd.notna(v) else v, decimals) for v in self.data[column])
        return self._add(label, cells, "label" if row_label else "number", key)

    def fmt_percent(
        self,
        column: str,
        label: str,
        *,
        decimals: int = 0,
        key: bool = False,
        row_label: bool = False,
    ) -> Table:
        """Shares (0.325) as percentages in the locale's style (``32,5 %``)."""
        cells = (self.language.percent(v, decimals) for v in self.data[column])
        return self._add(label, cells, "label" if row_label else "number", key)

    def fmt_interval(
        self,
        label: str | None = None,
        *,
        low: str = "ci_low",
        high: str = "ci_high",
        decimals: int = 0,
        scale: float = 1.0,
        signed: bool = False,
        key: bool = True,
    ) -> Table:
        """``low to high`` of each row's interval; the heading defaults to ``95% CI``."""
        t = self.language
        fmt = t.signed if signed else t.number
        cells = (
            t.tr("{low} to {high}", low=fmt(lo * scale, decimals), high=fmt(hi * scale, decimals))
            for lo, hi in zip(self.data[low], self.data[high], strict=True)
        )
        return self._add(label or self.ci_label(), cells, key=key)

    def fmt_p(self, column: str = "p_adjusted", label: str | None = None) -> Table:
        """P-values with three decimals, ``< 0.001`` below that."""
        t = self.language
        if label is None:
            label = t.tr("p (adjusted)") if column == "p_adjusted" else "p"
        cells = (
            "< " + t.number(0.001, 3) if pd.notna(p) and p < 0.001 else t.number(p, 3)
            for p in self.data[column]
        )
        return self._add(label, cells)

    def fmt_flag(self, column: str, label: str) -> Table:
        """A yes/blank column from booleans (*Significant*: yes)."""
        cells = (self.language.tr("yes") if v else "" for v in self.data[column])
        return self._add(label, cells, "text")

    def fmt_n(self, columns: str | Sequence[str] = "n", label: str = "n") -> Table:
        """Counts (``n``, or ``n_a / n_b`` for several columns).

        A count that is the same on every row is not repeated: it is stated once beside
        the caption (``n = 1,234``).
        """
        names = [columns] if isinstance(columns, str) else list(columns)
        t = self.language
        cells = [
            " / ".join(t.number(v) for v in row)
            for row in zip(*(self.data[c] for c in names), strict=True)
        ]
        if len(cells) > 1 and len(set(cells)) == 1:
            self.notes.append(f"{label} = {cells[0]}")
            return self
        return self._add(label, cells)

    def fmt_notes(self) -> Table:
        """A *Note* column for suppressed and unreliable rows, when there are any."""
        if "suppressed" not in self.data and "unreliable" not in self.data:
            return self
        t = self.language
        notes = []
        for _, row in self.data.iterrows():
            if row.get("suppressed", False):
                notes.append(t.tr("too few respondents to show"))
            elif row.get("unreliable", False):
                notes.append(t.tr("small group or wide interval: read with care"))
            else:
                notes.append("")
        if not any(notes):  # every row reads as it is: no empty column
            return self
        return self._add(t.tr("Note"), notes, "text")

    def fmt_estimate(self, label: str = "", *, scale: float = 100, decimals: int = 1) -> Table:
        """The metric columns in one call: estimate, interval, n and a note.

        For any metric table (``estimate, ci_low, ci_high, n, confidence`` and optionally
        ``suppressed`` and ``unreliable``).
        """
        t = self.language
        self.fmt_number("estimate", label or t.tr("Estimate"), scale=scale, decimals=decimals,
                        key=True)  # fmt: skip
        self.fmt_interval(scale=scale, decimals=decimals)
        self.fmt_n()
        return self.fmt_notes()

    def fmt_change(self, *, scale: float = 100, decimals: int = 1) -> Table:
        """The columns of a tested change (:func:`cxresearch.stats.compare.difference`).

        Now, change and its interval first; then before, n now / before, the adjusted
        p-value and whether the change is significant.
        """
        t = self.language
        self.fmt_number("estimate_a", t.tr("Now"), scale=scale, decimals=decimals, key=True)
        self.fmt_number("difference", t.tr("Change"), scale=scale, decimals=decimals,
                        signed=True, key=True)  # fmt: skip
        self.fmt_interval(t.tr("{ci} of change", ci=self.ci_label()), scale=scale,
                          decimals=decimals, signed=True)  # fmt: skip
        self.fmt_number("estimate_b", t.tr("Before"), scale=scale, decimals=decimals)
        self.fmt_n(["n_a", "n_b"], t.tr("n now / before"))
        self.fmt_p()
        return self.fmt_flag("significant", t.tr("Significant"))

    def ci_label(self) -> str:
        """``95% CI`` at the confidence level of the data, in the report's language."""
        conf = 0.95
        if "confidence" in self.data and len(self.data):
            conf = float(self.data["confidence"].iloc[0])
        return self.language.tr("{confidence} CI", confidence=self.language.percent(conf))

    # -- output -----------------------------------------------------------------------------

    def ordered(self) -> list[Column]:
        """Columns in display order: group labels, then key columns, then the rest."""
        rest = self.columns[self.groups :]
        labels = self.columns[: self.groups] + [c for c in rest if c.kind == "label"]
        rest = [c for c in rest if c.kind != "label"]
        return labels + [c for c in rest if c.key] + [c for c in rest if not c.key]

    def single_group(self) -> bool:
        """True for a by-group table with one group: it says nothing a headline does not."""
        return self.groups > 0 and len(self.data) == 1

    def to_frame(self) -> pd.DataFrame:
        """The formatted cells as a DataFrame of strings, columns in display order."""
        return pd.DataFrame({c.label: c.cells for c in self.ordered()})

    def to_html(self, caption: str = "") -> str:
        """Escaped HTML: a caption, then a scrolling region around a table with header cells.

        Label columns are left-aligned row headers, numbers right-aligned in tabular
        figures; the note ``n = ...`` follows the caption.
        """
        columns = self.ordered()
        kinds = [f"cx-{c.kind} cx-key" if c.key or c.kind == "label" else f"cx-{c.kind}"
                 for c in columns]  # fmt: skip
        head = "".join(
            f'<th scope="col" class="{kind}">{html.escape(c.label)}</th>'
            for c, kind in zip(columns, kinds, strict=True)
        )
        # with more than one label column, a group's name shows on its first row only
        nested = sum(c.kind == "label" for c in columns) > 1
        rows = []
        for i in range(len(self.data)):
            cells = []
            for j, col in enumerate(columns):
                text = html.escape(col.cells[i].translate(_BIDI))
                kind = kinds[j]
                if (
                    nested
                    and j < self.groups
                    and i
                    and all(columns[k].cells[i] == columns[k].cells[i - 1] for k in range(j + 1))
                ):
                    text, kind = f'<span class="cx-repeat">{text}</span>', kind + " cx-same"
                if j == 0 and col.kind == "label":
                    cells.append(f'<th scope="row" class="{kind}">{text}</th>')
                else:
                    cells.append(f'<td class="{kind}">{text}</td>')
            rows.append("<tr>" + "".join(cells) + "</tr>")
        notes = "".join(f' <span class="cx-count">({html.escape(n)})</span>' for n in self.notes)
        ident = (
            "cx-t-"
            + hashlib.sha1(
                "\x1f".join([caption, *(c.label for c in columns), *columns[0].cells[:3]]).encode()
            ).hexdigest()[:10]
            if columns
            else "cx-t"
        )
        cap = (
            f'<figcaption id="{ident}">{html.escape(caption)}{notes}</figcaption>'
            if caption or notes
            else ""
        )
        named = f' aria-labelledby="{ident}"' if cap else ""
        # the caption stays outside the scrolling region, so it wraps to the screen
        return (
            f'<figure class="cx-table-figure">{cap}'
            f'<div class="cx-scroll" role="region" tabindex="0"{named}>'
            f'<table class="cx-table"{named}><thead><tr>{head}</tr></thead>'
            f"<tbody>{''.join(rows)}</tbody></table></div></figure>"
        )


def table(
    data: pd.DataFrame,
    by: Mapping[str, str] | None = None,
    *,
    sort: Literal["auto", "name"] | str | None = "auto",
    descending: bool = False,
    language: i18n.Language | None = None,
) -> Table:
    """Start formatting ``data`` for display, its rows labelled by the ``by`` columns.

    Parameters
    ----------
    data
        A tidy table, one row per group.
    by
        Group columns that label the rows, mapped to their (translated) headings;
        countries, touchpoints, NPS groups, months and dates are shown in the report's
        language.
    sort
        Row order. ``"auto"``: by the displayed group names when the first group column
        holds names (countries, segments, teams), else as given (months, scores, levels
        keep their natural order); ``"name"``: by the displayed group names; the name of a
        column: by its value; ``None``: as given.
    descending
        Sort a value column from high to low.
    language
        The report language; default the one :func:`cxresearch.reporting.report.setup`
        set.

    Returns
    -------
    Table
        Add columns with its ``fmt_*`` methods and show it with ``report.show_table``.
    """
    t = language or i18n.current()
    by = dict(by or {})
    missing = [c for c in by if c not in data]
    if missing:
        raise ValueError(f"table has no column {', '.join(missing)}; it has {list(data.columns)}")
    frame = data.reset_index(drop=True)
    names = {col: [t.value(col, v) for v in frame[col]] for col in by}
    named = [c for c in by if frame[c].map(lambda v: isinstance(v, str)).all() and c != "month"]
    by_name = sort == "name" or (sort == "auto" and bool(named) and named[0] == next(iter(by)))
    if by_name and named:
        keys = [
            tuple(collation_key(names[col][i], t.code) for col in named) for i in range(len(frame))
        ]
        order = sorted(range(len(frame)), key=keys.__getitem__)
    elif sort not in (None, "auto", "name"):
        order = list(frame[sort].sort_values(ascending=not descending, kind="stable").index)
    else:
        order = list(range(len(frame)))
    frame = frame.iloc[order].reset_index(drop=True)
    columns = [Column(head, [names[col][i] for i in order], "label") for col, head in by.items()]
    return Table(frame, t, columns, groups=len(columns))


def plain(frame: pd.DataFrame, *, language: i18n.Language | None = None) -> Table:
    """A table of already formatted strings: text left, numbers right."""
    tab = Table(frame.reset_index(drop=True), language or i18n.current())
    for name in frame.columns:
        cells = ["" if pd.isna(v) else str(v) for v in frame[name]]
        numeric = all(_looks_numeric(c) for c in cells if c)
        tab._add(str(name), cells, "number" if numeric else "text")
    return tab


def _looks_numeric(text: str) -> bool:
    stripped = text.replace("\xa0", "").replace(" ", "").replace("%", "").replace("−", "-")
    stripped = stripped.replace(",", "").replace(".", "").lstrip("+-<")
    return stripped.isdigit()
