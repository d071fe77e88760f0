"""The synthesis of residents' votes, read from the database: planted opinion groups come out,
with their wishes and the consensus; forgotten voters stay one participant each; the wishes'
extremity is kept for the dealer, which then offers the divisive ones more."""

from __future__ import annotations

import random
from datetime import UTC, datetime

from sqlalchemy import delete, select

from bot.content import load_content
from bot.dialogs.context import DialogContext, Previous
from bot.dialogs.steps import StepName
from bot.places import load_places
from bot.services.deliberation import Deliberation
from bot.storage import Database, DialogState, Resident
from bot.storage.models import SharedWish, Vote, WishExtremity
from bot.synthesis.deliberation import consensus, deliberation, groups, rows
from bot.synthesis.opinions import Counts, priority
from bot.synthesis.stats import compute, tables
from tests.conftest import FixedClock
from tests.words import words

CONTENT = load_content()
PLACES = load_places()
NOW = datetime(2017, 5, 2, 12, 0, tzinfo=UTC)
t = words("fr")


async def plant(database: Database, *, per_group: int, unlinked: bool = False) -> list[int]:
    """Three groups of residents over 12 published wishes: wishes 0–3 split group A from the
    others, 4–7 split B, and 8–11 everyone agrees with. Returns the wish ids."""
    rng = random.Random(7)
    async with database.transaction() as repos:
        wishes = [
            SharedWish(
                paradox_id="p1", persona_id="malika", text=f"Souhait {n}", state="approved", shared_at=NOW
            )
            for n in range(12)
        ]
        wishes.append(
            SharedWish(paradox_id="p1", persona_id="none", text="Refusé", state="rejected", shared_at=NOW)
        )
        repos.session.add_all(wishes)
        await repos.session.flush()
        for group in range(3):
            for member in range(per_group):
                resident = await repos.residents.add(100_000 + 100 * group + member, "fr", "v", NOW)
                for n, wish in enumerate(wishes):
                    if rng.random() < 0.15:
                        continue  # not every wish reaches every resident
                    camp = n // 4
                    value = 1 if camp == 2 or camp == group else -1
                    if rng.random() < 0.1:
                        value = 0
                    repos.session.add(
                        Vote(wish_id=wish.id, resident_id=resident.id, value=value, voted_at=NOW)
                    )
        await repos.session.flush()
        if unlinked:
            await repos.answers.unlink_all()
    return [wish.id for wish in wishes]


async def test_planted_groups_and_consensus_come_out_of_the_database(database: Database) -> None:
    ids = await plant(database, per_group=15)
    result = await deliberation(database)
    opinions = result.opinions
    assert opinions.voters == 45 and opinions.shown
    assert sorted(group.size for group in opinions.groups) == [15, 15, 15]
    assert {agreed.wish for agreed in opinions.consensus} == set(ids[8:12])
    assert ids[12] not in opinions.counts, "a rejected wish is never analysed"
    table = groups(t, result)
    assert table is not None and [row[0] for row in table if row[0]] == ["A", "B", "C"]
    assert {row[0] for row in consensus(t, result) or []} == {f"« Souhait {n} »" for n in range(8, 12)}
    assert len(rows(t, CONTENT, result)) == 12
    titles = [table.title for table in tables(await compute(database, CONTENT), CONTENT, t)]
    assert titles[-3:] == [
        t._("Avis sur les souhaits partagés (les plus votés)"),
        t._("Groupes d’opinion et les souhaits qui les distinguent"),
        t._("Souhaits qui rassemblent tous les groupes"),
    ]


async def test_small_groups_are_not_shown_and_purged_voters_still_count_once(database: Database) -> None:
    await plant(database, per_group=3, unlinked=True)
    async with database.session() as session:
        assert await session.get(Resident, 1) is not None, "residents stay, their votes are unlinked"
    result = await deliberation(database)
    assert result.opinions.voters == 9, "each purged voter is still one participant"
    assert not result.opinions.shown
    assert groups(t, result) is None and consensus(t, result) is None
    shown = tables(await compute(database, CONTENT), CONTENT, t)
    assert shown[-1].title == t._("Avis sur les souhaits partagés (les plus votés)")
    assert "Pas encore de groupes d’opinion" in shown[-1].note


async def dealt(database: Database, resident: Resident, deals: int) -> list[int]:
    """The wish the bot's dealer puts on a fresh card for this resident, ``deals`` times (each
    with the seeded choice of another dialog version)."""
    dealer = Deliberation(None, FixedClock(NOW))  # type: ignore[arg-type]  # deal() needs no dialog
    chosen = []
    async with database.transaction() as repos:
        for version in range(deals):
            state = DialogState(resident_id=resident.id, version=version, step=StepName.VOTE)
            ctx = DialogContext(t, CONTENT, PLACES, state, Previous())
            assert await dealer.deal(repos, resident, ctx) is None
            assert ctx.card is not None
            chosen.append(ctx.card.wish_id)
    return chosen


async def test_after_an_analysis_the_dealer_favours_the_wishes_that_divide(database: Database) -> None:
    ids = await plant(database, per_group=15)
    divisive, agreed = set(ids[:8]), set(ids[8:12])
    async with database.transaction() as repos:
        newcomer = await repos.residents.add(999_999, "fr", "v", NOW)
        before = {tally.wish_id: tally for tally in await repos.deliberation.tallies(newcomer)}
    assert {tally.extremity for tally in before.values()} == {0.0}, "no analysis yet"
    dealt_before = await dealt(database, newcomer, 300)

    result = await deliberation(database)  # fabrique-bot stats, /stats, the report, the workbook
    async with database.transaction() as repos:
        stored = await repos.deliberation.extremities()
        after = {tally.wish_id: tally for tally in await repos.deliberation.tallies(newcomer)}
    assert stored == {wish: result.opinions.extremity[wish] for wish in ids[:12]}, "the analysis is kept"
    assert min(stored[wish] for wish in divisive) > max(stored[wish] for wish in agreed)
    for wish in divisive:
        counts = Counts(before[wish].agree, before[wish].disagree, before[wish].passed)
        assert after[wish].extremity == stored[wish] > 0
        assert priority(counts, after[wish].extremity) > priority(counts), "a divisive wish comes first more"

    dealt_after = await dealt(database, newcomer, 300)
    share_before = sum(wish in divisive for wish in dealt_before) / len(dealt_before)
    share_after = sum(wish in divisive for wish in dealt_after) / len(dealt_after)
    assert share_after > share_before + 0.25, (share_before, share_after)  # 0.35, then 0.75


async def test_the_last_analysis_replaces_the_extremity_kept(database: Database) -> None:
    ids = await plant(database, per_group=15)
    await deliberation(database)
    async with database.transaction() as repos:
        await repos.session.execute(delete(Vote).where(Vote.wish_id.in_(ids[:4])))
    result = await deliberation(database)
    async with database.session() as session:
        rows = dict((await session.execute(select(WishExtremity.wish_id, WishExtremity.extremity))).all())
    assert set(rows) == set(ids[4:12]), "a wish no longer voted on loses its extremity"
    assert rows == {wish: result.opinions.extremity[wish] for wish in ids[4:12]}
    unchanged = await deliberation(database, remember=False)
    assert unchanged.opinions == result.opinions
