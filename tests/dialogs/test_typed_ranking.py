"""Typed rankings: accepted in several spellings, refused with a reason, never guessed."""

import pytest

from bot.dialogs.ranking import TypedRankingError, parse_typed_ranking


@pytest.mark.parametrize(
    "typed",
    [
        "3 1 5 2 4",
        "3,1,5,2,4",
        "3-1-5-2-4",
        "3 > 1 > 5 > 2 > 4",
        "31524",
        "  3  1 5 2 4  ",
        "3, 1; 5. 2/4",
        "٣ ١ ٥ ٢ ٤",
        "３，１，５，２，４",
        "③ ① ⑤ ② ④",
        "³¹⁵²⁴",
    ],
)
def test_an_order_is_read_whatever_the_separators(typed: str) -> None:
    assert parse_typed_ranking(typed, 5) == (3, 1, 5, 2, 4)


@pytest.mark.parametrize(
    ("typed", "reason", "numbers"),
    [
        ("", "not_digits", ()),
        ("Ouverture d'abord", "not_digits", ()),
        ("3 1 5 2 ✨", "not_digits", ()),
        ("3 1 6 2 4", "out_of_range", (6,)),
        ("0 1 2 3 4", "out_of_range", (0,)),
        ("3 1 3 2 4", "repeated", (3,)),
        ("3 1 5", "missing", (2, 4)),
        ("3 1 5 2 4 4", "repeated", (4,)),
        ("315", "missing", (2, 4)),
        ("3 1 5 2 ⑩", "out_of_range", (0,)),
        ("9" * 4000 + "0", "out_of_range", (0, 9)),
        ("3 1 5 2 4\x00", "not_digits", ()),
        ("3 1 5 2 \ud800", "not_digits", ()),
    ],
)
def test_an_invalid_order_is_explained_not_guessed(typed: str, reason: str, numbers: tuple[int, ...]) -> None:
    assert parse_typed_ranking(typed, 5) == TypedRankingError(reason, numbers)
