"""The HTML report of the figures, for the synthesis team to read on a phone, share or print.

One self-contained page (styles inline, charts as ``data:`` images, no script, nothing
fetched), labelled in the reader's language, escaping every text that comes from the content
or from residents. It reads on a phone 390 pixels wide without scrolling sideways (wide tables
stack their cells, images shrink, long words break) and prints on at most four A4 pages
(compact print styles, three charts side by side, tables and figures never cut across pages).

Every count comes with its share; every chart with an alternative text and a caption saying
what to read in it; sources with the labels staff gave them. Residents' wishes are quoted with
their paradox and the persona chosen, never a pseudonym, and only from a paradox and persona
chosen together by at least :data:`SMALL_GROUP` respondents, like every other figure.

When the themes of the wishes were computed (:mod:`bot.themes.synthesis`), a section gives each
theme's share of the wishes and quotes the most frequent themes' most representative wishes
(:mod:`bot.themes.summary` chooses them, with its small-group rule) instead of the most recent
wishes of each paradox; otherwise it says in one line that they were not computed, and how to
get them.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from html import escape

from sqlalchemy import distinct, func, select

from bot.content import Content
from bot.i18n import Translator
from bot.personas import NO_PERSONA
from bot.places import load_places
from bot.storage import Answer, Database
from bot.synthesis.charts import DPI, SIZE, Chart, figures
from bot.synthesis.export import SMALL_GROUP, ExportFilter, respondent
from bot.synthesis.stats import (
    Stats,
    Table,
    compute,
    duels_table,
    group_labels,
    group_table,
    paradox_names,
    ranking_table,
    reminder_tables,
    represented_tables,
    source_table,
    weighted_table,
)
from bot.themes.codebook import UNCLASSIFIED
from bot.themes.summary import Themes
from bot.themes.synthesis import ThemesOrNot, Unthemed, Why
from bot.themes.tables import group_label, theme_label
from bot.themes.tables import tables as theme_tables

WISHES_PER_PARADOX = 3
WISH_SHOWN = 200
"""A wish is quoted up to this many characters (the export has it all)."""
SOURCES_SHOWN = 8
THEMES_QUOTED = 6
"""The most frequent themes whose most representative wish the report quotes (the workbook
and ``fabrique-bot themes`` give three for every theme)."""
STACKED_FROM = 4
"""Tables of this many columns or more show each row as a block of labelled cells on a phone."""
_NUMBER = re.compile(r"^[=<*\d\s\u00a0\u202f,.%()—–+-]+$")

STYLE = """
@page { size: A4; margin: 11mm 12mm 12mm; }
*, *::before, *::after { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; text-size-adjust: 100%; }
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif;
       color: #222; background: #fff; max-width: 60em; margin: 0 auto; padding: .9em; }
header { border-bottom: 3px solid #0072B2; margin-bottom: .75em; padding-bottom: .25em; }
h1 { font-size: 1.45em; line-height: 1.2; margin: 0 0 .2em; }
h2 { font-size: 1.2em; margin: 1.3em 0 .45em; color: #005a8c; }
h3 { font-size: 1em; margin: .9em 0 .3em; }
h2, h3 { break-after: avoid; page-break-after: avoid; }
p { margin: .3em 0; }
.subtitle { font-size: 1.05em; margin: 0; }
.meta { color: #555; margin: .15em 0; font-size: .9em; }
.key { display: flex; flex-wrap: wrap; gap: .5em; list-style: none; padding: 0; margin: .5em 0; }
.key li { flex: 1 1 10em; min-width: 0; border: 1px solid #cfe0ee; border-radius: 6px;
          padding: .35em .6em; background: #f3f8fc; }
.key strong { display: block; font-size: 1.15em; line-height: 1.25; }
.box { border: 2px solid #0072B2; border-radius: 6px; padding: .4em .8em; margin: .6em 0;
       break-inside: avoid; page-break-inside: avoid; }
.box h3 { margin-top: .2em; }
.box dl { margin: 0; }
.box dt { font-weight: bold; }
.box dd { margin: 0 0 .35em; }
table { border-collapse: collapse; width: 100%; margin: .7em 0 .2em; font-size: .85em;
        break-inside: avoid; page-break-inside: avoid; }
caption { text-align: left; font-weight: bold; font-size: 1.1em; padding-bottom: .3em; }
th, td { border: 1px solid #ccc; padding: .2em .4em; text-align: left; vertical-align: top; }
thead th { background: #eef4f9; font-weight: 600; hyphens: auto; }
tbody th { font-weight: normal; min-width: 11em; }
tbody th, td, blockquote, .note { overflow-wrap: anywhere; }
li { overflow-wrap: break-word; }
table.ranks { table-layout: fixed; }
table.ranks thead th { overflow-wrap: anywhere; font-size: .9em; }
table.ranks thead th:first-child { width: 34%; }
table.ranks thead th:nth-child(2) { width: 13%; }
table.ranks tbody th { min-width: 0; }
table.themes { table-layout: fixed; }
table.themes thead th:first-child { width: 60%; }
table.themes tbody th { min-width: 0; }
td.n { text-align: right; white-space: nowrap; overflow-wrap: normal; font-variant-numeric: tabular-nums; }
.note { color: #555; font-size: .8em; margin: 0 0 .6em; }
.figures { display: grid; grid-template-columns: repeat(auto-fit, minmax(15em, 1fr)); gap: .9em; }
figure { margin: 0; break-inside: avoid; page-break-inside: avoid; }
img { display: block; width: 100%; max-width: 100%; height: auto; }
figcaption { font-size: .8em; color: #444; margin-top: .3em; }
blockquote { margin: .45em 0; padding: .35em .7em; border-left: 4px solid #E69F00;
             background: #fdf7ea; break-inside: avoid; page-break-inside: avoid; }
blockquote p { margin: 0; white-space: pre-line; }
blockquote footer { color: #555; font-size: .8em; margin-top: .2em; }
@media (max-width: 40em) {
  body { padding: .6em; }
  table.stack, table.stack tbody, table.stack tr, table.stack th, table.stack td {
    display: block; width: 100%; }
  table.stack caption { display: block; }
  table.stack thead { position: absolute; width: 1px; height: 1px; overflow: hidden;
                      clip: rect(0 0 0 0); clip-path: inset(50%); white-space: nowrap; }
  table.stack tr { border: 1px solid #ccc; border-radius: 4px; margin-bottom: .45em; }
  table.stack tbody th { background: #eef4f9; font-weight: bold; border: 0; }
  table.stack td { border: 0; border-top: 1px solid #eee; display: flex; justify-content: space-between;
                   gap: .75em; text-align: right; white-space: normal; }
  table.stack td::before { content: attr(data-label); text-align: left; color: #444; }
  table.stack td:empty { display: none; }
}
@media print {
  body { font-size: 8.5pt; line-height: 1.3; max-width: none; padding: 0; }
  header { margin-bottom: 4pt; }
  h1 { font-size: 14pt; }
  h2 { font-size: 11pt; margin: 9pt 0 3pt; }
  h3 { font-size: 9pt; margin: 5pt 0 2pt; }
  .key li { padding: 2pt 5pt; flex: 1 1 auto; }
  .key strong { font-size: 10pt; }
  .box { padding: 3pt 6pt; margin: 4pt 0; }
  .box dl { columns: 2; column-gap: 6mm; }
  .box dd { margin-bottom: 2pt; break-before: avoid; }
  .box dt { break-after: avoid; }
  table { font-size: 7.5pt; margin: 5pt 0 1pt; }
  caption { font-size: 8.5pt; padding-bottom: 2pt; }
  th, td { padding: 1pt 3pt; }
  .note, figcaption, blockquote footer { font-size: 7pt; }
  .note { margin-bottom: 4pt; }
  .figures { grid-template-columns: repeat(3, 1fr); gap: 5mm; }
  .wishes { columns: 2; column-gap: 6mm; }
  table.themes { width: 75%; }
  blockquote { margin: 2pt 0 4pt; padding: 2pt 5pt; background: none; }
  thead th, .key li { background: #f2f2f2; }
}
"""


@dataclass(frozen=True)
class Wish:
    """A resident's wish as the report quotes it: its text and the persona chosen with it."""

    text: str
    persona: str


async def sample_wishes(
    database: Database,
    content: Content,
    per_paradox: int = WISHES_PER_PARADOX,
    where: ExportFilter | None = None,
) -> dict[str, list[Wish]]:
    """The most recent wishes of each paradox, from the personas chosen for it by at least
    :data:`SMALL_GROUP` respondents: a wish is quoted with its paradox and persona, so both
    must be groups that can be shown. Respondents are counted as everywhere
    (:func:`bot.synthesis.export.respondent`)."""
    where = where or ExportFilter()
    respondents = func.count(distinct(respondent()))
    wishes: dict[str, list[Wish]] = {}
    async with database.reading() as session:
        groups = where.apply(select(Answer.paradox_id, Answer.persona_id)).group_by(
            Answer.paradox_id, Answer.persona_id
        )
        large: dict[str, list[str]] = {}
        for paradox_id, persona_id in await session.execute(groups.having(respondents >= SMALL_GROUP)):
            large.setdefault(paradox_id, []).append(persona_id)
        for paradox in content.paradoxes:
            wishes[paradox.id] = []
            if paradox.id not in large:
                continue
            latest = (
                where.apply(select(Answer.wish, Answer.persona_id))
                .where(Answer.paradox_id == paradox.id, Answer.persona_id.in_(large[paradox.id]))
                .order_by(Answer.submitted_at.desc(), Answer.id.desc())
                .limit(per_paradox)
            )
            wishes[paradox.id] = [Wish(wish, persona) for wish, persona in await session.execute(latest)]
    return wishes


def _tag(name: str, text: str, css_class: str = "") -> str:
    """An element holding ``text``, escaped."""
    attribute = f' class="{css_class}"' if css_class else ""
    return f"<{name}{attribute}>{escape(text)}</{name}>"


def _cell(header: str, text: str, *, first: bool) -> str:
    """A row's first cell heads it; the others are labelled by their column, for phones."""
    if first:
        return f'<th scope="row">{escape(text)}</th>'
    number = ' class="n"' if text and _NUMBER.match(text) else ""
    return f'<td data-label="{escape(header)}"{number}>{escape(text)}</td>'


def _table(table: Table, t: Translator, css_class: str = "") -> str:
    """A table with its caption, column headers and note; a row saying so when it is empty.
    A table of :data:`STACKED_FROM` columns or more stacks its cells on a phone."""
    head = "".join(f'<th scope="col">{escape(header)}</th>' for header in table.headers)
    rows = [
        "<tr>"
        + "".join(
            _cell(header, cell, first=index == 0)
            for index, (header, cell) in enumerate(zip(table.headers, row, strict=True))
        )
        + "</tr>"
        for row in table.rows
    ]
    if not rows:
        empty = escape(t._("Aucune donnée à afficher."))
        rows = [f'<tr><td colspan="{max(1, len(table.headers))}">{empty}</td></tr>']
    classes = " ".join(filter(None, ("stack" if len(table.headers) >= STACKED_FROM else "", css_class)))
    parts = [
        f'<table class="{classes}">' if classes else "<table>",
        _tag("caption", table.title),
        f"<thead><tr>{head}</tr></thead>" if head else "",
        "<tbody>",
        *rows,
        "</tbody>",
        "</table>",
        _tag("p", table.note, "note") if table.note else "",
    ]
    return "\n".join(part for part in parts if part)


def _figure(chart: Chart) -> str:
    """A chart as an inline image, described for those who cannot see it, with its caption."""
    data = base64.b64encode(chart.png).decode("ascii")
    width, height = (round(inches * DPI) for inches in SIZE)  # so the page keeps its room while loading
    return (
        f'<figure><img src="data:image/png;base64,{data}" alt="{escape(chart.alt)}" width="{width}" '
        f'height="{height}">{_tag("figcaption", chart.caption)}</figure>'
    )


def _key_figures(stats: Stats, content: Content, t: Translator) -> list[str]:
    """The headline figures as a row of cards."""
    cards = [
        (t.number(stats.respondents), t.ngettext("répondant", "répondants", stats.respondents)),
        (t.number(stats.answers), t.ngettext("réponse confirmée", "réponses confirmées", stats.answers)),
    ]
    if stats.per_day:
        first, last = date.fromisoformat(stats.per_day[0].key), date.fromisoformat(stats.per_day[-1].key)
        cards.append((t.date(first), t._("première réponse")))
        cards.append((t.date(last), t._("dernière réponse")))

    def names(*value_ids: str | None) -> str:
        """The values' names, tied ones as « A = B »; « — » for none."""
        return (
            " = ".join(t.content(value.name) for v in value_ids if (value := content.value(v or ""))) or "—"
        )

    if stats.overall is not None:
        cards.append((names(*stats.overall.borda_ranking[0]), t._("1re valeur (Borda)")))
        cards.append((names(stats.overall.condorcet_winner), t._("gagnant de Condorcet")))
    if stats.weighted is not None:
        cards.append(
            (names(*stats.weighted.ranking.borda_ranking[0]), t._("1re valeur pondérée par territoire"))
        )
    items = "".join(f"<li><strong>{escape(figure)}</strong>{escape(label)}</li>" for figure, label in cards)
    return [_tag("h2", t._("En bref")), f'<ul class="key">{items}</ul>']


def _how_to_read(t: Translator, content: Content) -> str:
    """The box explaining the rankings side by side."""
    terms = [
        (
            t._("Borda"),
            t._(
                "Chaque réponse donne {top} points à la valeur classée 1re, {next} à la 2e… et 0 à la "
                "dernière. Le score est la part du maximum : 100 % si toutes les réponses l’avaient "
                "classée 1re. Il mesure l’adhésion d’ensemble.",
                top=t.number(len(content.values) - 1),
                next=t.number(max(len(content.values) - 2, 0)),
            ),
        ),
        (
            t._("Premières places"),
            t._(
                "Les réponses qui placent la valeur en tête : ce qui compte le plus pour chacun, "
                "sans regarder le reste du classement."
            ),
        ),
        (
            t._("Schulze (Condorcet)"),
            t._(
                "Les valeurs comparées deux à deux : l’une passe devant l’autre si plus de réponses la "
                "préfèrent (voir les duels). Le gagnant de Condorcet bat toutes les autres ; la méthode "
                "de Schulze ordonne les valeurs même quand les préférences tournent en rond."
            ),
        ),
        (
            t._("Pondéré par territoire"),
            t._(
                "Les mêmes calculs, chaque répondant comptant selon le poids de son territoire dans la "
                "population : ce qu’auraient donné des réponses venues de chaque territoire à "
                "proportion de ses habitants."
            ),
        ),
    ]
    items = "".join(f"<dt>{escape(term)}</dt><dd>{escape(text)}</dd>" for term, text in terms)
    closing = t._(
        "Quand les classements concordent, le résultat est solide ; quand ils divergent, les "
        "répondants sont partagés : regardez les duels et les groupes."
    )
    return (
        f'<aside class="box">{_tag("h3", t._("Comment lire les classements"))}<dl>{items}</dl>'
        f"{_tag('p', closing)}</aside>"
    )


def _shorten(text: str, limit: int = WISH_SHOWN) -> str:
    """``text`` cut to ``limit`` characters, between words, with an ellipsis."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    return (cut.rsplit(" ", 1)[0] if " " in cut[limit // 2 :] else cut).rstrip() + " […]"


def _wishes(content: Content, t: Translator, wishes: dict[str, list[Wish]]) -> list[str]:
    """A few wishes under each paradox's title, each with the persona chosen with it."""
    personas = _personas(content, t)
    parts = [
        _tag("h2", t._("Quelques souhaits pour 2030")),
        _tag(
            "p",
            t._(
                "Les souhaits les plus récents, tels que les habitants les ont écrits (les plus longs "
                "sont coupés), avec l’habitant dont ils se sentent le plus proches. Seuls les groupes "
                "d’au moins {n} répondants (même paradoxe, même habitant) sont cités.",
                n=SMALL_GROUP,
            ),
            "meta",
        ),
        '<div class="wishes">',
    ]
    without = []
    for number, paradox in enumerate(content.paradoxes, start=1):
        sample = wishes.get(paradox.id, [])
        if not sample:
            without.append(str(number))
            continue
        parts.append(_tag("h3", f"{number}. {t.content(paradox.title)}"))
        for wish in sample:
            who = t._(
                "Paradoxe {number} · habitant choisi : {persona}",
                number=number,
                persona=personas.get(wish.persona, wish.persona),
            )
            parts.append(f"<blockquote>{_tag('p', _shorten(wish.text))}{_tag('footer', who)}</blockquote>")
    parts.append("</div>")
    if without:
        none = t._(
            "Aucun souhait à montrer pour les paradoxes {numbers} (moins de {n} répondants).",
            numbers=", ".join(without),
            n=SMALL_GROUP,
        )
        parts.append(_tag("p", none, "note"))
    return parts


def _personas(content: Content, t: Translator) -> dict[str, str]:
    return {p.id: t.content(p.name) for p in content.personas} | {NO_PERSONA: t._("Aucun d’entre eux")}


def _themes(content: Content, t: Translator, themes: ThemesOrNot) -> list[str]:
    """The themes of the wishes: each theme's share of the wishes, most frequent first (the
    first table of :func:`bot.themes.tables.tables`), and the most representative wish of the
    :data:`THEMES_QUOTED` most frequent themes, with its paradox and persona; or the line saying
    the themes were not computed and how to get them."""
    parts = [_tag("h2", t._("Les thèmes des souhaits"))]
    if isinstance(themes, Unthemed):
        return [*parts, _tag("p", themes.line(t), "note")]
    shares = theme_tables(themes, content, t)[0]
    ids = (*themes.codebook.ids, UNCLASSIFIED)
    counts = [themes.overall.shares[theme].answers for theme in ids]
    order = sorted(range(len(ids) - 1), key=lambda i: (-counts[i], i))  # « à classer » last
    shown = [i for i in order if counts[i]] + [len(ids) - 1]
    without = [shares.rows[i][0] for i in order if not counts[i]]
    notes = [shares.note]
    if without:
        notes.append(t._("Aucun souhait pour : {themes}.", themes=", ".join(without)))
    notes.append(
        t._(
            "Le détail par paradoxe, par habitant et par territoire, et trois souhaits par thème : "
            "la feuille « {sheet} » du classeur.",
            sheet=t._("Thèmes"),
        )
    )
    table = replace(shares, rows=[shares.rows[i] for i in shown], note=" ".join(notes))
    parts += [
        _tag(
            "p",
            t._(
                "Chaque souhait est lu par la machine et rangé dans au plus deux thèmes du codebook "
                "de l’équipe ; elle laisse « à classer » ceux dont elle n’est pas assez sûre "
                "(confiance sous {threshold}). Les corrections de l’équipe priment.",
                threshold=t.decimal(themes.threshold),
            ),
            "meta",
        ),
        _table(table, t, "themes"),
    ]
    quoted = [
        (theme, quotes[0]) for i in order if counts[i] and (quotes := themes.quotes.get(theme := ids[i]))
    ][:THEMES_QUOTED]
    if not quoted:
        return parts
    parts += [
        _tag("h3", t._("Un souhait représentatif des thèmes les plus fréquents")),
        _tag(
            "p",
            t._(
                "Tels que les habitants les ont écrits (les plus longs sont coupés). Aucun souhait "
                "d’un thème ou d’un paradoxe de moins de {n} répondants n’est cité, et l’habitant "
                "choisi n’est donné que si au moins {n} répondants l’ont choisi pour ce paradoxe.",
                n=SMALL_GROUP,
            ),
            "meta",
        ),
        '<div class="wishes">',
    ]
    numbers = {paradox.id: number for number, paradox in enumerate(content.paradoxes, start=1)}
    places = load_places()
    for theme, quote in quoted:
        paradox = t._("Paradoxe {number}", number=numbers.get(quote.paradox, quote.paradox))
        if quote.persona is not None:
            persona = group_label(t, content, places, "persona", quote.persona)
            paradox = t._(
                "Paradoxe {number} · habitant choisi : {persona}",
                number=numbers.get(quote.paradox, quote.paradox),
                persona=t.content(persona),
            )
        who = f"{theme_label(t, themes, theme)} · {paradox}"
        parts.append(f"<blockquote>{_tag('p', _shorten(quote.text))}{_tag('footer', who)}</blockquote>")
    parts.append("</div>")
    return parts


def render_html(
    stats: Stats,
    content: Content,
    t: Translator,
    charts: Sequence[Chart],
    wishes: dict[str, list[Wish]],
    generated_at: datetime,
    themes: ThemesOrNot | None = None,
) -> str:
    """The report as one HTML5 page, with nothing to fetch and nothing to run. With ``themes``
    computed, their section quotes wishes instead of ``wishes``."""
    name = t.content(content.consultation.name)
    heading = t._("Synthèse de la consultation")
    generated = t._("Généré le {date}", date=t.datetime(generated_at))
    labels = group_labels(t, content)
    values = [
        ranking_table(stats, content, t),
        weighted_table(stats, content, t),
        duels_table(stats, content, t),
    ]
    paradoxes = group_table(
        t._("Réponses et valeurs par paradoxe"),
        t._("Paradoxe"),
        stats.per_paradox,
        paradox_names(t, content),
        stats,
        content,
        t,
    )
    personas = group_table(
        t._("Réponses et valeurs par habitant choisi"),
        t._("Habitant"),
        stats.per_persona,
        labels,
        stats,
        content,
        t,
    )
    body = [
        *_key_figures(stats, content, t),
        _tag("h2", t._("Classement des valeurs")),
        _how_to_read(t, content),
        *(_table(table, t) for table in values if table is not None),
    ]
    if charts:
        body += [
            _tag("h2", t._("Graphiques")),
            '<div class="figures">',
            *(_figure(chart) for chart in charts),
            "</div>",
        ]
    body += [
        _tag("h2", t._("Qui a répondu")),
        *(_table(table, t) for table in represented_tables(stats, content, t)),
        _table(source_table(stats, content, t, limit=SOURCES_SHOWN), t),
        *(_table(table, t) for table in reminder_tables(stats, t)),
        _tag("h2", t._("Les valeurs par paradoxe et par habitant")),
        _table(paradoxes, t, "ranks"),
        _table(personas, t, "ranks"),
    ]
    themes = themes if themes is not None else Unthemed(Why.NOT_ASKED)
    if not isinstance(themes, Themes):
        body += _wishes(content, t, wishes)
    body += _themes(content, t, themes)
    return "\n".join(
        [
            "<!DOCTYPE html>",
            f'<html lang="{escape(t.language)}">',
            "<head>",
            '<meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            _tag("title", f"{heading} — {name}"),
            f"<style>{STYLE}</style>",
            "</head>",
            "<body>",
            "<header>",
            _tag("h1", name),
            _tag("p", heading, "subtitle"),
            _tag("p", f"{t.content(content.consultation.organiser)} · {generated}", "meta"),
            "</header>",
            "<main>",
            *body,
            "</main>",
            "</body>",
            "</html>",
            "",
        ]
    )


@dataclass(frozen=True)
class Report:
    """Everything ``/stats`` and ``fabrique-bot report`` produce from one reading of the answers."""

    stats: Stats
    charts: list[Chart]
    html: str


async def build_report(
    database: Database,
    content: Content,
    t: Translator,
    generated_at: datetime,
    themes: ThemesOrNot | None = None,
    where: ExportFilter | None = None,
) -> Report:
    """Compute the figures, draw the charts, sample the wishes and write the page, of the answers
    ``where`` selects (all by default). ``themes`` are computed by the caller
    (:func:`bot.themes.synthesis.compute_themes`, on the same answers); without them the report
    says they were not asked for."""
    stats = await compute(database, content, where)
    charts = figures(stats, content, t)
    wishes = {} if isinstance(themes, Themes) else await sample_wishes(database, content, where=where)
    return Report(stats, charts, render_html(stats, content, t, charts, wishes, generated_at, themes))
