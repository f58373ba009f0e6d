"""Stock tables, declared on the warehouse's ``METADATA`` (DESIGN.md §8).

- ``stock_connections``  per tenant: connected to Pennylane or not (disconnect keeps everything).
- ``stock_cursors``      per tenant × resource: changelog cursor, where to resume, last call.
- ``stock_documents``    current version of every Pennylane document and local receipt seen.
- ``stock_movements``    the ledger; ``key`` unique per tenant (document, version, line...).
- ``stock_levels``       end-of-day levels per product × location (partition: tenant × day).
- ``stock_products``     local products, their Pennylane id, last synced name/SKU, merge flags.
- ``stock_customers``    local customers, their Pennylane id, last synced name/e-mail.
- ``stock_receipts``     goods receipts and their supplier-invoice sending state.
- ``stock_sync_log``     what the sync decided (conflicts, merges, skipped lines), for humans.
"""

from __future__ import annotations

import sqlalchemy as sa

from resources.warehouse import METADATA

S = sa.String
BIG = sa.BigInteger
TS = sa.DateTime(timezone=True)

stock_connections = sa.Table(
    "stock_connections", METADATA,
    sa.Column("tenant", S(64), primary_key=True),
    sa.Column("connected", sa.Boolean, nullable=False),
    sa.Column("changed_at", TS, nullable=False),
)
stock_cursors = sa.Table(
    "stock_cursors", METADATA,
    sa.Column("tenant", S(64), primary_key=True),
    sa.Column("resource", S(64), primary_key=True),
    sa.Column("cursor", sa.Text),
    sa.Column("resume_at", S(40)),  # processed_at of the last event read (when no cursor is given)
    sa.Column("watermark", S(64)),  # commercial documents: highest id seen
    sa.Column("synced_at", TS),  # last successful read
    sa.Column("full_scan_at", TS),  # last full listing
)
stock_documents = sa.Table(
    "stock_documents", METADATA,
    sa.Column("tenant", S(64), primary_key=True),
    sa.Column("doc_id", S(128), primary_key=True),
    sa.Column("kind", S(32), nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("fingerprint", S(64), nullable=False),
    sa.Column("date", S(10), nullable=False),
    sa.Column("location", S(128), nullable=False),
    sa.Column("active", sa.Boolean, nullable=False),
    sa.Column("customer", S(64)),
    sa.Column("order_ref", S(128)),
    sa.Column("credited_doc", S(128)),
    sa.Column("number", S(128)),
    sa.Column("lines", sa.Text, nullable=False),  # JSON [[line_id, product, qty_milli], ...]
    sa.Column("remote_updated_at", S(40)),
    sa.Column("seen_at", TS, nullable=False),
    sa.Index("ix_stock_documents_date", "tenant", "date"),
)
stock_movements = sa.Table(
    "stock_movements", METADATA,
    sa.Column("tenant", S(64), primary_key=True),
    sa.Column("key", S(400), primary_key=True),
    sa.Column("doc_id", S(128), nullable=False),
    sa.Column("kind", S(32), nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("line_id", S(128), nullable=False),
    sa.Column("product", S(64), nullable=False),
    sa.Column("location", S(128), nullable=False),
    sa.Column("date", S(10), nullable=False),
    sa.Column("on_hand_milli", BIG, nullable=False),
    sa.Column("reserved_milli", BIG, nullable=False),
    sa.Column("returned_milli", BIG, nullable=False),
    sa.Column("reason", S(256), nullable=False),
    sa.Column("recorded_at", TS, nullable=False),
    sa.Index("ix_stock_movements_date", "tenant", "date"),
)
stock_levels = sa.Table(
    "stock_levels", METADATA,
    sa.Column("tenant", S(64), nullable=False),
    sa.Column("period", S(10), nullable=False),
    sa.Column("product", S(64), nullable=False),
    sa.Column("location", S(128), nullable=False),
    sa.Column("on_hand_milli", BIG, nullable=False),
    sa.Column("reserved_milli", BIG, nullable=False),
    sa.Column("available_milli", BIG, nullable=False),
    sa.Index("ix_stock_levels_partition", "tenant", "period"),
)
stock_products = sa.Table(
    "stock_products", METADATA,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("tenant", S(64), nullable=False),
    sa.Column("name", S(512), nullable=False),
    sa.Column("sku", S(256)),
    sa.Column("kind", S(16), nullable=False),  # goods | service
    sa.Column("tracked", sa.Boolean, nullable=False),  # false: a service seen but not imported
    sa.Column("active", sa.Boolean, nullable=False),
    sa.Column("deleted", sa.Boolean, nullable=False),
    sa.Column("pennylane_id", BIG),
    sa.Column("remote_deleted", sa.Boolean, nullable=False),
    sa.Column("synced_name", S(512)),
    sa.Column("synced_sku", S(256)),
    sa.Column("local_changed_at", TS),
    sa.Column("remote_updated_at", S(40)),
    sa.Column("merge_of", sa.Integer),  # flagged: probably the same product as this one
    sa.Column("merge_status", S(16)),  # flagged | merged | dismissed
    sa.Column("merged_into", sa.Integer),
    sa.Index("ix_stock_products_pl", "tenant", "pennylane_id"),
)
stock_customers = sa.Table(
    "stock_customers", METADATA,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("tenant", S(64), nullable=False),
    sa.Column("customer_type", S(16), nullable=False),  # company | individual
    sa.Column("name", S(512), nullable=False),
    sa.Column("email", S(320)),
    sa.Column("address", sa.Text),  # JSON billing address, for customers created locally
    sa.Column("pennylane_id", BIG),
    sa.Column("synced_name", S(512)),
    sa.Column("synced_email", S(320)),
    sa.Column("local_changed_at", TS),
    sa.Column("remote_updated_at", S(40)),
    sa.Index("ix_stock_customers_pl", "tenant", "pennylane_id"),
)
stock_receipts = sa.Table(
    "stock_receipts", METADATA,
    sa.Column("tenant", S(64), primary_key=True),
    sa.Column("receipt_id", S(128), primary_key=True),
    sa.Column("date", S(10), nullable=False),
    sa.Column("supplier", S(256), nullable=False),
    sa.Column("location", S(128), nullable=False),
    sa.Column("lines", sa.Text, nullable=False),  # JSON [{sku, product, quantity, unit_cost, vat_rate}]
    sa.Column("send_status", S(16), nullable=False),  # local | pending | sending | sent
    sa.Column("file_attachment_id", BIG),
    sa.Column("supplier_invoice_id", BIG),
    sa.Column("sent_at", TS),
    sa.Column("created_at", TS, nullable=False),
)
stock_sync_log = sa.Table(
    "stock_sync_log", METADATA,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("tenant", S(64), nullable=False),
    sa.Column("at", TS, nullable=False),
    sa.Column("event", S(32), nullable=False),  # conflict | merge_flag | skipped_line | pushed | ...
    sa.Column("subject", S(256), nullable=False),
    sa.Column("message", sa.Text, nullable=False),
)

# One row per tenant, updated first in every ledger write: serialises writers (Postgres row lock,
# SQLite write lock) so two concurrent runs cannot both append a plan made from the same ledger.
stock_ledger_locks = sa.Table(
    "stock_ledger_locks", METADATA,
    sa.Column("tenant", S(64), primary_key=True),
    sa.Column("writes", sa.Integer, nullable=False),
)
