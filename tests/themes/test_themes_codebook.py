"""The codebook: shipped, overridden like the content, validated with one-line errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.errors import ContentError
from bot.themes import load_codebook
from bot.themes.codebook import SHIPPED

SEEDS_THEMES = ("emploi", "participation", "rayonnement", "innovation", "nature", "transports", "logement")


def test_the_shipped_codebook_covers_the_workshops_paradoxes_and_residents_topics() -> None:
    codebook = load_codebook()
    assert set(SEEDS_THEMES) <= set(codebook.ids)
    assert 8 <= len(codebook.themes) <= 20
    for theme in codebook.themes:
        assert len(theme.description) <= 400 and theme.examples


def test_content_dir_overrides_the_codebook_and_falls_back_to_the_shipped_one(tmp_path: Path) -> None:
    assert load_codebook(tmp_path) == load_codebook()  # a CONTENT_DIR from before the themes
    (tmp_path / "themes.yaml").write_text(
        "themes:\n"
        "  - {id: mer, label: La mer, description: plages et baignade}\n"
        "  - {id: port, label: Le port, description: bateaux et ferries, examples: [les ferries]}\n",
        encoding="utf-8",
    )
    assert load_codebook(tmp_path).ids == ("mer", "port")
    assert load_codebook(tmp_path, SHIPPED) == load_codebook()


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("themes:\n  - {id: a, label: A, description: x}\n", "themes: Tuple should have at least 2 items"),
        ("themes:\n  - {id: a, label: A, description: x}\n  - {id: a, label: B, description: y}\n",
         "themes: item 1: id 'a' is used twice"),
        ("themes:\n  - {id: A b, label: A, description: x}\n  - {id: b, label: B, description: y}\n",
         "themes[0].id: String should match pattern"),
        ("themes:\n  - {id: a, label: A, description: x, exemples: [z]}\n  - {id: b, label: B, description: y}\n",
         "themes[0].exemples: Extra inputs are not permitted"),
        ("themes:\n  - {id: a, label: '', description: x}\n  - {id: b, label: B, description: y}\n",
         "themes[0].label: String should have at least 1 character"),
    ],
)  # fmt: skip
def test_a_mistake_in_the_codebook_is_one_line_naming_the_field(
    tmp_path: Path, text: str, problem: str
) -> None:
    path = tmp_path / "themes.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ContentError) as error:
        load_codebook(path=path)
    assert str(error.value).startswith(f"{path}: {problem}")
    assert "\n" not in str(error.value)
