"""The headline figures: computed from the database, with small groups suppressed."""

from __future__ import annotations

from collections.abc import Sequence

from bot.content import load_content
from bot.storage import Database
from bot.synthesis.export import SMALL_GROUP
from bot.synthesis.stats import as_text, compute, tables
from tests.synthesis.conftest import ORDER, Given, write
from tests.words import words

CONTENT = load_content()


async def add_answers(database: Database, answers: Sequence[tuple[str, str, str, str | None]]) -> None:
    """One resident per answer: (paradox, persona, ranking, source)."""
    await write(database, *(Given(persona=persona, paradox=paradox, ranking=ranking, source=source, day=9 + i % 2)
                            for i, (paradox, persona, ranking, source) in enumerate(answers)))  # fmt: skip


async def test_small_groups_are_suppressed_in_every_breakdown(database: Database) -> None:
    await add_answers(
        database, [("p1", "malika", ORDER, "affiche")] * 5 + [("p2", "carlos", ORDER, None)] * 2
    )
    stats = await compute(database, CONTENT)
    await database.close()
    assert (stats.respondents, stats.answers) == (7, 7)
    personas = {group.key: group for group in stats.per_persona}
    assert personas["malika"].ranking is not None
    assert personas["carlos"].suppressed and personas["carlos"].ranking is None
    assert {g.key: g.suppressed for g in stats.per_paradox if g.answers} == {"p1": False, "p2": True}
    assert {g.key: g.suppressed for g in stats.per_source} == {"affiche": False, "": True}

    t = words("fr")
    text = "\n".join(as_text(table) for table in tables(stats, CONTENT, t))
    assert f"Carlos{' ' * 2}" in text or "Carlos " in text
    carlos_line = next(line for line in text.splitlines() if line.startswith("Carlos"))
    assert f"< {SMALL_GROUP}" in carlos_line
    assert "2" not in carlos_line, "the size of a small group is never shown"


async def test_the_value_ranking_overall(database: Database) -> None:
    await add_answers(
        database,
        [("p1", "alain", ORDER, None)] * 3
        + [("p1", "alain", "ouverture,innovation,fraternite,authenticite,responsabilite", None)] * 2,
    )
    stats = await compute(database, CONTENT)
    await database.close()
    assert stats.overall is not None
    assert stats.overall.condorcet_winner == "fraternite"
    assert stats.overall.first_places == {
        "fraternite": 3,
        "ouverture": 2,
        "innovation": 0,
        "responsabilite": 0,
        "authenticite": 0,
    }
    # Borda: 4 points for first … 0 for last, over 3 + 2 ballots.
    assert stats.overall.borda["innovation"] == 3 * 3 + 3 * 2
    rendered = "\n".join(as_text(table) for table in tables(stats, CONTENT, words("en")))
    assert "Fraternity & solidarity" in rendered


async def test_too_few_respondents_for_any_ranking(database: Database) -> None:
    await add_answers(database, [("p1", "alain", ORDER, None)] * (SMALL_GROUP - 1))
    stats = await compute(database, CONTENT)
    await database.close()
    assert stats.overall is None
    assert all(group.ranking is None for group in stats.per_persona + stats.per_paradox)
