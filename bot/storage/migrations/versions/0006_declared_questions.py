"""Questions as declarations: the draft as JSON; where residents live and their age.

The draft answer moves from one column per question to ``draft`` (JSON by question id) and
``view`` (what the current step shows), so a new question needs no migration. Residents get
a ``profile`` (the answers asked once), and each answer keeps the commune, territory and age
band as they were, plus ``details`` for declared questions without typed columns and, once
unlinked from its resident, a random ``respondent`` number shared with their other answers.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30
"""

import json
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OLD = ("persona_id", "persona_page", "persona_detail", "wish", "ranking", "return_to_summary")


def upgrade() -> None:
    with op.batch_alter_table("dialog_states") as batch:
        batch.add_column(sa.Column("draft", sa.Text(), nullable=True))
        batch.add_column(sa.Column("view", sa.Text(), nullable=True))
        batch.add_column(sa.Column("return_to", sa.String(16), nullable=True))
        batch.add_column(sa.Column("resume", sa.String(16), nullable=True))
    states = sa.table(
        "dialog_states",
        sa.column("resident_id", sa.Integer()),
        sa.column("step", sa.String()),
        sa.column("draft", sa.Text()),
        sa.column("view", sa.Text()),
        sa.column("return_to", sa.String()),
        *(sa.column(name) for name in _OLD),
    )
    bind = op.get_bind()
    for row in bind.execute(sa.select(states)).mappings().all():
        ranking = [value for value in (row["ranking"] or "").split(",") if value]
        draft = {"persona": row["persona_id"], "wish": row["wish"]}
        view: dict[str, object] = {"page": row["persona_page"] or 0, "detail": row["persona_detail"]}
        if row["step"] == "values":
            view["ranked"] = ranking  # the ranking is complete once the step is left
        elif ranking:
            draft["values"] = ranking
        bind.execute(
            states.update()
            .where(states.c.resident_id == row["resident_id"])
            .values(
                draft=json.dumps({k: v for k, v in draft.items() if v is not None}, ensure_ascii=False),
                view=json.dumps({k: v for k, v in view.items() if v}, ensure_ascii=False),
                return_to="summary" if row["return_to_summary"] else None,
            )
        )
    with op.batch_alter_table("dialog_states") as batch:
        for name in _OLD:
            batch.drop_column(name)
    with op.batch_alter_table("residents") as batch:
        batch.add_column(sa.Column("profile", sa.Text(), nullable=True))
    with op.batch_alter_table("answers") as batch:
        batch.add_column(sa.Column("commune", sa.String(5), nullable=True))
        batch.add_column(sa.Column("territory", sa.String(32), nullable=True))
        batch.add_column(sa.Column("age_band", sa.String(8), nullable=True))
        batch.add_column(sa.Column("respondent", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("details", sa.Text(), nullable=True))
        batch.create_index("ix_answers_commune", ["commune"])


def downgrade() -> None:
    with op.batch_alter_table("answers") as batch:
        batch.drop_index("ix_answers_commune")
        for name in ("details", "respondent", "age_band", "territory", "commune"):
            batch.drop_column(name)
    with op.batch_alter_table("residents") as batch:
        batch.drop_column("profile")
    with op.batch_alter_table("dialog_states") as batch:
        batch.add_column(sa.Column("persona_id", sa.String(16), nullable=True))
        batch.add_column(sa.Column("persona_page", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("persona_detail", sa.String(16), nullable=True))
        batch.add_column(sa.Column("wish", sa.Text(), nullable=True))
        batch.add_column(sa.Column("ranking", sa.String(200), nullable=False, server_default=""))
        batch.add_column(
            sa.Column("return_to_summary", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        for name in ("resume", "return_to", "view", "draft"):
            batch.drop_column(name)
