"""Rankings of the values, tapped one by one or typed as digits ("3 1 5 2 4")."""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass

_SEPARATORS = re.compile(r"[\s,;.>/|-]+")


@dataclass(frozen=True)
class TypedRankingError:
    """Why a typed order was refused; ``reason`` names a message, ``numbers`` the culprits."""

    reason: str
    numbers: tuple[int, ...] = ()


def typed_digits(text: str) -> str | None:
    """The digits of ``text`` as ASCII, whatever the script or style they were typed in
    ("٣", "３", "⑤", "²"); None if it holds anything else."""
    normal = unicodedata.normalize("NFKC", text)
    if not normal or not normal.isdecimal():
        return None
    return "".join(str(unicodedata.decimal(character)) for character in normal)


def parse_typed_ranking(text: str, count: int) -> tuple[int, ...] | TypedRankingError:
    """Read a typed order of ``count`` items (at most 9) numbered from 1, most important first.

    Accepts digits of any script separated by spaces, commas, dashes or ``>``, or written
    together ("31524"). Nothing is guessed: any other text is an error that says what is wrong.
    """
    digits = typed_digits(_SEPARATORS.sub("", unicodedata.normalize("NFKC", text)))
    if digits is None:
        return TypedRankingError("not_digits")
    numbers = tuple(int(digit) for digit in digits)
    outside = tuple(sorted({n for n in numbers if not 1 <= n <= count}))
    if outside:
        return TypedRankingError("out_of_range", outside)
    repeated = tuple(sorted(n for n, seen in Counter(numbers).items() if seen > 1))
    if repeated:
        return TypedRankingError("repeated", repeated)
    if len(numbers) != count:
        missing = tuple(n for n in range(1, count + 1) if n not in numbers)
        return TypedRankingError("missing", missing)
    return numbers
