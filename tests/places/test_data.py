"""The place files the bot ships: complete, consistent, reproducible from the official data, and
refused with one clear line when broken."""

from __future__ import annotations

import csv
import itertools
import json
import shutil
import subprocess
import tarfile
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from bot.errors import ContentError
from bot.places import OUTSIDE, PLACES_DIR, Places, load_places
from bot.places.extract import ASSIGNMENT, OUTPUTS, ExtractError, build, main

PACKAGE = "@etalab/decoupage-administratif"
PACKAGE_VERSION = "6.0.0"
EPCI_POPULATION = 1_922_626
"""The metropolis' population in the package's EPCI file (DGCL list), as the shared README says."""
SHIPPED = (*OUTPUTS, ASSIGNMENT, "age_bands.yaml")


@pytest.fixture(scope="module")
def places() -> Places:
    return load_places()


def test_the_92_communes_and_16_arrondissements_are_there(places: Places) -> None:
    towns = [c for c in places.communes if c.parent is None]
    arrondissements = [c for c in places.communes if c.parent is not None]
    assert len(towns) == 92
    assert len(arrondissements) == 16
    assert {c.parent for c in arrondissements} == {"13055"}
    assert sorted(c.code for c in arrondissements) == [f"132{n:02d}" for n in range(1, 17)]
    assert sum(c.population for c in arrondissements) == places.commune("13055").population  # type: ignore[union-attr]


def test_the_communes_are_those_of_the_territory_assignment(places: Places) -> None:
    with (PLACES_DIR / ASSIGNMENT).open(encoding="utf-8", newline="") as handle:
        assigned = {row["insee_code"]: row for row in csv.DictReader(handle)}
    towns = {c.code: c for c in places.communes if c.parent is None}
    assert towns.keys() == assigned.keys()
    for code, commune in towns.items():
        assert commune.name == assigned[code]["commune"]
        territory = places.territory(commune.territory)
        assert territory is not None and territory.name == assigned[code]["territory"]


def test_six_territories_with_the_expected_number_of_communes(places: Places) -> None:
    counts = Counter(c.territory for c in places.communes if c.parent is None)
    assert counts == {
        "marseille-provence": 18,
        "pays-d-aix": 36,
        "pays-salonais": 17,
        "pays-d-aubagne-et-de-l-etoile": 12,
        "istres-ouest-provence": 6,
        "pays-de-martigues": 3,
    }
    assert places.territory("pays-d-aubagne-et-de-l-etoile").name == "Pays d'Aubagne et de l'Étoile"  # type: ignore[union-attr]


def test_territory_populations_add_up_to_the_metropolis(places: Places) -> None:
    total = sum(t.population for t in places.territories)
    assert total == sum(c.population for c in places.communes if c.parent is None)
    # INSEE's legal population (vintage 2023) against the DGCL list's figure of another vintage.
    assert abs(total - EPCI_POPULATION) / EPCI_POPULATION < 0.02
    shares = {t.id: t.population / total for t in places.territories}
    assert shares["marseille-provence"] == pytest.approx(0.563, abs=0.002)
    assert shares["pays-de-martigues"] == pytest.approx(0.037, abs=0.002)


def test_every_commune_has_a_known_territory_and_postal_codes(places: Places) -> None:
    for commune in places.communes:
        assert places.territory(commune.territory) is not None, commune
        assert commune.postal_codes and all(len(p) == 5 and p.isdigit() for p in commune.postal_codes)
        assert commune.population > 0


def test_look_ups_by_code(places: Places) -> None:
    assert places.territory_of(OUTSIDE) == OUTSIDE
    assert places.territory_of("13213") == "marseille-provence"
    assert places.territory_of("13001") == "pays-d-aix"
    assert places.territory_of("84089") == "pays-d-aix"  # Pertuis, in the Vaucluse
    assert places.territory_of("75056") is None
    assert places.commune(OUTSIDE) is None
    assert places.commune(None) is None
    assert places.commune("") is None
    assert places.territory(None) is None
    assert places.territory("nowhere") is None


def test_an_arrondissement_has_a_short_name_for_buttons(places: Places) -> None:
    assert places.commune("13213").name == "Marseille 13e Arrondissement"  # type: ignore[union-attr]
    assert places.commune("13213").short == "Marseille 13e"  # type: ignore[union-attr]
    assert places.commune("13201").short == "Marseille 1er"  # type: ignore[union-attr]
    assert places.commune("13001").short == "Aix-en-Provence"  # type: ignore[union-attr]


def test_the_age_bands_cover_every_age_and_the_whole_population(places: Places) -> None:
    bands = places.age_bands
    assert [b.id for b in bands] == ["0-14", "15-29", "30-44", "45-59", "60-74", "75-plus"]
    assert bands[0].low == 0 and bands[-1].high is None
    for before, after in itertools.pairwise(bands):
        assert before.high is not None and after.low == before.high + 1
    assert sum(b.share for b in bands) == pytest.approx(1, abs=1e-5)
    assert places.age_band("18-29") is None
    assert places.age_band(None) is None
    assert places.age_band("75-plus").share == pytest.approx(0.097, abs=0.0005)  # type: ignore[union-attr]


def test_the_age_bands_record_their_source() -> None:
    raw = yaml.safe_load((PLACES_DIR / "age_bands.yaml").read_text(encoding="utf-8"))
    source = raw["source"]
    assert source["publisher"] == "INSEE"
    assert "200054807" in source["geography"]
    assert source["table"].startswith("POP T0")
    assert source["year"] == 2019
    assert source["url"].startswith("https://www.insee.fr/")


def test_sources_name_the_vintage() -> None:
    sources = (PLACES_DIR / "SOURCES.md").read_text(encoding="utf-8")
    assert f"`{PACKAGE}` version {PACKAGE_VERSION}" in sources


# Broken files: one line naming the file and the row.


def _copy(tmp_path: Path) -> Path:
    for name in SHIPPED:
        shutil.copy(PLACES_DIR / name, tmp_path / name)
    return tmp_path


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


BREAKAGES: list[tuple[str, str, str, str]] = [
    ("communes.csv", ",pays-d-aix,13080", ",nowhere,13080", "communes.csv, row 2: territory 'nowhere'"),
    ("communes.csv", "13190,21443,", "13190,lots,", "communes.csv, row 3: population"),
    ("communes.csv", "13003,Alleins", "1300X,Alleins", "communes.csv, row 4: code"),
    (
        "communes.csv",
        "13002,Allauch,marseille-provence,13190",
        "13002,Allauch,marseille-provence,1319",
        "row 3: postal_codes",
    ),
    ("communes.csv", "code,name", "code,nom", "communes.csv: the header"),
    ("communes.csv", ",13055\n", ",13999\n", "parent '13999'"),
    ("communes.csv", ",13055\n", ",13001\n", "the territory differs from its parent's"),
    (
        "communes.csv",
        "13003,Alleins,pays-salonais,13980,2852,",
        "13003,Alleins,pays-salonais",
        "row 4: 3 cells",
    ),
    ("territories.csv", "pays-salonais,Pays Salonais,", "pays-salonais,Pays Salonais,1", "pays-salonais has"),
    ("territories.csv", "pays-salonais,", "Pays Salonais,", "territories.csv, row 4: id"),
    ("age_bands.yaml", "percent: 18.0", "percent: 18.9", "age_bands.yaml, band 2: percent"),
    ("age_bands.yaml", 'id: "15-29"', 'id: "15-30"', "age_bands.yaml, band 2: the id"),
    ("age_bands.yaml", "low: 30", "low: 31", "band 3"),
    ("age_bands.yaml", "total: 1898561", "total: 1898600", "add up to 1898560"),
    ("age_bands.yaml", "bands:", "bands: [", "invalid YAML"),
    (
        "age_bands.yaml",
        'id: "75-plus"\n    low: 75\n    high: null',
        'id: "75-110"\n    low: 75\n    high: 110',
        "the last band",
    ),
    ("age_bands.yaml", "count: 184886", "count: many", "band 6: low and count"),
]


@pytest.mark.parametrize(("name", "old", "new", "message"), BREAKAGES)
def test_a_broken_file_is_refused_in_one_line(
    tmp_path: Path, name: str, old: str, new: str, message: str
) -> None:
    folder = _copy(tmp_path)
    _edit(folder / name, old, new)
    with pytest.raises(ContentError) as error:
        load_places(folder)
    assert message in str(error.value)
    assert name in str(error.value)
    assert "\n" not in str(error.value)


@pytest.mark.parametrize(
    "name", ["communes.csv", "territories.csv", "age_bands.yaml", "outside_postal_codes.csv"]
)
def test_a_missing_file_is_named(tmp_path: Path, name: str) -> None:
    folder = _copy(tmp_path)
    (folder / name).unlink()
    with pytest.raises(ContentError, match=f"{name}: file not found"):
        load_places(folder)


def test_an_undecodable_file_is_refused(tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    (folder / "communes.csv").write_bytes(b"\xff\xfe\x00broken")
    with pytest.raises(ContentError, match=r"communes\.csv"):
        load_places(folder)


def test_the_shipped_copy_loads_like_the_original(tmp_path: Path, places: Places) -> None:
    copy = load_places(_copy(tmp_path))
    assert copy.communes == places.communes
    assert copy.territories == places.territories
    assert copy.age_bands == places.age_bands


# The extraction script.


def _package(folder: Path) -> Path | None:
    """The unpacked npm package: from npm's cache or the registry; None when npm cannot give it."""
    npm = shutil.which("npm")
    if npm is None:
        return None
    try:
        subprocess.run(
            [npm, "pack", "--prefer-offline", "--silent", f"{PACKAGE}@{PACKAGE_VERSION}"],
            cwd=folder,
            check=True,
            capture_output=True,
            timeout=180,
        )
    except (subprocess.SubprocessError, OSError):
        return None
    archives = list(folder.glob("*.tgz"))
    if len(archives) != 1:
        return None
    with tarfile.open(archives[0]) as archive:
        archive.extractall(folder, filter="data")
    return folder / "package"


@pytest.fixture(scope="module")
def package(tmp_path_factory: pytest.TempPathFactory) -> Path:
    found = _package(tmp_path_factory.mktemp("npm"))
    if found is None:
        pytest.skip(
            f"npm could not give {PACKAGE}@{PACKAGE_VERSION} (no npm, or offline with an empty cache)"
        )
    return found


def test_the_script_reproduces_the_shipped_files_byte_for_byte(package: Path, tmp_path: Path) -> None:
    assert main([str(package), str(PLACES_DIR / ASSIGNMENT), str(tmp_path)]) == 0
    for name in (*OUTPUTS, ASSIGNMENT):
        assert (tmp_path / name).read_bytes() == (PLACES_DIR / name).read_bytes(), name


def test_the_shipped_populations_are_the_package_s(package: Path, places: Places) -> None:
    epci = next(
        e for e in json.loads((package / "data" / "epci.json").read_text()) if e["code"] == "200054807"
    )
    assert epci["populationMunicipale"] == EPCI_POPULATION
    assert {m["code"] for m in epci["membres"]} == {c.code for c in places.communes if c.parent is None}


# The script on a tiny made-up package, so its checks run without npm.


def _fake(
    folder: Path, change: Callable[[list[dict[str, object]], dict[str, object]], None] | None = None
) -> Path:
    package = folder / "package"
    (package / "data").mkdir(parents=True)
    (package / "package.json").write_text(json.dumps({"name": PACKAGE, "version": "9.9.9"}))
    (package / "README.md").write_text("| Année | Version |\n|---|---|\n| 2031 | 9.9.9 | `npm` |\n")

    arrondissement = {"type": "arrondissement-municipal", "commune": "13055"}

    def town(code: str, name: str, postal: list[str], population: int, **more: str) -> dict[str, object]:
        fields = {"code": code, "nom": name, "type": "commune-actuelle", "codesPostaux": postal}
        return {**fields, "population": population, **more}

    communes = [
        town("13055", "Marseille", ["13001", "13002"], 30),
        town("13201", "Marseille 1er Arrondissement", ["13001"], 10, **arrondissement),
        town("13202", "Marseille 2e Arrondissement", ["13002"], 20, **arrondissement),
        town("84089", "Pertuis", ["84120"], 5),
        town("84076", "Mirabeau", ["84120"], 1),
        town("13999", "Ancienne", ["13001"], 0, type="commune-deleguee"),
    ]
    epci: dict[str, object] = {
        "code": "200054807",
        "populationMunicipale": 34,
        "membres": [{"code": "13055"}, {"code": "84089"}],
    }
    if change:
        change(communes, epci)
    (package / "data" / "communes.json").write_text(json.dumps(communes))
    (package / "data" / "epci.json").write_text(json.dumps([epci]))
    assignment = folder / ASSIGNMENT
    assignment.write_text(
        "insee_code,commune,territory\n13055,Marseille,Marseille-Provence\n84089,Pertuis,Pays d'Aix\n"
    )
    return package


def test_the_script_on_a_small_package(tmp_path: Path) -> None:
    files = build(_fake(tmp_path), tmp_path / ASSIGNMENT)
    assert files["communes.csv"] == (
        "code,name,territory,postal_codes,population,parent\n"
        "13055,Marseille,marseille-provence,13001 13002,30,\n"
        "13201,Marseille 1er Arrondissement,marseille-provence,13001,10,13055\n"
        "13202,Marseille 2e Arrondissement,marseille-provence,13002,20,13055\n"
        "84089,Pertuis,pays-d-aix,84120,5,\n"
    )
    assert (
        files["territories.csv"]
        == "id,name,population\nmarseille-provence,Marseille-Provence,30\npays-d-aix,Pays d'Aix,5\n"
    )
    assert files["outside_postal_codes.csv"] == "postal_code,outside_communes\n84120,84076 Mirabeau\n"
    assert "version 9.9.9, data year 2031" in files["SOURCES.md"]
    assert "vintage 2028" in files["SOURCES.md"]


def _leave_the_metropolis(communes: list[dict[str, object]], epci: dict[str, object]) -> None:
    epci["membres"] = [{"code": "13055"}]


def _rename(communes: list[dict[str, object]], epci: dict[str, object]) -> None:
    communes[3]["nom"] = "Pertuis-la-Neuve"


def _miscount(communes: list[dict[str, object]], epci: dict[str, object]) -> None:
    communes[0]["population"] = 31


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (_leave_the_metropolis, "not members ['84089']"),
        (_rename, "84089 is named 'Pertuis-la-Neuve'"),
        (_miscount, "arrondissements do not add up"),
    ],
)
def test_the_script_stops_when_the_inputs_disagree(
    tmp_path: Path, change: Callable[[list[dict[str, object]], dict[str, object]], None], message: str
) -> None:
    with pytest.raises(ExtractError, match=message.replace("[", r"\[").replace("]", r"\]")):
        build(_fake(tmp_path, change), tmp_path / ASSIGNMENT)


def test_the_script_says_how_to_call_it(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    assert "python -m bot.places.extract" in capsys.readouterr().err


def test_the_script_reports_a_wrong_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(tmp_path), str(PLACES_DIR / ASSIGNMENT), str(tmp_path)]) == 1
    assert "error:" in capsys.readouterr().err
