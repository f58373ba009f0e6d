"""The demo's stock scenario: a wholesale fortnight of the stock-enabled demo tenant, in Pennylane.

What a user of Pennylane would have done, and what the shop recorded locally:

- products (with their SKU as Pennylane ``reference``) and two shop customers, created through
  Pennylane's API; invoices, a credit note, a purchasing order (customer order) and its delivery
  note, seeded through the emulator's ``/_emulator/seed/...`` endpoints (Pennylane creates those
  from its own invoicing UI, not through the API);
- two goods receipts recorded locally: the opening stock into the shop ("boutique") and a
  delivery from the workshop into the back store ("reserve").

Everything is created once (looked up by SKU, name or document number before creating), and
dated relative to the demo's last day, so the levels at the end of that day are always the ones
in :data:`EXPECTED_LEVELS`. The sync itself (documents → movements → levels) runs through
Dagster, like the sales, so the runs show in the UI; re-running adds no movement.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import httpx

from resources.tenants import TenantConfig


@dataclass(frozen=True)
class Product:
    sku: str
    label: str
    price_before_tax: str  # wholesale price, euros excl. VAT


@dataclass(frozen=True)
class Customer:
    name: str
    email: str
    address: str
    postal_code: str
    city: str


@dataclass(frozen=True)
class Document:
    """A Pennylane document ``days_before`` the demo's last day (``kind``: customer_invoice,
    credit_note, purchasing_order or shipping_order)."""

    kind: str
    number: str
    days_before: int
    customer: int  # index in CUSTOMERS
    lines: tuple[tuple[str, int], ...]  # (sku, quantity)
    credits: str | None = None  # credit notes: number of the credited invoice


@dataclass(frozen=True)
class Receipt:
    receipt_id: str
    days_before: int
    supplier: str
    location: str
    lines: tuple[tuple[str, int, str], ...]  # (sku, quantity, unit cost excl. VAT)


PRODUCTS = (
    Product("TSHIRT-BIO", "T-shirt coton bio", "12.00"),
    Product("SWEAT", "Sweat à capuche", "26.00"),
    Product("TOTE", "Tote bag", "6.00"),
    Product("CASQUETTE", "Casquette brodée", "10.00"),
)
CUSTOMERS = (
    Customer("Concept Store Lumière", "achats@lumiere-concept.example", "12 rue Mercière", "69002", "Lyon"),
    Customer("Les Petits Riens", "commandes@lespetitsriens.example", "4 place du Bouffay", "44000", "Nantes"),
)
DOCUMENTS = (
    Document("customer_invoice", "F-2026-1101", 11, 0, (("TSHIRT-BIO", 10), ("TOTE", 6))),
    Document("purchasing_order", "BC-2026-031", 10, 1, (("TSHIRT-BIO", 12), ("SWEAT", 6))),
    Document("customer_invoice", "F-2026-1102", 7, 0, (("SWEAT", 4), ("CASQUETTE", 3))),
    Document("shipping_order", "BL-2026-031", 6, 1, (("TSHIRT-BIO", 12), ("SWEAT", 4))),  # SWEAT: 2 to follow
    Document("credit_note", "AV-2026-0042", 4, 0, (("TOTE", 2),), credits="F-2026-1101"),
)
RECEIPTS = (
    Receipt("R-2026-0001", 13, "Filature du Nord", "boutique",
            (("TSHIRT-BIO", 40, "7.20"), ("SWEAT", 20, "15.50"), ("TOTE", 30, "2.80"), ("CASQUETTE", 15, "5.90"))),
    Receipt("R-2026-0002", 9, "Atelier textile de Roubaix", "reserve",
            (("TSHIRT-BIO", 60, "7.20"), ("SWEAT", 24, "15.50"), ("TOTE", 50, "2.80"))),
)
# (sku, location) -> (on hand, reserved, available) at the end of the demo's last day, worked out
# by hand from the documents above (delivery notes move on hand; orders and invoices reserve):
# TSHIRT-BIO boutique: 40 received − 12 delivered; reserved 10 (F-1101) + 12 (BC) − 12 (BL).
# SWEAT boutique: 20 − 4 delivered; reserved 4 (F-1102) + 6 (BC) − 4 (BL).
# TOTE boutique: 30; reserved 6 (F-1101) − 2 cancelled by the credit note (not yet delivered).
EXPECTED_LEVELS = {
    ("TSHIRT-BIO", "boutique"): (28, 10, 18), ("TSHIRT-BIO", "reserve"): (60, 0, 60),
    ("SWEAT", "boutique"): (16, 6, 10), ("SWEAT", "reserve"): (24, 0, 24),
    ("TOTE", "boutique"): (30, 4, 26), ("TOTE", "reserve"): (50, 0, 50),
    ("CASQUETTE", "boutique"): (15, 3, 12), ("CASQUETTE", "reserve"): (0, 0, 0),
}
PL_VAT = "FR_200"


def stock_tenants(registry: dict[str, TenantConfig]) -> list[TenantConfig]:
    """The active demo tenants whose stock is kept in step with Pennylane."""
    return [t for t in registry.values() if t.active and t.stock.enabled]


def _on(last: date, days_before: int, tenant: TenantConfig) -> str:
    return max(last - timedelta(days=days_before), tenant.start_date).isoformat()


def seed_pennylane(tenant: TenantConfig, client, last: date) -> dict[str, int]:
    """Create the scenario's products, customers and documents in the tenant's Pennylane company
    (emulator), each only if it is not there yet. Returns how many of each were created now."""
    created = {"products": 0, "customers": 0, "documents": 0}
    products = {p.get("reference"): p for p in client.list_products()}
    for p in PRODUCTS:
        if p.sku not in products:
            products[p.sku] = client.create_product({
                "label": p.label, "reference": p.sku, "price_before_tax": p.price_before_tax, "vat_rate": PL_VAT,
                "unit": "piece", "currency": "EUR"})
            created["products"] += 1
    customers = {c.get("name"): c for c in client.list_customers()}
    for c in CUSTOMERS:
        if c.name not in customers:
            customers[c.name] = client.create_company_customer({
                "name": c.name, "emails": [c.email],
                "billing_address": {"address": c.address, "postal_code": c.postal_code, "city": c.city,
                                    "country_alpha2": "FR"}})
            created["customers"] += 1
    invoices = {i.get("invoice_number"): i for i in client.list_customer_invoices()}
    commercial = {d.get("document_number"): d for d in client.list_commercial_documents()}
    admin = client.base_url.split("/api/external/")[0] + "/_emulator/seed"
    token = os.environ[tenant.pennylane.token_env]
    prices = {p.sku: Decimal(p.price_before_tax) for p in PRODUCTS}
    for doc in DOCUMENTS:
        known = commercial if doc.kind in ("purchasing_order", "shipping_order") else invoices
        if doc.number in known:
            continue
        sign = -1 if doc.kind == "credit_note" else 1
        body = {
            "token": token, "date": _on(last, doc.days_before, tenant),
            "customer_id": customers[CUSTOMERS[doc.customer].name]["id"],
            "label": f"{doc.number} — {CUSTOMERS[doc.customer].name}",
            "lines": [{"product_id": products[sku]["id"], "quantity": str(qty), "label": products[sku]["label"],
                       "raw_currency_unit_price": str(sign * prices[sku]), "vat_rate": PL_VAT}
                      for sku, qty in doc.lines],
        }
        if doc.kind in ("purchasing_order", "shipping_order"):
            body.update(document_type=doc.kind, document_number=doc.number)
            kind = "commercial_documents"
        else:
            body.update(invoice_number=doc.number, external_reference=f"demo-{doc.number}")
            if doc.credits:
                body["credited_invoice_id"] = invoices[doc.credits]["id"]
            kind = "customer_invoices"
        resp = httpx.post(f"{admin}/{kind}", json=body, timeout=30)
        if resp.status_code != 201:
            raise RuntimeError(f"tenant {tenant.slug}: seeding {doc.number} in the Pennylane emulator failed: "
                               f"{resp.status_code} {resp.text}")
        known[doc.number] = resp.json()
        created["documents"] += 1
    return created


def record_receipts(tenant: TenantConfig, store, last: date) -> list[str]:
    """Record the scenario's goods receipts (a receipt already recorded keeps its date: recording
    the same content again changes nothing)."""
    from pipelines.stock.receipts import ReceiptLine, record_receipt

    names = {p.sku: p.label for p in PRODUCTS}
    done = []
    for rec in RECEIPTS:
        existing = store.receipt(tenant.slug, rec.receipt_id)
        day = existing["date"] if existing else _on(last, rec.days_before, tenant)
        record_receipt(store, tenant, rec.receipt_id, day, rec.supplier,
                       [ReceiptLine(sku, str(qty), cost, "20", names[sku]) for sku, qty, cost in rec.lines],
                       rec.location)
        done.append(f"{rec.receipt_id} → {rec.location}")
    return done


def run_stock(tenant: TenantConfig, last: date) -> bool:
    """Seed, sync through Dagster, print the levels at the end of ``last``; True if they are the
    scenario's and the run succeeded."""
    from pipelines.definitions import build_resources
    from pipelines.inprocess import import_stock_now
    from pipelines.stock.operations import current_levels
    from pipelines.stock.sync import StockSync
    from resources.stock.store import StockStore

    resources = build_resources()
    client = resources["pennylane"].client_for(tenant)
    store = StockStore(resources["warehouse"].get())
    print(f"\n== Stock: {tenant.slug} (locations {', '.join(tenant.stock.locations)}; "
          f"default {tenant.stock.default_location})", flush=True)
    created = seed_pennylane(tenant, client, last)
    print("   Pennylane: " + ", ".join(f"{n} {k} created" for k, n in created.items()))
    # Import the products first, so that the receipts' SKUs meet their Pennylane products.
    StockSync(tenant, client, store).run()
    print("   goods receipts: " + "; ".join(record_receipts(tenant, store, last)))
    ledger_before = store.ledger_size(tenant.slug)
    result = import_stock_now(tenant, trigger="demo", day=last.isoformat(), resources=resources)
    ledger_after = store.ledger_size(tenant.slug)
    checks = {c.check_name: c.passed for c in result.get_asset_check_evaluations()}
    print(f"   Dagster run {result.run_id}: {'success' if result.success else 'FAILED'}; "
          f"movements added {ledger_after - ledger_before}, ledger {ledger_after}; checks: "
          + ", ".join(f"{name} {'passed' if ok else 'FAILED'}" for name, ok in sorted(checks.items())))
    if not result.success:
        return False
    levels = current_levels(store, tenant, last.isoformat())
    print(f"\n   End-of-day levels on {last.isoformat()}:")
    print(f"   {'product':<20} {'sku':<11} {'location':<9} {'on hand':>8} {'reserved':>9} {'available':>10}")
    seen = {}
    for r in levels.sort_values(["sku", "location"]).itertuples():
        print(f"   {r.name:<20} {r.sku or '':<11} {r.location:<9} {r.on_hand:>8f} {r.reserved:>9f} "
              f"{r.available:>10f}")
        seen[(r.sku, r.location)] = (r.on_hand, r.reserved, r.available)
    wrong = {k: (seen.get(k), v) for k, v in EXPECTED_LEVELS.items() if seen.get(k) != tuple(map(Decimal, v))}
    extra = sorted(set(seen) - set(EXPECTED_LEVELS))
    ok = not wrong and not extra and all(checks.values())
    if ok:
        print("   Levels are the scenario's: nothing counted twice.")
    else:
        for (sku, loc), (got, want) in wrong.items():
            print(f"   PROBLEM {sku} @ {loc}: got {got}, expected {want} (on hand, reserved, available)")
        for sku, loc in extra:
            print(f"   PROBLEM unexpected product {sku} @ {loc}")
    return ok
