"""The database: migrations build exactly the models' schema, on SQLite (WAL) and PostgreSQL."""

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, text

from bot.storage import Database
from bot.storage.models import Base


def differences(connection: Connection) -> list[object]:
    return list(compare_metadata(MigrationContext.configure(connection), Base.metadata))


async def test_migrations_build_the_models_schema(database_url: str) -> None:
    database = Database(database_url)
    try:
        assert not await database.is_at_head()
        await database.upgrade()
        await database.upgrade()  # idempotent
        assert await database.is_at_head()
        async with database.engine.connect() as connection:
            assert await connection.run_sync(differences) == []
    finally:
        await database.close()


async def test_sqlite_is_one_file_in_wal_mode(tmp_path: Path) -> None:
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'nested' / 'fabrique.sqlite3'}")
    try:
        await database.upgrade()
        async with database.engine.connect() as connection:
            mode = (await connection.execute(text("PRAGMA journal_mode"))).scalar()
        assert mode == "wal"
    finally:
        await database.close()
    assert (tmp_path / "nested" / "fabrique.sqlite3").is_file()
