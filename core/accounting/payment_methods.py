"""Payment method name → debit account (DESIGN.md §5, seed 003).

Three steps, in this order:

1. **Tenant mapping, exact name.** ``accounting.payment_methods`` maps the name *exactly as the
   source spells it* (seed 003: "Les noms entrés dans Pennylane doivent être exactement les
   mêmes"). An exact entry always wins, even over a recognised default.
2. **Recognised defaults.** Common French/English names are recognised case- and
   accent-insensitively ("Espèces", "CB Visa", "Ticket Restaurant", "Carte cadeau"…), as
   Pennylane does ("Par défaut, nous les lions automatiquement"). The order of the rules
   matters: "carte cadeau" is a gift card before it is a card, "chèque déjeuner" a meal voucher
   before it is a cheque.
3. **Other payment methods.** Anything else goes to ``accounting.other_payment_methods_account``
   (default 471, a suspense account) and is reported as *unmapped* so that the accountant maps
   it; a ``strict`` tenant fails instead (handled by the mapping).

Default accounts (PCG, some by common practice, see ``reference/accounting-fr.md`` §2):

- cash / espèces → 530 Caisse
- card / CB / Visa / SumUp / Stripe → 5115 Cartes bancaires à encaisser (practice, not a PCG title)
- chèque → 5112 Chèques à encaisser
- titres-restaurant (paper and cards: Swile, Edenred, Pluxee/Sodexo, Up Déjeuner, Conecs) →
  51121, a sub-account of 5112 "Titres-restaurant à encaisser"
- chèques-vacances (ANCV) → 51122, a sub-account of 5112 "Chèques-vacances à encaisser"
- gift card / carte cadeau → 4191 Clients – avances et acomptes reçus (redeeming a gift card
  settles the liability booked when it was sold)
- virement / transfer from a customer → 512 Banques (the money lands on the bank account; class 58
  "Virements internes" is for the company's own transfers between its accounts, never a
  customer's payment). A tenant that books transfers against the customer instead maps the name
  to its receivables account (e.g. ``Virement: "411000"``).
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass

from core.tenants import AccountingConfig

CASH_ACCOUNT = "530"
CARD_ACCOUNT = "5115"
CHEQUE_ACCOUNT = "5112"
MEAL_VOUCHER_ACCOUNT = "51121"
HOLIDAY_VOUCHER_ACCOUNT = "51122"
GIFT_CARD_ACCOUNT = "4191"
TRANSFER_ACCOUNT = "512"

# (family, account, phrases). A phrase matches whole words of the normalised name, so "cb"
# matches "CB Visa" but not "CBD". First matching rule wins.
_RULES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("gift_card", GIFT_CARD_ACCOUNT, (
        "carte cadeau", "cartes cadeaux", "carte kdo", "cheque cadeau", "cheques cadeaux",
        "bon cadeau", "bons cadeaux", "bon d achat", "gift card", "giftcard", "gift cards",
        "gift voucher",
    )),
    ("meal_voucher", MEAL_VOUCHER_ACCOUNT, (
        "titre restaurant", "titres restaurant", "titre resto", "ticket restaurant",
        "tickets restaurant", "ticket resto", "tickets resto", "tr", "ctr", "swile", "lunchr",
        "edenred", "sodexo", "pluxee", "up dejeuner", "cheque dejeuner", "cheques dejeuner",
        "conecs", "apetiz", "bimpli", "resto flash", "meal voucher", "meal vouchers",
    )),
    ("holiday_voucher", HOLIDAY_VOUCHER_ACCOUNT, (
        "cheque vacances", "cheques vacances", "ancv", "chq vacances",
    )),
    ("cash", CASH_ACCOUNT, ("especes", "espece", "cash", "liquide", "liquides", "numeraire")),
    ("card", CARD_ACCOUNT, (
        "carte", "cartes", "carte bancaire", "cartes bancaires", "carte bleue", "cb", "card",
        "cards", "credit card", "debit card", "visa", "mastercard", "master card", "maestro",
        "amex", "american express", "sumup", "stripe", "tpe", "sans contact", "contactless",
        "apple pay", "google pay", "shopify payments", "adyen", "payplug",
    )),
    ("cheque", CHEQUE_ACCOUNT, ("cheque", "cheques", "chq", "check", "checks")),
    ("transfer", TRANSFER_ACCOUNT, (
        "virement", "virements", "vir", "transfer", "bank transfer", "wire", "sepa",
    )),
)


def normalize_name(name: str) -> str:
    """Lower case, accents removed, punctuation to single spaces: "Chèque-Déjeuner" → "cheque dejeuner"."""
    decomposed = unicodedata.normalize("NFKD", str(name))
    ascii_only = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(re.split(r"[^0-9a-z]+", ascii_only.casefold())).strip()


_COMPILED = tuple(
    (family, account, re.compile(r"(?:^| )(?:" + "|".join(re.escape(p) for p in phrases) + r")(?: |$)"))
    for family, account, phrases in _RULES
)


def recognise(name: str) -> tuple[str, str] | None:
    """``(family, default account)`` for a recognised method name, else ``None``."""
    return _recognise_text(str(name))


@functools.lru_cache(maxsize=4096)
def _recognise_text(name: str) -> tuple[str, str] | None:
    """:func:`recognise` once per distinct name: a tenant has a handful, seen every day."""
    text = normalize_name(name)
    for family, account, pattern in _COMPILED:
        if pattern.search(text):
            return family, account
    return None


@dataclass(frozen=True)
class MethodAccount:
    """Where one payment method's takings are debited, and why."""

    method: str  # the name exactly as the source gave it
    account: str
    origin: str  # "tenant" (exact mapping) | "default" (recognised) | "other" (unknown)

    @property
    def mapped(self) -> bool:
        return self.origin != "other"


def resolve_method(name: str, accounting: AccountingConfig) -> MethodAccount:
    """The debit account of a payment method for this tenant (tenant exact name > default > other)."""
    if name in accounting.payment_methods:
        return MethodAccount(name, accounting.payment_methods[name], "tenant")
    recognised = recognise(name)
    if recognised is not None:
        return MethodAccount(name, recognised[1], "default")
    return MethodAccount(name, accounting.other_payment_methods_account, "other")
