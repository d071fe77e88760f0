"""Source labels (``sources.yaml``): optional, validated like the other content files, and
extracted for translation with the rest of the content."""

import io
import shutil
from pathlib import Path

import pytest

from bot.content import CONTENT_DIR, load_content
from bot.content.extract import extract_yaml
from bot.errors import ContentError
from bot.personas import CATALOGUE
from bot.services.consultation import MAX_SOURCE

LABELS = """\
sources:
  affiche_vieux_port: "Affiche du Vieux-Port"
  QR-atelier-istres: Atelier d’Istres, 12 mai
"""


@pytest.fixture
def content_dir(tmp_path: Path) -> Path:
    for name in ("paradoxes.yaml", "values.yaml", "stages.yaml", "consultation.yaml"):
        shutil.copy(CONTENT_DIR / name, tmp_path / name)
    shutil.copy(CATALOGUE, tmp_path / "personas.yaml")
    return tmp_path


def test_the_shipped_file_documents_the_format_and_labels_nothing() -> None:
    assert (CONTENT_DIR / "sources.yaml").is_file()
    assert load_content().sources == ()
    assert load_content().source("affiche_vieux_port") is None


def test_a_content_dir_without_labels_is_fine(content_dir: Path) -> None:
    assert load_content(content_dir).sources == ()


def test_labels_are_read_in_the_files_order(content_dir: Path) -> None:
    (content_dir / "sources.yaml").write_text(LABELS, encoding="utf-8")

    content = load_content(content_dir)

    assert content.sources == (
        ("affiche_vieux_port", "Affiche du Vieux-Port"),
        ("QR-atelier-istres", "Atelier d’Istres, 12 mai"),
    )
    assert content.source("QR-atelier-istres") == "Atelier d’Istres, 12 mai"
    assert content.source("affiche") is None
    assert content.source(None) is None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            'sources:\n  "affiche du port": Affiche\n',
            "sources.yaml: sources.affiche du port.[key]: String should",
        ),
        (f"sources:\n  {'a' * (MAX_SOURCE + 1)}: Trop long\n", "String should match pattern"),
        (
            'sources:\n  affiche: ""\n',
            "sources.yaml: sources.affiche: String should have at least 1 character",
        ),
        (
            f"sources:\n  affiche: {'x' * 81}\n",
            "sources.yaml: sources.affiche: String should have at most 80",
        ),
        ("sources:\n  affiche:\n", "sources.yaml: sources.affiche: Input should be a valid string"),
        ("source:\n  affiche: Affiche\n", "sources.yaml: source: Extra inputs are not permitted"),
        ("sources: [affiche]\n", "sources.yaml: sources: Input should be a valid dictionary"),
    ],
)
def test_a_mistake_is_reported_in_one_line(content_dir: Path, text: str, message: str) -> None:
    path = content_dir / "sources.yaml"
    path.write_text(text, encoding="utf-8")

    with pytest.raises(ContentError) as error:
        load_content(content_dir)

    assert message in str(error.value)
    assert str(error.value).startswith(str(path))
    assert "\n" not in str(error.value)


def test_labels_are_extracted_for_the_content_catalog() -> None:
    found = list(extract_yaml(io.BytesIO(LABELS.encode()), None, None, {}))

    assert [(line, message) for line, _, message, _ in found] == [
        (2, "Affiche du Vieux-Port"),
        (3, "Atelier d’Istres, 12 mai"),
    ]
    shipped = (CONTENT_DIR / "sources.yaml").read_bytes()
    assert list(extract_yaml(io.BytesIO(shipped), None, None, {})) == []
