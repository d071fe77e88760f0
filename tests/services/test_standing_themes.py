"""The most frequent themes of the wishes in ``/resultats``, from counts written by hand as a
computation of the themes keeps them: the three with the most respondents, in that order, each
with its share of the wishes, never one of fewer than five respondents; and the counts kept only
from a computation over every answer, replaced as a whole."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.content import load_content
from bot.dialogs import h
from bot.i18n import Translator
from bot.places import load_places
from bot.services.standing import Standing, Standings
from bot.storage import Database
from bot.storage.theme_counts import ThemeTally
from tests.conftest import FixedClock
from tests.services.test_standing import SIX, write
from tests.words import words

CONTENT = load_content()
PLACES = load_places()
NOW = datetime(2017, 5, 10, 12, tzinfo=UTC)
MOST = "Thème le plus fréquent des souhaits : {themes}.", "Thèmes les plus fréquents des souhaits : {themes}."
ALL_WISHES = 80
COUNTS = [
    ThemeTally("transports", "Transports et déplacements", 25, 20, ALL_WISHES),
    ThemeTally("logement", "Logement", 12, 12, ALL_WISHES),
    ThemeTally("nature", "Nature, environnement & climat", 15, 12, ALL_WISHES),
    ThemeTally("proprete", "Propreté et déchets", 30, 4, ALL_WISHES),
    ThemeTally("securite", "Sécurité", 5, 5, ALL_WISHES),
    ThemeTally("culture", "Culture", 0, 0, ALL_WISHES),
]
"""Transports has the most respondents; Nature and Logement as many, Nature more wishes;
Propreté the most wishes but four respondents; Sécurité five, but fourth."""


async def keep(database: Database, counts: list[ThemeTally], read: int, now: datetime = NOW) -> None:
    """Keep ``counts`` as a computation of the themes that read ``read`` wishes does."""
    async with database.transaction() as repos:
        await repos.theme_counts.replace(counts, read, now)


async def results(database: Database, t: Translator) -> tuple[Standing, str]:
    """``/resultats`` for someone without an answer."""
    standings = Standings(CONTENT, PLACES, FixedClock(NOW))
    async with database.transaction() as repos:
        standing = await standings.latest(repos, None, None)
    return standing, standings.results(t, standing, commune_said=False)


def line(t: Translator, *themes: ThemeTally) -> str:
    """The sentence naming ``themes``, labels as the codebook wrote them."""
    shares = ", ".join(f"{h(theme.label)} ({t.percent(theme.share)})" for theme in themes)
    return t.ngettext(*MOST, len(themes), themes=shares)


def prefix(t: Translator) -> str:
    """What every form of the sentence starts with, whatever the themes."""
    return t.ngettext(*MOST, 2, themes="§").split(" ")[0]


async def test_the_three_themes_with_most_respondents_from_five_on(database: Database) -> None:
    t = words("fr")
    standing, before = await results(database, t)
    assert standing.themes == () and prefix(t) not in before, "never computed: nothing said"

    await keep(database, COUNTS, read=0)  # a database without answers: the computation read none
    standing, text = await results(database, t)
    transports, logement, nature = COUNTS[0], COUNTS[1], COUNTS[2]
    assert standing.themes == (transports, nature, logement)
    # 25 of 80 wishes, 15 of 80, 12 of 80; « & » escaped for Telegram's HTML.
    said = line(t, transports, nature, logement)
    assert said in text
    assert " ".join(said.split()).endswith(
        "Transports et déplacements (31,2 %), Nature, environnement &amp; climat (18,8 %), Logement (15,0 %)."
    )
    assert text.endswith(said), "after the participation"
    assert "Propreté" not in text and "Sécurité" not in text

    english = words("en")
    _, text_en = await results(database, english)
    assert line(english, transports, nature, logement) in text_en
    assert "Transports et déplacements (31.2 %), " in " ".join(text_en.split()), (
        "no English label: as written"
    )


async def test_under_five_respondents_a_theme_is_never_named(database: Database) -> None:
    t = words("fr")
    await keep(database, [COUNTS[3], COUNTS[5], ThemeTally("emploi", "Emploi", 6, 5, 9)], read=0)
    standing, text = await results(database, t)
    assert [theme.theme_id for theme in standing.themes] == ["emploi"]
    assert line(t, standing.themes[0]) in text and "Emploi (66,7" in text

    await keep(database, [COUNTS[3], COUNTS[5]], read=0)
    standing, text = await results(database, t)
    assert standing.themes == () and prefix(t) not in text, "replaced as a whole: Emploi is gone"


async def test_only_a_computation_over_every_answer_is_kept(database: Database) -> None:
    await write(database, SIX)
    await keep(database, COUNTS, read=len(SIX) - 1)  # one paradox, a period: not the consultation's
    assert (await results(database, words("fr")))[0].themes == ()
    await keep(database, COUNTS, read=len(SIX))
    assert len((await results(database, words("fr")))[0].themes) == 3
    await keep(database, COUNTS[:1], read=len(SIX) + 1, now=NOW + timedelta(hours=1))  # not these answers
    assert len((await results(database, words("fr")))[0].themes) == 3, "the last one kept stays"
