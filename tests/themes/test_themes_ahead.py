"""The bot reads each wish ahead, in the background: the themes then read no wish when asked for,
the vectors' file keeps only the wishes the answers hold, and a folder that cannot be written
costs a warning, not the wishes read."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.config import Settings
from bot.storage import Answer, Database
from bot.themes import Codebook, E5Embedder, Themes, ahead
from bot.themes.ahead import WishReader
from bot.themes.model import CachedEmbedder
from bot.themes.reading import framed, read_texts
from bot.themes.synthesis import CACHE_NAME, chat_themes
from tests.themes.conftest import write
from tests.themes.test_themes_cli import WISHES
from tests.themes.test_themes_synthesis import CONTENT, Counting

NEW_WISH = "Des navettes maritimes entre L'Estaque et la Pointe-Rouge toute l'année"


@pytest.fixture
def model(monkeypatch: pytest.MonkeyPatch) -> Counting:
    counting = Counting()
    counting.install(monkeypatch)
    return counting


@pytest.fixture
async def reader(database: Database, tmp_path: Path) -> AsyncIterator[WishReader]:
    reading = WishReader(database, None, tmp_path / "data" / CACHE_NAME)
    reading.start()
    yield reading
    await reading.stop()


def held(path: Path, texts: list[str]) -> list[str]:
    """Which of ``texts`` the vectors' file at ``path`` holds."""
    kept = CachedEmbedder(E5Embedder(), path)
    missing = set(kept.missing(texts))
    return [text for text in texts if text not in missing]


async def replace_first_answer(database: Database) -> str:
    """The first resident answers the same paradox again, as the bot stores it: the answer is
    replaced in place, with :data:`NEW_WISH`; the wish it held."""
    async with database.transaction() as repos:
        first = (await repos.session.scalars(select(Answer).order_by(Answer.id).limit(1))).one()
        old = first.wish
        again = Answer(**{column: getattr(first, column) for column in ("resident_id", "paradox_id",
                       "persona_id", "ranking", "language", "consent_version")},
                       wish=NEW_WISH, submitted_at=datetime(2017, 6, 1, tzinfo=UTC))  # fmt: skip
        await repos.answers.save(again)
    return old


async def test_each_wish_is_read_once_and_the_themes_then_read_none(
    database: Database, reader: WishReader, codebook: Codebook, model: Counting, tmp_path: Path
) -> None:
    await write(database, *WISHES)
    await reader.read_now()
    everything = read_texts(codebook, [wish.wish for wish in WISHES])
    assert model.read == len(set(everything)), "the codebook and every distinct wish, once"
    assert held(tmp_path / "data" / CACHE_NAME, everything) == everything

    model.read = 0
    await reader.read_now()
    settings = Settings(_env_file=None, data_dir=tmp_path / "data")
    themes = await chat_themes(database, CONTENT, settings, "/stats")
    assert isinstance(themes, Themes) and len(themes.records) == len(WISHES)
    assert model.read == 0, "nothing read again, nothing read when asked"


async def test_a_wish_an_answer_no_longer_holds_leaves_the_file(
    database: Database, reader: WishReader, codebook: Codebook, model: Counting, tmp_path: Path
) -> None:
    await write(database, *WISHES)
    await reader.read_now()
    old = await replace_first_answer(database)
    model.read = 0

    await reader.read_now()

    assert model.read == 1, "the new wish only"
    path = tmp_path / "data" / CACHE_NAME
    assert held(path, framed([NEW_WISH, old])) == framed([NEW_WISH]), "the replaced wish is gone"
    wishes = [NEW_WISH, *(wish.wish for wish in WISHES if wish.wish != old)]
    assert held(path, read_texts(codebook, wishes)) == read_texts(codebook, wishes)


async def test_a_folder_that_cannot_be_made_costs_a_warning_not_the_wishes_read(
    database: Database, model: Counting, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    blocker = tmp_path / "vectors"
    blocker.write_text("not a folder")  # where the folder goes, a file: it cannot be made
    await write(database, *(replace(wish, wish=f"{wish.wish} {'✨' * 2}") for wish in WISHES))
    reader = WishReader(database, None, blocker / CACHE_NAME)

    with caplog.at_level(logging.INFO, logger="bot"):
        reader.start()
        await reader.read_now()

    warnings = {record.getMessage() for record in caplog.records if record.levelno == logging.WARNING}
    assert warnings == {f"cannot keep the wishes' vectors in {blocker / CACHE_NAME}: File exists"}
    assert not any("✨" in record.getMessage() for record in caplog.records), "no wish in the log"
    read = model.read
    assert read > len(WISHES)

    blocker.unlink()  # the operator clears the way
    await reader.read_now()
    await reader.stop()

    assert model.read == read, "what was read is kept in memory, and written now"
    assert (blocker / CACHE_NAME).is_file()


async def test_the_reader_notices_new_and_replaced_answers_by_itself(
    database: Database, codebook: Codebook, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ahead, "READ_EVERY", timedelta(milliseconds=50))
    path = tmp_path / "data" / CACHE_NAME
    reader = WishReader(database, None, path)
    reader.start()
    try:
        await write(database, *WISHES)
        everything = read_texts(codebook, [wish.wish for wish in WISHES])
        async with asyncio.timeout(60):
            await reader.after_a_pass(lambda: held(path, everything) == everything)

        old = await replace_first_answer(database)

        async with asyncio.timeout(60):
            await reader.after_a_pass(lambda: held(path, framed([NEW_WISH, old])) == framed([NEW_WISH]))
    finally:
        await reader.stop()


async def test_a_reader_stopped_and_started_again_reads_and_one_stopped_says_so(
    database: Database, codebook: Codebook, tmp_path: Path
) -> None:
    path = tmp_path / "data" / CACHE_NAME
    reader = WishReader(database, None, path)
    with pytest.raises(RuntimeError, match="not running"):
        await reader.read_now()
    reader.start()
    await reader.stop()
    reader.start()
    await write(database, *WISHES)

    async with asyncio.timeout(60):
        await reader.read_now()
    await reader.stop()

    everything = read_texts(codebook, [wish.wish for wish in WISHES])
    assert held(path, everything) == everything
    with pytest.raises(RuntimeError, match="not running"):
        await reader.read_now()


async def test_two_bot_processes_sharing_the_folder_read_each_wish_once(
    database: Database, codebook: Codebook, model: Counting, tmp_path: Path
) -> None:
    path = tmp_path / "data" / CACHE_NAME
    readers = [WishReader(database, None, path), WishReader(database, None, path)]
    for reader in readers:
        reader.start()
    await write(database, *WISHES)

    async with asyncio.timeout(60):
        await asyncio.gather(*(reader.read_now() for reader in readers))
    for reader in readers:
        await reader.stop()

    everything = read_texts(codebook, [wish.wish for wish in WISHES])
    assert model.read == len(set(everything)), "one read them, the other found them read"
    assert held(path, everything) == everything
