"""The Dagster resource handing out one Pennylane client per tenant."""

from __future__ import annotations

import dagster as dg
from pydantic import PrivateAttr

from core.tenants import TenantConfig
from resources.pennylane.client import PennylaneClient, token_hash
from resources.settings import secret


class PennylaneResource(dg.ConfigurableResource):
    """Hands out one :class:`PennylaneClient` per tenant (its own company token).

    Base URL: ``base_url_override`` if set (the local deployment sets it from
    ``PENNYLANE_BASE_URL``, see ``pipelines/definitions.py``), else the tenant's
    ``pennylane.base_url``. Clients are kept for the life of the resource so
    that journal and account look-ups happen once per run.
    """

    base_url_override: str | None = None
    timeout_seconds: float = 30.0

    _clients: dict[str, PennylaneClient] = PrivateAttr(default_factory=dict)

    def base_url_for(self, tenant: TenantConfig) -> str:
        return self.base_url_override or tenant.pennylane.base_url

    def client_for(self, tenant: TenantConfig) -> PennylaneClient:
        token = secret(tenant.pennylane.token_env, tenant=tenant.slug, what="Pennylane token")
        base = self.base_url_for(tenant)
        key = f"{tenant.slug}|{token_hash(token)}|{base}"
        client = self._clients.get(key)
        if client is None:
            client = self._clients[key] = PennylaneClient(token, base, tenant=tenant.slug,
                                                          timeout=self.timeout_seconds)
        return client
