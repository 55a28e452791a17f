"""Maintain the message catalogues: find every report text, list what lacks a translation.

Used by ``cxresearch translations`` and the tests; reports themselves only read the
catalogues, through :mod:`cxresearch.reporting.i18n`.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Iterator
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_python
from babel.messages.pofile import read_po, write_po

from cxresearch import config
from cxresearch.config import LANGUAGES
from cxresearch.reporting import i18n
from cxresearch.reporting.i18n import (
    LABELS,
    catalogue,
    markdown_units,
    plural_catalogue,
)

_PACKAGE_DIR = Path(__file__).parent.parent


def _message_key(message) -> str | tuple[str, str]:
    """A message as extracted: a text, or ``(singular, plural)`` for an ``ntr`` message."""
    return message if isinstance(message, str) else (message[0], message[1])


def _python_messages(code: str) -> Iterator[str | tuple[str, str]]:
    for _, keyword, message, _ in extract_python(
        io.BytesIO(code.encode("utf-8")),
        keywords={"tr": None, "ntr": (1, 2)},
        comment_tags=(),
        options={},
    ):
        if keyword == "ntr":
            # ntr("one", "many", n, ...): a (singular, plural) message
            if isinstance(message[0], str) and isinstance(message[1], str):
                yield (message[0], message[1])
            continue
        # tr("text", name=value): Babel reports the call's arguments as a tuple
        first = message[0] if isinstance(message, tuple) else message
        if isinstance(first, str):
            yield first


def notebook_messages(path: Path) -> list[str | tuple[str, str]]:
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


def package_messages() -> list[str | tuple[str, str]]:
    """Messages of the package's modules (``tr("...")`` calls) and of :data:`LABELS`."""
    found = list(LABELS.values())
    for module in sorted(_PACKAGE_DIR.rglob("*.py")):
        found += list(_python_messages(module.read_text(encoding="utf-8")))
    return found


def all_messages(notebooks: Iterable[Path] | None = None) -> list[str | tuple[str, str]]:
    """Every message of the package and the notebooks, in first-seen order, once each.

    A message is a text, or a ``(singular, plural)`` pair for plural (``ntr``) messages.
    """
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


def missing(language: str, messages: Iterable | None = None) -> list[str | tuple[str, str]]:
    """Messages without a translation in ``language``'s catalogue (plural ones too)."""
    have = catalogue(language)
    plural_have = plural_catalogue(language)[0]
    out = []
    for m in all_messages() if messages is None else messages:
        key = _message_key(m)
        if key not in (plural_have if isinstance(key, tuple) else have):
            out.append(key)
    return out


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
        path = i18n.LOCALES_DIR / f"{language}.po"  # read when called: tests point it elsewhere
        if path.exists():
            with path.open("rb") as fh:
                cat = read_po(fh, locale=language)
        else:
            cat = Catalog(locale=language, project="cxresearch")
        for message in messages:
            key = _message_key(message)
            if key not in cat:
                cat.add(key, ("",) * cat.num_plurals if isinstance(key, tuple) else "")
        with path.open("wb") as fh:
            write_po(fh, cat, width=100, sort_output=False, omit_header=False)
        catalogue.cache_clear()
        plural_catalogue.cache_clear()
        left[language] = len(missing(language, messages))
    return left
