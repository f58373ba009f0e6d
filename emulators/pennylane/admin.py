"""Emulator-only endpoints under ``/_emulator/`` (not part of Pennylane's API).

- ``POST /_emulator/companies`` ``{"token", "name", "reg_no"?, "scopes"?}``: register a company.
- ``POST /_emulator/faults`` ``{"kind": "status"|"timeout"|"drop", "status"?, "count"?, "method"?,
  "path"?, "token"?, "seconds"?, "commit"?, "retry_after"?, "error"?}`` (``error``: the text of a
  status fault's ``{"error", "status"}`` body, e.g. Pennylane's 422 for a closed period);
  ``DELETE`` clears them.
- ``POST /_emulator/clock`` ``{"now": "<RFC 3339>"|null}``: shift the emulated time (changelog
  timestamps and the 4-week retention).
- ``POST /_emulator/seed/{customer_invoices|commercial_documents|products|customers}``: create
  documents the stock tests read. Commercial documents are read-only in the spec and invoices
  are created from outside the product (the shop's invoicing), so they are seeded here.
  ``PUT``/``DELETE /_emulator/seed/{kind}/{id}`` edit or delete them (changelog update/delete).
  Commercial documents have no changelog endpoint in the spec, so none is recorded for them.
- ``DELETE /_emulator/ledger_entries/{id}`` ``{"token"}``: an entry deleted by hand in Pennylane's
  web app (the API itself has no DELETE for ledger entries); reconciliation tests use it.
- ``GET /_emulator/summary``: per company, journals and ledger entries (read-only).
- ``GET|DELETE /_emulator/violations``: spec violations recorded so far.
- ``GET /_emulator/stats``: request counters.
"""

from __future__ import annotations

import json
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from emulators.pennylane import vat_codes
from emulators.pennylane.store import Store, iso


def summary(store: Store) -> dict[str, Any]:
    """What each company received: journals and ledger entries (date, piece, label, balance)."""
    out = []
    for company in store.companies():
        cid = company["id"]
        journals = {j["id"]: j for j in store.all("journal", cid)}
        entries = []
        for e in store.all("ledger_entry", cid):
            debit = sum((Decimal(ln["debit"]) for ln in e["lines"]), Decimal(0))
            credit = sum((Decimal(ln["credit"]) for ln in e["lines"]), Decimal(0))
            entries.append({
                "id": e["id"], "journal": journals.get(e["journal_id"], {}).get("code"), "date": e["date"],
                "piece_number": e.get("piece_number"), "label": e["label"], "lines": len(e["lines"]),
                "balanced": debit == credit, "total": str(debit),
            })
        out.append({
            "company": {"id": cid, "name": company["name"], "reg_no": company["reg_no"]},
            "journals": [{"id": j["id"], "code": j["code"], "label": j["label"]} for j in journals.values()],
            "ledger_accounts": len(store.all("ledger_account", cid)),
            "entries": entries,
        })
    return {"companies": out}


def _money(value: Decimal) -> str:
    return str(value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def _company(store: Store, body: dict[str, Any]) -> dict[str, Any]:
    company = store.company_for_token(str(body.get("token")))
    if company is None:
        raise ValueError(f"unknown token {body.get('token')!r}: register the company first")
    return company


def build_document(store: Store, cid: int, kind: str, body: dict[str, Any], base: str,
                   existing: dict[str, Any] | None = None) -> dict[str, Any]:
    """A customer invoice / credit note / commercial document in the spec's response shape."""
    now = iso(store.now())
    rid = existing["id"] if existing else store.next_id(kind)
    lines_out = []
    total_before = Decimal(0)
    total_tax = Decimal(0)
    for line in body.get("lines", []):
        vat = line.get("vat_rate", "FR_200")
        if vat not in vat_codes.PRODUCT_VAT_CODES:
            raise ValueError(f"line vat_rate {vat!r} is not a Pennylane VAT code")
        qty = Decimal(str(line.get("quantity", "1")))
        unit_price = Decimal(str(line["raw_currency_unit_price"]))
        before = (qty * unit_price).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        tax = (before * vat_codes.rate_percent(vat) / 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        total_before += before
        total_tax += tax
        lid = line.get("id") or store.next_id("invoice_line")
        product_id = line.get("product_id")
        lines_out.append({
            "id": lid, "label": line.get("label", ""), "unit": line.get("unit", "piece"), "quantity": str(qty),
            "amount": _money(before + tax), "currency_amount": _money(before + tax),
            "description": line.get("description", ""),
            "product": {"id": product_id, "url": f"{base}/products/{product_id}"} if product_id else None,
            "vat_rate": vat, "currency_amount_before_tax": _money(before), "currency_tax": _money(tax),
            "tax": _money(tax), "raw_currency_unit_price": str(unit_price),
            "discount": {"type": "relative", "value": "0"}, "section_rank": None, "imputation_dates": None,
            "created_at": now, "updated_at": now,
        })
    total = total_before + total_tax
    customer_id = body.get("customer_id")
    doc: dict[str, Any] = {
        "id": rid, "label": body.get("label"), "currency": body.get("currency", "EUR"), "amount": _money(total),
        "currency_amount": _money(total), "currency_amount_before_tax": _money(total_before),
        "exchange_rate": "1.0", "date": body.get("date"), "deadline": body.get("deadline", body.get("date")),
        "currency_tax": _money(total_tax), "tax": _money(total_tax), "language": "fr_FR",
        "discount": {"type": "relative", "value": "0"}, "public_file_url": None, "filename": None,
        "special_mention": None,
        "customer": {"id": customer_id, "url": f"{base}/customers/{customer_id}"} if customer_id else None,
        "invoice_line_sections": {"url": f"{base}/{kind}s/{rid}/invoice_line_sections"},
        "invoice_lines": {"url": f"{base}/{kind}s/{rid}/invoice_lines"},
        "pdf_invoice_free_text": "", "pdf_invoice_subject": "", "pdf_description": None,
        "appendices": {"url": f"{base}/{kind}s/{rid}/appendices"},
        "external_reference": str(body.get("external_reference") or f"{kind}-{rid}"),
        "archived_at": None, "created_at": existing["created_at"] if existing else now, "updated_at": now,
        "_lines": lines_out,
    }
    if kind == "customer_invoice":
        credit_note = total < 0
        draft = bool(body.get("draft", False))
        doc.update({
            "invoice_number": body.get("invoice_number") or ("" if draft else f"{'AV' if credit_note else 'F'}-{rid}"),
            "paid": bool(body.get("paid", False)),
            "status": body.get("status") or ("draft" if draft else ("credit_note" if credit_note else "upcoming")),
            "ledger_entry": {"id": store.next_id("ledger_entry")} if not existing else existing["ledger_entry"],
            "remaining_amount_with_tax": _money(total), "remaining_amount_without_tax": _money(total_before),
            "draft": draft,
            "custom_header_fields": {"url": f"{base}/customer_invoices/{rid}/custom_header_fields"},
            "categories": {"url": f"{base}/customer_invoices/{rid}/categories"},
            "billing_subscription": None,
            "credited_invoice": {"id": body["credited_invoice_id"],
                                 "url": f"{base}/customer_invoices/{body['credited_invoice_id']}"}
            if body.get("credited_invoice_id") else None,
            "customer_invoice_template": None, "transaction_reference": None,
            "payments": {"url": f"{base}/customer_invoices/{rid}/payments"},
            "matched_transactions": {"url": f"{base}/customer_invoices/{rid}/matched_transactions"},
            "quote": None, "e_invoicing": None,
        })
    else:
        doc_type = body.get("document_type", "shipping_order")
        if doc_type not in ("proforma", "shipping_order", "purchasing_order"):
            raise ValueError(f"document_type {doc_type!r} must be proforma, shipping_order or purchasing_order")
        doc.update({
            "document_number": body.get("document_number") or f"{doc_type[:2].upper()}-{rid}",
            "document_type": doc_type, "quote": None, "commercial_document_template": None,
        })
        doc["discount"] = {"type": "relative", "value": None}
    return doc


CHANGELOG_OF = {"customer_invoice": "customer_invoices", "commercial_document": None}


async def handle_admin(app, request: Request) -> Response:
    store: Store = app.store
    parts = [p for p in request.url.path.split("/") if p][1:]
    method = request.method
    base = str(request.base_url).rstrip("/") + "/api/external/v2"
    try:
        body = json.loads(await request.body() or b"null") or {}
        if parts == ["companies"] and method == "POST":
            return JSONResponse(store.register_company(body["token"], body["name"], body.get("reg_no"),
                                                       body.get("scopes")), status_code=201)
        if parts == ["companies"] and method == "GET":
            return JSONResponse({"companies": store.companies()})
        if parts == ["faults"] and method == "POST":
            app.add_fault(body)
            return JSONResponse({"faults": len(app.faults)}, status_code=201)
        if parts == ["faults"] and method == "DELETE":
            app.faults.clear()
            return Response(status_code=204)
        if parts == ["clock"] and method == "POST":
            when = body.get("now")
            store.set_now(datetime.fromisoformat(when.replace("Z", "+00:00")) if when else None)
            return JSONResponse({"now": iso(store.now())})
        if parts == ["summary"] and method == "GET":
            return JSONResponse(summary(store))
        if parts == ["violations"] and method == "GET":
            return JSONResponse({"violations": [str(v) for v in app.spec_violations]})
        if parts == ["violations"] and method == "DELETE":
            app.spec_violations.clear()
            return Response(status_code=204)
        if parts == ["stats"] and method == "GET":
            return JSONResponse(app.stats)
        if len(parts) == 2 and parts[0] == "ledger_entries" and method == "DELETE":
            company = _company(store, body)
            if store.get("ledger_entry", company["id"], int(parts[1])) is None:
                return JSONResponse({"error": f"no ledger entry {parts[1]}"}, status_code=404)
            store.delete("ledger_entry", company["id"], int(parts[1]))
            return Response(status_code=204)
        if len(parts) >= 2 and parts[0] == "seed":
            return await _seed(app, store, method, parts[1:], body, base)
    except (KeyError, ValueError, TypeError) as exc:
        return JSONResponse({"error": f"bad emulator admin request: {exc}"}, status_code=400)
    return JSONResponse({"error": f"unknown emulator endpoint {method} {request.url.path}"}, status_code=404)


async def _seed(app, store: Store, method: str, parts: list[str], body: dict[str, Any], base: str) -> Response:
    """Seed documents; products and customers go through the real handlers' code paths."""
    company = _company(store, body)
    cid = company["id"]
    kind = {"customer_invoices": "customer_invoice", "commercial_documents": "commercial_document"}.get(parts[0])
    if kind is None:
        raise ValueError(f"cannot seed {parts[0]!r} (seed customer_invoices or commercial_documents; create "
                         f"products and customers through the API)")
    resource = CHANGELOG_OF[kind]
    if method == "POST" and len(parts) == 1:
        with store.transaction():
            doc = build_document(store, cid, kind, body, base)
            store.insert(kind, cid, doc)
            if resource:
                store.log_change(cid, resource, doc["id"], "insert", doc["created_at"], doc["updated_at"])
        return JSONResponse({k: v for k, v in doc.items() if not k.startswith("_")}, status_code=201)
    rid = int(parts[1])
    existing = store.get(kind, cid, rid)
    if existing is None:
        return JSONResponse({"error": f"no {kind} {rid} in company {cid}"}, status_code=404)
    if method == "PUT":
        merged = {"lines": [{**ln, "id": ln.get("id")} for ln in body.get("lines", [])]} if "lines" in body else {
            "lines": [{"id": ln["id"], "label": ln["label"], "quantity": ln["quantity"],
                       "raw_currency_unit_price": ln["raw_currency_unit_price"], "vat_rate": ln["vat_rate"],
                       "product_id": (ln.get("product") or {}).get("id")} for ln in existing["_lines"]]}
        seed = {"date": existing["date"], "customer_id": (existing.get("customer") or {}).get("id"),
                "external_reference": existing["external_reference"], "label": existing["label"]}
        seed.update({k: v for k, v in body.items() if k not in ("token", "lines")})
        seed.update(merged)
        with store.transaction():
            doc = build_document(store, cid, kind, seed, base, existing=existing)
            store.update(kind, cid, doc)
            if resource:
                store.log_change(cid, resource, rid, "update", doc["created_at"], doc["updated_at"])
        return JSONResponse({k: v for k, v in doc.items() if not k.startswith("_")})
    if method == "DELETE":
        with store.transaction():
            store.delete(kind, cid, rid)
            if resource:
                store.log_change(cid, resource, rid, "delete", existing["created_at"], iso(store.now()))
        return Response(status_code=204)
    raise ValueError(f"unsupported {method} on seed/{parts[0]}")
