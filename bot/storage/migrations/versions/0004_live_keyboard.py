"""The message holding a resident's live keyboard, so that earlier ones lose their buttons.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("dialog_states") as batch:
        batch.add_column(sa.Column("keyboard_message_id", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("dialog_states") as batch:
        batch.drop_column("keyboard_message_id")
