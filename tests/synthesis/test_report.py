"""The HTML report: one self-contained page of tables, charts and wishes, safe to open anywhere."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from html import escape
from html.parser import HTMLParser

from bot.content import Content, load_content
from bot.i18n import I18n, Translator
from bot.storage import Database
from bot.synthesis.charts import charts
from bot.synthesis.export import SMALL_GROUP
from bot.synthesis.report import render_html, sample_wishes
from bot.synthesis.stats import compute, tables
from tests.synthesis.conftest import Given, write
from tests.words import words

CONTENT = load_content()
ORDER = "fraternite,innovation,authenticite,ouverture,responsabilite"
START = datetime(2017, 5, 9, 8, tzinfo=UTC)
GENERATED = datetime(2017, 4, 20, 10, 0, tzinfo=UTC)  # 12:00 in Paris (summer time)
VOID = {"meta", "img", "br", "hr", "link", "input", "source", "wbr"}
SCRIPT = "<script>alert(1)</script>"


class Page(HTMLParser):
    """Reads a page, checking that every element is closed in order; keeps tags and attributes."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.open: list[str] = []
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.feed(html)
        self.close()
        assert self.open == [], f"never closed: {self.open}"

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag not in VOID:
            self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        assert self.open and self.open[-1] == tag, f"</{tag}> closes {self.open[-1:]}"
        self.open.pop()

    def all(self, tag: str) -> list[dict[str, str | None]]:
        return [attrs for name, attrs in self.tags if name == tag]


async def answer(database: Database, paradox: str, wishes: list[str], anonymous: int = 0) -> None:
    """One answer per wish, in that order; the last ``anonymous`` ones by forgotten residents."""
    forgotten = len(wishes) - anonymous
    await write(
        database,
        *(Given(paradox=paradox, wish=wish, anonymous=i >= forgotten) for i, wish in enumerate(wishes)),
    )


async def report(database: Database, t: Translator, content: Content = CONTENT) -> str:
    stats = await compute(database, content)
    wishes = await sample_wishes(database, content)
    return render_html(stats, content, t, charts(stats, content, t), wishes, GENERATED)


async def test_wishes_are_sampled_newest_first_only_for_paradoxes_of_five_respondents_or_more(
    database: Database,
) -> None:
    await answer(database, "p1", [f"p1 souhait {i}" for i in range(6)], anonymous=2)
    # Four respondents, two of them forgotten: each anonymous answer is a respondent of its own.
    await answer(database, "p2", [f"p2 souhait {i}" for i in range(SMALL_GROUP - 1)], anonymous=2)

    wishes = await sample_wishes(database, CONTENT, per_paradox=3)

    assert wishes["p1"] == ["p1 souhait 5", "p1 souhait 4", "p1 souhait 3"]
    assert wishes["p2"] == []
    assert set(wishes) == {paradox.id for paradox in CONTENT.paradoxes}
    assert all(wishes[paradox.id] == [] for paradox in CONTENT.paradoxes[2:])


async def test_the_report_is_one_self_contained_page_with_every_table(database: Database) -> None:
    await answer(database, "p1", [f"Souhait {i}" for i in range(SMALL_GROUP + 1)])
    t = I18n("fr")("fr")

    html = await report(database, t)

    page = Page(html)
    assert html.startswith("<!DOCTYPE html>")
    assert page.all("html") == [{"lang": "fr"}]
    assert {"charset": "utf-8"} in page.all("meta")
    assert len(page.all("style")) == 1
    assert f"<h1>{escape(t.content(CONTENT.consultation.name))}</h1>" in html
    assert words("fr")._("Généré le {date}", date="20 avril 2017 à 12:00") in html
    stats = await compute(database, CONTENT)
    for table in tables(stats, CONTENT, t):
        assert f"<caption>{escape(table.title)}</caption>" in html
        assert all(f'<th scope="col">{escape(header)}</th>' in html for header in table.headers)
        assert all(f"<td>{escape(cell)}</td>" in html for row in table.rows for cell in row)
        assert escape(table.note) in html


async def test_the_charts_are_embedded_with_a_text_alternative(database: Database) -> None:
    await answer(database, "p1", [f"Souhait {i}" for i in range(SMALL_GROUP)])
    t = I18n("fr")("en")
    stats = await compute(database, CONTENT)
    drawn = charts(stats, CONTENT, t)

    images = Page(render_html(stats, CONTENT, t, drawn, {}, GENERATED)).all("img")

    assert len(images) == len(drawn) == 3
    for (_, png), image in zip(drawn, images, strict=True):
        source = image["src"] or ""
        assert source.startswith("data:image/png;base64,")
        assert base64.b64decode(source.removeprefix("data:image/png;base64,")) == png
        assert image["alt"]


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


async def test_wishes_appear_under_their_paradox_in_the_readers_language(database: Database) -> None:
    await answer(database, "p1", [f"Souhait {i}" for i in range(SMALL_GROUP)])
    english = words("en")

    html = await report(database, I18n("fr")("en"))

    paradox = CONTENT.paradoxes[0]
    heading = f"<h3>1. {escape(english.content(paradox.title))}</h3>"
    assert heading in html
    assert html.index(heading) < html.index("Souhait 4") < html.index("Souhait 0")
    assert 'lang="en"' in html
    assert escape(english.content("Ouverture")) in html


async def test_wishes_of_a_paradox_with_fewer_than_five_respondents_are_not_shown(database: Database) -> None:
    await answer(database, "p1", [f"Souhait {i}" for i in range(SMALL_GROUP)])
    await answer(database, "p2", ["Un souhait trop reconnaissable."] * (SMALL_GROUP - 1))

    html = await report(database, I18n("fr")("fr"))

    assert "Un souhait trop reconnaissable." not in html
    assert "Souhait 0" in html
    none = words("fr")._("Aucun souhait à montrer (moins de {n} répondants).", n=SMALL_GROUP)
    assert html.count(escape(none)) == len(CONTENT.paradoxes) - 1


async def test_an_empty_consultation_gives_a_page_without_charts_or_wishes(database: Database) -> None:
    html = await report(database, I18n("fr")("fr"))

    page = Page(html)
    assert page.all("img") == []
    assert len(page.all("table")) == len(tables(await compute(database, CONTENT), CONTENT, words("fr")))
    assert escape(words("fr")._("Aucune donnée à afficher.")) in html
    none = words("fr")._("Aucun souhait à montrer (moins de {n} répondants).", n=SMALL_GROUP)
    assert html.count(escape(none)) == len(CONTENT.paradoxes)
