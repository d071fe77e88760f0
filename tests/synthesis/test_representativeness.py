"""How far the respondents look like the population, with small groups suppressed."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.synthesis.export import SMALL_GROUP
from bot.synthesis.representativeness import Count, Row, representativeness

UNKNOWN = ("did-not-say", "outside")


def test_each_group_is_compared_with_its_population_share() -> None:
    # Population 75 % north, 25 % south; respondents 10 north, 30 south (40 known).
    # Sample shares 10/40 = 0.25 and 30/40 = 0.75; ratios 0.25 / 0.75 = 1/3 (rounded to 9 places)
    # and 0.75 / 0.25 = 3.
    result = representativeness({"north": 10, "south": 30}, {"north": 0.75, "south": 0.25}, unknown=UNKNOWN)

    assert result.rows == [
        Row("north", 10, 0.25, 0.75, 0.333333333, under_represented=True),
        Row("south", 30, 0.75, 0.25, 3.0, under_represented=False),
    ]
    assert result.unknown == [Count("did-not-say", 0), Count("outside", 0)]
    assert (result.known, result.total) == (40, 40)


def test_unknown_groups_are_counted_apart_and_left_out_of_the_shares() -> None:
    respondents = {"north": 10, "south": 30, "did-not-say": 7, "outside": 3}

    result = representativeness(respondents, {"north": 0.75, "south": 0.25}, unknown=UNKNOWN)

    # Shares still over the 40 who said: 0.25 and 0.75
    assert [row.sample_share for row in result.rows] == [0.25, 0.75]
    # 3 outside is fewer than 5: suppressed like any group
    assert result.unknown == [Count("did-not-say", 7), Count("outside", None)]
    assert result.unknown[1].suppressed
    assert (result.known, result.total) == (40, 50)


def test_a_ratio_of_exactly_one_half_is_not_under_represented() -> None:
    # Shares 0.1, 0.1, 0.5 sum to 0.7: a's share is 1/7. Respondents 5, 5, 60 (70 known):
    # a's sample share 5/70 = 1/14, ratio (1/14) / (1/7) = 1/2 exactly, not below one half
    assert 5 / 70 / (0.1 / 0.7) < 0.5  # what floats alone would say

    result = representativeness({"a": 5, "b": 5, "c": 60}, {"a": 0.1, "b": 0.1, "c": 0.5}, unknown=())

    assert result.rows[0].population_share == pytest.approx(1 / 7)
    assert result.rows[0].ratio == 0.5
    assert result.rows[0].under_represented is False
    # c: (60/70) / (5/7) = 1.2
    assert result.rows[2].ratio == 1.2


def test_population_head_counts_give_the_same_shares() -> None:
    by_share = representativeness({"north": 10, "south": 30}, {"north": 0.75, "south": 0.25}, unknown=())
    by_count = representativeness({"north": 10, "south": 30}, {"north": 1_500, "south": 500}, unknown=())

    assert by_count == by_share


def test_a_small_group_hides_its_count_share_and_ratio() -> None:
    # Population 75 % north, 25 % south; respondents 2 north, 6 south (8 known).
    result = representativeness({"north": 2, "south": 6}, {"north": 0.75, "south": 0.25}, unknown=())

    north, south = result.rows
    assert north.suppressed
    assert (north.respondents, north.sample_share, north.ratio) == (None, None, None)
    assert north.population_share == 0.75
    # Whatever north's 1 to 4 respondents, its ratio is at most (4/8) / 0.75 = 2/3 and at least
    # (1/8) / 0.75 = 1/6: it may or may not be below one half, so the flag is not given
    assert north.under_represented is None
    # South: 6/8 = 0.75, ratio 0.75 / 0.25 = 3
    assert south == Row("south", 6, 0.75, 0.25, 3.0, under_represented=False)


def test_a_small_group_is_flagged_when_any_count_below_five_would_be() -> None:
    # 100 known; a group with 20 % of the population and 3 respondents: even 4 would be a
    # sample share of 4/100, a ratio of 0.04 / 0.2 = 0.2 < 0.5
    result = representativeness({"small": 3, "large": 97}, {"small": 0.2, "large": 0.8}, unknown=())

    assert result.rows[0].respondents is None
    assert result.rows[0].ratio is None
    assert result.rows[0].under_represented is True


def test_a_small_group_is_not_flagged_when_no_count_below_five_would_be() -> None:
    # 20 known; a group with 5 % of the population and 2 respondents: even 1 would be a sample
    # share of 1/20, a ratio of 0.05 / 0.05 = 1 ≥ 0.5
    result = representativeness({"small": 2, "large": 18}, {"small": 0.05, "large": 0.95}, unknown=())

    assert result.rows[0].respondents is None
    assert result.rows[0].under_represented is False


def test_a_group_without_respondents_is_shown_as_zero() -> None:
    # Nobody to point at: 0 is shown, with a share and ratio of 0, under-represented
    result = representativeness({"a": 6, "b": 0}, {"a": 0.5, "b": 0.3, "c": 0.2}, unknown=())

    assert result.rows[1] == Row("b", 0, 0.0, 0.3, 0.0, under_represented=True)
    assert result.rows[2] == Row("c", 0, 0.0, 0.2, 0.0, under_represented=True)
    assert not result.rows[2].suppressed
    # a: 6/6 = 1, ratio 1 / 0.5 = 2
    assert result.rows[0] == Row("a", 6, 1.0, 0.5, 2.0, under_represented=False)


def test_without_known_respondents_there_is_no_share_to_compare() -> None:
    result = representativeness({"did-not-say": 12}, {"north": 0.75, "south": 0.25}, unknown=UNKNOWN)

    assert result.rows == [
        Row("north", 0, None, 0.75, None, under_represented=None),
        Row("south", 0, None, 0.25, None, under_represented=None),
    ]
    assert result.unknown == [Count("did-not-say", 12), Count("outside", 0)]
    assert (result.known, result.total) == (0, 12)


def test_the_small_group_rule_is_the_one_of_every_breakdown() -> None:
    sizes = {"a": SMALL_GROUP - 1, "b": SMALL_GROUP, "outside": SMALL_GROUP - 1}

    result = representativeness(sizes, {"a": 0.5, "b": 0.5}, unknown=UNKNOWN)

    assert [row.respondents for row in result.rows] == [None, SMALL_GROUP]
    assert result.unknown[1].respondents is None


def test_inconsistent_groups_are_refused() -> None:
    with pytest.raises(ValueError, match="neither in the population nor unknown: 'mars'"):
        representativeness({"mars": 3}, {"north": 1.0}, unknown=UNKNOWN)


@given(
    st.integers(5, 200),
    st.lists(st.floats(0.01, 1.0), min_size=2, max_size=6),
    st.integers(1, SMALL_GROUP - 1),
    st.integers(1, SMALL_GROUP - 1),
)
def test_a_suppressed_row_tells_nothing_more_than_its_being_small(
    known: int, shares: list[float], count: int, other: int
) -> None:
    # With the same total known, a group of `count` or of `other` respondents (both 1 to 4) gives
    # the same row: the rest of the respondents is put in a second group.
    population = {f"g{i}": share for i, share in enumerate(shares)}

    def row(size: int) -> Row:
        return representativeness({"g0": size, "g1": known - size}, population, unknown=()).rows[0]

    assert row(count) == row(other)
    assert row(count).suppressed


@given(
    st.dictionaries(st.sampled_from("abcd"), st.integers(0, 60)),
    st.lists(st.integers(1, 9), min_size=4, max_size=4),
)
def test_shown_rows_are_consistent(respondents: dict[str, int], weights: list[int]) -> None:
    population = dict(zip("abcd", weights, strict=True))
    result = representativeness(respondents, population, unknown=())

    assert sum(row.population_share for row in result.rows) == pytest.approx(1)
    for row in result.rows:
        if row.suppressed or not result.known:
            continue
        assert row.respondents == respondents.get(row.group, 0)
        assert row.sample_share is not None
        assert row.ratio is not None
        assert row.sample_share == pytest.approx(row.respondents / result.known)
        assert row.ratio == pytest.approx(row.sample_share / row.population_share)
        assert row.under_represented == (row.ratio < 0.5)
