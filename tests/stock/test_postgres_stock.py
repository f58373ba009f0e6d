"""The stock tables on PostgreSQL: the same sync, movements and levels as on SQLite."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from pipelines.stock.receipts import ReceiptLine, record_receipt

pytestmark = pytest.mark.postgres


def test_stock_sync_on_a_postgres_warehouse(stock_env, postgres_url):
    env = stock_env(warehouse_url=postgres_url, delivery_notes_update_on_hand=True,
                    locations=["boutique", "reserve"], default_location="boutique")
    p = env.pl.product("Savon lavande", "SAV-LAV")
    c = env.pl.customer("Hôtel du Lac", "compta@lac.fr")
    env.sync()
    record_receipt(env.store, env.tenant, "R-1", "2026-03-01", "Savonnerie", [ReceiptLine("SAV-LAV", "10", "2.00")])
    record_receipt(env.store, env.tenant, "R-2", "2026-03-01", "Savonnerie", [ReceiptLine("SAV-LAV", "4", "2.00")],
                   "reserve")
    env.pl.commercial("purchasing_order", c["id"], (p["id"], 3))
    env.sync()
    assert env.level(p["id"], "boutique") == (D(10), D(3), D(7))  # the order reserves only
    env.pl.commercial("shipping_order", c["id"], (p["id"], 3), day="2026-03-03")
    env.sync()
    assert env.level(p["id"], "boutique") == (D(7), D(0), D(7))  # the delivery note moves on hand
    assert env.level(p["id"], "reserve") == (D(4), D(0), D(4))
    again = env.sync()
    assert again.movements_added == 0
    assert env.level(p["id"], "boutique") == (D(7), D(0), D(7))
    env.store.engine.dispose()
