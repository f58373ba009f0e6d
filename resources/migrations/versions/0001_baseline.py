"""Baseline: the schema the former ``Warehouse.create_all`` made (every table of the warehouse).

On a database that ``create_all`` already set up (no version table), only the tables it lacks are
created: its existing tables are today's schema, so recording this revision is the stamp.

Revision ID: 0001_baseline
Revises: (none)
Create Date: 2026-12-05 17:07:59.994605
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0001_baseline'
down_revision = None
branch_labels = None
depends_on = None


TABLES = (
    'alert_log',
    'closure_totals',
    'day_status',
    'journal_lines',
    'payment_methods_seen',
    'payments',
    'posting_log',
    'sales_lines',
    'stock_connections',
    'stock_cursors',
    'stock_customers',
    'stock_documents',
    'stock_ledger_locks',
    'stock_levels',
    'stock_movements',
    'stock_products',
    'stock_receipts',
    'stock_sync_log',
    'toporder_activations',
)


def _create_absent(name: str, *items: sa.SchemaItem) -> None:
    """Create the table (and its indexes) unless a create_all-made database already has it."""
    if not sa.inspect(op.get_bind()).has_table(name):
        op.create_table(name, *items)


def upgrade() -> None:
    _create_absent('alert_log',
        sa.Column('run_id', sa.String(length=64), nullable=False),
        sa.Column('tenant', sa.String(length=64), nullable=False),
        sa.Column('day', sa.String(length=32), nullable=False),
        sa.Column('error_class', sa.String(length=16), nullable=False),
        sa.Column('message', sa.Text(), nullable=False),
        sa.Column('failed_routes', sa.Text(), nullable=True),
        sa.Column('sent_at', sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=True),
        sa.PrimaryKeyConstraint('run_id', 'tenant', 'day')
    )
    _create_absent('closure_totals',
        sa.Column('tenant', sa.String(length=64), nullable=False),
        sa.Column('period', sa.String(length=10), nullable=False),
        sa.Column('location', sa.String(length=128), nullable=True),
        sa.Column('dimension', sa.String(length=16), nullable=True),
        sa.Column('key', sa.String(length=256), nullable=True),
        sa.Column('amount_cents', sa.BigInteger(), nullable=True),
        sa.Column('net_cents', sa.BigInteger(), nullable=True),
        sa.Column('vat_cents', sa.BigInteger(), nullable=True),
        sa.Index('ix_closure_totals_partition', 'tenant', 'period'),
    )
    _create_absent('day_status',
        sa.Column('tenant', sa.String(length=64), nullable=False),
        sa.Column('period', sa.String(length=10), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('reason', sa.Text(), nullable=True),
        sa.Column('error_class', sa.String(length=16), nullable=True),
        sa.Column('first_seen_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('tenant', 'period')
    )
    _create_absent('journal_lines',
        sa.Column('tenant', sa.String(length=64), nullable=False),
        sa.Column('period', sa.String(length=10), nullable=False),
        sa.Column('entry_key', sa.String(length=64), nullable=True),
        sa.Column('entry_label', sa.String(length=512), nullable=True),
        sa.Column('line_no', sa.Integer(), nullable=True),
        sa.Column('account', sa.String(length=16), nullable=True),
        sa.Column('label', sa.String(length=512), nullable=True),
        sa.Column('debit_cents', sa.BigInteger(), nullable=True),
        sa.Column('credit_cents', sa.BigInteger(), nullable=True),
        sa.Column('kind', sa.String(length=32), nullable=True),
        sa.Column('source_key', sa.String(length=256), nullable=True),
        sa.Column('vat_rate', sa.String(length=8), nullable=True),
        sa.Column('country', sa.String(length=2), nullable=True),
        sa.Column('mapped', sa.Boolean(), nullable=True),
        sa.Index('ix_journal_lines_partition', 'tenant', 'period'),
    )
    _create_absent('payment_methods_seen',
        sa.Column('tenant', sa.String(length=64), nullable=False),
        sa.Column('method', sa.String(length=256), nullable=False),
        sa.Column('first_seen', sa.String(length=10), nullable=False),
        sa.Column('last_seen', sa.String(length=10), nullable=False),
        sa.PrimaryKeyConstraint('tenant', 'method')
    )
    _create_absent('payments',
        sa.Column('tenant', sa.String(length=64), nullable=False),
        sa.Column('period', sa.String(length=10), nullable=False),
        sa.Column('order_id', sa.String(length=128), nullable=True),
        sa.Column('payment_id', sa.String(length=128), nullable=True),
        sa.Column('location', sa.String(length=128), nullable=True),
        sa.Column('method', sa.String(length=256), nullable=True),
        sa.Column('amount_cents', sa.BigInteger(), nullable=True),
        sa.Column('tip_cents', sa.BigInteger(), nullable=True),
        sa.Column('is_refund', sa.Boolean(), nullable=True),
        sa.Column('currency', sa.String(length=3), nullable=True),
        sa.Index('ix_payments_partition', 'tenant', 'period'),
    )
    _create_absent('posting_log',
        sa.Column('tenant', sa.String(length=64), nullable=False),
        sa.Column('period', sa.String(length=10), nullable=False),
        sa.Column('entry_key', sa.String(length=128), nullable=False),
        sa.Column('piece_number', sa.String(length=64), nullable=False),
        sa.Column('payload_hash', sa.String(length=64), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('pennylane_id', sa.BigInteger(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint('tenant', 'entry_key', name='uq_posting_log_tenant_entry'),
        sa.Index('ix_posting_log_partition', 'tenant', 'period'),
    )
    _create_absent('sales_lines',
        sa.Column('tenant', sa.String(length=64), nullable=False),
        sa.Column('period', sa.String(length=10), nullable=False),
        sa.Column('order_id', sa.String(length=128), nullable=True),
        sa.Column('line_id', sa.String(length=128), nullable=True),
        sa.Column('location', sa.String(length=128), nullable=True),
        sa.Column('kind', sa.String(length=32), nullable=True),
        sa.Column('product_id', sa.String(length=128), nullable=True),
        sa.Column('sku', sa.String(length=128), nullable=True),
        sa.Column('category', sa.String(length=256), nullable=True),
        sa.Column('quantity', sa.Float(), nullable=True),
        sa.Column('net_cents', sa.BigInteger(), nullable=True),
        sa.Column('vat_rate', sa.String(length=8), nullable=True),
        sa.Column('vat_cents', sa.BigInteger(), nullable=True),
        sa.Column('gross_cents', sa.BigInteger(), nullable=True),
        sa.Column('country', sa.String(length=2), nullable=True),
        sa.Column('is_refund', sa.Boolean(), nullable=True),
        sa.Column('currency', sa.String(length=3), nullable=True),
        sa.Index('ix_sales_lines_partition', 'tenant', 'period'),
    )
    _create_absent('stock_connections',
        sa.Column('tenant', sa.String(length=64), nullable=False),
        sa.Column('connected', sa.Boolean(), nullable=False),
        sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('tenant')
    )
    _create_absent('stock_cursors',
        sa.Column('tenant', sa.String(length=64), nullable=False),
        sa.Column('resource', sa.String(length=64), nullable=False),
        sa.Column('cursor', sa.Text(), nullable=True),
        sa.Column('resume_at', sa.String(length=40), nullable=True),
        sa.Column('watermark', sa.String(length=64), nullable=True),
        sa.Column('synced_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('full_scan_at', sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('tenant', 'resource')
    )
    _create_absent('stock_customers',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('tenant', sa.String(length=64), nullable=False),
        sa.Column('customer_type', sa.String(length=16), nullable=False),
        sa.Column('name', sa.String(length=512), nullable=False),
        sa.Column('email', sa.String(length=320), nullable=True),
        sa.Column('address', sa.Text(), nullable=True),
        sa.Column('pennylane_id', sa.BigInteger(), nullable=True),
        sa.Column('synced_name', sa.String(length=512), nullable=True),
        sa.Column('synced_email', sa.String(length=320), nullable=True),
        sa.Column('local_changed_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('remote_updated_at', sa.String(length=40), nullable=True),
        sa.PrimaryKeyConstraint('id'),
        sa.Index('ix_stock_customers_pl', 'tenant', 'pennylane_id'),
    )
    _create_absent('stock_documents',
        sa.Column('tenant', sa.String(length=64), nullable=False),
        sa.Column('doc_id', sa.String(length=128), nullable=False),
        sa.Column('kind', sa.String(length=32), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('fingerprint', sa.String(length=64), nullable=False),
        sa.Column('date', sa.String(length=10), nullable=False),
        sa.Column('location', sa.String(length=128), nullable=False),
        sa.Column('active', sa.Boolean(), nullable=False),
        sa.Column('customer', sa.String(length=64), nullable=True),
        sa.Column('order_ref', sa.String(length=128), nullable=True),
        sa.Column('credited_doc', sa.String(length=128), nullable=True),
        sa.Column('number', sa.String(length=128), nullable=True),
        sa.Column('lines', sa.Text(), nullable=False),
        sa.Column('remote_updated_at', sa.String(length=40), nullable=True),
        sa.Column('seen_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('tenant', 'doc_id'),
        sa.Index('ix_stock_documents_date', 'tenant', 'date'),
    )
    _create_absent('stock_ledger_locks',
        sa.Column('tenant', sa.String(length=64), nullable=False),
        sa.Column('writes', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('tenant')
    )
    _create_absent('stock_levels',
        sa.Column('tenant', sa.String(length=64), nullable=False),
        sa.Column('period', sa.String(length=10), nullable=False),
        sa.Column('product', sa.String(length=64), nullable=False),
        sa.Column('location', sa.String(length=128), nullable=False),
        sa.Column('on_hand_milli', sa.BigInteger(), nullable=False),
        sa.Column('reserved_milli', sa.BigInteger(), nullable=False),
        sa.Column('available_milli', sa.BigInteger(), nullable=False),
        sa.Index('ix_stock_levels_partition', 'tenant', 'period'),
    )
    _create_absent('stock_movements',
        sa.Column('tenant', sa.String(length=64), nullable=False),
        sa.Column('key', sa.String(length=400), nullable=False),
        sa.Column('doc_id', sa.String(length=128), nullable=False),
        sa.Column('kind', sa.String(length=32), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('line_id', sa.String(length=128), nullable=False),
        sa.Column('product', sa.String(length=64), nullable=False),
        sa.Column('location', sa.String(length=128), nullable=False),
        sa.Column('date', sa.String(length=10), nullable=False),
        sa.Column('on_hand_milli', sa.BigInteger(), nullable=False),
        sa.Column('reserved_milli', sa.BigInteger(), nullable=False),
        sa.Column('returned_milli', sa.BigInteger(), nullable=False),
        sa.Column('reason', sa.String(length=256), nullable=False),
        sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('tenant', 'key'),
        sa.Index('ix_stock_movements_date', 'tenant', 'date'),
    )
    _create_absent('stock_products',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('tenant', sa.String(length=64), nullable=False),
        sa.Column('name', sa.String(length=512), nullable=False),
        sa.Column('sku', sa.String(length=256), nullable=True),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('tracked', sa.Boolean(), nullable=False),
        sa.Column('active', sa.Boolean(), nullable=False),
        sa.Column('deleted', sa.Boolean(), nullable=False),
        sa.Column('pennylane_id', sa.BigInteger(), nullable=True),
        sa.Column('remote_deleted', sa.Boolean(), nullable=False),
        sa.Column('synced_name', sa.String(length=512), nullable=True),
        sa.Column('synced_sku', sa.String(length=256), nullable=True),
        sa.Column('local_changed_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('remote_updated_at', sa.String(length=40), nullable=True),
        sa.Column('merge_of', sa.Integer(), nullable=True),
        sa.Column('merge_status', sa.String(length=16), nullable=True),
        sa.Column('merged_into', sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint('id'),
        sa.Index('ix_stock_products_pl', 'tenant', 'pennylane_id'),
    )
    _create_absent('stock_receipts',
        sa.Column('tenant', sa.String(length=64), nullable=False),
        sa.Column('receipt_id', sa.String(length=128), nullable=False),
        sa.Column('date', sa.String(length=10), nullable=False),
        sa.Column('supplier', sa.String(length=256), nullable=False),
        sa.Column('location', sa.String(length=128), nullable=False),
        sa.Column('lines', sa.Text(), nullable=False),
        sa.Column('send_status', sa.String(length=16), nullable=False),
        sa.Column('file_attachment_id', sa.BigInteger(), nullable=True),
        sa.Column('supplier_invoice_id', sa.BigInteger(), nullable=True),
        sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('tenant', 'receipt_id')
    )
    _create_absent('stock_sync_log',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('tenant', sa.String(length=64), nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('event', sa.String(length=32), nullable=False),
        sa.Column('subject', sa.String(length=256), nullable=False),
        sa.Column('message', sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint('id')
    )
    _create_absent('toporder_activations',
        sa.Column('tenant', sa.String(length=64), nullable=False),
        sa.Column('identifier', sa.String(length=64), nullable=False),
        sa.Column('activated_on', sa.Date(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('tenant'),
        sa.UniqueConstraint('identifier')
    )


def downgrade() -> None:
    for name in reversed(TABLES):
        op.drop_table(name)
