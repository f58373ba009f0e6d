"""Fixed ports, demo credentials (emulator tokens, not secrets) and who is served by what."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

PENNYLANE_PORT = 8765
CHIFT_PORT = 8766
# One Shopify emulator per shop and one Square emulator per seller: the port is in the tenant's
# ``source.base_url`` (tenants/*.yaml) and must match these.
SHOPIFY_PORTS = {"atelier-lin-et-coton": 8767}
SQUARE_PORTS = {"cafe-des-arts": 8768}

# Env var NAME (as in tenants/*.yaml) -> demo value understood by the emulators.
DEMO_ENV = {
    "PENNYLANE_TOKEN_BISTROT": "demo-pennylane-bistrot",
    "PENNYLANE_TOKEN_MARTIN": "demo-pennylane-martin",
    "PENNYLANE_TOKEN_BOULANGERIE": "demo-pennylane-boulangerie",
    "PENNYLANE_TOKEN_ATELIER": "demo-pennylane-atelier",
    "PENNYLANE_TOKEN_CAFE": "demo-pennylane-cafe",
    "CHIFT_CLIENT_ID": "chift-demo-client",
    "CHIFT_CLIENT_SECRET": "chift-demo-secret",
    "CHIFT_ACCOUNT_ID": "6c1f0d9e-7b1a-4d2e-9a51-3f2d8e0c4b11",
    "SHOPIFY_TOKEN_ATELIER": "shpat_demo_atelier_lin_et_coton",
    "SQUARE_TOKEN_CAFE": "EAAAl-demo-cafe-des-arts",
}

# Chift-connected demo tenants: generator profile of their till.
CHIFT_PROFILES = {"bistrot-des-halles": "restaurant", "epicerie-martin": "shop"}
TOPORDER_PROFILES = {"boulangerie-du-marche": "bakery"}
# Shopify shops: the web shop profile, selling to consumers in these other EU countries (OSS).
SHOPIFY_SHOPS = {"atelier-lin-et-coton": {"countries": ["DE", "IT"]}}
# Square sellers: a café-boulangerie (the bakery profile: breads, pastries, coffee, lunch).
SQUARE_PROFILES = {"cafe-des-arts": "bakery"}


def seed_for(slug: str) -> int:
    """A stable per-tenant seed, so that every run of the demo generates the same days."""
    return int(hashlib.sha256(slug.encode()).hexdigest()[:8], 16)


def dagster_home() -> Path:
    from pipelines.inprocess import ensure_dagster_home

    return ensure_dagster_home()


def apply_env() -> Path:
    """Set the demo credentials (without overriding real ones) and the state locations."""
    for name, value in DEMO_ENV.items():
        os.environ.setdefault(name, value)
    home = dagster_home()
    os.environ.setdefault("TOPORDER_INBOX_DIR", str(home / "toporder-inbox"))
    return home
