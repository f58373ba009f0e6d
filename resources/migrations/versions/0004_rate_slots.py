"""One rate budget per credential shared by every run and pod: ``rate_slots`` (one row per
request in flight or answered less than a window ago), see ``resources/rate_budget.py``.

Revision ID: 0004_rate_slots
Revises: 0003_pennylane_cache
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_rate_slots"
down_revision = "0003_pennylane_cache"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if sa.inspect(op.get_bind()).has_table("rate_slots"):  # a database made by the former create_all
        return
    op.create_table(
        "rate_slots",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("credential", sa.String(length=200), nullable=False),
        sa.Column("at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_rate_slots_credential", "rate_slots", ["credential", "at"])


def downgrade() -> None:
    op.drop_index("ix_rate_slots_credential", table_name="rate_slots")
    op.drop_table("rate_slots")
