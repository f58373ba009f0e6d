"""The emulated operations of the Pennylane Company API v2 (paths relative to /api/external/v2).

Each handler returns ``(status, body)``; Pennylane's business rules raise ``ApiError``.
Records are stored in the shape the spec's responses need; serializers pick the fields each
operation returns (the spec's schemas are strict: e.g. ``GET /ledger_entries/{id}`` has
``created_at`` but no ``journal_id``, the POST response the other way round).
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from emulators.pennylane import vat_codes
from emulators.pennylane.rules import (
    MAX_ENTRY_LINES,
    ApiError,
    Ctx,
    Handler,
    bad_request,
    changelog_page,
    check_body,
    check_date,
    check_vat,
    err,
    money,
    page_response,
    parse_amount,
    parse_multipart,
    sha256_hex,
)

ADDRESS_KEYS = ("address", "postal_code", "city", "country_alpha2")


def _not_found(kind: str, rid: Any) -> ApiError:
    return err(404, f"Couldn't find {kind} with 'id'={rid}")


def _get(ctx: Ctx, kind: str, label: str, rid: int) -> dict[str, Any]:
    rec = ctx.store.get(kind, ctx.cid, rid)
    if rec is None:
        raise _not_found(label, rid)
    return rec


def _public(rec: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in rec.items() if not k.startswith("_")}


# ----------------------------------------------------------------------------- me
async def get_me(ctx: Ctx):
    c = ctx.company
    import json

    return 200, {
        "user": {"id": c["id"] * 10, "first_name": "API", "last_name": "Token", "email": f"api+{c['id']}@example.com",
                 "locale": "fr"},
        "company": {"id": c["id"], "name": c["name"], "reg_no": c["reg_no"]},
        "scopes": json.loads(c["scopes"]),
    }


# ------------------------------------------------------------------------ journals
def _journal(rec: dict[str, Any]) -> dict[str, Any]:
    return {"code": rec["code"], "id": rec["id"], "label": rec["label"], "type": rec["type"]}


async def list_journals(ctx: Ctx):
    return 200, page_response(ctx, "journals", ctx.store.all("journal", ctx.cid), _journal, legacy=True)


async def create_journal(ctx: Ctx):
    body = check_body(ctx.json(), ("code", "label"), ("code", "label"))
    code = body["code"]
    if not isinstance(code, str) or not code.isalpha() or not 2 <= len(code) <= 5:
        raise err(422, "Code must contain between 2 and 5 letters")
    if any(j["code"] == code.upper() for j in ctx.store.all("journal", ctx.cid)):
        raise err(422, f"Code {code.upper()} has already been taken")
    rec = ctx.store.insert("journal", ctx.cid, {"code": code.upper(), "label": str(body["label"]), "type": "sales"})
    return 201, _journal(rec)


async def get_journal(ctx: Ctx):
    return 200, _journal(_get(ctx, "journal", "Journal", ctx.id_arg()))


# ----------------------------------------------------------------- ledger accounts
def _account(rec: dict[str, Any]) -> dict[str, Any]:
    return _public(rec)


async def list_ledger_accounts(ctx: Ctx):
    return 200, page_response(ctx, "ledger_accounts", ctx.store.all("ledger_account", ctx.cid), _account,
                              legacy=True)


def new_ledger_account(ctx: Ctx, number: str, label: str, vat_rate: str = "any",
                       country: str = "FR") -> dict[str, Any]:
    if any(a["number"] == number for a in ctx.store.all("ledger_account", ctx.cid)):
        raise err(422, f"Number {number} has already been taken")
    now = ctx.now()
    kind = {"4": "third_party", "5": "financial", "6": "expense", "7": "revenue"}.get(number[:1], "general")
    return ctx.store.insert("ledger_account", ctx.cid, {
        "number": number, "label": label, "vat_rate": vat_rate, "country_alpha2": country, "enabled": True,
        "type": kind, "letterable": number[:1] == "4", "created_at": now, "updated_at": now,
    })


async def create_ledger_account(ctx: Ctx):
    body = check_body(ctx.json(), ("number", "label"), ("number", "label", "vat_rate", "country_alpha2"))
    number = body["number"]
    if not isinstance(number, str) or not number.strip() or not number[:1].isdigit():
        raise err(422, "Number must start with a digit (PCG class)")
    if "vat_rate" in body:
        check_vat(body["vat_rate"], "vat_rate", vat_codes.LEDGER_ACCOUNT_VAT_CODES)
    if "country_alpha2" in body and body["country_alpha2"] not in vat_codes.LEDGER_ACCOUNT_COUNTRIES:
        raise bad_request(f"country_alpha2 {body['country_alpha2']!r} is not allowed", "country_alpha2",
                          "NotEnumInclude")
    with ctx.store.transaction():
        rec = new_ledger_account(ctx, number, str(body["label"]), body.get("vat_rate", "any"),
                                 body.get("country_alpha2", "FR"))
    return 201, _account(rec)


async def get_ledger_account(ctx: Ctx):
    return 200, _account(_get(ctx, "ledger_account", "LedgerAccount", ctx.id_arg()))


async def update_ledger_account(ctx: Ctx):
    body = check_body(ctx.json(), (), ("label", "letterable"))
    with ctx.store.transaction():
        rec = _get(ctx, "ledger_account", "LedgerAccount", ctx.id_arg())
        rec.update(body)
        rec["updated_at"] = ctx.now()
        ctx.store.update("ledger_account", ctx.cid, rec)
    return 200, _account(rec)


# ------------------------------------------------------------------- ledger entries
LINE_KEYS = ("debit", "credit", "ledger_account_id", "label")
ENTRY_KEYS = ("date", "due_date", "label", "journal_id", "ledger_attachment_id", "file_attachment_id",
              "currency", "piece_number", "ledger_entry_lines")


def _line_out(ctx: Ctx, line: dict[str, Any], with_deprecated_id: bool) -> dict[str, Any]:
    out = {"id": line["id"], "debit": line["debit"], "credit": line["credit"]}
    if with_deprecated_id:
        out["ledger_account_id"] = line["ledger_account_id"]
    out["ledger_account"] = {"id": line["ledger_account_id"], "number": line["account_number"],
                             "url": ctx.url("ledger_accounts", line["ledger_account_id"])}
    out["label"] = line.get("label") or ""
    return out


def _attachment(ctx: Ctx, rec: dict[str, Any]) -> dict[str, Any] | None:
    fid = rec.get("file_attachment_id")
    if not fid:
        return None
    fa = ctx.store.get("file_attachment", ctx.cid, fid)
    return {"filename": fa["filename"], "url": fa["url"]} if fa else None


def _entry_common(ctx: Ctx, rec: dict[str, Any]) -> dict[str, Any]:
    return {"id": rec["id"], "label": rec["label"], "piece_number": rec.get("piece_number"), "date": rec["date"],
            "due_date": rec.get("due_date"), "invoice_number": None}


def entry_written(ctx: Ctx, rec: dict[str, Any]) -> dict[str, Any]:
    """Response of POST /ledger_entries and PUT /ledger_entries/{id}."""
    out = _entry_common(ctx, rec)
    out.update({
        "journal_id": rec["journal_id"], "journal": {"id": rec["journal_id"], "url": ctx.url("journals", rec["journal_id"])},
        "categories": [], "ledger_attachment_filename": None, "ledger_attachment_id": None,
        "attachment": _attachment(ctx, rec),
        "ledger_entry_lines": [_line_out(ctx, ln, True) for ln in rec["lines"]],
    })
    return out


def entry_get(ctx: Ctx, rec: dict[str, Any]) -> dict[str, Any]:
    out = _entry_common(ctx, rec)
    out.update({
        "created_at": rec["created_at"], "updated_at": rec["updated_at"],
        "journal": {"id": rec["journal_id"], "url": ctx.url("journals", rec["journal_id"])}, "categories": [],
        "attachment": _attachment(ctx, rec),
        "ledger_entry_lines": [_line_out(ctx, ln, False) for ln in rec["lines"]],
    })
    return out


def entry_list_item(ctx: Ctx, rec: dict[str, Any]) -> dict[str, Any]:
    out = {"id": rec["id"], "created_at": rec["created_at"], "updated_at": rec["updated_at"]}
    out.update({k: v for k, v in _entry_common(ctx, rec).items() if k != "id"})
    out.update({
        "journal_id": rec["journal_id"], "journal": {"id": rec["journal_id"], "url": ctx.url("journals", rec["journal_id"])},
        "categories": [], "ledger_attachment_filename": None, "attachment": _attachment(ctx, rec),
    })
    return out


def _check_line(ctx: Ctx, line: Any, where: str, *, partial: bool = False) -> dict[str, Any]:
    required = () if partial else ("debit", "credit", "ledger_account_id")
    allowed = (("id",) if partial else ()) + LINE_KEYS
    check_body(line, required + (("id",) if partial else ()), allowed, where)
    out: dict[str, Any] = {}
    for side in ("debit", "credit"):
        if side in line:
            amount = parse_amount(line[side], f"{where}{side}")
            if amount < 0:
                raise err(422, f"{where}{side} must be positive or zero")
            out[side] = money(amount)
    if "ledger_account_id" in line:
        acc = ctx.store.get("ledger_account", ctx.cid, line["ledger_account_id"]) \
            if isinstance(line["ledger_account_id"], int) else None
        if acc is None:
            raise _not_found("LedgerAccount", line["ledger_account_id"])
        out["ledger_account_id"] = acc["id"]
        out["account_number"] = acc["number"]
    if "label" in line:
        out["label"] = str(line["label"])
    return out


def _check_balanced(lines: list[dict[str, Any]]) -> None:
    debit = sum((Decimal(ln["debit"]) for ln in lines), Decimal(0))
    credit = sum((Decimal(ln["credit"]) for ln in lines), Decimal(0))
    if debit != credit:
        raise err(422, "Entry lines are not balanced")


def _check_journal(ctx: Ctx, journal_id: Any) -> int:
    if not isinstance(journal_id, int) or ctx.store.get("journal", ctx.cid, journal_id) is None:
        raise _not_found("Journal", journal_id)
    return journal_id


def _check_currency(value: Any) -> str:
    if not isinstance(value, str) or len(value) != 3 or not value.isalpha() or not value.isupper():
        raise bad_request(f"currency {value!r} is not an ISO 4217 code", "currency", "NotEnumInclude")
    return value


def _entry_lines_for(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return lines


async def create_ledger_entry(ctx: Ctx):
    body = check_body(ctx.json(), ("date", "label", "journal_id", "ledger_entry_lines"), ENTRY_KEYS)
    check_date(body["date"], "date")
    if body.get("due_date") is not None:
        check_date(body["due_date"], "due_date")
    lines_in = body["ledger_entry_lines"]
    if not isinstance(lines_in, list) or not lines_in:
        raise bad_request("ledger_entry_lines must contain at least one line", "ledger_entry_lines", "LessThanMinItems")
    if len(lines_in) > MAX_ENTRY_LINES:
        raise err(422, f"A ledger entry can have at most {MAX_ENTRY_LINES} lines ({len(lines_in)} given)")
    currency = _check_currency(body.get("currency", "EUR"))
    with ctx.store.transaction():
        journal_id = _check_journal(ctx, body["journal_id"])
        lines = [_check_line(ctx, ln, f"ledger_entry_lines[{i}].") for i, ln in enumerate(lines_in)]
        _check_balanced(lines)
        for ln in lines:
            ln["id"] = ctx.store.next_id("ledger_entry_line")
            ln.setdefault("label", "")
        fid = body.get("file_attachment_id") or body.get("ledger_attachment_id")
        if fid is not None and ctx.store.get("file_attachment", ctx.cid, fid) is None:
            raise _not_found("FileAttachment", fid)
        now = ctx.now()
        rec = ctx.store.insert("ledger_entry", ctx.cid, {
            "label": str(body["label"]), "date": body["date"], "due_date": body.get("due_date"),
            "journal_id": journal_id, "currency": currency, "file_attachment_id": fid,
            "piece_number": body.get("piece_number") or None, "created_at": now, "updated_at": now, "lines": lines,
        })
        if rec["piece_number"] is None:  # Pennylane generates one when none is given
            rec["piece_number"] = f"PL{rec['id']}"
            ctx.store.update("ledger_entry", ctx.cid, rec)
    return 201, entry_written(ctx, rec)


async def get_ledger_entry(ctx: Ctx):
    return 200, entry_get(ctx, _get(ctx, "ledger_entry", "LedgerEntry", ctx.id_arg()))


async def list_ledger_entries(ctx: Ctx):
    records = ctx.store.all("ledger_entry", ctx.cid)
    return 200, page_response(ctx, "ledger_entries", records, lambda r: entry_list_item(ctx, r), legacy=True)


async def update_ledger_entry(ctx: Ctx):
    body = check_body(ctx.json(), (), ENTRY_KEYS)
    with ctx.store.transaction():
        rec = _get(ctx, "ledger_entry", "LedgerEntry", ctx.id_arg())
        if "date" in body:
            rec["date"] = check_date(body["date"], "date")
        if "label" in body:
            rec["label"] = str(body["label"])
        if "journal_id" in body:
            rec["journal_id"] = _check_journal(ctx, body["journal_id"])
        if "currency" in body:
            rec["currency"] = _check_currency(body["currency"])
        if "piece_number" in body:
            rec["piece_number"] = body["piece_number"]
        for key in ("file_attachment_id", "ledger_attachment_id"):
            if key in body:
                rec["file_attachment_id"] = body[key]
        ops = body.get("ledger_entry_lines")
        if ops is not None:
            check_body(ops, (), ("create", "update", "delete"), "ledger_entry_lines.")
            affected = sum(len(ops.get(k) or []) for k in ("create", "update", "delete"))
            if affected > MAX_ENTRY_LINES:
                raise err(422, f"At most {MAX_ENTRY_LINES} ledger entry lines can be changed at once ({affected} given)")
            by_id = {ln["id"]: ln for ln in rec["lines"]}
            for i, upd in enumerate(ops.get("update") or []):
                change = _check_line(ctx, upd, f"ledger_entry_lines.update[{i}].", partial=True)
                line = by_id.get(upd["id"])
                if line is None:
                    raise _not_found("LedgerEntryLine", upd["id"])
                line.update(change)
            for i, dele in enumerate(ops.get("delete") or []):
                check_body(dele, ("id",), ("id",), f"ledger_entry_lines.delete[{i}].")
                if dele["id"] not in by_id:
                    raise _not_found("LedgerEntryLine", dele["id"])
                del by_id[dele["id"]]
            lines = [ln for ln in rec["lines"] if ln["id"] in by_id]
            for i, new in enumerate(ops.get("create") or []):
                line = _check_line(ctx, new, f"ledger_entry_lines.create[{i}].")
                line["id"] = ctx.store.next_id("ledger_entry_line")
                line.setdefault("label", "")
                lines.append(line)
            if not lines:
                raise err(422, "A ledger entry must keep at least one line")
            if len(lines) > MAX_ENTRY_LINES:
                raise err(422, f"A ledger entry can have at most {MAX_ENTRY_LINES} lines")
            rec["lines"] = lines
        _check_balanced(rec["lines"])
        rec["updated_at"] = ctx.now()
        ctx.store.update("ledger_entry", ctx.cid, rec)
    return 200, entry_written(ctx, rec)


def _line_list_item(ctx: Ctx, entry: dict[str, Any], line: dict[str, Any]) -> dict[str, Any]:
    """An item of ``GET /ledger_entry_lines`` (the spec's shape: the line with its date, journal
    and entry)."""
    out = _line_out(ctx, line, False)
    out.update({
        "categories": [], "date": entry["date"],
        "journal": {"id": entry["journal_id"], "url": ctx.url("journals", entry["journal_id"])},
        "ledger_entry": {"id": entry["id"]},
        # no lettering in the emulator: the ids list holds none
        "lettered_ledger_entry_lines": {"ids": [], "url": ctx.url("ledger_entry_lines", line["id"])
                                        + "/lettered_ledger_entry_lines"},
        "created_at": entry["created_at"], "updated_at": entry["updated_at"],
    })
    return out


async def list_ledger_entry_lines(ctx: Ctx):
    rows = []
    for entry in ctx.store.all("ledger_entry", ctx.cid):
        for line in entry["lines"]:
            rows.append({**line, "date": entry["date"], "journal_id": entry["journal_id"], "_entry": entry})
    return 200, page_response(ctx, "ledger_entry_lines", rows, lambda r: _line_list_item(ctx, r["_entry"], r))


async def list_lines_of_entry(ctx: Ctx):
    rec = _get(ctx, "ledger_entry", "LedgerEntry", ctx.id_arg("ledger_entry_id"))
    lines = [dict(ln) for ln in rec["lines"]]
    return 200, page_response(ctx, "entry_lines_of_entry", lines, lambda ln: _line_out(ctx, ln, True), legacy=True)


# ------------------------------------------------------------------------ customers
def _address(value: Any, field: str) -> dict[str, str]:
    check_body(value, ADDRESS_KEYS, ADDRESS_KEYS, f"{field}.")
    return {k: str(value[k]) for k in ADDRESS_KEYS}


CUSTOMER_COMMON = ("phone", "billing_address", "delivery_address", "payment_conditions", "billing_iban",
                   "recipient", "reference", "ledger_account", "notes", "emails", "external_reference",
                   "billing_language")
PAYMENT_CONDITIONS = ("upon_receipt", "custom", "7_days", "15_days", "30_days", "30_days_end_of_month", "45_days",
                      "45_days_end_of_month", "60_days")


def _customer_out(ctx: Ctx, rec: dict[str, Any], with_type: bool) -> dict[str, Any]:
    out = _public(rec)
    if not with_type:
        out.pop("customer_type", None)
    for key in ("mandates", "pro_account_mandates", "contacts"):
        out[key] = {"url": ctx.url("customers", rec["id"], key)}
    return out


def _apply_customer(ctx: Ctx, rec: dict[str, Any], body: dict[str, Any], kind: str) -> None:
    for key in ("billing_address", "delivery_address"):
        if key in body:
            rec[key] = _address(body[key], key)
    if "payment_conditions" in body and body["payment_conditions"] not in PAYMENT_CONDITIONS:
        raise bad_request(f"payment_conditions {body['payment_conditions']!r} is not allowed", "payment_conditions",
                          "NotEnumInclude")
    if "billing_language" in body and body["billing_language"] not in ("fr_FR", "en_GB", "de_DE"):
        raise bad_request("billing_language must be fr_FR, en_GB or de_DE", "billing_language", "NotEnumInclude")
    for key in ("phone", "payment_conditions", "billing_iban", "recipient", "reference", "notes", "emails",
                "billing_language", "vat_number", "reg_no", "first_name", "last_name", "name"):
        if key in body:
            rec[key] = body[key]
    if "external_reference" in body:
        ref = str(body["external_reference"])
        if any(c["external_reference"] == ref and c["id"] != rec.get("id") for c in ctx.store.all("customer", ctx.cid)):
            raise err(422, f"External reference {ref} has already been taken")
        rec["external_reference"] = ref
    if kind == "individual":
        rec["name"] = f"{rec['first_name']} {rec['last_name']}".strip()
    if "ledger_account" in body:
        number = check_body(body["ledger_account"], ("number",), ("number",), "ledger_account.")["number"]
        existing = [a for a in ctx.store.all("ledger_account", ctx.cid) if a["number"] == number]
        acc = existing[0] if existing else new_ledger_account(ctx, number, rec["name"])
        rec["ledger_account"] = {"id": acc["id"]}


async def _create_customer(ctx: Ctx, kind: str):
    if kind == "company":
        body = check_body(ctx.json(), ("name", "billing_address"), ("name", "vat_number", "reg_no", *CUSTOMER_COMMON))
    else:
        body = check_body(ctx.json(), ("first_name", "last_name", "billing_address"),
                          ("first_name", "last_name", *CUSTOMER_COMMON))
    now = ctx.now()
    with ctx.store.transaction():
        rid = ctx.store.next_id("customer")
        rec: dict[str, Any] = {
            "id": rid, "name": body.get("name", ""), "billing_iban": None, "payment_conditions": "30_days",
            "recipient": "", "phone": "", "reference": None, "notes": None, "emails": [],
            "billing_address": None, "delivery_address": None, "created_at": now, "updated_at": now,
            "customer_type": kind, "external_reference": f"cust-{rid}", "billing_language": "fr_FR",
        }
        if kind == "company":
            rec.update({"vat_number": "", "reg_no": ""})
        else:
            rec.update({"first_name": body["first_name"], "last_name": body["last_name"]})
        _apply_customer(ctx, rec, body, kind)
        if rec["delivery_address"] is None:
            rec["delivery_address"] = dict(rec["billing_address"])
        if "ledger_account" not in rec:
            acc = new_ledger_account(ctx, f"411{rid}", rec["name"])
            rec["ledger_account"] = {"id": acc["id"]}
        ctx.store.insert("customer", ctx.cid, rec)
        ctx.store.log_change(ctx.cid, "customers", rid, "insert", now, now)
    return 201, _customer_out(ctx, rec, with_type=False)


async def create_company_customer(ctx: Ctx):
    return await _create_customer(ctx, "company")


async def create_individual_customer(ctx: Ctx):
    return await _create_customer(ctx, "individual")


async def _update_customer(ctx: Ctx, kind: str):
    allowed = ("name", "vat_number", "reg_no", *CUSTOMER_COMMON) if kind == "company" \
        else ("first_name", "last_name", *CUSTOMER_COMMON)
    body = check_body(ctx.json(), (), allowed)
    with ctx.store.transaction():
        rec = _get(ctx, "customer", "Customer", ctx.id_arg())
        if rec["customer_type"] != kind:
            raise _not_found("Customer", rec["id"])
        _apply_customer(ctx, rec, body, kind)
        rec["updated_at"] = ctx.now()
        ctx.store.update("customer", ctx.cid, rec)
        ctx.store.log_change(ctx.cid, "customers", rec["id"], "update", rec["created_at"], rec["updated_at"])
    return 200, _customer_out(ctx, rec, with_type=False)


async def update_company_customer(ctx: Ctx):
    return await _update_customer(ctx, "company")


async def update_individual_customer(ctx: Ctx):
    return await _update_customer(ctx, "individual")


async def _get_typed_customer(ctx: Ctx, kind: str):
    rec = _get(ctx, "customer", "Customer", ctx.id_arg())
    if rec["customer_type"] != kind:
        raise _not_found("Customer", rec["id"])
    return 200, _customer_out(ctx, rec, with_type=False)


async def get_company_customer(ctx: Ctx):
    return await _get_typed_customer(ctx, "company")


async def get_individual_customer(ctx: Ctx):
    return await _get_typed_customer(ctx, "individual")


def _customer_field(rec: dict[str, Any], field: str) -> Any:
    if field == "ledger_account_id":
        return (rec.get("ledger_account") or {}).get("id")
    return rec.get(field)


async def list_customers(ctx: Ctx):
    return 200, page_response(ctx, "customers", ctx.store.all("customer", ctx.cid),
                              lambda r: _customer_out(ctx, r, with_type=True), _customer_field)


async def get_customer(ctx: Ctx):
    return 200, _customer_out(ctx, _get(ctx, "customer", "Customer", ctx.id_arg()), with_type=True)


# ------------------------------------------------------------------------- products
PRODUCT_KEYS = ("label", "description", "external_reference", "price_before_tax", "vat_rate", "unit", "currency",
                "reference", "ledger_account_id")


def _apply_product(ctx: Ctx, rec: dict[str, Any], body: dict[str, Any]) -> None:
    if "price_before_tax" in body:
        rec["price_before_tax"] = money(parse_amount(body["price_before_tax"], "price_before_tax"))
    if "vat_rate" in body:
        rec["vat_rate"] = check_vat(body["vat_rate"], "vat_rate")
    if "currency" in body:
        rec["currency"] = _check_currency(body["currency"])
    for key in ("label", "description", "unit", "reference"):
        if key in body:
            rec[key] = body[key]
    if "external_reference" in body:
        ref = str(body["external_reference"])
        if any(p["external_reference"] == ref and p["id"] != rec.get("id") for p in ctx.store.all("product", ctx.cid)):
            raise err(422, f"External reference {ref} has already been taken")
        rec["external_reference"] = ref
    if "ledger_account_id" in body:
        if ctx.store.get("ledger_account", ctx.cid, body["ledger_account_id"]) is None:
            raise _not_found("LedgerAccount", body["ledger_account_id"])
        rec["ledger_account"] = {"id": body["ledger_account_id"]}
    rate = vat_codes.rate_percent(rec["vat_rate"])
    rec["price"] = money(Decimal(rec["price_before_tax"]) * (1 + rate / 100))


def _product_out(rec: dict[str, Any]) -> dict[str, Any]:
    return _public(rec)


async def create_product(ctx: Ctx):
    body = check_body(ctx.json(), ("label", "price_before_tax", "vat_rate"), PRODUCT_KEYS)
    now = ctx.now()
    with ctx.store.transaction():
        rid = ctx.store.next_id("product")
        rec: dict[str, Any] = {
            "id": rid, "label": "", "description": "", "external_reference": f"prod-{rid}", "price_before_tax": "0.00",
            "vat_rate": "FR_200", "price": "0.00", "unit": "piece", "currency": "EUR", "reference": None,
            "ledger_account": None, "archived_at": None, "created_at": now, "updated_at": now,
        }
        _apply_product(ctx, rec, body)
        ctx.store.insert("product", ctx.cid, rec)
        ctx.store.log_change(ctx.cid, "products", rid, "insert", now, now)
    return 201, _product_out(rec)


async def update_product(ctx: Ctx):
    body = check_body(ctx.json(), (), PRODUCT_KEYS)
    with ctx.store.transaction():
        rec = _get(ctx, "product", "Product", ctx.id_arg())
        _apply_product(ctx, rec, body)
        rec["updated_at"] = ctx.now()
        ctx.store.update("product", ctx.cid, rec)
        ctx.store.log_change(ctx.cid, "products", rec["id"], "update", rec["created_at"], rec["updated_at"])
    return 200, _product_out(rec)


async def get_product(ctx: Ctx):
    return 200, _product_out(_get(ctx, "product", "Product", ctx.id_arg()))


async def list_products(ctx: Ctx):
    return 200, page_response(ctx, "products", ctx.store.all("product", ctx.cid), _product_out)


# ---------------------------------------------- customer invoices / commercial docs
def _invoice_field(rec: dict[str, Any], field: str) -> Any:
    if field == "customer_id":
        return (rec.get("customer") or {}).get("id")
    if field == "credit_note":
        return Decimal(rec["currency_amount"]) < 0
    if field == "quote_id":
        return (rec.get("quote") or {}).get("id")
    if field == "billing_subscription_id":
        return (rec.get("billing_subscription") or {}).get("id")
    if field == "category_id":
        return None
    return rec.get(field)


def _lines_out(rec: dict[str, Any], with_imputation: bool) -> list[dict[str, Any]]:
    out = []
    for line in rec.get("_lines", []):
        line = dict(line)
        if not with_imputation:
            line.pop("imputation_dates", None)
        out.append(line)
    return out


async def list_customer_invoices(ctx: Ctx):
    return 200, page_response(ctx, "customer_invoices", ctx.store.all("customer_invoice", ctx.cid), _public,
                              _invoice_field)


async def get_customer_invoice(ctx: Ctx):
    return 200, _public(_get(ctx, "customer_invoice", "CustomerInvoice", ctx.id_arg()))


async def list_invoice_lines(ctx: Ctx):
    rec = _get(ctx, "customer_invoice", "CustomerInvoice", ctx.id_arg("customer_invoice_id"))
    return 200, page_response(ctx, "invoice_lines", _lines_out(rec, True), lambda ln: ln)


async def list_commercial_documents(ctx: Ctx):
    return 200, page_response(ctx, "commercial_documents", ctx.store.all("commercial_document", ctx.cid), _public,
                              _invoice_field)


async def get_commercial_document(ctx: Ctx):
    return 200, _public(_get(ctx, "commercial_document", "CommercialDocument", ctx.id_arg()))


async def list_commercial_document_lines(ctx: Ctx):
    rec = _get(ctx, "commercial_document", "CommercialDocument", ctx.id_arg("commercial_document_id"))
    return 200, page_response(ctx, "invoice_lines", _lines_out(rec, False), lambda ln: ln)


# ------------------------------------------------------------------------ suppliers
SUPPLIER_KEYS = ("name", "establishment_no", "reg_no", "postal_address", "vat_number", "ledger_account", "emails",
                 "iban", "supplier_payment_method", "supplier_due_date_delay", "supplier_due_date_rule",
                 "external_reference")


async def create_supplier(ctx: Ctx):
    body = check_body(ctx.json(), ("name",), SUPPLIER_KEYS)
    now = ctx.now()
    with ctx.store.transaction():
        rid = ctx.store.next_id("supplier")
        rec: dict[str, Any] = {
            "id": rid, "name": str(body["name"]), "establishment_no": body.get("establishment_no"),
            "reg_no": body.get("reg_no"), "vat_number": body.get("vat_number", ""), "ledger_account": None,
            "emails": body.get("emails", []), "iban": body.get("iban", ""),
            "postal_address": _address(body["postal_address"], "postal_address") if "postal_address" in body
            else {"address": "", "postal_code": "", "city": "", "country_alpha2": "FR"},
            # openapi-core rejects null in these nullable enums, so default to Pennylane's defaults
            "supplier_payment_method": body.get("supplier_payment_method") or "manual_transfer",
            "supplier_due_date_delay": body.get("supplier_due_date_delay", 30),
            "supplier_due_date_rule": body.get("supplier_due_date_rule") or "days",
            "external_reference": str(body.get("external_reference") or f"supp-{rid}"),
            "created_at": now, "updated_at": now,
        }
        number = (body.get("ledger_account") or {}).get("number") or f"401{rid}"
        existing = [a for a in ctx.store.all("ledger_account", ctx.cid) if a["number"] == number]
        acc = existing[0] if existing else new_ledger_account(ctx, number, rec["name"])
        rec["ledger_account"] = {"id": acc["id"]}
        ctx.store.insert("supplier", ctx.cid, rec)
        ctx.store.log_change(ctx.cid, "suppliers", rid, "insert", now, now)
    return 201, _public(rec)


def _supplier_field(rec: dict[str, Any], field: str) -> Any:
    if field == "ledger_account_id":
        return (rec.get("ledger_account") or {}).get("id")
    return rec.get(field)


async def list_suppliers(ctx: Ctx):
    return 200, page_response(ctx, "suppliers", ctx.store.all("supplier", ctx.cid), _public, _supplier_field)


async def get_supplier(ctx: Ctx):
    return 200, _public(_get(ctx, "supplier", "Supplier", ctx.id_arg()))


# ----------------------------------------------------------------- supplier invoices
SI_KEYS = ("file_attachment_id", "import_as_incomplete", "supplier_id", "date", "deadline", "invoice_number",
           "currency", "currency_amount_before_tax", "currency_amount", "amount", "currency_tax", "tax", "label",
           "transaction_reference", "invoice_lines", "external_reference")
SI_LINE_KEYS = ("label", "description", "currency_amount", "amount", "currency_tax", "tax", "ledger_account_id",
                "vat_rate", "imputation_dates", "ledger_entry_line")


async def import_supplier_invoice(ctx: Ctx):
    body = check_body(ctx.json(), ("file_attachment_id", "supplier_id", "date", "deadline",
                                   "currency_amount_before_tax", "currency_amount", "currency_tax", "invoice_lines"),
                      SI_KEYS)
    check_date(body["date"], "date")
    check_date(body["deadline"], "deadline")
    total = parse_amount(body["currency_amount"], "currency_amount")
    before_tax = parse_amount(body["currency_amount_before_tax"], "currency_amount_before_tax")
    tax = parse_amount(body["currency_tax"], "currency_tax")
    lines = body["invoice_lines"]
    if not isinstance(lines, list) or not lines:
        raise bad_request("invoice_lines must contain at least one line", "invoice_lines", "LessThanMinItems")
    line_total = Decimal(0)
    line_tax = Decimal(0)
    for i, line in enumerate(lines):
        check_body(line, ("currency_amount", "currency_tax", "vat_rate"), SI_LINE_KEYS, f"invoice_lines[{i}].")
        line_total += parse_amount(line["currency_amount"], f"invoice_lines[{i}].currency_amount")
        line_tax += parse_amount(line["currency_tax"], f"invoice_lines[{i}].currency_tax")
        check_vat(line["vat_rate"], f"invoice_lines[{i}].vat_rate")
    if before_tax + tax != total:
        raise err(422, "currency_amount must equal currency_amount_before_tax + currency_tax")
    tolerance = Decimal("0.01") * len(lines)
    if abs(line_total - total) > tolerance or abs(line_tax - tax) > tolerance:
        raise err(422, "The invoice lines' amounts do not add up to the invoice's amounts")
    with ctx.store.transaction():
        supplier = ctx.store.get("supplier", ctx.cid, body["supplier_id"])
        if supplier is None:
            raise _not_found("Supplier", body["supplier_id"])
        fa = ctx.store.get("file_attachment", ctx.cid, body["file_attachment_id"])
        if fa is None:
            raise _not_found("FileAttachment", body["file_attachment_id"])
        for other in ctx.store.all("supplier_invoice", ctx.cid):
            if other.get("_file_attachment_id") == fa["id"]:
                raise err(409, f"A document with ID {other['id']} already exists with such attachment.")
        now = ctx.now()
        rid = ctx.store.next_id("supplier_invoice")
        rec = {
            "id": rid, "label": body.get("label"), "invoice_number": body.get("invoice_number", ""),
            "currency": body.get("currency", "EUR"), "amount": money(total), "currency_amount": money(total),
            "currency_amount_before_tax": money(before_tax), "exchange_rate": "1.0", "date": body["date"],
            "deadline": body["deadline"], "currency_tax": money(tax), "tax": money(tax), "reconciled": False,
            "accounting_status": "draft" if body.get("import_as_incomplete") else "entry",
            "filename": fa["filename"], "public_file_url": fa["url"], "remaining_amount_with_tax": money(total),
            "remaining_amount_without_tax": money(before_tax), "ledger_entry": {"id": ctx.store.next_id("ledger_entry")},
            "supplier": {"id": supplier["id"], "url": ctx.url("suppliers", supplier["id"])},
            "invoice_lines": {"url": ctx.url("supplier_invoices", rid, "invoice_lines")},
            "categories": {"url": ctx.url("supplier_invoices", rid, "categories")},
            "transaction_reference": body.get("transaction_reference"), "payment_status": "to_be_paid",
            "payments": {"url": ctx.url("supplier_invoices", rid, "payments")},
            "matched_transactions": {"url": ctx.url("supplier_invoices", rid, "matched_transactions")},
            "external_reference": str(body.get("external_reference") or f"si-{rid}"), "e_invoicing": None,
            "archived_at": None, "created_at": now, "updated_at": now,
            "_file_attachment_id": fa["id"], "_lines": lines,
        }
        ctx.store.insert("supplier_invoice", ctx.cid, rec)
        ctx.store.log_change(ctx.cid, "supplier_invoices", rid, "insert", now, now)
    return 201, _public(rec)


def _si_field(rec: dict[str, Any], field: str) -> Any:
    if field == "supplier_id":
        return (rec.get("supplier") or {}).get("id")
    return rec.get(field)


async def list_supplier_invoices(ctx: Ctx):
    return 200, page_response(ctx, "supplier_invoices", ctx.store.all("supplier_invoice", ctx.cid), _public,
                              _si_field)


async def get_supplier_invoice(ctx: Ctx):
    return 200, _public(_get(ctx, "supplier_invoice", "SupplierInvoice", ctx.id_arg()))


# ------------------------------------------------------------------ file attachments
async def upload_file_attachment(ctx: Ctx):
    fields = parse_multipart(ctx.raw_body, ctx.request.headers.get("content-type", ""))
    if "file" not in fields:
        raise bad_request("file is required", "file", "NotExistRequiredKey")
    original, content = fields["file"]
    name = fields["filename"][1].decode() if "filename" in fields else (original or "file")
    now = ctx.now()
    rid = ctx.store.next_id("file_attachment")
    digest = sha256_hex(content)
    rec = ctx.store.insert("file_attachment", ctx.cid, {
        "id": rid, "url": f"{ctx.base.split('/api/')[0]}/files/{digest[:16]}/{name}", "filename": name,
        "created_at": now, "updated_at": now, "_size": len(content), "_sha256": digest,
    })
    return 201, _public(rec)


async def list_file_attachments(ctx: Ctx):
    return 200, page_response(ctx, "file_attachments", ctx.store.all("file_attachment", ctx.cid), _public)


# ------------------------------------------------------------------------ changelogs
def _changelog(resource: str):
    async def handler(ctx: Ctx):
        return 200, changelog_page(ctx, resource)

    handler.__name__ = f"changelog_{resource}"
    return handler


def register(r: Callable[[str, str, str, Handler], None]) -> None:
    """Declare every operation to the router ``r(method, path, scope, handler)``."""
    r("GET", "/me", "me", get_me)
    r("GET", "/journals", "journals", list_journals)
    r("POST", "/journals", "journals", create_journal)
    r("GET", "/journals/{id}", "journals", get_journal)
    r("GET", "/ledger_accounts", "ledger_accounts", list_ledger_accounts)
    r("POST", "/ledger_accounts", "ledger_accounts", create_ledger_account)
    r("GET", "/ledger_accounts/{id}", "ledger_accounts", get_ledger_account)
    r("PUT", "/ledger_accounts/{id}", "ledger_accounts", update_ledger_account)
    r("GET", "/ledger_entries", "ledger_entries", list_ledger_entries)
    r("POST", "/ledger_entries", "ledger_entries", create_ledger_entry)
    r("GET", "/ledger_entries/{id}", "ledger_entries", get_ledger_entry)
    r("PUT", "/ledger_entries/{id}", "ledger_entries", update_ledger_entry)
    r("GET", "/ledger_entries/{ledger_entry_id}/ledger_entry_lines", "ledger_entries", list_lines_of_entry)
    r("GET", "/ledger_entry_lines", "ledger_entries", list_ledger_entry_lines)
    r("GET", "/customers", "customers", list_customers)
    r("GET", "/customers/{id}", "customers", get_customer)
    r("POST", "/company_customers", "customers", create_company_customer)
    r("GET", "/company_customers/{id}", "customers", get_company_customer)
    r("PUT", "/company_customers/{id}", "customers", update_company_customer)
    r("POST", "/individual_customers", "customers", create_individual_customer)
    r("GET", "/individual_customers/{id}", "customers", get_individual_customer)
    r("PUT", "/individual_customers/{id}", "customers", update_individual_customer)
    r("GET", "/products", "products", list_products)
    r("POST", "/products", "products", create_product)
    r("GET", "/products/{id}", "products", get_product)
    r("PUT", "/products/{id}", "products", update_product)
    r("GET", "/customer_invoices", "customer_invoices", list_customer_invoices)
    r("GET", "/customer_invoices/{id}", "customer_invoices", get_customer_invoice)
    r("GET", "/customer_invoices/{customer_invoice_id}/invoice_lines", "customer_invoices", list_invoice_lines)
    r("GET", "/commercial_documents", "commercial_documents", list_commercial_documents)
    r("GET", "/commercial_documents/{id}", "commercial_documents", get_commercial_document)
    r("GET", "/commercial_documents/{commercial_document_id}/invoice_lines", "commercial_documents",
      list_commercial_document_lines)
    r("GET", "/suppliers", "suppliers", list_suppliers)
    r("POST", "/suppliers", "suppliers", create_supplier)
    r("GET", "/suppliers/{id}", "suppliers", get_supplier)
    r("GET", "/supplier_invoices", "supplier_invoices", list_supplier_invoices)
    r("POST", "/supplier_invoices/import", "supplier_invoices", import_supplier_invoice)
    r("GET", "/supplier_invoices/{id}", "supplier_invoices", get_supplier_invoice)
    r("GET", "/file_attachments", "file_attachments", list_file_attachments)
    r("POST", "/file_attachments", "file_attachments", upload_file_attachment)
    for resource in ("customer_invoices", "supplier_invoices", "customers", "suppliers", "products",
                     "ledger_entry_lines", "transactions", "quotes"):
        r("GET", f"/changelogs/{resource}", resource if resource != "ledger_entry_lines" else "ledger_entries",
          _changelog(resource))
