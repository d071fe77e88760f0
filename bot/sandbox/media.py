"""Stored files: identifiers, paths and image sizes, as Telegram reports them."""

from __future__ import annotations

import hashlib
import mimetypes
import struct
from dataclasses import dataclass

from bot.sandbox.text import JsonDict

_EXTENSIONS = {"photo": "jpg", "voice": "oga", "video": "mp4", "sticker": "webp", "audio": "mp3"}
_FOLDERS = {"photo": "photos", "document": "documents", "voice": "voice", "video": "videos",
            "sticker": "stickers", "audio": "music"}  # fmt: skip


@dataclass
class StoredFile:
    """A file the sandbox holds: uploaded by the bot or sent by a resident."""

    file_id: str
    file_unique_id: str
    kind: str  # "photo", "document", ...
    content: bytes
    file_path: str
    file_name: str | None = None
    mime_type: str | None = None
    width: int | None = None
    height: int | None = None

    @property
    def file_size(self) -> int:
        """Size in bytes."""
        return len(self.content)

    def to_api(self) -> JsonDict:
        """The Document / PhotoSize (...) object describing this file."""
        body: JsonDict = {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": self.file_size,
        }
        if self.kind == "photo":
            body.update(width=self.width, height=self.height)
        else:
            if self.file_name is not None:
                body["file_name"] = self.file_name
            if self.mime_type is not None:
                body["mime_type"] = self.mime_type
        return body

    def file_info(self) -> JsonDict:
        """The File object answered by getFile."""
        return {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": self.file_size,
            "file_path": self.file_path,
        }


def make_stored_file(
    number: int,
    kind: str,
    content: bytes,
    file_name: str | None = None,
    mime_type: str | None = None,
) -> StoredFile:
    """Create the ``number``-th stored file with Telegram-like ids and path."""
    digest = hashlib.sha256(content).hexdigest()
    if kind != "photo" and (mime_type is None or mime_type == "application/octet-stream"):
        mime_type = mimetypes.guess_type(file_name or "")[0] or mime_type
    extension = _EXTENSIONS.get(kind) or (file_name or "").rpartition(".")[2] or "bin"
    size = image_size(content) if kind == "photo" else None
    return StoredFile(
        file_id=f"SBX{kind[:2].upper()}{number:06d}{digest[:24]}",
        file_unique_id=f"U{digest[:15]}",
        kind=kind,
        content=content,
        file_path=f"{_FOLDERS.get(kind, 'documents')}/file_{number}.{extension}",
        file_name=file_name if kind != "photo" else None,
        mime_type=mime_type if kind != "photo" else None,
        width=size[0] if size else None,
        height=size[1] if size else None,
    )


def image_size(data: bytes) -> tuple[int, int] | None:
    """Width and height of a PNG, GIF, JPEG or WebP image, or None if not recognized."""
    if data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) >= 24:
        width, height = struct.unpack(">II", data[16:24])
        return int(width), int(height)
    if data[:6] in (b"GIF87a", b"GIF89a") and len(data) >= 10:
        width, height = struct.unpack("<HH", data[6:10])
        return int(width), int(height)
    if data.startswith(b"\xff\xd8"):
        return _jpeg_size(data)
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return _webp_size(data)
    return None


def _jpeg_size(data: bytes) -> tuple[int, int] | None:
    index = 2
    while index + 9 < len(data):
        if data[index] != 0xFF:
            return None
        marker = data[index + 1]
        length = int.from_bytes(data[index + 2 : index + 4], "big")
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            height, width = struct.unpack(">HH", data[index + 5 : index + 9])
            return int(width), int(height)
        index += 2 + length
    return None


def _webp_size(data: bytes) -> tuple[int, int] | None:
    chunk = data[12:16]
    if chunk == b"VP8X" and len(data) >= 30:
        width = int.from_bytes(data[24:27], "little") + 1
        height = int.from_bytes(data[27:30], "little") + 1
        return width, height
    if chunk == b"VP8 " and len(data) >= 30:
        width, height = struct.unpack("<HH", data[26:30])
        return int(width) & 0x3FFF, int(height) & 0x3FFF
    if chunk == b"VP8L" and len(data) >= 25:
        bits = int.from_bytes(data[21:25], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    return None
