"""Stock movements from documents: the pure rules of seed 004 (no Dagster, no I/O).

The stock is a **ledger of movements**; levels are sums of it. The sync stores every Pennylane
document it sees (invoices, credit notes, purchasing orders = customer orders, shipping orders =
delivery notes) and every local goods receipt as a :class:`StockDocument` with a version that
goes up each time its content changes (an edit, a deletion, a draft turned final...).

Two steps, both pure:

1. :func:`desired_effects` looks at the *current* version of every document of a tenant and says
   what each document line should have done to the stock in total (on hand, reserved, returned),
   per product and location, following the tenant's options:

   - an order (a final invoice, or a purchasing order) always reserves: available −q. By default it
     also takes the goods off the shelf (on hand −q, nothing left reserved). With
     ``delivery_notes_update_on_hand`` it only reserves (reserved +q) and the delivery notes move on
     hand (on hand −q, reserved −q), never beyond what the order still has undelivered, so a
     second delivery note for the same order moves nothing;
   - an invoice and a purchasing order of the same sale (same Pennylane quote, or same external
     reference) are ONE order: the invoice supersedes the purchasing order (pain point I1);
   - a credit note creates a product return. With ``delivery_notes_update_on_hand`` it first
     cancels what its invoice still had reserved and undelivered; the rest is a return, put back
     on hand only with ``credit_note_restocks``;
   - a goods receipt puts its quantities on hand at its location.

2. :func:`plan_movements` compares those totals with the ledger and emits only the differences,
   each keyed by (document, version, line, product, location). Re-reading the same document
   version emits nothing; an edited or deleted document yields compensating movements. The
   ledger table has a unique key, so two concurrent runs cannot both write the same movement.

Quantities are integer thousandths of a unit (``qty_milli``) so that sums are exact.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation

from core.errors import SourceDataError

KINDS = ("invoice", "credit_note", "purchasing_order", "shipping_order", "receipt")
ORDER_KINDS = ("invoice", "purchasing_order")


def to_milli(value: object, *, where: str = "quantity", tenant: str | None = None) -> int:
    """``"2.5"`` → 2500. Quantities are exact: parsed as Decimal, never float."""
    try:
        dec = Decimal(str(value).strip())
    except (InvalidOperation, ValueError) as exc:
        raise SourceDataError(f"{value!r} is not a quantity", tenant=tenant, record=where,
                              field_name="quantity") from exc
    if not dec.is_finite():
        raise SourceDataError(f"{value!r} is not a quantity", tenant=tenant, record=where, field_name="quantity")
    return int((dec * 1000).quantize(Decimal(1), rounding=ROUND_HALF_EVEN))


def from_milli(milli: int) -> Decimal:
    """2500 → Decimal('2.5'); 2000 → Decimal('2')."""
    return (Decimal(int(milli)) / 1000).normalize() if milli else Decimal(0)


@dataclass(frozen=True)
class DocLine:
    line_id: str
    product: str  # local product id (the sync resolves Pennylane product ids first)
    qty_milli: int  # positive quantity of the line (credit notes: the returned quantity)


@dataclass(frozen=True)
class StockDocument:
    """The current version of one document, as the sync last stored it.

    ``active`` is false for a deleted, draft or cancelled document: it keeps its id and version
    so that its earlier movements get compensated.
    ``order_ref`` groups the documents of one sale (``quote:<id>`` or ``ref:<external_reference>``).
    ``credited_doc`` (credit notes) is the ``doc_id`` of the invoice it credits, when known.
    ``location`` is fixed when the document is first seen, so changing the default location later
    never moves past stock.
    """

    doc_id: str  # "pennylane:customer_invoice:42", "pennylane:commercial_document:7", "receipt:R-1"
    kind: str
    version: int
    date: str  # YYYY-MM-DD, the document's date (the day its movements count in)
    location: str
    lines: tuple[DocLine, ...] = ()
    active: bool = True
    customer: str | None = None
    order_ref: str | None = None
    credited_doc: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"document {self.doc_id}: unknown kind {self.kind!r}")


@dataclass(frozen=True)
class StockOptions:
    """The tenant options that change the rules (``resources.tenants.StockConfig`` has them)."""

    delivery_notes_update_on_hand: bool = False
    credit_note_restocks: bool = False

    @classmethod
    def from_config(cls, cfg) -> StockOptions:
        return cls(cfg.delivery_notes_update_on_hand, cfg.credit_note_restocks)


@dataclass
class Effect:
    on_hand: int = 0
    reserved: int = 0
    returned: int = 0
    reason: str = ""

    def is_zero(self) -> bool:
        return not (self.on_hand or self.reserved or self.returned)


# (doc_id, line_id, product, location)
EffectKey = tuple[str, str, str, str]


@dataclass
class _Order:
    key: str
    date: str
    doc_id: str
    customer: str | None
    location: str
    ordered: dict[str, int] = field(default_factory=lambda: defaultdict(int))  # product -> qty
    delivered: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    cancelled: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    def outstanding(self, product: str) -> int:
        return max(0, self.ordered[product] - self.delivered[product] - self.cancelled[product])


def _order_key(doc: StockDocument) -> str:
    return doc.order_ref or doc.doc_id


def _sort_key(doc: StockDocument) -> tuple[str, str]:
    return (doc.date, doc.doc_id)


def desired_effects(docs: Iterable[StockDocument], options: StockOptions) -> dict[EffectKey, Effect]:
    """What each document line should have done to the stock, given every document's current version."""
    live = sorted((d for d in docs if d.active), key=_sort_key)
    effects: dict[EffectKey, Effect] = {}

    def add(doc: StockDocument, line: DocLine, reason: str, *, on_hand=0, reserved=0, returned=0,
            location: str | None = None) -> None:
        key = (doc.doc_id, line.line_id, line.product, location or doc.location)
        eff = effects.setdefault(key, Effect(reason=reason))
        eff.on_hand += on_hand
        eff.reserved += reserved
        eff.returned += returned

    # Orders: one per sale. Invoices of a sale supersede its purchasing orders.
    by_group: dict[str, list[StockDocument]] = defaultdict(list)
    for doc in live:
        if doc.kind in ORDER_KINDS:
            by_group[_order_key(doc)].append(doc)
    orders: dict[str, _Order] = {}
    order_of_doc: dict[str, _Order] = {}
    for key, group in by_group.items():
        invoices = [d for d in group if d.kind == "invoice"]
        carriers = invoices or group
        first = carriers[0]
        order = orders[key] = _Order(key, first.date, first.doc_id, first.customer, first.location)
        for doc in group:
            order_of_doc[doc.doc_id] = order
        for doc in carriers:
            for line in doc.lines:
                order.ordered[line.product] += line.qty_milli
                if options.delivery_notes_update_on_hand:
                    add(doc, line, "order", reserved=line.qty_milli)
                else:
                    add(doc, line, "order", on_hand=-line.qty_milli)

    # Credit notes, part 1 (delivery mode): cancel what the credited order still has reserved.
    remaining_return: dict[tuple[str, str], int] = {}
    credit_notes = [d for d in live if d.kind == "credit_note"]
    # Delivery notes are allocated before credit notes of the same day, in date order.
    deliveries = [d for d in live if d.kind == "shipping_order"]
    ordered_products_by_customer: dict[str | None, set[str]] = defaultdict(set)
    for order in orders.values():
        ordered_products_by_customer[order.customer].update(order.ordered)

    for doc in deliveries:
        for line in doc.lines:
            if not options.delivery_notes_update_on_hand:
                # The order already took the goods off the shelf: never a second time.
                add(doc, line, "delivery (on hand already moved by the order)")
                continue
            left = line.qty_milli
            candidates = _candidate_orders(doc, orders, line.product)
            for order in candidates:
                take = min(left, order.outstanding(line.product))
                if take <= 0:
                    continue
                order.delivered[line.product] += take
                left -= take
                add(doc, line, "delivery", on_hand=-take, reserved=-take, location=order.location)
                if not left:
                    break
            if left and line.product not in ordered_products_by_customer[doc.customer] and not doc.order_ref:
                # Goods shipped with no order at all for them: they still left the shelf.
                add(doc, line, "delivery without order", on_hand=-left)
            elif left:
                add(doc, line, "delivery beyond its order (not moved twice)")

    for doc in credit_notes:
        order = order_of_doc.get(doc.credited_doc or "")
        for line in doc.lines:
            qty = line.qty_milli
            if options.delivery_notes_update_on_hand and order is not None:
                cancel = min(qty, order.outstanding(line.product))
                if cancel:
                    order.cancelled[line.product] += cancel
                    add(doc, line, "order cancelled by credit note", reserved=-cancel, location=order.location)
                    qty -= cancel
            remaining_return[(doc.doc_id, line.line_id)] = qty
            if qty:
                if options.credit_note_restocks:
                    add(doc, line, "return (restocked)", on_hand=qty, returned=qty)
                else:
                    add(doc, line, "return (not restocked)", returned=qty)

    for doc in live:
        if doc.kind == "receipt":
            for line in doc.lines:
                add(doc, line, "goods receipt", on_hand=line.qty_milli)
    return effects


def _candidate_orders(doc: StockDocument, orders: Mapping[str, _Order], product: str) -> list[_Order]:
    """Orders a delivery note can fulfil: its own sale if linked, else the customer's, oldest first."""
    if doc.order_ref:
        order = orders.get(doc.order_ref)
        return [order] if order is not None else []
    same_customer = [o for o in orders.values() if o.customer == doc.customer and o.ordered.get(product)]
    return sorted(same_customer, key=lambda o: (o.date, o.doc_id))


@dataclass(frozen=True)
class Movement:
    """One row of the ledger. ``key`` is unique per tenant."""

    key: str
    doc_id: str
    kind: str
    version: int
    line_id: str
    product: str
    location: str
    date: str
    on_hand: int
    reserved: int
    returned: int
    reason: str


def movement_key(doc_id: str, version: int, line_id: str, product: str, location: str, n: int) -> str:
    base = f"{doc_id}|v{version}|{line_id}|{product}@{location}"
    return base if n == 0 else f"{base}#{n}"


def plan_movements(
    docs: Iterable[StockDocument],
    ledger: Iterable[Movement],
    options: StockOptions,
) -> list[Movement]:
    """The movements to append so that the ledger matches the documents' current versions.

    Deterministic: the same documents and ledger always give the same movements (and keys).
    """
    docs = list(docs)
    by_id = {d.doc_id: d for d in docs}
    desired = desired_effects(docs, options)
    current: dict[EffectKey, Effect] = defaultdict(Effect)
    used: dict[str, int] = defaultdict(int)  # key base -> how many movements already use it
    for mv in ledger:
        eff = current[(mv.doc_id, mv.line_id, mv.product, mv.location)]
        eff.on_hand += mv.on_hand
        eff.reserved += mv.reserved
        eff.returned += mv.returned
        used[movement_key(mv.doc_id, mv.version, mv.line_id, mv.product, mv.location, 0)] += 1

    out: list[Movement] = []
    for key in sorted(set(desired) | set(current)):
        want = desired.get(key) or Effect()
        have = current.get(key) or Effect()
        d_on, d_res, d_ret = want.on_hand - have.on_hand, want.reserved - have.reserved, want.returned - have.returned
        if not (d_on or d_res or d_ret):
            continue
        doc_id, line_id, product, location = key
        doc = by_id.get(doc_id)
        if doc is None:  # a movement whose document is unknown: leave it (the traceability check flags it)
            continue
        base = movement_key(doc_id, doc.version, line_id, product, location, 0)
        n = used[base]
        used[base] += 1
        compensating = not have.is_zero()
        reason = want.reason if not compensating else f"compensation (v{doc.version}): {want.reason or 'removed'}"
        out.append(Movement(
            key=movement_key(doc_id, doc.version, line_id, product, location, n), doc_id=doc_id, kind=doc.kind,
            version=doc.version, line_id=line_id, product=product, location=location, date=doc.date,
            on_hand=d_on, reserved=d_res, returned=d_ret, reason=reason,
        ))
    return out
