"""Step 3 of the mapping: the groups of one entry → postings, netted per journal line.

Debit each payment method's takings (tips included, refunds netted), credit tips, gift cards
sold, sales net of VAT (by rate or by category), shipping, discounts and refunds (separate
lines when the tenant asks), VAT per rate; then one posting per (account, kind, key, rate,
country), in the journal's line order (kind, country, account, rate, key).

A posting's ``amount`` is positive for a debit and negative for a credit, so that netting is a
plain sum and a line's side follows from its sign.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from decimal import Decimal

from core.accounting.checks import JOURNAL_LINE_KINDS
from core.accounting.context import MappingContext
from core.accounting.grouping import LineGroup, MethodGroup, PeriodGroups
from core.accounting.payment_methods import resolve_method
from core.accounting.vat_rates import canonical_rate, format_rate_fr
from core.money import cents_to_text
from core.tenants import ACCOUNT_RE

_KIND_ORDER = {kind: i for i, kind in enumerate(JOURNAL_LINE_KINDS)}


@dataclass(frozen=True)
class Posting:
    account: str
    kind: str
    source_key: str
    vat_rate: str
    country: str
    label: str
    mapped: bool
    amount: int  # > 0 debit, < 0 credit


@dataclass(frozen=True)
class UnmappedCase:
    """The first payment or line of a name without an account (a row of the failure cases)."""

    order_id: str
    line_id: str
    field: str
    value: str
    reason: str


@dataclass
class EntryPostings:
    """The netted postings of one entry, and the names that fell back to a default account."""

    postings: list[Posting]
    unmapped_methods: dict[str, UnmappedCase] = field(default_factory=dict)
    unmapped_categories: dict[str, UnmappedCase] = field(default_factory=dict)


def entry_postings(ctx: MappingContext, groups: PeriodGroups) -> EntryPostings:
    """Payments, then sales, of one entry's groups; netted and in the journal's order."""
    out = EntryPostings([])
    postings = payment_postings(ctx, groups.methods, out.unmapped_methods)
    postings += sales_postings(ctx, groups.lines, out.unmapped_categories)
    out.postings = net(postings)
    return out


def payment_postings(ctx: MappingContext, groups: list[MethodGroup],
                     unmapped: dict[str, UnmappedCase]) -> list[Posting]:
    """One debit per payment method, then the tips' credit. Unmapped methods go to ``unmapped``."""
    acc = ctx.tenant.accounting
    postings: list[Posting] = []
    for group in sorted(groups, key=lambda g: g.method):
        method = group.method
        resolved = resolve_method(method, acc)
        amount = group.amount_cents
        if not resolved.mapped and method not in unmapped:
            unmapped[method] = UnmappedCase(
                group.order_id, group.payment_id, "method", method,
                f"payment method not mapped: {group.count} payment(s), {cents_to_text(amount)} "
                f"booked to {resolved.account}",
            )
        postings.append(Posting(resolved.account, "payment", method, "", "",
                                f"Encaissements {method}", resolved.mapped, amount))
    tips = sum(g.tip_cents for g in groups)
    if tips:
        postings.append(Posting(acc.tips_account, "tip", "", "", "", "Pourboires", True, -tips))
    return postings


def sales_postings(ctx: MappingContext, groups: list[LineGroup],
                   unmapped: dict[str, UnmappedCase]) -> list[Posting]:
    """Per group: revenue (or gift card liability) and its VAT. Unmapped categories go to ``unmapped``."""
    acc = ctx.tenant.accounting
    by_rate = {canonical_rate(k): v for k, v in acc.sales_accounts_by_rate.items()}
    vat_by_rate = {canonical_rate(k): v for k, v in acc.vat_accounts_by_rate.items()}
    postings: list[Posting] = []
    for line in groups:
        tax = line.taxation
        if tax is None:  # gift card sold (or refunded): a liability, outside revenue and VAT
            postings.append(Posting(acc.gift_card_liability_account, "gift_card", "", "", "",
                                    "Cartes cadeaux vendues", True, -line.gross_cents))
            continue
        rate, country = tax.rate, tax.country
        where = f" {country}" if tax.oss else ""
        rate_text = f"TVA {format_rate_fr(rate)}"
        mapped = True
        if tax.oss:
            sales_account, vat_account = oss_accounts(ctx, country, rate, line)
            key, key_text = rate, ""
        else:
            vat_account = vat_by_rate.get(rate, acc.vat_account)
            sales_account = by_rate.get(rate, acc.default_sales_account)
            key, key_text = rate, ""
            category = line.category
            if acc.sales_by == "category" and line.kind != "shipping":
                if category in acc.sales_accounts_by_category:
                    sales_account, key, key_text = acc.sales_accounts_by_category[category], category, f" {category}"
                elif line.kind == "item" or category:
                    mapped = False
                    key, key_text = category, f" {category}" if category else ""
                    if category not in unmapped:
                        unmapped[category] = UnmappedCase(
                            line.order_id, line.line_id, "category", category,
                            f"category not mapped: booked to {sales_account} (VAT rate mapping)",
                        )
            if line.kind == "shipping" and acc.shipping_account:
                sales_account = acc.shipping_account
        kind, prefix, account = "sales", "Ventes", sales_account
        if line.kind == "shipping":
            kind, prefix = "shipping", "Frais de port"
        if line.kind == "discount" and acc.discounts_separate:
            kind, prefix, account = "discount", "Remises", acc.discounts_account
        if line.is_refund and acc.refunds_separate:
            kind, prefix, account = "refund", "Remboursements", acc.refunds_account or sales_account
        postings.append(Posting(account, kind, key, rate, country,
                                f"{prefix}{key_text}{where} {rate_text}", mapped, -line.net_cents))
        postings.append(Posting(vat_account, "vat", rate, rate, country,
                                f"TVA collectée{where} {format_rate_fr(rate)}", True, -line.vat_cents))
    return postings


def oss_accounts(ctx: MappingContext, country: str, rate: str, line: LineGroup) -> tuple[str, str]:
    """Sales and VAT accounts of an OSS distance sale (the rate's override, else the country's)."""
    accounts = ctx.tenant.accounting.oss.accounts[country]
    override = {canonical_rate(k): v for k, v in accounts.by_rate.items()}.get(rate, {})
    sales = override.get("sales_account", accounts.sales_account)
    vat = override.get("vat_account", accounts.vat_account)
    for name, value in (("sales_account", sales), ("vat_account", vat)):
        if not ACCOUNT_RE.match(str(value)):
            raise ctx.mapping_error(
                f"accounting.oss.accounts[{country!r}].by_rate[{rate!r}].{name} {value!r} is not a ledger account",
                record=f"order {line.order_id} line {line.line_id}", field_name="country",
            )
    return sales, vat


def net(postings: list[Posting]) -> list[Posting]:
    """One posting per (account, kind, key, rate, country), labelled as the first that went into
    it; zero sums disappear."""
    merged: dict[tuple, Posting] = {}
    for p in postings:
        key = (p.account, p.kind, p.source_key, p.vat_rate, p.country)
        into = merged.get(key)
        merged[key] = p if into is None else dataclasses.replace(
            into, amount=into.amount + p.amount, mapped=into.mapped and p.mapped)
    kept = [p for p in merged.values() if p.amount != 0]
    return sorted(kept, key=lambda p: (
        _KIND_ORDER[p.kind], p.country, p.account, Decimal(p.vat_rate or "-1"), p.source_key,
    ))
