"""Sales sources, one module per system. :func:`build_source` picks the tenant's.

Every source class takes ``(tenant, warehouse=None)`` (the warehouse is for sources that keep
state, such as the Toporder inbox) and implements :class:`resources.sources.base.SalesSource`.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from resources.sources.base import SalesSource
    from resources.tenants import TenantConfig
    from resources.warehouse import Warehouse

# source type -> "module:Class"
SOURCE_CLASSES: dict[str, str] = {
    "chift": "resources.sources.chift:ChiftSource",
    "toporder": "resources.sources.toporder:ToporderSource",
    "shopify": "resources.sources.shopify:ShopifySource",
    "woocommerce": "resources.sources.woocommerce:WooCommerceSource",
    "square": "resources.sources.square:SquareSource",
    "zettle": "resources.sources.zettle:ZettleSource",
    "lightspeed": "resources.sources.lightspeed:LightspeedSource",
    "hiboutik": "resources.sources.hiboutik:HiboutikSource",
    "zelty": "resources.sources.zelty:ZeltySource",
}


def source_class(source_type: str) -> type:
    module_name, _, class_name = SOURCE_CLASSES[source_type].partition(":")
    return getattr(importlib.import_module(module_name), class_name)


def build_source(tenant: TenantConfig, warehouse: Warehouse | None = None) -> SalesSource:
    cls = source_class(tenant.source.type)
    return cls(tenant, warehouse=warehouse)
