"""The consultation's content: paradoxes, values, stages, personas and source labels, edited by
staff as YAML.

Files are validated when the bot starts; a mistake raises :class:`ContentError` with one line
naming the file and the field. Texts are French; their translations live in the ``content``
catalogs (see ``bot.i18n``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
    model_validator,
)

from bot.clock import PARIS
from bot.errors import ContentError
from bot.personas import CATALOGUE, Identifier, Line, Persona

CONTENT_DIR = Path(__file__).parent
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


class _Item(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Paradox(_Item):
    id: Identifier
    title: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]
    text: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=3000)]


class Value(_Item):
    id: Identifier
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]
    description: Line


class Stage(_Item):
    """A step of the consultation's calendar; ``date`` is a day, a month or a Paris time."""

    id: Annotated[str, StringConstraints(pattern=r"^[a-z0-9_]{1,32}$")]
    title: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=70)]
    date: dt.date | dt.datetime | Annotated[str, StringConstraints(pattern=r"^\d{4}-\d{2}$")]
    tentative: bool = False
    description: Text

    @property
    def precision(self) -> Literal["month", "day", "time"]:
        if isinstance(self.date, dt.datetime):
            return "time"
        return "day" if isinstance(self.date, dt.date) else "month"

    @property
    def starts(self) -> dt.datetime:
        """The stage's first moment, timezone-aware, for ordering and past/upcoming."""
        if isinstance(self.date, dt.datetime):
            return self.date if self.date.tzinfo else self.date.replace(tzinfo=PARIS)
        if isinstance(self.date, dt.date):
            return dt.datetime(self.date.year, self.date.month, self.date.day, tzinfo=PARIS)
        year, month = self.date.split("-")
        return dt.datetime(int(year), int(month), 1, tzinfo=PARIS)

    @field_validator("date", mode="after")
    @classmethod
    def _real_month(cls, value: dt.date | dt.datetime | str) -> dt.date | dt.datetime | str:
        if isinstance(value, str) and not 1 <= int(value[5:]) <= 12:
            raise ValueError("month must be between 01 and 12")
        return value


class Consultation(_Item):
    name: Text
    organiser: Text
    contact_email: Annotated[str, StringConstraints(pattern=r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$")]
    ends: dt.date | None = None
    """The consultation's last day (Paris time), if it is set: nobody is reminded after it."""

    @property
    def over_at(self) -> dt.datetime | None:
        """The first moment after the consultation: midnight in Paris after its last day."""
        if self.ends is None:
            return None
        return dt.datetime.combine(self.ends + dt.timedelta(days=1), dt.time(), tzinfo=PARIS)


ItemT = TypeVar("ItemT", bound=BaseModel)


def _unique(items: list[ItemT]) -> list[ItemT]:
    seen: set[str] = set()
    for index, item in enumerate(items):
        key = getattr(item, "id")  # noqa: B009 - every listed item has an id
        if key in seen:
            raise ValueError(f"item {index}: id '{key}' is used twice")
        seen.add(key)
    return items


class _ParadoxFile(_Item):
    paradoxes: Annotated[list[Paradox], Field(min_length=1)]
    _check = field_validator("paradoxes")(_unique)


class _ValueFile(_Item):
    values: Annotated[list[Value], Field(min_length=2, max_length=9)]
    _check = field_validator("values")(_unique)


class _StageFile(_Item):
    stages: list[Stage]
    _check = field_validator("stages")(_unique)


class _PersonaFile(_Item):
    personas: Annotated[list[Persona], Field(min_length=1)]
    _check = field_validator("personas")(_unique)


SourceId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,56}$")]
"""A deep-link payload as answers record it (``t.me/<bot>?start=<id>``: letters, digits, ``_``
and ``-``, kept up to 56 characters)."""
SourceLabel = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=80)]


class _SourceFile(_Item):
    """``sources.yaml``: the label staff give each source (« affiche_vieux_port: Affiche du
    Vieux-Port »), shown in the statistics instead of the raw code."""

    sources: dict[SourceId, SourceLabel] | None = None


class Content(_Item):
    """Everything a resident is shown that staff can change without touching code."""

    consultation: Consultation
    paradoxes: tuple[Paradox, ...]
    values: tuple[Value, ...]
    stages: tuple[Stage, ...]
    personas: tuple[Persona, ...]
    sources: tuple[tuple[str, str], ...] = ()
    """Optional labels of the deep-link sources, as (id, label) in the file's order."""

    @model_validator(mode="after")
    def _stages_in_order(self) -> Content:
        object.__setattr__(self, "stages", tuple(sorted(self.stages, key=lambda s: s.starts)))
        return self

    def paradox(self, paradox_id: str | None) -> Paradox | None:
        return next((p for p in self.paradoxes if p.id == paradox_id), None)

    def value(self, value_id: str) -> Value | None:
        return next((v for v in self.values if v.id == value_id), None)

    def persona(self, persona_id: str | None) -> Persona | None:
        return next((p for p in self.personas if p.id == persona_id), None)

    def source(self, source_id: str | None) -> str | None:
        """The label staff gave a source (French, to translate as content), None without one."""
        return next((label for key, label in self.sources if key == source_id), None)


ModelT = TypeVar("ModelT", bound=BaseModel)


def _location(loc: tuple[int | str, ...]) -> str:
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else f".{part}" if path else str(part)
    return path or "(top level)"


def _read(path: Path, model: type[ModelT]) -> ModelT:
    """Parse one YAML file into ``model``, or raise a one-line ContentError."""
    try:
        raw: Any = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ContentError(f"{path}: file not found") from None
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        reason = getattr(exc, "problem", None) or "not valid UTF-8 YAML"
        raise ContentError(f"{path}: invalid YAML{where}: {reason}") from None
    except ValueError as exc:  # PyYAML builds dates itself and lets a 30 February through as this
        raise ContentError(f"{path}: invalid value: {exc}") from None
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        error = exc.errors()[0]
        loc = tuple(part for part in error["loc"] if not str(part).startswith("function-after"))
        message = error["msg"].removeprefix("Value error, ")
        raise ContentError(f"{path}: {_location(loc)}: {message}") from None


def content_files(directory: Path | None = None) -> dict[str, Path]:
    """The files :func:`load_content` reads (``CONTENT_DIR``'s, or those shipped with the bot),
    by their name in a ``CONTENT_DIR``; ``sources.yaml`` only when there is one."""
    folder = directory or CONTENT_DIR
    files = {
        name: folder / name for name in ("consultation.yaml", "paradoxes.yaml", "values.yaml", "stages.yaml")
    }
    files["personas.yaml"] = folder / "personas.yaml" if directory else CATALOGUE
    if (folder / "sources.yaml").is_file():
        files["sources.yaml"] = folder / "sources.yaml"
    return files


def content_version(directory: Path | None = None) -> tuple[str, dict[str, str]]:
    """The content's version, and each of its files' SHA-256 by name. The content keeps no
    version number: its version is the SHA-256 of what ``sha256sum`` prints for its files in
    the order of their names (« <sha256>  <name> » lines), so that any change shows."""
    digests = {
        name: hashlib.sha256(path.read_bytes()).hexdigest()
        for name, path in sorted(content_files(directory).items())
    }
    listing = "".join(f"{digest}  {name}\n" for name, digest in digests.items())
    return hashlib.sha256(listing.encode("utf-8")).hexdigest(), digests


def load_content(directory: Path | None = None) -> Content:
    """Load and validate the content files (``CONTENT_DIR``, or those shipped with the bot).

    ``sources.yaml`` is optional: without it, sources are shown by their code.
    """
    files = content_files(directory)
    sources = files.get("sources.yaml")
    labels = _read(sources, _SourceFile).sources if sources is not None else None
    return Content(
        consultation=_read(files["consultation.yaml"], Consultation),
        paradoxes=tuple(_read(files["paradoxes.yaml"], _ParadoxFile).paradoxes),
        values=tuple(_read(files["values.yaml"], _ValueFile).values),
        stages=tuple(_read(files["stages.yaml"], _StageFile).stages),
        personas=tuple(_read(files["personas.yaml"], _PersonaFile).personas),
        sources=tuple((labels or {}).items()),
    )
