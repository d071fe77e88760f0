"""Every computation of the themes over the whole consultation — the one ``fabrique-bot themes``,
``report --themes``, ``export --themes`` and ``package`` go through — keeps each theme's wishes
and respondents in the database, where ``/resultats`` reads them without the model; one over
some of the answers keeps nothing; the next replaces the last as a whole. With the real model."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select

from bot.content import load_content
from bot.places import load_places
from bot.services.standing import Standings
from bot.storage import Database
from bot.storage.models import ThemeCount
from bot.synthesis.export import SMALL_GROUP, ExportFilter
from bot.themes import Codebook, E5Embedder, Themes
from bot.themes.codebook import SHIPPED
from bot.themes.synthesis import CACHE_NAME, ThemeRequest, compute_themes
from tests.conftest import FixedClock
from tests.themes.conftest import Wish, write
from tests.words import words

CONTENT = load_content()
NOW = datetime(2017, 5, 31, 16, 45, tzinfo=UTC)
WISHES = [
    *(
        Wish(text, "p1")
        for text in (
            "plus de bus et de trains le soir et le week-end",
            "un métro qui va jusqu'aux quartiers nord",
            "des trains toutes les 15 minutes entre Aix et Marseille",
            "moins de bouchons sur l'autoroute pour aller travailler",
            "des pistes cyclables sûres entre les communes",
            "pouvoir se passer de la voiture pour aller au travail",
            "un tramway jusqu'à Aubagne et La Ciotat",
        )
    ),
    *(
        Wish(text, "p2", "carlos")
        for text in (
            "des loyers abordables pour les jeunes et les familles",
            "plus de logements sociaux",
            "trouver un appartement sans attendre des années",
            "rénover les immeubles insalubres du centre-ville",
            "que les loyers baissent enfin",
            "un logement digne pour chacun",
        )
    ),
    *(
        Wish(text, "p3", "sarah")
        for text in (
            "une mer propre et des calanques protégées",
            "des parcs et des arbres partout pour avoir de l'ombre",
            "protéger les forêts des incendies",
            "arrêter de bétonner les collines",
            "respirer un air moins pollué",
        )
    ),
    Wish("je sais pas trop", "p4", "alain"),
]
"""Nineteen wishes: seven about transport, six about housing, five about nature, one about none."""


async def kept(database: Database) -> dict[str, tuple[str, int, int, int]]:
    """The counts kept, by theme: label, wishes, respondents, all the wishes read."""
    async with database.session() as session:
        rows = (await session.scalars(select(ThemeCount))).all()
    return {row.theme_id: (row.label, row.wishes, row.respondents, row.all_wishes) for row in rows}


async def themed(
    database: Database, codebook: Codebook, embedder: E5Embedder, cache: Path, where: ExportFilter | None
) -> Themes:
    themes = await compute_themes(
        database, CONTENT, ThemeRequest(codebook, SHIPPED, None, cache=cache), where, embedder
    )
    assert isinstance(themes, Themes)
    return themes


async def test_the_consultations_themes_are_kept_for_resultats(
    database: Database, codebook: Codebook, embedder: E5Embedder, tmp_path: Path
) -> None:
    await write(database, *WISHES)
    cache = tmp_path / CACHE_NAME

    # One paradox (`export --paradox p1 --themes`): not the consultation's themes.
    await themed(database, codebook, embedder, cache, ExportFilter(paradox="p1"))
    assert await kept(database) == {}

    # Every answer so far, as `package` asks (`themes`, `report --themes` ask with no filter).
    themes = await themed(database, codebook, embedder, cache, ExportFilter(until=NOW))
    counts = await kept(database)
    assert counts == {
        theme.id: (
            theme.label,
            themes.overall.shares[theme.id].answers,
            themes.overall.shares[theme.id].respondents,
            len(WISHES),
        )
        for theme in codebook.themes
    }
    assert counts["transports"][1:3] == (7, 7) and counts["logement"][1:3] == (6, 6)
    assert counts["nature"][1:3] == (5, 5)

    standings = Standings(CONTENT, load_places(), FixedClock(NOW))
    async with database.transaction() as repos:
        standing = await standings.latest(repos, None, None)
    assert [theme.theme_id for theme in standing.themes] == ["transports", "logement", "nature"]
    assert all(theme.respondents >= SMALL_GROUP for theme in standing.themes)
    t = words("fr")
    top = [counts[theme] for theme in ("transports", "logement", "nature")]
    shares = ", ".join(f"{label} ({t.percent(wishes / len(WISHES))})" for label, wishes, _, _ in top)
    assert shares in standings.results(t, standing, commune_said=False)

    # The codebook changed: the next computation replaces the counts as a whole.
    two = Codebook(themes=codebook.themes[:2])
    await themed(database, two, embedder, cache, None)
    assert set(await kept(database)) == {"transports", "logement"}
