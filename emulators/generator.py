"""A vendor-neutral simulation of one business day of a French shop, restaurant, bakery or web shop.

Every source emulator (Chift, Square, Shopify, ...) is seeded from the same :class:`SimDay`, and
:func:`expected_frames` says which canonical frames (``core.frames``) that day
must parse to. So a source parser is tested against an independent ground truth: the emulator
renders the day in the vendor's shapes, the parser reads them back, and the result must equal
``expected_frames(day)`` to the cent.

Conventions (the same everywhere in the product):

- money is integer cents; *gross* means TTC (VAT included);
- a line's gross is ``round_half_up(quantity × unit_gross) − discount_gross`` and its VAT is
  extracted from the gross with :func:`split_gross` (the French till convention: prices are
  displayed VAT included, the VAT is computed per line from the TTC amount);
- a payment's ``amount_cents`` includes its tip; the tip is outside revenue and VAT;
- a refund is its own order (``is_refund=True``, ``refund_of`` = the sold order) whose lines have a
  negative quantity (and a negative discount if the sold line was discounted) and whose payments
  are negative: refunds are booked on the day the money moved.

The data are deterministic for a given ``(profile, day, seed)`` (``random.Random`` seeded with a
string is stable across Python runs and platforms).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal
from zoneinfo import ZoneInfo

import pandas as pd

from core.frames import (
    CLOSURE_COLUMNS,
    PAYMENT_COLUMNS,
    SALES_LINE_COLUMNS,
    SourceDay,
    make_frame,
    normalize_rate,
)

Profile = Literal["restaurant", "shop", "bakery", "ecommerce"]
UTC = ZoneInfo("UTC")
CENT = Decimal("1")


# --------------------------------------------------------------------------- money rules


def round_half_up(value: Decimal) -> int:
    """Round a Decimal amount of cents to an int, halves away from zero (symmetric for refunds)."""
    return int(value.quantize(CENT, rounding=ROUND_HALF_UP))


def vat_of_gross(gross_cents: int, rate: str | Decimal) -> int:
    """VAT inside a VAT-included amount at ``rate`` percent: ``round_half_up(gross × rate /
    (100 + rate))``, the rounding every emulated vendor applies to VAT-inclusive prices."""
    r = Decimal(normalize_rate(rate))
    return round_half_up(Decimal(gross_cents) * r / (Decimal(100) + r))


def split_gross(gross_cents: int, rate: str) -> tuple[int, int]:
    """``(net_cents, vat_cents)`` of a VAT-included amount at ``rate`` percent.

    ``vat`` is :func:`vat_of_gross` and ``net = gross − vat``, so that ``net + vat == gross``
    exactly. Negative amounts (refunds) mirror positive ones.
    """
    vat = vat_of_gross(gross_cents, rate)
    return gross_cents - vat, vat


def line_gross_cents(quantity: Decimal, unit_gross_cents: int, discount_gross_cents: int) -> int:
    """Gross of a line: ``round_half_up(quantity × unit_gross) − discount``."""
    return round_half_up(Decimal(quantity) * Decimal(unit_gross_cents)) - discount_gross_cents


# --------------------------------------------------------------------------- the simulated day


@dataclass
class SimLine:
    line_id: str
    product_id: str
    sku: str
    name: str
    category: str
    quantity: Decimal
    unit_gross_cents: int
    vat_rate: str
    discount_gross_cents: int
    kind: str = "item"

    @property
    def gross_cents(self) -> int:
        return line_gross_cents(self.quantity, self.unit_gross_cents, self.discount_gross_cents)

    @property
    def net_cents(self) -> int:
        return split_gross(self.gross_cents, self.vat_rate)[0]

    @property
    def vat_cents(self) -> int:
        return split_gross(self.gross_cents, self.vat_rate)[1]


@dataclass
class SimPayment:
    payment_id: str
    method: str
    amount_cents: int  # includes the tip
    tip_cents: int = 0


@dataclass
class SimOrder:
    order_id: str
    location_id: str
    closed_at: datetime  # aware, UTC
    lines: list[SimLine]
    payments: list[SimPayment]
    is_refund: bool = False
    refund_of: str | None = None
    country: str = "FR"
    customer_email: str | None = None

    @property
    def gross_cents(self) -> int:
        return sum(line.gross_cents for line in self.lines)

    @property
    def vat_cents(self) -> int:
        return sum(line.vat_cents for line in self.lines)

    @property
    def tip_cents(self) -> int:
        return sum(p.tip_cents for p in self.payments)

    @property
    def discount_cents(self) -> int:
        return sum(line.discount_gross_cents for line in self.lines)


@dataclass
class SimLocation:
    id: str
    name: str
    timezone: str


@dataclass
class SimDay:
    day: date
    timezone: str
    currency: str
    locations: list[SimLocation]
    orders: list[SimOrder]
    profile: str = ""
    seed: int = 0

    def orders_at(self, location_id: str) -> list[SimOrder]:
        return [o for o in self.orders if o.location_id == location_id]

    @property
    def payment_methods(self) -> list[str]:
        return sorted({p.method for o in self.orders for p in o.payments})

    @property
    def categories(self) -> list[str]:
        return sorted({line.category for o in self.orders for line in o.lines})


# --------------------------------------------------------------------------- catalogues


@dataclass(frozen=True)
class _Product:
    sku: str
    name: str
    category: str
    unit_gross_cents: int
    vat_rate: str
    weight: int = 10  # relative popularity
    by_weight: bool = False  # sold by the kilo: fractional quantity
    reduced: bool = False  # ecommerce OSS: reduced rate in the destination country


CATALOGUES: dict[str, list[_Product]] = {
    "restaurant": [
        _Product("PLAT-JOUR", "Plat du jour", "Plats", 1450, "10", 30),
        _Product("ENTRECOTE", "Entrecôte frites", "Plats", 2250, "10", 12),
        _Product("SAL-CESAR", "Salade César", "Entrées", 1250, "10", 10),
        _Product("OEUF-MAYO", "Œuf mayonnaise", "Entrées", 650, "10", 8),
        _Product("TARTE-TATIN", "Tarte Tatin", "Desserts", 790, "10", 10),
        _Product("CAFE", "Café", "Boissons sans alcool", 220, "10", 30),
        _Product("EAU-50", "Eau minérale 50 cl", "Boissons sans alcool", 450, "10", 10),
        _Product("VIN-VERRE", "Verre de Côtes-du-Rhône", "Boissons alcoolisées", 600, "20", 18),
        _Product("BIERE-25", "Bière pression 25 cl", "Boissons alcoolisées", 450, "20", 14),
        _Product("BTL-VIN", "Bouteille de Saint-Joseph", "Boissons alcoolisées", 3800, "20", 3),
        _Product("EAU-EMP", "Bouteille d'eau à emporter", "Vente à emporter", 180, "5.5", 4),
        _Product("GLACE-EMP", "Pot de glace à emporter", "Vente à emporter", 590, "5.5", 2),
    ],
    "shop": [
        _Product("THE-VERT-100", "Thé vert Sencha 100 g", "Épicerie", 1290, "5.5", 12),
        _Product("CHOCO-NOIR", "Tablette chocolat noir 72 %", "Épicerie", 495, "5.5", 14),
        _Product("CONFITURE", "Confiture abricot 340 g", "Épicerie", 690, "5.5", 10),
        _Product("HUILE-OLIVE", "Huile d'olive 50 cl", "Épicerie", 1450, "5.5", 6),
        _Product("THEIERE", "Théière en fonte", "Art de la table", 4900, "20", 3),
        _Product("TASSE", "Tasse en grès", "Art de la table", 1590, "20", 8),
        _Product("COFFRET", "Coffret cadeau", "Cadeaux", 3490, "20", 5),
        _Product("BOUGIE", "Bougie parfumée", "Cadeaux", 2290, "20", 6),
        _Product("VIN-BLANC", "Chablis 75 cl", "Cave", 1890, "20", 5),
    ],
    "bakery": [
        _Product("BAGUETTE", "Baguette tradition", "Pains", 130, "5.5", 60),
        _Product("CAMPAGNE-KG", "Pain de campagne au poids", "Pains", 690, "5.5", 8, by_weight=True),
        _Product("CROISSANT", "Croissant", "Viennoiseries", 125, "5.5", 30),
        _Product("PAIN-CHOC", "Pain au chocolat", "Viennoiseries", 140, "5.5", 25),
        _Product("ECLAIR", "Éclair au café", "Pâtisseries", 390, "5.5", 8),
        _Product("FLAN", "Part de flan", "Pâtisseries", 320, "5.5", 8),
        _Product("SANDWICH", "Sandwich jambon-beurre", "Snacking", 550, "10", 12),
        _Product("FORMULE", "Formule déjeuner", "Snacking", 990, "10", 8),
        _Product("CAFE", "Café", "Boissons", 150, "10", 10),
        _Product("CIDRE", "Cidre brut 33 cl", "Boissons", 350, "20", 2),
    ],
    "ecommerce": [
        _Product("TSHIRT-BIO", "T-shirt coton bio", "Textile", 2900, "20", 14),
        _Product("SWEAT", "Sweat à capuche", "Textile", 5900, "20", 8),
        _Product("TOTE", "Tote bag", "Accessoires", 1500, "20", 10),
        _Product("CASQUETTE", "Casquette brodée", "Accessoires", 2400, "20", 6),
        _Product("LIVRE-RECETTES", "Livre de recettes", "Livres", 2490, "5.5", 6, reduced=True),
        _Product("CAFE-GRAINS", "Café en grains 1 kg", "Épicerie", 2890, "5.5", 8, reduced=True),
    ],
}

# Payment methods: (name exactly as a till names it, weight, takes tips).
METHODS: dict[str, list[tuple[str, int, bool]]] = {
    "restaurant": [("Carte bancaire", 60, True), ("Espèces", 15, False), ("Titre-restaurant", 15, False),
                   ("American Express", 6, True), ("Chèque", 2, False)],
    "shop": [("CB", 70, False), ("Espèces", 20, False), ("Chèque", 4, False), ("Carte cadeau", 6, False)],
    "bakery": [("Espèces", 55, False), ("CB", 35, False), ("Ticket Resto", 10, False)],
    "ecommerce": [("Carte bancaire", 65, False), ("PayPal", 25, False), ("Virement", 4, False),
                  ("Carte cadeau", 6, False)],
}
UNKNOWN_METHODS = ("Lydia", "Paiement mixte", "Sumeria")
MEAL_VOUCHER_METHODS = frozenset({"Titre-restaurant", "Ticket Resto"})

# Opening hours (local time) per profile: a list of (start, end) services.
HOURS: dict[str, list[tuple[time, time]]] = {
    "restaurant": [(time(11, 45), time(14, 45)), (time(19, 0), time(23, 30))],
    "shop": [(time(10, 0), time(19, 30))],
    "bakery": [(time(6, 45), time(19, 45))],
    "ecommerce": [(time(0, 0, 5), time(23, 59, 55))],
}
DEFAULT_ORDERS = {"restaurant": 80, "shop": 50, "bakery": 220, "ecommerce": 40}
REFUND_SHARE = {"restaurant": 0.01, "shop": 0.05, "bakery": 0.005, "ecommerce": 0.04}

# OSS: destination-country rates (standard, reduced) for the e-commerce profile.
OSS_RATES = {"FR": ("20", "5.5"), "DE": ("19", "7"), "IT": ("22", "4"), "ES": ("21", "4"),
             "BE": ("21", "6")}
SHIPPING_GROSS_CENTS = {"FR": 590, "DE": 1290, "IT": 1290, "ES": 1290, "BE": 990}
FREE_SHIPPING_FROM_CENTS = 8000


# --------------------------------------------------------------------------- generation


def _local_business_day_moments(
    rng: random.Random, profile: str, day: date, tz: ZoneInfo, n: int
) -> list[datetime]:
    """``n`` sorted UTC moments inside the profile's opening hours of the local ``day``."""
    spans = HOURS[profile]
    lengths = [
        (datetime.combine(day, end) - datetime.combine(day, start)).total_seconds() for start, end in spans
    ]
    total = sum(lengths)
    moments = []
    for _ in range(n):
        x = rng.uniform(0, total)
        for (start, _end), length in zip(spans, lengths, strict=True):
            if x <= length:
                naive = datetime.combine(day, start) + timedelta(seconds=int(x))
                break
            x -= length
        local = naive.replace(tzinfo=tz)
        utc = local.astimezone(UTC)
        # A wall-clock time skipped by the spring DST change still lands inside ``day``; make sure.
        if utc.astimezone(tz).date() != day:
            utc = datetime.combine(day, time(12), tz).astimezone(UTC)
        moments.append(utc)
    return sorted(moments)


def _pick_method(rng: random.Random, profile: str, unknown_methods: bool) -> tuple[str, bool]:
    if unknown_methods and rng.random() < 0.04:
        return rng.choice(UNKNOWN_METHODS), False
    methods = METHODS[profile]
    name, _w, tips = rng.choices(methods, weights=[m[1] for m in methods])[0]
    return name, tips


def _oss_rate(product: _Product, country: str) -> str:
    standard, reduced = OSS_RATES[country]
    return reduced if product.reduced else standard


def _make_lines(
    rng: random.Random, profile: str, order_id: str, country: str
) -> list[SimLine]:
    catalogue = CATALOGUES[profile]
    if profile == "restaurant":
        n_lines = rng.choice([2, 3, 3, 4, 5, 6])
    elif profile == "bakery":
        n_lines = rng.choice([1, 1, 1, 2, 2, 3])
    else:
        n_lines = rng.choice([1, 1, 2, 2, 3])
    products = rng.choices(catalogue, weights=[p.weight for p in catalogue], k=n_lines)
    # Merge duplicates into one line with a higher quantity, like a till does.
    merged: dict[str, tuple[_Product, Decimal]] = {}
    for p in products:
        if p.by_weight:
            qty = Decimal(rng.randint(250, 900)) / Decimal(1000)  # kilograms, 3 decimals
        elif profile == "restaurant":
            qty = Decimal(rng.choice([1, 1, 2, 2, 3, 4]))
        elif profile == "bakery":
            qty = Decimal(rng.choice([1, 1, 2, 2, 3, 6]))
        else:
            qty = Decimal(rng.choice([1, 1, 1, 2, 3]))
        prev = merged.get(p.sku)
        merged[p.sku] = (p, qty if prev is None or p.by_weight else prev[1] + qty)
    lines = []
    for i, (p, qty) in enumerate(merged.values(), start=1):
        rate = _oss_rate(p, country) if profile == "ecommerce" else p.vat_rate
        discount = 0
        if profile == "shop" and rng.random() < 0.08:
            discount = round_half_up(qty * p.unit_gross_cents * Decimal("0.10"))  # 10 % off
        if profile == "restaurant" and rng.random() < 0.02:
            discount = round_half_up(qty * p.unit_gross_cents)  # offered by the house
        lines.append(SimLine(
            line_id=f"{order_id}-L{i}", product_id=f"P-{p.sku}", sku=p.sku, name=p.name,
            category=p.category, quantity=qty, unit_gross_cents=p.unit_gross_cents, vat_rate=rate,
            discount_gross_cents=discount,
        ))
    if profile == "ecommerce":
        if rng.random() < 0.25:  # coupon: 15 % off every item
            for line in lines:
                line.discount_gross_cents = round_half_up(
                    line.quantity * line.unit_gross_cents * Decimal("0.15"))
        items_gross = sum(line.gross_cents for line in lines)
        shipping = SHIPPING_GROSS_CENTS[country]
        if items_gross < FREE_SHIPPING_FROM_CENTS or country != "FR":
            lines.append(SimLine(
                line_id=f"{order_id}-L{len(lines) + 1}", product_id="", sku="SHIPPING",
                name="Livraison Colissimo" if country == "FR" else "Livraison internationale",
                category="Frais de port", quantity=Decimal(1), unit_gross_cents=shipping,
                vat_rate=OSS_RATES[country][0], discount_gross_cents=0, kind="shipping",
            ))
    return lines


def _make_payments(
    rng: random.Random, profile: str, order_id: str, due: int, unknown_methods: bool
) -> list[SimPayment]:
    """Payments covering ``due`` cents exactly (plus tips on card for the restaurant)."""
    payments: list[SimPayment] = []
    if due == 0:  # everything offered by the house: nothing to pay
        return payments
    method, takes_tips = _pick_method(rng, profile, unknown_methods)
    remaining = due
    if method in MEAL_VOUCHER_METHODS:
        face = rng.choice([900, 1000, 1100, 1200] if profile == "restaurant" else [800, 900, 1000])
        count = min(2 if profile == "restaurant" else 1, remaining // face)
        if count == 0:
            method, takes_tips = "CB" if profile == "bakery" else "Carte bancaire", profile == "restaurant"
        else:
            # Meal vouchers give no change: they cover at most the bill, the rest is paid otherwise.
            payments.append(SimPayment(f"{order_id}-P1", method, face * count))
            remaining -= face * count
            if remaining == 0:
                return payments
            method, takes_tips = rng.choice(
                [("Carte bancaire", True), ("Espèces", False)] if profile == "restaurant"
                else [("CB", False), ("Espèces", False)])
    tip = 0
    if takes_tips and profile == "restaurant" and rng.random() < 0.3:
        tip = rng.choice([100, 150, 200, 250, 300, 500])
    payments.append(SimPayment(f"{order_id}-P{len(payments) + 1}", method, remaining + tip, tip))
    return payments


def generate_day(
    profile: Profile,
    day: date,
    *,
    seed: int,
    timezone: str = "Europe/Paris",
    n_orders: int | None = None,
    locations: int = 1,
    unknown_methods: bool = True,
    refunds: bool = True,
    countries: list[str] | None = None,
) -> SimDay:
    """One realistic business day for ``profile``, deterministic per ``(profile, day, seed)``.

    ``countries`` (ecommerce only): other EU destination countries (e.g. ``["DE", "IT"]``) that
    receive about a quarter of the orders, at that country's VAT rates (OSS).
    """
    if profile not in CATALOGUES:
        raise ValueError(f"unknown profile {profile!r}; expected one of {sorted(CATALOGUES)}")
    for c in countries or []:
        if c not in OSS_RATES:
            raise ValueError(f"no OSS rates for country {c!r}; known: {sorted(OSS_RATES)}")
    rng = random.Random(f"{profile}|{day.isoformat()}|{seed}")
    tz = ZoneInfo(timezone)
    n = n_orders if n_orders is not None else max(1, round(DEFAULT_ORDERS[profile] * rng.uniform(0.8, 1.2)))
    locs = [
        SimLocation(id=f"loc-{i}", name=_location_name(profile, i), timezone=timezone)
        for i in range(1, locations + 1)
    ]
    moments = _local_business_day_moments(rng, profile, day, tz, n)
    orders: list[SimOrder] = []
    refund_share = REFUND_SHARE[profile] if refunds else 0.0
    refund_forced = refunds and profile == "shop" and n >= 4  # a shop day always shows a refund
    for k, closed_at in enumerate(moments, start=1):
        loc = locs[(k - 1) % len(locs)] if len(locs) > 1 and rng.random() < 0.5 else rng.choice(locs)
        order_id = f"{loc.id}-{day:%Y%m%d}-{k:04d}"
        earlier = [o for o in orders if not o.is_refund and o.location_id == loc.id]
        wants_refund = refunds and k > 1 and (rng.random() < refund_share or (refund_forced and k == n))
        if wants_refund:
            refund_forced = False
            orders.append(_make_refund(rng, profile, order_id, loc, closed_at, earlier, day))
            continue
        country = "FR"
        if profile == "ecommerce" and countries and rng.random() < 0.25:
            country = rng.choice(countries)
        lines = _make_lines(rng, profile, order_id, country)
        due = sum(line.gross_cents for line in lines)
        payments = _make_payments(rng, profile, order_id, due, unknown_methods)
        orders.append(SimOrder(
            order_id=order_id, location_id=loc.id, closed_at=closed_at, lines=lines, payments=payments,
            country=country,
            customer_email=f"client{rng.randint(1000, 9999)}@example.fr" if profile == "ecommerce" else None,
        ))
    return SimDay(day=day, timezone=timezone, currency="EUR", locations=locs, orders=orders,
                  profile=profile, seed=seed)


def _location_name(profile: str, i: int) -> str:
    base = {"restaurant": "Bistrot du Marché", "shop": "Comptoir des Saveurs",
            "bakery": "Boulangerie Martin", "ecommerce": "Boutique en ligne"}[profile]
    return base if i == 1 else f"{base} {i}"


def _make_refund(
    rng: random.Random, profile: str, order_id: str, loc: SimLocation, closed_at: datetime,
    earlier: list[SimOrder], day: date,
) -> SimOrder:
    """A refund of one line (or the whole order) of an earlier order, paid back by the same means."""
    if earlier:
        original = rng.choice(earlier)
        sold = [line for line in original.lines if line.gross_cents > 0] or original.lines
        source_lines = sold if rng.random() < 0.3 else [rng.choice(sold)]
        method = original.payments[-1].method
        refund_of, country = original.order_id, original.country
    else:  # nothing sold yet today: an order of the previous day is brought back
        refund_of = f"{loc.id}-{day - timedelta(days=1):%Y%m%d}-{rng.randint(1, 40):04d}"
        country = "FR"
        source_lines = _make_lines(rng, profile, refund_of, country)[:1]
        method = METHODS[profile][0][0]
    lines = []
    for i, src in enumerate(source_lines, start=1):
        lines.append(SimLine(
            line_id=f"{order_id}-L{i}", product_id=src.product_id, sku=src.sku, name=src.name,
            category=src.category, quantity=-src.quantity, unit_gross_cents=src.unit_gross_cents,
            vat_rate=src.vat_rate, discount_gross_cents=-src.discount_gross_cents, kind=src.kind,
        ))
    total = sum(line.gross_cents for line in lines)
    # A meal voucher is never paid back, nor an unknown wallet here: the till gives cash back.
    if method in MEAL_VOUCHER_METHODS or method in UNKNOWN_METHODS:
        method = "Espèces"
    payments = [SimPayment(f"{order_id}-P1", method, total)]
    return SimOrder(order_id=order_id, location_id=loc.id, closed_at=closed_at, lines=lines,
                    payments=payments, is_refund=True, refund_of=refund_of, country=country)


# --------------------------------------------------------------------------- ground truth


def expected_frames(
    simday: SimDay,
    tenant_country: str = "FR",
    *,
    with_closures: bool = False,
    without: tuple[str, ...] = (),
) -> SourceDay:
    """The canonical frames ``simday`` must parse to, whatever the source that renders it.

    ``location`` is the location id; ``category`` the category name; ``method`` the name as the
    till shows it. ``with_closures`` adds the Z-report totals a consistent closure would show
    (per location: takings per payment method incl. tips, and gross/net/VAT per VAT rate).
    ``without`` names sales-line text columns the source cannot know (e.g. ``("sku",)`` for
    Chift POS, whose order items carry no SKU): they are expected empty.
    """
    lines, payments = [], []
    for o in simday.orders:
        for line in o.lines:
            lines.append({
                "order_id": o.order_id, "line_id": line.line_id, "location": o.location_id,
                "kind": line.kind, "product_id": line.product_id, "sku": line.sku,
                "category": line.category, "quantity": float(line.quantity),
                "net_cents": line.net_cents, "vat_rate": normalize_rate(line.vat_rate),
                "vat_cents": line.vat_cents, "gross_cents": line.gross_cents,
                "country": o.country or tenant_country, "is_refund": o.is_refund,
                "currency": simday.currency,
            })
        for p in o.payments:
            payments.append({
                "order_id": o.order_id, "payment_id": p.payment_id, "location": o.location_id,
                "method": p.method, "amount_cents": p.amount_cents, "tip_cents": p.tip_cents,
                "is_refund": o.is_refund, "currency": simday.currency,
            })
    for row in lines:
        for col in without:
            row[col] = ""
    result = SourceDay(
        sales_lines=make_frame(lines, SALES_LINE_COLUMNS),
        payments=make_frame(payments, PAYMENT_COLUMNS),
        origin=f"generator:{simday.profile}:{simday.day.isoformat()}:{simday.seed}",
    )
    if with_closures:
        result.closure_totals = expected_closure_totals(simday)
    return result


def expected_closure_totals(simday: SimDay) -> pd.DataFrame:
    """Z-report totals of a consistent day, sorted by location, dimension, key."""
    rows: dict[tuple[str, str, str], list[int]] = {}
    for o in simday.orders:
        for p in o.payments:
            rows.setdefault((o.location_id, "payment", p.method), [0, 0, 0])[0] += p.amount_cents
        for line in o.lines:
            acc = rows.setdefault((o.location_id, "vat", normalize_rate(line.vat_rate)), [0, 0, 0])
            acc[0] += line.gross_cents
            acc[1] += line.net_cents
            acc[2] += line.vat_cents
    records = [
        {"location": loc, "dimension": dim, "key": key, "amount_cents": a, "net_cents": n, "vat_cents": v}
        for (loc, dim, key), (a, n, v) in sorted(rows.items())
    ]
    return make_frame(records, CLOSURE_COLUMNS)


def sort_canonical(df: pd.DataFrame) -> pd.DataFrame:
    """A canonical frame in a stable order (for equality checks between sources and ground truth)."""
    keys = [c for c in ("location", "order_id", "line_id", "payment_id", "dimension", "key") if c in df.columns]
    return df.sort_values(keys, kind="stable").reset_index(drop=True)


def frame_differences(actual: SourceDay, expected: SourceDay, *, closures: bool = False) -> list[str]:
    """Human-readable differences between two SourceDays' frames (order-insensitive); [] if equal."""
    diffs: list[str] = []
    names = ["sales_lines", "payments"] + (["closure_totals"] if closures else [])
    for name in names:
        a, e = sort_canonical(getattr(actual, name)), sort_canonical(getattr(expected, name))
        if list(a.columns) != list(e.columns):
            diffs.append(f"{name}: columns {list(a.columns)} != {list(e.columns)}")
            continue
        if len(a) != len(e):
            diffs.append(f"{name}: {len(a)} rows, expected {len(e)}")
        for i in range(min(len(a), len(e))):
            ra, re_ = a.iloc[i].to_dict(), e.iloc[i].to_dict()
            bad = {c: (ra[c], re_[c]) for c in a.columns if ra[c] != re_[c]}
            if bad:
                diffs.append(f"{name} row {i} ({re_.get('line_id') or re_.get('payment_id') or re_.get('key')}): "
                             + ", ".join(f"{c}: got {g!r}, expected {x!r}" for c, (g, x) in bad.items()))
                if len(diffs) > 20:
                    return diffs
        for name_dtype in a.columns:
            if str(a[name_dtype].dtype) != str(e[name_dtype].dtype):
                diffs.append(f"{name}.{name_dtype}: dtype {a[name_dtype].dtype} != {e[name_dtype].dtype}")
    return diffs
