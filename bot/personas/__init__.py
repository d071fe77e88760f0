"""The twelve resident archetypes of the 2017 workshops, as a catalogue staff can edit.

``catalogue.yaml`` beside this file is the default; a ``CONTENT_DIR`` holds its own
``personas.yaml``. Loading and validation happen with the rest of the content
(``bot.content.load_content``).
"""

from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, StringConstraints, field_validator

CATALOGUE = Path(__file__).parent / "catalogue.yaml"
NO_PERSONA = "none"
"""The answer « none of them », stored where a persona id would be."""

Identifier = Annotated[str, StringConstraints(pattern=r"^[a-z0-9_]{1,16}$")]
Line = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=90)]


class Persona(BaseModel):
    """A resident archetype: a name, a one-line portrait and a longer detail."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: Identifier
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=30)]
    portrait: Line
    detail: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1000)]

    @field_validator("id")
    @classmethod
    def _not_reserved(cls, value: str) -> str:
        if value == NO_PERSONA:
            raise ValueError(f"'{NO_PERSONA}' is reserved for « none of them »")
        return value
