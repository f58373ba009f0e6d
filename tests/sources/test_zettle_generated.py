"""Zettle emulator seeded from the vendor-neutral generator, refunds included (Zettle refunds are
separate purchases of given rows, like the generator's): a generated shop day read back through
the Zettle source gives the generator's totals per VAT rate and per refund flag."""

from __future__ import annotations

from datetime import UTC, date, datetime

from core.periods import SalesPeriod
from emulators.generator import expected_frames, generate_day
from emulators.server import serve
from emulators.zettle import ZettleState, create_app, seed_from_simday
from resources.http import RetryPolicy
from resources.sources.zettle.source import ZettleSource
from resources.tenants import TenantConfig


def test_generated_shop_day_round_trips(monkeypatch):
    day_ = date(2026, 3, 10)
    sim = generate_day("shop", day_, seed=11, unknown_methods=False)
    st = ZettleState()
    # a refund of a previous day's sale needs that sale in the account: prior=True adds it
    seed_from_simday(st, sim, prior=True)
    monkeypatch.setenv("ZT_ID", st.client_id)
    monkeypatch.setenv("ZT_KEY", st.api_key)
    with serve(create_app(st)) as srv:
        tenant = TenantConfig.model_validate({
            "slug": "comptoir", "name": "Comptoir", "siret": "55208131766522", "start_date": "2026-01-01",
            "source": {"type": "zettle", "base_url": srv.url, "credentials": {"client_id": "ZT_ID", "api_key": "ZT_KEY"},
                       "settings": {"oauth_base_url": srv.url, "page_limit": 10}},
            "pennylane": {"token_env": "PENNYLANE_TEST_TOKEN"},
        })
        source = ZettleSource(tenant, policy=RetryPolicy(base_delay=0.01, max_delay=0.05),
                              clock=lambda: datetime(2026, 6, 1, tzinfo=UTC))
        day = source.fetch(SalesPeriod(tenant, day_, date(2026, 3, 11)))
        source.close()
    expected = expected_frames(sim)
    cols = ["gross_cents", "net_cents", "vat_cents"]
    assert (day.sales_lines.groupby(["vat_rate", "is_refund"])[cols].sum().to_dict()
            == expected.sales_lines.groupby(["vat_rate", "is_refund"])[cols].sum().to_dict())
    assert day.payments["amount_cents"].sum() == expected.payments["amount_cents"].sum()
    assert day.sales_lines["is_refund"].any()  # a shop day always shows a refund
