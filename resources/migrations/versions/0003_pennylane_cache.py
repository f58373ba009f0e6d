"""Pennylane answers shared by every run and pod: the ``GET /me`` answer per token per day
(``pennylane_me``) and journal / ledger-account ids per company (``pennylane_ids``), see
``resources/pennylane/cache.py``.

Revision ID: 0003_pennylane_cache
Revises: 0002_sales_lines_buyer_vat_id
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_pennylane_cache"
down_revision = "0002_sales_lines_buyer_vat_id"
branch_labels = None
depends_on = None


def _create_absent(name: str, *items: sa.SchemaItem) -> None:
    """Create the table unless a database made by the former ``create_all`` already has it."""
    if not sa.inspect(op.get_bind()).has_table(name):
        op.create_table(name, *items)


def upgrade() -> None:
    _create_absent(
        "pennylane_me",
        sa.Column("account", sa.String(length=300), nullable=False),
        sa.Column("checked_on", sa.Date(), nullable=False),
        sa.Column("company_id", sa.BigInteger(), nullable=False),
        sa.Column("answer", sa.Text(), nullable=False),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("account", "checked_on"),
    )
    _create_absent(
        "pennylane_ids",
        sa.Column("company", sa.String(length=300), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("pennylane_id", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("company", "kind", "key"),
    )


def downgrade() -> None:
    op.drop_table("pennylane_ids")
    op.drop_table("pennylane_me")
