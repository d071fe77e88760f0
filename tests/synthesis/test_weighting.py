"""Post-stratification weights, and the value rankings computed on weighted ballots."""

import math
from collections import Counter

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.synthesis.ranking import (
    Aggregation,
    WeightedAggregate,
    aggregate,
    aggregate_counts,
    aggregate_weighted,
)
from bot.synthesis.weighting import post_stratification, weighted_ballots

VALUES = ("innovation", "ouverture", "fraternite", "responsabilite", "authenticite")
UNKNOWN = ("did-not-say", "outside")


def test_each_group_weighs_its_population_share_over_its_sample_share() -> None:
    # Population 75 % north, 25 % south; respondents 2 north, 6 south (8 known).
    # Sample shares 2/8 = 0.25 and 6/8 = 0.75: weights 0.75 / 0.25 = 3 and 0.25 / 0.75 = 1/3.
    result = post_stratification({"north": 2, "south": 6}, {"north": 0.75, "south": 0.25}, unknown=())

    assert result.weights == {"north": 3.0, "south": pytest.approx(1 / 3)}
    assert result.missing == ()
    assert result.covered_share == 1.0
    # Weighted, north counts 2 · 3 = 6 and south 6 · 1/3 = 2: 75 % and 25 % of the same 8.
    assert 2 * result.weights["north"] + 6 * result.weights["south"] == pytest.approx(8)
    # Kish: (Σw)² / Σw² = 8² / (2 · 3² + 6 · (1/3)²) = 64 / (18 + 2/3) = 192 / 56 ≈ 3.43
    assert result.effective_respondents == pytest.approx(192 / 56)


def test_respondents_of_unknown_group_weigh_one_and_keep_their_share() -> None:
    respondents = {"north": 2, "south": 6, "did-not-say": 3, "outside": 1}

    result = post_stratification(respondents, {"north": 0.75, "south": 0.25}, unknown=UNKNOWN)

    # The known weights are computed over the 8 known respondents only, as without the others
    assert result.weights == {"north": 3.0, "south": pytest.approx(1 / 3), "did-not-say": 1.0, "outside": 1.0}
    # Total weight 2 · 3 + 6 · 1/3 + 3 + 1 = 12: the number of respondents, unchanged
    assert math.fsum(n * result.weights[g] for g, n in respondents.items()) == pytest.approx(12)


def test_an_unknown_group_without_respondents_still_has_weight_one() -> None:
    result = post_stratification({"north": 2, "south": 6}, {"north": 0.75, "south": 0.25}, unknown=UNKNOWN)

    assert result.weights["outside"] == 1.0
    assert result.missing == ()


def test_population_shares_are_divided_by_their_sum() -> None:
    # Head counts 300 000 / 100 000 are shares 0.75 / 0.25: the same weights as above
    by_count = post_stratification({"north": 2, "south": 6}, {"north": 300_000, "south": 100_000}, unknown=())
    # Only the bands of the population aged 15 and over: 18 % and 54 % of everyone, i.e. 1/4 and
    # 3/4 of those aged 15 and over; respondents 6 and 2 (3/4 and 1/4): weights 1/3 and 3
    by_band = post_stratification({"15-29": 6, "30+": 2}, {"15-29": 0.18, "30+": 0.54}, unknown=())

    assert by_count.weights == {"north": 3.0, "south": pytest.approx(1 / 3)}
    assert by_band.weights == {"15-29": pytest.approx(1 / 3), "30+": pytest.approx(3.0)}


def test_a_group_without_respondents_is_missing_and_the_others_cover_the_population() -> None:
    # Population 50 % a, 30 % b, 20 % c; respondents 4 in a, 6 in b, none in c (listed as 0 or absent).
    # Covered share 0.5 + 0.3 = 0.8: the shares of a and b become 0.5 / 0.8 = 0.625 and 0.375.
    # Weights: a 0.625 / (4/10) = 1.5625, b 0.375 / (6/10) = 0.625.
    for respondents in ({"a": 4, "b": 6, "c": 0}, {"a": 4, "b": 6}):
        result = post_stratification(respondents, {"a": 0.5, "b": 0.3, "c": 0.2}, unknown=())

        assert result.missing == ("c",)
        assert result.covered_share == pytest.approx(0.8)
        assert result.weights == {"a": pytest.approx(1.5625), "b": pytest.approx(0.625)}
        # Still 4 · 1.5625 + 6 · 0.625 = 6.25 + 3.75 = 10 respondents in all
        assert 4 * result.weights["a"] + 6 * result.weights["b"] == pytest.approx(10)


def test_without_known_respondents_every_population_group_is_missing() -> None:
    result = post_stratification({"did-not-say": 3}, {"north": 0.75, "south": 0.25}, unknown=UNKNOWN)

    assert result.weights == {"did-not-say": 1.0, "outside": 1.0}
    assert result.missing == ("north", "south")
    assert result.covered_share == 0.0
    assert result.effective_respondents == 3.0


def test_nobody_at_all_has_no_effective_respondent() -> None:
    result = post_stratification({}, {"north": 1.0}, unknown=())

    assert result.weights == {}
    assert result.missing == ("north",)
    assert result.effective_respondents == 0.0


@pytest.mark.parametrize(
    ("respondents", "shares", "message"),
    [
        ({"north": -1}, {"north": 1.0}, "negative counts of respondents: 'north'"),
        ({"north": 1}, {"north": 1.0, "south": 0.0}, "not above zero: 'south'"),
        ({"north": 1}, {"north": 1.0, "south": math.nan}, "not above zero: 'south'"),
        ({"north": 1}, {"north": 1.0, "outside": 0.1}, "both in the population and unknown: 'outside'"),
        ({"north": 1, "mars": 2}, {"north": 1.0}, "neither in the population nor unknown: 'mars'"),
        ({"north": 1}, {}, "no population groups"),
    ],
)
def test_inconsistent_groups_are_refused(
    respondents: dict[str, int], shares: dict[str, float], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        post_stratification(respondents, shares, unknown=UNKNOWN)


def test_ballots_weigh_their_group_weight() -> None:
    ballots = {
        "north": Counter({tuple("ABC"): 2}),
        "south": Counter({tuple("ABC"): 3, tuple("BAC"): 3}),
        "outside": Counter({tuple("CBA"): 1}),
    }
    weights = {"north": 3.0, "south": 1 / 3, "outside": 1.0}

    # A>B>C: 2 · 3 + 3 · 1/3 = 7;  B>A>C: 3 · 1/3 = 1;  C>B>A: 1 · 1 = 1
    assert weighted_ballots(ballots, weights) == {
        tuple("ABC"): pytest.approx(7),
        tuple("BAC"): pytest.approx(1),
        tuple("CBA"): 1.0,
    }
    with pytest.raises(ValueError, match="without a weight: 'south'"):
        weighted_ballots(ballots, {"north": 3.0, "outside": 1.0})
    # A group without ballots needs no weight
    assert weighted_ballots({"south": Counter()}, {}) == {}


def test_weighting_can_change_the_winner() -> None:
    # Population 60 % x, 40 % y; 5 respondents: 1 in x ranks A>B>C, 4 in y rank B>A>C.
    # Sample shares 1/5 and 4/5: weights 0.6 / 0.2 = 3 and 0.4 / 0.8 = 0.5 (total 3 + 4 · 0.5 = 5).
    weights = post_stratification({"x": 1, "y": 4}, {"x": 0.6, "y": 0.4}, unknown=()).weights
    assert weights == {"x": pytest.approx(3.0), "y": pytest.approx(0.5)}
    by_group = {"x": Counter({tuple("ABC"): 1}), "y": Counter({tuple("BAC"): 4})}

    unweighted = aggregate("ABC", [tuple("ABC"), *[tuple("BAC")] * 4])
    weighted = aggregate_weighted("ABC", weighted_ballots(by_group, weights))

    # Unweighted Borda (2/1/0 points): A 1 · 2 + 4 · 1 = 6, B 1 · 1 + 4 · 2 = 9, C 0. B wins, and beats A 4–1.
    assert unweighted.borda == {"A": 6, "B": 9, "C": 0}
    assert unweighted.borda_ranking == [("B",), ("A",), ("C",)]
    assert unweighted.condorcet_winner == "B"
    # Weighted: A 3 · 2 + 4 · 0.5 · 1 = 8, B 3 · 1 + 4 · 0.5 · 2 = 7, C 0. A wins, and beats B 3–2.
    assert isinstance(weighted, WeightedAggregate)
    assert weighted.ballots == 5.0
    assert weighted.borda == {"A": 8.0, "B": 7.0, "C": 0.0}
    assert weighted.borda_ranking == [("A",), ("B",), ("C",)]
    # First places: A 3 (x), B 4 · 0.5 = 2
    assert weighted.first_places == {"A": 3.0, "B": 2.0, "C": 0.0}
    # A over C and B over C: 3 + 2 = 5 each
    assert weighted.pairwise == {
        "A": {"B": 3.0, "C": 5.0},
        "B": {"A": 2.0, "C": 5.0},
        "C": {"A": 0.0, "B": 0.0},
    }
    assert weighted.condorcet_winner == "A"
    assert weighted.schulze_ranking == [("A",), ("B",), ("C",)]
    assert weighted.schulze_beats("A", "B")


def test_weights_equal_in_exact_arithmetic_are_tied() -> None:
    # Ten ballots A>B>C of weight 0.1 add up to 1 exactly, but to 0.9999999999999999 in floats;
    # one ballot B>A>C weighs 1. A over B 1–1: a tie, and Borda A 2 · 1 + 1 = 3, B 1 + 2 = 3.
    ten_tenths = sum([0.1] * 10)
    assert ten_tenths != 1.0  # what a plain float comparison would see

    result = aggregate_weighted("ABC", {tuple("ABC"): ten_tenths, tuple("BAC"): 1.0})

    assert result.pairwise["A"]["B"] == result.pairwise["B"]["A"] == 1.0
    assert result.borda == {"A": 3.0, "B": 3.0, "C": 0.0}
    assert result.borda_ranking == [("A", "B"), ("C",)]
    assert result.first_place_ranking == [("A", "B"), ("C",)]
    assert result.condorcet_winner is None
    assert not result.has_condorcet_cycle
    assert result.schulze_ranking == [("A", "B"), ("C",)]
    assert not result.schulze_beats("A", "B")
    assert not result.schulze_beats("B", "A")


def test_weighted_figures_are_rounded_to_a_millionth_and_never_negative_zero() -> None:
    # 0.1 + 0.2 is 0.30000000000000004 in floats
    result = aggregate_weighted("AB", {tuple("AB"): 0.1 + 0.2})

    assert result.ballots == 0.3
    assert result.borda == {"A": 0.3, "B": 0.0}
    assert math.copysign(1, result.borda["B"]) == 1
    assert result.strongest_paths == {"A": {"B": 0.3}, "B": {"A": 0.0}}
    assert all(isinstance(p, float) for row in result.strongest_paths.values() for p in row.values())


def test_weight_zero_leaves_the_order_out() -> None:
    result = aggregate_weighted("ABC", {tuple("ABC"): 0.0, tuple("CBA"): 2.5})

    assert result.ballots == 2.5
    assert result.borda == {"A": 0.0, "B": 2.5, "C": 5.0}
    assert result.condorcet_winner == "C"
    nothing = aggregate_weighted(VALUES, {})
    assert nothing.ballots == 0.0
    assert nothing.schulze_ranking == [VALUES]


@pytest.mark.parametrize("weight", [-0.5, math.nan, math.inf])
def test_weights_must_be_finite_and_not_negative(weight: float) -> None:
    with pytest.raises(ValueError, match="not a finite number ≥ 0"):
        aggregate_weighted("ABC", {tuple("ABC"): weight})


def test_weighted_ballots_must_be_permutations() -> None:
    with pytest.raises(ValueError, match="not a permutation"):
        aggregate_weighted("ABC", {("A", "B"): 1.0})
    with pytest.raises(ValueError, match="candidates repeated"):
        aggregate_weighted("ABA", {})


def test_both_kinds_share_the_base_class_but_are_never_equal() -> None:
    counted = aggregate_counts("AB", {tuple("AB"): 2})
    weighted = aggregate_weighted("AB", {tuple("AB"): 2.0})

    assert isinstance(counted, Aggregation)
    assert isinstance(weighted, Aggregation)
    assert counted.borda == weighted.borda  # 1 == 1.0 …
    unlike: object = weighted
    assert counted != unlike  # … but a weighted result is never taken for a count


COUNTS = st.dictionaries(st.permutations(VALUES).map(tuple), st.integers(0, 30), max_size=25)


def rankings(result: Aggregation[int] | Aggregation[float]) -> tuple[object, ...]:
    return (
        result.borda_ranking,
        result.first_place_ranking,
        result.schulze_ranking,
        result.condorcet_winner,
        result.majority_cycles,
        result.has_condorcet_cycle,
    )


@given(COUNTS)
def test_weight_one_gives_the_unweighted_figures(counts: dict[tuple[str, ...], int]) -> None:
    counted = aggregate_counts(VALUES, counts)
    weighted = aggregate_weighted(VALUES, {order: float(count) for order, count in counts.items()})

    assert rankings(weighted) == rankings(counted)
    assert weighted.ballots == counted.ballots
    assert weighted.borda == counted.borda
    assert weighted.first_places == counted.first_places
    assert weighted.pairwise == counted.pairwise
    assert weighted.strongest_paths == counted.strongest_paths


@given(COUNTS, st.sampled_from([3, 7, 10]))
def test_the_same_weight_for_every_ballot_changes_no_ranking(
    counts: dict[tuple[str, ...], int], divisor: int
) -> None:
    # Every ballot weighs 1/3, 1/7 or 1/10, none of which a float holds exactly: every tie of
    # the counts must still be a tie, and every figure is the count divided.
    counted = aggregate_counts(VALUES, counts)
    weighted = aggregate_weighted(VALUES, {order: count / divisor for order, count in counts.items()})

    assert rankings(weighted) == rankings(counted)
    for a in VALUES:
        assert weighted.borda[a] == pytest.approx(counted.borda[a] / divisor, abs=1e-6)
        for b in VALUES:
            if a != b:
                assert weighted.pairwise[a][b] == pytest.approx(counted.pairwise[a][b] / divisor, abs=1e-6)


@given(
    st.dictionaries(
        st.permutations(VALUES).map(tuple), st.floats(0, 1000, allow_subnormal=False), max_size=25
    )
)
def test_weighted_figures_add_up(weights: dict[tuple[str, ...], float]) -> None:
    result = aggregate_weighted(VALUES, weights)

    assert result.ballots == pytest.approx(math.fsum(weights.values()), abs=1e-6)
    assert math.fsum(result.borda.values()) == pytest.approx(result.ballots * 10, abs=1e-5)
    assert math.fsum(result.first_places.values()) == pytest.approx(result.ballots, abs=1e-5)
    for a in VALUES:
        assert result.borda[a] == pytest.approx(math.fsum(result.pairwise[a].values()), abs=1e-5)
    # The order of the ballots changes nothing
    assert aggregate_weighted(VALUES, dict(reversed(weights.items()))) == result


@given(
    st.dictionaries(st.sampled_from("abcdef"), st.integers(0, 50)),
    st.lists(st.integers(1, 9), min_size=4, max_size=4),
)
def test_the_weights_sum_to_the_respondents(respondents: dict[str, int], shares: list[int]) -> None:
    population = dict(zip("abcd", shares, strict=True))
    result = post_stratification(respondents, population, unknown=("e", "f"))

    weighted_total = math.fsum(count * result.weights[g] for g, count in respondents.items() if count)
    assert weighted_total == pytest.approx(sum(respondents.values()))
    covered = [g for g in population if respondents.get(g, 0)]
    assert result.missing == tuple(g for g in population if g not in covered)
    known = sum(respondents.get(g, 0) for g in population)
    for g in covered:
        # Weighted, each covered group has its share of the covered population
        weighted_share = respondents[g] * result.weights[g] / known
        assert weighted_share == pytest.approx(population[g] / sum(population[c] for c in covered))
