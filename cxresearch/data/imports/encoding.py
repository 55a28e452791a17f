"""Decode survey files whatever their encoding, and say which encoding was used.

Handles UTF-8 with or without a byte-order mark, UTF-16 (with a BOM, or without one when
the NUL bytes give it away), and files that are UTF-8 except for some lines written by a
Windows (cp1252) or old Mac (Mac-Roman) program, a common result of concatenating exports.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass
from pathlib import Path

from charset_normalizer import from_bytes

from cxresearch.errors import ImportValidationError

#: Characters expected in Nordic, Dutch and English survey text; used to choose between
#: legacy 8-bit encodings for lines that are not UTF-8.
_EXPECTED = set("åäöæøéèëüïÅÄÖÆØÉÈËÜÏ€–—’“”‘…")
_LEGACY = ("cp1252", "mac_roman")
#: Single-byte code pages of Latin-script text. When the detector (charset-normalizer)
#: finds the non-UTF-8 lines plausible under one of these, they are read as cp1252 or
#: Mac-Roman; otherwise (Shift-JIS, GB18030, Big5, EUC-KR, Cyrillic or Greek code pages,
#: binary data) the file is refused rather than stored as mojibake.
_WESTERN = frozenset({
    "cp1252", "latin_1", "iso8859_15", "mac_roman", "cp1250", "iso8859_2", "cp1257",
    "iso8859_4", "iso8859_13", "iso8859_16", "iso8859_9", "iso8859_10", "iso8859_14",
    "iso8859_3", "cp1254", "mac_iceland", "mac_latin2", "mac_turkish", "cp437", "cp850",
    "cp852", "cp858", "cp861", "cp865", "cp775", "cp1258", "hp_roman8",
})  # fmt: skip


@dataclass(frozen=True)
class Decoded:
    """Text of a file and how it was decoded."""

    text: str
    encoding: str
    #: 1-based physical line numbers decoded with a legacy encoding, when mixed.
    legacy_lines: tuple[int, ...] = ()

    def describe(self) -> str:
        """Say in words which encoding was used."""
        if not self.legacy_lines:
            return self.encoding
        lines = ", ".join(str(n) for n in self.legacy_lines[:5])
        more = f" and {len(self.legacy_lines) - 5} more" if len(self.legacy_lines) > 5 else ""
        legacy = " or ".join(self.encoding.split("+")[1:])
        return f"UTF-8, except lines {lines}{more}, which were read as {legacy}"


def decode(data: bytes, *, name: str | Path = "the file") -> Decoded:
    """Decode the bytes of a text file.

    Parameters
    ----------
    data
        The file's bytes.
    name
        The file, named in the error when its bytes are not plausible text.

    Returns
    -------
    Decoded
        The text (BOM removed, line endings kept) and the encoding: ``utf-8``,
        ``utf-8-sig``, ``utf-16``, ``cp1252``, ``mac_roman`` or ``utf-8+cp1252`` /
        ``utf-8+mac_roman`` for mixed files, with the legacy lines listed.

    Raises
    ------
    ImportValidationError
        When the bytes that are not UTF-8 do not read as Latin-script text in any
        single-byte code page (for example a Shift-JIS file), naming the first such line.
    """
    if data.startswith(codecs.BOM_UTF8):
        return Decoded(data[3:].decode("utf-8", errors="strict"), "utf-8-sig")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return Decoded(data.decode("utf-16"), "utf-16")
    sample = data[:4096]
    if sample and sample.count(b"\x00") > len(sample) // 4:
        le = sample[1::2].count(b"\x00") > sample[0::2].count(b"\x00")
        codec = "utf-16-le" if le else "utf-16-be"
        return Decoded(data.decode(codec), codec)
    try:
        return Decoded(data.decode("utf-8"), "utf-8")
    except UnicodeDecodeError:
        pass
    lines = data.splitlines(keepends=True)
    legacy = [i for i, line in enumerate(lines) if not _is_utf8(line)]
    _check_latin(b"".join(lines[i] for i in legacy), name, legacy[0] + 1 if legacy else 0)
    chosen = {i: _choose_legacy(lines[i]) for i in legacy}
    used = sorted(set(chosen.values()))
    utf8_non_ascii = any(i not in chosen and not line.isascii() for i, line in enumerate(lines))
    text = "".join(
        line.decode(chosen[i]) if i in chosen else line.decode("utf-8")
        for i, line in enumerate(lines)
    )
    if not utf8_non_ascii and len(used) == 1:
        return Decoded(text, used[0])
    return Decoded(text, "utf-8+" + "+".join(used), tuple(i + 1 for i in sorted(chosen)))


def _check_latin(data: bytes, name: str | Path, first_line: int) -> None:
    """Refuse bytes that charset-normalizer does not find plausible as Latin-script text."""
    matches = from_bytes(data)
    if any(m.encoding in _WESTERN for m in matches):
        return
    found = ", ".join(m.encoding for m in list(matches)[:3])
    guess = f"the detector reads them as {found}" if found else "no encoding reads them as text"
    raise ImportValidationError(
        f"{name}: not UTF-8 from line {first_line} on, and the bytes are not Latin-script text "
        f"in any Western code page ({guess}, which cxresearch does not guess at); save the "
        "file as UTF-8 and import it again"
    )


def _is_utf8(line: bytes) -> bool:
    try:
        line.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _choose_legacy(data: bytes) -> str:
    """Pick the legacy encoding under which the non-ASCII bytes look most like text."""

    def score(codec: str) -> int:
        try:
            text = data.decode(codec)
        except UnicodeDecodeError:
            return -(10**9)
        return sum(ch in _EXPECTED for ch in text) - 3 * sum(
            (not ch.isprintable() and ch not in "\r\n\t") or ch in "√∞≈∆«»◊ÿŸ‹›ﬁﬂ‡·‚„‰"
            for ch in text
        )

    return max(_LEGACY, key=score)
