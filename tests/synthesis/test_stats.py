"""The headline figures: computed from the database, with small groups suppressed, every count
with its share, sources with their labels."""

from __future__ import annotations

from collections.abc import Sequence

from bot.content import Content, load_content
from bot.i18n import I18n, Translator
from bot.storage import Database
from bot.synthesis.export import SMALL_GROUP
from bot.synthesis.stats import (
    SUPPRESSED,
    Stats,
    Table,
    as_text,
    compute,
    duels_table,
    group_labels,
    group_table,
    ranking_table,
    source_label,
    source_table,
    tables,
)
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


def table_titled(stats: Stats, title: str, t: Translator, content: Content = CONTENT) -> Table:
    return next(table for table in tables(stats, content, t) if table.title == t._(title))


async def test_every_count_comes_with_its_share_and_a_small_groups_share_is_hidden_too(
    database: Database,
) -> None:
    await add_answers(
        database,
        [("p1", "malika", ORDER, "affiche")] * 6
        + [("p2", "carlos", ORDER, None)] * 2
        + [("p3", "sarah", ORDER, None)] * 2,
    )
    stats = await compute(database, CONTENT)
    t = words("fr")

    paradoxes = table_titled(stats, "Réponses par paradoxe", t)
    assert paradoxes.headers == (t._("Paradoxe"), t._("Réponses"), t._("Part des réponses"))
    first, second = paradoxes.rows[:2]
    assert first[1:] == ("6", t.percent(0.6))
    assert second[1:] == (SUPPRESSED, "—"), "a share would give a small group's size away"
    personas = table_titled(stats, "Habitants choisis", t)
    assert {row[0]: row[1:] for row in personas.rows}["Malika"] == ("6", t.percent(0.6))
    sources = table_titled(stats, "Réponses par source", t)
    assert sources.rows == [("affiche", "6", t.percent(0.6)), (t._("(directe)"), SUPPRESSED, "—")]
    days = table_titled(stats, "Réponses par jour", t)
    assert [row[1:] for row in days.rows] == [("5", t.percent(0.5)), ("5", t.percent(0.5))]


async def test_sources_are_shown_with_the_labels_staff_gave_them(database: Database) -> None:
    await add_answers(
        database,
        [("p1", "malika", ORDER, "affiche_vieux_port")] * 7
        + [("p1", "malika", ORDER, "qr_istres")] * 6
        + [("p1", "malika", ORDER, None)] * 5,
    )
    content = CONTENT.model_copy(update={"sources": (("affiche_vieux_port", "Affiche du Vieux-Port"),)})
    stats = await compute(database, content)
    t = I18n("fr")("fr")  # the label is not in the shipped content: its words are not known to words()

    sources = table_titled(stats, "Réponses par source", t, content)

    direct = words("fr")._("(directe)")
    assert [row[0] for row in sources.rows] == ["Affiche du Vieux-Port", "qr_istres", direct]
    assert source_label(t, content, "affiche_vieux_port") == "Affiche du Vieux-Port"
    assert source_label(t, content, "qr_istres") == "qr_istres", "a code without a label is shown as it is"


async def test_the_report_keeps_only_the_largest_sources_and_says_how_many_it_leaves_out(
    database: Database,
) -> None:
    await add_answers(
        database,
        [("p1", "malika", ORDER, f"source_{i}") for i in range(4) for _ in range(5 + i)]
        + [("p1", "malika", ORDER, "rare")] * 2,
    )
    stats = await compute(database, CONTENT)
    t = words("fr")

    table = source_table(stats, CONTENT, t, limit=3)

    assert [row[0] for row in table.rows] == ["source_3", "source_2", "source_1"]
    assert "rare" not in " ".join(cell for row in table.rows for cell in row)
    assert table.note == t.ngettext(
        "{n} autre source (moins de {small} répondants, ou moins de réponses) n’est pas détaillée.",
        "{n} autres sources (moins de {small} répondants chacune, ou moins de réponses) ne sont "
        "pas détaillées.",
        2,
        small=SMALL_GROUP,
    )
    assert source_table(stats, CONTENT, t).rows[-1] == ("rare", SUPPRESSED, "—")


async def test_the_overall_ranking_gives_scores_and_shares_best_value_first(database: Database) -> None:
    open_first = "ouverture,innovation,fraternite,authenticite,responsabilite"
    await add_answers(database, [("p1", "alain", ORDER, None)] * 3 + [("p1", "alain", open_first, None)] * 2)
    stats = await compute(database, CONTENT)
    t = words("fr")

    table = ranking_table(stats, CONTENT, t)

    assert table.headers == (
        t._("Valeur"), t._("Points Borda"), t._("Score Borda"), t._("Rang Borda"), t._("1res places"),
        t._("Part des 1res places"), t._("Rang Schulze"),
    )  # fmt: skip
    # Borda (4 points for a first place, 5 ballots: at most 20): fraternité 3·4 + 2·2 = 16, 80 %.
    assert table.rows[0] == (
        t.content("Fraternité & solidarité"),
        "16",
        t.percent(0.8),
        "1",
        "3",
        t.percent(0.6),
        "1",
    )
    assert [row[3] for row in table.rows] == ["1", "2", "3", "4", "5"], "best value first"
    assert table.note == t._("Gagnant de Condorcet : {value}.", value=t.content("Fraternité & solidarité"))
    duels = duels_table(stats, CONTENT, t)
    assert duels is not None
    # Fraternité before ouverture on the 3 ORDER ballots, of 5.
    ouverture = duels.headers.index(t.content("Ouverture"))
    assert duels.rows[0][ouverture] == f"3 ({t.percent(0.6)})"
    assert duels.rows[0][1] == "—"


async def test_the_ranking_of_each_group_reads_as_ranks_next_to_its_answers(database: Database) -> None:
    await add_answers(database, [("p1", "alain", ORDER, None)] * 5 + [("p2", "carlos", ORDER, None)] * 2)
    stats = await compute(database, CONTENT)
    t = words("fr")

    table = group_table(
        "Par habitant", t._("Habitant"), stats.per_persona, group_labels(t, CONTENT), stats, CONTENT, t
    )

    rows = {row[0]: row[1:] for row in table.rows}
    # Values in the overall Borda order: fraternite, innovation, authenticite, ouverture, responsabilite.
    assert rows["Alain"] == (f"5 ({t.percent(5 / 7)})", "1*", "2", "3", "4", "5"), (
        "fraternité: Condorcet winner"
    )
    assert rows["Carlos"] == (SUPPRESSED, "—", "—", "—", "—", "—")
