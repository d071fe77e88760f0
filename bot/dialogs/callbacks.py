"""Callback data: what a button does, in at most 64 bytes.

``d<version>:<action>[:<arg>]`` acts on the dialog and is valid only while the dialog is at
that version; ``g:<action>[:<arg>]`` is valid at any time (choose a language, open a paradox…).

Anyone can send any callback data: data this bot could not have produced (another alphabet,
another shape) decodes to nothing, and each action still checks its argument.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_BYTES = 64
_PATTERN = re.compile(
    r"(?:d(?P<version>[0-9]{1,12})|g):(?P<action>[a-z]{1,12})(?::(?P<arg>[A-Za-z0-9_.:-]+))?"
)


@dataclass(frozen=True)
class Callback:
    action: str
    arg: str = ""
    version: int | None = None

    def encode(self) -> str:
        head = "g" if self.version is None else f"d{self.version}"
        data = f"{head}:{self.action}:{self.arg}" if self.arg else f"{head}:{self.action}"
        if len(data.encode()) > MAX_BYTES or _PATTERN.fullmatch(data) is None:
            raise ValueError(f"callback data over {MAX_BYTES} bytes or not decodable: {data!r}")
        return data

    @classmethod
    def decode(cls, data: str | None) -> Callback | None:
        """The callback, or None for data this bot never produces."""
        match = _PATTERN.fullmatch(data or "")
        if match is None or len(match[0].encode()) > MAX_BYTES:
            return None
        version = match["version"]
        return cls(match["action"], match["arg"] or "", int(version) if version else None)
