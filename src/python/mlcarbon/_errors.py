# SPDX-License-Identifier: Apache-2.0
"""Exceptions raised by mlcarbon; each carries the library's message and remedy."""

from __future__ import annotations


class Error(Exception):
    """An error from mlcarbon's C++ library.

    ``str(error)`` is the message followed by ``hint: <remedy>`` when there is
    one, as the command line prints it; ``message`` and ``remedy`` hold the
    two parts and ``kind`` the error's category ("invalid_argument", ...).
    """

    kind = "internal"

    def __init__(self, message: str, remedy: str = "") -> None:
        self.message = message
        self.remedy = remedy
        text = message + (f"\nhint: {remedy}" if remedy else "")
        super().__init__(text)


class InvalidArgumentError(Error, ValueError):
    """A value the library refused (a bad region, interval, scenario field)."""

    kind = "invalid_argument"


class ParseError(Error, ValueError):
    """Malformed input: a scenario, a CSV, a JSON document."""

    kind = "parse"


class NotFoundError(Error, LookupError):
    """A named file, region or entry that does not exist."""

    kind = "not_found"


class IoError(Error, OSError):
    """Reading or writing a file failed."""

    kind = "io"


class PermissionDeniedError(Error, PermissionError):
    """Present, but this user may not read it (a sensor, a file)."""

    kind = "permission_denied"


class UnavailableError(Error):
    """Absent on this machine (no RAPL, no GPU)."""

    kind = "unavailable"


class BackendError(Error):
    """A foreign library (NVML, SQLite) failed."""

    kind = "backend"


class CancelledError(Error):
    """Stopped by a signal or the user."""

    kind = "cancelled"


_BY_KIND = {
    cls.kind: cls
    for cls in (
        InvalidArgumentError,
        ParseError,
        NotFoundError,
        IoError,
        PermissionDeniedError,
        UnavailableError,
        BackendError,
        CancelledError,
    )
}


def make(kind: str, message: str, remedy: str) -> Error:
    """The exception for an error of `kind` (called by the C++ core)."""
    cls = _BY_KIND.get(kind, Error)
    if issubclass(cls, OSError):
        # OSError's constructor takes (errno, strerror); build ours by hand.
        exc = cls.__new__(cls)
        Error.__init__(exc, message, remedy)
        return exc
    return cls(message, remedy)
