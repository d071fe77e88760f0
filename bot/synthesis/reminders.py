"""What became of the reminders of unfinished answers: the residents reminded, those who came
back to their answer (the reminder's button, or any step of the answer after it) and those who
confirmed it. Only reminders that went out count; a resident no longer linked to their reminders
(``/forget``, the retention purge) counts once per reminder."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, case, distinct, func, select

from bot.storage import Database
from bot.storage.models import Reminder


@dataclass(frozen=True)
class ReminderOutcomes:
    reminded: int = 0
    resumed: int = 0
    completed: int = 0


async def reminder_outcomes(database: Database) -> ReminderOutcomes:
    """Residents reminded, resumed and completed, each counted once."""
    who = func.coalesce(Reminder.resident_id, -Reminder.id)

    def residents(condition: ColumnElement[bool] | None = None) -> ColumnElement[int]:
        counted = who if condition is None else case((condition, who))
        return func.count(distinct(counted))

    query = select(
        residents(),
        residents(Reminder.resumed_at.is_not(None)),
        residents(Reminder.completed_at.is_not(None)),
    ).where(Reminder.sent_at.is_not(None))
    async with database.reading() as session:
        reminded, resumed, completed = (await session.execute(query)).one()
    return ReminderOutcomes(int(reminded), int(resumed), int(completed))
