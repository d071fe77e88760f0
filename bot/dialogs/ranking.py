"""Rankings of the values, tapped one by one or typed as digits ("3 1 5 2 4")."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

_SEPARATORS = re.compile(r"[\s,;.>/|-]+")


@dataclass(frozen=True)
class TypedRankingError:
    """Why a typed order was refused; ``reason`` names a message, ``numbers`` the culprits."""

    reason: str
    numbers: tuple[int, ...] = ()


def parse_typed_ranking(text: str, count: int) -> tuple[int, ...] | TypedRankingError:
    """Read a typed order of ``count`` items (at most 9) numbered from 1, most important first.

    Accepts digits separated by spaces, commas, dashes or ``>``, or written together
    ("31524"). Nothing is guessed: any other text is an error that says what is wrong.
    """
    cleaned = _SEPARATORS.sub("", text)
    if not cleaned.isascii() or not cleaned.isdigit():
        return TypedRankingError("not_digits")
    numbers = tuple(int(digit) for digit in cleaned)
    outside = tuple(n for n in numbers if not 1 <= n <= count)
    if outside:
        return TypedRankingError("out_of_range", outside)
    repeated = tuple(sorted(n for n, seen in Counter(numbers).items() if seen > 1))
    if repeated:
        return TypedRankingError("repeated", repeated)
    if len(numbers) != count:
        missing = tuple(n for n in range(1, count + 1) if n not in numbers)
        return TypedRankingError("missing", missing)
    return numbers
