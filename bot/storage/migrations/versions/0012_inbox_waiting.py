"""The inbox's updates still to handle, indexed apart: the lines' scan reads them every second,
and the handled ones (kept an hour, to recognise a redelivery) are nearly all of the table.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

WAITING = sa.text("handled_at IS NULL")


def upgrade() -> None:
    op.create_index("ix_inbox_waiting", "inbox", ["line"], sqlite_where=WAITING, postgresql_where=WAITING)


def downgrade() -> None:
    op.drop_index("ix_inbox_waiting", table_name="inbox")
