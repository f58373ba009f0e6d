"""Sales lines carry the buyer's VAT number (``buyer_vat_id``: intra-EU B2B at 0 %, never OSS).

Revision ID: 0002_sales_lines_buyer_vat_id
Revises: 0001_baseline
Create Date: 2026-12-05 18:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0002_sales_lines_buyer_vat_id'
down_revision = '0001_baseline'
branch_labels = None
depends_on = None


def upgrade() -> None:
    columns = {c["name"] for c in sa.inspect(op.get_bind()).get_columns('sales_lines')}
    if 'buyer_vat_id' in columns:  # a database made from today's models already has it
        return
    op.add_column('sales_lines', sa.Column('buyer_vat_id', sa.String(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('sales_lines') as batch:
        batch.drop_column('buyer_vat_id')
