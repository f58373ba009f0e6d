"""The source class of each ``source.type``; :func:`build_source` picks the tenant's.

Every source class takes ``(tenant, warehouse=None)`` (the warehouse is for sources that keep
state, such as the Toporder inbox) and implements :class:`resources.sources.base.SalesSource`.
"""

from __future__ import annotations

from core.tenants import TenantConfig
from resources.sources.base import SalesSource
from resources.sources.chift.source import ChiftSource
from resources.sources.hiboutik.source import HiboutikSource
from resources.sources.lightspeed.source import LightspeedSource
from resources.sources.shopify.source import ShopifySource
from resources.sources.square.source import SquareSource
from resources.sources.toporder.source import ToporderSource
from resources.sources.woocommerce.source import WooCommerceSource
from resources.sources.zelty.source import ZeltySource
from resources.sources.zettle.source import ZettleSource
from resources.warehouse import Warehouse

SOURCE_CLASSES: dict[str, type] = {
    "chift": ChiftSource,
    "toporder": ToporderSource,
    "shopify": ShopifySource,
    "woocommerce": WooCommerceSource,
    "square": SquareSource,
    "zettle": ZettleSource,
    "lightspeed": LightspeedSource,
    "hiboutik": HiboutikSource,
    "zelty": ZeltySource,
}


def build_source(tenant: TenantConfig, warehouse: Warehouse | None = None) -> SalesSource:
    return SOURCE_CLASSES[tenant.source.type](tenant, warehouse=warehouse)
