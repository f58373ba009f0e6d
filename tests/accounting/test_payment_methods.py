"""Payment method names → accounts: tenant exact name, recognised defaults, then 471."""

from __future__ import annotations

import pytest

from core.accounting.payment_methods import normalize_name, recognise, resolve_method
from core.tenants import AccountingConfig


@pytest.mark.parametrize(
    ("name", "account"),
    [
        ("Espèces", "530"), ("ESPECES", "530"), ("Cash", "530"), ("espèce", "530"),
        ("CB", "5115"), ("Carte bancaire", "5115"), ("CB Visa", "5115"), ("Visa", "5115"),
        ("Mastercard", "5115"), ("AMEX", "5115"), ("SumUp", "5115"), ("Stripe", "5115"),
        ("card", "5115"), ("Carte Bleue sans contact", "5115"),
        ("Chèque", "5112"), ("CHEQUE", "5112"), ("chq", "5112"),
        ("Ticket Restaurant", "51121"), ("Titres-restaurant", "51121"), ("Swile", "51121"),
        ("Carte Swile", "51121"), ("Edenred", "51121"), ("Sodexo", "51121"), ("Pluxee", "51121"),
        ("Up Déjeuner", "51121"), ("Chèque Déjeuner", "51121"), ("CONECS", "51121"), ("TR", "51121"),
        ("Chèques-Vacances ANCV", "51122"),
        ("Carte cadeau", "4191"), ("Gift card", "4191"), ("Chèque cadeau", "4191"),
        ("Virement", "512"), ("Bank transfer", "512"),
    ],
)
def test_recognised_defaults(name, account):
    assert recognise(name)[1] == account
    resolved = resolve_method(name, AccountingConfig())
    assert (resolved.account, resolved.origin, resolved.mapped) == (account, "default", True)


@pytest.mark.parametrize("name", ["Lydia", "Paygreen", "CBD shop credit", "Avoir", "PayPal"])
def test_unknown_names_go_to_other_payment_methods(name):
    resolved = resolve_method(name, AccountingConfig(other_payment_methods_account="4718"))
    assert (resolved.account, resolved.origin, resolved.mapped) == ("4718", "other", False)


def test_exact_tenant_mapping_wins_over_defaults():
    acc = AccountingConfig(payment_methods={"Ticket Restaurant": "51125", "Lydia": "5116"})
    assert resolve_method("Ticket Restaurant", acc).account == "51125"
    assert resolve_method("Ticket Restaurant", acc).origin == "tenant"
    assert resolve_method("Lydia", acc).account == "5116"


def test_tenant_mapping_is_by_exact_name_only():
    acc = AccountingConfig(payment_methods={"Lydia": "5116"})
    resolved = resolve_method("lydia", acc)  # seed 003: names must be exactly the same
    assert (resolved.account, resolved.mapped) == ("471", False)


def test_normalize_name():
    assert normalize_name("  Chèque-Déjeuner ") == "cheque dejeuner"
    assert normalize_name("Carte  Bancaire (TPE)") == "carte bancaire tpe"
