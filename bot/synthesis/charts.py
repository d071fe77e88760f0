"""The headline figures as PNG charts, for staff in the chat and the HTML report.

Drawn headless with matplotlib's object-oriented API on the Agg canvas, never pyplot: each
chart is a figure of its own, so charts can be drawn from any thread. Labels follow the
reader's language; groups of fewer than :data:`SMALL_GROUP` respondents are left out, and a
footnote says so.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date, timedelta
from io import BytesIO
from typing import TYPE_CHECKING

from babel.dates import format_skeleton

from bot.content import Content
from bot.i18n import Translator
from bot.personas import NO_PERSONA
from bot.synthesis.export import SMALL_GROUP
from bot.synthesis.stats import Breakdown, Stats

if TYPE_CHECKING:  # matplotlib is imported when a chart is drawn: exports stay light
    from matplotlib.axes import Axes
    from matplotlib.axis import Axis
    from matplotlib.figure import Figure

SIZE = (8.0, 4.5)
"""Inches: a 16:9 picture that stays legible on a phone."""
DPI = 150
# Okabe & Ito's palette, distinguishable with every common colour-vision deficiency.
BLUE = "#0072B2"
ORANGE = "#E69F00"
GREEN = "#009E73"
INK = "#333333"
FOOTNOTE_HEIGHT = 0.07
"""Share of the figure's height kept at the bottom for a footnote."""
MAX_DAY_TICKS = 8
MAX_LABELLED_DAYS = 31
"""With more days than this, the bars are too thin to carry their numbers."""


def _figure() -> Figure:
    """An empty chart of the standard size, on white."""
    from matplotlib.figure import Figure

    figure = Figure(figsize=SIZE, dpi=DPI)
    figure.set_facecolor("white")
    return figure


def _lay_out(figure: Figure, footnote: str = "") -> Figure:
    """Fit the figure's parts together, with room at the bottom for the footnote, if any."""
    if footnote:
        figure.text(0.01, 0.015, footnote, fontsize=8, color=INK, ha="left", va="bottom", parse_math=False)
    figure.tight_layout(rect=(0, FOOTNOTE_HEIGHT if footnote else 0, 1, 1))
    return figure


def to_png(figure: Figure | None) -> bytes | None:
    """The figure as PNG bytes, drawn on an Agg canvas of its own; None for no figure."""
    if figure is None:
        return None
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    buffer = BytesIO()
    FigureCanvasAgg(figure).print_figure(buffer, format="png", dpi=DPI)
    return buffer.getvalue()


def _style(axes: Axes) -> None:
    """Only the left and bottom spines, in a soft ink."""
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    axes.tick_params(colors=INK)


def _counts(axis: Axis, t: Translator) -> None:
    """Whole numbers on the axis, written the reader's way (« 1 200 », "1,200")."""
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    axis.set_major_locator(MaxNLocator(nbins=6, integer=True))
    axis.set_major_formatter(FuncFormatter(lambda x, _position: t.number(round(x))))


def _bars(axes: Axes, names: Sequence[str], counts: Sequence[int], colour: str, t: Translator) -> None:
    """Horizontal bars, the first at the top, each with its number at its end."""
    positions = range(len(names))
    bars = axes.barh(positions, counts, color=colour)
    axes.bar_label(bars, labels=[t.number(n) for n in counts], padding=3, fontsize=9, color=INK)
    axes.set_yticks(positions, labels=names, parse_math=False)
    axes.set_ylim(len(names) - 0.5, -0.5)
    axes.margins(x=0.12)
    _counts(axes.xaxis, t)
    _style(axes)


def _suppression_note(groups: Sequence[Breakdown], t: Translator) -> str:
    """The footnote saying that small groups are left out, if any is."""
    if any(group.suppressed for group in groups):
        return t._("Groupes de moins de {n} répondants non affichés.", n=SMALL_GROUP)
    return ""


def value_figure(stats: Stats, content: Content, t: Translator) -> Figure | None:
    """The overall value ranking: Borda points and first places, best value at the top."""
    overall = stats.overall
    if overall is None:
        return None
    names = {value.id: t.content(value.name) for value in content.values}
    order = [value for tier in overall.borda_ranking for value in tier]
    labels = [names.get(value, value) for value in order]
    figure = _figure()
    points = figure.add_subplot(1, 2, 1)
    firsts = figure.add_subplot(1, 2, 2, sharey=points)
    _bars(points, labels, [overall.borda[value] for value in order], BLUE, t)
    _bars(firsts, labels, [overall.first_places[value] for value in order], ORANGE, t)
    firsts.tick_params(axis="y", labelleft=False)
    points.set_title(t._("Points Borda"), color=INK)
    firsts.set_title(t._("1res places"), color=INK)
    figure.suptitle(t._("Classement des valeurs, ensemble des réponses"), fontweight="bold")
    footnote = t._(
        "{n} réponses. Borda : {top} points pour une valeur classée 1re, 0 pour la dernière.",
        n=t.number(overall.ballots),
        top=t.number(len(overall.candidates) - 1),
    )
    return _lay_out(figure, footnote)


def persona_figure(stats: Stats, content: Content, t: Translator) -> Figure | None:
    """Answers per persona chosen, the most chosen at the top; None if no group can be shown."""
    shown = sorted((g for g in stats.per_persona if not g.suppressed), key=lambda g: -g.answers)
    if not shown:
        return None
    names = {p.id: t.content(p.name) for p in content.personas} | {NO_PERSONA: t._("Aucun d’entre eux")}
    figure = _figure()
    axes = figure.add_subplot()
    _bars(axes, [names.get(g.key, g.key) for g in shown], [g.answers for g in shown], GREEN, t)
    axes.set_title(t._("Habitants choisis"), fontweight="bold")
    axes.set_xlabel(t._("Réponses"), color=INK)
    return _lay_out(figure, _suppression_note(stats.per_persona, t))


def participation_figure(stats: Stats, t: Translator) -> Figure | None:
    """Answers per day (Paris time) on a time axis; None if no day can be shown."""
    shown = [g for g in stats.per_day if not g.suppressed]
    if not shown:
        return None
    first = date.fromisoformat(stats.per_day[0].key)
    last = date.fromisoformat(stats.per_day[-1].key)
    span = (last - first).days

    def day(x: float, _position: int | None = None) -> str:
        """A tick's day, e.g. « 20 avr. » or « Apr 20 »."""
        return format_skeleton("MMMd", first + timedelta(days=round(x)), locale=t.language)

    from matplotlib.ticker import FuncFormatter, MultipleLocator

    figure = _figure()
    axes = figure.add_subplot()
    offsets = [(date.fromisoformat(g.key) - first).days for g in shown]
    bars = axes.bar(offsets, [g.answers for g in shown], width=0.8, color=BLUE)
    if len(shown) <= MAX_LABELLED_DAYS:
        axes.bar_label(bars, labels=[t.number(g.answers) for g in shown], padding=2, fontsize=8, color=INK)
    axes.set_xlim(-0.6, span + 0.6)
    axes.xaxis.set_major_locator(MultipleLocator(math.ceil((span + 1) / MAX_DAY_TICKS)))
    axes.xaxis.set_major_formatter(FuncFormatter(day))
    _counts(axes.yaxis, t)
    axes.set_title(t._("Réponses par jour"), fontweight="bold")
    axes.set_ylabel(t._("Réponses"), color=INK)
    _style(axes)
    return _lay_out(figure, _suppression_note(stats.per_day, t))


def value_chart(stats: Stats, content: Content, t: Translator) -> bytes | None:
    """:func:`value_figure` as PNG."""
    return to_png(value_figure(stats, content, t))


def persona_chart(stats: Stats, content: Content, t: Translator) -> bytes | None:
    """:func:`persona_figure` as PNG."""
    return to_png(persona_figure(stats, content, t))


def participation_chart(stats: Stats, t: Translator) -> bytes | None:
    """:func:`participation_figure` as PNG."""
    return to_png(participation_figure(stats, t))


def charts(stats: Stats, content: Content, t: Translator) -> list[tuple[str, bytes]]:
    """The charts there is something to draw for, with their file names."""
    drawn = (
        ("values.png", value_chart(stats, content, t)),
        ("personas.png", persona_chart(stats, content, t)),
        ("participation.png", participation_chart(stats, t)),
    )
    return [(name, image) for name, image in drawn if image is not None]
