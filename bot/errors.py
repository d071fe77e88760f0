"""Errors that an operator fixes, reported as one line instead of a traceback."""

from __future__ import annotations

import errno
import os
import socket


class OperatorError(Exception):
    """A mistake in configuration or content: the message names what to fix."""


class ConfigError(OperatorError):
    """A missing or malformed setting."""


class ContentError(OperatorError):
    """A broken content file: the message names the file and the field."""


def unreachable(exc: BaseException | None) -> str | None:
    """Why connecting to a server failed, in a few words; None if ``exc`` is not such a failure
    (writing a file, a broken pipe…)."""
    if isinstance(exc, socket.gaierror):
        return "unknown host"
    if isinstance(exc, TimeoutError):
        return "no answer"
    if not isinstance(exc, OSError):
        return None
    if exc.errno in (errno.ECONNREFUSED, errno.ECONNRESET, errno.EHOSTUNREACH, errno.ENETUNREACH):
        return os.strerror(exc.errno).lower()
    if exc.errno is None and str(exc).startswith("Multiple exceptions"):  # asyncio: every address failed
        return "no address answered"
    return None
