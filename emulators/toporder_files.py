"""Writing Toporder closure files the way a till does: for the demo, the emulated till and tests.

:func:`write_closure_file` renders a generator ``SimDay`` (``emulators/generator.py``),
plain ticket dicts, or a ready document, and drops it into an inbox atomically. The format is
``docs/toporder-format.md``, written here on its own (amounts with two decimals, VAT per line from
the TTC amount, halves away from zero): the production parser it is meant to check is not used.
"""

from __future__ import annotations

import json
import os
import re
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from core.frames import normalize_rate
from core.money import cents_to_amount
from emulators.generator import round_half_up, split_gross

SCHEMA_VERSION = 1  # the ``schema_version`` this till writes


def _iso(moment: datetime | str) -> str:
    return moment if isinstance(moment, str) else moment.isoformat()


def closure_from_sales(
    *,
    identifier: str,
    business_date: date,
    tickets: list[dict[str, Any]],
    closure_id: str | None = None,
    closure_number: int | None = None,
    location: str = "main",
    location_name: str = "",
    opened_at: datetime | str | None = None,
    closed_at: datetime | str | None = None,
    generated_at: datetime | str | None = None,
    currency: str = "EUR",
    timezone: str = "Europe/Paris",
) -> dict[str, Any]:
    """Render plain tickets as a closure document (the format of ``docs/toporder-format.md``).

    ``tickets``: ``[{"id", "closed_at", "refund"?, "lines": [{"label", "quantity",
    "unit_gross_cents", "vat_rate", "discount_gross_cents"?, "id"?, "product_id"?, "sku"?,
    "category"?, "kind"?}], "payments": [{"method", "amount_cents", "tip_cents"?, "id"?}]}]``.
    Totals per method, per VAT rate (VAT per line from TTC) and grand totals are computed, so the
    document is consistent; tests then break it on purpose.
    """
    tz = ZoneInfo(timezone)
    t_lines, t_pay = [], []
    out_tickets = []
    for t in tickets:
        lines = []
        for line in t["lines"]:
            q = Decimal(str(line["quantity"]))
            disc = int(line.get("discount_gross_cents", 0))
            total = round_half_up(q * int(line["unit_gross_cents"])) - disc
            rate = normalize_rate(line["vat_rate"])
            t_lines.append((rate, total))
            entry = {
                "id": line.get("id", ""), "label": line["label"], "product_id": line.get("product_id", ""),
                "sku": line.get("sku", ""), "category": line.get("category", ""),
                "kind": line.get("kind", "item"), "quantity": format(q, "f"),
                "unit_price_ttc": cents_to_amount(int(line["unit_gross_cents"])), "discount_ttc": cents_to_amount(disc),
                "vat_rate": rate, "total_ttc": cents_to_amount(total),
            }
            if "refund" in line:
                entry["refund"] = bool(line["refund"])
            lines.append(entry)
        pays = []
        for p in t.get("payments", []):
            amount, tip = int(p["amount_cents"]), int(p.get("tip_cents", 0))
            t_pay.append((p["method"], amount, tip))
            pays.append({"id": p.get("id", ""), "method": p["method"], "amount": cents_to_amount(amount),
                         "tip": cents_to_amount(tip)})
        out_tickets.append({"id": t["id"], "closed_at": _iso(t["closed_at"]),
                            "refund": bool(t.get("refund", False)), "lines": lines, "payments": pays})
    by_method: dict[str, list[int]] = {}
    for method, amount, tip in t_pay:
        acc = by_method.setdefault(method, [0, 0])
        acc[0] += amount
        acc[1] += tip
    by_rate: dict[str, list[int]] = {}
    for rate, total in t_lines:
        acc = by_rate.setdefault(rate, [0, 0])
        acc[0] += total
        acc[1] += split_gross(total, rate)[1]
    vat_totals = [
        {"rate": r, "net": cents_to_amount(g - v), "vat": cents_to_amount(v), "gross": cents_to_amount(g)}
        for r, (g, v) in sorted(by_rate.items(), key=lambda kv: Decimal(kv[0]), reverse=True)
    ]
    gross = sum(g for g, _v in by_rate.values())
    vat = sum(v for _g, v in by_rate.values())
    tips = sum(tip for _m, _a, tip in t_pay)
    paid = sum(a for _m, a, _t in t_pay)
    moments = [datetime.fromisoformat(_iso(t["closed_at"])) for t in tickets]
    day_start = datetime.combine(business_date, datetime.min.time(), tz)
    opened = opened_at or (min(moments) if moments else day_start)
    closed = closed_at or (max(moments) if moments else day_start)
    return {
        "schema_version": SCHEMA_VERSION,
        "identifier": identifier,
        "business_date": business_date.isoformat(),
        "closure_id": closure_id or f"Z-{location}-{business_date:%Y%m%d}",
        "closure_number": closure_number,
        "location": {"id": location, "name": location_name},
        "opened_at": _iso(opened),
        "closed_at": _iso(closed),
        "generated_at": _iso(generated_at or closed),
        "currency": currency,
        "tickets": out_tickets,
        "payments_by_method": [{"method": m, "amount": cents_to_amount(a), "tip": cents_to_amount(t)}
                               for m, (a, t) in by_method.items()],
        "vat_totals": vat_totals,
        "totals": {"net": cents_to_amount(gross - vat), "vat": cents_to_amount(vat), "gross": cents_to_amount(gross),
                   "tips": cents_to_amount(tips), "payments": cents_to_amount(paid)},
    }


def closure_from_simday(simday: Any, identifier: str, *, location: str | None = None,
                        closure_id: str | None = None) -> dict[str, Any]:
    """A ``emulators.generator.SimDay`` (one location of it) as a closure document."""
    locations = [loc.id for loc in simday.locations]
    if location is None:
        if len(locations) != 1:
            raise ValueError(f"the day has {len(locations)} locations; pick one of {locations}")
        location = locations[0]
    name = next((loc.name for loc in simday.locations if loc.id == location), "")
    tz = ZoneInfo(simday.timezone)
    tickets = [
        {
            "id": o.order_id, "closed_at": o.closed_at.astimezone(tz), "refund": o.is_refund,
            "lines": [{"id": li.line_id, "label": li.name, "product_id": li.product_id, "sku": li.sku,
                       "category": li.category, "kind": li.kind, "quantity": li.quantity,
                       "unit_gross_cents": li.unit_gross_cents, "vat_rate": li.vat_rate,
                       "discount_gross_cents": li.discount_gross_cents} for li in o.lines],
            "payments": [{"id": p.payment_id, "method": p.method, "amount_cents": p.amount_cents,
                          "tip_cents": p.tip_cents} for p in o.payments],
        }
        for o in simday.orders if o.location_id == location
    ]
    return closure_from_sales(
        identifier=identifier, business_date=simday.day, tickets=tickets, closure_id=closure_id,
        location=location, location_name=name, currency=simday.currency, timezone=simday.timezone,
    )


def write_closure_file(inbox_dir: Path | str, identifier: str, simday_or_dict: Any, *,
                       location: str | None = None, name: str | None = None) -> Path:
    """Drop a closure into ``<inbox_dir>/<identifier>/`` the way a till should: write a dot-file,
    then rename, so the scanner never sees half a file.

    ``simday_or_dict``: a generator ``SimDay``; a closure document (has ``schema_version``); or
    the keyword arguments of :func:`closure_from_sales` as a dict.
    """
    if isinstance(simday_or_dict, dict):
        doc = (simday_or_dict if "schema_version" in simday_or_dict
               else closure_from_sales(identifier=identifier, **simday_or_dict))
    else:
        doc = closure_from_simday(simday_or_dict, identifier, location=location)
    directory = Path(inbox_dir) / identifier
    directory.mkdir(parents=True, exist_ok=True)
    slug = re.sub(r"[^A-Za-z0-9_-]+", "-", str(doc.get("closure_id", "closure"))).strip("-")
    path = directory / (name or f"closure-{doc.get('business_date')}-{slug}.json")
    _write_json_atomic(path, doc)
    return path


def _write_json_atomic(path: Path, doc: Any) -> None:
    """Write a dot-file, then rename: a reader never sees half a file."""
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(doc, ensure_ascii=False, indent=2, default=str) + "\n", encoding="utf-8")
    os.replace(tmp, path)
