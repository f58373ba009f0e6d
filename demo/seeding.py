"""Start the emulators on their fixed ports and seed them with the demo tenants' days."""

from __future__ import annotations

import os
from contextlib import ExitStack
from datetime import date, timedelta
from pathlib import Path

from demo.environment import (
    CHIFT_PORT,
    CHIFT_PROFILES,
    DEMO_ENV,
    PENNYLANE_PORT,
    SHOPIFY_PORTS,
    SHOPIFY_SHOPS,
    SQUARE_PORTS,
    SQUARE_PROFILES,
    TOPORDER_PROFILES,
    seed_for,
)
from emulators.server import ServerThread
from resources.tenants import TenantConfig, load_registry


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def pennylane_app(home: Path, registry: dict[str, TenantConfig]):
    from emulators.pennylane.app import create_app

    app = create_app(home / "pennylane-emulator.db")
    for tenant in registry.values():
        token = os.environ[tenant.pennylane.token_env]
        app.store.register_company(token, tenant.name, reg_no=tenant.siren)
    return app


def chift_app(registry: dict[str, TenantConfig], first: date, last: date):
    from emulators.chift import ChiftEmulatorState, create_app
    from emulators.generator import generate_day

    state = ChiftEmulatorState(
        client_id=DEMO_ENV["CHIFT_CLIENT_ID"], client_secret=DEMO_ENV["CHIFT_CLIENT_SECRET"],
        account_id=DEMO_ENV["CHIFT_ACCOUNT_ID"],
    )
    for slug, profile in CHIFT_PROFILES.items():
        tenant = registry.get(slug)
        if tenant is None:
            continue
        consumer = tenant.source.settings.consumer_id
        state.add_consumer(consumer, tenant.name)
        for day in _days(max(first, tenant.start_date), last):
            state.add_day(consumer, generate_day(profile, day, seed=seed_for(slug), timezone=tenant.timezone))
    return create_app(state)


def shopify_app(tenant: TenantConfig, first: date, last: date):
    """The tenant's shop (one emulator per shop: Shopify's API root is the shop's domain)."""
    from emulators.generator import generate_day
    from emulators.shopify import ShopifyState, create_app, state_from_simday

    options = SHOPIFY_SHOPS[tenant.slug]
    state = ShopifyState(token=os.environ[tenant.source.credentials.access_token])
    state.shop.update({"name": tenant.name, "myshopify_domain": f"{tenant.slug}.myshopify.com"})
    for day in _days(max(first, tenant.start_date), last):
        sim = generate_day("ecommerce", day, seed=seed_for(tenant.slug), timezone=tenant.timezone,
                           countries=options["countries"])
        state_from_simday(sim, timezone=tenant.timezone, currency=tenant.currency, state=state)
    return create_app(state)


def square_app(tenant: TenantConfig, first: date, last: date):
    """The tenant's Square seller account, with its one location named after the café."""
    from emulators.generator import generate_day
    from emulators.square import SquareState, create_app, seed_from_simday

    profile = SQUARE_PROFILES[tenant.slug]
    state = SquareState(token=os.environ[tenant.source.credentials.access_token])
    state.add_location("loc-1", tenant.name.removesuffix(" SARL"), tenant.timezone)  # the generator's id
    for day in _days(max(first, tenant.start_date), last):
        # Meal vouchers are Square's OTHER tender here: no unknown wallets mixed into OTHER.
        sim = generate_day(profile, day, seed=seed_for(tenant.slug), timezone=tenant.timezone,
                           unknown_methods=False)
        seed_from_simday(state, sim, currency=tenant.currency)
    return create_app(state)


def start_emulators(stack: ExitStack, home: Path, first: date, last: date) -> dict[str, ServerThread]:
    """Every demo emulator on its fixed port, seeded for ``[first, last]``; stopped with ``stack``."""
    registry = load_registry()
    servers = {
        "pennylane": ServerThread(pennylane_app(home, registry), port=PENNYLANE_PORT),
        "chift": ServerThread(chift_app(registry, first, last), port=CHIFT_PORT),
    }
    for slug, port in SHOPIFY_PORTS.items():
        if slug in registry:
            servers[f"shopify:{slug}"] = ServerThread(shopify_app(registry[slug], first, last), port=port)
    for slug, port in SQUARE_PORTS.items():
        if slug in registry:
            servers[f"square:{slug}"] = ServerThread(square_app(registry[slug], first, last), port=port)
    for srv in servers.values():
        srv.start()
        stack.callback(srv.stop)
    return servers


def push_toporder_files(registry: dict[str, TenantConfig], first: date, last: date) -> None:
    """Activate each Toporder demo tenant and drop one closure file per day in its inbox, as the
    till would (a day already received is not pushed again)."""
    from emulators.generator import generate_day
    from emulators.toporder_files import write_closure_file
    from resources.sources.toporder.activation import activate
    from resources.warehouse import default_url, warehouse_for

    wh = warehouse_for(os.environ.get("WAREHOUSE_URL") or default_url())
    for slug, profile in TOPORDER_PROFILES.items():
        tenant = registry.get(slug)
        if tenant is None or not tenant.active:
            continue
        act = activate(wh, tenant, activated_on=tenant.start_date)
        inbox = Path(act.inbox_path)
        for day in _days(max(first, tenant.start_date), last):
            if any(inbox.rglob(f"*{day.isoformat()}*.json")):
                continue
            write_closure_file(inbox.parent, act.identifier,
                               generate_day(profile, day, seed=seed_for(slug), timezone=tenant.timezone))
