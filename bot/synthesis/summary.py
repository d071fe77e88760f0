"""The headline figures in one short message that fits a phone, for ``/stats`` in the chat.

No table: a few short lines (at most :data:`WIDTH` characters each, as Telegram shows them,
so that nothing is cut off or wrapped at odd places on a phone held upright) — participation,
the first values by Borda, the Condorcet winner, the first value weighted by territory, and the
groups least represented next to the population. The charts and the full report follow it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from html import escape

from bot.content import Content
from bot.dialogs.question import Question
from bot.dialogs.questions import QUESTIONS
from bot.i18n import Translator
from bot.places import Places
from bot.synthesis.export import SMALL_GROUP
from bot.synthesis.representativeness import Row
from bot.synthesis.stats import Stats, group_labels

WIDTH = 32
"""Characters per line (UTF-16 code units, as Telegram counts them): what a phone shows on one
line of a message at the default text size."""
TOP_VALUES = 3


def width(text: str) -> int:
    """The width of a line as Telegram counts it (an emoji counts two)."""
    return len(text.encode("utf-16-le")) // 2


def wrap(text: str, limit: int = WIDTH, indent: str = "") -> list[str]:
    """``text`` in lines of at most ``limit``, cut between words (a word too long is cut
    itself); lines after the first start with ``indent``. Only plain spaces separate words, so
    a number or a percentage (with no-break spaces) stays whole."""
    lines: list[str] = []
    current = ""
    for word in text.split(" "):
        if not word:
            continue
        candidate = f"{current} {word}" if current else (indent if lines else "") + word
        if width(candidate) <= limit:
            current = candidate
            continue
        if current:
            lines.append(current)
        current = (indent if lines else "") + word
        while width(current) > limit:
            cut = _fitting(current, limit)
            lines.append(current[:cut])
            current = indent + current[cut:]
    if current:
        lines.append(current)
    return lines


def _fitting(text: str, limit: int) -> int:
    """The longest prefix of ``text`` within ``limit``, as a length in characters."""
    cut = 0
    while cut < len(text) and width(text[: cut + 1]) <= limit:
        cut += 1
    return max(cut, 1)


class _Message:
    """Lines of HTML, each at most :data:`WIDTH` characters once shown."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def heading(self, text: str) -> None:
        if self.lines:
            self.lines.append("")
        self.lines.extend(f"<b>{escape(line, quote=False)}</b>" for line in wrap(text))

    def line(self, text: str, indent: str = "") -> None:
        self.lines.extend(escape(line, quote=False) for line in wrap(text, indent=indent))

    def text(self) -> str:
        return "\n".join(self.lines)


def summary(
    stats: Stats,
    content: Content,
    t: Translator,
    generated_at: datetime,
    questions: Sequence[Question] = QUESTIONS,
    places: Places | None = None,
) -> str:
    """The ``/stats`` message, as Telegram HTML."""
    message = _Message()
    message.heading("📊 " + t._("Chiffres de la consultation"))
    message.line(t._("au {date}", date=t.datetime(generated_at)))

    message.heading(t._("Participation"))
    message.line(t.ngettext("{n} répondant", "{n} répondants", stats.respondents))
    message.line(t.ngettext("{n} réponse confirmée", "{n} réponses confirmées", stats.answers))
    if stats.per_day:
        first, last = date.fromisoformat(stats.per_day[0].key), date.fromisoformat(stats.per_day[-1].key)
        if first == last:
            message.line(t._("le {day}", day=t.date(first)))
        else:
            message.line(t._("du {first}", first=t.date(first)))
            message.line(t._("au {last}", last=t.date(last)))
    _reminders(message, stats, t)

    message.heading(t._("Valeurs (méthode Borda)"))
    overall = stats.overall
    if overall is None:
        message.line(t._("Moins de {n} répondants : pas encore de classement.", n=SMALL_GROUP))
    else:
        for place, value in _first(content, t, overall.borda_ranking, TOP_VALUES):
            message.line(f"{place}. {value}", indent="   ")
        winner = content.value(overall.condorcet_winner or "")
        message.line(t._("Gagnant de Condorcet :"))
        message.line(t.content(winner.name) if winner else t._("aucun"), indent="  ")
        if stats.weighted is not None:
            message.line(t._("Pondéré par territoire :"))
            for place, value in _first(content, t, stats.weighted.ranking.borda_ranking, 1):
                message.line(f"{place}. {value}", indent="   ")

    least = _least_represented(stats, content, t, questions, places)
    if least:
        message.heading(t._("Les moins représentés"))
        for label, row in least:
            message.line(("⚠ " if row.under_represented else "") + label, indent="  ")
            message.line(
                t._("{share} des répondants,", share=t.percent(row.sample_share or 0.0)), indent="  "
            )
            message.line(t._("{share} de la population", share=t.percent(row.population_share)), indent="  ")

    message.heading(t._("À suivre"))
    message.line(t._("Les graphiques, puis le rapport complet à ouvrir ou imprimer."))
    return message.text()


def _reminders(message: _Message, stats: Stats, t: Translator) -> None:
    """The residents reminded of an unfinished answer and what they did, once there are some."""
    outcomes = stats.reminders
    if not outcomes.reminded:
        return
    message.heading(t._("Rappels"))
    message.line(t.ngettext("{n} habitant rappelé", "{n} habitants rappelés", outcomes.reminded))
    message.line(t.ngettext("{n} a repris sa réponse", "{n} ont repris leur réponse", outcomes.resumed))
    message.line(t.ngettext("{n} l’a confirmée", "{n} l’ont confirmée", outcomes.completed))


def _first(
    content: Content, t: Translator, ranking: list[tuple[str, ...]], places: int
) -> list[tuple[str, str]]:
    """The values of the first ``places`` places, each with its place (« =2 » for a tie)."""
    shown: list[tuple[str, str]] = []
    place = 1
    for tier in ranking:
        if place > places:
            break
        for value_id in tier:
            value = content.value(value_id)
            shown.append(
                (f"={place}" if len(tier) > 1 else str(place), t.content(value.name) if value else value_id)
            )
        place += len(tier)
    return shown


def _least_represented(
    stats: Stats,
    content: Content,
    t: Translator,
    questions: Sequence[Question],
    places: Places | None,
) -> list[tuple[str, Row]]:
    """For each breakdown compared with the population, its group of lowest ratio, if below 1."""
    labels = group_labels(t, content, questions, places)
    least = []
    for question in questions:
        for breakdown in question.breakdowns:
            table = stats.represented.get(breakdown.id)
            if table is None:
                continue
            known = [row for row in table.rows if row.ratio is not None]
            if not known:
                continue
            lowest = min(known, key=lambda row: row.ratio or 0.0)
            if (lowest.ratio or 0.0) < 1:
                least.append((labels.get(lowest.group, lowest.group), lowest))
    return least
