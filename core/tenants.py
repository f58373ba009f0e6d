"""Tenant configuration models (pure): what one tenant file says, validated with pydantic.

A tenant is one company (name + SIRET) with one sales source and one Pennylane company. An
accounting firm holding many clients simply has one file per client company.

Secrets never live in these files: credentials are *names of environment variables*
(``token_env: PENNYLANE_TOKEN_ACME``), resolved at run time by :func:`resources.settings.secret`.
Every base URL is configurable so that staging endpoints and the emulators can be used.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)
from stdnum.fr import siret as stdnum_siret

from core.tenant_accounting import (  # noqa: F401  (ACCOUNT_RE: re-exported)
    ACCOUNT_RE,
    OssConfig,
    Territory,
    VatExemptions,
    check_account,
)

SLUG_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$")
ENV_NAME_RE = re.compile(r"^[A-Z_][A-Z0-9_]*$")

SourceType = Literal[
    "chift", "toporder", "shopify", "woocommerce", "square", "zettle", "lightspeed", "hiboutik", "zelty"
]
DEFAULT_PENNYLANE_URL = "https://app.pennylane.com/api/external/v2"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _check_accounts(mapping: dict[str, str], where: str) -> dict[str, str]:
    return {str(k): check_account(v, f"{where}[{k!r}]") for k, v in mapping.items()}


def _env_name(value: str) -> str:
    if not ENV_NAME_RE.match(str(value)):
        raise ValueError("must be the NAME of an environment variable (e.g. SHOP_TOKEN), not a secret value")
    return value


def _one_or_many(value: Any) -> Any:
    return [value] if isinstance(value, str | int) else value


# A credential: the name of the environment variable holding the secret.
EnvName = Annotated[str, AfterValidator(_env_name)]
# Vendor ids (locations, restaurants): one or a list, numbers or strings, kept as strings.
IdList = Annotated[list[Annotated[str, BeforeValidator(str)]], BeforeValidator(_one_or_many)]


class SourceCredentials(_Strict):
    """Base of a source's ``credentials:`` block (env var names); each source's model lives with
    its connector."""


class SourceSettings(_Strict):
    """Base of a source's ``settings:`` block; each source's model lives with its connector."""


class SourceConfig(_Strict):
    """Where the sales come from. ``credentials`` maps a credential name to an env var *name*.

    This is the shape every source shares. The registry (``resources/tenants.py``) validates a
    tenant file with each source's own subclass (typed ``credentials`` and ``settings``, chosen
    by ``type``), so a wrong setting is rejected when the file is loaded, naming the field.
    """

    type: SourceType
    base_url: str | None = None
    credentials: dict[str, EnvName] = Field(default_factory=dict)
    settings: dict[str, Any] = Field(default_factory=dict)


class PennylaneConfig(_Strict):
    base_url: str = DEFAULT_PENNYLANE_URL
    token_env: EnvName
    journal_code: str = "VT"
    journal_label: str = "Ventes"
    create_missing_accounts: bool = True
    # Journals another tool also posts into on purpose: the "already posted by another tool"
    # check (resources/pennylane/journal_guard.py) does not look at them.
    shared_journals: list[str] = Field(default_factory=list)

    @field_validator("journal_code")
    @classmethod
    def _journal_code(cls, v: str) -> str:
        if not re.fullmatch(r"[A-Z]{2,5}", v):
            raise ValueError("pennylane.journal_code must be 2 to 5 capital letters (Pennylane rule)")
        return v


class AccountingConfig(_Strict):
    """The accountant's mapping (DESIGN.md §5). Every account has a PCG default."""

    sales_by: Literal["vat_rate", "category"] = "vat_rate"
    # Payment method name EXACTLY as the source names it -> account.
    payment_methods: dict[str, str] = Field(default_factory=dict)
    other_payment_methods_account: str = "471"
    strict: bool = False  # unknown payment methods / categories fail instead of warning
    tips_account: str = "4286"
    sales_accounts_by_rate: dict[str, str] = Field(default_factory=dict)
    sales_accounts_by_category: dict[str, str] = Field(default_factory=dict)
    default_sales_account: str = "707"
    vat_account: str = "44571"
    vat_accounts_by_rate: dict[str, str] = Field(default_factory=dict)
    shipping_account: str | None = None  # default: goods' sales account (same VAT)
    gift_card_liability_account: str = "4191"
    # Where the business is established: selects the dated VAT rate table (CGI 294, 296, 297).
    territory: Territory = "metropole"
    # Why 0 % lines are legitimate (franchise en base, export, intra-EU B2B, exempt categories).
    vat_exemptions: VatExemptions = Field(default_factory=VatExemptions)
    # How the source rounds VAT: per line (tolerance 1 cent a line) or per rate and per order.
    vat_rounding: Literal["line", "order"] = "line"
    oss: OssConfig = Field(default_factory=OssConfig)
    rounding_tolerance_cents_per_line: int = Field(default=1, ge=0)
    rounding_debit_account: str = "658"
    rounding_credit_account: str = "758"
    # E-commerce: orders are booked when placed, money when it moves (a card captured later, a bank
    # transfer received days after). With this account (e.g. 411 "Clients") each order of the day
    # not (fully) paid today is debited there, and money received today for an order with no line
    # today is credited there, both traced to the named orders; whatever else differs beyond the
    # rounding tolerance is a source error "debit ≠ credit" (never pushed to customers).
    receivables_account: str | None = None
    refunds_separate: bool = False
    refunds_account: str | None = None  # e.g. 709 when refunds_separate
    discounts_separate: bool = False
    discounts_account: str = "709"
    per_location: bool = False
    waiting_deadline_hours: int = Field(default=48, ge=1)

    @model_validator(mode="after")
    def _accounts(self) -> AccountingConfig:
        _check_accounts(self.payment_methods, "accounting.payment_methods")
        _check_accounts(self.sales_accounts_by_rate, "accounting.sales_accounts_by_rate")
        _check_accounts(self.sales_accounts_by_category, "accounting.sales_accounts_by_category")
        _check_accounts(self.vat_accounts_by_rate, "accounting.vat_accounts_by_rate")
        for name in (
            "other_payment_methods_account", "tips_account", "default_sales_account", "vat_account",
            "gift_card_liability_account", "rounding_debit_account", "rounding_credit_account",
            "discounts_account",
        ):
            check_account(getattr(self, name), f"accounting.{name}")
        for name in ("shipping_account", "refunds_account", "receivables_account"):
            if getattr(self, name) is not None:
                check_account(getattr(self, name), f"accounting.{name}")
        return self


class StockConfig(_Strict):
    """Stock sync with Pennylane (seed 004); defaults are the seed's."""

    enabled: bool = False
    import_products: bool = True
    import_services: bool = False
    locations: list[str] = Field(default_factory=lambda: ["main"])
    default_location: str = "main"
    delivery_notes_update_on_hand: bool = False
    credit_note_restocks: bool = False
    send_receipts_as_supplier_invoices: bool = False
    receipts_supplier_id: int | None = None
    allow_backorders: bool = False

    @model_validator(mode="after")
    def _default_location_listed(self) -> StockConfig:
        if self.default_location not in self.locations:
            raise ValueError(f"stock.default_location {self.default_location!r} is not in stock.locations")
        return self


class AlertsConfig(_Strict):
    """Extra alert routes for this tenant (apprise URLs or plain webhook URLs)."""

    routes: list[str] = Field(default_factory=list)


class TenantConfig(_Strict):
    slug: str
    name: str
    siret: str
    status: Literal["active", "disconnected"] = "active"
    timezone: str = "Europe/Paris"
    currency: str = "EUR"
    country: str = "FR"
    start_date: date
    # Switching from another integration: nothing dated before it is ever posted, even by a
    # backfill from start_date (the previous tool posted those days).
    cutover_date: date | None = None
    frequency: Literal["daily", "monthly"] = "daily"
    source: SourceConfig
    pennylane: PennylaneConfig
    accounting: AccountingConfig = Field(default_factory=AccountingConfig)
    stock: StockConfig = Field(default_factory=StockConfig)
    alerts: AlertsConfig = Field(default_factory=AlertsConfig)

    @field_validator("slug")
    @classmethod
    def _slug(cls, v: str) -> str:
        if not SLUG_RE.match(v):
            raise ValueError("slug must be lowercase letters, digits and dashes (a Dagster partition key)")
        return v

    @field_validator("siret")
    @classmethod
    def _siret(cls, v: str) -> str:
        compact = stdnum_siret.compact(str(v))
        if not stdnum_siret.is_valid(compact):
            raise ValueError(f"SIRET {v!r} is not valid (14 digits with a valid Luhn key)")
        return compact

    @field_validator("timezone")
    @classmethod
    def _tz(cls, v: str) -> str:
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError):  # not found is a KeyError: pydantic would not catch it
            raise ValueError(f"{v!r} is not an IANA time zone (e.g. Europe/Paris)") from None
        return v

    @field_validator("currency")
    @classmethod
    def _currency(cls, v: str) -> str:
        if not re.fullmatch(r"[A-Z]{3}", v):
            raise ValueError("currency must be an ISO 4217 code")
        return v

    @model_validator(mode="after")
    def _cutover_starts_a_period(self) -> TenantConfig:
        if self.cutover_date is not None and self.frequency == "monthly" and self.cutover_date.day != 1:
            raise ValueError(f"cutover_date {self.cutover_date} must be the first of a month for a monthly tenant "
                             "(a month's entry cannot be split between two integrations)")
        return self

    @property
    def active(self) -> bool:
        return self.status == "active"

    @property
    def first_day(self) -> date:
        """The first day this system may post: ``start_date``, or ``cutover_date`` if later."""
        return max(self.start_date, self.cutover_date or self.start_date)

    @property
    def siren(self) -> str:
        return self.siret[:9]
