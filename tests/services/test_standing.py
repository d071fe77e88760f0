"""A resident's place in the results, with figures checked by hand: the Borda order overall, in the
persona's and the territory's groups, the sentences on what agrees and differs, and no figure from a
group of fewer than five respondents; then the counts shared by every resident until the clock says
to count again, each resident's own answers counting as they are now."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from bot.content import load_content
from bot.places import load_places
from bot.services.standing import RECOUNT, Kind, Standing, Standings, least_shared
from bot.storage import Answer, Database, Repositories, Resident
from bot.synthesis.export import SMALL_GROUP
from bot.synthesis.stats import compute
from tests.conftest import FixedClock
from tests.words import words

CONTENT = load_content()
PLACES = load_places()
AIX, MARSEILLE = "13001", "13055"
"""Aix-en-Provence (Pays d'Aix) and Marseille (Marseille-Provence)."""
MINE = "fraternite,innovation,authenticite,ouverture,responsabilite"
_ids = itertools.count(800_000)
NOW = datetime(2017, 5, 10, 12, tzinfo=UTC)
t = words("fr")


@dataclass(frozen=True)
class Given:
    """An answer, by a resident of its own unless ``by`` names an earlier one (its index)."""

    ranking: str
    persona: str = "malika"
    commune: str | None = None
    paradox: str = "p1"
    by: int | None = None


SIX = [
    Given(MINE, commune=AIX),  # the resident compared: F I A O R
    Given("fraternite,ouverture,innovation,responsabilite,authenticite", commune=AIX),
    Given("ouverture,fraternite,innovation,responsabilite,authenticite", commune=AIX),
    Given("fraternite,ouverture,responsabilite,innovation,authenticite", commune=AIX),
    Given("innovation,fraternite,ouverture,authenticite,responsabilite", commune=MARSEILLE),
    Given("ouverture,fraternite,responsabilite,innovation,authenticite", persona="carlos", commune=MARSEILLE),
]
"""Five chose Malika (shown), four live in the Pays d'Aix (not shown)."""


async def write(database: Database, answers: list[Given]) -> None:
    async with database.transaction() as repos:
        session = repos.session
        residents: list[int] = []
        for index, given in enumerate(answers):
            moment = datetime(2017, 5, 9, 10, tzinfo=UTC) + timedelta(minutes=index)
            if given.by is None:
                resident = Resident(telegram_id=next(_ids), language="fr", consent_version="v",
                                    consented_at=moment, subscribed=False, created_at=moment)  # fmt: skip
                session.add(resident)
                await session.flush()
                residents.append(resident.id)
            territory = PLACES.territory_of(given.commune) if given.commune else None
            session.add(
                Answer(resident_id=residents[-1] if given.by is None else residents[given.by],
                       paradox_id=given.paradox, persona_id=given.persona, wish="Un souhait.",
                       ranking=given.ranking, commune=given.commune, territory=territory, language="fr",
                       source=None, consent_version="v", submitted_at=moment)
            )  # fmt: skip


async def standing(
    database: Database, ranking: str | None, persona: str | None, commune: str | None
) -> Standing:
    """The standing of a ranking, counted afresh, with no resident's answers of their own."""
    standings = Standings(CONTENT, PLACES, FixedClock(NOW))
    async with database.transaction() as repos:
        ballot = standings.comparable(ranking) if ranking else None
        return await standings.of(repos, None, ballot, persona, commune)


def name(value_id: str) -> str:
    value = CONTENT.value(value_id)
    assert value is not None
    return t.content(value.name).replace("&", "&amp;")


async def test_six_residents_borda_by_hand_persona_shown_territory_suppressed(database: Database) -> None:
    await write(database, SIX)
    result = await standing(database, MINE, "malika", AIX)

    everyone, persona, territory = result.groups
    assert (everyone.kind, persona.kind, territory.kind) == (Kind.EVERYONE, Kind.PERSONA, Kind.TERRITORY)
    assert (everyone.respondents, persona.respondents, territory.respondents) == (6, 5, 4)
    # Borda, 4 points for first … 0 for last: F 4+4+3+4+3+3, O 1+3+4+3+2+4, I 3+2+2+1+4+1, R, A.
    assert everyone.ranking is not None
    assert everyone.ranking.borda == {
        "fraternite": 21, "ouverture": 17, "innovation": 13, "responsabilite": 6, "authenticite": 3,
    }  # fmt: skip
    assert everyone.ranking.borda_ranking == [
        ("fraternite",), ("ouverture",), ("innovation",), ("responsabilite",), ("authenticite",),
    ]  # fmt: skip
    # Among the ten pairs the resident orders, Authenticité before Ouverture is shared by 1 of 6.
    assert least_shared(everyone.ranking, tuple(MINE.split(","))) == ("authenticite", "ouverture", 1 / 6)
    assert persona.ranking is not None
    assert persona.ranking.borda == {
        "fraternite": 18, "ouverture": 13, "innovation": 12, "responsabilite": 4, "authenticite": 3,
    }  # fmt: skip
    assert least_shared(persona.ranking, tuple(MINE.split(","))) == ("authenticite", "ouverture", 1 / 5)
    assert territory.ranking is None, "four respondents: nothing computed, nothing shown"

    stats = await compute(database, CONTENT)
    assert everyone.ranking == stats.overall, "the statistics' own figures"
    assert persona.ranking == next(g.ranking for g in stats.per_persona if g.key == "malika")

    text = Standings(CONTENT, PLACES, FixedClock(NOW)).after_answer(t, result)
    order = " › ".join(
        name(v) for v in ("fraternite", "ouverture", "innovation", "responsabilite", "authenticite")
    )
    assert t.ngettext(
        "{group} ({n} répondant) : {order}", "{group} ({n} répondants) : {order}", 6,
        group=f"<b>{t._('Tous les participants')}</b>", order=order,
    ) in text  # fmt: skip
    assert t._("Comme vous, ils placent {value} en premier.", value=name("fraternite")) in text
    pair = "Seuls {share} de leurs classements placent {above} avant {below}, comme vous."
    everyone_pair = t._(pair, share=t.percent(1 / 6), above=name("authenticite"), below=name("ouverture"))
    persona_pair = t._(pair, share=t.percent(1 / 5), above=name("authenticite"), below=name("ouverture"))
    assert "16,7" in everyone_pair and "20,0" in persona_pair
    assert everyone_pair in text and persona_pair in text
    assert (
        t.ngettext(
            "{group} ({n} répondant) : {order}",
            "{group} ({n} répondants) : {order}",
            5,
            group=f"<b>{t._('Ceux qui ont choisi {name}', name='Malika')}</b>",
            order=t._("le même ordre que tous les participants"),
        )
        in text
    )
    suppressed = t._(
        "<b>{group}</b> : moins de {n} répondants pour l’instant, rien n’est encore montré.",
        group=t._("Votre territoire, {name}", name="Pays d'Aix"),
        n=SMALL_GROUP,
    )
    assert suppressed in text
    assert "(4 " not in text and "25,0" not in text, "no figure of the group of four"


async def test_respondents_not_answers_decide_and_the_first_place_may_differ(database: Database) -> None:
    """Five answers by four residents are a group of four; a resident whose first value is not the
    group's, and who agrees with at least half of it on every pair, is told so."""
    loner = "authenticite,fraternite,ouverture,innovation,responsabilite"
    await write(
        database,
        [
            *SIX[1:5],
            Given(SIX[1].ranking, paradox="p2", by=0),
            Given(loner, persona="carlos"),
        ],
    )
    result = await standing(database, loner, "carlos", None)
    assert [(g.kind, g.respondents) for g in result.groups] == [(Kind.EVERYONE, 5), (Kind.PERSONA, 1)]
    everyone = result.everyone.ranking
    assert everyone is not None and everyone.ballots == 6
    text = Standings(CONTENT, PLACES, FixedClock(NOW)).after_answer(t, result)
    assert (
        t._(
            "Ils placent {first} en premier ; vous, {yours}.",
            first=name("fraternite"),
            yours=name("authenticite"),
        )
        in text
    )
    # The loner puts Authenticité first, before everything: shared by 1 answer of 6 (their own).
    assert t._(
        "Seuls {share} de leurs classements placent {above} avant {below}, comme vous.",
        share=t.percent(1 / 6), above=name("authenticite"), below=name("fraternite"),
    ) in text  # fmt: skip
    assert t._("Ceux qui ont choisi {name}", name="Carlos") in text and "(1 " not in text
    malika = await standing(database, SIX[1].ranking, "malika", None)
    assert (malika.groups[1].respondents, malika.groups[1].ranking) == (4, None), "five answers, four people"


async def test_ties_and_a_majority_on_every_pair(database: Database) -> None:
    """Two orders, three answers each: Fraternité and Ouverture tie first by Borda."""
    first = "fraternite,ouverture,innovation,responsabilite,authenticite"
    second = "ouverture,fraternite,innovation,responsabilite,authenticite"
    await write(database, [Given(first)] * 3 + [Given(second)] * 3)
    result = await standing(database, first, None, None)
    everyone = result.everyone.ranking
    assert everyone is not None
    assert everyone.borda_ranking[0] == ("ouverture", "fraternite"), "tied, in the values' order"
    text = Standings(CONTENT, PLACES, FixedClock(NOW)).after_answer(t, result)
    assert f"{name('ouverture')} = {name('fraternite')} › {name('innovation')}" in text
    assert (
        t._(
            "Comme vous, ils placent {value} en premier, à égalité avec {others}.",
            value=name("fraternite"),
            others=name("ouverture"),
        )
        in text
    )
    assert (
        t._(
            "Sur chaque paire de valeurs, la moitié au moins de leurs classements font le même choix que vous."
        )
        in text
    )


async def test_before_five_respondents_nothing_but_when_it_will_show(database: Database) -> None:
    await write(database, SIX[:4])
    standings = Standings(CONTENT, PLACES, FixedClock(NOW))
    result = await standing(database, MINE, "malika", AIX)
    assert all(group.ranking is None for group in result.groups)
    text = standings.results(t, result, commune_said=True)
    assert (
        t._("Il faut au moins {n} répondants pour comparer : revenez bientôt avec /resultats.", n=5) in text
    )
    assert t._("Participation à ce jour : moins de {n} habitants.", n=5) in text
    assert "4" not in text, "not even how many answered"

    nobody = await standing(database, None, None, None)
    assert nobody.ballot is None and nobody.everyone.respondents == 4


async def test_an_answer_ranking_other_values_counts_for_nothing(database: Database) -> None:
    """The values changed since it was given: neither its ranking nor its respondent count (the
    census is taken again without it), as in the statistics."""
    older = "innovation,ouverture,fraternite,responsabilite,solidarite"
    await write(
        database, [*SIX, Given(older, commune=AIX), Given(older, persona="carlos", paradox="p2", by=1)]
    )
    result = await standing(database, MINE, "malika", AIX)
    assert [group.respondents for group in result.groups] == [6, 5, 4]
    assert result.everyone.ranking is not None and result.everyone.ranking.ballots == 6


async def test_the_counts_are_shared_until_the_clock_says_to_count_again(database: Database) -> None:
    clock = FixedClock(NOW)
    standings = Standings(CONTENT, PLACES, clock)

    async def respondents() -> int:
        async with database.transaction() as repos:
            return (await standings.of(repos, None, None, None, None)).everyone.respondents

    await write(database, SIX)
    assert await respondents() == 6
    await write(database, [Given(MINE), Given(MINE, persona="carlos")])
    assert await respondents() == 6, "counted a moment ago: the same counts for everyone"
    clock.moment += RECOUNT - timedelta(seconds=1)
    assert await respondents() == 6
    clock.moment += timedelta(seconds=1)
    assert await respondents() == 8, "as old as RECOUNT: counted again"
    await write(database, [Given(MINE)])
    assert await respondents() == 8
    every_time = Standings(CONTENT, PLACES, clock, recount=timedelta(0))
    async with database.transaction() as repos:
        assert (await every_time.of(repos, None, None, None, None)).everyone.respondents == 9


def seen(result: Standing) -> list[tuple[Kind, str, int, object]]:
    return [(group.kind, group.key, group.respondents, group.ranking) for group in result.groups]


async def answer(
    standings: Standings, repos: Repositories, resident: Resident, paradox: str, ranking: str, persona: str
) -> Standing:
    """Store the resident's answer as the consultation does, and their standing after it."""
    await standings.changing(repos, resident)
    await repos.answers.save(
        Answer(resident_id=resident.id, paradox_id=paradox, persona_id=persona, wish="Un souhait.",
               ranking=ranking, language="fr", source=None, consent_version="v", submitted_at=NOW)
    )  # fmt: skip
    commune = (await repos.answers.of(resident))[0].commune
    return await standings.of(repos, resident, standings.comparable(ranking), persona, commune)


async def test_a_residents_own_answers_always_count_as_they_are_now(database: Database) -> None:
    """Against a census taken before them: a first answer, a second one (a ranking more, not a
    respondent more) — in the request that counts again — a changed one (its old ranking gone) and
    a commune said (into its territory): each time exactly what counting every answer afresh
    gives."""
    clock = FixedClock(NOW)
    standings = Standings(CONTENT, PLACES, clock)
    await write(database, SIX[1:])
    async with database.transaction() as repos:
        assert (await standings.of(repos, None, None, None, None)).everyone.respondents == 5
        resident = await repos.residents.add(next(_ids), "fr", "v", NOW)
    async with database.transaction() as repos:
        first = await answer(standings, repos, resident, "p1", MINE, "malika")
    assert seen(first) == seen(await standing(database, MINE, "malika", None))
    assert [g.respondents for g in first.groups] == [6, 5]

    other = "ouverture,innovation,fraternite,authenticite,responsabilite"
    clock.moment += RECOUNT
    async with database.transaction() as repos:
        second = await answer(standings, repos, resident, "p2", other, "carlos")
    assert seen(second) == seen(await standing(database, other, "carlos", None))
    assert second.everyone.respondents == 6 and second.everyone.ranking is not None
    assert second.everyone.ranking.ballots == 7

    async with database.transaction() as repos:
        changed = await answer(standings, repos, resident, "p1", SIX[2].ranking, "malika")
    assert seen(changed) == seen(await standing(database, SIX[2].ranking, "malika", None))

    async with database.transaction() as repos:
        await standings.changing(repos, resident)
        await repos.answers.describe(resident, {"commune": AIX, "territory": PLACES.territory_of(AIX)})
    async with database.transaction() as repos:
        located = await standings.latest(repos, resident, AIX)
    assert seen(located) == seen(await standing(database, other, "carlos", AIX))
    assert located.groups[2].respondents == 4, "three in the Pays d'Aix before, and the resident"


async def test_a_change_made_elsewhere_never_shows_a_group_of_four(database: Database) -> None:
    """Another bot process changes the resident's answer after this one's census (which cannot know
    it as it was): the resident's next answer here brings Malika to five by the census, but they
    are four people — counted afresh, nothing shown."""
    standings, elsewhere = (Standings(CONTENT, PLACES, FixedClock(NOW)) for _ in range(2))
    await write(database, [Given(MINE), Given(MINE), Given(MINE), Given(MINE, persona="carlos")])
    async with database.transaction() as repos:
        resident = await repos.residents.add(next(_ids), "fr", "v", NOW)
        await answer(elsewhere, repos, resident, "p1", MINE, "malika")
    async with database.transaction() as repos:
        counted = await standings.of(repos, None, None, "malika", None)
    assert counted.groups[1].respondents == 4
    async with database.transaction() as repos:
        await answer(elsewhere, repos, resident, "p1", MINE, "carlos")
    async with database.transaction() as repos:
        after = await answer(standings, repos, resident, "p2", MINE, "malika")
    assert after.groups[1].respondents == 4 and after.groups[1].ranking is None
    assert seen(after) == seen(await standing(database, MINE, "malika", None))


async def test_an_answer_rolled_back_is_not_counted_by_the_census_its_request_took(
    database: Database,
) -> None:
    standings = Standings(CONTENT, PLACES, FixedClock(NOW))
    await write(database, SIX[1:])
    async with database.transaction() as repos:
        resident = await repos.residents.add(next(_ids), "fr", "v", NOW)

    async def failing_update() -> None:
        async with database.transaction() as repos:
            result = await answer(standings, repos, resident, "p1", MINE, "malika")
            assert result.everyone.respondents == 6, "counted in their own figures"
            raise RuntimeError("the update fails after its answer was counted")

    with pytest.raises(RuntimeError):
        await failing_update()
    async with database.transaction() as repos:
        assert (await standings.of(repos, None, None, None, None)).everyone.respondents == 5
