"""A one-page HTML report of the figures, for the synthesis team to read, share or print.

The page is self-contained (styles inline, charts as ``data:`` images, no script, nothing
fetched), labelled in the reader's language, and escapes every text that comes from the
content or from residents. Residents' wishes are sampled only for paradoxes answered by at
least :data:`SMALL_GROUP` respondents, like every other figure.
"""

from __future__ import annotations

import base64
from datetime import datetime
from html import escape

from sqlalchemy import distinct, func, select

from bot.content import Content
from bot.i18n import N_, Translator
from bot.storage import Answer, Database
from bot.synthesis.export import SMALL_GROUP, respondent
from bot.synthesis.stats import Stats, Table, tables

CHART_DESCRIPTIONS = {
    "values.png": N_("Diagramme en barres : points Borda et nombre de premières places de chaque valeur."),
    "personas.png": N_("Diagramme en barres : nombre de réponses par habitant choisi."),
    "participation.png": N_("Diagramme en barres : nombre de réponses par jour."),
}
"""Alternative texts of the charts of :func:`bot.synthesis.charts.charts`, by file name."""

STYLE = """
@page { size: A4; margin: 15mm; }
:root { color: #222; background: #fff; }
body { font: 11pt/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif;
       max-width: 60rem; margin: 0 auto; padding: 1.5rem; }
header { border-bottom: 3px solid #0072B2; margin-bottom: 1.5rem; }
h1 { font-size: 1.7rem; margin: 0 0 .25rem; }
h2 { font-size: 1.3rem; margin: 2rem 0 .75rem; color: #0072B2; }
h3 { font-size: 1.05rem; margin: 1.25rem 0 .5rem; }
h2, h3 { break-after: avoid; page-break-after: avoid; }
.subtitle { font-size: 1.15rem; margin: 0; }
.meta { color: #555; margin: .25rem 0 .75rem; }
table { border-collapse: collapse; width: 100%; margin: 1.25rem 0 .25rem; font-size: 9.5pt;
        break-inside: avoid; page-break-inside: avoid; }
caption { text-align: left; font-weight: bold; font-size: 1rem; padding-bottom: .4rem; }
th, td { border: 1px solid #ccc; padding: .3rem .5rem; text-align: left; vertical-align: top; }
th { background: #eef4f9; }
td { font-variant-numeric: tabular-nums; }
.note { color: #555; font-size: 9pt; margin: 0 0 1rem; }
figure { margin: 1.25rem 0; break-inside: avoid; page-break-inside: avoid; }
img { display: block; max-width: 100%; height: auto; }
blockquote { margin: .5rem 0; padding: .4rem .8rem; border-left: 4px solid #E69F00;
             background: #fdf7ea; white-space: pre-line; break-inside: avoid; page-break-inside: avoid; }
@media print {
  body { max-width: none; padding: 0; font-size: 10pt; }
  th { background: #eee; }
  blockquote { background: none; }
}
"""


async def sample_wishes(database: Database, content: Content, per_paradox: int = 5) -> dict[str, list[str]]:
    """The most recent wishes of each paradox, none for a paradox of too few respondents.

    Respondents are counted as everywhere (:func:`bot.synthesis.export.respondent`).
    """
    respondents = func.count(distinct(respondent()))
    wishes: dict[str, list[str]] = {}
    async with database.session() as session:
        sizes = dict(
            (await session.execute(select(Answer.paradox_id, respondents).group_by(Answer.paradox_id))).all()
        )
        for paradox in content.paradoxes:
            wishes[paradox.id] = []
            if sizes.get(paradox.id, 0) < SMALL_GROUP:
                continue
            latest = (
                select(Answer.wish)
                .where(Answer.paradox_id == paradox.id)
                .order_by(Answer.submitted_at.desc(), Answer.id.desc())
                .limit(per_paradox)
            )
            wishes[paradox.id] = list((await session.scalars(latest)).all())
    return wishes


def _tag(name: str, text: str, css_class: str = "") -> str:
    """An element holding ``text``, escaped."""
    attribute = f' class="{css_class}"' if css_class else ""
    return f"<{name}{attribute}>{escape(text)}</{name}>"


def _table(table: Table, t: Translator) -> str:
    """A table with its caption, column headers and note; a row saying so when it is empty."""
    head = "".join(f'<th scope="col">{escape(header)}</th>' for header in table.headers)
    rows = ["<tr>" + "".join(_tag("td", cell) for cell in row) + "</tr>" for row in table.rows]
    if not rows:
        empty = escape(t._("Aucune donnée à afficher."))
        rows = [f'<tr><td colspan="{max(1, len(table.headers))}">{empty}</td></tr>']
    parts = [
        "<table>",
        _tag("caption", table.title),
        f"<thead><tr>{head}</tr></thead>" if head else "",
        "<tbody>",
        *rows,
        "</tbody>",
        "</table>",
        _tag("p", table.note, "note") if table.note else "",
    ]
    return "\n".join(part for part in parts if part)


def _chart(name: str, png: bytes, t: Translator) -> str:
    """A chart as an inline image, described for those who cannot see it."""
    description = t._(CHART_DESCRIPTIONS[name]) if name in CHART_DESCRIPTIONS else name
    data = base64.b64encode(png).decode("ascii")
    return f'<figure><img src="data:image/png;base64,{data}" alt="{escape(description)}"></figure>'


def _wishes(content: Content, t: Translator, wishes: dict[str, list[str]]) -> list[str]:
    """The sample of wishes under each paradox's title, or why there is none."""
    parts = [
        _tag("h2", t._("Quelques souhaits pour 2030")),
        _tag("p", t._("Les souhaits les plus récents, tels que les habitants les ont écrits."), "meta"),
    ]
    for number, paradox in enumerate(content.paradoxes, start=1):
        parts.append(_tag("h3", f"{number}. {t.content(paradox.title)}"))
        sample = wishes.get(paradox.id, [])
        if sample:
            parts.extend(_tag("blockquote", wish) for wish in sample)
        else:
            none = t._("Aucun souhait à montrer (moins de {n} répondants).", n=SMALL_GROUP)
            parts.append(_tag("p", none, "note"))
    return parts


def render_html(
    stats: Stats,
    content: Content,
    t: Translator,
    charts: list[tuple[str, bytes]],
    wishes: dict[str, list[str]],
    generated_at: datetime,
) -> str:
    """The report as one HTML5 page, with nothing to fetch and nothing to run."""
    name = t.content(content.consultation.name)
    heading = t._("Synthèse de la consultation")
    generated = t._("Généré le {date}", date=t.datetime(generated_at))
    figures = [_tag("h2", t._("Graphiques")), *(_chart(chart, png, t) for chart, png in charts)]
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
            _tag("h2", t._("Les chiffres")),
            *(_table(table, t) for table in tables(stats, content, t)),
            *(figures if charts else []),
            *_wishes(content, t, wishes),
            "</main>",
            "</body>",
            "</html>",
            "",
        ]
    )
