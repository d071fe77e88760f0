"""What residents type to say where they live, and what the finder makes of it."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.places import Exact, NotFound, Places, Several, fold, load_places
from bot.places.finder import MAX_CHOICES, SPELLING_CHOICES, Finder

PLACES = load_places()
AIX, MARSEILLE, LA_CIOTAT, ISTRES = "13001", "13055", "13028", "13047"


def code_of(found: object) -> str:
    assert isinstance(found, Exact), found
    return found.commune.code


@pytest.fixture(scope="module")
def places() -> Places:
    return PLACES


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("aix", AIX),
        ("Aix", AIX),
        ("AIX-EN-PROVENCE", AIX),
        ("aix en provence", AIX),
        ("la ciotat", LA_CIOTAT),
        ("LA CIOTAT", LA_CIOTAT),
        ("La Ciotat", LA_CIOTAT),
        ("laciotat", LA_CIOTAT),
        ("ciotat", LA_CIOTAT),
        ("st chamas", "13092"),
        ("Saint-Chamas", "13092"),
        ("Saint-Mitre", "13098"),
        ("saint mitre les remparts", "13098"),
        ("St-Mitre-les-Remparts", "13098"),
        ("Les Pennes Mirabeau", "13071"),
        ("pennes mirabeau", "13071"),
        ("Les Pennes-Mirabeau", "13071"),
        ("le puy ste reparade", "13080"),
        ("st paul lez durance", "13099"),
        ("Berre l'Étang", "13014"),
        ("berre letang", "13014"),
        ("  Salon  ", "13103"),
        ("fos", "13039"),
        ("Marseille", MARSEILLE),
        ("marseille", MARSEILLE),
        ("MARSEILLE", MARSEILLE),
        ("Gémenos", "13042"),
        ("gemenos", "13042"),
    ],
)
def test_a_name_however_written_is_found(places: Places, text: str, code: str) -> None:
    assert code_of(places.find(text)) == code


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("13e", "13213"),
        ("13ème", "13213"),
        ("13eme", "13213"),
        ("13 e", "13213"),
        ("13ᵉ", "13213"),
        ("13e arr.", "13213"),
        ("13ème arrondissement", "13213"),
        ("13013", "13213"),
        ("13013 Marseille", "13213"),
        ("Marseille 13013", "13213"),
        ("Marseille 13", "13213"),
        ("marseille 13e", "13213"),
        ("Marseille 13e Arrondissement", "13213"),
        ("Marseille13", "13213"),
        ("1er", "13201"),
        ("1ᵉʳ", "13201"),
        ("13001", "13201"),
        ("Marseille 1er", "13201"),
        ("2e", "13202"),
        ("16ème", "13216"),
        ("١٣٠٠١", "13201"),  # Arabic-Indic digits
        ("１３００８", "13208"),  # fullwidth digits
        ("١٣e", "13213"),
    ],
)
def test_an_arrondissement_of_marseille_is_found(places: Places, text: str, code: str) -> None:
    assert code_of(places.find(text)) == code


@pytest.mark.parametrize("number", range(1, 17))
def test_every_arrondissement_is_found_in_each_form(places: Places, number: int) -> None:
    code = f"132{number:02d}"
    suffix = "er" if number == 1 else "e"
    for text in (f"{number}{suffix}", f"{number}ème", f"Marseille {number}", f"130{number:02d}"):
        assert code_of(places.find(text)) == code, text


def test_every_commune_is_found_by_its_name_in_any_case_and_without_accents(places: Places) -> None:
    for commune in places.communes:
        if commune.parent:
            continue
        for text in (commune.name, commune.name.upper(), fold(commune.name), commune.name.replace("-", " ")):
            assert code_of(places.find(text)) == commune.code, text


def test_every_postal_code_of_the_metropolis_offers_its_communes(places: Places) -> None:
    for commune in places.communes:
        for postal in commune.postal_codes:
            found = places.find(postal)
            offered = [found.commune] if isinstance(found, Exact) else getattr(found, "communes", [])
            assert commune in offered or any(c.parent == commune.code for c in offered), postal


@pytest.mark.parametrize(
    ("text", "codes"),
    [
        ("13720", {"13013", "13016"}),  # Belcodène, La Bouilladisse
        ("13600", {"13023", "13028"}),  # Ceyreste, La Ciotat
        ("13250", {"13092", "13029"}),  # Saint-Chamas, Cornillon-Confoux
        ("13100", {AIX, "13012", "13109", "13090", "13095"}),  # Aix and four villages around it
        ("13 720", {"13013", "13016"}),
    ],
)
def test_a_postal_code_of_several_communes_lets_the_resident_pick(
    places: Places, text: str, codes: set[str]
) -> None:
    found = places.find(text)
    assert isinstance(found, Several)
    assert found.why == "postal_code"
    assert {c.code for c in found.communes} == codes
    assert not found.also_outside


def test_the_most_populous_commune_of_a_postal_code_comes_first(places: Places) -> None:
    found = places.find("13100")
    assert isinstance(found, Several)
    assert found.communes[0].code == AIX


def test_a_postal_code_alone_is_exact_when_only_one_commune_has_it(places: Places) -> None:
    assert code_of(places.find("13090")) == AIX
    assert code_of(places.find("13400")) == "13005"  # Aubagne


def test_a_postal_code_and_a_name_together_settle_it(places: Places) -> None:
    assert code_of(places.find("13100 Le Tholonet")) == "13109"
    assert code_of(places.find("Aix-en-Provence 13100")) == AIX
    assert code_of(places.find("13720 La Bouilladisse")) == "13016"


def test_a_postal_code_that_contradicts_the_name_offers_both(places: Places) -> None:
    found = places.find("13100 Marseille")
    assert isinstance(found, Several)
    assert found.why == "postal_code"
    assert {MARSEILLE, AIX} <= {c.code for c in found.communes}


@pytest.mark.parametrize(("text", "code"), [("84120", "84089"), ("13780", "13030"), ("83640", "83120")])
def test_a_postal_code_shared_with_communes_outside_says_so(places: Places, text: str, code: str) -> None:
    """84120 is Pertuis and three villages of the Vaucluse outside the metropolis: the resident
    picks Pertuis or « outside », never a silent guess."""
    found = places.find(text)
    assert isinstance(found, Several)
    assert found.why == "postal_code"
    assert found.also_outside
    assert [c.code for c in found.communes] == [code]


def test_a_name_with_a_postal_code_from_elsewhere_is_a_choice(places: Places) -> None:
    found = places.find("13040 Aubagne")
    assert isinstance(found, Several)
    assert [c.code for c in found.communes] == ["13005"]
    assert found.why == "name"
    assert found.also_outside


def test_a_shared_postal_code_with_the_name_is_exact(places: Places) -> None:
    assert code_of(places.find("84120 Pertuis")) == "84089"


@pytest.mark.parametrize("text", ["75011", "83000", "13200", "84000", "75011 Paris", "83000 Toulon", "98000"])
def test_a_postal_code_outside_the_metropolis_is_told_apart(places: Places, text: str) -> None:
    assert places.find(text) == NotFound(outside_postal_code=True)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("la ciotta", LA_CIOTAT),
        ("marseile", MARSEILLE),
        ("aubagnes", "13005"),
        ("istre", ISTRES),
        ("salon de provance", "13103"),
        ("aix en provance", AIX),
        ("gardane", "13041"),
        ("marignanne", "13054"),
        ("st mitre les rempart", "13098"),
        ("ist", ISTRES),
    ],
)
def test_a_misspelt_name_is_suggested_never_guessed(places: Places, text: str, code: str) -> None:
    found = places.find(text)
    assert isinstance(found, Several), "a misspelling must not be taken silently"
    assert found.why == "spelling"
    assert found.communes[0].code == code
    assert 1 <= len(found.communes) <= SPELLING_CHOICES


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("port", {"13077", "13078"}),  # Port-de-Bouc, Port-Saint-Louis-du-Rhône
        ("chateauneuf", {"13026", "13025"}),
        ("mar", {MARSEILLE, "13056", "13054"}),  # Marseille, Martigues, Marignane
        ("mirabeau", {"13071"}),  # also a commune of the Vaucluse: the resident confirms
        ("les", {"13071"}),
        ("13", {"13213"}),
        ("j'habite à Aubagne", {"13005"}),
        ("Marseille 17e", {MARSEILLE}),  # no such arrondissement: Marseille, to confirm
    ],
)
def test_a_name_shared_by_several_or_only_partly_given_is_a_choice(
    places: Places, text: str, expected: set[str]
) -> None:
    found = places.find(text)
    assert isinstance(found, Several)
    assert found.why == "name"
    assert {c.code for c in found.communes} == expected


def test_a_very_common_prefix_lists_the_most_populous_and_counts_the_rest(places: Places) -> None:
    found = places.find("saint")
    assert isinstance(found, Several)
    assert len(found.communes) == MAX_CHOICES
    assert found.more == 2
    populations = [c.population for c in found.communes]
    assert populations == sorted(populations, reverse=True)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "blabla",
        "asdfgh",
        "paris",
        "lyon",
        "toulon",
        "oui",
        "?!",
        "🙂🙂",
        "\ud800",  # a lone surrogate
        "\x00\x07\x1b[31m",
        "x" * 10_000,
        "00000",
        "123",
        "العربية",
        "東京",
    ],
)
def test_nonsense_is_not_found(places: Places, text: str) -> None:
    assert places.find(text) == NotFound(outside_postal_code=False)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_any_text_gets_an_answer_and_never_a_crash(text: str) -> None:
    found = PLACES.find(text)
    if isinstance(found, Exact):
        assert PLACES.commune(found.commune.code) == found.commune
    elif isinstance(found, Several):
        assert 1 <= len(found.communes) <= MAX_CHOICES
        assert len(set(found.communes)) == len(found.communes)
    else:
        assert isinstance(found, NotFound)


def test_a_huge_text_of_names_is_answered_quickly(places: Places) -> None:
    import time

    start = time.perf_counter()
    for text in ("marseille " * 2000, "é" * 10_000, "1" * 10_000, "a b " * 5000):
        places.find(text)
    assert time.perf_counter() - start < 2


def test_fold_keeps_only_words_and_digits() -> None:
    assert fold("Sainte-Marie 13ème") == "saint marie 13 eme"
    assert fold("L'Œuf\u00a0St-Jean") == "l oeuf saint jean"
    assert fold("١٣٠٠١") == "13001"
    assert fold("\ud800\x00") == ""


def test_a_finder_without_arrondissements_still_works(places: Places) -> None:
    finder = Finder([c for c in places.communes if c.parent is None])
    assert code_of(finder.find("aix")) == AIX
    assert code_of(finder.find("13013")) == MARSEILLE
    assert finder.find("13e") == NotFound()
