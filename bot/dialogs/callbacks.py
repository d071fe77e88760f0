"""Callback data: what a button does, in at most 64 bytes.

``d<version>:<action>[:<arg>]`` acts on the dialog and is valid only while the dialog is at
that version; ``g:<action>[:<arg>]`` is valid at any time (choose a language, open a paradox…).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_BYTES = 64
_PATTERN = re.compile(r"^(?:d(?P<version>\d{1,12})|g):(?P<action>[a-z]{1,12})(?::(?P<arg>.*))?$")


@dataclass(frozen=True)
class Callback:
    action: str
    arg: str = ""
    version: int | None = None

    def encode(self) -> str:
        head = "g" if self.version is None else f"d{self.version}"
        data = f"{head}:{self.action}:{self.arg}" if self.arg else f"{head}:{self.action}"
        if len(data.encode()) > MAX_BYTES:
            raise ValueError(f"callback data over {MAX_BYTES} bytes: {data!r}")
        return data

    @classmethod
    def decode(cls, data: str | None) -> Callback | None:
        """The callback, or None for data this bot never produced."""
        match = _PATTERN.match(data or "")
        if match is None:
            return None
        version = match["version"]
        return cls(match["action"], match["arg"] or "", int(version) if version else None)
