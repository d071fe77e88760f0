"""sendDocument / sendPhoto uploads (multipart or file_id), getFile and downloads."""

from __future__ import annotations

import aiohttp
import pytest
from telegram import Bot, Message
from telegram.constants import ParseMode
from telegram.error import BadRequest

from bot.sandbox import BotApiSandbox


async def test_send_document_and_download(bot: Bot, sandbox: BotApiSandbox, alice: int) -> None:
    sent = await bot.send_document(
        alice,
        b"id;avis\n1;oui\n",
        filename="avis.csv",
        caption="<b>Export</b> 📎",
        parse_mode=ParseMode.HTML,
    )
    assert isinstance(sent, Message)
    assert sent.document is not None
    assert (sent.document.file_name, sent.document.mime_type) == ("avis.csv", "text/csv")
    assert sent.document.file_size == 14
    assert sent.caption == "Export 📎"
    assert sent.caption_entities[0].type == "bold"
    call = sandbox.api_calls[-1]
    assert call.params["document"] == {"filename": "avis.csv", "size": 14}
    file = await bot.get_file(sent.document.file_id)
    assert file.file_path is not None
    assert file.file_path.endswith(".csv")
    assert bytes(await file.download_as_bytearray()) == b"id;avis\n1;oui\n"
    assert sandbox.file(sent.document.file_id).content == b"id;avis\n1;oui\n"
    again = await bot.send_document(alice, sent.document.file_id)
    assert again.document is not None
    assert again.document.file_id == sent.document.file_id


async def test_send_photo(bot: Bot, sandbox: BotApiSandbox, alice: int, png: bytes) -> None:
    sent = await bot.send_photo(alice, png, caption="Carte")
    assert sent.photo
    assert (sent.photo[-1].width, sent.photo[-1].height) == (3, 2)
    assert sent.caption == "Carte"
    file = await sent.photo[-1].get_file()
    assert bytes(await file.download_as_bytearray()) == png
    assert sandbox.last_bot_message(alice).content["photo"][0]["file_id"] == sent.photo[-1].file_id


async def test_file_errors(bot: Bot, sandbox: BotApiSandbox, alice: int, png: bytes) -> None:
    with pytest.raises(BadRequest):
        await bot.send_photo(alice, b"not an image")
    assert sandbox.api_calls[-1].description == "Bad Request: IMAGE_PROCESS_FAILED"
    with pytest.raises(BadRequest):
        await bot.send_document(alice, "no-such-file-id")
    assert sandbox.api_calls[-1].description == ("Bad Request: wrong file identifier/HTTP URL specified")
    photo = await bot.send_photo(alice, png)
    with pytest.raises(BadRequest):
        await bot.send_document(alice, photo.photo[-1].file_id)
    assert sandbox.api_calls[-1].description == "Bad Request: can't use file of type Photo as Document"
    with pytest.raises(BadRequest):
        await bot.send_document(alice, b"x", filename="x.txt", caption="é" * 1025)
    assert sandbox.api_calls[-1].description == "Bad Request: message caption is too long"
    with pytest.raises(BadRequest):
        await bot.get_file("nope")
    assert sandbox.api_calls[-1].description == "Bad Request: invalid file_id"


async def test_download_errors(http: aiohttp.ClientSession, sandbox: BotApiSandbox) -> None:
    async with http.get(f"{sandbox.url}/file/bot{sandbox.token}/documents/none.txt") as answer:
        assert answer.status == 404
    async with http.get(f"{sandbox.url}/file/bot1:WRONG/documents/none.txt") as answer:
        assert answer.status == 401


async def test_residents_send_files(bot: Bot, sandbox: BotApiSandbox, alice: int, png: bytes) -> None:
    await sandbox.send_document(alice, b"%PDF-1.4", "plan.pdf", caption="Mon plan")
    await sandbox.send_photo(alice, png)
    document, photo = await bot.get_updates()
    assert document.message is not None
    assert document.message.document is not None
    assert document.message.document.mime_type == "application/pdf"
    assert document.message.caption == "Mon plan"
    downloaded = await (await document.message.document.get_file()).download_as_bytearray()
    assert bytes(downloaded) == b"%PDF-1.4"
    assert photo.message is not None
    assert photo.message.photo[-1].width == 3
