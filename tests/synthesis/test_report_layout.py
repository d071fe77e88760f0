"""The report in the headless browser of the preview's test: it reads on a phone 390 pixels wide
without scrolling sideways, and prints on at most four A4 pages, however full the consultation.

Two consultations: a crowded one (every persona, paradox, territory and age band, a dozen
sources with the longest codes, every wish as long as allowed, one with a word of 300 letters),
and a tiny one (a few answers, most groups « < 5 »); each with the themes of the wishes (read by
a stand-in for the model, which spreads them over every theme of the codebook) and without.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.content import load_content
from bot.dialogs.question import columns_of
from bot.dialogs.questions import AGE, COMMUNE, WISH_MAX
from bot.i18n import I18n
from bot.places import OUTSIDE, load_places
from bot.storage import Answer, Database, Resident
from bot.synthesis.report import build_report
from bot.themes import load_codebook
from bot.themes.codebook import SHIPPED
from bot.themes.synthesis import ThemeRequest, compute_themes
from tests.preview.test_preview import CHROMIUM, CHROMIUM_ARGS, PHONE, require_browser
from tests.synthesis.conftest import ORDER
from tests.themes.test_themes_summary import Hashed

try:
    from playwright.async_api import Browser, Page, async_playwright
except ImportError:  # pragma: no cover - only where playwright is not installed
    async_playwright = None  # type: ignore[assignment]

CONTENT = load_content()
PLACES = load_places()
MAX_PAGES = 4
_telegram_ids = itertools.count(950_000)
_PAGE = re.compile(rb"/Type\s*/Page(?![a-zA-Z])")
_COUNT = re.compile(rb"/Type\s*/Pages\b[^>]*?/Count\s+(\d+)|/Count\s+(\d+)[^>]*?/Type\s*/Pages\b", re.S)
WIDEST = """() => {
  const width = window.innerWidth;
  const wider = [];
  for (const element of document.body.querySelectorAll('*')) {
    const box = element.getBoundingClientRect();
    if (box.width > 0 && (box.left < -0.5 || box.right > width + 0.5)) {
      wider.push(`${element.tagName.toLowerCase()}.${element.className}: ${box.left}–${box.right}`);
    }
  }
  return {scroll: document.documentElement.scrollWidth, width, wider};
}"""


@dataclass(frozen=True)
class Person:
    """A resident and their answers: (paradox, persona, wish, ranking)."""

    answers: list[tuple[str, str, str, str]]
    commune: str | None
    age: str | None
    source: str | None
    day: int


RESIDENTS = 900


def long_wish(index: int) -> str:
    """A wish of the longest length allowed; the last one (quoted in the report, as the most
    recent) has a word of 300 letters, as some type."""
    if index == RESIDENTS - 1:
        return ("Une métropole " + "x" * 300 + " ")[:WISH_MAX]
    words = "Une métropole où l’on va de Martigues à Aubagne en transports en commun, verte et solidaire,"
    return (f"{index}. " + (words + " ") * 20)[:WISH_MAX]


def crowd() -> list[Person]:
    """Nine hundred residents spread over every group, sixty days and twelve sources."""
    personas = [p.id for p in CONTENT.personas] + ["none"]
    paradoxes = [p.id for p in CONTENT.paradoxes]
    communes = [*[c.code for c in PLACES.communes][:60], OUTSIDE, None]
    ages = [band.id for band in PLACES.age_bands] + [None]
    sources = [None] + [
        f"{i:02d}-" + "affiche_du_vieux_port_et_de_la_canebiere_quartier"[:50] for i in range(12)
    ]
    orders = [ORDER, "ouverture,innovation,fraternite,authenticite,responsabilite",
              "innovation,fraternite,ouverture,responsabilite,authenticite"]  # fmt: skip
    residents = []
    for i in range(RESIDENTS):
        answers = [
            (
                paradoxes[(i + k) % len(paradoxes)],
                personas[(i // 7 + k) % len(personas)],
                long_wish(i),
                orders[(i + k) % 3],
            )
            for k in range(1 + i % 2)
        ]
        residents.append(
            Person(
                answers, communes[i % len(communes)], ages[i % len(ages)], sources[i % len(sources)], i % 60
            )
        )
    return residents


def few() -> list[Person]:
    """Seven residents: most groups under five."""
    return [
        Person([("p1", "malika" if i < 5 else "carlos", f"Souhait {i}", ORDER)], None, "30-44", "affiche", 0)
        for i in range(7)
    ]


async def write(database: Database, residents: list[Person]) -> None:
    start = datetime(2017, 11, 20, 10, tzinfo=UTC)  # over a new year
    async with database.transaction() as repos:
        session = repos.session
        for number, person in enumerate(residents):
            moment = start + timedelta(days=person.day, minutes=number)
            resident = Resident(telegram_id=next(_telegram_ids), language="fr", consent_version="v",
                                consented_at=moment, subscribed=False, created_at=moment)  # fmt: skip
            session.add(resident)
            await session.flush()
            said = columns_of((COMMUNE, AGE), {"commune": person.commune, "age": person.age})
            for paradox, persona, wish, ranking in person.answers:
                session.add(
                    Answer(resident_id=resident.id, paradox_id=paradox, persona_id=persona, wish=wish,
                           ranking=ranking, language="fr", source=person.source, consent_version="v",
                           submitted_at=moment, **said)
                )  # fmt: skip


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    require_browser()
    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            await chromium.close()


async def opened(browser: Browser, html: str) -> Page:
    context = await browser.new_context(viewport=PHONE)
    page = await context.new_page()
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    await page.set_content(html, wait_until="load")
    assert [url for url in requests if not url.startswith("data:")] == [], "the report fetches nothing"
    return page


def pages(pdf: bytes) -> int:
    """The number of pages of a PDF, from its page objects (and its page tree, which must agree)."""
    count = len(_PAGE.findall(pdf))
    tree = [int(a or b) for a, b in _COUNT.findall(pdf)]
    assert tree == [] or max(tree) == count, (tree, count)
    return count


@pytest.mark.parametrize("themed", [True, False], ids=["themes", "no-themes"])
@pytest.mark.parametrize("consultation", [crowd, few], ids=["crowd", "few"])
async def test_the_report_reads_on_a_phone_and_prints_on_four_pages(
    database: Database,
    browser: Browser,
    consultation: Callable[[], list[Person]],
    themed: bool,
    tmp_path: Path,
) -> None:
    await write(database, consultation())
    request = ThemeRequest(load_codebook(), SHIPPED, None, cache=None) if themed else None
    themes = await compute_themes(database, CONTENT, request, embedder=Hashed())
    t = I18n("fr")("fr")
    html = (await build_report(database, CONTENT, t, datetime(2018, 1, 20, tzinfo=UTC), themes)).html
    (tmp_path / "report.html").write_text(html, encoding="utf-8")  # to look at when this fails
    assert t._("Les thèmes des souhaits") in html
    assert ('<table class="themes">' in html) is themed

    page = await opened(browser, html)
    try:
        fits = await page.evaluate(WIDEST)
        if fits["wider"] or fits["scroll"] > fits["width"]:
            await page.screenshot(path=tmp_path / "phone.png", full_page=True)
        assert fits["scroll"] <= fits["width"], (
            f"the page scrolls sideways on a phone ({tmp_path / 'phone.png'})"
        )
        assert fits["wider"] == [], "no element is wider than the phone"
        images = await page.evaluate(
            "() => [...document.images].map(image => [image.getBoundingClientRect().width, image.naturalWidth])"
        )
        assert all(0 < shown <= PHONE["width"] and natural > 0 for shown, natural in images)
        pdf = await page.pdf(format="A4", print_background=True)
        (tmp_path / "report.pdf").write_bytes(pdf)
        assert 1 <= pages(pdf) <= MAX_PAGES, f"printed on {pages(pdf)} A4 pages ({tmp_path / 'report.pdf'})"
    finally:
        await page.context.close()
