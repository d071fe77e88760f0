"""Charts: PNG images of the figures, labelled in the reader's language, readable on a phone,
every number with its share, small groups drawn as « < 5 »."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from io import BytesIO

from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.image import imread
from matplotlib.patches import Rectangle
from matplotlib.text import Text

from bot.content import load_content
from bot.i18n import I18n
from bot.storage import Database
from bot.synthesis.charts import (
    DPI,
    SIZE,
    charts,
    figures,
    participation_chart,
    participation_figure,
    persona_chart,
    persona_figure,
    to_png,
    value_chart,
    value_figure,
)
from bot.synthesis.export import SMALL_GROUP
from bot.synthesis.stats import SUPPRESSED, Stats, compute
from tests.synthesis.conftest import ORDER, Given, write
from tests.words import words

CONTENT = load_content()
OPEN_FIRST = "ouverture,innovation,fraternite,authenticite,responsabilite"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
FRENCH = I18n("fr")("fr")
ENGLISH = I18n("fr")("en")
PHONE_WIDTH = 360
"""CSS pixels a phone gives a picture in a chat, held upright."""
SMALLEST_TEXT = 10
"""CSS pixels: the smallest text that reads on a phone without zooming."""


async def stats_of(database: Database, *answers: Given) -> Stats:
    """Write the answers and compute the figures."""
    await write(database, *answers)
    return await compute(database, CONTENT)


def is_png_of_the_standard_size(image: bytes | None) -> bool:
    assert image is not None
    pixels = imread(BytesIO(image), format="png")
    return image.startswith(PNG_SIGNATURE) and pixels.shape[:2] == (SIZE[1] * DPI, SIZE[0] * DPI)


def drawn_texts(figure: Figure) -> list[Text]:
    """Every text drawn on the figure: titles, tick labels, bar labels, footnotes (not the
    labels of ticks that fall outside the axes, which are not drawn)."""
    to_png(figure)  # tick labels are written when the figure is drawn
    outside: set[Text] = set()
    for axes in figure.axes:
        for axis in (axes.xaxis, axes.yaxis):
            low, high = sorted(axis.get_view_interval())
            outside |= {tick.label1 for tick in axis.get_major_ticks() if not low <= tick.get_loc() <= high}
    return [
        text
        for text in figure.findobj(match=Text)
        if isinstance(text, Text) and text.get_visible() and text.get_text() and text not in outside
    ]


def texts(figure: Figure | None) -> list[str]:
    """Every text drawn on the figure, a name wrapped on two lines read as one."""
    assert figure is not None
    return [text.get_text().replace("\n", " ") for text in drawn_texts(figure)]


def y_labels(axes: Axes) -> list[str]:
    return [label.get_text().replace("\n", " ") for label in axes.get_yticklabels()]


def bar_numbers(axes: Axes) -> list[str]:
    return [text.get_text() for text in axes.texts]


def phone_size(text: Text) -> float:
    """The height of a text's letters once the picture is shown 360 CSS pixels wide."""
    return float(text.get_fontsize()) / 72 * DPI / (SIZE[0] * DPI) * PHONE_WIDTH


async def test_every_chart_is_a_png_of_the_standard_size(database: Database) -> None:
    stats = await stats_of(database, *[Given()] * SMALL_GROUP)

    drawn = charts(stats, CONTENT, FRENCH)

    assert [name for name, _ in drawn] == ["values.png", "personas.png", "participation.png"]
    assert all(is_png_of_the_standard_size(image) for _, image in drawn)
    assert is_png_of_the_standard_size(value_chart(stats, CONTENT, FRENCH))
    assert is_png_of_the_standard_size(persona_chart(stats, CONTENT, FRENCH))
    assert is_png_of_the_standard_size(participation_chart(stats, FRENCH))


async def test_the_value_chart_shows_borda_scores_and_first_places_best_value_at_the_top(
    database: Database,
) -> None:
    # Borda (4 points for a first place, 5 ballots: 20 at most): fraternite 3·4 + 2·2 = 16 (80 %),
    # innovation 3·3 + 2·3 = 15, ouverture 3·1 + 2·4 = 11, authenticite 3·2 + 2·1 = 8, responsabilite 0.
    stats = await stats_of(database, *[Given(ranking=ORDER)] * 3, *[Given(ranking=OPEN_FIRST)] * 2)

    figure = value_figure(stats, CONTENT, ENGLISH)

    assert figure is not None
    scores, firsts = figure.axes
    order = ["fraternite", "innovation", "ouverture", "authenticite", "responsabilite"]
    english = words("en")
    names = [english.content(value.name) for v in order if (value := CONTENT.value(v))]
    assert y_labels(scores) == y_labels(firsts) == names
    assert names[2] == "Openness"
    assert [bar.get_width() for bar in scores.patches if isinstance(bar, Rectangle)] == [
        0.8,
        0.75,
        0.55,
        0.4,
        0,
    ]
    points = [(16, 0.8), (15, 0.75), (11, 0.55), (8, 0.4), (0, 0)]
    assert bar_numbers(scores) == [
        english._("{points} pts ({score})", points=str(n), score=english.percent(share))
        for n, share in points
    ]
    assert bar_numbers(firsts) == [f"{n} ({english.percent(n / 5)})" for n in (3, 0, 2, 0, 0)]


async def test_chart_labels_follow_the_readers_language(database: Database) -> None:
    stats = await stats_of(database, *[Given(persona="none")] * SMALL_GROUP)

    english = texts(value_figure(stats, CONTENT, ENGLISH)) + texts(persona_figure(stats, CONTENT, ENGLISH))
    french = texts(value_figure(stats, CONTENT, FRENCH)) + texts(persona_figure(stats, CONTENT, FRENCH))

    assert "Openness" in english
    assert "Ouverture" not in english
    assert words("en")._("Aucun d’entre eux") in english
    assert "Ouverture" in french
    assert words("fr")._("Aucun d’entre eux") in french


async def test_personas_chosen_by_too_few_residents_are_drawn_as_such_without_their_number(
    database: Database,
) -> None:
    stats = await stats_of(
        database, *[Given(persona="malika")] * 5, *[Given(persona="none")] * 6, *[Given(persona="carlos")] * 2
    )

    figure = persona_figure(stats, CONTENT, FRENCH)

    assert figure is not None
    (axes,) = figure.axes
    labels = y_labels(axes)
    # The most chosen at the top, then every persona of fewer than five respondents, in their order.
    assert labels[:3] == [words("fr")._("Aucun d’entre eux"), "Malika", "Laurence"]
    assert len(labels) == len(CONTENT.personas) + 1
    numbers = bar_numbers(axes)
    assert numbers[:2] == [f"6 ({FRENCH.percent(6 / 13)})", f"5 ({FRENCH.percent(5 / 13)})"]
    assert numbers[labels.index("Carlos")] == SUPPRESSED, "the size of a small group is never drawn"
    assert set(numbers[2:]) == {SUPPRESSED}
    assert [bar.get_width() for bar in axes.patches if isinstance(bar, Rectangle)][1:3] == [5, 0]
    note = words("fr")._(
        "« {suppressed} » : moins de {n} répondants, chiffre non publié.",
        suppressed=SUPPRESSED,
        n=SMALL_GROUP,
    )
    assert note in texts(figure)


async def test_participation_is_drawn_day_by_day_on_a_dated_axis_without_the_days_of_too_few_answers(
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
    # The first day says its year; the next ones only their day.
    assert [label.get_text() for label in axes.get_xticklabels()] == ["1 mai 2017", "2 mai", "3 mai", "4 mai"]
    assert "May 1, 2017" in texts(english)
    note = words("fr").ngettext(
        "{n} jour de moins de {small} répondants n’est pas affiché.",
        "{n} jours de moins de {small} répondants ne sont pas affichés.",
        1,
        small=SMALL_GROUP,
    )
    assert note in texts(french)


async def test_a_new_year_is_written_on_the_axis(database: Database) -> None:
    stats = await stats_of(database, *[Given(day=1)] * 5)
    stats = replace(
        stats,
        per_day=[replace(stats.per_day[0], key="2017-12-20"), replace(stats.per_day[0], key="2018-01-12")],
    )

    figure = participation_figure(stats, FRENCH)

    assert figure is not None
    labels = [label.get_text() for label in figure.axes[0].get_xticklabels()]
    assert labels[0] == "20 déc. 2017"
    assert "2018" in next(label for label in labels if "janv." in label)


async def test_no_footnote_when_no_group_is_left_out(database: Database) -> None:
    stats = await stats_of(database, *[Given(day=1)] * 5, *[Given(day=3)] * 5)

    drawn = texts(participation_figure(stats, FRENCH))

    assert not any("répondants" in text for text in drawn)


async def test_nothing_is_drawn_without_answers(database: Database) -> None:
    stats = await stats_of(database)

    assert value_chart(stats, CONTENT, FRENCH) is None
    assert persona_chart(stats, CONTENT, FRENCH) is None
    assert participation_chart(stats, FRENCH) is None
    assert charts(stats, CONTENT, FRENCH) == []


async def test_only_the_personas_are_drawn_for_fewer_than_five_respondents(database: Database) -> None:
    stats = await stats_of(database, *[Given(anonymous=True)] * (SMALL_GROUP - 1))

    assert stats.answers == SMALL_GROUP - 1
    assert [name for name, _ in charts(stats, CONTENT, FRENCH)] == ["personas.png"]
    figure = persona_figure(stats, CONTENT, FRENCH)
    assert figure is not None
    assert set(bar_numbers(figure.axes[0])) == {SUPPRESSED}


async def test_the_values_and_personas_are_drawn_when_every_group_is_small(database: Database) -> None:
    personas = ["malika", "carlos", "sarah", "alain", "hugo"]
    stats = await stats_of(database, *[Given(persona=p, day=day) for day, p in enumerate(personas, start=1)])

    assert [name for name, _ in charts(stats, CONTENT, FRENCH)] == ["values.png", "personas.png"]


async def test_charts_are_drawn_from_several_threads_at_once(database: Database) -> None:
    stats = await stats_of(database, *[Given(ranking=ORDER)] * 3, *[Given(ranking=OPEN_FIRST, day=10)] * 4)
    alone = charts(stats, CONTENT, ENGLISH)

    with ThreadPoolExecutor(max_workers=4) as pool:
        together = list(pool.map(lambda _: charts(stats, CONTENT, ENGLISH), range(8)))

    assert all(drawn == alone for drawn in together)


async def test_every_chart_reads_on_a_phone_and_nothing_is_cut_off(database: Database) -> None:
    stats = await stats_of(
        database,
        *[Given(ranking=ORDER, persona="none")] * 6,
        *[Given(ranking=OPEN_FIRST, day=30, persona="sandrine")] * 5,
        Given(persona="carlos", day=20),
    )
    for figure in (
        value_figure(stats, CONTENT, FRENCH),
        persona_figure(stats, CONTENT, FRENCH),
        participation_figure(stats, FRENCH),
    ):
        assert figure is not None
        width, height = figure.get_size_inches()
        assert height >= width, "portrait: as wide as a phone, never smaller than its screen's width"
        box = figure.bbox
        for text in drawn_texts(figure):
            assert phone_size(text) >= SMALLEST_TEXT, f"{text.get_text()!r} is too small to read"
            extent = text.get_window_extent()
            assert extent.x0 >= box.x0 and extent.x1 <= box.x1, f"{text.get_text()!r} is cut off"
            assert extent.y0 >= box.y0 and extent.y1 <= box.y1, f"{text.get_text()!r} is cut off"


async def test_each_chart_says_what_it_shows_and_what_to_read_in_it(database: Database) -> None:
    stats = await stats_of(
        database,
        *[Given(ranking=ORDER, day=2)] * 3,
        *[Given(ranking=OPEN_FIRST, day=2)] * 4,
        Given(persona="carlos"),
    )
    t = words("fr")

    described = {chart.name: chart for chart in figures(stats, CONTENT, FRENCH)}

    assert list(described) == ["values.png", "personas.png", "participation.png"]
    assert [chart.png for chart in described.values()] == [png for _, png in charts(stats, CONTENT, FRENCH)]
    values = described["values.png"]
    # Borda (8 ballots, 32 points at most): ouverture 4·1 + 4·4 = 20 (62,5 %); first places 4 of 8.
    assert f"Ouverture {t.percent(20 / 32)}" in values.alt
    assert f"Ouverture 4 ({t.percent(0.5)})" in values.alt
    assert "Borda" in values.caption and t.number(8) in values.caption
    personas = described["personas.png"]
    assert f"Malika 7 ({t.percent(7 / 8)})" in personas.alt
    assert f"Carlos {SUPPRESSED}" in personas.alt
    assert SUPPRESSED in personas.caption
    participation = described["participation.png"]
    assert "2 mai 2017" in participation.alt and "9 mai 2017" in participation.alt
    assert f"2 mai 2017, 7 ({t.percent(7 / 8)})" in participation.caption
