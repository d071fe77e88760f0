"""Aggregate rankings: Borda, first places and Schulze side by side, ties and cycles made explicit."""

from collections import Counter
from collections.abc import Iterator

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.synthesis.ranking import aggregate, aggregate_counts

VALUES = ("innovation", "ouverture", "fraternite", "responsabilite", "authenticite")


def ballots(*groups: tuple[int, str]) -> list[tuple[str, ...]]:
    """``(5, "ACB")`` is five ballots ranking A > C > B (one letter per candidate)."""
    return [tuple(order) for times, order in groups for _ in range(times)]


def test_a_clear_winner_leads_every_count() -> None:
    # 3 × A>B>C, 2 × B>A>C, 1 × C>A>B  (6 ballots, Borda points 2/1/0)
    result = aggregate("ABC", ballots((3, "ABC"), (2, "BAC"), (1, "CAB")))

    assert result.candidates == ("A", "B", "C")
    assert result.ballots == 6
    # A: 3·2 + 2·1 + 1·1 = 9;  B: 3·1 + 2·2 + 1·0 = 7;  C: 0 + 0 + 1·2 = 2  (total 18 = 6 · 3)
    assert result.borda == {"A": 9, "B": 7, "C": 2}
    assert result.borda_ranking == [("A",), ("B",), ("C",)]
    assert result.first_places == {"A": 3, "B": 2, "C": 1}
    assert result.first_place_ranking == [("A",), ("B",), ("C",)]
    # A over B: ABC 3 + CAB 1 = 4, B over A: BAC 2;  A over C: 3 + 2 = 5, C over A: 1;
    # B over C: 3 + 2 = 5, C over B: 1
    assert result.pairwise == {
        "A": {"B": 4, "C": 5},
        "B": {"A": 2, "C": 5},
        "C": {"A": 1, "B": 1},
    }
    # Winning links A→B 4, A→C 5, B→C 5; A→B→C has strength min(4, 5) = 4 < 5; nothing reaches A,
    # nothing leaves C.
    assert result.strongest_paths == {
        "A": {"B": 4, "C": 5},
        "B": {"A": 0, "C": 5},
        "C": {"A": 0, "B": 0},
    }
    assert result.schulze_ranking == [("A",), ("B",), ("C",)]
    assert result.schulze_beats("A", "B")
    assert not result.schulze_beats("B", "A")
    assert result.condorcet_winner == "A"
    assert result.majority_cycles == []
    assert not result.has_condorcet_cycle


def test_equal_points_and_equal_first_places_are_tied_in_the_candidates_order() -> None:
    # A>B>C and B>A>C: A 2 + 1 = 3, B 1 + 2 = 3, C 0; one first place each for A and B
    result = aggregate(["A", "B", "C"], [("B", "A", "C"), ("A", "B", "C")])

    assert result.borda == {"A": 3, "B": 3, "C": 0}
    assert result.borda_ranking == [("A", "B"), ("C",)]
    assert result.first_places == {"A": 1, "B": 1, "C": 0}
    assert result.first_place_ranking == [("A", "B"), ("C",)]
    # A and B split 1–1: no winning link either way, so no path and a Schulze tie
    assert result.pairwise == {"A": {"B": 1, "C": 2}, "B": {"A": 1, "C": 2}, "C": {"A": 0, "B": 0}}
    assert result.strongest_paths == {"A": {"B": 0, "C": 2}, "B": {"A": 0, "C": 2}, "C": {"A": 0, "B": 0}}
    assert result.schulze_ranking == [("A", "B"), ("C",)]
    # No Condorcet winner, yet no cycle: only a pairwise tie
    assert result.condorcet_winner is None
    assert not result.has_condorcet_cycle


def test_tiers_follow_the_given_candidates_order_not_the_ballots() -> None:
    result = aggregate(["C", "B", "A"], [("A", "B", "C"), ("B", "A", "C")])

    assert result.borda_ranking == [("B", "A"), ("C",)]
    assert result.first_place_ranking == [("B", "A"), ("C",)]
    assert result.schulze_ranking == [("B", "A"), ("C",)]


def test_a_condorcet_cycle_has_no_winner_and_schulze_ties_it() -> None:
    # Rock-paper-scissors: A>B>C, B>C>A, C>A>B
    result = aggregate("ABC", ballots((1, "ABC"), (1, "BCA"), (1, "CAB")))

    # Each pair 2–1 around the cycle: A over B (ABC, CAB), B over C (ABC, BCA), C over A (BCA, CAB)
    assert result.pairwise == {"A": {"B": 2, "C": 1}, "B": {"A": 1, "C": 2}, "C": {"A": 2, "B": 1}}
    # Every link has strength 2, so every strongest path too: nobody beats anybody
    assert result.strongest_paths == {"A": {"B": 2, "C": 2}, "B": {"A": 2, "C": 2}, "C": {"A": 2, "B": 2}}
    assert result.condorcet_winner is None
    assert result.has_condorcet_cycle
    assert result.majority_cycles == [("A", "B", "C")]
    assert result.schulze_ranking == [("A", "B", "C")]
    # Borda 2 + 0 + 1 = 3 each, one first place each
    assert result.borda == {"A": 3, "B": 3, "C": 3}
    assert result.borda_ranking == [("A", "B", "C")]
    assert result.first_place_ranking == [("A", "B", "C")]


WIKIPEDIA = ballots(
    (5, "ACBED"),
    (5, "ADECB"),
    (8, "BEDAC"),
    (3, "CABED"),
    (7, "CAEBD"),
    (2, "CBADE"),
    (7, "DCEBA"),
    (8, "EBADC"),
)


def test_schulze_breaks_a_cycle_as_in_the_published_example() -> None:
    # https://en.wikipedia.org/wiki/Schulze_method#Example (45 voters, 5 candidates)
    result = aggregate("ABCDE", WIKIPEDIA)

    assert result.ballots == 45
    assert result.pairwise == {
        "A": {"B": 20, "C": 26, "D": 30, "E": 22},
        "B": {"A": 25, "C": 16, "D": 33, "E": 18},
        "C": {"A": 19, "B": 29, "D": 17, "E": 24},
        "D": {"A": 15, "B": 12, "C": 28, "E": 14},
        "E": {"A": 23, "B": 27, "C": 21, "D": 31},
    }
    assert result.strongest_paths == {
        "A": {"B": 28, "C": 28, "D": 30, "E": 24},
        "B": {"A": 25, "C": 28, "D": 33, "E": 24},
        "C": {"A": 25, "B": 29, "D": 29, "E": 24},
        "D": {"A": 25, "B": 28, "C": 28, "E": 24},
        "E": {"A": 25, "B": 28, "C": 28, "D": 31},
    }
    assert result.schulze_ranking == [("E",), ("A",), ("C",), ("B",), ("D",)]
    # Majority cycles A→C (26–19) →B (29–16) →A (25–20), and C→E (24–21) →D (31–14) →C (28–17)
    # through them: all five are caught, nobody beats all the others
    assert result.has_condorcet_cycle
    assert result.majority_cycles == [("A", "B", "C", "D", "E")]
    assert result.condorcet_winner is None


def test_borda_and_schulze_can_disagree() -> None:
    # Same published example. Borda of a complete order is the row sum of the matrix:
    # A 20+26+30+22 = 98, B 25+16+33+18 = 92, C 19+29+17+24 = 89, D 15+12+28+14 = 69,
    # E 23+27+21+31 = 102 (total 450 = 45 · 10). Borda puts B above C, Schulze C above B.
    result = aggregate("ABCDE", WIKIPEDIA)

    assert result.borda == {"A": 98, "B": 92, "C": 89, "D": 69, "E": 102}
    assert result.borda_ranking == [("E",), ("A",), ("B",), ("C",), ("D",)]
    assert result.schulze_ranking == [("E",), ("A",), ("C",), ("B",), ("D",)]
    # First places: A 5+5, B 8, C 3+7+2, D 7, E 8
    assert result.first_places == {"A": 10, "B": 8, "C": 12, "D": 7, "E": 8}
    assert result.first_place_ranking == [("C",), ("A",), ("B", "E"), ("D",)]


def test_borda_can_miss_the_condorcet_winner() -> None:
    # 3 × A>B>C, 2 × B>C>A. Borda: A 3·2 = 6, B 3·1 + 2·2 = 7, C 2·1 = 2.
    # Pairwise: A over B 3–2 and over C 3–2, so A is the Condorcet (and Schulze) winner.
    result = aggregate("ABC", ballots((3, "ABC"), (2, "BCA")))

    assert result.borda_ranking == [("B",), ("A",), ("C",)]
    assert result.pairwise == {"A": {"B": 3, "C": 3}, "B": {"A": 2, "C": 5}, "C": {"A": 2, "B": 0}}
    assert result.condorcet_winner == "A"
    assert result.schulze_ranking == [("A",), ("B",), ("C",)]


@pytest.mark.parametrize(
    ("ballot", "detail"),
    [
        (("A", "B"), "missing 'C'"),
        (("A", "B", "C", "D"), "unknown 'D'"),
        (("A", "B", "B"), "missing 'C'; repeated 'B'"),
        (("A", "B", "X"), "missing 'C'; unknown 'X'"),
        ((), "missing 'A', 'B', 'C'"),
    ],
)
def test_a_ballot_that_is_not_a_permutation_is_refused_by_name(ballot: tuple[str, ...], detail: str) -> None:
    with pytest.raises(ValueError, match="not a permutation") as refused:
        aggregate("ABC", [("A", "B", "C"), ballot, ("C", "B", "A")])
    assert repr(ballot) in str(refused.value)
    assert str(refused.value).endswith(detail)


def test_the_first_bad_ballot_stops_the_stream() -> None:
    read: list[int] = []

    def stream() -> Iterator[tuple[str, ...]]:
        for number, ballot in enumerate([("A", "B", "C"), ("A", "A", "C"), ("C", "B", "A")]):
            read.append(number)
            yield ballot

    with pytest.raises(ValueError, match=r"\('A', 'A', 'C'\)"):
        aggregate("ABC", stream())
    assert read == [0, 1]


@pytest.mark.parametrize("candidates", [[], ["A", "B", "A"]])
def test_candidates_must_be_present_and_distinct(candidates: list[str]) -> None:
    with pytest.raises(ValueError, match="candidates"):
        aggregate(candidates, [])


def test_zero_ballots_tie_everyone_with_zero_counts() -> None:
    result = aggregate(VALUES, [])

    assert result.ballots == 0
    assert result.borda == dict.fromkeys(VALUES, 0)
    assert result.first_places == dict.fromkeys(VALUES, 0)
    assert all(count == 0 for row in result.pairwise.values() for count in row.values())
    assert all(strength == 0 for row in result.strongest_paths.values() for strength in row.values())
    assert result.borda_ranking == [VALUES]
    assert result.first_place_ranking == [VALUES]
    assert result.schulze_ranking == [VALUES]
    assert result.condorcet_winner is None
    assert not result.has_condorcet_cycle


def test_a_generator_is_read_once_and_gives_the_same_result_as_a_list() -> None:
    answers = [
        ("ouverture", "innovation", "fraternite", "responsabilite", "authenticite"),
        ("innovation", "ouverture", "authenticite", "fraternite", "responsabilite"),
        ("ouverture", "fraternite", "innovation", "authenticite", "responsabilite"),
    ]
    stream = (list(answer) for answer in answers)

    result = aggregate(VALUES, stream)

    assert next(stream, None) is None
    assert result == aggregate(VALUES, answers)
    # ouverture: 4 + 3 + 4 = 11, innovation: 3 + 4 + 2 = 9, fraternite: 2 + 1 + 3 = 6,
    # authenticite: 0 + 2 + 1 = 3, responsabilite: 1 + 0 + 0 = 1
    assert result.borda == {
        "innovation": 9,
        "ouverture": 11,
        "fraternite": 6,
        "responsabilite": 1,
        "authenticite": 3,
    }
    assert result.condorcet_winner == "ouverture"
    assert result.schulze_ranking[0] == ("ouverture",)


def test_counts_grouped_by_the_database_give_the_same_result() -> None:
    counts = {tuple("ACBED"): 5, tuple("ADECB"): 5, tuple("BEDAC"): 8, tuple("CABED"): 3}
    counts |= {tuple("CAEBD"): 7, tuple("CBADE"): 2, tuple("DCEBA"): 7, tuple("EBADC"): 8}

    assert aggregate_counts("ABCDE", counts) == aggregate("ABCDE", WIKIPEDIA)


def test_counts_must_be_of_permutations_and_not_negative() -> None:
    with pytest.raises(ValueError, match="not a permutation"):
        aggregate_counts("ABC", {("A", "B"): 1})
    with pytest.raises(ValueError, match="negative count"):
        aggregate_counts("ABC", {("A", "B", "C"): -1})


ANSWERS = st.lists(st.permutations(VALUES).map(tuple), max_size=40)


@given(ANSWERS)
def test_the_counts_add_up(answers: list[tuple[str, ...]]) -> None:
    result = aggregate(VALUES, answers)

    assert sum(result.borda.values()) == len(answers) * 5 * 4 // 2
    assert sum(result.first_places.values()) == len(answers)
    for a in VALUES:
        # The Borda score of a complete order is the number of candidates it is placed above
        assert result.borda[a] == sum(result.pairwise[a].values())
        for b in VALUES:
            if a != b:
                assert result.pairwise[a][b] + result.pairwise[b][a] == len(answers)
    assert aggregate_counts(VALUES, Counter(answers)) == result


@given(ANSWERS)
def test_the_schulze_ranking_is_consistent(answers: list[tuple[str, ...]]) -> None:
    result = aggregate(VALUES, answers)
    tier_of = {value: level for level, tier in enumerate(result.schulze_ranking) for value in tier}

    assert sorted(tier_of) == sorted(VALUES)
    for a in VALUES:
        for b in VALUES:
            if result.schulze_beats(a, b):
                # Whoever Schulze prefers sits in a better tier; a tier never holds a winner and its loser
                assert tier_of[a] < tier_of[b]
    if result.condorcet_winner is not None:
        assert result.schulze_ranking[0] == (result.condorcet_winner,)
    caught = {value for group in result.majority_cycles for value in group}
    assert result.has_condorcet_cycle == bool(caught)
    # A Condorcet winner is never part of a cycle; without one, there is a cycle or a pairwise tie
    if result.condorcet_winner is not None:
        assert result.condorcet_winner not in caught
    elif not result.has_condorcet_cycle:
        assert any(result.pairwise[a][b] == result.pairwise[b][a] for a in VALUES for b in VALUES if a != b)


def test_a_cycle_below_the_condorcet_winner_is_reported_too() -> None:
    # A first on every ballot; below it B>C>D, C>D>B, D>B>C: B over C, C over D, D over B, each 2–1
    result = aggregate("ABCD", ballots((1, "ABCD"), (1, "ACDB"), (1, "ADBC")))

    assert result.condorcet_winner == "A"
    assert result.has_condorcet_cycle
    assert result.majority_cycles == [("B", "C", "D")]
    assert result.schulze_ranking == [("A",), ("B", "C", "D")]


def test_separate_cycles_are_reported_separately() -> None:
    # A, B, C in a cycle above D, E, F in another cycle; every one of A, B, C above every one of D, E, F
    result = aggregate("ABCDEF", ballots((1, "ABCDEF"), (1, "BCAEFD"), (1, "CABFDE")))

    assert result.condorcet_winner is None
    assert result.majority_cycles == [("A", "B", "C"), ("D", "E", "F")]
    assert result.schulze_ranking == [("A", "B", "C"), ("D", "E", "F")]
