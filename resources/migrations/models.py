"""Every module that declares warehouse tables, imported: :data:`METADATA` is then complete.

Alembic's ``env.py`` and the schema tests read the tables from here. A new table module must be
imported here (and get its migration, see README "Warehouse schema and migrations")."""

from __future__ import annotations

import resources.alerts
import resources.pennylane.cache
import resources.posting
import resources.rate_budget
import resources.sources.toporder.activation
import resources.stock.tables
from resources.warehouse import METADATA

TABLE_MODULES = (resources.alerts, resources.pennylane.cache, resources.posting, resources.rate_budget,
                 resources.sources.toporder.activation, resources.stock.tables)

__all__ = ["METADATA", "TABLE_MODULES"]
