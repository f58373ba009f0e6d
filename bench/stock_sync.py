"""Stock sync figures against the Pennylane emulator over a real socket (real 25 req / 5 s limit).

(a) latency: from a document appearing in Pennylane to the stock level changing, when a sync
    runs right after (the schedule adds up to 30 min of waiting on top: worst case = 30 min + this);
(b) requests per sync for an idle tenant (target: one changelog call per resource).

    .venv/bin/python bench/stock_sync.py
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from emulators.pennylane.app import create_app
from emulators.server import serve
from pipelines.stock.ledger import compute_levels
from pipelines.stock.sync import run_stock_sync
from resources.pennylane import PennylaneClient
from resources.stock.store import StockStore
from resources.tenants import TenantConfig
from resources.warehouse import Warehouse


def main() -> None:
    tmp = Path(tempfile.mkdtemp())
    with serve(create_app(tmp / "pl.db")) as srv:
        token = f"tok-{uuid.uuid4().hex}"
        httpx.post(f"{srv.url}/_emulator/companies", json={"token": token, "name": "bench"}).raise_for_status()
        client = PennylaneClient(token, srv.url + "/api/external/v2", tenant="bench")
        tenant = TenantConfig.model_validate({
            "slug": "bench", "name": "Bench", "siret": "73282932000074", "start_date": "2026-01-01",
            "source": {"type": "shopify", "base_url": "https://shop.myshopify.com",
                       "credentials": {"access_token": "SHOPIFY_TOKEN"}}, "pennylane": {"token_env": "X"},
            "stock": {"enabled": True, "locations": ["main", "van"], "default_location": "main"}})
        store = StockStore(Warehouse(f"sqlite:///{tmp / 'wh.db'}"))
        products = [client.create_product({"label": f"P{i}", "reference": f"SKU-{i}", "price_before_tax": "5.00",
                                           "vat_rate": "FR_200"}) for i in range(20)]
        cust = client.create_company_customer({"name": "C", "emails": ["c@c.fr"], "billing_address": {
            "address": "1 rue", "postal_code": "75001", "city": "Paris", "country_alpha2": "FR"}})
        run_stock_sync(tenant, client, store)
        latencies, requests_busy = [], []
        for i in range(10):
            pid = products[i]["id"]
            before = compute_levels(store, tenant, "2026-12-31", write=False)
            t0 = time.perf_counter()
            httpx.post(f"{srv.url}/_emulator/seed/customer_invoices", json={
                "token": token, "date": "2026-11-20", "customer_id": cust["id"],
                "lines": [{"product_id": pid, "quantity": "2", "raw_currency_unit_price": "5.00", "label": "x"}],
            }).raise_for_status()
            report = run_stock_sync(tenant, client, store, day="2026-12-31")
            after = compute_levels(store, tenant, "2026-12-31", write=False)
            latencies.append(time.perf_counter() - t0)
            requests_busy.append(report.requests)
            assert not before.equals(after), "level did not change"
        idle = [run_stock_sync(tenant, client, store) for _ in range(5)]
        print(f"(a) document in Pennylane → level changed (sync right after): median "
              f"{statistics.median(latencies) * 1000:.0f} ms, max {max(latencies) * 1000:.0f} ms over "
              f"{len(latencies)} invoices (+ up to 30 min schedule interval)")
        print(f"    requests for a sync with one new invoice: {statistics.median(requests_busy):.0f}")
        print(f"(b) requests per idle sync: {[r.requests for r in idle]} "
              f"(changelog calls {idle[-1].changelog_calls}, + 1 commercial_documents listing)")
        print(f"    idle sync duration: median {statistics.median(r.seconds for r in idle) * 1000:.0f} ms")
        client.close()


if __name__ == "__main__":
    main()
