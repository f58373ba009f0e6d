"""Products and customers, both ways between Pennylane and the local catalog.

Name/SKU (label/reference) and name/e-mail are merged field by field, most recent change wins,
conflicts logged (:mod:`pipelines.stock.twoway`); local-only edits are pushed after reading
Pennylane's current values. Local deletes and deactivations are never sent. A product or a
customer met on a document is created locally even when imports are off. Suppliers are not synced.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from pipelines.stock.changelog import read_changelog
from pipelines.stock.sync_run import SyncRun, aware, parse_ts
from pipelines.stock.twoway import merge_fields

log = logging.getLogger(__name__)


class Catalog:
    """The catalog part of one sync run."""

    def __init__(self, run: SyncRun):
        self.run = run
        self.store, self.client, self.slug, self.cfg, self.report = (
            run.store, run.client, run.slug, run.cfg, run.report)
        self._service_accounts: set[int] | None = None

    def sync_products(self, full: bool) -> None:
        ops, relist, save = read_changelog(self.run, "products", full)
        if relist:
            for data in self.client.list_products():
                self.run.handled_products.add(int(data["id"]))
                self._apply_remote_product(data)
        for pl_id, op in ops.items():
            if pl_id in self.run.handled_products:
                continue
            self.run.handled_products.add(pl_id)
            local = self.store.product_by_pennylane_id(self.slug, pl_id)
            if op == "delete":
                if local is not None:
                    self.store.update_product(self.slug, local["id"], remote_deleted=True)
                    self.store.log(self.slug, "remote_deleted", f"product {local['id']}",
                                   f"Pennylane product {pl_id} was deleted; kept locally")
                continue
            if local is None and not self.cfg.import_products:
                continue  # created anyway when met on an invoice or order
            data = self.run.get_or_none(self.client.get_product, pl_id)
            if data is not None:
                self._apply_remote_product(data)
        save()

    def _is_service(self, data: dict[str, Any]) -> bool:
        if data.get("substance") == "services":
            return True
        account = (data.get("ledger_account") or {}).get("id")
        if account is None:
            return False
        if self._service_accounts is None:
            self._service_accounts = self._load_service_accounts()
        return int(account) in self._service_accounts

    def _load_service_accounts(self) -> set[int]:
        """Ids of the ledger accounts numbered 706… (services), read once per run when needed."""
        lister = getattr(self.client, "list_ledger_accounts", None)
        if lister is None:
            return set()
        return {int(r["id"]) for r in lister() if str(r.get("number", "")).startswith("706")}

    def _apply_remote_product(self, data: dict[str, Any], *, met_on_document: bool = False) -> dict[str, Any] | None:
        pl_id = int(data["id"])
        label, reference = data.get("label") or f"Produit {pl_id}", data.get("reference") or None
        local = self.store.product_by_pennylane_id(self.slug, pl_id)
        if local is not None:
            if not local["deleted"]:
                self._merge_product(local, data)
            return self.store.product(self.slug, local["id"])
        service = self._is_service(data)
        if not met_on_document and not self.cfg.import_products:
            return None
        if service and not self.cfg.import_services:
            if not met_on_document:
                return None
            # Remember it (untracked) so its lines are skipped without asking Pennylane again.
            return self.store.insert_product(self.slug, name=label, sku=reference, kind="service", tracked=False,
                                             pennylane_id=pl_id, synced_name=label, synced_sku=reference,
                                             remote_updated_at=data.get("updated_at"))
        values = dict(name=label, sku=reference, kind="service" if service else "goods", tracked=True,
                      pennylane_id=pl_id, synced_name=label, synced_sku=reference,
                      remote_updated_at=data.get("updated_at"))
        if reference:
            same_sku = self.store.products_by_sku(self.slug, reference)
            local_only = [p for p in same_sku if p["pennylane_id"] is None]
            linked = [p for p in same_sku if p["pennylane_id"] is not None and int(p["pennylane_id"]) != pl_id]
            if local_only:
                prod = local_only[0]
                self.store.update_product(self.slug, prod["id"], pennylane_id=pl_id, remote_deleted=False,
                                          synced_name=prod["name"], synced_sku=prod["sku"])
                self.store.log(self.slug, "linked", f"product {prod['id']}",
                               f"local product with SKU {reference!r} linked to Pennylane product {pl_id}")
                self._merge_product(self.store.product(self.slug, prod["id"]), data)
                return self.store.product(self.slug, prod["id"])
            if linked:
                original = linked[0]
                created = self.store.insert_product(self.slug, merge_of=original["id"], merge_status="flagged",
                                                    **values)
                msg = (f"Pennylane product {pl_id} has SKU {reference!r} like local product {original['id']} "
                       f"(Pennylane id {original['pennylane_id']}): the id probably changed in Pennylane. "
                       f"Created product {created['id']} flagged for merge into {original['id']}")
                self.store.log(self.slug, "merge_flag", f"product {created['id']}", msg)
                log.warning("tenant %s: %s", self.slug, msg)
                self.report.products_created.append(created["id"])
                return created
        created = self.store.insert_product(self.slug, **values)
        self.report.products_created.append(created["id"])
        return created

    def _merge_product(self, local: dict[str, Any], data: dict[str, Any]) -> None:
        remote = {"name": data.get("label") or local["name"], "sku": data.get("reference") or None}
        result = merge_fields({"name": local["name"], "sku": local["sku"]}, remote,
                              {"name": local["synced_name"], "sku": local["synced_sku"]},
                              local_changed_at=aware(local["local_changed_at"]),
                              remote_updated_at=parse_ts(data.get("updated_at")))
        for conflict in result.conflicts:
            msg = f"product {local['id']} (Pennylane {data['id']}): {conflict.describe()}"
            self.store.log(self.slug, "conflict", f"product {local['id']}", msg)
            self.report.conflicts.append(msg)
            log.info("tenant %s: %s", self.slug, msg)
        remote_updated = data.get("updated_at")
        if result.push_to_pennylane and local["active"]:
            payload = {}
            if "name" in result.push_to_pennylane:
                payload["label"] = result.values["name"]
            if "sku" in result.push_to_pennylane:
                payload["reference"] = result.values["sku"] or ""
            pushed = self.client.update_product(int(data["id"]), payload)
            remote_updated = (pushed or {}).get("updated_at") or remote_updated
            self.report.pushed.append(f"product {local['id']}: {payload}")
        self.store.update_product(self.slug, local["id"], name=result.values["name"], sku=result.values["sku"],
                                  synced_name=result.values["name"], synced_sku=result.values["sku"],
                                  remote_updated_at=remote_updated, remote_deleted=False)

    def push_local_products(self) -> None:
        for prod in self.store.products(self.slug):
            if (prod["pennylane_id"] is None or prod["deleted"] or not prod["active"] or prod["remote_deleted"]
                    or int(prod["pennylane_id"]) in self.run.handled_products):
                continue
            if (prod["name"], prod["sku"]) == (prod["synced_name"], prod["synced_sku"]):
                continue
            data = self.run.get_or_none(self.client.get_product, int(prod["pennylane_id"]))
            if data is None:
                self.store.update_product(self.slug, prod["id"], remote_deleted=True)
                continue
            self._merge_product(prod, data)

    def product_for_line(self, product_ref: dict[str, Any] | None) -> dict[str, Any] | None:
        if not product_ref or product_ref.get("id") is None:
            return None
        pl_id = int(product_ref["id"])
        local = self.store.product_by_pennylane_id(self.slug, pl_id)
        if local is not None:
            return local
        data = self.run.get_or_none(self.client.get_product, pl_id)
        if data is None:
            return None
        self.run.handled_products.add(pl_id)
        return self._apply_remote_product(data, met_on_document=True)

    def sync_customers(self, full: bool) -> None:
        ops, relist, save = read_changelog(self.run, "customers", full)
        if relist:
            linked = {int(c["pennylane_id"]) for c in self.store.customers(self.slug) if c["pennylane_id"]}
            if linked:
                for data in self.client.list_customers():
                    if int(data["id"]) in linked:
                        self.run.handled_customers.add(int(data["id"]))
                        self._merge_customer(self.store.customer_by_pennylane_id(self.slug, int(data["id"])), data)
        for pl_id, op in ops.items():
            local = self.store.customer_by_pennylane_id(self.slug, pl_id)
            if local is None or pl_id in self.run.handled_customers or op == "delete":
                continue  # a Pennylane customer is created locally only when met on an order
            self.run.handled_customers.add(pl_id)
            data = self.run.get_or_none(self.client.get_customer, pl_id)
            if data is not None:
                self._merge_customer(local, data)
        save()

    @staticmethod
    def _remote_customer_fields(data: dict[str, Any]) -> dict[str, Any]:
        name = data.get("name") or " ".join(x for x in (data.get("first_name"), data.get("last_name")) if x)
        emails = data.get("emails") or []
        return {"name": name, "email": emails[0] if emails else None}

    def customer_for_document(self, ref: dict[str, Any] | None) -> str | None:
        if not ref or ref.get("id") is None:
            return None
        pl_id = int(ref["id"])
        local = self.store.customer_by_pennylane_id(self.slug, pl_id)
        if local is None:
            data = self.run.get_or_none(self.client.get_customer, pl_id)
            if data is None:
                return f"pennylane:{pl_id}"
            fields = self._remote_customer_fields(data)
            local = self.store.insert_customer(
                self.slug, customer_type=data.get("customer_type") or "company", name=fields["name"],
                email=fields["email"], pennylane_id=pl_id, synced_name=fields["name"], synced_email=fields["email"],
                remote_updated_at=data.get("updated_at"))
            self.run.handled_customers.add(pl_id)
            self.report.customers_created.append(local["id"])
            self.store.log(self.slug, "customer_created", f"customer {local['id']}",
                           f"created locally from Pennylane customer {pl_id} met on a document")
        return str(local["id"])

    def _merge_customer(self, local: dict[str, Any], data: dict[str, Any]) -> None:
        remote = self._remote_customer_fields(data)
        result = merge_fields({"name": local["name"], "email": local["email"]}, remote,
                              {"name": local["synced_name"], "email": local["synced_email"]},
                              local_changed_at=aware(local["local_changed_at"]),
                              remote_updated_at=parse_ts(data.get("updated_at")))
        for conflict in result.conflicts:
            msg = f"customer {local['id']} (Pennylane {data['id']}): {conflict.describe()}"
            self.store.log(self.slug, "conflict", f"customer {local['id']}", msg)
            self.report.conflicts.append(msg)
        if result.push_to_pennylane:
            payload = self._customer_payload(local["customer_type"], result.values["name"], result.values["email"])
            if local["customer_type"] == "individual":
                self.client.update_individual_customer(int(data["id"]), payload)
            else:
                self.client.update_company_customer(int(data["id"]), payload)
            self.report.pushed.append(f"customer {local['id']}: {payload}")
        self.store.update_customer(self.slug, local["id"], name=result.values["name"], email=result.values["email"],
                                   synced_name=result.values["name"], synced_email=result.values["email"],
                                   remote_updated_at=data.get("updated_at"))

    @staticmethod
    def _customer_payload(customer_type: str, name: str, email: str | None) -> dict[str, Any]:
        payload: dict[str, Any] = {"emails": [email] if email else []}
        if customer_type == "individual":
            first, _, last = name.partition(" ")
            payload.update(first_name=first, last_name=last or first)
        else:
            payload["name"] = name
        return payload

    def push_local_customers(self) -> None:
        for cust in self.store.customers(self.slug):
            if cust["pennylane_id"] is None:
                payload = self._customer_payload(cust["customer_type"], cust["name"], cust["email"])
                payload["billing_address"] = json.loads(cust["address"] or "{}")
                create = (self.client.create_individual_customer if cust["customer_type"] == "individual"
                          else self.client.create_company_customer)
                created = create(payload)
                self.store.update_customer(self.slug, cust["id"], pennylane_id=int(created["id"]),
                                           synced_name=cust["name"], synced_email=cust["email"],
                                           remote_updated_at=created.get("updated_at"))
                self.run.handled_customers.add(int(created["id"]))
                self.report.pushed.append(f"customer {cust['id']}: created in Pennylane as {created['id']}")
                self.store.log(self.slug, "customer_pushed", f"customer {cust['id']}",
                               f"created in Pennylane as {created['id']}")
                continue
            if int(cust["pennylane_id"]) in self.run.handled_customers:
                continue
            if (cust["name"], cust["email"]) == (cust["synced_name"], cust["synced_email"]):
                continue
            data = self.run.get_or_none(self.client.get_customer, int(cust["pennylane_id"]))
            if data is not None:
                self._merge_customer(cust, data)
