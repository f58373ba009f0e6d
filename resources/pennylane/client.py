"""Pennylane Company API v2 client (``specs/pennylane-company-api-v2-openapi.json``).

- Bearer company token per tenant; base URL configurable (emulator, staging).
- Cursor pagination: ``cursor``/``limit`` → ``items``/``has_more``/``next_cursor``; the cursor
  does not carry ``filter``/``sort`` so both are re-sent on every page.
- ``filter`` is a JSON string ``[{"field","operator","value"}]``; amounts are strings with two
  decimals built from integer cents (:func:`core.money.cents_to_amount`), never floats.
- 25 requests / 5 s per token, enforced before sending by a limiter shared by every thread of
  the process (:func:`resources.http.limiter_for`); a 429 still honours ``retry-after``.
- Built on the vendor HTTP base (:class:`resources.http.VendorClient`): reads are retried (429,
  5xx, connection errors, with backoff and jitter). Writes are sent again only when they
  certainly were not processed (429, a connection that could not be opened): Pennylane's POSTs
  are not idempotent, so a write that may have been stored (5xx, timeout, connection lost after
  sending) raises :class:`PennylaneAmbiguousWriteError` and ``resources/posting.py`` looks the
  entry up. Error classes: :mod:`resources.pennylane.errors`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from datetime import date
from typing import Any

import httpx

from core.tenants import DEFAULT_PENNYLANE_URL
from resources.http import (
    HeaderToken,
    RetryPolicy,
    SlidingWindowLimiter,
    VendorApi,
    VendorClient,
    json_of,
    limiter_for,
)
from resources.pennylane.cache import PennylaneCache
from resources.pennylane.company import ExpectedCompany
from resources.pennylane.errors import (
    HINTS,
    PENNYLANE_ERROR_TYPES,
    PennylaneAmbiguousWriteError,
    PennylaneDataError,
    refusal,
)
from resources.pennylane.journal_guard import JournalGuard
from resources.pennylane.lookups import CompanyLookups

RATE_LIMIT_REQUESTS = 25
RATE_LIMIT_WINDOW = 5.0
# The client stamps a request when it leaves, Pennylane when it arrives: with latency jitter a
# window of exactly 5 s client-side still gets the odd 429 (measured on the emulator). A 0.25 s
# margin removes them for a 5 % throughput cost (25 requests / 5.25 s = 95 % of the limit).
RATE_LIMIT_MARGIN = 0.25
PAGE_LIMIT = 100
ACCOUNTS_PAGE_LIMIT = 1000  # /ledger_accounts and changelogs allow up to 1000


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()[:16]


class PennylaneClient(CompanyLookups, VendorApi):
    """One company (one token). Thread-safe for reads. Journal and ledger-account ids and the
    company check: :mod:`resources.pennylane.lookups` (``expected``: the tenant's company, checked
    before the first write; ``cache``: the warehouse's shared answers)."""

    def __init__(
        self,
        token: str,
        base_url: str = DEFAULT_PENNYLANE_URL,
        *,
        tenant: str | None = None,
        timeout: float = 30.0,
        retry_policy: RetryPolicy | None = None,
        rate_limit: tuple[int, float] = (RATE_LIMIT_REQUESTS, RATE_LIMIT_WINDOW),
        limiter: SlidingWindowLimiter | None = None,
        transport: httpx.BaseTransport | None = None,
        expected: ExpectedCompany | None = None,
        cache: PennylaneCache | None = None,
        today: Callable[[], date] | None = None,
        guard: JournalGuard | None = None,
    ):
        self.tenant = tenant
        requests, window = rate_limit
        self.limiter = limiter or limiter_for("pennylane", token_hash(token), requests,
                                              window + (RATE_LIMIT_MARGIN if window >= 1 else 0.0))
        self.api = VendorClient(
            "Pennylane", base_url.rstrip("/") + "/", tenant=tenant, auth=HeaderToken(token), policy=retry_policy,
            limiter=self.limiter, hints=HINTS, types=PENNYLANE_ERROR_TYPES, timeout=timeout, transport=transport,
        )
        self._init_lookups(token_hash(token), expected, cache, today)
        self.guard = guard

    @property
    def retry_policy(self) -> RetryPolicy:
        return self.api.policy

    # ------------------------------------------------------------------ transport
    def _read(self, method: str, path: str, *, params: dict[str, Any] | None = None, what: str) -> Any:
        try:
            response = self.api.request(method, path.lstrip("/"), params=_clean(params), what=f"Pennylane {what}",
                                        idempotent=True)
        except PennylaneDataError as exc:
            raise refusal(exc) from None
        return json_of(response)

    def _write(self, method: str, path: str, *, json_body: Any = None, files: Any = None, data: Any = None,
               what: str) -> Any:
        """Send a non-idempotent write; it is sent again only when it certainly was not processed."""
        self.before_write()
        what = f"Pennylane {what}"
        request = self.api.http.build_request(method, path.lstrip("/"), json=json_body, files=files, data=data)
        response = self.api.send(request, what=what, idempotent=False)
        if response.status_code >= 500:
            err = self.api.error(response, what)
            raise PennylaneAmbiguousWriteError(f"{err.message} (the write may have been stored)",
                                               tenant=self.tenant, details=err.details)
        if response.status_code >= 400:
            err = self.api.error(response, what)
            raise refusal(err) if isinstance(err, PennylaneDataError) else err
        return json_of(response)

    def paginate(self, path: str, *, filters: list[dict[str, Any]] | None = None, sort: str | None = None,
                 limit: int = PAGE_LIMIT, what: str | None = None,
                 extra: dict[str, Any] | None = None) -> Iterator[dict[str, Any]]:
        """Every item of a cursor-paginated list, re-sending filter and sort on each page."""
        cursor: str | None = None
        while True:
            params: dict[str, Any] = {"limit": limit, **(extra or {})}
            if filters:
                params["filter"] = json.dumps(filters, separators=(",", ":"))
            if sort:
                params["sort"] = sort
            if cursor:
                params["cursor"] = cursor
            page = self._read("GET", path, params=params, what=what or f"GET {path}")
            yield from page.get("items", [])
            cursor = page.get("next_cursor")
            if not page.get("has_more") or not cursor:
                return

    # ------------------------------------------------------------------------ me
    def me(self) -> dict[str, Any]:
        return self._read("GET", "me", what="GET /me")

    # ------------------------------------------------------------------ journals
    def list_journals(self) -> list[dict[str, Any]]:
        return list(self.paginate("journals", what="list journals"))

    def create_journal(self, code: str, label: str) -> dict[str, Any]:
        return self._write("POST", "journals", json_body={"code": code, "label": label},
                           what=f"create journal {code}")

    # ----------------------------------------------------------- ledger accounts
    def list_ledger_accounts(self, numbers: list[str] | None = None) -> list[dict[str, Any]]:
        if numbers is None:
            return list(self.paginate("ledger_accounts", limit=ACCOUNTS_PAGE_LIMIT, what="list ledger accounts"))
        out: list[dict[str, Any]] = []
        unique = sorted(set(numbers))
        for i in range(0, len(unique), 100):
            chunk = unique[i:i + 100]
            flt = [{"field": "number", "operator": "in", "value": chunk}] if len(chunk) > 1 \
                else [{"field": "number", "operator": "eq", "value": chunk[0]}]
            out.extend(self.paginate("ledger_accounts", filters=flt, limit=ACCOUNTS_PAGE_LIMIT,
                                     what="list ledger accounts"))
        return out

    def create_ledger_account(self, number: str, label: str) -> dict[str, Any]:
        return self._write("POST", "ledger_accounts", json_body={"number": number, "label": label},
                           what=f"create ledger account {number}")

    # ------------------------------------------------------------ ledger entries
    def _before_entry(self, payload: dict[str, Any]) -> None:
        """The company check, then the cutover date and the other-tool check (``guard``)."""
        self.before_write()
        if self.guard is not None:
            codes = {v: k for k, v in self._journals.items()}
            self.guard.before_entry(payload, codes.get(payload.get("journal_id")), lambda flt: self.paginate(
                "ledger_entries", filters=flt, what="list the journal's ledger entries"))

    def create_ledger_entry(self, payload: dict[str, Any]) -> dict[str, Any]:
        self._before_entry(payload)
        what = f"create ledger entry {payload.get('piece_number') or payload.get('label')}"
        return self.with_fresh_ids(payload, lambda body: self._write("POST", "ledger_entries", json_body=body,
                                                                     what=what))

    def get_ledger_entry(self, entry_id: int) -> dict[str, Any]:
        return self._read("GET", f"ledger_entries/{int(entry_id)}", what=f"get ledger entry {entry_id}")

    def list_ledger_entries(self, journal_id: int | None = None, date: str | None = None,
                            filters: list[dict[str, Any]] | None = None) -> Iterator[dict[str, Any]]:
        flt = list(filters or [])
        if journal_id is not None:
            flt.append({"field": "journal_id", "operator": "eq", "value": str(journal_id)})
        if date is not None:
            flt.append({"field": "date", "operator": "eq", "value": str(date)})
        return self.paginate("ledger_entries", filters=flt or None, what="list ledger entries")

    def list_ledger_entry_lines(self, entry_id: int) -> list[dict[str, Any]]:
        return list(self.paginate(f"ledger_entries/{int(entry_id)}/ledger_entry_lines",
                                  what=f"list lines of ledger entry {entry_id}"))

    def update_ledger_entry(self, entry_id: int, payload: dict[str, Any]) -> dict[str, Any]:
        self._before_entry(payload)
        return self.with_fresh_ids(payload, lambda body: self._write(
            "PUT", f"ledger_entries/{int(entry_id)}", json_body=body, what=f"update ledger entry {entry_id}"))

    # The Company API v2 spec has no DELETE /ledger_entries/{id}: entries are replaced in place
    # (PUT with ledger_entry_lines create/update/delete), so no delete_ledger_entry here.

    # ----------------------------------------------------------------- customers
    def list_customers(self, filters: list[dict[str, Any]] | None = None) -> Iterator[dict[str, Any]]:
        return self.paginate("customers", filters=filters, what="list customers")

    def get_customer(self, customer_id: int) -> dict[str, Any]:
        return self._read("GET", f"customers/{int(customer_id)}", what=f"get customer {customer_id}")

    def create_company_customer(self, payload: dict[str, Any]) -> dict[str, Any]:
        return self._write("POST", "company_customers", json_body=payload, what="create company customer")

    def create_individual_customer(self, payload: dict[str, Any]) -> dict[str, Any]:
        return self._write("POST", "individual_customers", json_body=payload, what="create individual customer")

    def update_company_customer(self, customer_id: int, payload: dict[str, Any]) -> dict[str, Any]:
        return self._write("PUT", f"company_customers/{int(customer_id)}", json_body=payload,
                           what=f"update company customer {customer_id}")

    def update_individual_customer(self, customer_id: int, payload: dict[str, Any]) -> dict[str, Any]:
        return self._write("PUT", f"individual_customers/{int(customer_id)}", json_body=payload,
                           what=f"update individual customer {customer_id}")

    # ------------------------------------------------------------------ products
    def list_products(self, filters: list[dict[str, Any]] | None = None) -> Iterator[dict[str, Any]]:
        return self.paginate("products", filters=filters, what="list products")

    def get_product(self, product_id: int) -> dict[str, Any]:
        return self._read("GET", f"products/{int(product_id)}", what=f"get product {product_id}")

    def create_product(self, payload: dict[str, Any]) -> dict[str, Any]:
        return self._write("POST", "products", json_body=payload, what="create product")

    def update_product(self, product_id: int, payload: dict[str, Any]) -> dict[str, Any]:
        return self._write("PUT", f"products/{int(product_id)}", json_body=payload,
                           what=f"update product {product_id}")

    # ---------------------------------------------- invoices and commercial documents
    def list_customer_invoices(self, filters: list[dict[str, Any]] | None = None) -> Iterator[dict[str, Any]]:
        """Invoices AND credit notes (credit notes have negative amounts)."""
        return self.paginate("customer_invoices", filters=filters, what="list customer invoices")

    def get_customer_invoice(self, invoice_id: int) -> dict[str, Any]:
        return self._read("GET", f"customer_invoices/{int(invoice_id)}", what=f"get customer invoice {invoice_id}")

    def list_invoice_lines(self, invoice_id: int) -> list[dict[str, Any]]:
        return list(self.paginate(f"customer_invoices/{int(invoice_id)}/invoice_lines",
                                  what=f"list lines of customer invoice {invoice_id}"))

    def list_commercial_documents(self, filters: list[dict[str, Any]] | None = None) -> Iterator[dict[str, Any]]:
        return self.paginate("commercial_documents", filters=filters, what="list commercial documents")

    def get_commercial_document(self, document_id: int) -> dict[str, Any]:
        return self._read("GET", f"commercial_documents/{int(document_id)}",
                          what=f"get commercial document {document_id}")

    def list_commercial_document_lines(self, document_id: int) -> list[dict[str, Any]]:
        return list(self.paginate(f"commercial_documents/{int(document_id)}/invoice_lines",
                                  what=f"list lines of commercial document {document_id}"))

    # ------------------------------------------------------ suppliers and imports
    def list_suppliers(self, filters: list[dict[str, Any]] | None = None) -> Iterator[dict[str, Any]]:
        return self.paginate("suppliers", filters=filters, what="list suppliers")

    def create_supplier(self, payload: dict[str, Any]) -> dict[str, Any]:
        return self._write("POST", "suppliers", json_body=payload, what="create supplier")

    def upload_file_attachment(self, filename: str, content: bytes) -> dict[str, Any]:
        return self._write("POST", "file_attachments", files={"file": (filename, content)},
                           data={"filename": filename}, what=f"upload file {filename}")

    def import_supplier_invoice(self, payload: dict[str, Any]) -> dict[str, Any]:
        """Pennylane de-duplicates supplier-invoice imports by file (409 on a second import)."""
        return self._write("POST", "supplier_invoices/import", json_body=payload, what="import supplier invoice")

    def list_supplier_invoices(self, filters: list[dict[str, Any]] | None = None) -> Iterator[dict[str, Any]]:
        return self.paginate("supplier_invoices", filters=filters, what="list supplier invoices")

    # ---------------------------------------------------------------- changelogs
    def changelog(self, resource: str, start_date: str | None = None, cursor: str | None = None,
                  limit: int = 1000) -> tuple[list[dict[str, Any]], str | None, bool]:
        """One page of ``/changelogs/{resource}``: (items, next_cursor, has_more).

        Pass ``start_date`` (RFC 3339, within 4 weeks) for the first call, then only ``cursor``:
        Pennylane answers 400 to both together, 422 to a start date past its retention.
        """
        if start_date and cursor:
            raise ValueError("changelog: pass start_date or cursor, not both (Pennylane answers 400)")
        params = {"limit": limit, "start_date": start_date, "cursor": cursor}
        page = self._read("GET", f"changelogs/{resource}", params=params, what=f"changelog {resource}")
        return page.get("items", []), page.get("next_cursor"), bool(page.get("has_more"))


def _clean(params: dict[str, Any] | None) -> dict[str, Any] | None:
    if params is None:
        return None
    return {k: v for k, v in params.items() if v is not None}
