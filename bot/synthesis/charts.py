"""The headline figures as PNG charts, for staff in the chat and the HTML report.

Drawn headless with matplotlib's object-oriented API on the Agg canvas, never pyplot: each
chart is a figure of its own, so charts can be drawn from any thread. The pictures are
portrait (4:5) with large type, so that each one reads at the width of a phone held upright,
as Telegram shows it, and three fit side by side on a printed page. Labels follow the
reader's language; every number is given with its share; a group of fewer than
:data:`SMALL_GROUP` respondents is drawn as « < 5 » with no bar, never left out in silence.

Each chart comes with an alternative text (what it shows, with its figures, for those who
cannot see it) and a caption (what to read in it): :func:`figures`.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from io import BytesIO
from typing import TYPE_CHECKING

from babel.dates import format_skeleton
from babel.numbers import format_percent

from bot.content import Content
from bot.i18n import Translator
from bot.personas import NO_PERSONA
from bot.synthesis.export import SMALL_GROUP
from bot.synthesis.stats import SUPPRESSED, Breakdown, Stats, borda_score, ranked_values

if TYPE_CHECKING:  # matplotlib is imported when a chart is drawn: exports stay light
    from matplotlib.axes import Axes
    from matplotlib.axis import Axis
    from matplotlib.figure import Figure

SIZE = (4.5, 5.625)
"""Inches: a 4:5 portrait picture, 1080 × 1350 pixels at :data:`DPI`."""
DPI = 240
TITLE = 13.0
"""Points. At 4.5 inches wide, a 10-point label is 1/32 of the picture's width: about 11 CSS
pixels when a phone shows the picture 350 pixels wide."""
LABEL = 10.5
SMALL = 9.5
# Okabe & Ito's palette, distinguishable with every common colour-vision deficiency.
BLUE = "#0072B2"
ORANGE = "#E69F00"
GREEN = "#009E73"
INK = "#333333"
GREY = "#767676"
NAME_WIDTH = 14
"""Characters per line of a bar's name (« Responsabilité / & équilibre »)."""
NOTE_WIDTH = 58
"""Characters per line of a footnote."""
NOTE_LINE = 0.035
"""Share of the figure's height taken by one line of footnote."""
MAX_DAY_TICKS = 4
MAX_LABELLED_DAYS = 14
"""With more days than this, the bars are too thin to carry their numbers."""


@dataclass(frozen=True)
class Chart:
    """A chart as PNG, with its file name, alternative text and caption."""

    name: str
    png: bytes
    alt: str
    """What the picture shows, with its figures: for those who cannot see it."""
    caption: str
    """What to read in it, shown under it in the chat and in the report."""


def _figure() -> Figure:
    """An empty chart of the standard size, on white."""
    from matplotlib.figure import Figure

    figure = Figure(figsize=SIZE, dpi=DPI)
    figure.set_facecolor("white")
    return figure


def _lay_out(figure: Figure, title: str, footnote: str = "") -> Figure:
    """Title the figure and fit its parts together, with room at the bottom for the footnote."""
    figure.suptitle(title, fontsize=TITLE, fontweight="bold", color=INK)
    lines = textwrap.wrap(footnote, NOTE_WIDTH) if footnote else []
    if lines:
        figure.text(
            0.02, 0.012, "\n".join(lines), fontsize=SMALL, color=INK, ha="left", va="bottom", parse_math=False
        )
    figure.tight_layout(rect=(0, NOTE_LINE * len(lines) + (0.01 if lines else 0), 1, 1))
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
    """Only the left and bottom spines, in a soft ink; large tick labels."""
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    axes.tick_params(colors=INK, labelsize=LABEL)


def _counts(axis: Axis, t: Translator) -> None:
    """Whole numbers on the axis, written the reader's way (« 1 200 », "1,200")."""
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    axis.set_major_locator(MaxNLocator(nbins=4, integer=True))
    axis.set_major_formatter(FuncFormatter(lambda x, _position: t.number(round(x))))


def _shares(axes: Axes, t: Translator, longest: float) -> None:
    """A scale of shares from 0 to 100 % at most, with room beyond the longest bar for its label."""
    from matplotlib.ticker import FixedLocator, FuncFormatter

    end = max(longest, 0.01) * 1.9
    axes.set_xlim(0, end)
    axes.xaxis.set_major_locator(FixedLocator([x for x in (0, 0.25, 0.5, 0.75, 1.0) if x <= end]))
    axes.xaxis.set_major_formatter(
        FuncFormatter(lambda x, _position: format_percent(x, format="0 %", locale=t.language))
    )
    axes.spines["bottom"].set_bounds(0, min(end, 1.0))


def _wrapped(name: str) -> str:
    return "\n".join(textwrap.wrap(name, NAME_WIDTH)) or name


def _bars(
    axes: Axes, names: Sequence[str], lengths: Sequence[float | None], labels: Sequence[str], colour: str
) -> None:
    """Horizontal bars, the first at the top, each with its label at its end; a length of None
    draws no bar, only the label (a suppressed group)."""
    positions = list(range(len(names)))
    bars = axes.barh(positions, [length or 0 for length in lengths], color=colour, height=0.7)
    for bar, length, label in zip(bars, lengths, labels, strict=True):
        axes.annotate(
            label,
            (bar.get_width(), bar.get_y() + bar.get_height() / 2),
            xytext=(4, 0),
            textcoords="offset points",
            va="center",
            fontsize=LABEL,
            color=INK if length is not None else GREY,
            fontstyle="normal" if length is not None else "italic",
            parse_math=False,
        )
    axes.set_yticks(positions, labels=[_wrapped(name) for name in names], parse_math=False)
    axes.set_ylim(len(names) - 0.5, -0.5)
    _style(axes)


def _with_share(t: Translator, count: float, total: float) -> str:
    """« 31 (62,0 %) »."""
    return f"{t.number(count)} ({t.percent(count / total if total else 0)})"


def value_figure(stats: Stats, content: Content, t: Translator) -> Figure | None:
    """The overall value ranking, best value at the top: the Borda score above, the first
    places below, each bar labelled with its count and share."""
    overall = stats.overall
    if overall is None:
        return None
    order = ranked_values(content, stats)
    names = [t.content(value.name) if (value := content.value(v)) else v for v in order]
    scores = [borda_score(overall, value) for value in order]
    firsts = [overall.first_places[value] / overall.ballots for value in order]
    figure = _figure()
    top = figure.add_subplot(2, 1, 1)
    bottom = figure.add_subplot(2, 1, 2)
    points = [
        t._("{points} pts ({score})", points=t.number(overall.borda[value]), score=t.percent(score))
        for value, score in zip(order, scores, strict=True)
    ]
    _bars(top, names, scores, points, BLUE)
    _bars(
        bottom,
        names,
        firsts,
        [_with_share(t, overall.first_places[v], overall.ballots) for v in order],
        ORANGE,
    )
    for axes, title in ((top, t._("Score Borda")), (bottom, t._("Part des 1res places"))):
        axes.set_title(title, fontsize=LABEL + 0.5, color=INK, loc="left")
        _shares(axes, t, max(*scores, *firsts))
    footnote = t.ngettext(
        "{n} réponse. Borda : {top} points pour une valeur classée 1re, 0 pour la dernière.",
        "{n} réponses. Borda : {top} points pour une valeur classée 1re, 0 pour la dernière.",
        overall.ballots,
        top=t.number(len(overall.candidates) - 1),
    )
    return _lay_out(figure, t._("Classement des valeurs"), footnote)


def _answers(t: Translator, group: Breakdown, stats: Stats) -> str:
    """A group's answers and their share, or « < 5 »."""
    return SUPPRESSED if group.suppressed else _with_share(t, group.answers, stats.answers)


def _persona_names(content: Content, t: Translator) -> dict[str, str]:
    return {p.id: t.content(p.name) for p in content.personas} | {NO_PERSONA: t._("Aucun d’entre eux")}


def _personas_in_order(stats: Stats) -> list[Breakdown]:
    """The groups shown first, most chosen at the top, then the suppressed ones in their order."""
    shown = sorted((g for g in stats.per_persona if not g.suppressed), key=lambda g: -g.answers)
    return shown + [g for g in stats.per_persona if g.suppressed]


def persona_figure(stats: Stats, content: Content, t: Translator) -> Figure | None:
    """Answers per persona chosen, the most chosen at the top, with their share of the answers;
    the personas of fewer than :data:`SMALL_GROUP` respondents at the bottom, as « < 5 ». None
    only without any answer."""
    if not stats.answers or not stats.per_persona:
        return None
    names = _persona_names(content, t)
    groups = _personas_in_order(stats)
    figure = _figure()
    axes = figure.add_subplot()
    _bars(
        axes,
        [names.get(g.key, g.key) for g in groups],
        [None if g.suppressed else g.answers for g in groups],
        [_answers(t, g, stats) for g in groups],
        GREEN,
    )
    axes.set_xlim(0, max([g.answers for g in groups if not g.suppressed] or [1]) * 1.6)
    _counts(axes.xaxis, t)
    axes.set_xlabel(t._("Réponses"), color=INK, fontsize=LABEL)
    note = ""
    if any(g.suppressed for g in groups):
        note = t._(
            "« {suppressed} » : moins de {n} répondants, chiffre non publié.",
            suppressed=SUPPRESSED,
            n=SMALL_GROUP,
        )
    return _lay_out(figure, t._("Habitants choisis"), note)


def _day(t: Translator, day: date, *, year: bool) -> str:
    """« 9 mai 2017 » / "May 9, 2017", or without the year."""
    return format_skeleton("yMMMd" if year else "MMMd", day, locale=t.language)


def _days_ticks(t: Translator, first: date, span: int) -> tuple[list[int], list[str]]:
    """At most :data:`MAX_DAY_TICKS` ticks; the first one and those where the year changes say
    the year."""
    step = max(1, -(-(span + 1) // MAX_DAY_TICKS))
    positions = list(range(0, span + 1, step))
    labels = []
    previous: int | None = None
    for offset in positions:
        day = first + timedelta(days=offset)
        labels.append(_day(t, day, year=day.year != previous))
        previous = day.year
    return positions, labels


def participation_figure(stats: Stats, t: Translator) -> Figure | None:
    """Answers per day (Paris time) on a dated axis; None if no day can be shown."""
    shown = [g for g in stats.per_day if not g.suppressed]
    if not shown:
        return None
    first = date.fromisoformat(stats.per_day[0].key)
    last = date.fromisoformat(stats.per_day[-1].key)
    span = (last - first).days
    figure = _figure()
    axes = figure.add_subplot()
    offsets = [(date.fromisoformat(g.key) - first).days for g in shown]
    bars = axes.bar(offsets, [g.answers for g in shown], width=0.8, color=BLUE)
    if len(shown) <= MAX_LABELLED_DAYS:
        axes.bar_label(
            bars, labels=[t.number(g.answers) for g in shown], padding=2, fontsize=SMALL, color=INK
        )
    axes.set_xlim(-0.6, span + 0.6)
    positions, labels = _days_ticks(t, first, span)
    axes.set_xticks(positions, labels=labels, rotation=30, ha="right", rotation_mode="anchor")
    axes.margins(y=0.12)
    _counts(axes.yaxis, t)
    axes.set_ylabel(t._("Réponses"), color=INK, fontsize=LABEL)
    _style(axes)
    hidden = len(stats.per_day) - len(shown)
    note = (
        t.ngettext(
            "{n} jour de moins de {small} répondants n’est pas affiché.",
            "{n} jours de moins de {small} répondants ne sont pas affichés.",
            hidden,
            small=SMALL_GROUP,
        )
        if hidden
        else ""
    )
    return _lay_out(figure, t._("Réponses par jour"), note)


def value_chart(stats: Stats, content: Content, t: Translator) -> bytes | None:
    """:func:`value_figure` as PNG."""
    return to_png(value_figure(stats, content, t))


def persona_chart(stats: Stats, content: Content, t: Translator) -> bytes | None:
    """:func:`persona_figure` as PNG."""
    return to_png(persona_figure(stats, content, t))


def participation_chart(stats: Stats, t: Translator) -> bytes | None:
    """:func:`participation_figure` as PNG."""
    return to_png(participation_figure(stats, t))


def _value_texts(stats: Stats, content: Content, t: Translator) -> tuple[str, str]:
    overall = stats.overall
    assert overall is not None
    order = ranked_values(content, stats)
    names = {v.id: t.content(v.name) for v in content.values}
    scores = ", ".join(f"{names.get(v, v)} {t.percent(borda_score(overall, v))}" for v in order)
    firsts = ", ".join(
        f"{names.get(v, v)} {_with_share(t, overall.first_places[v], overall.ballots)}" for v in order
    )
    alt = t._(
        "Diagramme en barres du classement des valeurs. Score Borda : {scores}. Premières places : {firsts}.",
        scores=scores,
        firsts=firsts,
    )
    caption = t._(
        "Classement des valeurs ({n} réponses). Plus la barre est longue, plus la valeur compte. "
        "En haut, le score Borda : la part du maximum de points (100 % si toutes les réponses "
        "l’avaient classée 1re). En bas, la part des réponses qui la classent 1re.",
        n=t.number(overall.ballots),
    )
    return alt, caption


def _persona_texts(stats: Stats, content: Content, t: Translator) -> tuple[str, str]:
    names = _persona_names(content, t)
    groups = ", ".join(
        f"{names.get(g.key, g.key)} {_answers(t, g, stats)}" for g in _personas_in_order(stats)
    )
    alt = t._("Diagramme en barres des habitants choisis, en réponses : {groups}.", groups=groups)
    caption = t._(
        "L’habitant dont les répondants se sentent le plus proches, du plus au moins choisi : "
        "nombre de réponses et part des {n} réponses. « {suppressed} » : moins de {small} "
        "répondants, chiffre non publié.",
        n=t.number(stats.answers),
        suppressed=SUPPRESSED,
        small=SMALL_GROUP,
    )
    return alt, caption


def _participation_texts(stats: Stats, t: Translator) -> tuple[str, str]:
    first = date.fromisoformat(stats.per_day[0].key)
    last = date.fromisoformat(stats.per_day[-1].key)
    shown = [g for g in stats.per_day if not g.suppressed]
    peak = max(shown, key=lambda g: g.answers)
    alt = t._(
        "Diagramme en barres des réponses par jour, du {first} au {last}.",
        first=t.date(first),
        last=t.date(last),
    )
    caption = t._(
        "Réponses confirmées chaque jour, du {first} au {last} : {n} réponses. Jour le plus "
        "actif : {peak}, {count}.",
        first=t.date(first),
        last=t.date(last),
        n=t.number(stats.answers),
        peak=t.date(date.fromisoformat(peak.key)),
        count=_with_share(t, peak.answers, stats.answers),
    )
    return alt, caption


def figures(stats: Stats, content: Content, t: Translator) -> list[Chart]:
    """The charts there is something to draw for, described: the values (from
    :data:`SMALL_GROUP` respondents), the personas (from one answer, small groups as « < 5 »),
    the participation (from one day of :data:`SMALL_GROUP` respondents)."""
    drawn: list[Chart] = []
    if (image := value_chart(stats, content, t)) is not None:
        drawn.append(Chart("values.png", image, *_value_texts(stats, content, t)))
    if (image := persona_chart(stats, content, t)) is not None:
        drawn.append(Chart("personas.png", image, *_persona_texts(stats, content, t)))
    if (image := participation_chart(stats, t)) is not None:
        drawn.append(Chart("participation.png", image, *_participation_texts(stats, t)))
    return drawn


def charts(stats: Stats, content: Content, t: Translator) -> list[tuple[str, bytes]]:
    """The charts of :func:`figures` as (file name, PNG)."""
    return [(chart.name, chart.png) for chart in figures(stats, content, t)]
