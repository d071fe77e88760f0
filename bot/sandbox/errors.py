"""Errors answered by the sandbox, shaped like the Telegram Bot API's."""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """A Bot API error answer: ``{"ok": false, "error_code": ..., "description": ...}``."""

    def __init__(self, error_code: int, description: str, parameters: dict[str, Any] | None = None) -> None:
        super().__init__(description)
        self.error_code = error_code
        self.description = description
        self.parameters = parameters

    def to_json(self) -> dict[str, Any]:
        """The JSON body Telegram sends for this error."""
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.error_code,
            "description": self.description,
        }
        if self.parameters:
            body["parameters"] = self.parameters
        return body


def bad_request(reason: str) -> ApiError:
    """400 ``Bad Request: <reason>``."""
    return ApiError(400, f"Bad Request: {reason}")


def forbidden(reason: str) -> ApiError:
    """403 ``Forbidden: <reason>``."""
    return ApiError(403, f"Forbidden: {reason}")


def conflict(reason: str) -> ApiError:
    """409 ``Conflict: <reason>``."""
    return ApiError(409, f"Conflict: {reason}")


def too_many_requests(retry_after: int) -> ApiError:
    """429 with ``parameters.retry_after`` like Telegram's flood control."""
    return ApiError(429, f"Too Many Requests: retry after {retry_after}", {"retry_after": retry_after})


def unauthorized() -> ApiError:
    """401 for a token the sandbox does not know."""
    return ApiError(401, "Unauthorized")


def not_found() -> ApiError:
    """404 for an unknown method."""
    return ApiError(404, "Not Found")


class EntityParseError(Exception):
    """A formatting error; becomes ``Bad Request: can't parse entities: <reason>``."""


class SandboxUsageError(Exception):
    """A resident-side action that cannot be done (unknown user, missing button...)."""
