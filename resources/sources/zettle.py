"""Zettle by PayPal (Purchase API v2): one business day of purchases.

What is read, and why this way (``vendor-docs/zettle-purchase-api-v2.adoc``, reference §4):

- Auth: the OAuth *assertion grant* for self-hosted apps: ``POST {oauth}/token`` with
  ``grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer``, ``client_id`` and
  ``assertion=<API key>`` gives an ``access_token`` (7200 s). It is cached until shortly
  before it expires and fetched again once on a 401.
- ``GET /purchases/v2?startDate&endDate&limit&descending=false``: ``startDate`` inclusive,
  ``endDate`` exclusive, both **UTC** (``YYYY-MM-DDTHH:mm``), so the tenant's local day is
  converted (a DST day is 23 or 25 hours). Paging passes back ``lastPurchaseHash`` with the
  same other parameters until a page comes back empty.
- A purchase is a receipt: immutable. Refunds are *separate purchases* (``refund: true``,
  negative quantities and amounts, ``refundsPurchaseUUID1`` naming the sale), so a refund is
  naturally booked on the day it was made.
- Money is integer minor units. A product row's gross is ``unitPrice × quantity −
  discountValue`` minus its share of the purchase-level ``discounts`` (Zettle spreads them over
  rows in proportion to the rows' discounted prices); its net is Zettle's own
  ``rowTaxableAmount``; VAT is the difference. ``serviceCharge`` is split with its own
  ``vatPercentage``. ``GIFTCARD`` rows are gift cards sold (a liability, not revenue).
- Payments: ``type`` exactly as Zettle names it (``IZETTLE_CARD``, ``IZETTLE_CASH``, ``SWISH``,
  ...); ``amount`` includes ``gratuityAmount`` (the tip).

A day is final once its UTC end is ``settle_hours`` (default 6) in the past: Zettle has no
closure object ("no public API for cash register") and card readers may sync late.

Tenant config: ``source.base_url`` (purchase host, default ``https://purchase.izettle.com``),
``source.settings.oauth_base_url`` (default ``https://oauth.zettle.com``),
``settings.page_limit`` (1..1000, default 1000), ``settings.settle_hours``;
credentials ``client_id`` and ``api_key`` (env var names).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

import httpx

from core.errors import MappingError, TransientError
from core.frames import PAYMENT_COLUMNS, SALES_LINE_COLUMNS, SourceDay, make_frame, normalize_rate
from core.periods import SalesPeriod
from resources.http import RetryPolicy, send_with_retries
from resources.sources.common import DayContext, allocate, status_error, vat_of_gross
from resources.tenants import TenantConfig, secret

DEFAULT_BASE_URL = "https://purchase.izettle.com"
DEFAULT_OAUTH_URL = "https://oauth.zettle.com"
ASSERTION_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
DEFAULT_SETTLE_HOURS = 6.0
MAX_LIMIT = 1000


# --------------------------------------------------------------------------------------------
# Pure parser
# --------------------------------------------------------------------------------------------


def _spread(total: int, weights: list[int]) -> list[int]:
    """``total`` split in proportion to ``weights`` (largest remainder; exact sum); all zeros
    when there is nothing to split or nothing to split over."""
    if total == 0 or sum(weights) == 0:
        return [0] * len(weights)
    return allocate(total, weights)


def parse_timestamp(value: str) -> datetime:
    """Zettle's ``2019-12-03T17:05:06.123+0000`` (ISO 8601 basic offset) → aware datetime."""
    text = value.strip()
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    elif len(text) > 5 and text[-5] in "+-" and text[-4:].isdigit():
        text = f"{text[:-2]}:{text[-2:]}"
    return datetime.fromisoformat(text)


@dataclass
class _Ctx(DayContext):
    currency: str
    country: str


def _int(ctx: _Ctx, obj: dict, key: str, record: str, where: str, *, default: int | None = None) -> int:
    value = obj.get(key, default)
    if value is None:
        raise ctx.error("missing amount", record, f"{where}{key}")
    if isinstance(value, bool) or not isinstance(value, int):
        raise ctx.error(f"{value!r} is not an integer of minor units", record, f"{where}{key}")
    return value


def _rate(ctx: _Ctx, obj: dict, record: str, where: str) -> str:
    try:
        return normalize_rate(obj.get("vatPercentage", 0))
    except ValueError as exc:
        raise ctx.error(str(exc), record, f"{where}vatPercentage") from exc


def parse_purchase(ctx: _Ctx, purchase: dict) -> tuple[list[dict], list[dict]]:
    """One purchase (sale or refund) → (sales line rows, payment rows)."""
    pid = str(purchase.get("purchaseUUID1") or purchase.get("purchaseUUID") or "")
    if not pid:
        raise ctx.error("purchase without purchaseUUID1", None, "purchaseUUID1")
    currency = purchase.get("currency") or ctx.currency
    if currency != ctx.currency:
        raise ctx.error(f"currency {currency} differs from the tenant's {ctx.currency}", pid, "currency")
    is_refund = bool(purchase.get("refund"))
    products = purchase.get("products") or []
    rows: list[dict] = []
    after_row_discount: list[int] = []
    for i, product in enumerate(products):
        where = f"products[{i}]."
        try:
            qty = Decimal(str(product.get("quantity")))
        except InvalidOperation as exc:
            raise ctx.error(f"quantity {product.get('quantity')!r} is not a number", pid, f"{where}quantity") from exc
        unit = _int(ctx, product, "unitPrice", pid, where)
        row_gross = int((qty * unit).quantize(Decimal(1), rounding=ROUND_HALF_UP))
        discount = _int(ctx, product, "discountValue", pid, where, default=0)
        # discountValue is a positive amount; on a refund row the price is negative
        after_row_discount.append(row_gross - discount if row_gross >= 0 else row_gross + discount)
        rows.append({"qty": qty, "product": product, "where": where})
    purchase_discount = sum(_int(ctx, d, "value", pid, f"discounts[{j}].", default=0)
                            for j, d in enumerate(purchase.get("discounts") or []))
    sign = -1 if is_refund else 1
    shares = _spread(purchase_discount, [abs(g) for g in after_row_discount])
    lines: list[dict] = []
    for i, (row, base, share) in enumerate(zip(rows, after_row_discount, shares, strict=True)):
        product, where = row["product"], row["where"]
        gross = base - sign * share
        rate = _rate(ctx, product, pid, where)
        if "rowTaxableAmount" in product:
            net = _int(ctx, product, "rowTaxableAmount", pid, where)
        else:
            net = gross - vat_of_gross(gross, rate)
        kind = "gift_card" if product.get("type") == "GIFTCARD" else "item"
        lines.append({
            "order_id": pid, "line_id": f"{pid}:{i}", "location": "", "kind": kind,
            "product_id": str(product.get("productUuid") or ""), "sku": str(product.get("sku") or ""),
            "category": "", "quantity": float(row["qty"]), "net_cents": net, "vat_rate": rate,
            "vat_cents": gross - net, "gross_cents": gross, "country": ctx.country, "is_refund": is_refund,
            "currency": ctx.currency,
        })
    charge = purchase.get("serviceCharge")
    if charge:
        where = "serviceCharge."
        qty = Decimal(str(charge.get("quantity", "1")))
        gross = int((qty * _int(ctx, charge, "amount", pid, where)).quantize(Decimal(1), rounding=ROUND_HALF_UP))
        gross = -abs(gross) if is_refund else gross
        rate = _rate(ctx, charge, pid, where)
        vat = vat_of_gross(gross, rate)
        lines.append({
            "order_id": pid, "line_id": f"{pid}:service", "location": "", "kind": "service_charge",
            "product_id": "", "sku": "", "category": "", "quantity": float(qty), "net_cents": gross - vat,
            "vat_rate": rate, "vat_cents": vat, "gross_cents": gross, "country": ctx.country,
            "is_refund": is_refund, "currency": ctx.currency,
        })
    payments: list[dict] = []
    for i, pay in enumerate(purchase.get("payments") or []):
        where = f"payments[{i}]."
        amount = _int(ctx, pay, "amount", pid, where)
        tip = _int(ctx, pay, "gratuityAmount", pid, where, default=0)
        if tip < 0:
            raise ctx.error(f"refunded gratuity {tip} cannot be booked (tips are a staff liability, "
                            "refund them outside the till)", pid, f"{where}gratuityAmount")
        if not pay.get("type"):
            raise ctx.error("payment without type", pid, f"{where}type")
        payments.append({
            "order_id": pid, "payment_id": str(pay.get("uuid") or f"{pid}:p{i}"), "location": "",
            "method": str(pay["type"]), "amount_cents": amount, "tip_cents": tip, "is_refund": is_refund,
            "currency": ctx.currency,
        })
    goods = sum(line["gross_cents"] for line in lines)
    tips = sum(p["tip_cents"] for p in payments)
    amount = _int(ctx, purchase, "amount", pid, "")
    if goods not in (amount, amount - tips):
        raise ctx.error(f"products and service charge total {goods} but the purchase amount is {amount}",
                        pid, "amount")
    paid = sum(p["amount_cents"] for p in payments)
    if paid - tips != goods:
        raise ctx.error(f"payments (excluding gratuity) total {paid - tips} but the goods total {goods}",
                        pid, "payments")
    if "vatAmount" in purchase:
        vat = sum(line["vat_cents"] for line in lines)
        declared = _int(ctx, purchase, "vatAmount", pid, "")
        if abs(vat - declared) > len(lines):  # a cent per row of rounding in the discount spread
            raise ctx.error(f"row VAT totals {vat} but the purchase's vatAmount is {declared}", pid, "vatAmount")
    return lines, payments


def parse_purchases(ctx: _Ctx, purchases: list[dict]) -> SourceDay:
    lines: list[dict] = []
    payments: list[dict] = []
    for purchase in purchases:
        ls, ps = parse_purchase(ctx, purchase)
        lines += ls
        payments += ps
    refunds = sum(1 for p in purchases if p.get("refund"))
    return SourceDay(
        sales_lines=make_frame(lines, SALES_LINE_COLUMNS),
        payments=make_frame(payments, PAYMENT_COLUMNS),
        notes=[f"{len(purchases) - refunds} purchases, {refunds} refunds"],
    )


def parse_context(tenant: TenantConfig, day: str) -> _Ctx:
    return _Ctx(tenant.slug, day, tenant.currency, tenant.country)


# --------------------------------------------------------------------------------------------
# HTTP client
# --------------------------------------------------------------------------------------------


class ZettleClient:
    """Assertion-grant token + Purchase API v2 paging, with 429/5xx retries."""

    def __init__(
        self,
        base_url: str,
        oauth_url: str,
        client_id: str,
        api_key: str,
        *,
        policy: RetryPolicy | None = None,
        tenant: str | None = None,
        transport: httpx.BaseTransport | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ):
        self.tenant = tenant
        self.policy = policy or RetryPolicy()
        self.oauth_url = oauth_url.rstrip("/")
        self._client_id = client_id
        self._api_key = api_key
        self._token: str | None = None
        self._token_expires = 0.0
        self._lock = threading.Lock()
        self._monotonic = monotonic
        self.http = httpx.Client(base_url=base_url.rstrip("/"), timeout=httpx.Timeout(30.0, connect=10.0),
                                 transport=transport, headers={"Accept": "application/json"})
        self.retries: list[str] = []
        self.token_requests = 0

    def close(self) -> None:
        self.http.close()

    def _on_retry(self, what: str) -> Callable[[int, str], None]:
        return lambda attempt, why: self.retries.append(f"{what}: {why}")

    def access_token(self, *, refresh: bool = False) -> str:
        with self._lock:
            if not refresh and self._token and self._monotonic() < self._token_expires:
                return self._token
            self.token_requests += 1
            request = self.http.build_request("POST", f"{self.oauth_url}/token", data={
                "grant_type": ASSERTION_GRANT, "client_id": self._client_id, "assertion": self._api_key})
            response = send_with_retries(self.http, request, policy=self.policy, what="Zettle token",
                                         on_retry=self._on_retry("token"))
            if response.status_code != 200:
                try:
                    body = response.json()
                except ValueError:
                    body = {}
                detail = body.get("error_description") or body.get("error") or response.text[:200]
                if response.status_code in (400, 401, 403):
                    raise MappingError(f"Zettle token: HTTP {response.status_code} ({detail}); check the client id "
                                       "and API key (assertion) and the READ:PURCHASE scope", tenant=self.tenant)
                raise TransientError(f"Zettle token: HTTP {response.status_code} ({detail})", tenant=self.tenant)
            body = response.json()
            self._token = body["access_token"]
            # refresh a minute early so a long day never runs on an expired token
            self._token_expires = self._monotonic() + max(0, int(body.get("expires_in", 7200)) - 60)
            return self._token

    def _get(self, path: str, params: dict[str, str], what: str) -> dict:
        for attempt in (1, 2):
            request = self.http.build_request(
                "GET", path, params=params,
                headers={"Authorization": f"Bearer {self.access_token(refresh=attempt == 2)}"})
            response = send_with_retries(self.http, request, policy=self.policy, what=f"Zettle {what}",
                                         on_retry=self._on_retry(what))
            if response.status_code == 401 and attempt == 1:
                continue  # token revoked or expired early: get a new one, once
            if response.status_code == 200:
                return response.json()
            status, detail = response.status_code, response.text[:200]
            raise status_error(status, tenant=self.tenant,
                               refused=f"Zettle {what}: HTTP {status} ({detail}); the API key "
                                       "lacks READ:PURCHASE or was revoked",
                               unavailable=f"Zettle {what}: HTTP {status} after retries ({detail})",
                               rejected=f"Zettle {what}: HTTP {status} ({detail})")
        raise AssertionError("unreachable")

    def purchases(self, start: datetime, end: datetime, *, limit: int = MAX_LIMIT) -> Iterator[dict]:
        """Purchases with ``start <= timestamp < end`` (UTC, minute precision), oldest first."""
        params = {"startDate": start.astimezone(UTC).strftime("%Y-%m-%dT%H:%M"),
                  "endDate": end.astimezone(UTC).strftime("%Y-%m-%dT%H:%M"),
                  "limit": str(limit), "descending": "false"}
        last_hash: str | None = None
        while True:
            page = self._get("/purchases/v2", dict(params, lastPurchaseHash=last_hash) if last_hash else params,
                             "purchases")
            purchases = page.get("purchases") or []
            if not purchases:
                return
            yield from purchases
            last_hash = page.get("lastPurchaseHash")
            if not last_hash:
                return


# --------------------------------------------------------------------------------------------
# The source
# --------------------------------------------------------------------------------------------


class ZettleSource:
    """:class:`resources.sources.base.SalesSource` for Zettle."""

    def __init__(
        self,
        tenant: TenantConfig,
        warehouse: Any = None,
        *,
        policy: RetryPolicy | None = None,
        clock: Callable[[], datetime] | None = None,
        transport: httpx.BaseTransport | None = None,
    ):
        self.tenant = tenant
        creds = tenant.source.credentials
        settings = tenant.source.settings
        for key in ("client_id", "api_key"):
            if key not in creds:
                raise MappingError(f"source.credentials.{key} (env var name) is required for Zettle",
                                   tenant=tenant.slug)
        limit = int(settings.get("page_limit", MAX_LIMIT))
        if not 1 <= limit <= MAX_LIMIT:
            raise MappingError(f"source.settings.page_limit must be 1..{MAX_LIMIT}, got {limit}", tenant=tenant.slug)
        self.page_limit = limit
        self.settle = timedelta(hours=float(settings.get("settle_hours", DEFAULT_SETTLE_HOURS)))
        self.clock = clock or (lambda: datetime.now(UTC))
        self.location = str(settings.get("location", ""))
        self.client = ZettleClient(
            tenant.source.base_url or DEFAULT_BASE_URL,
            str(settings.get("oauth_base_url", DEFAULT_OAUTH_URL)),
            secret(creds["client_id"], tenant=tenant.slug, what="Zettle client id"),
            secret(creds["api_key"], tenant=tenant.slug, what="Zettle API key"),
            policy=policy, tenant=tenant.slug, transport=transport,
        )

    def close(self) -> None:
        self.client.close()

    def fetch(self, period: SalesPeriod) -> SourceDay:
        start, end = period.start_utc, period.end_utc
        if self.clock() < end + self.settle:
            return SourceDay(complete=False, waiting_reason=(
                f"Zettle day ends {end.isoformat()}; final {self.settle} later (card readers sync late)"))
        ctx = parse_context(self.tenant, period.key)
        purchases = []
        for purchase in self.client.purchases(start, end, limit=self.page_limit):
            stamp = purchase.get("timestamp") or purchase.get("created")
            try:
                moment = parse_timestamp(str(stamp))
            except ValueError as exc:
                raise ctx.error(f"timestamp {stamp!r} is not ISO 8601",
                                str(purchase.get("purchaseUUID1")), "timestamp") from exc
            if start <= moment < end:
                purchases.append(purchase)
        day = parse_purchases(ctx, purchases)
        if self.location:
            day.sales_lines["location"] = self.location
            day.payments["location"] = self.location
        if self.client.retries:
            day.notes.append(f"{len(self.client.retries)} retried request(s)")
        day.origin = str(self.client.http.base_url)
        return day
