"""Posting into the right company, or not at all (issue 13, point 1).

A token pasted into the wrong tenant file would post a whole history into someone else's books.
Before a tenant's first write, ``GET /me`` (spec: ``{"user", "company": {"id", "name", "reg_no"},
"scopes": [...]}``) must show the company whose ``reg_no`` is the SIREN of the tenant's SIRET, and
a token holding every scope the tenant needs. Anything else is a *mapping* error naming both
companies, raised before anything is written.

Pennylane's sandbox answers ``reg_no = "sandbox-<id>"``: a sandbox token never passes for a real
tenant, which is the point (a test company is not the tenant's books).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from core.errors import MappingError
from core.tenants import TenantConfig


@dataclass(frozen=True)
class ExpectedCompany:
    """What a tenant needs of the Pennylane company its token opens."""

    tenant: str
    name: str
    siren: str
    scopes: tuple[str, ...]

    @classmethod
    def of(cls, tenant: TenantConfig) -> ExpectedCompany:
        return cls(tenant.slug, tenant.name, tenant.siren, needed_scopes(tenant))


def needed_scopes(tenant: TenantConfig) -> tuple[str, ...]:
    """The scopes the tenant's runs use (``resource:readonly`` or ``resource:all``).

    Sales: entries are written, the journal is read (created only when missing), accounts are
    created when ``create_missing_accounts``. Stock (when on): products and customers both ways,
    invoices and commercial documents read, and supplier invoices with their file sent when
    goods receipts go to Pennylane.
    """
    accounts = "ledger_accounts:all" if tenant.pennylane.create_missing_accounts else "ledger_accounts:readonly"
    scopes = ["ledger_entries:all", "journals:readonly", accounts]
    if tenant.stock.enabled:
        scopes += ["products:all", "customers:all", "customer_invoices:readonly", "commercial_documents:readonly"]
        if tenant.stock.send_receipts_as_supplier_invoices:
            scopes += ["suppliers:readonly", "supplier_invoices:all", "file_attachments:all"]
    return tuple(scopes)


def missing_scopes(needed: Iterable[str], granted: Iterable[str]) -> list[str]:
    """The needed scopes the token lacks; ``x:all`` grants ``x:readonly``."""
    have = set(granted)
    out = []
    for scope in needed:
        resource, _, level = scope.partition(":")
        if scope in have or (level == "readonly" and f"{resource}:all" in have):
            continue
        out.append(scope)
    return out


def check_company(me: dict[str, Any], expected: ExpectedCompany) -> None:
    """Raise a :class:`MappingError` naming both companies unless ``me`` (the ``GET /me`` answer)
    is the tenant's company with every scope it needs."""
    company = me.get("company") or {}
    reg_no = "".join(str(company.get("reg_no") or "").split())
    theirs = f"{company.get('name')!r} (Pennylane company {company.get('id')}, SIREN {reg_no or 'none'})"
    ours = f"{expected.name!r} (SIREN {expected.siren})"
    if reg_no != expected.siren:
        raise MappingError(
            f"the Pennylane token opens the company {theirs}, not the tenant's company {ours}: nothing is "
            "posted; put the token of the tenant's own company in its token variable",
            tenant=expected.tenant, field_name="pennylane.token_env",
            details={"pennylane_company": company, "tenant_siren": expected.siren},
        )
    missing = missing_scopes(expected.scopes, me.get("scopes") or [])
    if missing:
        raise MappingError(
            f"the Pennylane token of {theirs} lacks the scope(s) {', '.join(missing)} that the tenant {ours} "
            "needs: nothing is posted; generate a token with these scopes",
            tenant=expected.tenant, field_name="pennylane.token_env",
            details={"missing_scopes": missing, "granted_scopes": list(me.get("scopes") or [])},
        )
