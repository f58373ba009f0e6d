"""Parts of a tenant's ``accounting:`` block that state the law it sells under (pure, pydantic).

- ``territory``: where the business is established in France; selects the dated VAT rate table
  (CGI 278 ff. metropole, 297 Corse, 296 Guadeloupe / Martinique / Réunion, 294 Guyane / Mayotte
  where VAT is not applicable).
- ``vat_exemptions``: why a 0 % line may be posted. A 0 % line without a declared reason is a
  source error: a French domestic sale carries VAT.
- ``vat_rounding``: how the source rounds VAT (per line, or per rate and per order), which sets
  the tolerance of the VAT-amount-against-rate check.
- ``oss``: the one-stop-shop regime, declared once for all EU distance sales to consumers.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

ACCOUNT_RE = re.compile(r"^[0-9][0-9A-Z]{2,14}$")

Territory = Literal["metropole", "corse", "guadeloupe", "martinique", "reunion", "guyane", "mayotte"]
# Territories where VAT is not applicable (CGI art. 294-1).
NO_VAT_TERRITORIES = frozenset({"guyane", "mayotte"})

ExemptionRegime = Literal["franchise_en_base", "export", "intra_eu_b2b"]
# What each regime allows, with its legal basis (said in errors and in docs/accounting.md).
EXEMPTION_BASIS: dict[str, str] = {
    "franchise_en_base": "franchise en base de TVA (CGI art. 293 B): no VAT on any sale",
    "export": "export outside the EU (CGI art. 262 I): 0 % on lines delivered outside the EU",
    "intra_eu_b2b": "intra-EU supply to a business (CGI art. 262 ter I): 0 % on lines delivered "
                    "to another EU country to a buyer with a VAT number",
    "territory": "VAT not applicable in Guyane and Mayotte (CGI art. 294-1)",
}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class VatExemptions(_Strict):
    """Why 0 % lines are legitimate for this tenant.

    ``regimes``: ``franchise_en_base`` (every sale), ``export`` (delivery country outside the
    EU), ``intra_eu_b2b`` (another EU country, the line's ``buyer_vat_id`` given).
    ``categories``: product category → its legal basis (e.g. ``"Formation": "CGI 261-4-4° a"``);
    a 0 % line of that category is accepted.
    """

    regimes: list[ExemptionRegime] = Field(default_factory=list)
    categories: dict[str, str] = Field(default_factory=dict)

    @field_validator("categories")
    @classmethod
    def _basis_given(cls, v: dict[str, str]) -> dict[str, str]:
        for category, basis in v.items():
            if not str(basis).strip():
                raise ValueError(f"vat_exemptions.categories[{category!r}]: give the legal basis of the exemption")
        return v


def check_account(value: str, where: str) -> str:
    """A ledger account number: digits (capitals allowed after the class), PCG class first."""
    value = str(value).strip()
    if not ACCOUNT_RE.match(value):
        raise ValueError(f"{where}: {value!r} is not a ledger account number (digits, PCG class first)")
    return value


class CountryAccounts(_Strict):
    """OSS: accounts for sales to consumers in another EU country."""

    sales_account: str
    vat_account: str
    # Optional per-rate overrides inside that country, e.g. {"7": {"sales_account": ..}}.
    by_rate: dict[str, dict[str, str]] = Field(default_factory=dict)

    @field_validator("sales_account", "vat_account")
    @classmethod
    def _acc(cls, v: str) -> str:
        return check_account(v, "oss account")


class OssConfig(_Strict):
    """The tenant's OSS regime (CGI 258 A, 259 D; Directive 2006/112 art. 59 quater).

    ``registered: true``: every EU distance sale to a consumer (delivery country ≠ home, in the
    EU, no buyer VAT number) is taxed at the destination country's dated rate, from ``since``
    (default: always). ``registered: false``: such sales carry French VAT, and the yearly total
    is watched against the EUR 10,000 threshold.

    ``accounts``: per-country sales and VAT accounts. A country without an entry gets generated
    ones: ``sales_account_prefix`` / ``vat_account_prefix`` followed by the country code
    (``7072DE``, ``4457DE``), labelled "Ventes OSS Allemagne …" when created.
    """

    registered: bool = False
    since: date | None = None
    accounts: dict[str, CountryAccounts] = Field(default_factory=dict)
    sales_account_prefix: str = "7072"
    vat_account_prefix: str = "44572"
    threshold_cents: int = Field(default=1_000_000, ge=0)
    warn_from_cents: int = Field(default=800_000, ge=0)

    @model_validator(mode="before")
    @classmethod
    def _regime_declared(cls, data: Any) -> Any:
        if isinstance(data, dict) and data and "registered" not in data:
            raise ValueError(
                "oss: declare the regime once for all EU distance sales: `registered: true` (OSS: "
                "destination VAT, optional `since:` date) or `registered: false` (French VAT below the "
                "EUR 10,000 threshold); per-country accounts go under `accounts:`")
        return data

    @field_validator("accounts")
    @classmethod
    def _countries(cls, v: dict[str, CountryAccounts]) -> dict[str, CountryAccounts]:
        for country in v:
            if len(country) != 2 or not country.isalpha() or not country.isupper():
                raise ValueError(f"oss.accounts: {country!r} is not an ISO country code (e.g. DE)")
        return v

    @field_validator("sales_account_prefix", "vat_account_prefix")
    @classmethod
    def _prefix(cls, v: str) -> str:
        return check_account(v, "oss account prefix")

    def registered_on(self, day: date) -> bool:
        return self.registered and (self.since is None or day >= self.since)
