"""The phone preview end to end: ``fabrique-bot run`` without a token, driven in headless Chromium.

A resident answers a paradox by tapping and typing in the web chat, then a staff member exports
the answers from the same page and finds the wish in the CSV. Needs Debian's chromium at
/usr/bin/chromium: skipped without it, except under CI where its absence is a failure.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import os
import re
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import openpyxl
import pytest

try:
    from playwright.async_api import Browser, Locator, Page, ViewportSize, async_playwright, expect
except ImportError:  # pragma: no cover - only where playwright is not installed
    async_playwright = None  # type: ignore[assignment]

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
PHONE: ViewportSize = {"width": 390, "height": 844}
STARTUP_SECONDS = 30.0
WAIT_MS = 15_000
OPEN_LINE = re.compile(r"open (http://[^\s/]+)/")
WISH = "Une métropole <b>verte</b> & solidaire, des tramways partout 🚋"


def require_browser() -> None:
    missing = []
    if async_playwright is None:
        missing.append("playwright for Python (pip install playwright)")
    if not CHROMIUM.exists():
        missing.append(f"Debian's chromium at {CHROMIUM} (apt-get install chromium)")
    if not missing:
        return
    reason = "the phone preview test needs " + " and ".join(missing)
    if os.environ.get("CI"):
        pytest.fail(f"{reason}; CI is set, so this is a failure, not a skip")
    pytest.skip(reason)


def environment(tmp_path: Path) -> dict[str, str]:
    """The inherited environment without a bot token, database or staff list: the preview."""
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "DATABASE_", "STAFF_"))}
    return {**keep, "DATA_DIR": str(tmp_path / "data")}


@pytest.fixture
async def preview(tmp_path: Path) -> AsyncIterator[str]:
    """``fabrique-bot run`` as a real process on a port the system picks; yields its URL."""
    require_browser()
    log = (tmp_path / "bot.log").open("wb")
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        "--port",
        "0",
        cwd=tmp_path,
        env=environment(tmp_path),
        stdout=asyncio.subprocess.PIPE,
        stderr=log,
    )
    try:
        assert process.stdout is not None
        url = None
        try:
            async with asyncio.timeout(STARTUP_SECONDS):
                while url is None:
                    line = (await process.stdout.readline()).decode()
                    if not line:
                        pytest.fail(
                            f"the preview stopped before serving:\n{(tmp_path / 'bot.log').read_text()}"
                        )
                    found = OPEN_LINE.search(line)
                    url = found.group(1) if found else None
        except TimeoutError:
            pytest.fail(
                f"no 'open http://…' line within {STARTUP_SECONDS} s:\n{(tmp_path / 'bot.log').read_text()}"
            )
        yield url
    finally:
        if process.returncode is None:
            process.terminate()
            try:
                async with asyncio.timeout(10):
                    await process.wait()
            except TimeoutError:
                process.kill()
                await process.wait()
        log.close()


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    require_browser()
    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            await chromium.close()


@pytest.fixture
async def page(
    browser: Browser, preview: str, tmp_path: Path, request: pytest.FixtureRequest
) -> AsyncIterator[Page]:
    context = await browser.new_context(viewport=PHONE, accept_downloads=True, locale="fr-FR")
    context.set_default_timeout(WAIT_MS)
    expect.set_options(timeout=WAIT_MS)
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    await page.goto(f"{preview}/")
    try:
        yield page
        report = getattr(request.node, "preview_report", None)
        if report is not None and report.failed:
            with contextlib.suppress(Exception):
                await page.screenshot(path=tmp_path / "failure.png")
                print(f"screenshot of the failing page: {tmp_path / 'failure.png'}")
    finally:
        await context.close()
    assert errors == [], f"JavaScript errors on the page: {errors}"


def bot_messages(page: Page) -> Locator:
    return page.locator("#messages > .msg.from-bot")


async def assert_no_sideways_scroll(page: Page) -> None:
    """The page fits a phone: neither it nor the conversation scrolls sideways."""
    widths = await page.evaluate(
        """() => [document.documentElement.scrollWidth, document.documentElement.clientWidth,
                  document.getElementById('log').scrollWidth, document.getElementById('log').clientWidth]"""
    )
    assert widths[0] <= widths[1] and widths[2] <= widths[3], widths


async def send(page: Page, text: str) -> None:
    """Type in the composer and press Enter, as on a phone keyboard."""
    box = page.get_by_label(re.compile(r"^(Votre message|Your message)$"))
    await box.fill(text)
    await box.press("Enter")
    await expect(box).to_have_value("")
    await expect(page.locator("#messages > .msg.from-me").last).to_have_text(re.compile(re.escape(text)))


async def tap(page: Page, label: str) -> None:
    await page.get_by_role("button", name=label, exact=True).click()


async def test_a_resident_answers_and_staff_exports_from_the_phone_preview(page: Page) -> None:
    await expect(page.locator("#bot-name")).to_have_text("Fabrique (sandbox)")
    log = page.get_by_role("log")
    await expect(log).to_have_attribute("aria-live", "polite")

    # Camille, a French-speaking resident, answers a paradox.
    await page.get_by_label("Vous êtes").select_option("1001")
    await expect(page.get_by_label("Vous êtes")).to_have_value("1001")
    await expect(page.locator("html")).to_have_attribute("lang", "fr")
    await page.get_by_role("button", name="Commandes").click()
    menu = page.locator("#command-menu")
    await expect(menu.get_by_role("button", name=re.compile(r"^\/start"))).to_be_focused()
    await expect(menu.get_by_role("button", name=re.compile(r"^\/export"))).to_have_count(0)
    await page.keyboard.press("Escape")
    await expect(menu).to_be_hidden()

    await send(page, "/start")
    await expect(bot_messages(page).last).to_contain_text("Bonjour !")
    await expect(page.locator(".msg.from-bot strong", has_text="Vos données")).to_have_count(1)
    await tap(page, "J’accepte")
    await expect(page.get_by_role("status")).to_contain_text("Merci !")
    await expect(bot_messages(page).first).to_contain_text("modifié")  # its keyboard went away
    await tap(page, "Répondre ▶")
    await expect(page.get_by_role("button", name="ℹ️ Malika", exact=True)).to_be_visible()
    await tap(page, "Malika")
    await expect(bot_messages(page).last).to_contain_text("Question 2 sur 3")

    await send(page, WISH)
    mine = page.locator("#messages > .msg.from-me").last
    await expect(mine.locator(".text")).to_have_text(WISH)  # shown as typed: no markup
    await expect(mine.locator("b")).to_have_count(0)
    await expect(bot_messages(page).last).to_contain_text("Question 3 sur 3")
    await send(page, "3 1 5 2 4")
    await expect(bot_messages(page).last).to_contain_text("Tout est juste ?")
    if screenshot := os.environ.get("PREVIEW_SCREENSHOT"):  # to look at the page mid-dialog
        await page.screenshot(path=screenshot)
    confirm = page.get_by_role("button", name="✅ Je confirme", exact=True)
    await confirm.focus()
    await page.keyboard.press("Enter")  # buttons work from the keyboard
    await expect(bot_messages(page).last).to_contain_text("Merci ! Votre réponse")

    await assert_no_sideways_scroll(page)

    # Sam, from the staff, exports the answers from the command menu and downloads the CSV.
    await page.get_by_label("Vous êtes").select_option("9001")
    await expect(page.get_by_label("Vous êtes")).to_have_value("9001")
    await expect(page.get_by_text("Merci ! Votre réponse")).to_have_count(0)
    await page.get_by_role("button", name="Commandes").click()
    await menu.get_by_role("button", name=re.compile(r"^\/export")).click()
    await expect(menu).to_be_hidden()
    link = page.locator("#messages a[download]").last
    await expect(link).to_have_attribute("download", re.compile(r"\.xlsx$"))
    await expect(link).to_contain_text("📄")
    async with page.expect_download() as download_info:
        await link.click()
    download = await download_info.value
    assert download.suggested_filename.endswith(".xlsx")
    raw = await asyncio.to_thread(Path(await download.path()).read_bytes)
    sheet = openpyxl.load_workbook(io.BytesIO(raw)).worksheets[0]
    header, *rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert [row[header.index("Métropole idéale en 2030")] for row in rows] == [WISH]
    assert rows[0][header.index("Prénom de l’habitant")] == "Malika"

    # Keyboard only: Tab from the person switcher reaches the composer, Enter sends.
    await page.get_by_label("Vous êtes").focus()
    box = page.get_by_label("Votre message")
    for _ in range(50):
        await page.keyboard.press("Tab")
        if await box.evaluate("node => node === document.activeElement"):
            break
    await expect(box).to_be_focused()
    outline = await box.evaluate("node => getComputedStyle(node).outlineStyle")
    assert outline != "none", "the focused composer shows where the focus is"
    answers = await bot_messages(page).count()
    await page.keyboard.type("/stats")
    await page.keyboard.press("Enter")
    await expect(page.locator("#messages > .msg.from-me").last).to_have_text(re.compile(r"\/stats"))
    await expect(bot_messages(page).nth(answers)).to_contain_text("Participation")
    await expect(bot_messages(page).nth(answers).locator("pre")).to_have_count(0)  # no wide table
    await expect(page.locator("#messages a[download]").last).to_have_attribute(
        "download", re.compile(r"\.html$")
    )
    await assert_no_sideways_scroll(page)
    await page.keyboard.press("Shift+Tab")
    await expect(page.get_by_role("button", name="Commandes")).to_be_focused()
    await page.keyboard.press("Enter")
    await expect(menu.get_by_role("button", name=re.compile(r"^\/start"))).to_be_focused()
    await page.keyboard.press("Escape")
    await expect(menu).to_be_hidden()
    await expect(page.get_by_role("button", name="Commandes")).to_be_focused()


async def test_formatting_edits_and_language_follow_the_person(page: Page, preview: str) -> None:
    # Alex speaks English: the page does too, and the choice is remembered.
    await page.get_by_label("Vous êtes").select_option("1002")
    await expect(page.locator("html")).to_have_attribute("lang", "en")
    await expect(page.get_by_label("You are")).to_have_value("1002")
    await page.reload()
    await expect(page.get_by_label("You are")).to_have_value("1002")

    # A resident's message with entities at UTF-16 offsets (after an emoji), nested, with markup
    # characters as text; then edited in place.
    text = "🚋 <script>x</script> gras italique lien"
    start = len("🚋 <script>x</script> ".encode("utf-16-le")) // 2
    entities = [
        {"type": "bold", "offset": start, "length": len("gras italique")},
        {"type": "italic", "offset": start + len("gras "), "length": len("italique")},
        {
            "type": "text_link",
            "offset": start + len("gras italique "),
            "length": 4,
            "url": "https://example.org/",
        },
    ]
    request = page.context.request
    sent = await request.post(
        f"{preview}/sandbox/chats/1002/messages", data={"text": text, "entities": entities, "user_id": 1002}
    )
    assert sent.ok, await sent.text()
    message_id = (await sent.json())["message_id"]
    item = page.locator(f"#message-{message_id}")
    await expect(item.locator("strong")).to_have_text("gras italique")
    await expect(item.locator("strong > em")).to_have_text("italique")
    await expect(item.locator("a")).to_have_attribute("href", "https://example.org/")
    await expect(item.locator("a")).to_have_attribute("target", "_blank")
    await expect(item.locator(".text")).to_have_text(text)
    await expect(item.locator("script")).to_have_count(0)

    edited = await request.post(
        f"{preview}/sandbox/chats/1002/messages/{message_id}/edit",
        data={"text": "🚋 corrigé", "entities": [{"type": "underline", "offset": 3, "length": 7}]},
    )
    assert edited.ok, await edited.text()
    await expect(item.locator("u")).to_have_text("corrigé")
    await expect(item).to_contain_text("edited")
