"""The census of the rankings (``bot/storage/tallies.py``) reads indexes, not the answers: the
rankings counted by persona and territory, and each persona's and territory's residents counted
in index order, without sorting the answers.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXES = {
    "ix_answers_ranking_persona_territory": ["ranking", "persona_id", "territory"],
    "ix_answers_persona_resident": ["persona_id", "resident_id", "ranking"],
    "ix_answers_territory_resident": ["territory", "resident_id", "ranking"],
}


def upgrade() -> None:
    for name, columns in INDEXES.items():
        op.create_index(name, "answers", columns)


def downgrade() -> None:
    for name in INDEXES:
        op.drop_index(name, "answers")
