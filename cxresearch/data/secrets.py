"""Find credentials in values and scrub them from texts.

One scanner serves every entry point: parameter values at any depth (lists, mappings, params
files, schedule matrices) are refused when :func:`find_secret` finds a credential in them, and
error texts that reach run records, the index or executed notebooks pass through
:func:`scrub` first.

What counts as a credential:

- a URL with a password (``postgresql://ana:pw@host/db``), in any scheme, anywhere in a text;
- ``key=value`` or ``key: value`` where the key names a secret (password, passwd, pwd,
  secret, token, api key, access key, private key, credential);
- a bearer token, an AWS access key id, a PEM private key block, a GitHub or Slack token.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, MutableMapping
from typing import Any

_SECRET_WORD = (
    r"(?:pass(?:word|wd)?|pwd|secret|token|api[_-]?key|access[_-]?key|private[_-]?key"
    r"|credentials?)"
)

#: Names of parameters that look like they hold a secret.
SECRET_NAME = re.compile(_SECRET_WORD, re.IGNORECASE)

_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("a URL with a password", re.compile(r"[a-z][a-z0-9+.-]*://[^/\s:@]*:[^/\s@]+@[^\s/]+", re.I)),
    (
        "a key=value secret",
        re.compile(rf"\b[\w.-]*{_SECRET_WORD}[\w.-]*\s*[:=]\s*[\"']?[^\s\"',;)\]}}]{{3,}}", re.I),
    ),
    ("a bearer token", re.compile(r"\bbearer\s+[a-z0-9._~+/-]{16,}=*", re.I)),
    ("an AWS access key", re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b")),
    (
        "a private key",  # the whole block when its end is there, else all that follows
        re.compile(
            r"-----BEGIN [A-Z ]*PRIVATE KEY-----(?:[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----"
            r"|[\s\S]*)"
        ),
    ),
    ("a GitHub token", re.compile(r"\bgh[pousr]_[A-Za-z0-9]{30,}\b")),
    ("a Slack token", re.compile(r"\bxox[abprs]-[A-Za-z0-9-]{10,}\b")),
]


def _walk(value: Any, where: str) -> Iterator[tuple[str, str]]:
    if isinstance(value, str):
        yield where, value
    elif isinstance(value, Mapping):
        for key, item in value.items():
            yield where, str(key)
            yield from _walk(item, f"{where}.{key}" if where else str(key))
    elif isinstance(value, list | tuple | set | frozenset):
        for i, item in enumerate(value):
            yield from _walk(item, f"{where}[{i}]")


def find_secret(value: Any, where: str = "") -> tuple[str, str] | None:
    """Return ``(where, kind)`` of the first credential in ``value``, at any depth.

    Parameters
    ----------
    value
        A string, or lists, tuples and mappings of them, nested to any depth.
    where
        The name of ``value`` (a parameter name), used to say where the secret sits.

    Returns
    -------
    tuple or None
        Where it sits (``country[0]``, ``options.db``) and what kind of secret it looks
        like; ``None`` when nothing looks like a credential.

    Examples
    --------
    >>> find_secret({"country": ["SE", "postgresql://ana:pw@db/cx"]})
    ('country[1]', 'a URL with a password')
    >>> find_secret(["SE", "DK"]) is None
    True
    """
    for place, text in _walk(value, where):
        for kind, pattern in _PATTERNS:
            if pattern.search(text):
                return place, kind
    return None


def scrub(text: str) -> str:
    """Replace every credential in ``text`` with ``***``.

    Examples
    --------
    >>> scrub("could not connect to postgresql://ana:S3cret@db/cx (password=S3cret)")
    'could not connect to postgresql://ana:***@db/cx (***)'
    """
    text = re.sub(r"([a-z][a-z0-9+.-]*://[^/\s:@]*:)[^/\s@]+(@)", r"\1***\2", str(text), flags=re.I)
    for _, pattern in _PATTERNS[1:]:
        text = pattern.sub("***", text)
    return text


def drop_secrets(environ: MutableMapping[str, str]) -> None:
    """Remove the variables whose name or value holds a credential, in place."""
    for key, value in list(environ.items()):
        if SECRET_NAME.search(key) or find_secret(value):
            del environ[key]
