"""The HTML report: one self-contained page of figures, charts and wishes, safe to open anywhere."""

from __future__ import annotations

import base64
import re
from datetime import UTC, datetime
from html import escape, unescape
from html.parser import HTMLParser

from bot.content import Content, load_content
from bot.i18n import I18n, Translator
from bot.storage import Database
from bot.synthesis.charts import figures
from bot.synthesis.export import SMALL_GROUP
from bot.synthesis.report import Wish, build_report, render_html, sample_wishes
from bot.synthesis.stats import SUPPRESSED, compute
from tests.synthesis.conftest import Given, write
from tests.words import words

CONTENT = load_content()
ORDER = "fraternite,innovation,authenticite,ouverture,responsabilite"
GENERATED = datetime(2017, 4, 20, 10, 0, tzinfo=UTC)  # 12:00 in Paris (summer time)
VOID = {"meta", "img", "br", "hr", "link", "input", "source", "wbr"}
SCRIPT = "<script>alert(1)</script>"
FRENCH = words("fr")


class Page(HTMLParser):
    """Reads a page, checking that every element is closed in order; keeps tags, attributes and
    the text of each caption, figure caption and blockquote."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.open: list[str] = []
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.texts: dict[str, list[str]] = {}
        self.feed(html)
        self.close()
        assert self.open == [], f"never closed: {self.open}"

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag not in VOID:
            self.open.append(tag)
            self.texts.setdefault(tag, []).append("")

    def handle_endtag(self, tag: str) -> None:
        assert self.open and self.open[-1] == tag, f"</{tag}> closes {self.open[-1:]}"
        self.open.pop()

    def handle_data(self, data: str) -> None:
        for tag in self.open:
            self.texts[tag][-1] += data

    def all(self, tag: str) -> list[dict[str, str | None]]:
        return [attrs for name, attrs in self.tags if name == tag]

    def text(self, tag: str) -> list[str]:
        """The text of every ``tag`` element, in order."""
        return self.texts.get(tag, [])


async def answer(
    database: Database, paradox: str, wishes: list[str], anonymous: int = 0, persona: str = "malika"
) -> None:
    """One answer per wish, in that order; the last ``anonymous`` ones by forgotten residents."""
    forgotten = len(wishes) - anonymous
    await write(
        database,
        *(
            Given(paradox=paradox, wish=wish, persona=persona, anonymous=i >= forgotten)
            for i, wish in enumerate(wishes)
        ),
    )


async def report(database: Database, t: Translator, content: Content = CONTENT) -> str:
    return (await build_report(database, content, t, GENERATED)).html


async def test_wishes_are_sampled_newest_first_only_where_paradox_and_persona_have_five_respondents(
    database: Database,
) -> None:
    await answer(database, "p1", [f"p1 souhait {i}" for i in range(6)], anonymous=2)
    # Three later answers to p1 by Carlos's group: p1 has nine respondents, but only three chose
    # Carlos, so quoting them « Carlos, paradox 1 » would point at one of three people.
    await answer(database, "p1", [f"p1 Carlos {i}" for i in range(3)], persona="carlos")
    # Four respondents, two of them forgotten: each anonymous answer is a respondent of its own.
    await answer(database, "p2", [f"p2 souhait {i}" for i in range(SMALL_GROUP - 1)], anonymous=2)

    wishes = await sample_wishes(database, CONTENT, per_paradox=3)

    assert wishes["p1"] == [Wish(f"p1 souhait {i}", "malika") for i in (5, 4, 3)]
    assert wishes["p2"] == []
    assert set(wishes) == {paradox.id for paradox in CONTENT.paradoxes}
    assert all(wishes[paradox.id] == [] for paradox in CONTENT.paradoxes[2:])


async def test_the_report_is_one_self_contained_page_with_the_figures_and_how_to_read_them(
    database: Database,
) -> None:
    await answer(database, "p1", [f"Souhait {i}" for i in range(SMALL_GROUP + 1)])
    t = FRENCH

    html = await report(database, I18n("fr")("fr"))

    page = Page(html)
    assert html.startswith("<!DOCTYPE html>")
    assert page.all("html") == [{"lang": "fr"}]
    assert {"charset": "utf-8"} in page.all("meta")
    assert {"name": "viewport", "content": "width=device-width, initial-scale=1"} in page.all("meta")
    assert len(page.all("style")) == 1
    assert f"<h1>{escape(t.content(CONTENT.consultation.name))}</h1>" in html
    assert t._("Généré le {date}", date="20 avril 2017 à 12:00") in unescape(html)
    captions = page.text("caption")
    for title in (
        "Classement des valeurs, ensemble des réponses",
        "Classement des valeurs, brut et pondéré par territoire",
        "Duels entre valeurs",
        "Répondants par territoire",
        "Répondants par âge",
        "Réponses par source",
        "Réponses et valeurs par paradoxe",
        "Réponses et valeurs par habitant choisi",
    ):
        assert t._(title) in captions
    box = page.text("aside")
    assert len(box) == 1
    for term in ("Borda", "Premières places", "Schulze (Condorcet)", "Pondéré par territoire"):
        assert t._(term) in box[0]
    cards = page.text("li")
    assert f"{t.number(6)}{t.ngettext('répondant', 'répondants', 6)}" in cards
    assert f"{t.content('Fraternité & solidarité')}{t._('gagnant de Condorcet')}" in cards


async def test_every_count_in_the_report_comes_with_its_share(database: Database) -> None:
    await answer(database, "p1", [f"Souhait {i}" for i in range(6)])
    await answer(database, "p2", [f"Souhait {i}" for i in range(2)], persona="carlos")
    t = FRENCH

    page = Page(await report(database, I18n("fr")("fr")))

    cells = page.text("td")
    assert f"6 ({t.percent(6 / 8)})" in cells, "paradox 1 and Malika: 6 of 8 answers"
    assert f"{t.number(6)} ({t.percent(6 / 8)})" in cells
    assert t.percent(6 / 8) in cells, "the source table's share"
    rows = page.text("tr")
    carlos = next(row for row in rows if row.startswith("Carlos"))
    assert SUPPRESSED in carlos and "2" not in carlos, "the size of a small group is never shown"
    # The first places: 8 ballots, all fraternité first.
    assert t.percent(1.0) in cells


async def test_the_charts_are_embedded_with_a_text_alternative_and_a_caption(database: Database) -> None:
    await answer(database, "p1", [f"Souhait {i}" for i in range(SMALL_GROUP)])
    t = I18n("fr")("en")
    stats = await compute(database, CONTENT)
    drawn = figures(stats, CONTENT, t)

    page = Page(render_html(stats, CONTENT, t, drawn, {}, GENERATED))

    images = page.all("img")
    assert len(images) == len(drawn) == 3
    for chart, image in zip(drawn, images, strict=True):
        source = image["src"] or ""
        assert source.startswith("data:image/png;base64,")
        assert base64.b64decode(source.removeprefix("data:image/png;base64,")) == chart.png
        assert image["alt"] == chart.alt
    assert page.text("figcaption") == [chart.caption for chart in drawn]


async def test_the_personas_chart_is_there_even_when_every_persona_is_a_small_group(
    database: Database,
) -> None:
    await write(database, *(Given(persona=p) for p in ("malika", "carlos", "sarah", "alain", "hugo")))

    html = await report(database, I18n("fr")("fr"))

    page = Page(html)
    alts = [image["alt"] or "" for image in page.all("img")]
    personas = next(alt for alt in alts if "Malika" in alt)
    assert f"Malika {SUPPRESSED}" in personas and f"Carlos {SUPPRESSED}" in personas


async def test_nothing_is_fetched_and_nothing_runs(database: Database) -> None:
    await answer(database, "p1", [*[f"Souhait {i}" for i in range(SMALL_GROUP)], SCRIPT])

    html = await report(database, I18n("fr")("fr"))

    page = Page(html)
    assert "&lt;script&gt;" in html
    assert "<script" not in html.lower()
    assert "http://" not in html and "https://" not in html
    assert all(
        (attrs.get(name) or "").startswith("data:")
        for _, attrs in page.tags
        for name in ("src", "href")
        if name in attrs
    )


async def test_wishes_and_content_are_shown_as_text(database: Database) -> None:
    await answer(database, "p1", [*["Un souhait."] * 3, "Moins de voitures & plus d’arbres", SCRIPT])
    consultation = CONTENT.consultation.model_copy(update={"name": "La <b>Fabrique</b>"})
    content = CONTENT.model_copy(update={"consultation": consultation})

    html = await report(database, I18n("fr")("fr"), content)

    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "Moins de voitures &amp; plus d’arbres" in html
    assert "La &lt;b&gt;Fabrique&lt;/b&gt;" in html
    assert "<b>" not in html


async def test_wishes_are_quoted_with_their_paradox_and_persona_never_a_pseudonym(database: Database) -> None:
    await answer(database, "p1", [f"Souhait {i}" for i in range(SMALL_GROUP)])
    await answer(database, "p1", [f"Sans habitant {i}" for i in range(SMALL_GROUP)], persona="none")
    english = words("en")

    html = await report(database, I18n("fr")("en"))

    paradox = CONTENT.paradoxes[0]
    heading = f"<h3>1. {escape(english.content(paradox.title))}</h3>"
    assert heading in html
    # Both groups answered at the same minutes: the most recent are the last written at each.
    assert html.index(heading) < html.index("Sans habitant 4") < html.index("Souhait 4")
    quotes = Page(html).text("blockquote")
    assert len(quotes) == 3, "the three most recent"
    by = english._(
        "Paradoxe {number} · habitant choisi : {persona}", number=1, persona=english._("Aucun d’entre eux")
    )
    assert quotes[0] == "Sans habitant 4" + by
    assert quotes[1] == "Souhait 4" + english._(
        "Paradoxe {number} · habitant choisi : {persona}", number=1, persona="Malika"
    )
    assert not re.search(r"R-[0-9a-f]{16}", html), "no pseudonym"
    assert 'lang="en"' in html
    assert escape(english.content("Ouverture")) in html


async def test_a_long_wish_is_cut_between_words(database: Database) -> None:
    long = "Une métropole " + "verte et solidaire " * 40
    await answer(database, "p1", [long] * SMALL_GROUP)

    quotes = Page(await report(database, I18n("fr")("fr"))).text("blockquote")

    assert quotes
    quoted = quotes[0].split(
        FRENCH._("Paradoxe {number} · habitant choisi : {persona}", number=1, persona="Malika")
    )[0]
    assert quoted.endswith(" […]")
    assert long.startswith(quoted.removesuffix(" […]"))
    assert len(quoted) <= 230


async def test_wishes_of_a_paradox_with_fewer_than_five_respondents_are_not_shown(database: Database) -> None:
    await answer(database, "p1", [f"Souhait {i}" for i in range(SMALL_GROUP)])
    await answer(database, "p2", ["Un souhait trop reconnaissable."] * (SMALL_GROUP - 1))

    html = await report(database, I18n("fr")("fr"))

    assert "Un souhait trop reconnaissable." not in html
    assert "Souhait 0" not in html and "Souhait 2" in html, "the three most recent"
    none = FRENCH._(
        "Aucun souhait à montrer pour les paradoxes {numbers} (moins de {n} répondants).",
        numbers="2, 3, 4, 5, 6, 7",
        n=SMALL_GROUP,
    )
    assert escape(none) in html


async def test_sources_have_the_labels_staff_gave_them_and_codes_only_without_one(database: Database) -> None:
    await write(
        database,
        *[Given(source="affiche_vieux_port")] * 5,
        *[Given(source="qr_istres")] * 6,
        *[Given(source=None)] * 5,
    )
    content = CONTENT.model_copy(update={"sources": (("affiche_vieux_port", "Affiche du Vieux-Port"),)})

    html = await report(database, I18n("fr")("fr"), content)

    rows = Page(html).text("tr")
    assert any(row.startswith("Affiche du Vieux-Port5") for row in rows)
    assert "affiche_vieux_port" not in html
    assert any(row.startswith("qr_istres6") for row in rows)
    assert any(row.startswith(FRENCH._("(directe)") + "5") for row in rows)


async def test_an_empty_consultation_gives_a_page_without_charts_or_wishes(database: Database) -> None:
    html = await report(database, I18n("fr")("fr"))

    page = Page(html)
    assert page.all("img") == []
    assert page.all("blockquote") == []
    assert escape(FRENCH._("Aucune donnée à afficher.")) in html
    assert FRENCH._("Classement des valeurs") in page.text("caption")
    none = FRENCH._(
        "Aucun souhait à montrer pour les paradoxes {numbers} (moins de {n} répondants).",
        numbers=", ".join(str(n) for n in range(1, len(CONTENT.paradoxes) + 1)),
        n=SMALL_GROUP,
    )
    assert escape(none) in html
