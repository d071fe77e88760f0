"""The wishes read by the model as they come in, so that the themes take seconds when asked for.

The model needs minutes of CPU for 10,000 wishes (``bench/README.md``), while a consultation
gathers them over weeks. So the bot reads each wish soon after it is confirmed, when the
``themes`` extra is installed and ``THEMES_READ_AHEAD`` is on (the default). Every
:data:`READ_EVERY`, if the answers changed, it embeds the wishes that the vectors' file
(``DATA_DIR/themes-vectors.npz``) lacks. It reads a few at a time, in a thread at the lowest CPU
priority, so residents' updates come first. Then it writes the file with the vectors of the
codebook and of the wishes the answers hold now: a wish that a new answer replaced leaves it.
``fabrique-bot themes``, the report, the workbook and ``/stats`` then find every wish read.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select

from bot.config import Settings
from bot.errors import OperatorError
from bot.storage import Answer, Database
from bot.themes.codebook import load_codebook
from bot.themes.model import CachedEmbedder, E5Embedder, Embedder, MissingExtra, require_extra
from bot.themes.reading import read_texts
from bot.themes.synthesis import CACHE_NAME

log = logging.getLogger(__name__)

READ_EVERY = timedelta(minutes=1)
"""How often, at most, the answers are looked at for new wishes."""
CHUNK = 64
"""Texts given to the model at once, of similar lengths (the model reads texts of one length
together): a stop waits for these at most (about a second of CPU)."""
SAVE_EVERY = 16
"""Chunks read between two writes of the file: a stop or a crash loses at most these."""

State = tuple[int, int | None, datetime | None]
"""How many answers there are, the latest id and the latest submission: an answer added or
replaced (in place, with a new submission time) changes it."""


_STATE = select(func.count(Answer.id), func.max(Answer.id), func.max(Answer.submitted_at))


async def answers_state(database: Database) -> State:
    async with database.reading() as session:
        count, latest, submitted = (await session.execute(_STATE)).one()
    return count, latest, submitted


async def wishes_now(database: Database) -> list[str]:
    """The wish of every answer, as it is now."""
    async with database.reading() as session:
        return list(await session.scalars(select(Answer.wish)))


def _lowest_priority() -> None:
    """Run the calling thread, and the threads it starts, at the lowest CPU priority."""
    if sys.platform == "linux":  # there, a thread's own id names it alone
        with contextlib.suppress(OSError):  # a system that refuses: read at the usual priority
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 19)


class WishReader:
    """Reads new wishes in the background (:meth:`start`, :meth:`stop`); :meth:`read_now` for
    a pass at once."""

    def __init__(
        self, database: Database, content_dir: Path | None, vectors: Path, embedder: Embedder | None = None
    ) -> None:
        self.database = database
        self.content_dir = content_dir
        self.vectors = vectors
        self._embedder = embedder
        self._cache: CachedEmbedder | None = None
        self._seen: State | None = None
        self._stopping = threading.Event()
        self._wake = asyncio.Event()
        self._passed = asyncio.Condition()
        self._passes = 0
        self._busy = self._forced = False
        self._pool: ThreadPoolExecutor | None = None
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self._task is None:
            self._stopping.clear()
            self._busy = False
            self._pool = ThreadPoolExecutor(1, "wish-reader", initializer=_lowest_priority)
            self._task = asyncio.create_task(self._run(), name="wish reader")

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    async def read_now(self) -> None:
        """Have the background task read every wish it has not read, and wait until it has
        (after the pass under way, if any: it may have looked before the latest answers), or
        until the reader stops, or found another process reading them."""
        if not self.running:
            raise RuntimeError("the wish reader is not running")
        async with self._passed:
            wanted = self._passes + (2 if self._busy else 1)
            self._forced = True
            self._wake.set()
            await self._passed.wait_for(lambda: self._passes >= wanted or not self.running)

    async def after_a_pass(self, condition: Callable[[], bool]) -> None:
        """Wait until ``condition()`` holds at the end of one of the background passes."""
        async with self._passed:
            await self._passed.wait_for(condition)

    async def stop(self) -> None:
        """Stop after the texts in hand, keeping what was read."""
        if self._task is None or self._pool is None:
            return
        self._stopping.set()
        self._wake.set()
        await self._task  # not cancelled: the pass ends after the chunk in hand, its file written
        await asyncio.to_thread(self._pool.shutdown)
        self._task = self._pool = None
        async with self._passed:
            self._passed.notify_all()  # a read_now() waiting: the reader is gone

    async def _run(self) -> None:
        while not self._stopping.is_set():
            self._wake.clear()
            self._busy, forced, self._forced = True, self._forced, False
            try:
                read = await self._pass(forced)
                if read:
                    log.info("%d new texts read for the themes", read)
            except OperatorError as exc:  # a broken codebook or file: the operator's one line
                log.warning("the wishes are not read ahead for the themes: %s", exc)
            except Exception as exc:
                log.warning("the wishes could not be read ahead for the themes (%s); tried again later",
                            type(exc).__name__)  # fmt: skip
            finally:
                self._busy = False
            async with self._passed:
                self._passes += 1
                self._passed.notify_all()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(READ_EVERY.total_seconds()):
                    await self._wake.wait()

    async def _pass(self, forced: bool) -> int:
        """Read what is new (everything not read, if ``forced``); how many texts were read."""
        state = await answers_state(self.database)
        if state == self._seen and not forced:
            return 0
        wishes = await wishes_now(self.database)
        read = await asyncio.get_running_loop().run_in_executor(self._pool, self._read, wishes)
        if read is None:
            return 0  # looked at again at the next pass (the other process may stop half-way)
        self._seen = state
        return read

    def _read(self, wishes: Sequence[str]) -> int | None:
        """In the low-priority thread: read what the file lacks, writing it as it goes, and
        drop the vectors of wishes no answer holds any more; None while another process reads
        for the same file (bot processes sharing ``DATA_DIR``) or if the file was not written."""
        with _alone(self.vectors.with_name(self.vectors.name + ".lock")) as alone:
            return self._read_alone(wishes) if alone else None

    def _read_alone(self, wishes: Sequence[str]) -> int | None:
        texts = read_texts(load_codebook(self.content_dir), wishes)
        if self._cache is None:
            self._cache = CachedEmbedder.opened(self._embedder or E5Embedder(), self.vectors)
        cache = self._cache
        cache.refresh()  # what another process (fabrique-bot themes) read meanwhile
        todo = sorted(cache.missing(texts), key=len) if wishes else []  # no wish: no model
        read, kept = 0, True
        try:
            for index, start in enumerate(range(0, len(todo), CHUNK), start=1):
                if self._stopping.is_set():
                    break
                read += len(cache.embed(todo[start : start + CHUNK]))
                if index % SAVE_EVERY == 0 and not (kept := cache.keep()):
                    break
            if read == len(todo):
                cache.retain(texts)
        finally:
            kept = kept and cache.keep()  # a write that just failed is not tried (or said) again
        return read if kept else None


@contextlib.contextmanager
def _alone(path: Path) -> Iterator[bool]:
    """Whether this process is the only one in the block for the lock file ``path`` (until the
    block ends); where the file cannot be made or locked (a system without ``flock``), it is."""
    try:
        import fcntl
    except ImportError:
        yield True
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        lock = path.open("a")
    except OSError:  # a folder that cannot be made: said when the vectors are written
        yield True
        return
    with lock:  # closing the file frees the lock
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            alone = True
        except BlockingIOError:
            alone = False
        except OSError:  # a file system without locks (NFS without lockd, some FUSE)
            alone = True
        yield alone


def wish_reader(settings: Settings, database: Database) -> WishReader | None:
    """The bot's reader, unless ``THEMES_READ_AHEAD`` is off or the ``themes`` extra is missing."""
    if not settings.themes_read_ahead:
        return None
    try:
        require_extra()
    except MissingExtra:
        return None
    return WishReader(database, settings.content_dir, settings.data_dir / CACHE_NAME)
