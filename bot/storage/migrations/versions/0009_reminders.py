"""Reminders: one per answer left unfinished, delivered through the broadcast engine.

Residents may opt out (``residents.reminders``); a dialog state knows when its answer is due for
its reminder (``remind_at``) and which reminder it got (``reminder_id``); a delivery is either an
announcement's (``broadcast_id``) or a reminder's (``reminder_id``).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "reminders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("resident_id", sa.Integer(), nullable=True),
        sa.Column("paradox_id", sa.String(16), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("left_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resumed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["resident_id"], ["residents.id"], name="fk_reminders_resident_id_residents", ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_reminders"),
    )
    op.create_index("ix_reminders_resident_id", "reminders", ["resident_id"])
    with op.batch_alter_table("residents") as batch:
        batch.add_column(sa.Column("reminders", sa.Boolean(), nullable=False, server_default=sa.true()))
    with op.batch_alter_table("dialog_states") as batch:
        batch.add_column(sa.Column("remind_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("reminder_id", sa.Integer(), nullable=True))
        batch.create_index("ix_dialog_states_remind_at", ["remind_at"])
    with op.batch_alter_table("deliveries") as batch:
        batch.alter_column("broadcast_id", existing_type=sa.Integer(), nullable=True)
        batch.add_column(sa.Column("reminder_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            "fk_deliveries_reminder_id_reminders", "reminders", ["reminder_id"], ["id"], ondelete="CASCADE"
        )
        batch.create_unique_constraint("uq_deliveries_reminder_id", ["reminder_id"])


def downgrade() -> None:
    op.execute("DELETE FROM deliveries WHERE broadcast_id IS NULL")
    with op.batch_alter_table("deliveries") as batch:
        batch.drop_constraint("uq_deliveries_reminder_id", type_="unique")
        batch.drop_constraint("fk_deliveries_reminder_id_reminders", type_="foreignkey")
        batch.drop_column("reminder_id")
        batch.alter_column("broadcast_id", existing_type=sa.Integer(), nullable=False)
    with op.batch_alter_table("dialog_states") as batch:
        batch.drop_index("ix_dialog_states_remind_at")
        batch.drop_column("reminder_id")
        batch.drop_column("remind_at")
    with op.batch_alter_table("residents") as batch:
        batch.drop_column("reminders")
    op.drop_index("ix_reminders_resident_id", "reminders")
    op.drop_table("reminders")
