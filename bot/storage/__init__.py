"""Durable storage: SQLAlchemy models, repositories and Alembic migrations."""

from bot.storage.database import Database
from bot.storage.models import Answer, DialogState, Resident
from bot.storage.queues import InboxUpdate, OutboxCall
from bot.storage.repositories import Repositories

__all__ = ["Answer", "Database", "DialogState", "InboxUpdate", "OutboxCall", "Repositories", "Resident"]
