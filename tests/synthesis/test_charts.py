"""Charts: PNG images of the figures, labelled in the reader's language, small groups left out."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from io import BytesIO

from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.image import imread
from matplotlib.patches import Rectangle

from bot.content import load_content
from bot.i18n import I18n
from bot.storage import Database
from bot.synthesis.charts import (
    DPI,
    SIZE,
    charts,
    participation_chart,
    participation_figure,
    persona_chart,
    persona_figure,
    to_png,
    value_chart,
    value_figure,
)
from bot.synthesis.export import SMALL_GROUP
from bot.synthesis.stats import Stats, compute
from tests.synthesis.conftest import ORDER, Given, write
from tests.words import words

CONTENT = load_content()
OPEN_FIRST = "ouverture,innovation,fraternite,authenticite,responsabilite"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
FRENCH = I18n("fr")("fr")
ENGLISH = I18n("fr")("en")


async def stats_of(database: Database, *answers: Given) -> Stats:
    """Write the answers and compute the figures."""
    await write(database, *answers)
    return await compute(database, CONTENT)


def is_png_of_the_standard_size(image: bytes | None) -> bool:
    assert image is not None
    pixels = imread(BytesIO(image), format="png")
    return image.startswith(PNG_SIGNATURE) and pixels.shape[:2] == (SIZE[1] * DPI, SIZE[0] * DPI)


def texts(figure: Figure | None) -> list[str]:
    """Every text drawn on the figure: titles, tick labels, bar labels, footnotes."""
    assert figure is not None
    to_png(figure)  # tick labels are written when the figure is drawn
    found = [figure.get_suptitle(), *(text.get_text() for text in figure.texts)]
    for axes in figure.axes:
        found += [axes.get_title(), axes.get_xlabel(), axes.get_ylabel()]
        found += [label.get_text() for label in axes.get_xticklabels() + axes.get_yticklabels()]
        found += [text.get_text() for text in axes.texts]
    return [text for text in found if text]


def y_labels(axes: Axes) -> list[str]:
    return [label.get_text() for label in axes.get_yticklabels()]


def bar_numbers(axes: Axes) -> list[str]:
    return [text.get_text() for text in axes.texts]


async def test_every_chart_is_a_png_of_the_standard_size(database: Database) -> None:
    stats = await stats_of(database, *[Given()] * SMALL_GROUP)

    drawn = charts(stats, CONTENT, FRENCH)

    assert [name for name, _ in drawn] == ["values.png", "personas.png", "participation.png"]
    assert all(is_png_of_the_standard_size(image) for _, image in drawn)
    assert is_png_of_the_standard_size(value_chart(stats, CONTENT, FRENCH))
    assert is_png_of_the_standard_size(persona_chart(stats, CONTENT, FRENCH))
    assert is_png_of_the_standard_size(participation_chart(stats, FRENCH))


async def test_the_value_chart_shows_borda_points_and_first_places_best_value_at_the_top(
    database: Database,
) -> None:
    # Borda (4 points for a first place): fraternite 3·4 + 2·2 = 16, innovation 3·3 + 2·3 = 15,
    # ouverture 3·1 + 2·4 = 11, authenticite 3·2 + 2·1 = 8, responsabilite 0.
    stats = await stats_of(database, *[Given(ranking=ORDER)] * 3, *[Given(ranking=OPEN_FIRST)] * 2)

    figure = value_figure(stats, CONTENT, ENGLISH)

    assert figure is not None
    points, firsts = figure.axes
    order = ["fraternite", "innovation", "ouverture", "authenticite", "responsabilite"]
    english = words("en")
    names = [english.content(value.name) for v in order if (value := CONTENT.value(v))]
    assert y_labels(points) == names
    assert names[2] == "Openness"
    assert bar_numbers(points) == ["16", "15", "11", "8", "0"]
    assert bar_numbers(firsts) == ["3", "0", "2", "0", "0"]


async def test_chart_labels_follow_the_readers_language(database: Database) -> None:
    stats = await stats_of(database, *[Given(persona="none")] * SMALL_GROUP)

    english = texts(value_figure(stats, CONTENT, ENGLISH)) + texts(persona_figure(stats, CONTENT, ENGLISH))
    french = texts(value_figure(stats, CONTENT, FRENCH)) + texts(persona_figure(stats, CONTENT, FRENCH))

    assert "Openness" in english
    assert "Ouverture" not in english
    assert words("en")._("Aucun d’entre eux") in english
    assert "Ouverture" in french
    assert words("fr")._("Aucun d’entre eux") in french


async def test_personas_chosen_by_too_few_residents_are_left_out_and_a_footnote_says_so(
    database: Database,
) -> None:
    stats = await stats_of(
        database, *[Given(persona="malika")] * 5, *[Given(persona="none")] * 6, *[Given(persona="carlos")] * 2
    )

    figure = persona_figure(stats, CONTENT, FRENCH)

    assert figure is not None
    (axes,) = figure.axes
    assert y_labels(axes) == [words("fr")._("Aucun d’entre eux"), "Malika"]  # most chosen at the top
    assert bar_numbers(axes) == ["6", "5"], "the size of a small group is never drawn"
    drawn = texts(figure)
    assert "Carlos" not in " ".join(drawn)
    assert words("fr")._("Groupes de moins de {n} répondants non affichés.", n=SMALL_GROUP) in drawn


async def test_participation_is_drawn_day_by_day_without_the_days_of_too_few_answers(
    database: Database,
) -> None:
    stats = await stats_of(database, *[Given(day=1)] * 5, *[Given(day=2)] * 2, *[Given(day=4)] * 6)

    french = participation_figure(stats, FRENCH)
    english = participation_figure(stats, ENGLISH)

    assert french is not None
    (axes,) = french.axes
    assert [
        (bar.get_x() + bar.get_width() / 2, bar.get_height())
        for bar in axes.patches
        if isinstance(bar, Rectangle)
    ] == [(0, 5), (3, 6)]
    assert bar_numbers(axes) == ["5", "6"]
    assert "1 mai" in texts(french)
    assert "May 1" in texts(english)
    assert words("fr")._("Groupes de moins de {n} répondants non affichés.", n=SMALL_GROUP) in texts(french)


async def test_no_footnote_when_no_group_is_left_out(database: Database) -> None:
    stats = await stats_of(database, *[Given(day=1)] * 5, *[Given(day=3)] * 5)

    drawn = texts(participation_figure(stats, FRENCH))

    assert words("fr")._("Groupes de moins de {n} répondants non affichés.", n=SMALL_GROUP) not in drawn


async def test_nothing_is_drawn_without_answers(database: Database) -> None:
    stats = await stats_of(database)

    assert value_chart(stats, CONTENT, FRENCH) is None
    assert persona_chart(stats, CONTENT, FRENCH) is None
    assert participation_chart(stats, FRENCH) is None
    assert charts(stats, CONTENT, FRENCH) == []


async def test_nothing_is_drawn_for_fewer_than_five_respondents(database: Database) -> None:
    stats = await stats_of(database, *[Given(anonymous=True)] * (SMALL_GROUP - 1))

    assert stats.answers == SMALL_GROUP - 1
    assert charts(stats, CONTENT, FRENCH) == []


async def test_the_value_chart_alone_is_drawn_when_every_group_is_small(database: Database) -> None:
    personas = ["malika", "carlos", "sarah", "alain", "hugo"]
    stats = await stats_of(database, *[Given(persona=p, day=day) for day, p in enumerate(personas, start=1)])

    assert [name for name, _ in charts(stats, CONTENT, FRENCH)] == ["values.png"]


async def test_charts_are_drawn_from_several_threads_at_once(database: Database) -> None:
    stats = await stats_of(database, *[Given(ranking=ORDER)] * 3, *[Given(ranking=OPEN_FIRST, day=10)] * 4)
    alone = charts(stats, CONTENT, ENGLISH)

    with ThreadPoolExecutor(max_workers=4) as pool:
        together = list(pool.map(lambda _: charts(stats, CONTENT, ENGLISH), range(8)))

    assert all(drawn == alone for drawn in together)
