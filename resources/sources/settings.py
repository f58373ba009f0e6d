"""Every source's ``source:`` block, as one pydantic discriminated union on ``type``.

Each model lives with its connector (``resources/sources/<vendor>/settings.py``) and subclasses
:class:`core.tenants.SourceConfig`, so code in ``core`` still sees a ``SourceConfig``. The
registry (:mod:`resources.tenants`) validates tenant files with it: a wrong setting is rejected
when the file is loaded, naming the file and the field (``source.shopify.settings.page_limit``).
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from resources.sources.chift.settings import ChiftConfig
from resources.sources.hiboutik.settings import HiboutikConfig
from resources.sources.lightspeed.settings import LightspeedConfig
from resources.sources.shopify.settings import ShopifyConfig
from resources.sources.square.settings import SquareConfig
from resources.sources.toporder.settings import ToporderConfig
from resources.sources.woocommerce.settings import WooCommerceConfig
from resources.sources.zelty.settings import ZeltyConfig
from resources.sources.zettle.settings import ZettleConfig

VendorSourceConfig = Annotated[
    ChiftConfig | HiboutikConfig | LightspeedConfig | ShopifyConfig | SquareConfig | ToporderConfig
    | WooCommerceConfig | ZeltyConfig | ZettleConfig,
    Field(discriminator="type"),
]
