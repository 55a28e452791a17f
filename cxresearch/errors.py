"""Exceptions raised by cxresearch: one base class and a few precise subclasses."""

from __future__ import annotations


class CXResearchError(Exception):
    """Base class of every error cxresearch raises on purpose."""


class ParameterError(CXResearchError, ValueError):
    """A notebook parameter or CLI option is unknown, mistyped or not allowed."""


class ReportError(CXResearchError):
    """A notebook failed to execute or a report could not be rendered.

    ``kind`` says how: ``cell`` (a cell raised), ``timeout``, ``kernel`` (the kernel
    died or could not start: worth a retry) or ``render``.
    """

    def __init__(self, message: str, kind: str = "cell") -> None:
        super().__init__(message)
        self.kind = kind


class DatabaseError(CXResearchError):
    """The survey database could not be reached or does not hold the expected tables."""


class ImportValidationError(CXResearchError, ValueError):
    """A survey file failed validation; nothing was written.

    ``problems`` lists every problem found (up to a limit), each naming the file, the
    row as the user counts it, the column, the value and what was expected.
    """

    def __init__(self, message: str, problems: list | None = None) -> None:
        super().__init__(message)
        self.problems = list(problems or [])


class WriteError(CXResearchError, OSError):
    """A file could not be written (disk full, read-only folder, permission denied).

    The message names the file or folder and the reason in one line; what was there
    before is unchanged. It is an :class:`OSError` too, for code that catches those, with
    the ``errno`` of the cause.
    """

    def __init__(self, message: str, errno: int | None = None) -> None:
        super().__init__(message)
        self.errno = errno

    def __str__(self) -> str:
        return str(self.args[0])
