"""The outbox keeps each line's calls in the order an update wrote them, however many at once."""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine

from bot.storage import Database, Repositories
from bot.storage.queues import Call, Outgoing

NOW = datetime(2026, 12, 2, 12, tzinfo=UTC)


def calls(line: int, count: int) -> list[Call]:
    return [Call("sendMessage", {"chat_id": line, "text": f"{line}-{n}"}) for n in range(count)]


def texts(outgoing: list[Outgoing]) -> list[str]:
    return [item.call.params["text"] for item in outgoing]


@contextmanager
def statements() -> Iterator[list[str]]:
    """The SQL statements sent to any database inside the block."""
    sent: list[str] = []

    def seen(_connection: Any, _cursor: Any, statement: str, *_: Any) -> None:
        sent.append(statement)

    event.listen(Engine, "before_cursor_execute", seen)
    try:
        yield sent
    finally:
        event.remove(Engine, "before_cursor_execute", seen)


async def test_calls_written_together_come_back_in_their_order_with_growing_ids(database: Database) -> None:
    async with database.transaction() as repos:
        other = await repos.outbox.add(802, calls(802, 3), NOW)
        with statements() as sent:
            first = await repos.outbox.add(801, calls(801, 7), NOW)
    assert sum(statement.startswith("INSERT INTO outbox") for statement in sent) == 1, "one statement"
    assert texts(first) == [f"801-{n}" for n in range(7)]
    assert [item.id for item in first] == sorted(item.id for item in first)
    async with database.transaction() as repos:
        await repos.outbox.done(item.id for item in first[3:])  # the highest ids: SQLite reuses them
        again = await repos.outbox.add(801, calls(801, 12)[7:], NOW)
    assert texts(again) == [f"801-{n}" for n in range(7, 12)]
    async with database.session() as session:
        pending, _ = await Repositories(session).outbox.work(801)
        assert texts(pending) == [f"801-{n}" for n in (0, 1, 2, *range(7, 12))]
        assert [item.id for item in pending] == [item.id for item in first[:3] + again]
        assert texts((await Repositories(session).outbox.work(802))[0]) == texts(other)
