"""The Dagster resource handing out one Pennylane client per tenant."""

from __future__ import annotations

import dagster as dg
from pydantic import PrivateAttr

from core.tenants import TenantConfig
from resources.pennylane.cache import PennylaneCache
from resources.pennylane.client import RATE_LIMIT_REQUESTS, RATE_LIMIT_WINDOW, PennylaneClient, token_hash
from resources.pennylane.company import ExpectedCompany
from resources.pennylane.journal_guard import JournalGuard
from resources.rate_budget import WarehouseLimiter, shared_limiter
from resources.settings import secret
from resources.warehouse import Warehouse

# The shared budget counts a slot from its answer (never earlier than Pennylane received it), so it
# needs no margin for the send-to-receipt delay; 0.05 s covers clock skew between pods (NTP).
SHARED_MARGIN = 0.05


def shared_budget(warehouse: Warehouse, token: str) -> WarehouseLimiter:
    """The token's 25 requests / 5 s shared through ``warehouse`` by every run and pod."""
    return shared_limiter(warehouse, "pennylane", token_hash(token), RATE_LIMIT_REQUESTS,
                          RATE_LIMIT_WINDOW + SHARED_MARGIN)


class PennylaneResource(dg.ConfigurableResource):
    """Hands out one :class:`PennylaneClient` per tenant (its own company token).

    Base URL: ``base_url_override`` if set (the local deployment sets it from
    ``PENNYLANE_BASE_URL``, see ``pipelines/definitions.py``), else the tenant's
    ``pennylane.base_url``. Clients are kept for the life of the resource (one
    run). Every client checks, before its first write, that its token opens the tenant's company
    with the scopes it needs, and refuses entries before the tenant's cutover date or into a day
    another tool posted. Given the run's ``warehouse``, the company check and the journal and
    account ids are shared through it by every run and pod (one ``/me`` per token per day), and
    so is the token's rate budget (25 requests / 5 s for all of them together:
    :mod:`resources.rate_budget`).
    """

    base_url_override: str | None = None
    timeout_seconds: float = 30.0

    _clients: dict[str, PennylaneClient] = PrivateAttr(default_factory=dict)

    def base_url_for(self, tenant: TenantConfig) -> str:
        return self.base_url_override or tenant.pennylane.base_url

    def client_for(self, tenant: TenantConfig, warehouse: Warehouse | None = None) -> PennylaneClient:
        token = secret(tenant.pennylane.token_env, tenant=tenant.slug, what="Pennylane token")
        base = self.base_url_for(tenant)
        key = f"{tenant.slug}|{token_hash(token)}|{base}|{warehouse.url if warehouse else ''}"
        client = self._clients.get(key)
        if client is None:
            limiter = None if warehouse is None else shared_budget(warehouse, token)
            client = self._clients[key] = PennylaneClient(
                token, base, tenant=tenant.slug, timeout=self.timeout_seconds, expected=ExpectedCompany.of(tenant),
                cache=PennylaneCache(warehouse) if warehouse is not None else None,
                guard=JournalGuard.of(tenant, warehouse), limiter=limiter)
        return client
