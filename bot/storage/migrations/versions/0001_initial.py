"""Initial schema: residents, their dialog state, and confirmed answers.

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "residents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("telegram_id", sa.BigInteger(), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("consent_version", sa.String(length=32), nullable=False),
        sa.Column("consented_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("subscribed", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_residents")),
        sa.UniqueConstraint("telegram_id", name=op.f("uq_residents_telegram_id")),
    )
    op.create_table(
        "answers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("resident_id", sa.Integer(), nullable=True),
        sa.Column("paradox_id", sa.String(length=16), nullable=False),
        sa.Column("persona_id", sa.String(length=16), nullable=False),
        sa.Column("wish", sa.Text(), nullable=False),
        sa.Column("ranking", sa.String(length=200), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("source", sa.String(length=64), nullable=True),
        sa.Column("consent_version", sa.String(length=32), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["resident_id"],
            ["residents.id"],
            name=op.f("fk_answers_resident_id_residents"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_answers")),
        sa.UniqueConstraint("resident_id", "paradox_id", name=op.f("uq_answers_resident_id")),
    )
    with op.batch_alter_table("answers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_answers_resident_id"), ["resident_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_answers_submitted_at"), ["submitted_at"], unique=False)

    op.create_table(
        "dialog_states",
        sa.Column("resident_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("step", sa.String(length=16), nullable=False),
        sa.Column("paradox_id", sa.String(length=16), nullable=True),
        sa.Column("persona_id", sa.String(length=16), nullable=True),
        sa.Column("persona_page", sa.Integer(), nullable=False),
        sa.Column("persona_detail", sa.String(length=16), nullable=True),
        sa.Column("wish", sa.Text(), nullable=True),
        sa.Column("ranking", sa.String(length=200), nullable=False),
        sa.Column("return_to_summary", sa.Boolean(), nullable=False),
        sa.Column("source", sa.String(length=64), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["resident_id"],
            ["residents.id"],
            name=op.f("fk_dialog_states_resident_id_residents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("resident_id", name=op.f("pk_dialog_states")),
    )


def downgrade() -> None:
    op.drop_table("dialog_states")
    with op.batch_alter_table("answers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_answers_submitted_at"))
        batch_op.drop_index(batch_op.f("ix_answers_resident_id"))

    op.drop_table("answers")
    op.drop_table("residents")
