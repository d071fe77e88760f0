"""Deliberation: wishes shared for other residents to weigh, and their votes.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "shared_wishes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("answer_id", sa.Integer(), nullable=True),
        sa.Column("paradox_id", sa.String(16), nullable=False),
        sa.Column("persona_id", sa.String(16), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("state", sa.String(12), nullable=False),
        sa.Column("reason", sa.String(16), nullable=True),
        sa.Column("claimed_by", sa.BigInteger(), nullable=True),
        sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("shared_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("moderated_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["answer_id"], ["answers.id"], name="fk_shared_wishes_answer_id_answers", ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_shared_wishes"),
    )
    op.create_index("ix_shared_wishes_answer_id", "shared_wishes", ["answer_id"])
    op.create_index("ix_shared_wishes_state", "shared_wishes", ["state"])
    op.create_table(
        "votes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("wish_id", sa.Integer(), nullable=False),
        sa.Column("resident_id", sa.Integer(), nullable=True),
        sa.Column("respondent", sa.BigInteger(), nullable=True),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.Column("voted_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["wish_id"], ["shared_wishes.id"], name="fk_votes_wish_id_shared_wishes", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["resident_id"], ["residents.id"], name="fk_votes_resident_id_residents", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_votes"),
        sa.UniqueConstraint("wish_id", "resident_id", name="uq_votes_wish_id"),
    )
    op.create_index("ix_votes_wish_id", "votes", ["wish_id"])
    op.create_index("ix_votes_resident_id", "votes", ["resident_id"])


def downgrade() -> None:
    op.drop_table("votes")
    op.drop_table("shared_wishes")
