"""French typography: non-breaking spaces where French puts them, nothing else changed."""

from __future__ import annotations

import pytest

from bot.typography import NARROW_NBSP, NBSP, french, typography


@pytest.mark.parametrize(
    ("written", "printed"),
    [
        ("Vos valeurs :", f"Vos valeurs{NBSP}:"),
        ("Tout est juste ?", f"Tout est juste{NARROW_NBSP}?"),
        ("Merci ! Commençons.", f"Merci{NARROW_NBSP}! Commençons."),
        ("de 1 à 5 ; en double : 3", f"de 1 à 5{NARROW_NBSP}; en double{NBSP}: 3"),
        ("« En 2030, ma métropole idéale est… »", f"«{NBSP}En 2030, ma métropole idéale est…{NBSP}»"),
        ("<b>Paradoxe :</b> {title}", f"<b>Paradoxe{NBSP}:</b> {{title}}"),
        ("Déjà « fine » :", f"Déjà «{NBSP}fine{NBSP}»{NBSP}:"),
    ],
)
def test_french_spaces_are_non_breaking(written: str, printed: str) -> None:
    assert french(written) == printed
    assert french(printed) == printed, "applying the rules twice changes nothing"


@pytest.mark.parametrize(
    "untouched", ["https://example.org", "09:30", "(0:aucun)", "Hello!", "?", "Vieux-Port", "a:b"]
)
def test_what_has_no_space_is_left_alone(untouched: str) -> None:
    assert french(untouched) == untouched


def test_english_keeps_its_own_typography() -> None:
    assert typography("en")("Your values: yes?") == "Your values: yes?"
    assert typography("fr")("Vos valeurs :") == f"Vos valeurs{NBSP}:"
