"""Routing: each published wish's extremity from the last analysis of the votes.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "wish_extremities",
        sa.Column("wish_id", sa.Integer(), nullable=False),
        sa.Column("extremity", sa.Float(), nullable=False),
        sa.Column("analysed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["wish_id"],
            ["shared_wishes.id"],
            name="fk_wish_extremities_wish_id_shared_wishes",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("wish_id", name="pk_wish_extremities"),
    )


def downgrade() -> None:
    op.drop_table("wish_extremities")
