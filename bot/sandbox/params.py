"""Bot API call parameters, decoded the way the Telegram server reads them.

Values may come typed (JSON body) or as strings (query string, form fields, where
python-telegram-bot JSON-encodes lists and objects); the typed accessors accept both.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from bot.sandbox.errors import bad_request

_T = TypeVar("_T")


@dataclass(frozen=True)
class UploadedFile:
    """A file part of a multipart/form-data request."""

    filename: str | None
    content_type: str | None
    content: bytes

    def describe(self) -> dict[str, Any]:
        """A short description for logs (without the bytes)."""
        return {"filename": self.filename, "size": len(self.content)}


class Params:
    """The parameters of one call, with typed accessors raising Telegram's errors."""

    def __init__(self, values: Mapping[str, Any], files: Mapping[str, UploadedFile] | None = None) -> None:
        self._values = dict(values)
        self._files = dict(files or {})
        self._decoded: dict[str, Any] = {}

    def __contains__(self, name: str) -> bool:
        return self.raw(name) is not None or name in self._files

    def raw(self, name: str) -> Any:
        """The value as received, or None."""
        return self._values.get(name)

    def _keep(self, name: str, value: _T) -> _T:
        if value is not None:
            self._decoded[name] = value
        return value

    def string(self, name: str) -> str | None:
        """A String parameter."""
        value = self.raw(name)
        if value is None or isinstance(value, str):
            return self._keep(name, value)
        if isinstance(value, bool | dict | list):
            raise bad_request(f'field "{name}" must be of type String')
        return self._keep(name, str(value))

    def integer(self, name: str) -> int | None:
        """An Integer parameter (``"42"`` or ``42``)."""
        value = self.raw(name)
        if value is None or value == "":
            return None
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise bad_request(f'field "{name}" must be of type Integer')
        try:
            return self._keep(name, int(value))
        except ValueError:
            raise bad_request(f'field "{name}" must be of type Integer') from None

    def number(self, name: str) -> float | None:
        """A Float parameter."""
        value = self.raw(name)
        if value is None or value == "":
            return None
        try:
            return self._keep(name, float(value))
        except (TypeError, ValueError):
            raise bad_request(f'field "{name}" must be of type Float') from None

    def boolean(self, name: str) -> bool:
        """A Boolean parameter; absent means False."""
        value = self.raw(name)
        if value is None:
            return False
        if isinstance(value, str):
            value = value.strip().lower() in ("true", "1", "yes", "on")
        return self._keep(name, bool(value))

    def json(self, name: str, error: str | None = None) -> Any:
        """A JSON-serialized parameter (object or array), decoded; ``error`` if malformed."""
        value = self.raw(name)
        if isinstance(value, str):
            if not value:
                return None
            try:
                value = json.loads(value)
            except ValueError:
                raise bad_request(error or f"can't parse {name} JSON object") from None
        return self._keep(name, value)

    def chat_id(self, name: str = "chat_id") -> int | str:
        """A required chat identifier: an integer or ``@username``."""
        value = self.raw(name)
        if value is None or value == "":
            raise bad_request(f"{name} is empty")
        if isinstance(value, int) and not isinstance(value, bool):
            return int(self._keep(name, value))
        text = str(value).strip()
        try:
            return int(self._keep(name, int(text)))
        except ValueError:
            return str(self._keep(name, text))

    def input_file(self, name: str) -> UploadedFile | str | None:
        """A file: an uploaded part, ``attach://<part>``, or a file_id / URL string."""
        if name in self._files:
            return self._keep(name, self._files[name])
        value = self.raw(name)
        if isinstance(value, str) and value.startswith("attach://"):
            part = self._files.get(value[len("attach://") :])
            if part is None:
                raise bad_request(f"can't find {value}")
            return self._keep(name, part)
        if value is None or value == "":
            return None
        return self._keep(name, str(value))

    def logged(self) -> dict[str, Any]:
        """The parameters for the call log: decoded where a handler read them."""
        merged: dict[str, Any] = {**self._values, **self._files}
        merged.update(self._decoded)
        return {
            key: value.describe() if isinstance(value, UploadedFile) else value
            for key, value in merged.items()
        }
