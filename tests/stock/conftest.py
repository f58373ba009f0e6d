"""Stock end-to-end harness: the Pennylane emulator over a real socket, a fresh warehouse, a
tenant whose stock options each test sets, and helpers to act "in Pennylane" (seed documents,
create products and customers) the way a user of Pennylane would."""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import httpx
import pytest

from pipelines.stock.ledger import compute_levels
from pipelines.stock.sync import run_stock_sync
from resources.pennylane import PennylaneClient
from resources.stock.store import StockStore
from resources.tenants import TenantConfig
from resources.warehouse import Warehouse
from tests.harness import PennylaneHarness

DAY = "2026-03-02"
_SEQ = itertools.count(1)


@pytest.fixture(scope="session")
def emulator(tmp_path_factory, pennylane_spec):
    """One emulator for the stock tests; every request they send is checked against the spec."""
    with PennylaneHarness(tmp_path_factory.mktemp("pl") / "pennylane.db", pennylane_spec, rate_limit=False) as pl:
        yield pl
    pl.assert_no_spec_violations()


def make_tenant(slug: str, **stock: Any) -> TenantConfig:
    return TenantConfig.model_validate({
        "slug": slug, "name": f"Boutique {slug}", "siret": "73282932000074", "start_date": "2026-01-01",
        "source": {"type": "shopify", "base_url": "https://shop.myshopify.com",
                   "credentials": {"access_token": "SHOPIFY_TOKEN"}},
        "pennylane": {"token_env": "PL_TOKEN_TEST"},
        "stock": {"enabled": True, **stock},
    })


@dataclass
class Pennylane:
    """Acting in Pennylane (the emulator) as the tenant's user would."""

    url: str
    token: str
    client: PennylaneClient

    def seed(self, kind: str, body: dict[str, Any]) -> dict[str, Any]:
        r = httpx.post(f"{self.url}/_emulator/seed/{kind}", json={"token": self.token, **body})
        assert r.status_code == 201, r.text
        return r.json()

    def edit(self, kind: str, rid: int, body: dict[str, Any]) -> dict[str, Any]:
        r = httpx.put(f"{self.url}/_emulator/seed/{kind}/{rid}", json={"token": self.token, **body})
        assert r.status_code == 200, r.text
        return r.json()

    def delete(self, kind: str, rid: int) -> None:
        r = httpx.request("DELETE", f"{self.url}/_emulator/seed/{kind}/{rid}", json={"token": self.token})
        assert r.status_code == 204, r.text

    def set_clock(self, when: str | None) -> None:
        r = httpx.post(f"{self.url}/_emulator/clock", json={"now": when})
        assert r.status_code == 200, r.text

    @staticmethod
    def lines(*items: tuple[int, str | int], price: str = "10.00") -> list[dict[str, Any]]:
        return [{"product_id": pid, "quantity": str(qty), "raw_currency_unit_price": price, "label": f"p{pid}",
                 "vat_rate": "FR_200"} for pid, qty in items]

    def invoice(self, customer: int, *items, day: str = DAY, **extra) -> dict[str, Any]:
        return self.seed("customer_invoices", {"date": day, "customer_id": customer, "lines": self.lines(*items),
                                               **extra})

    def credit_note(self, customer: int, credited: int, *items, day: str = DAY) -> dict[str, Any]:
        lines = self.lines(*items, price="-10.00")
        return self.seed("customer_invoices", {"date": day, "customer_id": customer, "lines": lines,
                                               "credited_invoice_id": credited})

    def commercial(self, doc_type: str, customer: int, *items, day: str = DAY) -> dict[str, Any]:
        return self.seed("commercial_documents", {"date": day, "customer_id": customer, "document_type": doc_type,
                                                  "lines": self.lines(*items)})

    def product(self, label: str, reference: str | None, **extra) -> dict[str, Any]:
        body = {"label": label, "price_before_tax": "10.00", "vat_rate": "FR_200", **extra}
        if reference is not None:
            body["reference"] = reference
        return self.client.create_product(body)

    def customer(self, name: str, email: str) -> dict[str, Any]:
        return self.client.create_company_customer({
            "name": name, "emails": [email],
            "billing_address": {"address": "1 rue de la Paix", "postal_code": "75002", "city": "Paris",
                                "country_alpha2": "FR"}})


@dataclass
class StockEnv:
    tenant: TenantConfig
    store: StockStore
    pl: Pennylane

    def sync(self, **kw):
        return run_stock_sync(self.tenant, self.pl.client, self.store, day=kw.pop("day", "2026-12-31"), **kw)

    def product_id(self, pl_id: int) -> str:
        prod = self.store.product_by_pennylane_id(self.tenant.slug, pl_id)
        assert prod is not None, f"no local product for Pennylane product {pl_id}"
        return str(prod["id"])

    def level(self, pl_product: int | str, location: str | None = None, day: str = "2026-12-31"):
        """(on hand, reserved, available) as Decimals for a Pennylane product id (int) or a local id (str)."""
        pid = self.product_id(pl_product) if isinstance(pl_product, int) else pl_product
        frame = compute_levels(self.store, self.tenant, day, write=False)
        row = frame[(frame["product"] == pid) & (frame["location"] == (location or self.tenant.stock.default_location))]
        if not len(row):
            return (Decimal(0), Decimal(0), Decimal(0))
        r = row.iloc[0]
        return tuple(Decimal(int(r[c])) / 1000 for c in ("on_hand_milli", "reserved_milli", "available_milli"))


@pytest.fixture
def stock_env(emulator, tmp_path):
    """Factory: ``stock_env(**stock_options)`` → a fresh tenant/company/warehouse."""
    made: list[PennylaneClient] = []

    def factory(warehouse_url: str | None = None, **stock: Any) -> StockEnv:
        slug = f"shop-{next(_SEQ)}"
        token = f"tok-{uuid.uuid4().hex}"
        r = httpx.post(f"{emulator.url}/_emulator/companies", json={"token": token, "name": slug})
        assert r.status_code == 201, r.text
        client = PennylaneClient(token, emulator.base_url, tenant=slug, rate_limit=(10_000, 1.0))
        made.append(client)
        wh = Warehouse(warehouse_url or f"sqlite:///{tmp_path / (slug + '.db')}")
        return StockEnv(make_tenant(slug, **stock), StockStore(wh), Pennylane(emulator.url, token, client))

    yield factory
    for c in made:
        c.close()


def today() -> str:
    return date.today().isoformat()
