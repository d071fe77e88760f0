"""Content files: the shipped ones are valid, and a mistake is one line naming file and field."""

import shutil
from pathlib import Path

import pytest

from bot.content import CONTENT_DIR, load_content
from bot.errors import ContentError
from bot.personas import CATALOGUE


def test_the_shipped_content_has_the_workshop_material() -> None:
    content = load_content()
    assert len(content.paradoxes) == 7
    assert len(content.personas) == 12
    assert [v.name for v in content.values] == [
        "Innovation & audace",
        "Ouverture",
        "Fraternité & solidarité",
        "Responsabilité & équilibre",
        "Authenticité",
    ]
    assert {"malika", "laurence", "carlos", "sarah", "alain"} <= {p.id for p in content.personas}
    assert [s.starts for s in content.stages] == sorted(s.starts for s in content.stages)


@pytest.fixture
def content_dir(tmp_path: Path) -> Path:
    for name in ("paradoxes.yaml", "values.yaml", "stages.yaml", "consultation.yaml"):
        shutil.copy(CONTENT_DIR / name, tmp_path / name)
    shutil.copy(CATALOGUE, tmp_path / "personas.yaml")
    return tmp_path


def test_a_content_dir_replaces_the_shipped_content(content_dir: Path) -> None:
    path = content_dir / "paradoxes.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("id: p7", "id: p_port"), encoding="utf-8")
    assert load_content(content_dir).paradoxes[-1].id == "p_port"


@pytest.mark.parametrize(
    ("file", "old", "new", "message"),
    [
        ("paradoxes.yaml", "title: ", "titre: ", "paradoxes.yaml: paradoxes[0].title: Field required"),
        ("paradoxes.yaml", "id: p2", "id: p1", "paradoxes.yaml: paradoxes: item 1: id 'p1' is used twice"),
        ("values.yaml", "id: ouverture", "id: Ouverture!", "values.yaml: values[1].id: String should match"),
        (
            "stages.yaml",
            "date: 2017-02-09",
            "date: 2017-02-30",
            "stages.yaml: invalid value: day is out of range",
        ),
        (
            "stages.yaml",
            '"2017-11"',
            '"2017-13"',
            "stages.yaml: stages[8].date: month must be between 01 and 12",
        ),
        ("personas.yaml", "id: malika", "id: none", "personas.yaml: personas[0].id: 'none' is reserved"),
        ("consultation.yaml", "contact_email: ", "contact_mail: ", "consultation.yaml: contact_email: Field"),
        ("paradoxes.yaml", "paradoxes:", "paradoxes: [", "paradoxes.yaml: invalid YAML at line"),
    ],
)
def test_a_broken_file_is_reported_in_one_line(
    content_dir: Path, file: str, old: str, new: str, message: str
) -> None:
    path = content_dir / file
    path.write_text(path.read_text(encoding="utf-8").replace(old, new, 1), encoding="utf-8")
    with pytest.raises(ContentError) as error:
        load_content(content_dir)
    assert message in str(error.value)
    assert str(error.value).startswith(str(path))
    assert "\n" not in str(error.value)


def test_a_missing_file_is_named(content_dir: Path) -> None:
    (content_dir / "values.yaml").unlink()
    with pytest.raises(ContentError, match=r"values.yaml: file not found"):
        load_content(content_dir)
