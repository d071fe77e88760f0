"""Errors that an operator fixes, reported as one line instead of a traceback."""


class OperatorError(Exception):
    """A mistake in configuration or content: the message names what to fix."""


class ConfigError(OperatorError):
    """A missing or malformed setting."""


class ContentError(OperatorError):
    """A broken content file: the message names the file and the field."""
