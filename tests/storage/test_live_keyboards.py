"""The residents' live keyboards, recorded for a whole batch of sent messages at once."""

from datetime import UTC, datetime

from bot.storage import Database

NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)


async def test_a_batch_records_each_residents_keyboard_and_says_which_message_it_replaces(
    database: Database,
) -> None:
    async with database.transaction() as repos:
        for telegram_id in (701, 702, 703):
            resident = await repos.residents.add(telegram_id, "fr", "v1", NOW)
            state = await repos.dialogs.of(resident, NOW)
            state.keyboard_message_id = {701: 10, 702: 20, 703: None}[telegram_id]
    async with database.transaction() as repos:
        replaced = await repos.dialogs.show_keyboards([(701, 11), (999, 5), (702, 20), (703, 31)])
    assert replaced == [10, None, None, None], "a stranger and an unchanged keyboard replace nothing"
    async with database.transaction() as repos:
        assert await repos.dialogs.show_keyboards([(703, 32), (701, 12)]) == [31, 11]
        assert await repos.dialogs.show_keyboards([]) == []
