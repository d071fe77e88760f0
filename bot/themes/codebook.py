"""The codebook: the themes staff define, as a YAML file they edit.

The shipped codebook is ``codebook.yaml`` beside this file. Staff override it as content is
overridden: a ``themes.yaml`` in ``CONTENT_DIR`` (when there is one), or a file given on the
command line. A mistake raises :class:`~bot.errors.ContentError` with one line naming the file
and the field, like the rest of the content.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from bot.content import _read

SHIPPED = Path(__file__).parent / "codebook.yaml"
FILE_NAME = "themes.yaml"
"""The codebook's name in a ``CONTENT_DIR`` folder."""
UNCLASSIFIED = "a_classer"
"""The id of « à classer », reserved: in results and in the corrections file, the wishes close
to no theme."""

ThemeId = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,31}$")]
Phrase = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class Theme(BaseModel):
    """A theme: an id (the key corrections use), a label, a description and example phrases."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: ThemeId
    label: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=80)]
    description: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=400)]
    examples: Annotated[tuple[Phrase, ...], Field(max_length=30)] = ()

    @field_validator("id")
    @classmethod
    def _not_reserved(cls, value: str) -> str:
        if value == UNCLASSIFIED:
            raise ValueError(f"'{UNCLASSIFIED}' is reserved for « à classer »")
        return value

    @property
    def texts(self) -> tuple[str, ...]:
        """What the machine reads of the theme: its label, description and examples."""
        return (self.label, self.description, *self.examples)


class Codebook(BaseModel):
    """The themes, in the order staff wrote them (the order tables show)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    themes: Annotated[tuple[Theme, ...], Field(min_length=2, max_length=60)]

    @field_validator("themes")
    @classmethod
    def _unique(cls, themes: tuple[Theme, ...]) -> tuple[Theme, ...]:
        seen: set[str] = set()
        for index, theme in enumerate(themes):
            if theme.id in seen:
                raise ValueError(f"item {index}: id '{theme.id}' is used twice")
            seen.add(theme.id)
        return themes

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(theme.id for theme in self.themes)

    def theme(self, theme_id: str) -> Theme | None:
        return next((theme for theme in self.themes if theme.id == theme_id), None)


def codebook_path(content_dir: Path | None = None, path: Path | None = None) -> Path:
    """Where the codebook is read from: ``path`` if given, else ``CONTENT_DIR/themes.yaml`` if
    that file exists, else the shipped one (a ``CONTENT_DIR`` made before themes existed keeps
    working)."""
    if path is not None:
        return path
    if content_dir is not None and (content_dir / FILE_NAME).is_file():
        return content_dir / FILE_NAME
    return SHIPPED


def load_codebook(content_dir: Path | None = None, path: Path | None = None) -> Codebook:
    """Load and validate the codebook (see :func:`codebook_path`), or raise a one-line
    ContentError."""
    return _read(codebook_path(content_dir, path), Codebook)
