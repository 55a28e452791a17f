"""Decode survey files whatever their encoding, and say which encoding was used.

Handles UTF-8 with or without a byte-order mark, UTF-16 (with a BOM, or without one when
the NUL bytes give it away), and files that are UTF-8 except for some lines written by a
Windows (cp1252) or old Mac (Mac-Roman) program, a common result of concatenating exports.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass

#: Characters expected in Nordic, Dutch and English survey text; used to choose between
#: legacy 8-bit encodings for lines that are not UTF-8.
_EXPECTED = set("åäöæøéèëüïÅÄÖÆØÉÈËÜÏ€–—’“”‘…")
_LEGACY = ("cp1252", "mac_roman")


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


def decode(data: bytes) -> Decoded:
    """Decode the bytes of a text file.

    Parameters
    ----------
    data
        The file's bytes.

    Returns
    -------
    Decoded
        The text (BOM removed, line endings kept) and the encoding: ``utf-8``,
        ``utf-8-sig``, ``utf-16``, ``cp1252``, ``mac_roman`` or ``utf-8+cp1252`` /
        ``utf-8+mac_roman`` for mixed files, with the legacy lines listed.
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
    chosen: dict[int, str] = {}
    for i, line in enumerate(lines):
        if not _is_utf8(line):
            chosen[i] = _choose_legacy(line)
    used = sorted(set(chosen.values()))
    utf8_non_ascii = any(i not in chosen and not line.isascii() for i, line in enumerate(lines))
    text = "".join(
        line.decode(chosen[i]) if i in chosen else line.decode("utf-8")
        for i, line in enumerate(lines)
    )
    if not utf8_non_ascii and len(used) == 1:
        return Decoded(text, used[0])
    return Decoded(text, "utf-8+" + "+".join(used), tuple(i + 1 for i in sorted(chosen)))


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
