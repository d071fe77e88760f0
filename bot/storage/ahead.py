"""Reading ahead: the database driver fetches the next batch while the caller works on this one.

aiosqlite and asyncpg fetch in their own thread or socket; awaited one batch after another, the
fetch and the caller's work take turns on one core. Started before the caller gets the current
batch, the fetch runs beside it (measured on the CSV export of a million answers: ``bench/export.py``).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterable, AsyncIterator
from typing import TypeVar

T = TypeVar("T")


async def read_ahead(batches: AsyncIterable[T]) -> AsyncIterator[T]:
    """``batches``, in order, each fetched while the previous one is being used."""
    source = aiter(batches)
    upcoming: asyncio.Future[T | None] = asyncio.ensure_future(anext(source, None))
    try:
        while True:
            batch = await upcoming
            if batch is None:
                return
            upcoming = asyncio.ensure_future(anext(source, None))
            await asyncio.sleep(0)  # one turn of the loop: the fetch is handed to the driver
            yield batch
    finally:
        if not upcoming.done():
            upcoming.cancel()
            await asyncio.gather(upcoming, return_exceptions=True)
