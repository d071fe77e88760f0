"""Staff corrections: « this wish belongs to that theme », kept in a CSV file later runs respect.

A wish is known by its key, :func:`wish_key`: a hash of its text (spaces and case aside), so a
correction survives re-exports, a restore of the database, a move to PostgreSQL and the
retention purge (none of which keep answer ids or pseudonyms for sure), and applies to every
answer with the same words. A resident who changes their wish gets a new key: the machine reads
the new text.

The file has a header with at least ``wish_key`` and ``theme`` (and optionally ``theme_2``);
other columns (the wish itself, a note) are ignored, so the easiest way to write one is to copy
rows of ``fabrique-bot themes --output`` and fix their ``theme``. The separator is ``,``, ``;``
or a tab. ``a_classer`` as the theme sends the wish to « à classer ».
"""

from __future__ import annotations

import csv
import hashlib
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from bot.errors import ContentError
from bot.themes.codebook import UNCLASSIFIED, Codebook

COLUMNS = ("wish_key", "theme", "theme_2")


def normalised(text: str) -> str:
    """The words of a wish, whatever their case, Unicode form and spacing."""
    return " ".join(unicodedata.normalize("NFC", text).casefold().split())


def wish_key(text: str) -> str:
    """A stable key for a wish: ``W-`` and 16 hex digits of the SHA-256 of its normalised text."""
    return "W-" + hashlib.sha256(normalised(text).encode("utf-8")).hexdigest()[:16]


@dataclass(frozen=True)
class Corrections:
    """The themes staff gave to wishes, by wish key; an empty tuple means « à classer »."""

    themes: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    source: Path | None = None

    def __len__(self) -> int:
        return len(self.themes)

    def get(self, key: str) -> tuple[str, ...] | None:
        return self.themes.get(key)


def load_corrections(path: Path, codebook: Codebook) -> Corrections:
    """Read a corrections file, or raise a one-line ContentError naming the file and the line."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise ContentError(f"{path}: file not found") from None
    except UnicodeDecodeError:
        raise ContentError(f"{path}: not a UTF-8 text file (save it as CSV UTF-8)") from None
    except OSError as exc:
        raise ContentError(f"{path}: cannot read: {exc.strerror}") from None
    first = text.splitlines()[0] if text.strip() else ""
    delimiter = max(",;\t", key=first.count)
    reader = csv.DictReader(text.splitlines(), delimiter=delimiter)
    missing = [name for name in COLUMNS[:2] if name not in (reader.fieldnames or ())]
    if missing:
        expected = ", ".join(COLUMNS)
        raise ContentError(f"{path}: line 1: missing column(s) {', '.join(missing)} (expected {expected})")
    known = set(codebook.ids)
    themes: dict[str, tuple[str, ...]] = {}
    for row in reader:
        line = reader.line_num
        key = (row.get("wish_key") or "").strip()
        given = [(row.get(name) or "").strip() for name in ("theme", "theme_2")]
        if not key and not any(given):
            continue  # an empty line
        if not key.startswith("W-") or len(key) != 18:
            raise ContentError(f"{path}: line {line}: {key!r} is not a wish key (W- and 16 hex digits)")
        chosen: list[str] = []
        for theme in given:
            if not theme or theme in chosen:
                continue
            if theme != UNCLASSIFIED and theme not in known:
                known_ids = ", ".join((*codebook.ids, UNCLASSIFIED))
                raise ContentError(f"{path}: line {line}: unknown theme {theme!r} (known: {known_ids})")
            chosen.append(theme)
        if not chosen:
            raise ContentError(f"{path}: line {line}: no theme for {key}")
        if UNCLASSIFIED in chosen and len(chosen) > 1:
            raise ContentError(f"{path}: line {line}: {UNCLASSIFIED} cannot go with another theme")
        if key in themes:
            raise ContentError(f"{path}: line {line}: {key} is corrected twice")
        themes[key] = () if chosen == [UNCLASSIFIED] else tuple(chosen)
    return Corrections(themes, path)
